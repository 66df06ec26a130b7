//! Attached files as a specification: what each kind of file becomes, and every way an
//! attachment is refused.

use letsema_datafile::{Budget, DataFileError, Limits, attach, read_file, required_files};
use letsema_form::model::{
    ChoiceList, DataInstance, DataNode, FileChoices, Form, FormId, ListName,
};
use proptest::prelude::*;

fn read(file: &str, text: &str) -> Result<DataNode, String> {
    read_file(file, text.as_bytes(), &mut Budget::new(1000)).map_err(|e| e.to_string())
}

fn item(cells: &[(&str, &str)]) -> DataNode {
    let mut item = DataNode::new("item");
    for (name, value) in cells {
        item.children.push(DataNode::leaf(*name, *value));
    }
    item
}

fn root(items: Vec<DataNode>) -> DataNode {
    DataNode {
        name: "root".into(),
        text: String::new(),
        children: items,
    }
}

#[test]
fn a_csv_file_is_root_item_column() {
    assert_eq!(
        read(
            "fruits.csv",
            "\u{feff}name,label,price\r\napple,Apple,3\n\n\"banana\",\"Banana, ripe\",5\n"
        ),
        Ok(root(vec![
            item(&[("name", "apple"), ("label", "Apple"), ("price", "3")]),
            item(&[
                ("name", "banana"),
                ("label", "Banana, ripe"),
                ("price", "5")
            ]),
        ]))
    );
    // Short lines read as empty cells; a column without a header is left out when empty.
    assert_eq!(
        read("f.csv", "name,price,\napple\n"),
        Ok(root(vec![item(&[("name", "apple"), ("price", "")])]))
    );
}

#[test]
fn a_csv_file_that_a_form_cannot_read_is_refused_with_the_line() {
    assert_eq!(
        read("f.csv", "name,price\napple,3,extra\n"),
        Err(
            "`f.csv`: line 2 has 3 values but the first line names 2 columns: name every \
             column, or remove the extra values"
                .into()
        )
    );
    assert_eq!(
        read("f.csv", "name,unit price\napple,3\n"),
        Err(
            "`f.csv`: column 2 is named `unit price`, which a form cannot read: a column's \
             name starts with a letter or `_` and has only letters, digits, `_`, `-` and `.`"
                .into()
        )
    );
    assert_eq!(
        read("f.csv", "name,name\na,b\n"),
        Err("`f.csv`: two columns are named `name`: rename one of them".into())
    );
    assert_eq!(
        read_file("f.csv", b"name\n\xff\n", &mut Budget::new(10)).map_err(|e| e.to_string()),
        Err(
            "`f.csv`: byte 6 is not UTF-8 text: save the file as UTF-8 (in Excel, \"CSV \
             UTF-8\")"
                .into()
        )
    );
}

#[test]
fn an_xml_file_keeps_its_elements_and_text() {
    assert_eq!(
        read(
            "wards.xml",
            "<?xml version='1.0'?>\n<root>\n  <item><name>w1</name><lga id='x'>Ikeja</lga></item>\n  <!-- a comment -->\n</root>"
        ),
        Ok(root(vec![item(&[("name", "w1"), ("lga", "Ikeja")])]))
    );
    assert!(
        read("bad.xml", "<root><item></root>")
            .is_err_and(|e| e.starts_with("`bad.xml`: it is not well-formed XML"))
    );
    let deep = format!("{}{}", "<a>".repeat(40), "</a>".repeat(40));
    assert_eq!(
        read("deep.xml", &deep),
        Err("`deep.xml`: its elements nest more than 32 deep: flatten the data".into())
    );
    // Entities a DTD defines are refused, so a billion laughs cannot be attached.
    assert!(read("dtd.xml", "<!DOCTYPE r [<!ENTITY a 'aa'>]><r>&a;</r>").is_err());
}

#[test]
fn a_geojson_feature_is_an_item_with_its_geometry_in_odk_notation() {
    let text = r#"{"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "p1",
         "geometry": {"type": "Point", "coordinates": [27.48, -29.31]},
         "properties": {"title": "Maseru clinic", "beds": 12, "open": true, "note": null}},
        {"type": "Feature",
         "geometry": {"type": "LineString", "coordinates": [[27.0, -29.0, 1500], [27.5, -29.5]]},
         "properties": {"id": "road", "title": "Road"}},
        {"type": "Feature",
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
         "properties": {"id": 7}}
    ]}"#;
    assert_eq!(
        read("sites.geojson", text),
        Ok(root(vec![
            item(&[
                ("geometry", "-29.31 27.48 0 0"),
                ("id", "p1"),
                ("beds", "12"),
                ("note", ""),
                ("open", "true"),
                ("title", "Maseru clinic"),
            ]),
            item(&[
                ("geometry", "-29 27 1500 0; -29.5 27.5 0 0"),
                ("id", "road"),
                ("title", "Road"),
            ]),
            item(&[
                ("geometry", "0 0 0 0; 0 1 0 0; 1 1 0 0; 0 0 0 0"),
                ("id", "7")
            ]),
        ]))
    );
    assert_eq!(
        read("s.geojson", r#"{"type": "Feature"}"#),
        Err(
            "`s.geojson`: a GeoJSON file attached to a form is a `FeatureCollection`: its top \
             level must have `\"type\": \"FeatureCollection\"` and a `features` list"
                .into()
        )
    );
    assert_eq!(
        read(
            "s.geojson",
            r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "MultiPoint", "coordinates": []}}]}"#
        ),
        Err(
            "`s.geojson`: feature 1: its geometry is a `MultiPoint`, but a form reads only a \
             Point, a LineString or a Polygon"
                .into()
        )
    );
}

/// A form reading `fruits.csv` through `pulldata()` and choosing from `places.csv`.
fn form() -> Form {
    let mut form = Form::new(FormId::new("f"), "F");
    form.instances.push(DataInstance {
        id: "fruits".into(),
        source: Some("fruits.csv".into()),
        root: DataNode::new("root"),
    });
    form.choice_lists.push(ChoiceList {
        name: ListName::new("places"),
        choices: Vec::new(),
        from_file: Some(FileChoices {
            file: "places.csv".into(),
            value: "code".into(),
            label: "label".into(),
        }),
    });
    form
}

fn file(name: &str, text: &str) -> (String, Vec<u8>) {
    (name.to_owned(), text.as_bytes().to_vec())
}

#[test]
fn attaching_fills_instances_and_lists_and_nothing_else_changes() {
    let mut f = form();
    assert_eq!(required_files(&f), ["fruits.csv", "places.csv"]);
    attach(
        &mut f,
        &[
            file(
                "places.csv",
                "code,label,district\nM,Maseru,maseru\nL,Leribe,leribe\n",
            ),
            file("fruits.csv", "name,price\napple,3\n"),
        ],
        &Limits::default(),
    )
    .expect("both files fit");
    assert_eq!(
        f.instances[0].root,
        root(vec![item(&[("name", "apple"), ("price", "3")])])
    );
    let places = &f.choice_lists[0];
    let values: Vec<&str> = places.choices.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(values, ["M", "L"]);
    assert_eq!(places.choices[1].label.get(None, None), Some("Leribe"));
    assert_eq!(places.choices[1].properties["district"], "leribe");
}

#[test]
fn missing_unused_duplicate_and_oversized_files_are_each_named() {
    let mut f = form();
    let errors = attach(
        &mut f,
        &[
            file("fruits.csv", "name\na\n"),
            file("fruits.csv", "name\na\n"),
            file("extra.csv", "name\n"),
        ],
        &Limits::default(),
    )
    .expect_err("wrong files");
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "`fruits.csv` was attached twice: attach each file once",
            "`extra.csv` was attached, but the form does not read it (it reads fruits.csv, \
             places.csv): remove it, or correct its name",
            "the form reads `places.csv`, which was not attached: attach it with the form",
        ]
    );
    assert_eq!(f, form(), "nothing is changed by a refused attachment");

    let small = Limits {
        file_bytes: 10,
        total_bytes: 15,
        elements: 100,
    };
    let errors = attach(
        &mut f,
        &[
            file("fruits.csv", "name\napple\n"),
            file("places.csv", "code\nM\n"),
        ],
        &small,
    )
    .expect_err("too large");
    assert_eq!(
        errors,
        [
            DataFileError::FileTooLarge {
                file: "fruits.csv".into(),
                size: 11,
                limit: 10
            },
            DataFileError::TotalTooLarge {
                size: 18,
                limit: 15
            }
        ]
    );
    let few = Limits {
        elements: 3,
        ..Limits::default()
    };
    let errors = attach(
        &mut f,
        &[
            file("fruits.csv", "name,price\na,1\nb,2\n"),
            file("places.csv", "code\nM\n"),
        ],
        &few,
    )
    .expect_err("too many values");
    assert_eq!(errors, [DataFileError::TooManyElements { limit: 3 }]);
}

#[test]
fn a_choice_file_without_its_value_column_says_which_parameter_to_set() {
    let mut f = form();
    let errors = attach(
        &mut f,
        &[
            file("fruits.csv", "name\n"),
            file("places.csv", "name,label\nM,Maseru\n"),
        ],
        &Limits::default(),
    )
    .expect_err("no `code` column");
    assert_eq!(
        errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "`places.csv`: item 1 has no `code`, which gives each choice's value: add that \
          column, or name the column to use with the question's parameter `value=…`"
        ]
    );
}

proptest! {
    /// No file, however damaged, makes the reader panic or exceed its budget.
    #[test]
    fn any_bytes_are_read_or_refused_without_panicking(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
        kind in prop::sample::select(vec!["a.csv", "a.xml", "a.geojson", "a.txt"]),
    ) {
        let mut budget = Budget::new(50);
        if let Ok(root) = read_file(kind, &bytes, &mut budget) {
            prop_assert!(root.len() <= 51);
        }
    }

    #[test]
    fn any_text_is_read_or_refused_without_panicking(
        text in "[<>a-z/\"{}\\[\\],:0-9 \n]{0,200}",
        kind in prop::sample::select(vec!["a.csv", "a.xml", "a.geojson"]),
    ) {
        let _ = read_file(kind, text.as_bytes(), &mut Budget::new(50));
    }
}
