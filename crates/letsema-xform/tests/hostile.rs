//! Whatever the bytes, the importer answers with a form or diagnostics, never a panic.

use proptest::prelude::*;

/// Pieces of XForms, shuffled into documents that are nearly forms.
const PIECES: &[&str] = &[
    "<h:html xmlns=\"http://www.w3.org/2002/xforms\" xmlns:h=\"http://www.w3.org/1999/xhtml\" xmlns:jr=\"http://openrosa.org/javarosa\">",
    "</h:html>",
    "<h:head>",
    "</h:head>",
    "<model>",
    "</model>",
    "<instance>",
    "</instance>",
    "<instance id=\"x\">",
    "<instance id=\"x\" src=\"jr://file-csv/x.csv\"/>",
    "<data id=\"f\">",
    "</data>",
    "<q/>",
    "<g>",
    "</g>",
    "<root><item><name>a</name><label>A</label></item></root>",
    "<bind nodeset=\"/data/q\" type=\"int\" calculate=\"../q + 1\"/>",
    "<bind nodeset=\"/data/g\" readonly=\"true()\"/>",
    "<bind nodeset=\"/data/q\" jr:preload=\"timestamp\" jr:preloadParams=\"start\"/>",
    "<h:body>",
    "</h:body>",
    "<input ref=\"/data/q\"><label>Q <output value=\"/data/q\"/></label></input>",
    "<group ref=\"/data/g\">",
    "<repeat nodeset=\"/data/g\" jr:count=\"/data/q\">",
    "</repeat>",
    "</group>",
    "<select1 ref=\"/data/q\"><itemset nodeset=\"instance('x')/root/item[name = /data/q]\"><value ref=\"name\"/><label ref=\"jr:itext(label)\"/></itemset></select1>",
    "<select ref=\"/data/q\"><item><label>A</label><value>a</value></item></select>",
    "<setvalue event=\"odk-instance-first-load xforms-value-changed\" ref=\"/data/q\" value=\"indexed-repeat(/data/g/q, /data/g, 1)\"/>",
    "<itext><translation lang=\"en\"><text id=\"t\"><value form=\"image\">jr://images/a.png</value></text></translation></itext>",
    "<label ref=\"jr:itext('t')\"/>",
    "<range ref=\"/data/q\" start=\"x\" step=\"0\"/>",
];

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = letsema_xform::import(&bytes);
    }

    #[test]
    fn shuffled_xform_pieces_never_panic(
        pieces in proptest::collection::vec(0..PIECES.len(), 0..40)
    ) {
        let document: String = pieces.iter().map(|&i| PIECES[i]).collect();
        let import = letsema_xform::import(document.as_bytes());
        // A form is given only without errors.
        prop_assert!(import.form.is_none() || import.errors().next().is_none());
    }
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let depth = 100_000;
    let document = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    let import = letsema_xform::import(document.as_bytes());
    assert!(import.form.is_none());
    assert!(
        import
            .errors()
            .any(|e| e.message.contains("nested more than"))
    );
}
