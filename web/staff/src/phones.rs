//! What the Phones screen (`#/phones`) reads and checks, apart from drawing it: the
//! server's enrolments, devices and public links as it sends them, the enrolment form
//! checked before it is sent, the forms offered (the newest version of each), and the QR
//! code's SVG made ready to be put in the page. Pure, and tested natively.

use std::collections::BTreeSet;

use letsema_protocol::staff::FormSummary;
use serde::{Deserialize, Serialize};

/// The most phones one enrolment link may enrol (the server's `MAX_ENROLMENT_USES`).
pub const MAX_USES: u32 = 500;
/// The longest association's display name (the server's `MAX_ASSOCIATION_NAME_CHARS`).
pub const MAX_NAME_CHARS: usize = 120;
/// The longest label of a public link (the server's `MAX_LABEL_CHARS`).
pub const MAX_LABEL_CHARS: usize = 200;

/// An enrolment link as `GET /api/enrolments` lists it (its secret is never listed).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Enrolment {
    pub id: i64,
    pub association: String,
    pub forms: Vec<String>,
    #[serde(default)]
    pub label: String,
    /// Seconds since the Unix epoch.
    pub expires_at: i64,
    pub uses_left: u32,
    pub revoked: bool,
    /// The device a phone enrolled with it replaces.
    #[serde(default)]
    pub replaces: Option<String>,
}

/// Whether an enrolment link still enrols phones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Open,
    UsedUp,
    Expired,
    Revoked,
}

impl Enrolment {
    /// Its state at `now` (seconds since the Unix epoch).
    pub fn state(&self, now: i64) -> LinkState {
        if self.revoked {
            LinkState::Revoked
        } else if self.expires_at <= now {
            LinkState::Expired
        } else if self.uses_left == 0 {
            LinkState::UsedUp
        } else {
            LinkState::Open
        }
    }
}

/// An enrolled device as `GET /api/devices` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Device {
    pub id: String,
    pub association: String,
    #[serde(default)]
    pub forms: Vec<String>,
    #[serde(default)]
    pub label: String,
    /// When it was enrolled (RFC 3339).
    pub created_at: String,
    /// When it last asked anything (seconds since the Unix epoch).
    #[serde(default)]
    pub last_seen_at: Option<i64>,
    pub revoked: bool,
    /// A survey taker's browser brought in by a public link, not a volunteer's phone.
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub association_name: Option<String>,
}

/// A public survey link as `GET /api/public-links` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PublicLink {
    pub id: i64,
    pub form: String,
    /// Where its submissions land: `public-<id>`.
    pub association: String,
    #[serde(default)]
    pub label: String,
    pub expires_at: i64,
    /// How many browsers opened it.
    pub joined: u64,
    pub revoked: bool,
}

impl PublicLink {
    /// Its state at `now` (seconds since the Unix epoch).
    pub fn state(&self, now: i64) -> LinkState {
        if self.revoked {
            LinkState::Revoked
        } else if self.expires_at <= now {
            LinkState::Expired
        } else {
            LinkState::Open
        }
    }
}

/// `POST /api/enrolments`' body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewEnrolment {
    pub association: String,
    pub forms: Vec<String>,
    pub uses: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub association_name: Option<String>,
}

/// `POST /api/enrolments`' answer: the link, shown once, and its QR code.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedEnrolment {
    pub enrolment: Enrolment,
    pub link: String,
    pub qr_svg: String,
}

/// `POST /api/public-links`' body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPublicLink {
    pub form: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
}

/// `POST /api/public-links`' answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedPublicLink {
    pub public_link: PublicLink,
    pub link: String,
    pub qr_svg: String,
}

/// What is wrong with the enrolment form, each said beside its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftProblem {
    /// Not 1 to 64 letters, digits, `-`, `_` or `.`.
    Association,
    /// No form is ticked.
    NoForm,
    /// Not a whole number from 1 to [`MAX_USES`].
    Uses,
    /// The display name is longer than [`MAX_NAME_CHARS`].
    Name,
}

/// The enrolment form as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnrolmentDraft {
    pub association: String,
    pub forms: BTreeSet<String>,
    pub uses: String,
    /// The association's display name; empty: left as it is.
    pub name: String,
}

impl EnrolmentDraft {
    /// A new form for `association` (the coordinator's own, or empty for an admin), one use.
    pub fn new(association: &str) -> EnrolmentDraft {
        EnrolmentDraft {
            association: association.to_owned(),
            uses: "1".to_owned(),
            ..EnrolmentDraft::default()
        }
    }

    /// The request to send, or every problem found.
    pub fn request(&self) -> Result<NewEnrolment, Vec<DraftProblem>> {
        let mut problems = Vec::new();
        let association = self.association.trim();
        if !is_association_code(association) {
            problems.push(DraftProblem::Association);
        }
        if self.forms.is_empty() {
            problems.push(DraftProblem::NoForm);
        }
        let uses = self
            .uses
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|uses| (1..=MAX_USES).contains(uses));
        if uses.is_none() {
            problems.push(DraftProblem::Uses);
        }
        let name = self.name.trim();
        if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            problems.push(DraftProblem::Name);
        }
        match uses {
            Some(uses) if problems.is_empty() => Ok(NewEnrolment {
                association: association.to_owned(),
                forms: self.forms.iter().cloned().collect(),
                uses,
                association_name: (!name.is_empty()).then(|| name.to_owned()),
            }),
            _ => Err(problems),
        }
    }
}

/// One change to the enrolment form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftChange {
    Association(String),
    /// A form ticked (`true`) or not.
    Form(String, bool),
    Uses(String),
    Name(String),
    /// The forms offered, once known: the only one is ticked, as there is no other choice.
    Offered(Vec<String>),
}

impl EnrolmentDraft {
    /// The form after `change`.
    pub fn changed(&self, change: DraftChange) -> EnrolmentDraft {
        let mut next = self.clone();
        match change {
            DraftChange::Association(code) => next.association = code,
            DraftChange::Form(form, true) => {
                next.forms.insert(form);
            }
            DraftChange::Form(form, false) => {
                next.forms.remove(&form);
            }
            DraftChange::Uses(uses) => next.uses = uses,
            DraftChange::Name(name) => next.name = name,
            DraftChange::Offered(offered) => {
                next.forms.retain(|form| offered.contains(form));
                if let [only] = offered.as_slice()
                    && next.forms.is_empty()
                {
                    next.forms.insert(only.clone());
                }
            }
        }
        next
    }
}

/// An association's code by the server's rule: 1 to 64 letters, digits, `-`, `_` or `.`.
pub fn is_association_code(code: &str) -> bool {
    (1..=64).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The newest version of each published form, in the order the server lists them (it lists
/// every version, newest first within a form).
pub fn newest_versions(forms: &[FormSummary]) -> Vec<FormSummary> {
    let mut seen = BTreeSet::new();
    forms
        .iter()
        .filter(|form| seen.insert(form.form_id.clone()))
        .cloned()
        .collect()
}

/// The QR code's SVG as the page takes it: the server's XML declaration dropped (in an HTML
/// page it would only become a comment). `None` unless it is one `<svg>` element with no
/// script and no `<style>` (the page's CSP would refuse them anyway): the server made it,
/// but nothing else is put into the page unescaped.
pub fn qr_markup(svg: &str) -> Option<&str> {
    let svg = svg.trim();
    let svg = match svg.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>")?.1.trim_start(),
        None => svg,
    };
    let lower = svg.to_ascii_lowercase();
    let whole = lower.starts_with("<svg") && lower.ends_with("</svg>");
    let active = [
        "<script",
        "<style",
        "<foreignobject",
        " on",
        "javascript:",
        "href",
    ]
    .iter()
    .any(|needle| lower.contains(needle));
    (whole && !active).then_some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(association: &str, forms: &[&str], uses: &str, name: &str) -> EnrolmentDraft {
        EnrolmentDraft {
            association: association.to_owned(),
            forms: forms.iter().map(|f| (*f).to_owned()).collect(),
            uses: uses.to_owned(),
            name: name.to_owned(),
        }
    }

    #[test]
    fn a_complete_form_becomes_the_request_the_server_reads() {
        let request = draft(" thaba-tseka-nurses ", &["diaspora_registration"], "1", "")
            .request()
            .expect("valid");
        assert_eq!(
            serde_json::to_value(&request).expect("serialises"),
            serde_json::json!({
                "association": "thaba-tseka-nurses",
                "forms": ["diaspora_registration"],
                "uses": 1,
            }),
            "no display name is sent unless one is typed"
        );
        let named = draft("berea", &["b", "a"], " 20 ", " Berea Farmers' Union ")
            .request()
            .expect("valid");
        assert_eq!(named.uses, 20);
        assert_eq!(named.forms, ["a", "b"]);
        assert_eq!(
            named.association_name.as_deref(),
            Some("Berea Farmers' Union")
        );
    }

    #[test]
    fn every_problem_of_the_form_is_found_at_once() {
        use DraftProblem::*;
        for (form, problems) in [
            (draft("", &["f"], "1", ""), vec![Association]),
            (draft("two words", &["f"], "1", ""), vec![Association]),
            (draft(&"a".repeat(65), &["f"], "1", ""), vec![Association]),
            (draft("ok", &[], "1", ""), vec![NoForm]),
            (draft("ok", &["f"], "0", ""), vec![Uses]),
            (draft("ok", &["f"], "501", ""), vec![Uses]),
            (draft("ok", &["f"], "two", ""), vec![Uses]),
            (draft("ok", &["f"], "1", &"n".repeat(121)), vec![Name]),
            (
                draft("é", &[], "", "a\u{7}"),
                vec![Association, NoForm, Uses, Name],
            ),
        ] {
            assert_eq!(form.request(), Err(problems), "{form:?}");
        }
        assert!(
            draft("a.b_c-9", &["f"], "500", &"n".repeat(120))
                .request()
                .is_ok()
        );
        assert_eq!(
            EnrolmentDraft::new("maseru").uses,
            "1",
            "one phone unless told"
        );
    }

    #[test]
    fn the_only_published_form_is_ticked_and_forms_no_longer_offered_are_dropped() {
        let offered =
            |forms: &[&str]| DraftChange::Offered(forms.iter().map(|f| (*f).to_owned()).collect());
        let fresh = EnrolmentDraft::new("maseru");
        let one = fresh.changed(offered(&["reg"]));
        assert_eq!(one.forms, BTreeSet::from(["reg".to_owned()]));
        let two = fresh.changed(offered(&["a", "b"]));
        assert!(two.forms.is_empty(), "a choice is left to the person");
        let unticked = one.changed(DraftChange::Form("reg".into(), false));
        assert!(unticked.forms.is_empty());
        let kept = two
            .changed(DraftChange::Form("a".into(), true))
            .changed(DraftChange::Form("gone".into(), true))
            .changed(offered(&["a", "b"]));
        assert_eq!(kept.forms, BTreeSet::from(["a".to_owned()]));
        let typed = fresh
            .changed(DraftChange::Association("leribe".into()))
            .changed(DraftChange::Uses("3".into()))
            .changed(DraftChange::Name("Leribe".into()));
        assert_eq!(
            (
                typed.association.as_str(),
                typed.uses.as_str(),
                typed.name.as_str()
            ),
            ("leribe", "3", "Leribe")
        );
    }

    #[test]
    fn a_link_is_open_until_it_is_revoked_expires_or_used_up() {
        let link = Enrolment {
            id: 1,
            association: "a".into(),
            forms: vec![],
            label: String::new(),
            expires_at: 1_000,
            uses_left: 1,
            revoked: false,
            replaces: None,
        };
        assert_eq!(link.state(999), LinkState::Open);
        assert_eq!(link.state(1_000), LinkState::Expired);
        let used = Enrolment {
            uses_left: 0,
            ..link.clone()
        };
        assert_eq!(used.state(0), LinkState::UsedUp);
        let revoked = Enrolment {
            revoked: true,
            ..used
        };
        assert_eq!(revoked.state(2_000), LinkState::Revoked);
    }

    #[test]
    fn the_servers_lists_are_read_as_it_sends_them() {
        let devices: Vec<Device> = serde_json::from_value(serde_json::json!([{
            "id": "dev-1", "association": "maseru", "forms": ["f"], "label": "",
            "created_at": "2026-01-02T03:04:05Z", "last_seen_at": null, "revoked": false,
            "public": false
        }]))
        .expect("a device");
        assert_eq!(devices[0].last_seen_at, None);
        assert_eq!(devices[0].association_name, None);
        let link: PublicLink = serde_json::from_value(serde_json::json!({
            "id": 3, "form": "f", "association": "public-3", "label": "Diaspora day",
            "expires_at": 10, "joined": 2, "revoked": false
        }))
        .expect("a public link");
        assert_eq!(link.state(9), LinkState::Open);
        assert_eq!(
            serde_json::to_value(NewPublicLink {
                form: "f".into(),
                label: String::new()
            })
            .expect("serialises"),
            serde_json::json!({ "form": "f" })
        );
    }

    #[test]
    fn only_the_newest_version_of_each_form_is_offered() {
        let summary = |id: &str, version: &str| FormSummary {
            form_id: id.into(),
            version: version.into(),
            title: format!("{id} {version}"),
        };
        let offered = newest_versions(&[summary("a", "3"), summary("a", "2"), summary("b", "1")]);
        let versions: Vec<_> = offered.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(versions, ["a 3", "b 1"]);
    }

    #[test]
    fn the_qr_code_goes_into_the_page_as_one_svg_element() {
        let served = r##"<?xml version="1.0" standalone="yes"?><svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="250" height="250" viewBox="0 0 250 250" shape-rendering="crispEdges"><rect x="0" y="0" width="250" height="250" fill="#fff"/><path fill="#000" d="M0 0h1v1H0V0"/></svg>"##;
        let markup = qr_markup(served).expect("the server's QR code");
        assert!(markup.starts_with("<svg xmlns="));
        assert!(markup.ends_with("</svg>"));
        for refused in [
            "<p>not a picture</p>",
            "<svg><script>alert(1)</script></svg>",
            "<svg onload=\"alert(1)\"></svg>",
            "<svg><style>*{}</style></svg>",
            "<svg><a href=\"javascript:alert(1)\"></a></svg>",
            "<?xml version=\"1.0\"",
        ] {
            assert_eq!(qr_markup(refused), None, "{refused}");
        }
    }
}
