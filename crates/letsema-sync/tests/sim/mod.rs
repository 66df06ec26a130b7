//! The world of the multi-device simulation: volunteers' phones, staff laptops, one server,
//! and a network of request and response messages in flight that the simulation delivers,
//! drops, duplicates and reorders at random.
//!
//! Everything random comes from one seeded PCG (actions) and the workload's own seeded
//! generator (submissions and edits), so a seed replays exactly.
#![allow(dead_code)]

pub mod oracle;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use letsema_doc::{
    Answer, DeviceId, FieldPath, FieldValue, Limits, ReviewStatus, SessionId, SubmissionDoc,
    Timestamp, UserId, Writer,
};
use letsema_sync::chunks::{ChunkLimits, change_chunks, parse_changes};
use letsema_sync::client::{Client, ClientConfig, ClientError};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::server::Server;
use letsema_sync::store::{Caller, MemoryServerStore, Scope, ServerStore, Snapshot};
use letsema_sync::wire::{ChangeHash, DocId, PushResult, Request, Response, WireLimits};
use letsema_workload::{DIASPORA_START, Generator, WorkloadError};
use rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use oracle::Write;

/// The shape of one run.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Random steps before healing.
    pub steps: usize,
    /// Volunteers' phones (scope: the device).
    pub volunteers: usize,
    /// Staff laptops (scope: everything), which review and edit.
    pub staff: usize,
}

impl Config {
    /// 50 devices: 47 phones and 3 staff laptops.
    pub fn with_steps(steps: usize) -> Config {
        Config {
            steps,
            volunteers: 47,
            staff: 3,
        }
    }
}

/// What happened in a run, for the summary line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub created: usize,
    pub edits: usize,
    pub conflict_pairs: usize,
    pub reviews: usize,
    pub resolved: usize,
    pub requests: usize,
    pub responses: usize,
    pub dropped: usize,
    pub duplicated: usize,
    pub device_restarts: usize,
    pub server_restarts: usize,
    pub failed_commits: usize,
    pub restores: usize,
    pub lost_by_restore: usize,
    pub repairs: usize,
    pub heal_passes: usize,
    pub conflicts_at_end: usize,
    pub acked_changes: usize,
}

impl Stats {
    pub fn add(&mut self, other: &Stats) {
        self.created += other.created;
        self.edits += other.edits;
        self.conflict_pairs += other.conflict_pairs;
        self.reviews += other.reviews;
        self.resolved += other.resolved;
        self.requests += other.requests;
        self.responses += other.responses;
        self.dropped += other.dropped;
        self.duplicated += other.duplicated;
        self.device_restarts += other.device_restarts;
        self.server_restarts += other.server_restarts;
        self.failed_commits += other.failed_commits;
        self.restores += other.restores;
        self.lost_by_restore += other.lost_by_restore;
        self.repairs += other.repairs;
        self.heal_passes = self.heal_passes.max(other.heal_passes);
        self.conflicts_at_end += other.conflicts_at_end;
        self.acked_changes += other.acked_changes;
    }
}

/// A phone or a laptop: its client (memory and storage), and its end of the network.
pub struct Device {
    pub name: String,
    pub staff: bool,
    pub caller: Caller,
    pub client: Client<MemoryClientStore>,
    index: usize,
    sessions: u32,
    online: bool,
    offline_until: usize,
    /// A sync round is under way: each answer is followed by the next request.
    syncing: bool,
    /// Requests on their way to the server.
    up: Vec<Vec<u8>>,
    /// Responses on their way back.
    down: Vec<Vec<u8>>,
}

impl Device {
    fn new(index: usize, staff: bool) -> Device {
        let name = if staff {
            format!("laptop-staff-{index}")
        } else {
            format!("phone-{index:02}")
        };
        let id = DeviceId::parse(&name).expect("a valid device id");
        let scope = if staff {
            Scope::All
        } else {
            Scope::Device(id.clone())
        };
        let mut device = Device {
            caller: Caller {
                device: id,
                scope,
                association: None,
            },
            client: Client::new(
                ClientConfig::new(writer(&name, index, 0)),
                MemoryClientStore::new(),
            ),
            name,
            staff,
            index,
            sessions: 0,
            online: true,
            offline_until: 0,
            syncing: false,
            up: Vec::new(),
            down: Vec::new(),
        };
        device.restart();
        device
    }

    /// Loses memory, keeps storage: a new client over the same store, with a new session
    /// (a new actor), as an app reload makes.
    fn restart(&mut self) {
        self.sessions += 1;
        let config = ClientConfig::new(writer(&self.name, self.index, self.sessions));
        let old = std::mem::replace(
            &mut self.client,
            Client::new(config.clone(), MemoryClientStore::new()),
        );
        self.client = Client::new(config, old.into_store());
        self.syncing = false;
    }

    fn writer(&self) -> Writer {
        self.client.config().writer.clone()
    }

    fn doc_ids(&self) -> Vec<DocId> {
        self.client.store().doc_ids()
    }

    fn open(&self, doc: DocId) -> SubmissionDoc {
        self.client
            .open_document(doc)
            .unwrap_or_else(|error| panic!("{}: {doc} does not open: {error}", self.name))
            .unwrap_or_else(|| panic!("{}: {doc} is not stored", self.name))
    }

    fn save(&mut self, doc: &mut SubmissionDoc) {
        self.client
            .save_document(doc)
            .unwrap_or_else(|error| panic!("{}: saving failed: {error}", self.name));
    }
}

fn writer(name: &str, index: usize, session: u32) -> Writer {
    let mut bytes = [0x5e_u8; 12];
    bytes[..4].copy_from_slice(&u32::try_from(index).unwrap_or(0).to_le_bytes());
    bytes[4..8].copy_from_slice(&session.to_le_bytes());
    Writer::new(
        DeviceId::parse(name).expect("a valid device id"),
        SessionId::from_bytes(&bytes).expect("12 bytes make a session id"),
        Some(UserId::parse(&format!("{name}@example.org")).expect("a valid user id")),
    )
}

/// The world of one seed.
pub struct World {
    pub seed: u64,
    config: Config,
    rng: Pcg64,
    workload: Generator,
    step: usize,
    server: Server,
    store: MemoryServerStore,
    snapshots: Vec<Snapshot>,
    pub devices: Vec<Device>,
    /// Every change the server acknowledged (`Committed` or `CommittedWithMore`), by document.
    acked: BTreeMap<DocId, BTreeSet<ChangeHash>>,
    /// Acknowledged changes a backup restore took away: repair must bring them back.
    lost: BTreeMap<DocId, BTreeSet<ChangeHash>>,
    /// Every change a device made, by document and device.
    made: BTreeMap<DocId, BTreeMap<usize, BTreeSet<ChangeHash>>>,
    /// Who created each document.
    creators: BTreeMap<DocId, usize>,
    /// Every tracked write of a field: the conflict oracle's input.
    writes: BTreeMap<DocId, Vec<Write>>,
    /// Documents edited concurrently on the same field, where someone may resolve.
    contested: Vec<DocId>,
    pub stats: Stats,
    /// The last actions, printed when a check fails.
    trace: VecDeque<String>,
}

/// Action weights, out of their sum.
const ACTIONS: &[(Action, u32)] = &[
    (Action::Create, 50),
    (Action::Edit, 100),
    (Action::ConflictPair, 50),
    (Action::Review, 50),
    (Action::StaffEdit, 25),
    (Action::Resolve, 40),
    (Action::StartSync, 100),
    (Action::DeliverRequest, 220),
    (Action::DeliverResponse, 220),
    (Action::Drop, 40),
    (Action::Duplicate, 30),
    (Action::Retry, 30),
    (Action::Offline, 20),
    (Action::RestartDevice, 20),
    (Action::RestartServer, 5),
    (Action::FailNextCommit, 10),
    (Action::Snapshot, 15),
    (Action::Restore, 3),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Create,
    Edit,
    ConflictPair,
    Review,
    StaffEdit,
    Resolve,
    StartSync,
    DeliverRequest,
    DeliverResponse,
    Drop,
    Duplicate,
    Retry,
    Offline,
    RestartDevice,
    RestartServer,
    FailNextCommit,
    Snapshot,
    Restore,
}

/// Fields the conflict pairs write: ones a volunteer and a reviewer both plausibly correct.
const CONFLICT_FIELDS: &[&str] = &["phone", "city", "email", "comments", "employment"];
const STATUSES: &[ReviewStatus] = &[
    ReviewStatus::Received,
    ReviewStatus::HasIssues,
    ReviewStatus::Approved,
    ReviewStatus::Rejected,
];
/// The most requests one device's round may take while healing.
const MAX_ROUND_REQUESTS: usize = 500;
/// The most healing passes over every device before the world must be quiet.
const MAX_HEAL_PASSES: usize = 12;

impl World {
    pub fn new(seed: u64, config: Config) -> World {
        let mut rng = Pcg64::seed_from_u64(seed);
        let epoch = rng.next_u64();
        let mut devices = Vec::new();
        for index in 0..config.volunteers {
            devices.push(Device::new(index, false));
        }
        for index in 0..config.staff {
            devices.push(Device::new(config.volunteers + index, true));
        }
        World {
            seed,
            config,
            workload: Generator::new(seed ^ 0x5eed_0000_d1a5_b07a),
            rng,
            step: 0,
            server: Server::default(),
            store: MemoryServerStore::new(epoch),
            snapshots: Vec::new(),
            devices,
            acked: BTreeMap::new(),
            lost: BTreeMap::new(),
            made: BTreeMap::new(),
            creators: BTreeMap::new(),
            writes: BTreeMap::new(),
            contested: Vec::new(),
            stats: Stats::default(),
            trace: VecDeque::new(),
        }
    }

    /// Runs the random steps, heals, and checks every invariant; panics on a violation.
    pub fn run(&mut self) {
        for step in 0..self.config.steps {
            self.step = step;
            self.come_back_online();
            let action = self.pick_action();
            self.act(action);
        }
        self.heal();
        self.check();
    }

    fn now(&self) -> Timestamp {
        Timestamp(DIASPORA_START.0 + self.step as i64 * 7_000)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let wide = u128::from(self.rng.next_u64()) * n as u128;
        usize::try_from(wide >> 64).unwrap_or(0)
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn note(&mut self, what: String) {
        if self.trace.len() == 40 {
            self.trace.pop_front();
        }
        self.trace.push_back(format!("step {}: {what}", self.step));
    }

    /// The recent actions, for a failure message.
    pub fn recent(&self) -> String {
        self.trace.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    fn pick_action(&mut self) -> Action {
        let total: u32 = ACTIONS.iter().map(|(_, weight)| weight).sum();
        let mut roll = u32::try_from(self.below(total as usize)).unwrap_or(0);
        for &(action, weight) in ACTIONS {
            if roll < weight {
                return action;
            }
            roll -= weight;
        }
        Action::StartSync
    }

    fn come_back_online(&mut self) {
        let step = self.step;
        for device in &mut self.devices {
            if !device.online && device.offline_until <= step {
                device.online = true;
            }
        }
    }

    fn volunteer(&mut self) -> usize {
        self.below(self.config.volunteers)
    }

    fn staff(&mut self) -> usize {
        self.config.volunteers + self.below(self.config.staff)
    }

    fn any_device(&mut self) -> usize {
        self.below(self.devices.len())
    }

    fn random_doc(&mut self, device: usize) -> Option<DocId> {
        let ids = self.devices[device].doc_ids();
        (!ids.is_empty()).then(|| ids[self.below(ids.len())])
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Create => self.create(),
            Action::Edit => {
                // The creator of a random submission corrects it.
                let created: Vec<usize> = self.creators.values().copied().collect();
                if !created.is_empty() {
                    let device = created[self.below(created.len())];
                    self.edit(device);
                }
            }
            Action::ConflictPair => self.conflict_pair(),
            Action::Review => self.review(),
            Action::StaffEdit => {
                let device = self.staff();
                self.edit(device);
            }
            Action::Resolve => self.resolve(),
            Action::StartSync => {
                // Reviewers sync often: they are few, and they see every submission.
                let device = if self.chance(30) {
                    self.staff()
                } else {
                    self.any_device()
                };
                if self.devices[device].online {
                    self.note(format!("{} starts a sync", self.devices[device].name));
                    self.devices[device].client.start_sync();
                    self.devices[device].syncing = true;
                    self.send_next(device);
                }
            }
            Action::DeliverRequest => self.deliver_request(),
            Action::DeliverResponse => self.deliver_response(),
            Action::Drop => {
                if let Some((device, up, index)) = self.in_flight() {
                    self.stats.dropped += 1;
                    let queue = self.queue(device, up);
                    queue.remove(index);
                    self.note(format!(
                        "a message of {} is lost",
                        self.devices[device].name
                    ));
                }
            }
            Action::Duplicate => {
                if let Some((device, up, index)) = self.in_flight() {
                    self.stats.duplicated += 1;
                    let queue = self.queue(device, up);
                    let copy = queue[index].clone();
                    queue.push(copy);
                }
            }
            Action::Retry => {
                // The app's timeout: no answer came, so it sends the next request anyway.
                let device = self.any_device();
                if self.devices[device].syncing {
                    self.send_next(device);
                }
            }
            Action::Offline => {
                let device = self.any_device();
                if self.devices[device].online {
                    let duration = 20 + self.below(400);
                    self.devices[device].online = false;
                    self.devices[device].offline_until = self.step + duration;
                    self.note(format!("{} goes offline", self.devices[device].name));
                } else {
                    self.devices[device].online = true;
                }
            }
            Action::RestartDevice => {
                let device = self.any_device();
                self.stats.device_restarts += 1;
                self.note(format!("{} restarts", self.devices[device].name));
                self.devices[device].restart();
            }
            Action::RestartServer => {
                self.stats.server_restarts += 1;
                self.note("the server restarts".to_owned());
                let store = std::mem::replace(&mut self.store, MemoryServerStore::new(0));
                self.store = store.restart();
            }
            Action::FailNextCommit => {
                self.stats.failed_commits += 1;
                self.store.fail_next_commit();
            }
            Action::Snapshot => self.snapshots.push(self.store.snapshot()),
            Action::Restore => self.restore(),
        }
    }

    fn create(&mut self) {
        let device = self.volunteer();
        let writer = self.devices[device].writer();
        let mut doc = self
            .workload
            .submission(&writer, self.now())
            .expect("the workload makes submissions");
        let id = DocId::from(&doc.meta().submission_id);
        self.devices[device].save(&mut doc);
        self.creators.insert(id, device);
        self.record_made(id, device, &mut doc);
        self.stats.created += 1;
        self.note(format!("{} creates {id}", self.devices[device].name));
    }

    fn record_made(&mut self, id: DocId, device: usize, doc: &mut SubmissionDoc) {
        let heads = doc.heads();
        self.made
            .entry(id)
            .or_default()
            .entry(device)
            .or_default()
            .extend(heads);
    }

    /// One realistic field edit of a document the device holds.
    fn edit(&mut self, device: usize) {
        let Some(id) = self.random_doc(device) else {
            return;
        };
        let mut doc = self.devices[device].open(id);
        let at = self.now();
        match self.workload.edit_one_field(&mut doc, at) {
            Ok(edit) => {
                self.devices[device].save(&mut doc);
                self.record_write(
                    id,
                    device,
                    &mut doc,
                    FieldPath::Answer(letsema_doc::AnswerPath::field(edit.field.as_str())),
                    FieldValue::Answer(edit.after),
                );
                self.stats.edits += 1;
                self.note(format!("{} edits {id}", self.devices[device].name));
            }
            Err(WorkloadError::NothingToEdit { .. }) => {}
            Err(error) => panic!("an edit failed: {error}"),
        }
    }

    /// Records a write that made the document's single head.
    fn record_write(
        &mut self,
        id: DocId,
        device: usize,
        doc: &mut SubmissionDoc,
        field: FieldPath,
        value: FieldValue,
    ) {
        let heads = doc.heads();
        assert_eq!(heads.len(), 1, "a local change is the only head");
        let change = heads[0];
        self.writes.entry(id).or_default().push(Write {
            field,
            value,
            change,
        });
        self.record_made(id, device, doc);
    }

    /// The same field edited on a volunteer's phone and a staff laptop before either syncs:
    /// a concurrent same-field conflict.
    fn conflict_pair(&mut self) {
        let staff = self.staff();
        let Some(id) = self.random_doc(staff) else {
            return;
        };
        let volunteer = self.creators[&id];
        let field = CONFLICT_FIELDS[self.below(CONFLICT_FIELDS.len())];
        let at = self.now();
        let mut theirs = self.devices[volunteer].open(id);
        let mut ours = self.devices[staff].open(id);
        if theirs.answer("consent") != Some(Answer::value("yes")) {
            return;
        }
        let step = self.step;
        for (device, doc, who) in [
            (volunteer, &mut theirs, "phone"),
            (staff, &mut ours, "staff"),
        ] {
            let value = Answer::value(format!("{field} by {who} at {step}"));
            doc.set_answer(field, &value, at).expect("set an answer");
            self.devices[device].save(doc);
            self.record_write(
                id,
                device,
                doc,
                FieldPath::Answer(letsema_doc::AnswerPath::field(field)),
                FieldValue::Answer(value),
            );
        }
        self.stats.conflict_pairs += 1;
        self.contested.push(id);
        self.note(format!("conflict pair on {id}/{field}"));
    }

    /// A reviewer sets the status and sometimes comments.
    fn review(&mut self) {
        let staff = self.staff();
        let Some(id) = self.random_doc(staff) else {
            return;
        };
        let mut doc = self.devices[staff].open(id);
        let status = STATUSES[self.below(STATUSES.len())];
        let at = self.now();
        let before = doc.heads();
        doc.set_review_status(status, at).expect("set the status");
        if doc.heads() != before {
            self.devices[staff].save(&mut doc);
            self.record_write(
                id,
                staff,
                &mut doc,
                FieldPath::ReviewStatus,
                FieldValue::ReviewStatus(status),
            );
        }
        if self.chance(40) {
            doc.add_comment("Please check the phone number.", Timestamp(at.0 + 1))
                .expect("comment");
            self.devices[staff].save(&mut doc);
            self.record_made(id, staff, &mut doc);
        }
        self.stats.reviews += 1;
        self.note(format!("{} reviews {id}", self.devices[staff].name));
    }

    /// Someone who sees a conflict resolves it by picking one of the values: the creator or
    /// a reviewer of a document that was edited concurrently.
    fn resolve(&mut self) {
        if self.contested.is_empty() {
            return;
        }
        let pick = self.below(self.contested.len());
        let id = self.contested[pick];
        let device = if self.chance(50) {
            self.creators[&id]
        } else {
            self.staff()
        };
        if self.devices[device].client.store().get(id).is_none() {
            return;
        }
        let mut doc = self.devices[device].open(id);
        let conflicts = doc.conflicts();
        if conflicts.is_empty() {
            return;
        }
        let conflict = &conflicts[self.below(conflicts.len())];
        let value = conflict.values[self.below(conflict.values.len())]
            .value
            .clone();
        doc.resolve(&conflict.field, &value, self.now())
            .expect("resolve");
        self.devices[device].save(&mut doc);
        self.record_write(id, device, &mut doc, conflict.field.clone(), value);
        self.stats.resolved += 1;
        self.note(format!(
            "{} resolves a conflict on {id}",
            self.devices[device].name
        ));
    }

    /// The device's next request goes on the network (an offline device sends nothing).
    fn send_next(&mut self, device: usize) {
        if !self.devices[device].online {
            return;
        }
        let request = self.devices[device]
            .client
            .next_request()
            .unwrap_or_else(|error| panic!("next_request failed: {error}"));
        match request {
            Some(request) => self.devices[device].up.push(request),
            None => self.devices[device].syncing = false,
        }
    }

    /// A random message in flight: device, whether it is a request, its index.
    fn in_flight(&mut self) -> Option<(usize, bool, usize)> {
        let busy: Vec<(usize, bool)> = self
            .devices
            .iter()
            .enumerate()
            .flat_map(|(i, d)| {
                let up = (!d.up.is_empty()).then_some((i, true));
                let down = (!d.down.is_empty()).then_some((i, false));
                up.into_iter().chain(down)
            })
            .collect();
        if busy.is_empty() {
            return None;
        }
        let (device, up) = busy[self.below(busy.len())];
        let len = self.queue(device, up).len();
        Some((device, up, self.below(len)))
    }

    fn queue(&mut self, device: usize, up: bool) -> &mut Vec<Vec<u8>> {
        let device = &mut self.devices[device];
        if up { &mut device.up } else { &mut device.down }
    }

    fn deliver_request(&mut self) {
        let busy: Vec<usize> = (0..self.devices.len())
            .filter(|&i| !self.devices[i].up.is_empty())
            .collect();
        if busy.is_empty() {
            return;
        }
        let device = busy[self.below(busy.len())];
        let index = self.below(self.devices[device].up.len());
        let request = self.devices[device].up.remove(index);
        let response = self.serve(device, &request);
        self.devices[device].down.push(response);
    }

    /// The server handles one request; every acknowledgement in its answer is recorded.
    fn serve(&mut self, device: usize, request: &[u8]) -> Vec<u8> {
        self.stats.requests += 1;
        let caller = self.devices[device].caller.clone();
        let response = self.server.handle(&caller, request, &mut self.store);
        self.record_acks(device, request, &response);
        response
    }

    fn record_acks(&mut self, device: usize, request: &[u8], response: &[u8]) {
        let limits = WireLimits::default();
        let Ok(Request::Sync(request)) = Request::decode(request, &limits) else {
            return;
        };
        let Ok(Response::Sync(response)) = Response::decode(response, &limits) else {
            return;
        };
        for result in &response.push {
            let (PushResult::Committed { doc } | PushResult::CommittedWithMore { doc, .. }) =
                result
            else {
                continue;
            };
            let pushed = request
                .push
                .iter()
                .find(|push| push.doc == *doc)
                .expect("a result answers a pushed document");
            let raw =
                change_chunks(pushed, &Limits::default()).expect("acknowledged changes rebuild");
            let hashes: Vec<ChangeHash> = parse_changes(&raw, &ChunkLimits::default())
                .expect("acknowledged changes parse")
                .into_iter()
                .map(|change| change.hash)
                .collect();
            // Acknowledged means stored, now.
            let mut stored = self.server_doc(*doc).unwrap_or_else(|| {
                panic!(
                    "{} got an acknowledgement for {doc}, which the server does not hold",
                    self.devices[device].name
                )
            });
            assert!(
                stored.has_changes(&hashes),
                "the server acknowledged changes of {doc} it does not hold"
            );
            let acked = self.acked.entry(*doc).or_default();
            for hash in hashes {
                if acked.insert(hash) {
                    self.stats.acked_changes += 1;
                }
            }
        }
    }

    fn server_doc(&self, doc: DocId) -> Option<SubmissionDoc> {
        let stored = ServerStore::load(&self.store, doc).expect("the memory store reads")?;
        Some(
            SubmissionDoc::load(&stored.bytes, writer("sim-checker", 999, 0))
                .expect("the server's copy loads"),
        )
    }

    fn deliver_response(&mut self) {
        let busy: Vec<usize> = (0..self.devices.len())
            .filter(|&i| !self.devices[i].down.is_empty())
            .collect();
        if busy.is_empty() {
            return;
        }
        let device = busy[self.below(busy.len())];
        let index = self.below(self.devices[device].down.len());
        let response = self.devices[device].down.remove(index);
        if !self.devices[device].online {
            // The connection broke: the answer never arrives.
            self.stats.dropped += 1;
            return;
        }
        self.receive(device, &response);
    }

    /// The device handles an answer and, in a round, sends its next request.
    fn receive(&mut self, device: usize, response: &[u8]) -> bool {
        self.stats.responses += 1;
        match self.devices[device].client.handle_response(response) {
            Ok(progress) => {
                if progress.repairing {
                    self.stats.repairs += 1;
                }
                let busy = !progress.ignored
                    && (!progress.acknowledged.is_empty()
                        || !progress.updated.is_empty()
                        || progress.repairing);
                if !progress.rejected.is_empty() {
                    let rejected: Vec<String> = progress
                        .rejected
                        .iter()
                        .map(|r| format!("{} {:?}", r.doc, r.code))
                        .collect();
                    self.note(format!(
                        "{}: rejected {rejected:?}",
                        self.devices[device].name
                    ));
                }
                if !progress.failed.is_empty() {
                    self.note(format!(
                        "{} could not apply {:?}",
                        self.devices[device].name, progress.failed
                    ));
                }
                if !progress.ignored && self.devices[device].syncing {
                    self.send_next(device);
                }
                busy
            }
            Err(ClientError::Refused { code, message }) => {
                self.note(format!(
                    "{} was refused ({code:?}): {message}",
                    self.devices[device].name
                ));
                self.devices[device].syncing = false;
                true
            }
            Err(error) => panic!("{}: {error}", self.devices[device].name),
        }
    }

    /// A backup is restored under a new epoch: what was committed after it is gone from the
    /// server, and must come back from the devices through repair.
    fn restore(&mut self) {
        if self.snapshots.is_empty() {
            return;
        }
        let which = self.below(self.snapshots.len());
        self.snapshots.truncate(which + 1);
        let epoch = self.rng.next_u64();
        self.store = MemoryServerStore::restore(self.snapshots[which].clone(), epoch);
        self.stats.restores += 1;
        let acked: Vec<(DocId, Vec<ChangeHash>)> = self
            .acked
            .iter()
            .map(|(doc, hashes)| (*doc, hashes.iter().copied().collect()))
            .collect();
        for (doc, hashes) in acked {
            let missing: Vec<ChangeHash> = match self.server_doc(doc) {
                None => hashes,
                Some(mut stored) => hashes
                    .into_iter()
                    .filter(|hash| !stored.has_changes(&[*hash]))
                    .collect(),
            };
            self.stats.lost_by_restore += missing.len();
            self.lost.entry(doc).or_default().extend(missing);
        }
        self.note(format!("the server is restored from backup {which}"));
    }

    /// Everyone online, no losses: deliver what is in flight, then sync every device again
    /// and again until a whole pass changes nothing.
    fn heal(&mut self) {
        for device in &mut self.devices {
            device.online = true;
            device.offline_until = 0;
        }
        // What is still in flight arrives, late but whole.
        for _ in 0..1_000 {
            let mut moved = false;
            for device in 0..self.devices.len() {
                for request in std::mem::take(&mut self.devices[device].up) {
                    let response = self.serve(device, &request);
                    self.devices[device].down.push(response);
                    moved = true;
                }
                for response in std::mem::take(&mut self.devices[device].down) {
                    self.receive(device, &response);
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        for pass in 1..=MAX_HEAL_PASSES {
            self.stats.heal_passes = pass;
            let mut busy = false;
            for device in 0..self.devices.len() {
                busy |= self.heal_round(device);
            }
            if !busy {
                return;
            }
        }
        panic!(
            "the world is not quiet after {MAX_HEAL_PASSES} healing passes: some device keeps \
             pushing, pulling or repairing"
        );
    }

    /// One round of one device over a perfect network; whether anything moved.
    fn heal_round(&mut self, device: usize) -> bool {
        self.devices[device].client.start_sync();
        self.devices[device].syncing = true;
        let mut busy = false;
        for _ in 0..MAX_ROUND_REQUESTS {
            let request = self.devices[device]
                .client
                .next_request()
                .unwrap_or_else(|error| panic!("next_request failed: {error}"));
            let Some(request) = request else {
                self.devices[device].syncing = false;
                return busy;
            };
            if let Ok(Request::Sync(sync)) = Request::decode(&request, &WireLimits::default())
                && !sync.push.is_empty()
            {
                busy = true;
            }
            let response = self.serve(device, &request);
            let before = self.devices[device].syncing;
            self.devices[device].syncing = false;
            busy |= self.receive(device, &response);
            self.devices[device].syncing = before;
        }
        panic!(
            "{}: a healing round does not end after {MAX_ROUND_REQUESTS} requests",
            self.devices[device].name
        );
    }

    /// The invariants after healing.
    fn check(&mut self) {
        let server_ids: BTreeSet<DocId> = self.store.doc_ids().into_iter().collect();
        let created: BTreeSet<DocId> = self.creators.keys().copied().collect();
        assert_eq!(
            server_ids, created,
            "the server holds exactly the documents the devices created"
        );
        for device in &self.devices {
            let unsynced = device.client.unsynced().expect("unsynced");
            assert!(
                unsynced.is_empty(),
                "{} still has unacknowledged changes in {unsynced:?}",
                device.name
            );
            let held: BTreeSet<DocId> = device.doc_ids().into_iter().collect();
            let expected: BTreeSet<DocId> = if device.staff {
                server_ids.clone()
            } else {
                self.creators
                    .iter()
                    .filter(|(_, creator)| **creator == device.index)
                    .map(|(doc, _)| *doc)
                    .collect()
            };
            assert_eq!(
                held, expected,
                "{} holds the documents of its scope",
                device.name
            );
        }
        let mut conflicts = 0;
        for &id in &server_ids {
            let mut server = self.server_doc(id).expect("stored");
            let heads = sorted(server.heads());
            let answers = server.answers();
            let review = server.review();
            let withdrawn = server.is_withdrawn();
            let doc_conflicts = server.conflicts();
            conflicts += doc_conflicts.len();
            for device in &self.devices {
                let Some(_) = device.client.store().get(id) else {
                    continue;
                };
                let mut copy = device.open(id);
                assert_eq!(
                    sorted(copy.heads()),
                    heads,
                    "{} and the server hold different changes of {id}",
                    device.name
                );
                assert_eq!(copy.answers(), answers, "{}: answers of {id}", device.name);
                assert_eq!(copy.review(), review, "{}: review of {id}", device.name);
                assert_eq!(copy.is_withdrawn(), withdrawn);
                assert_eq!(
                    copy.conflicts(),
                    doc_conflicts,
                    "{}: conflicts of {id}",
                    device.name
                );
            }
            let missing = |hashes: &mut dyn Iterator<Item = &ChangeHash>,
                           server: &mut SubmissionDoc| {
                let hashes: Vec<ChangeHash> = hashes.copied().collect();
                server.missing_changes(&hashes)
            };
            if let Some(acked) = self.acked.get(&id) {
                let lost = missing(&mut acked.iter(), &mut server);
                assert!(
                    lost.is_empty(),
                    "{} acknowledged change(s) of {id} are not on the server{}",
                    lost.len(),
                    if self.lost.get(&id).is_some_and(|l| !l.is_empty()) {
                        " (lost by a backup restore and not repaired)"
                    } else {
                        ""
                    }
                );
            }
            for (device, made) in self.made.get(&id).into_iter().flatten() {
                let lost = missing(&mut made.iter(), &mut server);
                assert!(
                    lost.is_empty(),
                    "{} change(s) {} made to {id} never reached the server",
                    lost.len(),
                    self.devices[*device].name
                );
            }
            oracle::check_conflicts(id, &mut server, self.writes.get(&id).map(Vec::as_slice));
        }
        self.stats.conflicts_at_end = conflicts;
    }
}

fn sorted(heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    let mut heads = heads;
    heads.sort_unstable();
    heads
}
