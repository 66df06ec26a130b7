//! The seed corpora in `fuzz/corpus/<target>/`, written from real pushes of reference-form
//! submissions, the reference form itself and the expression specification:
//!
//! ```text
//! LETSEMA_WRITE_SEEDS=1 cargo test --manifest-path fuzz/Cargo.toml --test seeds
//! ```
//!
//! rewrites them (they are deterministic: the same files come out every time); without the
//! variable, the test checks that the committed seeds are what the generator writes. The
//! other test runs every committed seed through its target's code, without libFuzzer.

use std::fs;
use std::path::{Path, PathBuf};

use letsema_doc::{DeviceId, SessionId, Writer};
use letsema_fuzz::apply::{self, RAW, header};
use letsema_protocol::sync::{PushResult, Request, Response, SyncRequest, WireLimits};
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::server::Server;
use letsema_sync::store::{Caller, MemoryServerStore, Scope};
use letsema_workload::{DIASPORA_START, diaspora, volunteer_phone};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};

/// The largest seed file.
const MAX_SEED_BYTES: usize = 20 * 1024;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn corpus(target: &str) -> PathBuf {
    root().join("corpus").join(target)
}

/// Replaces the seeds of `target` with `seeds` (name, bytes) when `LETSEMA_WRITE_SEEDS` is
/// set; otherwise checks that the committed seeds are exactly these.
fn write(target: &str, seeds: Vec<(String, Vec<u8>)>) {
    let dir = corpus(target);
    if std::env::var_os("LETSEMA_WRITE_SEEDS").is_none() {
        let mut committed: Vec<(String, Vec<u8>)> = fs::read_dir(&dir)
            .expect("the seeds are committed")
            .map(|entry| {
                let entry = entry.expect("an entry");
                let name = entry.file_name().to_string_lossy().into_owned();
                (name, fs::read(entry.path()).expect("readable"))
            })
            .collect();
        committed.sort();
        let mut generated = seeds;
        generated.sort();
        assert!(
            committed == generated,
            "fuzz/corpus/{target} is not what the generator writes: rewrite it with \
             LETSEMA_WRITE_SEEDS=1 cargo test --manifest-path fuzz/Cargo.toml --test seeds"
        );
        return;
    }
    if dir.exists() {
        fs::remove_dir_all(&dir).expect("old seeds removed");
    }
    fs::create_dir_all(&dir).expect("corpus folder");
    for (name, bytes) in seeds {
        assert!(
            bytes.len() <= MAX_SEED_BYTES,
            "{target}/{name} is {} bytes",
            bytes.len()
        );
        fs::write(dir.join(name), bytes).expect("seed written");
    }
}

/// Every request and response of a whole sync round of `client` as `caller`.
fn round(
    client: &mut Client<MemoryClientStore>,
    caller: &Caller,
    server: &mut Server,
    store: &mut MemoryServerStore,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut exchanged = Vec::new();
    while let Some(request) = client.next_request().expect("a request") {
        let response = server.handle(caller, &request, store);
        client.handle_response(&response).expect("a response");
        exchanged.push((request, response));
        assert!(exchanged.len() < 50, "the round ends");
    }
    exchanged
}

fn phone_caller(writer: &Writer) -> Caller {
    Caller {
        device: writer.device.clone(),
        scope: Scope::Device(writer.device.clone()),
        association: None,
    }
}

/// Real frames: a phone pushing four reference-form submissions, an edit, staff pulling
/// them, a repair, an error.
fn sync_frames() -> Vec<(String, Vec<u8>)> {
    let mut frames = Vec::new();
    let mut server = Server::default();
    let mut store = MemoryServerStore::new(0x5eed);

    let writer = volunteer_phone(3).expect("a phone");
    let caller = phone_caller(&writer);
    let mut phone = Client::new(ClientConfig::new(writer), MemoryClientStore::new());
    let mut docs = diaspora(4, 3).expect("submissions");
    for doc in &mut docs {
        phone.save_document(doc).expect("saved");
    }
    phone.start_sync();
    for (n, (request, response)) in round(&mut phone, &caller, &mut server, &mut store)
        .into_iter()
        .enumerate()
    {
        frames.push((format!("push-{n}-request"), request));
        frames.push((format!("push-{n}-response"), response));
    }

    // An edit, pushed as raw chunks after the compact first push.
    let mut generator = letsema_workload::Generator::new(3);
    let edited = docs
        .iter_mut()
        .find(|doc| doc.answer("consent") == Some(letsema_doc::Answer::value("yes")))
        .expect("a consenting member");
    generator
        .edit_one_field(edited, letsema_doc::Timestamp(DIASPORA_START.0 + 3_600_000))
        .expect("an edit");
    phone.save_document(edited).expect("saved");
    phone.start_sync();
    for (n, (request, response)) in round(&mut phone, &caller, &mut server, &mut store)
        .into_iter()
        .enumerate()
    {
        frames.push((format!("edit-{n}-request"), request));
        frames.push((format!("edit-{n}-response"), response));
    }

    // Staff pull everything: pull pages full of changes.
    let staff_writer = Writer::new(
        DeviceId::parse("staff-1").expect("an id"),
        SessionId::from_bytes(&[1; 16]).expect("a session"),
        None,
    );
    let staff = Caller {
        device: staff_writer.device.clone(),
        scope: Scope::All,
        association: None,
    };
    let mut reviewer = Client::new(ClientConfig::new(staff_writer), MemoryClientStore::new());
    reviewer.start_sync();
    for (n, (request, response)) in round(&mut reviewer, &staff, &mut server, &mut store)
        .into_iter()
        .enumerate()
    {
        frames.push((format!("pull-{n}-request"), request));
        frames.push((format!("pull-{n}-response"), response));
    }

    // A phone that lost its storage repairs: summaries and a fetch.
    let mut restored = Client::new(
        ClientConfig::new(volunteer_phone(3).expect("a phone")),
        MemoryClientStore::new(),
    );
    restored.start_repair();
    for (n, (request, response)) in round(&mut restored, &caller, &mut server, &mut store)
        .into_iter()
        .enumerate()
    {
        frames.push((format!("repair-{n}-request"), request));
        frames.push((format!("repair-{n}-response"), response));
    }

    frames.push((
        "error-response".to_owned(),
        server.handle(&caller, b"LSY\x01garbage", &mut store),
    ));
    frames
}

/// One record of the structured mode with no mutation.
fn plain(header_byte: u8) -> Vec<u8> {
    vec![header_byte, 0]
}

/// Inputs of `server_apply`: the real push's frames raw, and structured pushes of the
/// fixture's templates.
fn apply_inputs() -> Vec<(String, Vec<u8>)> {
    let fixture = apply::fixture();
    let mut inputs = Vec::new();
    for (n, frame) in fixture.frames.iter().step_by(2).enumerate() {
        let mut input = vec![RAW];
        input.extend_from_slice(frame);
        inputs.push((format!("raw-push-{n}"), input));
    }
    let structured = 1u8;
    let record = |doc, compact, source, fix, end, alternative| {
        header(doc, compact, source, fix, end, alternative)
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "edit-chunks",
            plain(record(3, false, 1, false, false, false)),
        ),
        (
            "edit-compact",
            plain(record(3, true, 1, false, false, false)),
        ),
        (
            "same-doc-twice-in-one-request",
            [
                plain(record(3, false, 1, false, false, false)),
                plain(record(3, false, 1, false, false, true)),
            ]
            .concat(),
        ),
        (
            "edit-then-edit2-two-requests",
            [
                plain(record(3, true, 1, false, true, false)),
                plain(record(3, true, 1, false, false, true)),
            ]
            .concat(),
        ),
        (
            "edit2-alone",
            plain(record(3, false, 1, false, false, true)),
        ),
        (
            "new-chunks",
            plain(record(3, false, 2, false, false, false)),
        ),
        (
            "new-compact",
            plain(record(3, true, 2, false, false, false)),
        ),
        (
            "new-and-new2-and-edit",
            [
                plain(record(3, true, 2, false, false, false)),
                plain(record(3, true, 2, false, false, true)),
                plain(record(3, false, 1, false, false, false)),
            ]
            .concat(),
        ),
        (
            "resend-committed",
            plain(record(0, false, 3, false, false, false)),
        ),
        (
            "foreign-edit",
            plain(record(3, false, 3, false, false, true)),
        ),
        (
            "edit-under-new-id",
            plain(record(1, false, 1, false, false, false)),
        ),
        (
            "edit-one-byte-set-checksum-fixed",
            [
                vec![record(3, false, 1, true, false, false), 1],
                vec![0, 40, 0, 0x17],
            ]
            .concat(),
        ),
        (
            "edit-truncated",
            [
                vec![record(3, false, 1, false, false, false), 1],
                vec![4, 60, 0, 0],
            ]
            .concat(),
        ),
        (
            "edit-compact-byte-flipped",
            [
                vec![record(3, true, 1, false, false, false), 1],
                vec![1, 12, 0, 0x01],
            ]
            .concat(),
        ),
        (
            "literal-garbage-with-own-id",
            [
                vec![record(2, false, 0, true, false, false)],
                fixture.committed.0.to_vec(),
                vec![12, 0],
                vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1, 2, 0, 0],
            ]
            .concat(),
        ),
    ];
    for (name, body) in cases {
        let mut input = vec![structured];
        input.extend(body);
        inputs.push((name.to_owned(), input));
    }
    // Bit 2 of the first byte: the committed submission is already in the store's cache.
    let cached = structured | 4;
    inputs.push((
        "edit-chunks-cached".to_owned(),
        [
            vec![cached],
            plain(record(3, false, 1, false, false, false)),
        ]
        .concat(),
    ));
    inputs
}

/// Small forms in pyxform's markdown layout.
const SMALL_FORMS: &[(&str, &str)] = &[
    (
        "basic",
        "\
| survey |
| | type    | name | label      | required | constraint |
| | text    | name | Your name? | yes      |            |
| | integer | age  | Your age?  |          | . >= 0     |
| settings |
| | form_title | form_id | version |
| | Basic      | basic   | 1       |
",
    ),
    (
        "choices",
        "\
| survey |
| | type               | name    | label    | choice_filter        | relevant            |
| | select_one country | country | Country? |                      |                     |
| | select_one region  | region  | Region?  | country = ${country} | ${country} != ''    |
| | select_multiple l  | langs   | Langs?   |                      |                     |
| choices |
| | list_name | name    | label        | country |
| | country   | za      | South Africa |         |
| | country   | bw      | Botswana     |         |
| | region    | gauteng | Gauteng      | za      |
| | l         | st      | Sesotho      |         |
| | l         | en      | English      |         |
",
    ),
    (
        "repeat",
        "\
| survey |
| | type         | name   | label     | appearance | repeat_count | calculation       |
| | integer      | n      | How many? |            |              |                   |
| | begin group  | person | Person    | field-list |              |                   |
| | begin repeat | child  | Child     |            | ${n}         |                   |
| | text         | cname  | Name      |            |              |                   |
| | calculate    | pos    |           |            |              | position(..)      |
| | end repeat   |        |           |            |              |                   |
| | end group    |        |           |            |              |                   |
| | calculate    | total  |           |            |              | count(${child})   |
",
    ),
    (
        "errors",
        "\
| survey |
| | type        | name | label | relevant     |
| | textt       | a    | A     |              |
| | text        | b    | B     | ${missing} = |
| | text        | b    | B2    |              |
| | begin group | g    | G     |              |
",
    ),
];

/// The cells of a markdown form, sheet by sheet (as the `md_to_xlsx` example reads them).
fn sheets(markdown: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let mut sheets: Vec<(String, Vec<Vec<String>>)> = Vec::new();
    for cells in markdown
        .lines()
        .filter_map(letsema_xlsform::markdown_table_cells)
    {
        let Some((first, rest)) = cells.split_first() else {
            continue;
        };
        if !first.is_empty() {
            sheets.push((first.clone(), Vec::new()));
        }
        if let Some((_, rows)) = sheets.last_mut()
            && rest.iter().any(|cell| !cell.is_empty())
        {
            rows.push(rest.to_vec());
        }
    }
    sheets
}

fn xlsx(markdown: &str) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(2026, 1, 1).expect("a date");
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    for (name, rows) in sheets(markdown) {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name).expect("a sheet name");
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    sheet
                        .write_string(r as u32, c as u16, cell)
                        .expect("a cell");
                }
            }
        }
    }
    workbook.save_to_buffer().expect("a workbook")
}

/// pyxform's CSV layout: `sheet,,,` then the sheet's rows after an empty first cell.
fn csv(markdown: &str) -> Vec<u8> {
    let quote = |cell: &str| {
        if cell.contains([',', '"', '\n']) {
            format!("\"{}\"", cell.replace('"', "\"\""))
        } else {
            cell.to_owned()
        }
    };
    let mut out = String::new();
    for (name, rows) in sheets(markdown) {
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        out.push_str(&quote(&name));
        out.push_str(&",".repeat(width));
        out.push('\n');
        for row in rows {
            out.push(',');
            out.push_str(&row.iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
    }
    out.into_bytes()
}

fn prefixed(kind: u8, bytes: &[u8]) -> Vec<u8> {
    let mut input = vec![kind];
    input.extend_from_slice(bytes);
    input
}

/// Inputs of `xlsform_import`: the first byte is the format (0 xlsx, 1 xls, 2 csv,
/// 3 markdown).
fn xlsform_inputs() -> Vec<(String, Vec<u8>)> {
    let examples = root().join("../examples/forms");
    let md = fs::read(examples.join("diaspora_registration.md")).expect("the reference form");
    let xlsx_file =
        fs::read(examples.join("diaspora_registration.xlsx")).expect("the reference workbook");
    let md_text = String::from_utf8(md.clone()).expect("UTF-8");
    let mut inputs = vec![
        ("reference.xlsx".to_owned(), prefixed(0, &xlsx_file)),
        ("reference.md".to_owned(), prefixed(3, &md)),
        ("reference.csv".to_owned(), prefixed(2, &csv(&md_text))),
        // The workbook read as an old Excel file: the BIFF reader's refusal.
        ("reference-as-xls".to_owned(), prefixed(1, &xlsx_file)),
    ];
    for (name, form) in SMALL_FORMS {
        inputs.push((format!("{name}.md"), prefixed(3, form.as_bytes())));
        inputs.push((format!("{name}.csv"), prefixed(2, &csv(form))));
        inputs.push((format!("{name}.xlsx"), prefixed(0, &xlsx(form))));
    }
    inputs
}

/// The string literal that starts at `text` (after its opening quote), unescaped, and the
/// rest after its closing quote.
fn literal(text: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Some((out, &text[at + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                '\'' => out.push('\''),
                _ => return None,
            },
            c => out.push(c),
        }
    }
    None
}

/// Expressions of the language's specification (`crates/letsema-expr/tests/spec.rs`): the
/// first argument of its `check…` calls, every eleventh, those that parse.
fn expressions() -> Vec<(String, Vec<u8>)> {
    let spec = fs::read_to_string(root().join("../crates/letsema-expr/tests/spec.rs"))
        .expect("the expression specification");
    let mut found = Vec::new();
    let mut rest = spec.as_str();
    while let Some(at) = rest.find("check") {
        rest = &rest[at + 5..];
        let Some(open) = rest.find('(') else { break };
        let call = &rest[open + 1..];
        let Some(comma) = call.find(',') else { break };
        let args = call[comma + 1..].trim_start();
        if !call[..comma].trim_start().starts_with('&') {
            continue;
        }
        if let Some(body) = args.strip_prefix('"')
            && let Some((source, _)) = literal(body)
            && letsema_expr::parse(&source).is_ok()
            && !found.contains(&source)
        {
            found.push(source);
        }
    }
    assert!(found.len() > 300, "only {} expressions found", found.len());
    found
        .into_iter()
        .step_by(11)
        .enumerate()
        .map(|(n, source)| (format!("spec-{n:02}"), source.into_bytes()))
        .collect()
}

#[test]
fn the_committed_seeds_are_what_the_generator_writes() {
    let frames = sync_frames();
    // Valid requests only would give `sync_frame` nothing to decode as responses.
    assert!(frames.iter().any(|(name, _)| name.ends_with("response")));
    write("sync_frame", frames);
    write("server_apply", apply_inputs());
    write("xlsform_import", xlsform_inputs());
    write("expr", expressions());
}

fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = fs::read_dir(corpus(target))
        .expect("the seeds are committed")
        .map(|entry| {
            let path = entry.expect("an entry").path();
            let bytes = fs::read(&path).expect("readable");
            (path, bytes)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds for {target}");
    files
}

/// The committed seeds are what the targets expect: frames decode, pushes commit, forms
/// import, expressions parse.
#[test]
fn the_committed_seeds_reach_past_the_first_checks() {
    let limits = WireLimits::default();
    for (path, bytes) in seeds("sync_frame") {
        let name = path.display();
        assert!(
            Request::decode(&bytes, &limits).is_ok() || Response::decode(&bytes, &limits).is_ok(),
            "{name} decodes"
        );
    }
    let fixture = apply::fixture();
    for (path, bytes) in seeds("server_apply") {
        let frames = apply::frames(fixture, &bytes);
        assert!(!frames.is_empty(), "{} makes requests", path.display());
        apply::run(&bytes);
        for frame in frames {
            assert!(
                matches!(
                    Request::decode(&frame, &limits),
                    Ok(Request::Sync(SyncRequest { .. }))
                ),
                "{} makes sync requests",
                path.display()
            );
        }
    }
    // The templates' pushes are accepted as they are.
    for name in [
        "edit-chunks",
        "edit-chunks-cached",
        "edit-compact",
        "edit-then-edit2-two-requests",
        "new-chunks",
        "new-compact",
        "new-and-new2-and-edit",
        "resend-committed",
    ] {
        let input = fs::read(corpus("server_apply").join(name)).expect("a seed");
        let mut store = fixture.store.clone();
        let mut server = Server::default();
        for frame in apply::frames(fixture, &input) {
            let response = server.handle(&fixture.caller, &frame, &mut store);
            let Ok(Response::Sync(response)) = Response::decode(&response, &limits) else {
                panic!("{name}: a sync response");
            };
            for result in &response.push {
                assert!(
                    matches!(result, PushResult::Committed { .. }),
                    "{name}: {result:?}"
                );
            }
        }
    }
    for name in ["foreign-edit", "edit-under-new-id", "edit2-alone"] {
        let input = fs::read(corpus("server_apply").join(name)).expect("a seed");
        let mut store = fixture.store.clone();
        let frame = &apply::frames(fixture, &input)[0];
        let response = Server::default().handle(&fixture.caller, frame, &mut store);
        let Ok(Response::Sync(response)) = Response::decode(&response, &limits) else {
            panic!("{name}: a sync response");
        };
        assert!(
            matches!(response.push[0], PushResult::Rejected { .. }),
            "{name}: {:?}",
            response.push[0]
        );
    }
    for (path, bytes) in seeds("xlsform_import") {
        let format = match bytes[0] % 4 {
            0 => letsema_xlsform::SourceFormat::Xlsx,
            1 => letsema_xlsform::SourceFormat::Xls,
            2 => letsema_xlsform::SourceFormat::Csv,
            _ => letsema_xlsform::SourceFormat::Markdown,
        };
        let imported = letsema_xlsform::import(&bytes[1..], format);
        let name = path.display().to_string();
        let expected = !(name.contains("errors") || name.contains("as-xls"));
        assert_eq!(imported.form.is_some(), expected, "{name}");
    }
    for (path, bytes) in seeds("expr") {
        let source = String::from_utf8(bytes).expect("UTF-8");
        assert!(
            letsema_expr::parse(&source).is_ok(),
            "{} parses",
            path.display()
        );
    }
}
