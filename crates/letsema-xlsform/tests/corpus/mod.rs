//! Where the pyxform conformance corpus is: `$LETSEMA_XLSFORM_CORPUS`, or
//! `../shared/fixtures/xlsform` beside the project (where CI lays it). A missing corpus fails
//! the suite, never skips it.

use std::path::PathBuf;

/// The corpus's `pyxform` folder.
pub fn corpus() -> PathBuf {
    let root = std::env::var_os("LETSEMA_XLSFORM_CORPUS").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/fixtures/xlsform"
            ))
        },
        PathBuf::from,
    );
    let folder = root.join("pyxform");
    assert!(
        folder.is_dir(),
        "the XLSForm conformance corpus is not at {}: lay the pyxform fixtures there \
         (a `pyxform` folder of .xls, .xlsx, .csv and .md files), or set \
         LETSEMA_XLSFORM_CORPUS to the folder that holds `pyxform`",
        folder.display()
    );
    folder
}
