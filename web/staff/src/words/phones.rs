//! The Phones screen's words: enrolment links, enrolled phones, public survey links.

use super::Words;
use crate::phones::{DraftProblem, LinkState, MAX_NAME_CHARS, MAX_USES};

/// The Phones screen's words in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhoneWords {
    pub code: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub not_for_reviewers: &'static str,
    pub new_link: &'static str,
    pub association_hint: &'static str,
    pub association_name: &'static str,
    pub association_name_hint: &'static str,
    pub forms: &'static str,
    pub no_forms: &'static str,
    pub uses: &'static str,
    pub create: &'static str,
    pub creating: &'static str,
    pub new_link_title: &'static str,
    pub new_public_link_title: &'static str,
    pub link: &'static str,
    pub shown_once: &'static str,
    pub copy: &'static str,
    pub copied: &'static str,
    pub copy_by_hand: &'static str,
    pub print: &'static str,
    pub qr: &'static str,
    pub enrolments: &'static str,
    pub no_enrolments: &'static str,
    pub valid_until: &'static str,
    pub uses_left: &'static str,
    pub state: &'static str,
    pub devices: &'static str,
    pub no_devices: &'static str,
    pub phone: &'static str,
    pub enrolled: &'static str,
    pub last_seen: &'static str,
    pub never: &'static str,
    pub revoke: &'static str,
    pub yes_revoke: &'static str,
    pub confirm_device: &'static str,
    pub device_revoked: &'static str,
    pub public_title: &'static str,
    pub public_intro: &'static str,
    pub public_label: &'static str,
    pub public_create: &'static str,
    pub public_links: &'static str,
    pub no_public_links: &'static str,
    pub joined: &'static str,
    pub confirm_link: &'static str,
    pub link_revoked: &'static str,
    pub failed: &'static str,
    pub no_form_chosen: &'static str,
    pub association_problem: &'static str,
    pub check_the_form: &'static str,
}

impl PhoneWords {
    /// Under the uses' field.
    pub fn uses_hint(&self) -> String {
        match self.code {
            "st" => format!(
                "Ho tloha ho 1 ho isa ho {MAX_USES}: mohala o le mong ka sebaka se seng le se seng."
            ),
            _ => format!("From 1 to {MAX_USES}: one phone per use."),
        }
    }

    /// What is wrong with a field of the enrolment form.
    pub fn problem(&self, problem: DraftProblem) -> String {
        match (self.code, problem) {
            (_, DraftProblem::Association) => self.association_problem.to_owned(),
            (_, DraftProblem::NoForm) => self.no_form_chosen.to_owned(),
            ("st", DraftProblem::Uses) => {
                format!("Kenya palo e felletseng ho tloha ho 1 ho isa ho {MAX_USES}.")
            }
            ("st", DraftProblem::Name) => {
                format!("Lebitso la mokhatlo le ka ba le litlhaku tse {MAX_NAME_CHARS} feela.")
            }
            (_, DraftProblem::Uses) => format!("Enter a whole number from 1 to {MAX_USES}."),
            (_, DraftProblem::Name) => format!(
                "The association's name may have at most {MAX_NAME_CHARS} characters, and no \
                 control characters."
            ),
        }
    }

    /// Under a new link: until when, and for how many phones.
    pub fn link_valid(&self, until: &str, uses: u32) -> String {
        match (self.code, uses) {
            ("st", 1) => format!("E sebetsa ho fihlela {until}, bakeng sa mohala o le mong."),
            ("st", n) => format!("E sebetsa ho fihlela {until}, bakeng sa mehala e {n}."),
            (_, 1) => format!("Valid until {until}, for one phone."),
            (_, n) => format!("Valid until {until}, for {n} phones."),
        }
    }

    /// A link's state, in the lists.
    pub fn state_name(&self, state: LinkState) -> &'static str {
        match (self.code, state) {
            ("st", LinkState::Open) => "e bulehile",
            ("st", LinkState::UsedUp) => "e sebelisitsoe kaofela",
            ("st", LinkState::Expired) => "nako ea eona e fetile",
            ("st", LinkState::Revoked) => "e hlakotsoe",
            (_, LinkState::Open) => "open",
            (_, LinkState::UsedUp) => "used up",
            (_, LinkState::Expired) => "expired",
            (_, LinkState::Revoked) => "revoked",
        }
    }

    /// The accessible name of a phone's Revoke button.
    pub fn revoke_phone(&self, phone: &str) -> String {
        match self.code {
            "st" => format!("Hlakola {phone}"),
            _ => format!("Revoke {phone}"),
        }
    }

    /// The accessible name of a form's check box, with its version.
    pub fn form_version(&self, title: &str, version: &str) -> String {
        match self.code {
            "st" => format!("{title} (mofuta {version})"),
            _ => format!("{title} (version {version})"),
        }
    }
}

pub static ENGLISH_PHONES: PhoneWords = PhoneWords {
    code: "en",
    title: "Phones",
    intro: "A volunteer's phone joins an association by opening an enrolment link: scan its QR code with the phone's camera, or send the link. Revoke a phone that is lost or no longer used.",
    not_for_reviewers: "Phones are enrolled by coordinators and administrators. Ask one of them for an enrolment link.",
    new_link: "A link for phones",
    association_hint: "Its code: 1 to 64 letters, digits, '-', '_' or '.'. An existing one, or a new one.",
    association_name: "The association's name (optional)",
    association_name_hint: "Shown on the phones instead of the code.",
    forms: "Forms the phones fill in",
    no_forms: "No form is published yet: publish one first (letsema form publish FILE on the server).",
    uses: "How many phones may use it",
    create: "Create the link",
    creating: "Creating…",
    new_link_title: "The new enrolment link",
    new_public_link_title: "The new public survey link",
    link: "Link",
    shown_once: "Share or print it now: the link is shown only once.",
    copy: "Copy the link",
    copied: "The link is copied.",
    copy_by_hand: "The link is selected: press Ctrl+C (or ⌘+C) to copy it.",
    print: "Print",
    qr: "QR code of the link",
    enrolments: "Enrolment links",
    no_enrolments: "No enrolment link yet.",
    valid_until: "Valid until",
    uses_left: "Uses left",
    state: "State",
    devices: "Enrolled phones",
    no_devices: "No phone is enrolled yet.",
    phone: "Phone",
    enrolled: "Enrolled",
    last_seen: "Last seen",
    never: "never",
    revoke: "Revoke",
    yes_revoke: "Yes, revoke",
    confirm_device: "Revoke this phone? It can no longer send or receive submissions; what it sent is kept.",
    device_revoked: "The phone is revoked.",
    public_title: "Public survey links",
    public_intro: "Anyone with a public link can fill in one form, without an account. Their submissions are kept apart from every association's.",
    public_label: "Label (optional)",
    public_create: "Create the public link",
    public_links: "Public links",
    no_public_links: "No public link yet.",
    joined: "Browsers that joined",
    confirm_link: "Revoke this link? It opens nothing more, and the browsers it brought in can send nothing more.",
    link_revoked: "The link is revoked.",
    failed: "The phones and links could not be listed.",
    no_form_chosen: "Choose at least one form.",
    association_problem: "Use 1 to 64 letters, digits, '-', '_' or '.' for the association's code.",
    check_the_form: "Check the form: some answers need changing.",
};

pub static SESOTHO_PHONES: PhoneWords = PhoneWords {
    code: "st",
    title: "Mehala",
    intro: "Mohala oa moithaopi o kena mokhatlong ka ho bula sehokelo sa ngoliso: o skena khoutu ea QR ka khamera ea mohala, kapa o romele sehokelo. Hlakola mohala o lahlehileng kapa o sa sebelisoeng.",
    not_for_reviewers: "Mehala e ngolisoa ke bahokahanyi le batsamaisi. Kopa e mong oa bona sehokelo sa ngoliso.",
    new_link: "Sehokelo sa mehala",
    association_hint: "Khoutu ea oona: litlhaku, linomoro, '-', '_' kapa '.' tse 1 ho isa ho 64. E teng, kapa e ncha.",
    association_name: "Lebitso la mokhatlo (ha le qobelloe)",
    association_name_hint: "Le bontšoa mehaleng sebakeng sa khoutu.",
    forms: "Liforomo tseo mehala e li tlatsang",
    no_forms: "Ha ho foromo e phatlalalitsoeng hajoale: phatlalatsa e 'ngoe pele (letsema form publish FILE sevareng).",
    uses: "Ke mehala e mekae e ka e sebelisang",
    create: "Etsa sehokelo",
    creating: "Ho etsoa…",
    new_link_title: "Sehokelo se secha sa ngoliso",
    new_public_link_title: "Sehokelo se secha sa phuputso ea sechaba",
    link: "Sehokelo",
    shown_once: "Se arolelane kapa u se hatise hona joale: sehokelo se bontšoa hang feela.",
    copy: "Kopitsa sehokelo",
    copied: "Sehokelo se kopitsoe.",
    copy_by_hand: "Sehokelo se khethiloe: tobetsa Ctrl+C (kapa ⌘+C) ho se kopitsa.",
    print: "Hatisa",
    qr: "Khoutu ea QR ea sehokelo",
    enrolments: "Lihokelo tsa ngoliso",
    no_enrolments: "Ha ho sehokelo sa ngoliso hajoale.",
    valid_until: "Se sebetsa ho fihlela",
    uses_left: "Tse setseng",
    state: "Boemo",
    devices: "Mehala e ngolisitsoeng",
    no_devices: "Ha ho mohala o ngolisitsoeng hajoale.",
    phone: "Mohala",
    enrolled: "O ngolisitsoe",
    last_seen: "O bonoe la ho qetela",
    never: "ha ho mohla",
    revoke: "Hlakola",
    yes_revoke: "E, hlakola",
    confirm_device: "Hlakola mohala ona? O ke ke oa hlola o romela kapa o amohela lipalo; tseo o li rometseng lia bolokoa.",
    device_revoked: "Mohala o hlakotsoe.",
    public_title: "Lihokelo tsa phuputso ea sechaba",
    public_intro: "Mang kapa mang ea nang le sehokelo sa sechaba a ka tlatsa foromo e le 'ngoe, ntle le akhaonto. Lipalo tsa bona li bolokoa li arohane le tsa mokhatlo o mong le o mong.",
    public_label: "Lebitso (ha le qobelloe)",
    public_create: "Etsa sehokelo sa sechaba",
    public_links: "Lihokelo tsa sechaba",
    no_public_links: "Ha ho sehokelo sa sechaba hajoale.",
    joined: "Libatli tse kene",
    confirm_link: "Hlakola sehokelo sena? Ha se sa bula letho, 'me libatli tseo se li tlisitseng ha li sa romela letho.",
    link_revoked: "Sehokelo se hlakotsoe.",
    failed: "Mehala le lihokelo ha lia ka tsa bontšoa.",
    no_form_chosen: "Khetha bonyane foromo e le 'ngoe.",
    association_problem: "Sebelisa litlhaku, linomoro, '-', '_' kapa '.' tse 1 ho isa ho 64 bakeng sa khoutu ea mokhatlo.",
    check_the_form: "Hlahloba foromo: likarabo tse ling li hloka ho fetoloa.",
};

impl Words {
    /// The Phones screen's words.
    pub fn phones(&self) -> &'static PhoneWords {
        if self.code == "st" {
            &SESOTHO_PHONES
        } else {
            &ENGLISH_PHONES
        }
    }
}
