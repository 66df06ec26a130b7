//! Import never panics, whatever the bytes: arbitrary ones, and real forms with bytes
//! flipped, cut or inserted, in every format.

use letsema_xlsform::{SourceFormat, import};
use proptest::prelude::*;

const FORMATS: [SourceFormat; 4] = [
    SourceFormat::Xlsx,
    SourceFormat::Xls,
    SourceFormat::Csv,
    SourceFormat::Markdown,
];

/// Real files to mutate: the reference form in two formats, and a CSV made from it.
fn seeds() -> Vec<(SourceFormat, Vec<u8>)> {
    let markdown = include_bytes!("../../../examples/forms/diaspora_registration.md").to_vec();
    let xlsx = include_bytes!("../../../examples/forms/diaspora_registration.xlsx").to_vec();
    let csv: Vec<u8> = String::from_utf8_lossy(&markdown)
        .lines()
        .filter(|line| line.starts_with('|'))
        .map(|line| {
            let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
            inner
                .split('|')
                .map(|cell| format!("\"{}\"", cell.trim().replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes();
    vec![
        (SourceFormat::Markdown, markdown),
        (SourceFormat::Xlsx, xlsx),
        (SourceFormat::Csv, csv),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Cut { at: usize, length: usize },
    Insert { at: usize, bytes: Vec<u8> },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        (any::<usize>(), 1usize..200).prop_map(|(at, length)| Mutation::Cut { at, length }),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for mutation in mutations {
        let len = bytes.len().max(1);
        match mutation {
            Mutation::Flip { at, byte } => {
                if let Some(slot) = bytes.get_mut(at % len) {
                    *slot ^= byte | 1;
                }
            }
            Mutation::Cut { at, length } => {
                let start = (at % len).min(bytes.len());
                let end = start.saturating_add(*length).min(bytes.len());
                bytes.drain(start..end);
            }
            Mutation::Insert {
                at,
                bytes: inserted,
            } => {
                let at = (at % len).min(bytes.len());
                bytes.splice(at..at, inserted.iter().copied());
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for format in FORMATS {
            let result = import(&bytes, format);
            prop_assert!(result.form.is_none() || result.errors().next().is_none());
        }
    }

    #[test]
    fn mutated_forms_never_panic(
        seed in 0usize..3,
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seeds();
        let (format, bytes) = &seeds[seed % seeds.len()];
        let bytes = mutate(bytes.clone(), &mutations);
        let result = import(&bytes, *format);
        prop_assert!(result.form.is_none() || result.errors().next().is_none());
        // The same bytes read as every other format must not panic either.
        for other in FORMATS {
            let _ = import(&bytes, other);
        }
    }

    #[test]
    fn markdown_made_of_table_pieces_never_panics(
        lines in proptest::collection::vec(
            proptest::collection::vec(
                prop_oneof![
                    Just(String::new()),
                    Just("survey".to_owned()),
                    Just("choices".to_owned()),
                    Just("settings".to_owned()),
                    Just("type".to_owned()),
                    Just("name".to_owned()),
                    Just("label::x".to_owned()),
                    Just("relevant".to_owned()),
                    Just("calculation".to_owned()),
                    Just("list_name".to_owned()),
                    Just("begin group".to_owned()),
                    Just("end repeat".to_owned()),
                    Just("begin repeat".to_owned()),
                    Just("select_one l".to_owned()),
                    Just("calculate".to_owned()),
                    Just("l".to_owned()),
                    Just("${a}".to_owned()),
                    Just("${b} + ${a}".to_owned()),
                    Just("a".to_owned()),
                    Just("b".to_owned()),
                    ".{0,6}",
                ],
                0..6,
            ),
            0..20,
        )
    ) {
        let text: String = lines
            .iter()
            .map(|cells| format!("| {} |\n", cells.join(" | ")))
            .collect();
        let _ = import(text.as_bytes(), SourceFormat::Markdown);
    }
}

/// Found by the `xlsform_import` fuzz target (`./dev fuzz xlsform_import`): an `.xls` that
/// is only a 512-byte compound-file header, whose sector chain points past the end of the
/// file, makes calamine panic (`calamine-0.38.0/src/cfb.rs:320`: "slice index starts at 512
/// but ends at 0") instead of the import refusing the file with a diagnostic.
#[test]
fn fuzz_xls_header_whose_sector_chain_runs_past_the_end() {
    const XLS: &[u8] = b"\
\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x01\x00\x00\x00\x00\x00\x01\x42\x00\x00\x00\x00\x00\x00\x58\x00\
\x3b\x00\x03\x00\xfe\xff\x09\x00\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\
\x0b\x01\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\xfe\xff\xff\xff\
\x00\x00\x00\x29\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\x00\xfe\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\xfe\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\xfe\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xfe\xff\xff\
\xff\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\x00\x00\x00\xfe\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\xfe\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xfe\xff\xff\xff\x00\
\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\x00\xfe\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\x00\xfe\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xfe\xff\
\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\xfe\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\xfe\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\
\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xfe\xff\xff\xff\
\x00\x00\x00\x00\x00\x00\x00\x00";
    let imported = import(XLS, SourceFormat::Xls);
    assert!(imported.form.is_none());
    assert!(imported.errors().next().is_some());
}

/// Found by the `xlsform_import` fuzz target: an `.xls` whose defined name (a `Lbl` record)
/// declares a formula longer than the record makes calamine panic (`calamine-0.38.0/src/
/// xls.rs:850`, in `parse_lbl`: "range start index 18446744073709486111 out of range for
/// slice of length 20") instead of the import refusing the file. The file is 41,984 bytes,
/// all zero but for these runs.
#[test]
fn fuzz_xls_defined_name_longer_than_its_record() {
    let runs: &[(usize, &[u8])] = &[
        (0x0000, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
        (0x001e, b"\x09\x00\x06"),
        (0x0030, b"\x01"),
        (
            0x0204,
            b"\x51\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x05\x00\x00\x00\x06\x00\x00\x00\x07",
        ),
        (0x0344, b"\xfe\xff\xff\xff"),
        (0x03fc, b"\xff\xff\xff\xff"),
        (
            0x0480,
            b"\x57\x00\x6f\x00\x72\x00\x6b\x00\x62\x00\x6f\x00\x6f\x00\x6b",
        ),
        (0x04f4, b"\x02"),
        (0x04f9, b"\x98"),
        (0x0762, b"\x72"),
        (0x07f0, b"\x1e"),
        (0x0812, b"\x1e"),
        (0x0834, b"\x1e"),
        (0x089a, b"\x1e"),
        (0x08bc, b"\x1e"),
        (0x08de, b"\x1e"),
        (0x0900, b"\x1e"),
        (0x0922, b"\x1e"),
        (0x0944, b"\x1e"),
        (0x09aa, b"\x1e"),
        (0x09cc, b"\x1e"),
        (0x09ee, b"\x1e"),
        (0x0a10, b"\x1e"),
        (0x0a32, b"\x1e"),
        (0x0a54, b"\x1e"),
        (0x0a96, b"\x21"),
        (0x0abb, b"\x22"),
        (0x0ae1, b"\x27"),
        (0x0b0c, b"\x37"),
        (0x0b47, b"\x2e"),
        (0x0b79, b"\x3f"),
        (0x0bbc, b"\x36"),
        (0x0bf6, b"\x1a"),
        (0x0fd4, b"\x14"),
        (0x10ac, b"\x14"),
        (0x10c2, b"\x18\x00\x14"),
        (0x10cb, b"\xff"),
    ];
    let mut xls = vec![0u8; 41_984];
    for &(at, bytes) in runs {
        xls[at..at + bytes.len()].copy_from_slice(bytes);
    }
    let imported = import(&xls, SourceFormat::Xls);
    assert!(imported.form.is_none());
    assert!(imported.errors().next().is_some());
}

/// Found by the `xlsform_import` fuzz target in a 50-minute run: a 43 KB `.xls` whose few
/// cells lie far apart made calamine allocate a dense grid of 2.2 GB as it opened the file
/// (`Range::from_sparse`, `calamine-0.38.0/src/xls.rs:724`). The sheets' extents are now
/// bounded before calamine reads them.
#[test]
fn fuzz_xls_whose_cells_lie_far_apart_is_refused_before_calamine_reads_it() {
    let imported = import(
        include_bytes!("fuzz/xls-cells-far-apart.xls"),
        SourceFormat::Xls,
    );
    assert!(imported.form.is_none());
    let error = imported.errors().next().expect("an error").to_string();
    assert!(error.contains("cells, more than"), "{error}");
}

/// The same dense grid in an `.xlsx`: two cells at A1 and XFD1048576 would make calamine
/// allocate 550 GB, which aborts the process. Refused before calamine builds the grid.
#[test]
fn an_xlsx_whose_cells_lie_far_apart_is_refused_before_calamine_builds_its_grid() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let survey = workbook.add_worksheet();
    survey.set_name("survey").expect("a sheet name");
    survey.write_string(0, 0, "type").expect("a cell");
    survey
        .write_string(1_048_575, 16_383, "far")
        .expect("a cell");
    let bytes = workbook.save_to_buffer().expect("an xlsx");
    let imported = import(&bytes, SourceFormat::Xlsx);
    assert!(imported.form.is_none());
    let error = imported.errors().next().expect("an error").to_string();
    assert!(error.contains("cells, more than"), "{error}");
}

/// Found by the `xlsform_import` fuzz target's run after the fix above: a 23 KB `.xls`
/// whose Dimensions record declares a vast sheet made calamine reserve 155 GB for its cells
/// before reading any (`calamine-0.38.0/src/xls.rs:667`), which aborts the process. Such a
/// record is now rewritten to declare one cell before calamine reads the workbook (pyxform
/// reads files that declare formatted empty rows and columns), so the file's own cells are
/// read and judged: this one is refused for what its (fuzzed) header row says.
#[test]
fn fuzz_xls_that_declares_a_vast_sheet_is_read_without_reserving_it() {
    let imported = import(
        include_bytes!("fuzz/xls-huge-dimensions.xls"),
        SourceFormat::Xls,
    );
    assert!(imported.form.is_none());
    let errors: Vec<String> = imported.errors().map(ToString::to_string).collect();
    assert!(
        errors.iter().all(|e| !e.contains("cells, more than")),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("both give the relevant")),
        "{errors:#?}"
    );
}
