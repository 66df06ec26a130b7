//! Which panics are crashes.
//!
//! libfuzzer-sys installs a panic hook that aborts the process on *every* panic, before any
//! unwinding. But letsema-doc and the sync server run automerge inside `catch_unwind` on
//! purpose (automerge panics on some hostile chunks; see "Hostile input" in the toolchain
//! notes), and such a panic, caught, is handled input, not a crash.
//!
//! So [`quiet_dependency_panics`] wraps libFuzzer's hook: a panic raised in a dependency's
//! source (`.cargo/registry`) or the standard library (`/rustc/`) is let unwind, silently,
//! to whatever catches it; any other panic (one raised by our own code, caught or not) goes
//! to libFuzzer's hook and aborts at once with its stack. [`guarded`] runs a target's body:
//! a dependency's panic that nobody caught and reaches it also aborts, after printing where
//! it was raised.

use std::backtrace::Backtrace;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, PanicHookInfo, catch_unwind};
use std::sync::Once;

thread_local! {
    /// The last panic raised in a dependency on this thread: where, what, and the stack.
    static LAST_DEPENDENCY_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn in_dependency(info: &PanicHookInfo<'_>) -> bool {
    info.location().is_some_and(|location| {
        let file = location.file();
        file.contains(".cargo/registry") || file.starts_with("/rustc/")
    })
}

fn describe(info: &PanicHookInfo<'_>) -> String {
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned());
    let location = info
        .location()
        .map_or_else(|| "an unknown place".to_owned(), ToString::to_string);
    format!("panicked at {location}: {message}")
}

/// Installs the hook described above, once, over the one in place (libFuzzer's, when
/// called from a target's `init`).
pub fn quiet_dependency_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if in_dependency(info) {
                let record = format!("{}\n{}", describe(info), Backtrace::force_capture());
                LAST_DEPENDENCY_PANIC.with(|last| *last.borrow_mut() = Some(record));
            } else {
                fuzzer_hook(info);
            }
        }));
    });
}

/// Runs `body`; a panic that escapes it (one raised in a dependency and caught by nobody:
/// our own code's panics have aborted already) is printed and aborts the process, which
/// libFuzzer reports as a crash.
pub fn guarded<R>(body: impl FnOnce() -> R) -> R {
    LAST_DEPENDENCY_PANIC.with(|last| *last.borrow_mut() = None);
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(result) => result,
        Err(_) => {
            let record = LAST_DEPENDENCY_PANIC.with(|last| last.borrow_mut().take());
            eprintln!(
                "a panic escaped to the fuzz target: {}",
                record.as_deref().unwrap_or("(not recorded)")
            );
            std::process::abort();
        }
    }
}
