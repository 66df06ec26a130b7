//! Helpers shared by the specification tests: devices, submissions, and a loop that carries
//! requests to the server and answers back, counting bytes.
#![allow(dead_code)]

use std::sync::Once;

use letsema_doc::*;
use letsema_sync::client::{Client, ClientConfig, Progress};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::server::Server;
use letsema_sync::store::{Caller, MemoryServerStore, Scope};
use letsema_sync::wire::DocId;

/// Milliseconds since the epoch, offset from a fixed day.
pub fn t(offset: i64) -> Timestamp {
    Timestamp(1_750_000_000_000 + offset)
}

pub fn device(name: &str) -> DeviceId {
    DeviceId::parse(name).expect("test device id")
}

pub fn writer(name: &str, session: u8) -> Writer {
    Writer::new(
        device(name),
        SessionId::from_bytes(&[session; 16]).expect("test session"),
        Some(UserId::parse(&format!("{name}-user")).expect("test user")),
    )
}

/// 16 well-spread bytes for submission `n` of `seed`.
pub fn id_bytes(seed: u64, n: u64) -> [u8; 16] {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ n.wrapping_add(1).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let mut bytes = [0; 16];
    for chunk in bytes.chunks_mut(8) {
        x ^= x >> 31;
        x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 29;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    bytes
}

/// A new registration with a handful of answers, written by `writer`.
pub fn submission(writer: &Writer, seed: u64, n: u64, association: Option<&str>) -> SubmissionDoc {
    let new = NewSubmission {
        submission_id: SubmissionId::from_random_bytes(id_bytes(seed, n)),
        form_id: FormId::parse("diaspora_registration").expect("form id"),
        form_version: FormVersion::parse("2025061001").expect("version"),
        association: association.map(|a| AssociationId::parse(a).expect("association")),
    };
    let mut doc = SubmissionDoc::create(new, writer.clone(), t(n as i64)).expect("create");
    let answers: Answers = serde_json::from_value(serde_json::json!({
        "consent": "yes",
        "first_name": format!("Name{n}"),
        "age": format!("{}", 20 + n % 50),
        "country": "za",
        "profession": "nurse",
        "citizenships": ["ls", "za"],
    }))
    .expect("answers");
    doc.set_answers(&answers, t(n as i64 + 1)).expect("answers");
    doc
}

/// A device: its client and the caller the HTTP layer would compute for it.
pub struct Device {
    pub client: Client<MemoryClientStore>,
    pub caller: Caller,
    pub writer: Writer,
}

impl Device {
    pub fn phone(name: &str) -> Device {
        Device::with_scope(name, Scope::Device(device(name)))
    }

    pub fn with_scope(name: &str, scope: Scope) -> Device {
        let writer = writer(name, 1);
        Device {
            client: Client::new(ClientConfig::new(writer.clone()), MemoryClientStore::new()),
            caller: Caller {
                device: device(name),
                scope,
                association: None,
            },
            writer,
        }
    }

    /// Creates `count` submissions and stores them; returns their ids.
    pub fn create(&mut self, seed: u64, count: u64, association: Option<&str>) -> Vec<DocId> {
        (0..count)
            .map(|n| {
                let mut doc = submission(&self.writer, seed, n, association);
                self.client.save_document(&mut doc).expect("save")
            })
            .collect()
    }

    /// Opens a stored document, applies `edit`, stores it.
    pub fn edit(&mut self, id: DocId, edit: impl FnOnce(&mut SubmissionDoc)) {
        let mut doc = self
            .client
            .open_document(id)
            .expect("open")
            .expect("stored");
        edit(&mut doc);
        self.client.save_document(&mut doc).expect("save");
    }

    /// Loses memory, keeps storage.
    pub fn restart(self) -> Device {
        let config = self.client.config().clone();
        Device {
            client: Client::new(config, self.client.into_store()),
            caller: self.caller,
            writer: self.writer,
        }
    }
}

/// Bytes and requests of one sync round.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Round {
    pub requests: usize,
    pub up: usize,
    pub down: usize,
    pub largest_up: usize,
    pub largest_down: usize,
    pub progress: Vec<Progress>,
}

impl Round {
    pub fn rejected(&self) -> usize {
        self.progress.iter().map(|p| p.rejected.len()).sum()
    }
}

/// Runs a whole sync round over a perfect network.
pub fn sync(device: &mut Device, server: &mut Server, store: &mut MemoryServerStore) -> Round {
    device.client.start_sync();
    let mut round = Round::default();
    while let Some(request) = device.client.next_request().expect("request") {
        assert!(round.requests < 1_000, "the sync does not end");
        let response = server.handle(&device.caller, &request, store);
        round.requests += 1;
        round.up += request.len();
        round.down += response.len();
        round.largest_up = round.largest_up.max(request.len());
        round.largest_down = round.largest_down.max(response.len());
        round
            .progress
            .push(device.client.handle_response(&response).expect("response"));
    }
    round
}

/// Keeps test output readable: panics raised and caught inside automerge are not printed.
pub fn quiet_dependency_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_dependency = info.location().is_some_and(|location| {
                let file = location.file();
                file.contains(".cargo/registry") || file.starts_with("/rustc/")
            });
            if !in_dependency {
                default(info);
            }
        }));
    });
}
