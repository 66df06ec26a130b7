//! The sync wire: `Request::decode` and `Response::decode` on arbitrary bytes with the
//! default limits. What decodes must encode into a frame that decodes to the same message.

#![no_main]

use letsema_fuzz::panics::{guarded, quiet_dependency_panics};
use letsema_protocol::sync::{Request, Response, WireLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: quiet_dependency_panics(), |bytes: &[u8]| {
    guarded(|| {
        let limits = WireLimits::default();
        if let Ok(request) = Request::decode(bytes, &limits) {
            let again = Request::decode(&request.encode(), &limits);
            assert_eq!(again.as_ref(), Ok(&request), "a request does not round-trip");
        }
        if let Ok(response) = Response::decode(bytes, &limits) {
            let again = Response::decode(&response.encode(), &limits);
            assert_eq!(again.as_ref(), Ok(&response), "a response does not round-trip");
        }
    });
});
