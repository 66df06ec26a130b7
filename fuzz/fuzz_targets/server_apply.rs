//! The server's whole apply path: a phone's request (raw bytes, or pushed documents built
//! from templates and mutated: see `letsema_fuzz::apply`) through `Server::handle` into a
//! store that holds one committed submission; afterwards every stored document must still
//! load with the heads the store records.

#![no_main]

use letsema_fuzz::apply;
use letsema_fuzz::panics::{guarded, quiet_dependency_panics};
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        quiet_dependency_panics();
        apply::fixture();
    },
    |bytes: &[u8]| {
        guarded(|| apply::run(bytes));
    }
);
