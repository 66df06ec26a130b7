//! The staff area's words, in English and Sesotho. The forms bring their own labels; these
//! are the words around them. The Sesotho was written without a native speaker and is to be
//! reviewed by one (REVIEW: Sesotho), as the volunteers' app's.
//!
//! Texts with numbers in them are functions, so that each language places them itself.

use letsema_ids::ReviewStatus;
use letsema_protocol::reasons::MatchReason;

mod phones;
mod setup;

pub use phones::PhoneWords;
pub use setup::SetupWords;

/// The languages offered, by code, with their own names.
pub const LANGUAGES: [(&str, &str); 2] = [("en", "English"), ("st", "Sesotho")];

/// The staff area's words in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    pub code: &'static str,
    pub title: &'static str,
    pub language: &'static str,
    pub sign_in_title: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub sign_in: &'static str,
    pub signing_in: &'static str,
    pub sign_out: &'static str,
    pub loading: &'static str,
    pub submissions: &'static str,
    pub filters: &'static str,
    pub form: &'static str,
    pub version: &'static str,
    pub any: &'static str,
    pub association: &'static str,
    pub public_links: &'static str,
    pub status: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub completeness: &'static str,
    pub complete_only: &'static str,
    pub with_issues_only: &'static str,
    pub conflicts_only: &'static str,
    pub question: &'static str,
    pub answer: &'static str,
    pub add_choice_filter: &'static str,
    pub remove_filter: &'static str,
    pub search: &'static str,
    pub search_hint: &'static str,
    pub order: &'static str,
    pub newest: &'static str,
    pub oldest: &'static str,
    pub apply: &'static str,
    pub clear: &'static str,
    pub name: &'static str,
    pub created: &'static str,
    pub judgement: &'static str,
    pub complete: &'static str,
    pub unnamed: &'static str,
    pub more: &'static str,
    pub no_submissions: &'static str,
    pub select_row: &'static str,
    pub select_all: &'static str,
    pub set_status_of_selected: &'static str,
    pub new_status: &'static str,
    pub back_to_table: &'static str,
    pub review: &'static str,
    pub comment: &'static str,
    pub save_review: &'static str,
    pub comments: &'static str,
    pub no_comments: &'static str,
    pub correct: &'static str,
    pub save: &'static str,
    pub cancel: &'static str,
    pub no_answer: &'static str,
    pub history: &'static str,
    pub conflict: &'static str,
    pub conflicts_title: &'static str,
    pub keep_this: &'static str,
    pub another_value: &'static str,
    pub use_value: &'static str,
    pub withdrawn: &'static str,
    pub saved: &'static str,
    pub device: &'static str,
    pub first_value: &'static str,
    pub cleared: &'static str,
    pub instance: &'static str,
    pub not_shown: &'static str,
    pub network_problem: &'static str,
    pub signed_out: &'static str,
    pub judged: &'static str,
    pub taking_offline: &'static str,
    pub offline_title: &'static str,
    pub export_title: &'static str,
    pub export_hint: &'static str,
    pub export_format: &'static str,
    pub format_xlsx: &'static str,
    pub format_csv: &'static str,
    pub format_jsonl: &'static str,
    pub export_choices_as: &'static str,
    pub export_choice_names: &'static str,
    pub export_group_names: &'static str,
    pub export_split: &'static str,
    pub export_review: &'static str,
    pub export_judgement: &'static str,
    pub export_on_record: &'static str,
    pub export_download: &'static str,
    pub export_preparing: &'static str,
    pub import_title: &'static str,
    pub import_hint: &'static str,
    pub import_file: &'static str,
    pub import_key: &'static str,
    pub import_key_hint: &'static str,
    pub import_map: &'static str,
    pub import_map_hint: &'static str,
    pub import_check: &'static str,
    pub import_run: &'static str,
    pub import_reading: &'static str,
    pub import_choose_file: &'static str,
    pub open_offline: &'static str,
    pub send_changes: &'static str,
    pub offline_hint: &'static str,
    pub not_sent: &'static str,
    pub offline_badge: &'static str,
    pub no_network_offline_copy: &'static str,
    pub nav_label: &'static str,
    pub audit_title: &'static str,
    pub audit_intro: &'static str,
    pub audit_admins_only: &'static str,
    pub audit_action: &'static str,
    pub audit_all_actions: &'static str,
    pub audit_actor: &'static str,
    pub audit_actor_hint: &'static str,
    pub audit_time: &'static str,
    pub audit_who: &'static str,
    pub audit_detail: &'static str,
    pub audit_address: &'static str,
    pub audit_none: &'static str,
    pub audit_only: &'static str,
    pub audit_older: &'static str,
    pub audit_no_entries: &'static str,
    pub audit_retry: &'static str,
    pub audit_failed: &'static str,
    pub audit_cli: &'static str,
    pub audit_device: &'static str,
    pub duplicates: &'static str,
    pub dup_intro: &'static str,
    pub dup_lists: &'static str,
    pub dup_open: &'static str,
    pub dup_different: &'static str,
    pub dup_merged: &'static str,
    pub dup_registrations: &'static str,
    pub dup_reasons: &'static str,
    pub dup_score: &'static str,
    pub dup_found: &'static str,
    pub dup_compare: &'static str,
    pub dup_compare_three: &'static str,
    pub dup_none: &'static str,
    pub dup_failed: &'static str,
    pub dup_compare_title: &'static str,
    pub dup_compare_title_three: &'static str,
    pub dup_keep_this: &'static str,
    pub dup_question: &'static str,
    pub dup_keep_value: &'static str,
    pub dup_merge: &'static str,
    pub dup_not_same: &'static str,
    pub dup_propose_again: &'static str,
    pub dup_undo: &'static str,
    pub dup_merged_notice: &'static str,
    pub dup_different_notice: &'static str,
    pub dup_reopened_notice: &'static str,
    pub dup_undone_notice: &'static str,
    pub dup_back: &'static str,
    pub dup_working: &'static str,
    pub dup_same: &'static str,
    pub dup_merged_into: &'static str,
    pub dup_no_answer: &'static str,
    /// The dashboard's words.
    pub charts: &'static ChartWords,
}

/// The dashboard's words: its charts' titles, their tables' headers, and what surrounds
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartWords {
    pub code: &'static str,
    pub dashboard: &'static str,
    pub intro: &'static str,
    pub no_forms: &'static str,
    pub failed: &'static str,
    pub no_data: &'static str,
    pub not_given: &'static str,
    pub members: &'static str,
    pub table: &'static str,
    pub download: &'static str,
    pub png_failed: &'static str,
    pub countries: &'static str,
    pub country: &'static str,
    pub regions: &'static str,
    pub region: &'static str,
    pub professions: &'static str,
    pub profession: &'static str,
    pub specialisations: &'static str,
    pub specialisation: &'static str,
    pub engagement: &'static str,
    pub interest: &'static str,
    pub months_available: &'static str,
    pub months: &'static str,
    pub years_abroad: &'static str,
    pub years: &'static str,
    pub by_month: &'static str,
    pub month: &'static str,
    pub associations: &'static str,
    pub devices: &'static str,
    pub device: &'static str,
    pub review: &'static str,
    pub completeness: &'static str,
    pub state: &'static str,
    pub complete: &'static str,
    pub with_issues: &'static str,
    pub with_conflicts: &'static str,
    pub skills: &'static str,
    pub skills_hint: &'static str,
    pub months_total: &'static str,
}

impl ChartWords {
    /// "12 members counted, each person once".
    pub fn counted(&self, total: u64) -> String {
        match self.code {
            "st" => format!("Litho tse {total} li baliloe, motho ka mong hang feela."),
            _ => format!("{total} members counted, each person once."),
        }
    }

    /// The header of a bucket of months in the skills table ("4-6 months").
    pub fn months_bucket(&self, bucket: &str) -> String {
        match self.code {
            "st" => format!("Likhoeli tse {bucket}"),
            _ if bucket == "1" => "1 month".to_owned(),
            _ => format!("{bucket} months"),
        }
    }

    /// Under a chart that draws only its largest rows.
    pub fn drawn_of(&self, drawn: usize, total: usize) -> String {
        match self.code {
            "st" => format!(
                "Tse {drawn} tse kholo ho tse {total} li bontšitsoe; tafole e na le tsohle."
            ),
            _ => format!("The {drawn} largest of {total} are drawn; the table lists them all."),
        }
    }

    /// A download button's accessible name ("Download Country of residence as CSV").
    pub fn download_as(&self, title: &str, format: &str) -> String {
        match self.code {
            "st" => format!("Jarolla {title} e le {format}"),
            _ => format!("Download {title} as {format}"),
        }
    }
}

pub static ENGLISH_CHARTS: ChartWords = ChartWords {
    code: "en",
    dashboard: "Dashboard",
    intro: "Who the diaspora registered so far are, counted from the submissions the filters select. A person registered twice counts once, once the duplicates are merged; withdrawn submissions are not counted.",
    no_forms: "No form is published yet: the dashboard counts the answers of a form.",
    failed: "The dashboard could not be counted.",
    no_data: "No answers yet.",
    not_given: "Not given",
    members: "Members",
    table: "Table",
    download: "Download",
    png_failed: "The browser could not draw the picture.",
    countries: "Country of residence",
    country: "Country",
    regions: "Province or region",
    region: "Province or region",
    professions: "Profession",
    profession: "Profession",
    specialisations: "Profession and specialisation",
    specialisation: "Specialisation",
    engagement: "How members would take part",
    interest: "Interest",
    months_available: "Months a year for short-term assignments",
    months: "Months",
    years_abroad: "Years lived abroad",
    years: "Years",
    by_month: "Registrations by month",
    month: "Month",
    associations: "By association",
    devices: "By volunteer's device",
    device: "Device",
    review: "Review progress",
    completeness: "Completeness and open issues",
    state: "State",
    complete: "Complete",
    with_issues: "With issues",
    with_conflicts: "With unresolved conflicts",
    skills: "Skills available for short-term assignments",
    skills_hint: "Members who would take a short-term assignment in Lesotho, by profession, specialisation and country of residence, with the months a year they could give.",
    months_total: "Months a year, added up",
};

pub static SESOTHO_CHARTS: ChartWords = ChartWords {
    code: "st",
    dashboard: "Kakaretso",
    intro: "Hore na ba lelapa la kantle ho naha ba ngolisitsoeng ke bo mang, ba baloa ho tsoa lipalong tseo lihloekisi li li khethang. Motho ea ngolisitsoeng habeli o baloa hang, ha lingoliso li se li kopantsoe; lipalo tse huliloeng ha li baloe.",
    no_forms: "Ha ho foromo e phatlalalitsoeng hajoale: kakaretso e bala likarabo tsa foromo.",
    failed: "Kakaretso ha ea ka ea baloa.",
    no_data: "Ha ho likarabo hajoale.",
    not_given: "Ha e a fanoa",
    members: "Litho",
    table: "Tafole",
    download: "Jarolla",
    png_failed: "Sebatli ha sea ka sa khona ho taka setšoantšo.",
    countries: "Naha eo ba lulang ho eona",
    country: "Naha",
    regions: "Profinse kapa setereke",
    region: "Profinse kapa setereke",
    professions: "Mosebetsi oa profeshene",
    profession: "Mosebetsi oa profeshene",
    specialisations: "Profeshene le bonghali",
    specialisation: "Bonghali",
    engagement: "Kamoo litho li ka nkang karolo kateng",
    interest: "Thahasello",
    months_available: "Likhoeli ka selemo bakeng sa mesebetsi ea nako e khutšoane",
    months: "Likhoeli",
    years_abroad: "Lilemo tse phetsoeng kantle ho naha",
    years: "Lilemo",
    by_month: "Lingoliso ka khoeli",
    month: "Khoeli",
    associations: "Ka mokhatlo",
    devices: "Ka sesebelisoa sa moithaopi",
    device: "Sesebelisoa",
    review: "Tsoelopele ea tlhahlobo",
    completeness: "Ho phethahala le mathata a bulehileng",
    state: "Boemo",
    complete: "E phethehile",
    with_issues: "E na le mathata",
    with_conflicts: "E na le likhohlano tse so rarolloeng",
    skills: "Litsebo tse fumanehang bakeng sa mesebetsi ea nako e khutšoane",
    skills_hint: "Litho tse ka nkang mosebetsi oa nako e khutšoane Lesotho, ka profeshene, bonghali le naha eo ba lulang ho eona, le likhoeli tseo ba ka li fanang ka selemo.",
    months_total: "Likhoeli ka selemo, li kopantsoe",
};

impl Words {
    /// The words of `code`, English for any other.
    pub fn for_language(code: &str) -> &'static Words {
        if code == "st" { &SESOTHO } else { &ENGLISH }
    }

    /// A review status's name.
    pub fn status_name(&self, status: ReviewStatus) -> &'static str {
        match (self.code, status) {
            ("st", ReviewStatus::Received) => "e amohetsoe",
            ("st", ReviewStatus::HasIssues) => "e na le mathata",
            ("st", ReviewStatus::Approved) => "e amohetswe ka botlalo",
            ("st", ReviewStatus::Rejected) => "e hanngoe",
            (_, ReviewStatus::Received) => "received",
            (_, ReviewStatus::HasIssues) => "has issues",
            (_, ReviewStatus::Approved) => "approved",
            (_, ReviewStatus::Rejected) => "rejected",
        }
    }

    /// "3 issues", for the table's judgement column.
    pub fn issues(&self, count: usize) -> String {
        match (self.code, count) {
            ("st", 1) => "bothata bo le 1".to_owned(),
            ("st", n) => format!("mathata a {n}"),
            (_, 1) => "1 issue".to_owned(),
            (_, n) => format!("{n} issues"),
        }
    }

    /// "2 conflicts".
    pub fn conflicts(&self, count: u32) -> String {
        match (self.code, count) {
            ("st", 1) => "khohlano e le 1".to_owned(),
            ("st", n) => format!("likhohlano tse {n}"),
            (_, 1) => "1 conflict".to_owned(),
            (_, n) => format!("{n} conflicts"),
        }
    }

    /// "12 selected".
    pub fn selected(&self, count: usize) -> String {
        match self.code {
            "st" => format!("tse {count} li khethiloe"),
            _ => format!("{count} selected"),
        }
    }

    /// What a bulk change did.
    pub fn bulk_done(&self, changed: usize, failed: usize) -> String {
        match (self.code, failed) {
            ("st", 0) => format!("Tse {changed} li fetotsoe."),
            ("st", f) => format!("Tse {changed} li fetotsoe; tse {f} ha lia fetoha."),
            (_, 0) => format!("{changed} changed."),
            (_, f) => format!("{changed} changed; {f} could not be changed."),
        }
    }

    /// Who wrote a value: a reviewer (`staff-3`), a volunteer's device, or someone unknown.
    pub fn author(&self, user: Option<&str>, device: Option<&str>) -> String {
        match (user.and_then(|u| u.strip_prefix("staff-")), device) {
            (Some(id), _) => match self.code {
                "st" => format!("mohlahlobi #{id}"),
                _ => format!("reviewer #{id}"),
            },
            (None, Some(device)) => match self.code {
                "st" => format!("sesebelisoa {device}"),
                _ => format!("device {device}"),
            },
            (None, None) => match self.code {
                "st" => "ha ho tsejoe".to_owned(),
                _ => "unknown".to_owned(),
            },
        }
    }

    /// "Filters (2 set)", on the filters' fold.
    pub fn filters_summary(&self, count: usize) -> String {
        match (self.code, count) {
            (_, 0) => self.filters.to_owned(),
            ("st", n) => format!("{} ({n} li sebetsa)", self.filters),
            (_, n) => format!("{} ({n} set)", self.filters),
        }
    }

    /// The button that takes an association's submissions onto this computer.
    pub fn take_offline(&self, association: &str) -> String {
        match self.code {
            "st" => format!("Nka lipalo tsa {association} ho komporo ena"),
            _ => format!("Take {association}'s submissions offline"),
        }
    }

    /// After taking a copy.
    pub fn export_labels_in(&self, language: &str) -> String {
        match self.code {
            "st" => format!("Mabitso ka {language}"),
            _ => format!("Labels in {language}"),
        }
    }

    pub fn import_report(&self, report: &letsema_protocol::staff::ImportReport) -> String {
        let imported = match (self.code, report.dry_run) {
            ("st", true) => format!(
                "Mela e {} e baliloe: e {} e ka kenngoa (e {} e na le mathata a foromo), e {} e \
                 se e kentsoe pele. Ha ho letho le ngotsoeng.",
                report.rows, report.new, report.with_issues, report.already
            ),
            ("st", false) => format!(
                "Mela e {} e baliloe: e {} e kentsoe (e {} e na le mathata a foromo), e {} e \
                 ne e se e kentsoe pele.",
                report.rows, report.new, report.with_issues, report.already
            ),
            (_, true) => format!(
                "{} rows read: {} would be imported ({} with issues the form finds), {} were \
                 imported before. Nothing was written.",
                report.rows, report.new, report.with_issues, report.already
            ),
            (_, false) => format!(
                "{} rows read: {} imported ({} with issues the form finds), {} imported \
                 before and left as they are.",
                report.rows, report.new, report.with_issues, report.already
            ),
        };
        if report.computed.is_empty() {
            imported
        } else {
            let left = report.computed.join(", ");
            match self.code {
                "st" => format!("{imported} Tse tlohetsoeng (foromo ea li bala): {left}."),
                _ => format!("{imported} Left out, as the form computes them: {left}."),
            }
        }
    }

    pub fn export_done(&self, count: u64, bytes: u64) -> String {
        let size = if bytes >= 1_000_000 {
            format!("{:.1} MB", bytes as f64 / 1e6)
        } else {
            format!("{} KB", bytes.div_ceil(1000))
        };
        match self.code {
            "st" => format!("Lipalo tse {count} li ntšitsoe ({size})."),
            _ if count == 1 => format!("1 submission exported ({size})."),
            _ => format!("{count} submissions exported ({size})."),
        }
    }

    pub fn taken_offline(&self, count: usize) -> String {
        match self.code {
            "st" => {
                format!("Lipalo tse {count} li komporong ena: li ka hlahlojoa ntle le marang-rang.")
            }
            _ => format!(
                "{count} submissions are on this computer: they can be reviewed with no network."
            ),
        }
    }

    /// What the copy holds.
    pub fn offline_summary(&self, association: &str, count: usize, waiting: usize) -> String {
        match self.code {
            "st" => format!(
                "Kopi ea {association}: lipalo tse {count}; tse {waiting} li na le liphetoho tse so kang li romeloa."
            ),
            _ => format!(
                "Copy of {association}: {count} submissions; {waiting} with changes not sent yet."
            ),
        }
    }

    /// After a send.
    pub fn sent_changes(&self, acknowledged: usize, updated: usize) -> String {
        match self.code {
            "st" => format!(
                "Liphetoho li rometsoe: tse {acknowledged} li amohetsoe, tse {updated} li ntlafalitsoe ho tsoa sevareng."
            ),
            _ => format!(
                "Changes sent: {acknowledged} accepted by the server, {updated} updated from it."
            ),
        }
    }

    /// "History (3)".
    pub fn history_of(&self, count: usize) -> String {
        format!("{} ({count})", self.history)
    }

    /// What an action of the audit log means, if this page knows it.
    pub fn audit_action_name(&self, action: &str) -> Option<&'static str> {
        let (en, st) = match action {
            "export" => ("Exported submissions", "O ntšitse lipalo"),
            "import" => ("Imported a register", "O kentse rejisetara"),
            "odata.read" => ("Read submissions over OData", "O balile lipalo ka OData"),
            "session.open" => ("Signed in", "O kene"),
            "session.close_all" => ("Signed out everywhere", "O tsoile hohle"),
            "user.add" => ("Added a staff account", "O kentse akhaonto ea mosebetsi"),
            "association.name" => ("Named an association", "O reile mokhatlo lebitso"),
            "enrolment.create" => ("Made an enrolment link", "O entse sehokelo sa ngoliso"),
            "device.enrol" => ("A phone enrolled", "Mohala o ngolisitsoe"),
            "device.replace" => (
                "A phone took a lost phone's place",
                "Mohala o nkile sebaka sa o lahlehileng",
            ),
            "device.revoke" => ("Revoked a phone", "O thibetse mohala"),
            "public_link.create" => ("Made a public survey link", "O entse sehokelo sa sechaba"),
            "public_link.revoke" => (
                "Revoked a public survey link",
                "O thibetse sehokelo sa sechaba",
            ),
            "duplicates.list" => (
                "Listed people registered twice",
                "O thathamisitse batho ba ngolisitsoeng habeli",
            ),
            "duplicates.decide" => (
                "Decided about a possible duplicate",
                "O etsitse qeto ka ngoliso e ka bang habeli",
            ),
            "duplicates.merge" => (
                "Merged a person's registrations",
                "O kopantse lingoliso tsa motho",
            ),
            "duplicates.unmerge" => ("Undid a merge", "O khutlisitse kopanyo"),
            _ => return None,
        };
        Some(if self.code == "st" { st } else { en })
    }

    /// "Registration 1", a registration without a name in the comparison.
    pub fn dup_registration(&self, number: usize) -> String {
        match self.code {
            "st" => format!("Ngoliso ea {number}"),
            _ => format!("Registration {number}"),
        }
    }

    /// The label of the choice of a value to keep: "Keep registration 2's answer to Phone".
    pub fn dup_keep_from(&self, question: &str, number: usize) -> String {
        match self.code {
            "st" => format!("Boloka karabo ea ngoliso ea {number} ho \"{question}\""),
            _ => format!("Keep registration {number}'s answer to \"{question}\""),
        }
    }

    /// The audit log table's caption: its order and the time zone its times are in.
    pub fn audit_caption(&self, offset: &str) -> String {
        match self.code {
            "st" => format!("Tsa morao-rao pele; linako ke tsa komporo ena ({offset})."),
            _ => format!("Newest first; times are this computer's ({offset})."),
        }
    }

    /// Why two registrations may be one person, in this language (the server's English
    /// line for a pair found before the reasons were sent apart).
    pub fn reasons(&self, reasons: &[MatchReason], explanation: &str) -> String {
        if reasons.is_empty() || self.code != "st" {
            return if reasons.is_empty() {
                explanation.to_owned()
            } else {
                letsema_protocol::reasons::explanation(reasons)
            };
        }
        reasons
            .iter()
            .map(sesotho_reason)
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// "Showing 50; more below".
    pub fn shown(&self, count: usize, more: bool) -> String {
        match (self.code, more) {
            ("st", true) => format!("Tse {count} lia bontšoa; tse ling li teng."),
            ("st", false) => format!("Tse {count} lia bontšoa."),
            (_, true) => format!("Showing {count}; there are more."),
            (_, false) => format!("Showing {count}."),
        }
    }
}

/// One reason in Sesotho.
fn sesotho_reason(reason: &MatchReason) -> String {
    match reason {
        MatchReason::SamePhone => "nomoro ea mohala e tšoanang".into(),
        MatchReason::OtherPhone => "nomoro ea mohala e fapaneng".into(),
        MatchReason::SameEmail => "e-mail e tšoanang".into(),
        MatchReason::OtherEmail => "e-mail e fapaneng".into(),
        MatchReason::SameNames { respelt: false } => "mabitso a tšoanang".into(),
        MatchReason::SameNames { respelt: true } => {
            "mabitso a tšoanang ha a ngoloa ka mopeleto o le mong".into()
        }
        MatchReason::NamesSwapped => "mabitso le fane li fapanyelitsoe".into(),
        MatchReason::SameFirstNames => "mabitso a pele a tšoanang".into(),
        MatchReason::SameSurname => "fane e tšoanang".into(),
        MatchReason::SecondName => "lebitso la bobeli ho ngoliso e le 'ngoe feela".into(),
        MatchReason::FirstNamesSimilar { similarity } => {
            format!("mabitso a pele a tšoana ka {similarity:.2}")
        }
        MatchReason::FirstNamesDiffer => "mabitso a pele a fapane".into(),
        MatchReason::SurnamesSimilar { similarity } => {
            format!("lifane li tšoana ka {similarity:.2}")
        }
        MatchReason::MaidenName => "fane ea e 'ngoe e har'a mabitso a e 'ngoe".into(),
        MatchReason::SurnamesDiffer => "lifane li fapane".into(),
        MatchReason::BirthDateSame => "letsatsi la tsoalo le tšoanang".into(),
        MatchReason::BirthDateOneDigit => "matsatsi a tsoalo a fapana ka nomoro e le 'ngoe".into(),
        MatchReason::BirthDateSwapped => {
            "matsatsi a tsoalo a fapana ka letsatsi le khoeli tse fapanyelitsoeng".into()
        }
        MatchReason::BirthYearOnly => {
            "selemo sa tsoalo se tšoanang (ho tsejoa selemo feela)".into()
        }
        MatchReason::BirthDatesDiffer => "matsatsi a tsoalo a fapane".into(),
        MatchReason::SexDiffers => "botona kapa botšehali bo fapane".into(),
        MatchReason::SameCity => "toropo e tšoanang".into(),
        MatchReason::OtherCountry => "naha e 'ngoe".into(),
        MatchReason::SameProfession => "profeshene e tšoanang".into(),
        MatchReason::OtherProfession => "profeshene e 'ngoe".into(),
        MatchReason::Other { text } => text.clone(),
    }
}

pub static ENGLISH: Words = Words {
    code: "en",
    title: "Letsema: review",
    language: "Language",
    sign_in_title: "Sign in to review submissions",
    email: "E-mail address",
    password: "Password",
    sign_in: "Sign in",
    signing_in: "Signing in…",
    sign_out: "Sign out",
    loading: "Loading…",
    submissions: "Submissions",
    filters: "Filters",
    form: "Form",
    version: "Version",
    any: "Any",
    association: "Association",
    public_links: "Survey takers (public links)",
    status: "Review status",
    from: "Created from",
    to: "Created until",
    completeness: "Judgement",
    complete_only: "Complete",
    with_issues_only: "With issues",
    conflicts_only: "With conflicts only",
    question: "Question",
    answer: "Answer",
    add_choice_filter: "Filter by an answer",
    remove_filter: "Remove this filter",
    search: "Search names and phone numbers",
    search_hint: "Words of two letters or more; each matches the start of a word.",
    order: "Order",
    newest: "Newest first",
    oldest: "Oldest first",
    apply: "Apply filters",
    clear: "Clear",
    name: "Name",
    created: "Created",
    judgement: "Judgement",
    complete: "complete",
    unnamed: "(no name)",
    more: "Show more",
    no_submissions: "No submission matches these filters.",
    select_row: "Select",
    select_all: "Select all shown",
    set_status_of_selected: "Set the status of the selected",
    new_status: "New status",
    back_to_table: "Back to the submissions",
    review: "Review",
    comment: "Comment for the volunteer",
    save_review: "Save the review",
    comments: "Comments",
    no_comments: "No comments yet.",
    correct: "Correct",
    save: "Save",
    cancel: "Cancel",
    no_answer: "(no answer)",
    history: "History",
    conflict: "Conflict",
    conflicts_title: "Conflicting edits",
    keep_this: "Keep this value",
    another_value: "Or type another value",
    use_value: "Use this value",
    withdrawn: "Withdrawn by the volunteer",
    saved: "Saved. The volunteer's phone receives it on its next sync.",
    device: "Device",
    first_value: "first answer",
    cleared: "(cleared)",
    instance: "Entry",
    not_shown: "Not asked (not relevant)",
    network_problem: "The server could not be reached. Check the connection and try again.",
    signed_out: "Your session has ended. Sign in again.",
    judged: "Judged by the form now",
    taking_offline: "Taking the submissions onto this computer…",
    offline_title: "Offline review",
    export_title: "Export",
    export_hint: "Choose a form in the filters to export its submissions.",
    export_format: "Format",
    format_xlsx: "Excel (.xlsx), a sheet per repeat",
    format_csv: "CSV in a zip, a file per repeat",
    format_jsonl: "JSON lines",
    export_choices_as: "Choices as",
    export_choice_names: "Their names, as stored",
    export_group_names: "Group names in column headers",
    export_split: "A 0/1 column for each choice of a multiple choice",
    export_review: "Review status and comments",
    export_judgement: "The server's judgement (complete, issues)",
    export_on_record: "Every submission the filters match is exported, of every version of the form. The export is recorded in the audit log.",
    export_download: "Download the export",
    export_preparing: "Preparing the export… a large register takes up to half a minute.",
    import_title: "Import a register",
    import_hint: "Choose a form in the filters to import a list of members as its submissions.",
    import_file: "Spreadsheet (.xlsx, .xls or .csv), the columns' names in the first row",
    import_key: "Key column (optional)",
    import_key_hint: "A member number, so that importing the same file again adds nobody twice.",
    import_map: "Columns to match (optional)",
    import_map_hint: "One per line: COLUMN=question, or COLUMN= to leave a column out.",
    import_check: "Check the file",
    import_run: "Import",
    import_reading: "Reading the rows…",
    import_choose_file: "Choose the file to import first.",
    open_offline: "Open the offline copy",
    send_changes: "Send changes",
    offline_hint: "To review with no network, filter the table by one association and take its submissions onto this computer.",
    not_sent: "not sent",
    offline_badge: "Offline copy: changes are kept on this computer until you send them.",
    no_network_offline_copy: "No network: this is the offline copy kept on this computer. Changes are sent when the network returns and you press Send changes.",
    nav_label: "The staff area",
    audit_title: "Audit log",
    audit_intro: "Who did what, newest first: exports, imports, sign-ins, accounts, enrolments and links. No one can change or remove an entry.",
    audit_admins_only: "Only administrators can read the audit log. Ask an administrator if you need to know who did something.",
    audit_action: "Action",
    audit_all_actions: "All actions",
    audit_actor: "Who",
    audit_actor_hint: "Exactly as the log names them: user:7 (a staff account), cli (a command on the server) or device:… (a phone).",
    audit_time: "Time",
    audit_who: "Who",
    audit_detail: "Detail",
    audit_address: "Network address",
    audit_none: "none",
    audit_only: "Show only",
    audit_older: "Load older entries",
    audit_no_entries: "No entry matches these filters.",
    audit_retry: "Try again",
    audit_failed: "The audit log could not be loaded.",
    audit_cli: "A command on the server",
    audit_device: "A phone",
    duplicates: "Duplicates",
    dup_intro: "People who may be registered more than once, found as each registration arrived, with the reasons. Compare the two registrations and decide: the decision is yours.",
    dup_lists: "Which pairs",
    dup_open: "To review",
    dup_different: "Not the same person",
    dup_merged: "Merged",
    dup_registrations: "Registrations",
    dup_reasons: "Why",
    dup_score: "Score",
    dup_found: "Found",
    dup_compare: "Compare",
    dup_compare_three: "Compare all three",
    dup_none: "No pair in this list.",
    dup_failed: "The list could not be loaded.",
    dup_compare_title: "Two registrations compared",
    dup_compare_title_three: "Three registrations compared",
    dup_keep_this: "Keep this registration",
    dup_question: "Question",
    dup_keep_value: "Value kept",
    dup_merge: "Merge into the registration kept",
    dup_not_same: "Not the same person",
    dup_propose_again: "Propose this pair again",
    dup_undo: "Undo the merge",
    dup_merged_notice: "Merged: the other registration now counts as a duplicate of the one kept. Its volunteer is told on the next sync.",
    dup_different_notice: "Remembered: this pair will not be proposed again.",
    dup_reopened_notice: "This pair is proposed again.",
    dup_undone_notice: "The merge was undone: both registrations count on their own again.",
    dup_back: "Back to the duplicates",
    dup_working: "Working…",
    dup_same: "same",
    dup_merged_into: "Merged into",
    dup_no_answer: "(no answer)",
    charts: &ENGLISH_CHARTS,
};

pub static SESOTHO: Words = Words {
    code: "st",
    title: "Letsema: tlhahlobo",
    language: "Puo",
    sign_in_title: "Kena ho hlahloba lipalo",
    email: "Aterese ea e-mail",
    password: "Phasewete",
    sign_in: "Kena",
    signing_in: "Ea kena…",
    sign_out: "Tsoa",
    loading: "Ea laela…",
    submissions: "Lipalo tse rometsoeng",
    filters: "Lihloekisi",
    form: "Foromo",
    version: "Phetolelo",
    any: "Efe kapa efe",
    association: "Mokhatlo",
    public_links: "Ba arabang (lihokelo tsa sechaba)",
    status: "Boemo ba tlhahlobo",
    from: "E entsoe ho tloha",
    to: "E entsoe ho fihlela",
    completeness: "Kahlolo",
    complete_only: "E feletseng",
    with_issues_only: "E nang le mathata",
    conflicts_only: "Tse nang le likhohlano feela",
    question: "Potso",
    answer: "Karabo",
    add_choice_filter: "Hloekisa ka karabo",
    remove_filter: "Tlosa sehloekisi sena",
    search: "Batla mabitso le linomoro tsa mohala",
    search_hint: "Mantsoe a litlhaku tse peli kapa ho feta; le leng le le leng le tšoana le qalo ea lentsoe.",
    order: "Tatellano",
    newest: "Tse ncha pele",
    oldest: "Tsa khale pele",
    apply: "Sebelisa lihloekisi",
    clear: "Hlakola",
    name: "Lebitso",
    created: "E entsoe",
    judgement: "Kahlolo",
    complete: "e feletse",
    unnamed: "(ha e na lebitso)",
    more: "Bontša tse ling",
    no_submissions: "Ha ho palo e tsamaellanang le lihloekisi tsena.",
    select_row: "Khetha",
    select_all: "Khetha tsohle tse bontšoang",
    set_status_of_selected: "Fetola boemo ba tse khethiloeng",
    new_status: "Boemo bo bocha",
    back_to_table: "Khutlela lipalong",
    review: "Tlhahlobo",
    comment: "Maikutlo ho moithaopi",
    save_review: "Boloka tlhahlobo",
    comments: "Maikutlo",
    no_comments: "Ha ho maikutlo hajoale.",
    correct: "Lokisa",
    save: "Boloka",
    cancel: "Hlakola",
    no_answer: "(ha ho karabo)",
    history: "Nalane",
    conflict: "Khohlano",
    conflicts_title: "Liphetoho tse hohlanang",
    keep_this: "Boloka boleng bona",
    another_value: "Kapa ngola boleng bo bong",
    use_value: "Sebelisa boleng bona",
    withdrawn: "E hulisitsoe ke moithaopi",
    saved: "E bolokiloe. Mohala oa moithaopi o tla e fumana ha o hokahana hape.",
    device: "Sesebelisoa",
    first_value: "karabo ea pele",
    cleared: "(e hlakotsoe)",
    instance: "Kenyo",
    not_shown: "Ha ea botsoa (ha e amane)",
    network_problem: "Seva ha e fumanehe. Hlahloba khokahano 'me u leke hape.",
    signed_out: "Nako ea hau e felile. Kena hape.",
    judged: "E ahlotsoe ke foromo hona joale",
    taking_offline: "Ho nka lipalo ho komporo ena…",
    offline_title: "Tlhahlobo ntle le marang-rang",
    export_title: "Ntša lipalo",
    export_hint: "Khetha foromo ho lihloekisi ho ntša lipalo tsa eona.",
    export_format: "Sebopeho",
    format_xlsx: "Excel (.xlsx), leqephe bakeng sa pheta-pheto ka 'ngoe",
    format_csv: "CSV ka har'a zip, faele bakeng sa pheta-pheto ka 'ngoe",
    format_jsonl: "Mela ea JSON",
    export_choices_as: "Likhetho joalo ka",
    export_choice_names: "Mabitso a tsona, joalo ka ha a bolokiloe",
    export_group_names: "Mabitso a lihlopha lihloohong tsa litšiea",
    export_split: "Tšiea ea 0/1 bakeng sa khetho ka 'ngoe ea likhetho tse ngata",
    export_review: "Boemo ba tlhahlobo le maikutlo",
    export_judgement: "Kahlolo ea seva (e felletse, mathata)",
    export_on_record: "Palo e 'ngoe le e 'ngoe eo lihloekisi li e fumanang ea ntšoa, ea mofuta o mong le o mong oa foromo. Ho ntšoa hona ho ngoloa bukeng ea tlhahlobo.",
    export_download: "Jarolla lipalo",
    export_preparing: "Ho lokisa lipalo… rejisetara e kholo e nka ho fihla halofo ea motsotso.",
    import_title: "Kenya rejisetara",
    import_hint: "Khetha foromo ho lihloekisi ho kenya lenane la litho e le lipalo tsa eona.",
    import_file: "Spreadsheet (.xlsx, .xls kapa .csv), mabitso a litšiea moleng oa pele",
    import_key: "Tšiea ea senotlolo (ha e qobelloe)",
    import_key_hint: "Nomoro ea setho, e le hore ho kenya faele e tšoanang hape ho se eketse motho habeli.",
    import_map: "Litšiea tse lokelang ho tsamaisana (ha li qobelloe)",
    import_map_hint: "E 'ngoe moleng ka mong: TŠIEA=potso, kapa TŠIEA= ho tlohela tšiea.",
    import_check: "Hlahloba faele",
    import_run: "Kenya",
    import_reading: "Ho bala mela…",
    import_choose_file: "Khetha faele eo u e kenyang pele.",
    open_offline: "Bula kopi e sa hlokeng marang-rang",
    send_changes: "Romela liphetoho",
    offline_hint: "Ho hlahloba ntle le marang-rang, hloekisa lethathamo ka mokhatlo o le mong 'me u nke lipalo tsa oona ho komporo ena.",
    not_sent: "ha e so romeloe",
    offline_badge: "Kopi e sa hlokeng marang-rang: liphetoho li bolokoa komporong ena ho fihlela u li romela.",
    no_network_offline_copy: "Ha ho marang-rang: ena ke kopi e bolokiloeng komporong ena. Liphetoho li romeloa ha marang-rang a khutla 'me u tobetsa Romela liphetoho.",
    nav_label: "Karolo ea basebetsi",
    audit_title: "Buka ea tlhahlobo",
    audit_intro: "Ke mang ea entseng eng, tsa morao-rao pele: ho ntša lipalo, ho kenya, ho kena, liakhaonto, lingoliso le lihokelo. Ha ho motho ea ka fetolang kapa a hlakola se ngotsoeng.",
    audit_admins_only: "Ke batsamaisi feela ba ka balang buka ea tlhahlobo. Botsa motsamaisi haeba u hloka ho tseba hore na ke mang ea entseng ntho e itseng.",
    audit_action: "Ketso",
    audit_all_actions: "Liketso tsohle",
    audit_actor: "Mang",
    audit_actor_hint: "Hantle joalo ka ha buka e ba ngola: user:7 (akhaonto ea mosebetsi), cli (taelo sevareng) kapa device:… (mohala).",
    audit_time: "Nako",
    audit_who: "Mang",
    audit_detail: "Lintlha",
    audit_address: "Aterese ea marang-rang",
    audit_none: "ha ho",
    audit_only: "Bontša feela",
    audit_older: "Laela tsa khale ho feta",
    audit_no_entries: "Ha ho se ngotsoeng se tsamaellanang le lihloekisi tsena.",
    audit_retry: "Leka hape",
    audit_failed: "Buka ea tlhahlobo ha ea ka ea laeleha.",
    audit_cli: "Taelo sevareng",
    audit_device: "Mohala",
    duplicates: "Lingoliso tse habeli",
    dup_intro: "Batho ba ka bang ba ngolisitsoe ho feta hang, ba fumanoeng ha ngoliso e 'ngoe le e 'ngoe e fihla, le mabaka. Bapisa lingoliso tse peli 'me u etse qeto: qeto ke ea hau.",
    dup_lists: "Lipara life",
    dup_open: "Tse lokelang ho hlahlojoa",
    dup_different: "Hase motho a le mong",
    dup_merged: "Tse kopantsoeng",
    dup_registrations: "Lingoliso",
    dup_reasons: "Hobaneng",
    dup_score: "Lintlha",
    dup_found: "E fumanoe",
    dup_compare: "Bapisa",
    dup_compare_three: "Bapisa tse tharo kaofela",
    dup_none: "Ha ho para lethathamong lena.",
    dup_failed: "Lethathamo ha lea ka la laeleha.",
    dup_compare_title: "Lingoliso tse peli li bapisitsoe",
    dup_compare_title_three: "Lingoliso tse tharo li bapisitsoe",
    dup_keep_this: "Boloka ngoliso ena",
    dup_question: "Potso",
    dup_keep_value: "Boleng bo bolokoang",
    dup_merge: "Kopanya ho ngoliso e bolokoang",
    dup_not_same: "Hase motho a le mong",
    dup_propose_again: "Hlahisa para ena hape",
    dup_undo: "Khutlisa kopanyo",
    dup_merged_notice: "E kopantsoe: ngoliso e 'ngoe joale e baloa e le habeli ea e bolokiloeng. Moithaopi oa eona o tla tsebisoa ha a hokahanya hape.",
    dup_different_notice: "E hopoletsoe: para ena e ke ke ea hlahisoa hape.",
    dup_reopened_notice: "Para ena e hlahisoa hape.",
    dup_undone_notice: "Kopanyo e khutlisitsoe: lingoliso ka bobeli li baloa ka bo tsona hape.",
    dup_back: "Khutlela lingolisong tse habeli",
    dup_working: "Ho sebetsoa…",
    dup_same: "ea tšoana",
    dup_merged_into: "E kopantsoe ho",
    dup_no_answer: "(ha ho karabo)",
    charts: &SESOTHO_CHARTS,
};

/// The language to start in: the one chosen before, else the browser's, else English.
pub fn starting_language(chosen: Option<&str>, browser: Option<&str>) -> &'static str {
    let known = |code: &str| LANGUAGES.iter().find(|(c, _)| *c == code).map(|(c, _)| *c);
    chosen
        .and_then(known)
        .or_else(|| browser.and_then(|b| known(b.split('-').next().unwrap_or(b))))
        .unwrap_or("en")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_chosen_before_wins_over_the_browsers() {
        assert_eq!(starting_language(Some("st"), Some("en-GB")), "st");
        assert_eq!(starting_language(None, Some("st-LS")), "st");
        assert_eq!(starting_language(Some("fr"), Some("de")), "en");
    }

    #[test]
    fn reasons_read_as_the_servers_line_in_english_and_in_sesotho_otherwise() {
        let line = "same phone; same names after spelling rules; first names 0.93 similar";
        let reasons = letsema_protocol::reasons::parse_explanation(line);
        assert_eq!(ENGLISH.reasons(&reasons, line), line);
        assert_eq!(
            SESOTHO.reasons(&reasons, line),
            "nomoro ea mohala e tšoanang; mabitso a tšoanang ha a ngoloa ka mopeleto o le mong; \
             mabitso a pele a tšoana ka 0.93"
        );
        assert_eq!(
            SESOTHO.reasons(&[], "old line"),
            "old line",
            "a pair sent without reasons"
        );
    }

    #[test]
    fn authors_are_named_by_what_wrote() {
        assert_eq!(
            ENGLISH.author(Some("staff-4"), Some("staff-4")),
            "reviewer #4"
        );
        assert_eq!(ENGLISH.author(None, Some("dev-abc")), "device dev-abc");
        assert_eq!(SESOTHO.issues(1), "bothata bo le 1");
    }

    #[test]
    fn every_action_the_audit_log_offers_is_described_in_both_languages() {
        for action in crate::audit::KNOWN_ACTIONS {
            assert!(ENGLISH.audit_action_name(action).is_some(), "{action}");
            assert!(SESOTHO.audit_action_name(action).is_some(), "{action}");
        }
        assert_eq!(ENGLISH.audit_action_name("form.publish"), None);
    }
}
