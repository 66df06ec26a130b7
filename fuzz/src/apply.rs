//! The `server_apply` target: the server's whole apply path, from request bytes to the
//! stored documents, against a store that already holds one committed submission.
//!
//! # The input
//!
//! The first byte chooses the mode. When it is 0 mod 4 the rest is one request frame,
//! handed to `Server::handle` as it is ([`RAW`]). Otherwise the rest is read as records,
//! each one pushed document, turned into `Request::Sync` frames. Whatever the mode, bit 2
//! of the first byte puts the committed submission in the store's cache beforehand (the
//! server then skips loading it), as a running server's cache would hold it:
//!
//! ```text
//! record = header [doc id: 16 bytes, if header & 3 == 2] payload
//! header bits 0-1  the document id: 0 the committed submission's, 1 the new template's,
//!                  2 the 16 bytes that follow, 3 the id of the template used
//!        bit  2    encoding: 0 Chunks, 1 Compact (a template's compact run; its raw
//!                  chunks when it has none)
//!        bits 3-4  source: 0 literal bytes, 1 an edit of the committed submission,
//!                  2 a new submission, 3 the committed submission itself (sent again)
//!        bit  5    recompute every chunk checksum after the mutations, as a forger would
//!        bit  6    this record ends its request; the next record starts another
//!        bit  7    the other template of its source: the second edit (after the first),
//!                  the second new submission, the first edit forged with another
//!                  device's writer
//! payload (source 0)  u16 length (little-endian), then that many bytes
//! payload (other)     u8 count (mod 16), then count mutations of 4 bytes:
//!                     op, position (u16, little-endian), value;
//!                     op & 7: 0 set, 1 xor, 2 insert, 3 remove, 4 truncate, 5-7 set
//! ```
//!
//! A request holds at most [`MAX_DOCS`] documents, an input at most [`MAX_REQUESTS`]
//! requests. After each request, every stored document must load and have the heads the
//! store records ([`check_store`]), and the committed submission must still be stored.

use std::sync::OnceLock;

use letsema_doc::{Answer, DeviceId, SessionId, SubmissionDoc, Writer};
use letsema_forge::fix_checksums;
use letsema_protocol::sync::{
    ChangeEncoding, ChangeHash, DocChanges, DocId, Request, Response, SyncRequest, WireLimits,
};
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::server::Server;
use letsema_sync::store::{Caller, MemoryServerStore, Scope, ServerStore, StoredDoc};
use letsema_workload::{DIASPORA_START, Generator, volunteer_phone};

/// The most documents one request of the structured mode carries.
pub const MAX_DOCS: usize = 8;
/// The most requests one input makes.
pub const MAX_REQUESTS: usize = 4;
/// The first byte of an input whose rest is a raw request frame.
pub const RAW: u8 = 0;
/// The workload seed of the fixture's phone (`phone-7`).
const SEED: u64 = 7;

/// A template: a document's changes as a phone would push them.
#[derive(Debug, Clone)]
pub struct Template {
    /// The document.
    pub doc: DocId,
    /// Its changes as raw chunks.
    pub chunks: Vec<u8>,
    /// Its changes as a compact run, when they have one.
    pub compact: Option<Vec<u8>>,
}

impl Template {
    fn of(doc: &mut SubmissionDoc, after: &[ChangeHash]) -> Template {
        Template {
            doc: DocId::from(&doc.meta().submission_id),
            chunks: doc.changes_after(after),
            compact: doc.compact_changes_after(after),
        }
    }

    fn bytes(&self, encoding: ChangeEncoding) -> &[u8] {
        match (encoding, &self.compact) {
            (ChangeEncoding::Compact, Some(compact)) => compact,
            _ => &self.chunks,
        }
    }
}

/// The store and templates every input starts from, built once.
#[derive(Debug)]
pub struct Fixture {
    /// The phone that created the committed submission.
    pub caller: Caller,
    /// A store holding that one submission, committed through the server.
    pub store: MemoryServerStore,
    /// Its id.
    pub committed: DocId,
    /// The frames of the real push that committed it: the client's requests and the
    /// server's responses, in order.
    pub frames: Vec<Vec<u8>>,
    /// The committed submission's changes, as pushed.
    pub full: Template,
    /// An edit of the committed submission by its phone.
    pub edit: Template,
    /// A second edit, after the first.
    pub edit2: Template,
    /// The first edit as another device would have to write it (a foreign actor).
    pub foreign: Template,
    /// A new submission of the same phone.
    pub new: Template,
    /// Another new submission of the same phone.
    pub new2: Template,
    /// The committed submission, loaded from the store.
    pub loaded: SubmissionDoc,
}

impl Fixture {
    /// The committed submission as stored.
    pub fn stored(&self) -> StoredDoc {
        match self.store.load(self.committed) {
            Ok(Some(stored)) => stored,
            _ => panic!("the fixture's submission is stored"),
        }
    }
}

/// The fixture, built on first use.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build)
}

fn build() -> Fixture {
    let writer = volunteer_phone(SEED).expect("the workload's phone");
    let device = writer.device.clone();
    let caller = Caller {
        device: device.clone(),
        scope: Scope::Device(device),
        association: None,
    };
    let mut generator = Generator::new(SEED);
    // Members who consented: their submissions have fields to edit.
    let mut docs: Vec<SubmissionDoc> = generator
        .submissions(12, &writer, DIASPORA_START)
        .expect("the workload's submissions")
        .into_iter()
        .filter(|doc| doc.answer("consent") == Some(Answer::value("yes")))
        .take(3)
        .collect();
    assert_eq!(
        docs.len(),
        3,
        "three consenting members in the first twelve"
    );

    // The committed submission, pushed by the real client.
    let mut store = MemoryServerStore::new(1);
    let mut server = Server::default();
    let mut client = Client::new(ClientConfig::new(writer.clone()), MemoryClientStore::new());
    let committed = client.save_document(&mut docs[0]).expect("saved");
    let mut frames = Vec::new();
    client.start_sync();
    while let Some(request) = client.next_request().expect("a request") {
        let response = server.handle(&caller, &request, &mut store);
        client.handle_response(&response).expect("a response");
        frames.push(request);
        frames.push(response);
        assert!(frames.len() < 100, "the push ends");
    }
    assert_eq!(
        store.doc_ids(),
        vec![committed],
        "the submission is committed"
    );
    check_store(&store, committed);

    let at = |minutes: i64| letsema_doc::Timestamp(DIASPORA_START.0 + minutes * 60_000);
    let committed_heads = docs[0].heads();
    let full = Template::of(&mut docs[0], &[]);
    let mut other = docs[0].fork(Writer::new(
        DeviceId::parse("phone-other").expect("an id"),
        SessionId::from_bytes(&[9; 16]).expect("a session"),
        None,
    ));
    generator
        .edit_one_field(&mut docs[0], at(600))
        .expect("an edit");
    let edit = Template::of(&mut docs[0], &committed_heads);
    let edit_heads = docs[0].heads();
    generator
        .edit_one_field(&mut docs[0], at(601))
        .expect("an edit");
    let edit2 = Template::of(&mut docs[0], &edit_heads);
    generator
        .edit_one_field(&mut other, at(602))
        .expect("an edit");
    let foreign = Template::of(&mut other, &committed_heads);
    let new = Template::of(&mut docs[1], &[]);
    let new2 = Template::of(&mut docs[2], &[]);
    let loaded = match store.load(committed) {
        Ok(Some(stored)) => SubmissionDoc::load(&stored.bytes, reader()).expect("it loads"),
        _ => panic!("the submission is stored"),
    };
    Fixture {
        caller,
        store,
        committed,
        frames,
        full,
        edit,
        edit2,
        foreign,
        new,
        new2,
        loaded,
    }
}

/// Runs one input (see the module's documentation) and checks the store after each request.
pub fn run(input: &[u8]) {
    let fixture = fixture();
    // A copy of the durable state, with an empty cache: the server loads the committed
    // submission from its bytes. With bit 2 of the first byte, the copy's cache already
    // holds it, loaded, as a running server's would.
    let mut store = fixture.store.clone();
    if input.first().is_some_and(|mode| mode & 4 != 0) {
        let stored = fixture.stored();
        store.remember(
            fixture.committed,
            &stored.heads,
            fixture.loaded.clone(),
            stored.bytes.len(),
        );
    }
    let mut server = Server::default();
    for frame in frames(fixture, input) {
        let commits = store.commits();
        let response = server.handle(&fixture.caller, &frame, &mut store);
        if let Err(error) = Response::decode(&response, &WireLimits::default()) {
            panic!("the server's response does not decode: {error}");
        }
        // Only a commit writes: without one the store is as it was, and was checked.
        if store.commits() != commits {
            check_store(&store, fixture.committed);
        }
    }
}

/// The request frames an input stands for.
pub fn frames(fixture: &Fixture, input: &[u8]) -> Vec<Vec<u8>> {
    let Some((&mode, rest)) = input.split_first() else {
        return Vec::new();
    };
    if mode % 4 == RAW {
        return vec![rest.to_vec()];
    }
    let mut reader = Reader(rest);
    let mut requests: Vec<Vec<DocChanges>> = Vec::new();
    let mut push = Vec::new();
    while let Some(header) = reader.byte() {
        let Some(doc) = record(fixture, header, &mut reader) else {
            break;
        };
        push.push(doc);
        if header & 0x40 != 0 || push.len() == MAX_DOCS {
            requests.push(std::mem::take(&mut push));
            if requests.len() == MAX_REQUESTS {
                break;
            }
        }
    }
    if !push.is_empty() && requests.len() < MAX_REQUESTS {
        requests.push(push);
    }
    requests
        .into_iter()
        .enumerate()
        .map(|(n, push)| {
            Request::Sync(SyncRequest {
                request_id: n as u64 + 1,
                push,
                pull: None,
            })
            .encode()
        })
        .collect()
}

fn record(fixture: &Fixture, header: u8, reader: &mut Reader<'_>) -> Option<DocChanges> {
    let own_id = match header & 3 {
        0 => Some(fixture.committed),
        1 => Some(fixture.new.doc),
        2 => Some(DocId(reader.take(16)?.try_into().ok()?)),
        _ => None,
    };
    let encoding = if header & 4 == 0 {
        ChangeEncoding::Chunks
    } else {
        ChangeEncoding::Compact
    };
    let alternative = header & 0x80 != 0;
    let template = match ((header >> 3) & 3, alternative) {
        (0, _) => None,
        (1, false) => Some(&fixture.edit),
        (1, true) => Some(&fixture.edit2),
        (2, false) => Some(&fixture.new),
        (2, true) => Some(&fixture.new2),
        (_, false) => Some(&fixture.full),
        (_, true) => Some(&fixture.foreign),
    };
    let mut changes = match template {
        None => {
            let length = u16::from_le_bytes(reader.take(2)?.try_into().ok()?);
            reader.take_up_to(usize::from(length)).to_vec()
        }
        Some(template) => {
            let mut bytes = template.bytes(encoding).to_vec();
            for _ in 0..reader.byte()? % 16 {
                let [op, low, high, value] = reader.take(4)?.try_into().ok()?;
                mutate(
                    &mut bytes,
                    op,
                    usize::from(u16::from_le_bytes([low, high])),
                    value,
                );
            }
            bytes
        }
    };
    if header & 0x20 != 0 {
        fix_checksums(&mut changes);
    }
    let doc = own_id
        .or(template.map(|template| template.doc))
        .unwrap_or(fixture.committed);
    Some(DocChanges {
        doc,
        encoding,
        changes,
    })
}

fn mutate(bytes: &mut Vec<u8>, op: u8, position: usize, value: u8) {
    let len = bytes.len();
    match op & 7 {
        2 => bytes.insert(position % (len + 1), value),
        4 => bytes.truncate(position % (len + 1)),
        _ if len == 0 => {}
        1 => bytes[position % len] ^= value,
        3 => {
            bytes.remove(position % len);
        }
        _ => bytes[position % len] = value,
    }
}

/// No push may destroy a submission: every stored document loads, with the heads the store
/// records, and the committed one is still there.
pub fn check_store(store: &MemoryServerStore, committed: DocId) {
    let ids = store.doc_ids();
    assert!(
        ids.contains(&committed),
        "the committed submission {committed} is gone"
    );
    let reader = reader();
    for id in ids {
        let stored = match store.load(id) {
            Ok(Some(stored)) => stored,
            Ok(None) => panic!("{id} is listed but not stored"),
            Err(error) => panic!("{id} cannot be read from the memory store: {error}"),
        };
        let mut doc = match SubmissionDoc::load(&stored.bytes, reader.clone()) {
            Ok(doc) => doc,
            Err(error) => panic!("the stored submission {id} no longer loads: {error}"),
        };
        let mut heads = doc.heads();
        heads.sort_unstable();
        assert_eq!(
            heads, stored.heads,
            "the stored submission {id} has other heads than the store records"
        );
    }
}

/// Who opens stored documents to check them.
fn reader() -> Writer {
    Writer::new(
        DeviceId::parse("fuzz-reader").expect("an id"),
        SessionId::from_bytes(&[7; 16]).expect("a session"),
        None,
    )
}

/// Reads an input from the front.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(taken)
    }

    fn take_up_to(&mut self, n: usize) -> &'a [u8] {
        let (taken, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        taken
    }
}

/// A record's header, for writing seeds: `doc` (0-3), `compact`, `source` (0-3),
/// `fix_checksums`, `end_request`, `alternative`.
pub fn header(
    doc: u8,
    compact: bool,
    source: u8,
    fix_checksums: bool,
    end_request: bool,
    alternative: bool,
) -> u8 {
    (doc & 3)
        | u8::from(compact) << 2
        | (source & 3) << 3
        | u8::from(fix_checksums) << 5
        | u8::from(end_request) << 6
        | u8::from(alternative) << 7
}
