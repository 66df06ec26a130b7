//! A register of submissions for the export and OData tests: two submissions in
//! `assoc-a` (one of each test version of `diaspora_registration`, the first with two
//! children and a reviewer's comment) and one in `assoc-b`, synced by phones as a volunteer's
//! would be.

use letsema_doc::{
    Answer, Answers, DeviceId, FormId, FormVersion, NewSubmission, SessionId, SubmissionDoc,
    SubmissionId, Timestamp, Writer,
};
use letsema_protocol::sync::DocId;
use letsema_server::store::publish_file;
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use warp::http::StatusCode;

use super::forms::{VERSION_1, VERSION_2};
use super::{EnrolledDevice, Fixture};

/// 2026-05-28, 20:26:40 UTC.
pub const T0: i64 = 1_780_000_000_000;

/// The version of the reference form (`diaspora_registration`) the fixture publishes.
pub fn reference_version(f: &Fixture) -> String {
    f.state
        .store
        .published_forms()
        .expect("forms")
        .into_iter()
        .find(|form| form.form_id == "diaspora_registration")
        .expect("the reference form")
        .version
}

/// A phone of an association, with its sync client.
pub struct Phone {
    device: EnrolledDevice,
    writer: Writer,
    client: Client<MemoryClientStore>,
}

impl Phone {
    pub async fn enrol(f: &Fixture, association: &str) -> Phone {
        let device = f.enrol(association).await;
        let writer = Writer::new(
            DeviceId::parse(&device.id).expect("a device id"),
            SessionId::from_bytes(&[7; 16]).expect("16 bytes"),
            None,
        );
        Phone {
            client: Client::new(ClientConfig::new(writer.clone()), MemoryClientStore::new()),
            writer,
            device,
        }
    }

    /// Saves a submission of `version` made at `at` with `answers`; gives its id.
    pub fn capture(&mut self, version: &str, at: i64, answers: &Answers) -> String {
        let new = NewSubmission {
            submission_id: SubmissionId::new_v7(Timestamp(at), [at.to_le_bytes()[0]; 16]),
            form_id: FormId::parse("diaspora_registration").expect("a form id"),
            form_version: FormVersion::parse(version).expect("a version"),
            association: Some(self.device.association.clone()),
        };
        let mut doc =
            SubmissionDoc::create(new, self.writer.clone(), Timestamp(at)).expect("created");
        doc.set_answers(answers, Timestamp(at)).expect("answered");
        self.client
            .save_document(&mut doc)
            .expect("saved")
            .to_string()
    }

    /// Changes the answers of submission `id` at `at`, as a volunteer correcting it would.
    pub fn change(&mut self, id: &str, at: i64, answers: &Answers) {
        let mut doc = self.open(id);
        doc.set_answers(answers, Timestamp(at)).expect("answered");
        self.client.save_document(&mut doc).expect("saved");
    }

    /// Withdraws submission `id` at `at`.
    pub fn withdraw(&mut self, id: &str, at: i64) {
        let mut doc = self.open(id);
        doc.set_withdrawn(true, Timestamp(at)).expect("withdrawn");
        self.client.save_document(&mut doc).expect("saved");
    }

    /// The review of submission `id` as this phone has it.
    pub fn review(&self, id: &str) -> letsema_doc::Review {
        self.open(id).review()
    }

    fn open(&self, id: &str) -> SubmissionDoc {
        let id = SubmissionId::parse(id).expect("a submission id");
        self.client
            .open_document(DocId::from(&id))
            .expect("opened")
            .expect("on this phone")
    }

    pub async fn sync(&mut self, f: &Fixture) {
        f.sync_phone(&self.device.credential, &mut self.client)
            .await;
    }
}

/// Two submissions in assoc-a (one of each version, the first with two children and a
/// reviewer's comment) and one in assoc-b; gives the ids of the first two.
pub async fn register(f: &Fixture) -> (String, String) {
    let store = &*f.state.store;
    publish_file(store, "v1.md", VERSION_1.as_bytes(), "a test").expect("version 1");
    publish_file(store, "v2.md", VERSION_2.as_bytes(), "a test").expect("version 2");
    let mut phone = Phone::enrol(f, "assoc-a").await;
    let first = phone.capture(
        "test-1",
        T0,
        &Answers::new()
            .with("full_name", "Tšepo \"Tš\" Mokhothu, Jr.\nMaseru")
            .with("age", "34")
            .with("consent", "yes")
            .with(
                "children",
                vec![
                    Answers::new()
                        .with("child_name", "Lerato")
                        .with("child_age", "5"),
                    Answers::new()
                        .with("child_name", "Neo")
                        .with("child_age", "2"),
                ],
            ),
    );
    let second = phone.capture(
        "test-2",
        T0 + 60_000,
        &Answers::new()
            .with("full_name", "Mpho")
            .with("height", "1.72")
            .with("birth_date", "1990-02-03")
            .with("consent", "no")
            .with("languages", Answer::multiple(["st", "en"])),
    );
    phone.sync(f).await;
    let mut other = Phone::enrol(f, "assoc-b").await;
    other.capture(
        "test-2",
        T0 + 120_000,
        &Answers::new().with("full_name", "Palesa"),
    );
    other.sync(f).await;
    f.validate_all();
    let admin = f.staff("admin@example.org").await;
    let (status, body) = f
        .send(
            "POST",
            &format!("/api/submissions/{first}/review"),
            Some(&admin),
            Some(serde_json::json!({"status": "has_issues", "comment": "check the age"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    f.validate_all();
    (first, second)
}
