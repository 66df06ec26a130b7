//! The staff API's bodies: the submissions table, one submission, and the edits a reviewer
//! makes (`server/src/routes/submissions.rs` answers them; the staff area and the tests
//! read them).
//!
//! Field paths and values have the JSON of `letsema-doc`'s `FieldPath` and `FieldValue`,
//! which this crate may not depend on (it never reaches automerge): the server converts
//! through their JSON, and its tests check that every variant survives the trip.

use letsema_form::runtime::{Answer, Answers};
use letsema_ids::ReviewStatus;
use serde::{Deserialize, Serialize};

/// The most submissions a bulk status change names.
pub const MAX_BULK: usize = 1000;
/// The most characters of a comment.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// A signed-in staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including accounts and forms.
    Admin,
    /// Reviews submissions of every association, or of those listed.
    Reviewer,
    /// Manages one association: its devices and its submissions.
    Coordinator,
}

impl Role {
    /// Its name, as stored and as JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
            Role::Coordinator => "coordinator",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role's name that is none of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: use admin, reviewer or coordinator")]
pub struct UnknownRole(pub String);

impl std::str::FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "admin" => Ok(Role::Admin),
            "reviewer" => Ok(Role::Reviewer),
            "coordinator" => Ok(Role::Coordinator),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

/// A staff account as the session shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The associations the account is limited to (none: a reviewer or admin of all).
    pub associations: Vec<String>,
}

/// What `GET /api/session` and a successful sign-in answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user: StaffUser,
    /// Echoed in the `x-csrf-token` header of every state-changing request.
    pub csrf_token: String,
}

/// `POST /api/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// An association, as `GET /api/associations` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Association {
    /// Its code, as devices and accounts name it.
    pub code: String,
    /// Its display name, if one was given.
    #[serde(default)]
    pub name: Option<String>,
}

/// A published form version, as `GET /api/forms` lists it (newest first within a form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormSummary {
    pub form_id: String,
    pub version: String,
    pub title: String,
}

/// A submission in the table (`GET /api/submissions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionRow {
    /// The submission's id (a UUID).
    pub id: String,
    pub form_id: String,
    pub form_version: String,
    pub association: Option<String>,
    /// The device that created it.
    pub device: String,
    /// When it was created, milliseconds since the Unix epoch.
    pub created_at: i64,
    pub review_status: String,
    /// Its name as the form's `instance_name` makes it, if any.
    pub instance_name: Option<String>,
    /// Nothing missing and nothing invalid, by the form engine.
    pub complete: bool,
    /// What the form engine found missing or invalid.
    pub issues: Vec<String>,
    /// How many fields hold concurrent values, unresolved.
    pub conflicts: u32,
    pub withdrawn: bool,
}

/// A page of the table, and the cursor of the next one (none: this is the last).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionPage {
    pub submissions: Vec<SubmissionRow>,
    pub next: Option<String>,
}

/// What an import of a register did, or (a dry run) would do.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportReport {
    /// Rows read.
    pub rows: usize,
    /// Rows written as new submissions (or that would be).
    pub new: usize,
    /// Rows imported before, left as they are.
    pub already: usize,
    /// New rows the form engine finds incomplete or invalid (imported, and flagged).
    pub with_issues: usize,
    /// Columns left out because the form computes them or a device records them.
    pub computed: Vec<String>,
    pub dry_run: bool,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.dry_run { "would be" } else { "were" };
        write!(
            f,
            "{} row(s) read: {} {verb} imported ({} with issues the form finds), {} imported \
             before and left as they are",
            self.rows, self.new, self.with_issues, self.already
        )?;
        if !self.computed.is_empty() {
            write!(
                f,
                "; left out, as the form computes them: {}",
                self.computed.join(", ")
            )?;
        }
        Ok(())
    }
}

/// One entry of the audit log: who did what, when, from where. It names people by id
/// (`user:7`, `device:…`), never by what a submission holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// Who: `user:ID` for a staff account, `cli` for a command run on the server, or
    /// `device:ID` for a phone.
    pub actor: String,
    /// What: `export`, `import`, `odata.read`, `session.open`, `user.add`, ...
    pub action: String,
    /// Which filter, file, account or device it concerned.
    pub detail: String,
    /// The network address the request came from; none for a command.
    pub address: Option<String>,
}

/// A page of the audit log, newest first, and where the next page starts (none: the end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditRecord>,
    pub next: Option<String>,
}

/// Where a value of a submission is: an answer (possibly inside repeat instances), the
/// review status, or the withdrawn flag. The JSON of `letsema-doc`'s `FieldPath`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldPath {
    Answer(AnswerPath),
    ReviewStatus,
    Withdrawn,
}

/// An answer's place: its question's name, inside zero or more repeat instances (each the
/// repeat's name and the instance's id), outermost first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AnswerPath {
    pub repeats: Vec<(String, String)>,
    pub name: String,
}

impl FieldPath {
    /// The question's name, for an answer.
    pub fn question(&self) -> Option<&str> {
        match self {
            FieldPath::Answer(path) => Some(&path.name),
            FieldPath::ReviewStatus | FieldPath::Withdrawn => None,
        }
    }

    /// Whether it is an answer outside every repeat.
    pub fn is_top_level_answer(&self) -> bool {
        matches!(self, FieldPath::Answer(path) if path.repeats.is_empty())
    }
}

/// A value of a [`FieldPath`]. The JSON of `letsema-doc`'s `FieldValue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldValue {
    Answer(Answer),
    ReviewStatus(ReviewStatus),
    Withdrawn(bool),
}

/// A reviewer's comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Its stable id.
    pub id: String,
    /// Who wrote it (a user id).
    pub author: String,
    /// When, by the writer's clock, milliseconds since the Unix epoch.
    pub at: i64,
    pub text: String,
}

/// One change of one field: the value before and after, and who made it, where and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: FieldPath,
    /// The value the writer saw before (none: no value).
    pub from: Option<FieldValue>,
    /// The value after (none: cleared).
    pub to: Option<FieldValue>,
    /// The change's hash, hex.
    pub change: String,
    /// The automerge actor that made it, hex.
    pub actor: String,
    /// The device, when the actor is a Letsema device's.
    pub device: Option<String>,
    /// The writer's user, if recorded (a reviewer, or the volunteer signed in on the phone).
    pub user: Option<String>,
    /// The writer's clock reading, milliseconds since the Unix epoch.
    pub time: i64,
}

/// A field written concurrently with different values, not yet resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub field: FieldPath,
    /// Every value, in the same order everywhere; the document shows the last.
    pub values: Vec<ConflictValue>,
}

/// One of a conflict's values, and who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictValue {
    pub value: FieldValue,
    pub actor: String,
    pub device: Option<String>,
    pub user: Option<String>,
    pub time: Option<i64>,
    pub change: Option<String>,
}

/// One submission (`GET /api/submissions/{id}`, and the answer to every edit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmissionDetail {
    pub id: String,
    pub form_id: String,
    pub form_version: String,
    pub association: Option<String>,
    /// The device that created it.
    pub device: String,
    pub created_at: i64,
    /// The answers tree (repeats as lists of answers).
    pub answers: Answers,
    pub review_status: ReviewStatus,
    pub comments: Vec<Comment>,
    pub withdrawn: bool,
    /// Every change to every field, oldest first.
    pub history: Vec<FieldChange>,
    /// Fields written concurrently, unresolved.
    pub conflicts: Vec<Conflict>,
    /// Nothing missing and nothing invalid, by the form engine, judged at once.
    pub complete: bool,
    /// What the form engine found missing or invalid.
    pub issues: Vec<String>,
    pub instance_name: Option<String>,
    /// The entries' ids of each repeat outside repeats, in the order `answers` lists them:
    /// what a correction inside an entry names ([`AnswerRequest::entry`]).
    #[serde(default)]
    pub repeats: std::collections::BTreeMap<String, Vec<String>>,
    /// The submission this one was merged into as a duplicate; none if it is nobody's.
    #[serde(default)]
    pub duplicate_of: Option<String>,
    /// The merges of duplicates into this one, oldest first (undone ones included).
    #[serde(default)]
    pub merges: Vec<MergeInfo>,
}

/// A merge of duplicates into a submission, as its document records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeInfo {
    /// When, milliseconds since the Unix epoch.
    pub at: i64,
    /// The reviewer's user id (`staff-7`).
    pub by: String,
    /// The submissions merged into it, now its duplicates.
    pub merged: Vec<String>,
    /// Each field the merge set, with its value before (null: none).
    pub before: std::collections::BTreeMap<String, Option<Answer>>,
    /// Each field the merge set, with the value chosen (null: cleared).
    pub chosen: std::collections::BTreeMap<String, Option<Answer>>,
    /// When it was undone; null while it stands.
    pub undone_at: Option<i64>,
}

/// `POST /api/duplicates/merge`: one or two submissions merged into `canonical`, which
/// keeps its id and takes, for each field of `chosen` (a question outside repeats), the
/// value chosen (null: cleared); the others become its duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    pub canonical: String,
    pub others: Vec<String>,
    #[serde(default)]
    pub chosen: std::collections::BTreeMap<String, Option<Answer>>,
}

/// `POST /api/duplicates/undo`: undoes merge number `merge` (of the submission's `merges`)
/// into `canonical`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UndoMergeRequest {
    pub canonical: String,
    pub merge: usize,
}

/// An entry of a repeat outside repeats: the repeat's name and the entry's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatEntry {
    pub repeat: String,
    pub id: String,
}

/// `POST /api/submissions/{id}/review`: a status, a comment, or both.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ReviewStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `POST /api/submissions/{id}/answers`: a question and its new value (a list for a
/// `select_multiple`; none clears it). A question of a repeat outside repeats names the
/// entry ([`SubmissionDetail::repeats`]); any other is outside repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<RepeatEntry>,
    pub value: Option<Answer>,
}

/// `POST /api/submissions/{id}/resolve`: the value a conflicting field keeps (one of its
/// values, or another).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    pub field: FieldPath,
    pub value: FieldValue,
}

/// `POST /api/submissions/review`: one status for up to [`MAX_BULK`] submissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkReviewRequest {
    pub ids: Vec<String>,
    pub status: ReviewStatus,
}

/// What a bulk change did to one submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkResult {
    pub id: String,
    pub ok: bool,
    /// Why not, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The answer to a bulk change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkResults {
    pub results: Vec<BulkResult>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_and_values_have_the_documents_json() {
        let path = FieldPath::Answer(AnswerPath {
            repeats: vec![("children".into(), "ab12".into())],
            name: "age".into(),
        });
        assert_eq!(
            serde_json::to_string(&path).expect("serialises"),
            r#"{"answer":{"repeats":[["children","ab12"]],"name":"age"}}"#
        );
        assert_eq!(
            serde_json::to_string(&FieldPath::ReviewStatus).expect("serialises"),
            r#""review_status""#
        );
        let value = FieldValue::Answer(Answer::Value("Leeds".into()));
        assert_eq!(
            serde_json::to_string(&value).expect("serialises"),
            r#"{"answer":"Leeds"}"#
        );
    }

    #[test]
    fn a_review_request_names_only_what_it_changes() {
        let request = ReviewRequest {
            status: Some(ReviewStatus::HasIssues),
            comment: None,
        };
        assert_eq!(
            serde_json::to_string(&request).expect("serialises"),
            r#"{"status":"has_issues"}"#
        );
    }
}

/// What a reviewer decided about a pair of submissions that may be one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairDecision {
    /// Not the same person: never proposed again.
    Different,
    /// One person: merged.
    Merged,
}

impl PairDecision {
    /// Its name in the API and the database: `different`, `merged`.
    pub fn as_str(self) -> &'static str {
        match self {
            PairDecision::Different => "different",
            PairDecision::Merged => "merged",
        }
    }

    /// From [`PairDecision::as_str`]'s name; none for anything else.
    pub fn parse(text: &str) -> Option<PairDecision> {
        match text {
            "different" => Some(PairDecision::Different),
            "merged" => Some(PairDecision::Merged),
            _ => None,
        }
    }
}

/// One submission of a duplicate candidate pair, as its projection has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateSide {
    /// The submission's id (a UUID).
    pub id: String,
    pub form_id: String,
    pub association: Option<String>,
    /// Its name as the form's `instance_name` makes it, if any.
    pub instance_name: Option<String>,
    /// When it was created, milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// Two submissions that may be one person (`GET /api/duplicates`): the score that made
/// them candidates and the reasons, as a reviewer reads them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicatePair {
    pub first: DuplicateSide,
    pub second: DuplicateSide,
    /// From 13 on, a pair is a candidate; the higher, the surer.
    pub score: f64,
    /// `same phone; same names after spelling rules; dates of birth differ by a swapped day
    /// and month`.
    pub explanation: String,
    /// The same reasons, one by one, for a screen to word in its reviewer's language.
    #[serde(default)]
    pub reasons: Vec<crate::reasons::MatchReason>,
    /// When it was found, milliseconds since the Unix epoch.
    pub found_at: i64,
    /// None while open.
    pub decision: Option<PairDecision>,
    /// The reviewer who decided, by name.
    pub decided_by: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub decided_at: Option<i64>,
}

/// A page of candidate pairs, most recently found first, and the cursor of the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicatePage {
    pub pairs: Vec<DuplicatePair>,
    pub next: Option<String>,
}

/// `POST /api/duplicates/decision`: a reviewer's decision about a pair, by its two ids in
/// either order; `decision` `different` ("not the same person") or null (open it again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairDecisionRequest {
    pub first: String,
    pub second: String,
    pub decision: Option<PairDecision>,
}

/// One bar of a dashboard's chart (`GET /api/dashboard`): a value and how many submissions
/// have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardCount {
    /// A choice's value (`south_africa`), a bucket (`3-5`), a month (`2026-05`), an
    /// association's code or a review status.
    pub key: String,
    /// What people read: the choice's English label in the form, or the association's name;
    /// none when there is none.
    pub label: Option<String>,
    pub count: u64,
}

/// Members in one region (province, state) of a country of residence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardRegion {
    /// The country's value (`south_africa`).
    pub country: String,
    /// The region's value (`gauteng`).
    pub key: String,
    pub label: Option<String>,
    pub count: u64,
}

/// Members of one profession who gave one specialisation (typed freely: spellings that
/// differ only in case, accents or spaces are counted together, under the most common).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardSpecialisation {
    /// The profession's value (`doctor`).
    pub profession: String,
    /// The specialisation as most members wrote it (`Paediatrics`).
    pub key: String,
    pub count: u64,
}

/// Submissions captured by one device (a volunteer's phone, or `letsema-import`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardDevice {
    /// The device's id.
    pub key: String,
    /// Its label, as enrolled (none for a device the server does not list, such as imports).
    pub label: Option<String>,
    pub association: Option<String>,
    pub count: u64,
}

/// How complete the submissions are, as the form engine judges them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DashboardCompleteness {
    /// Nothing missing or invalid.
    pub complete: u64,
    /// Something missing or invalid.
    pub with_issues: u64,
    /// With fields written concurrently and not yet resolved (complete or not).
    pub with_conflicts: u64,
}

/// Skills available for short-term assignments: members of one profession and
/// specialisation living in one country who would take a short-term assignment, and the
/// months a year they could give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardSkill {
    /// The profession's value (`doctor`).
    pub profession: String,
    pub profession_label: Option<String>,
    /// As [`DashboardSpecialisation::key`]; none when not given.
    pub specialisation: Option<String>,
    /// The country of residence's value (`south_africa`).
    pub country: String,
    pub country_label: Option<String>,
    /// Members.
    pub count: u64,
    /// The months a year they could give, added up.
    pub months: u64,
    /// How many could give each number of months, by the buckets of
    /// [`Dashboard::months_available`].
    pub by_months: Vec<DashboardCount>,
}

/// `GET /api/dashboard?form=...&FILTERS`: what a ministry charts about the submissions of one
/// form the staff member sees, with the submissions table's filters. Withdrawn submissions
/// and those merged into another as duplicates are not counted (a person is counted once).
///
/// Charts of a form's choices list every choice in the form's order (none left out, even at
/// zero), then any value the form no longer offers; buckets are in their order; the others
/// go from the largest count down. A chart of a question the form does not ask is empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// The form counted.
    pub form_id: String,
    /// Submissions counted.
    pub total: u64,
    /// By country of residence (`country`).
    pub countries: Vec<DashboardCount>,
    /// By region within each country of residence (`region`).
    pub regions: Vec<DashboardRegion>,
    /// By profession (`profession`).
    pub professions: Vec<DashboardCount>,
    /// By profession and specialisation (`specialisation`), the largest
    /// [`DASHBOARD_MAX_ROWS`].
    pub specialisations: Vec<DashboardSpecialisation>,
    /// How members would take part (`engagement`, several each): each interest counted.
    pub engagement: Vec<DashboardCount>,
    /// Months a year members could give to short-term assignments (`months_available`), in
    /// buckets `1`, `2`, `3`, `4-6`, `7-12`.
    pub months_available: Vec<DashboardCount>,
    /// Years lived abroad (`years_abroad`), in buckets `0-2`, `3-5`, `6-10`, `11-20`, `21+`.
    pub years_abroad: Vec<DashboardCount>,
    /// Registrations by month of capture (`YYYY-MM`, UTC), every month from the first to
    /// the last.
    pub by_month: Vec<DashboardCount>,
    /// By association (none: `key` is empty).
    pub associations: Vec<DashboardCount>,
    /// By device that captured them, the largest [`DASHBOARD_MAX_ROWS`].
    pub devices: Vec<DashboardDevice>,
    /// By review status (`received`, `has_issues`, `approved`, `rejected`).
    pub review: Vec<DashboardCount>,
    pub completeness: DashboardCompleteness,
    /// Skills available for short-term assignments, the largest [`DASHBOARD_MAX_ROWS`]
    /// groups.
    pub skills: Vec<DashboardSkill>,
}

/// The most rows of a dashboard's open-ended lists (specialisations, devices, skills).
pub const DASHBOARD_MAX_ROWS: usize = 500;
