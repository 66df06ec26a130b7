//! What the benchmarks share: a phone enrolled in an association that syncs in process with
//! the sync server over a store, and the validator run until nothing waits. (Not an example
//! of its own: `examples/support/` has no `main.rs`.)

use letsema_doc::{AssociationId, DeviceId, SessionId, Writer};
use letsema_server::store::{FormCache, SharedStore};
use letsema_server::validator::validate_batch;
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::server::Server;
use letsema_sync::store::{Caller, Scope};

/// One enrolled phone.
pub struct Phone {
    pub writer: Writer,
    pub association: AssociationId,
    pub client: Client<MemoryClientStore>,
    caller: Caller,
}

impl Phone {
    /// The phone `device` of `association`.
    pub fn new(device: &str, association: &str) -> Phone {
        let device = DeviceId::parse(device).expect("a device id");
        let writer = Writer::new(
            device.clone(),
            SessionId::from_bytes(&[9; 16]).expect("16 bytes"),
            None,
        );
        let association = AssociationId::parse(association).expect("a code");
        Phone {
            client: Client::new(ClientConfig::new(writer.clone()), MemoryClientStore::new()),
            writer,
            caller: Caller {
                device: device.clone(),
                scope: Scope::Device(device),
                association: Some(association.clone()),
            },
            association,
        }
    }

    /// Syncs until nothing is left to send; every push must be accepted.
    pub fn sync(&mut self, store: &SharedStore) {
        let mut server = Server::default();
        self.client.start_sync();
        while let Some(request) = self.client.next_request().expect("a request") {
            let mut session = store.sync_store().expect("a sync session");
            let response = server.handle(&self.caller, &request, &mut session);
            drop(session);
            let progress = self.client.handle_response(&response).expect("an answer");
            assert!(progress.rejected.is_empty(), "{:?}", progress.rejected);
        }
    }
}

/// Runs the validator until nothing waits, saying how far it is on stderr; gives how many
/// it validated.
pub fn validate_everything(store: &SharedStore, cache: &mut FormCache) -> usize {
    let mut validated = 0;
    loop {
        let count = validate_batch(&**store, cache).expect("a validation pass");
        if count == 0 {
            break;
        }
        validated += count;
        eprint!("\r{validated} validated     ");
    }
    eprintln!();
    validated
}
