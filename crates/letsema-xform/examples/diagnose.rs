//! Imports XForms and prints their diagnostics: `cargo run -p letsema-xform --example
//! diagnose -- form.xml…`. With `--json`, prints each accepted form's model as JSON.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut json = false;
    let mut failed = false;
    for argument in std::env::args().skip(1) {
        if argument == "--json" {
            json = true;
            continue;
        }
        let bytes = match std::fs::read(&argument) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("{argument}: {e}");
                failed = true;
                continue;
            }
        };
        let import = letsema_xform::import(&bytes);
        let verdict = if import.form.is_some() {
            "accepted"
        } else {
            "refused"
        };
        println!("{argument}: {verdict}");
        for diagnostic in &import.diagnostics {
            println!("  {diagnostic}");
        }
        if json && let Some(form) = &import.form {
            match serde_json::to_string_pretty(form) {
                Ok(text) => println!("{text}"),
                Err(e) => eprintln!("{argument}: {e}"),
            }
        }
        failed |= import.form.is_none();
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
