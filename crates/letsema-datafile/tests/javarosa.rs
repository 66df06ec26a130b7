//! JavaRosa's own results for its data files (`tests/datafiles/javarosa/`), from its
//! `CsvExternalInstanceTest` and `GeoJsonExternalInstanceTest`: Letsema reads CSV and
//! GeoJSON as ODK Collect does.

use letsema_datafile::{Budget, read_file};
use letsema_form::model::DataNode;

fn read(name: &str) -> Result<DataNode, String> {
    let path = format!(
        "{}/../../tests/datafiles/javarosa/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    read_file(name, &bytes, &mut Budget::new(1_000_000)).map_err(|e| e.to_string())
}

fn cell(root: &DataNode, item: usize, column: usize) -> (&str, &str) {
    let c = &root.children[item].children[column];
    (c.name.as_str(), c.text.as_str())
}

fn child<'a>(root: &'a DataNode, item: usize, name: &str) -> Option<&'a str> {
    root.children[item]
        .children
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.text.as_str())
}

#[test]
fn csv_files_read_as_javarosa_reads_them() {
    for name in [
        "external-secondary-comma-complex.csv",
        "external-secondary-semicolon-complex.csv",
    ] {
        let root = read(name).expect("readable");
        // heading_has_no_extra_quotes, value_has_no_extra_quotes
        assert_eq!(cell(&root, 0, 0), ("label", "A"), "{name}");
        // quoted_string_with_comma, quoted_string_with_semicolon
        assert_eq!(cell(&root, 6, 0).1, "121 Main St, NE", "{name}");
        assert_eq!(cell(&root, 7, 0).1, "text; more text", "{name}");
        // missing_fields_replaced_with_spaces (with empty values, as JavaRosa does)
        assert_eq!(cell(&root, 5, 1), ("name", ""), "{name}");
        assert_eq!(cell(&root, 5, 2), ("first", ""), "{name}");
    }
    // ignores_utf8_bom, parses_utf8_characters
    let root = read("external-secondary-csv-bom.csv").expect("readable");
    assert_eq!(cell(&root, 0, 0).0, "name");
    assert_eq!(child(&root, 0, "elevation"), Some("testé"));
}

#[test]
fn geojson_files_read_as_javarosa_reads_them() {
    // parse_addsGeometriesAsChildren_forMultipleFeatures
    let root = read("feature-collection.geojson").expect("readable");
    assert_eq!(root.children.len(), 3);
    assert_eq!(child(&root, 0, "geometry"), Some("0.5 102 0 0"));
    assert_eq!(
        child(&root, 1, "geometry"),
        Some("0.5 104 0 0; 0.5 105 0 0")
    );
    assert_eq!(
        child(&root, 2, "geometry"),
        Some("63 5 0 0; 83 10 0 0; 63 5 0 0")
    );
    // parse_addsAllOtherPropertiesAsChildren
    assert_eq!(root.children[0].children.len(), 4);
    assert_eq!(child(&root, 0, "name"), Some("My cool point"));
    assert_eq!(root.children[1].children.len(), 5);
    assert_eq!(child(&root, 1, "special-property"), Some("special value"));
    // parse_ignoresExtraTopLevelProperties, parse_acceptsAnyToplevelPropertyOrder
    for name in [
        "feature-collection-extra-toplevel.geojson",
        "feature-collection-toplevel-order.geojson",
    ] {
        assert_eq!(
            read(name).expect("readable").children[0].children.len(),
            3,
            "{name}"
        );
    }
    // parse_usesTopLevelId, parse_prioritizesTopLevelId
    for name in [
        "feature-collection-id-toplevel.geojson",
        "feature-collection-id-twice.geojson",
    ] {
        let root = read(name).expect("readable");
        assert_eq!(root.children[0].children.len(), 4, "{name}");
        assert_eq!(child(&root, 0, "id"), Some("top-level-id"), "{name}");
    }
    // parse_allowsIntegerId
    let root = read("feature-collection-integer-id.geojson").expect("readable");
    assert_eq!(root.children[0].children.len(), 4);
    assert_eq!(child(&root, 0, "id"), Some("77"));
    // parse_ignoresUnknownToplevelProperties (of a feature)
    let root = read("feature-collection-extra-feature-toplevel.geojson").expect("readable");
    assert_eq!(root.children[0].children.len(), 3);
    assert_eq!(child(&root, 0, "ignored"), None);
    // parse_addsFeaturesWithNoProperties
    let root = read("feature-collection-no-properties.geojson").expect("readable");
    assert_eq!(root.children[0].children.len(), 1);
    // parse_allowsNullFeaturePropertyValues
    let root = read("feature-collection-with-null.geojson").expect("readable");
    assert_eq!(root.children[0].children.len(), 4);
    assert_eq!(child(&root, 0, "extra"), Some(""));
}

#[test]
fn geojson_files_javarosa_refuses_are_refused() {
    for name in [
        "not-object.geojson",
        "invalid-type.geojson",
        "bad-futures-collection.geojson",
        "bad-features-not-array.geojson",
        "bad-feature-not-feature.geojson",
        "feature-collection-with-unsupported-type.geojson",
    ] {
        let error = read(name).expect_err(name);
        assert!(error.starts_with(&format!("`{name}`: ")), "{error}");
    }
}

#[test]
fn the_external_select_data_is_root_item_in_every_format() {
    for name in ["external-data.csv", "external-data.xml"] {
        let root = read(name).expect("readable");
        assert_eq!(root.name, "root", "{name}");
        assert_eq!(root.children.len(), 12, "{name}");
        assert_eq!(child(&root, 4, "name"), Some("ab"), "{name}");
        assert_eq!(child(&root, 4, "first"), Some("a"), "{name}");
    }
}
