//! Measuring what sync costs on the wire: one device, the server, and the real codec, with
//! every request and response body counted. Shared by `tests/figures.rs` (the lasting claims,
//! in bytes) and `benches/diaspora.rs` (the diaspora-500 table, with time).
#![allow(dead_code)]

use std::time::{Duration, Instant};

use letsema_doc::{SubmissionDoc, Timestamp, Writer};
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::server::Server;
use letsema_sync::store::{Caller, MemoryServerStore, Scope};
use letsema_sync::wire::DocId;
use letsema_workload::{Generator, WorkloadError};

/// What one sync round cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Requests sent (each one HTTP POST).
    pub requests: usize,
    /// Request body bytes.
    pub up: usize,
    /// Response body bytes.
    pub down: usize,
    /// The largest request body.
    pub largest_up: usize,
    /// The largest response body.
    pub largest_down: usize,
    /// Wall time of the round, client and server together.
    pub elapsed: Duration,
    /// Of which in the server's `handle`.
    pub server: Duration,
}

/// One device syncing with one server, in memory.
pub struct Bench {
    pub client: Client<MemoryClientStore>,
    pub caller: Caller,
    pub server: Server,
    pub store: MemoryServerStore,
}

impl Bench {
    /// A device written by `writer` (scope: its own submissions) and an empty server.
    pub fn new(writer: &Writer) -> Bench {
        Bench {
            client: Client::new(ClientConfig::new(writer.clone()), MemoryClientStore::new()),
            caller: Caller {
                device: writer.device.clone(),
                scope: Scope::Device(writer.device.clone()),
                association: None,
            },
            server: Server::default(),
            store: MemoryServerStore::new(0x0d1a_5b0a_0000_0500),
        }
    }

    /// Stores `docs` on the device, as the app does when each form is finalised.
    pub fn hold(&mut self, docs: &mut [SubmissionDoc]) -> Vec<DocId> {
        docs.iter_mut()
            .map(|doc| {
                self.client
                    .save_document(doc)
                    .expect("the memory store saves")
            })
            .collect()
    }

    /// One whole sync round over a perfect network.
    pub fn sync(&mut self) -> Round {
        let started = Instant::now();
        let mut round = Round::default();
        self.client.start_sync();
        while let Some(request) = self.client.next_request().expect("a request") {
            assert!(round.requests < 10_000, "the sync does not end");
            let handling = Instant::now();
            let response = self.server.handle(&self.caller, &request, &mut self.store);
            round.server += handling.elapsed();
            round.requests += 1;
            round.up += request.len();
            round.down += response.len();
            round.largest_up = round.largest_up.max(request.len());
            round.largest_down = round.largest_down.max(response.len());
            let progress = self.client.handle_response(&response).expect("an answer");
            assert!(progress.rejected.is_empty(), "{:?}", progress.rejected);
        }
        round.elapsed = started.elapsed();
        assert!(self.client.unsynced().expect("unsynced").is_empty());
        round
    }

    /// Edits one field in every tenth stored document (the next one when a member declined
    /// consent and has nothing to edit); returns how many were edited.
    pub fn edit_tenth(&mut self, ids: &[DocId], seed: u64, at: Timestamp) -> usize {
        let mut editor = Generator::new(seed);
        let mut edited = 0;
        let mut index = 0;
        while index < ids.len() && edited < ids.len() / 10 {
            let mut doc = self
                .client
                .open_document(ids[index])
                .expect("opens")
                .expect("stored");
            match editor.edit_one_field(&mut doc, Timestamp(at.0 + index as i64 * 1_000)) {
                Ok(_) => {
                    self.client.save_document(&mut doc).expect("saves");
                    edited += 1;
                    index += 10;
                }
                Err(WorkloadError::NothingToEdit { .. }) => index += 1,
                Err(error) => panic!("the edit failed: {error}"),
            }
        }
        edited
    }
}
