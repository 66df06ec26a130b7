//! Prints the diagnostics of XLSForm files: `cargo run -p letsema-xlsform --example diagnose -- FILE...`.

fn main() {
    for path in std::env::args().skip(1) {
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("{path}: {error}");
                continue;
            }
        };
        let import = letsema_xlsform::import_file(&path, &bytes);
        println!(
            "{path}: {}",
            if import.form.is_some() {
                "accepted"
            } else {
                "rejected"
            }
        );
        for diagnostic in &import.diagnostics {
            println!("  {diagnostic}");
        }
    }
}
