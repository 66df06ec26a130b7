//! XLSForm import from bytes. The first byte chooses the format (its value mod 4: xlsx, xls,
//! csv, markdown); the rest is the file.

#![no_main]

use letsema_fuzz::panics::{guarded, quiet_dependency_panics};
use letsema_xlsform::{SourceFormat, import};
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: quiet_dependency_panics(), |bytes: &[u8]| {
    let Some((&kind, file)) = bytes.split_first() else {
        return;
    };
    let format = match kind % 4 {
        0 => SourceFormat::Xlsx,
        1 => SourceFormat::Xls,
        2 => SourceFormat::Csv,
        _ => SourceFormat::Markdown,
    };
    guarded(|| {
        let imported = import(file, format);
        if imported.form.is_none() {
            assert!(
                imported.errors().next().is_some(),
                "a form was refused without an error saying why"
            );
        }
    });
});
