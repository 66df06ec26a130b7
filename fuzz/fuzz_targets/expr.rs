//! The expression language: parse arbitrary UTF-8 (up to 4 KiB, to bound the time an input
//! takes); what parses must print as canonical text that parses and prints the same, and is
//! evaluated against a fixed context, at the top level and inside a repeat instance.

#![no_main]

use letsema_expr::{evaluate, parse};
use letsema_fuzz::expr_context;
use letsema_fuzz::panics::{guarded, quiet_dependency_panics};
use libfuzzer_sys::fuzz_target;

/// The longest source evaluated.
const MAX_SOURCE_BYTES: usize = 4 * 1024;

fuzz_target!(init: quiet_dependency_panics(), |bytes: &[u8]| {
    if bytes.len() > MAX_SOURCE_BYTES {
        return;
    }
    let Ok(source) = std::str::from_utf8(bytes) else {
        return;
    };
    guarded(|| {
        let Ok(expr) = parse(source) else {
            return;
        };
        // The printed form is canonical: it parses, and prints the same again (the trees
        // differ only in their spans).
        let printed = expr.to_string();
        match parse(&printed) {
            Ok(again) => assert_eq!(
                again.to_string(),
                printed,
                "`{source}` printed as `{printed}`, which prints differently"
            ),
            Err(error) => panic!("`{source}` printed as `{printed}`, which does not parse: {error}"),
        }
        let top = expr_context().at("age");
        let _ = evaluate(&expr, &top);
        let in_repeat = expr_context().at_in_repeat("qual", 2, "year");
        let _ = evaluate(&expr, &in_repeat);
    });
});
