//! The first run's words: the set-up screen that creates the first administrator.

use super::Words;
use crate::setup::{MIN_PASSWORD_CHARS, SetupProblem};

/// The set-up screen's words in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetupWords {
    pub code: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub name: &'static str,
    pub password_again: &'static str,
    pub create: &'static str,
    pub creating: &'static str,
    pub done: &'static str,
    pub over: &'static str,
    pub bad_link: &'static str,
    pub email_problem: &'static str,
    pub name_problem: &'static str,
    pub passwords_differ: &'static str,
}

impl SetupWords {
    /// Under the password's field.
    pub fn password_hint(&self) -> String {
        match self.code {
            "st" => format!("Bonyane litlhaku tse {MIN_PASSWORD_CHARS}."),
            _ => format!("At least {MIN_PASSWORD_CHARS} characters."),
        }
    }

    /// What is wrong with a field of the form.
    pub fn problem(&self, problem: SetupProblem) -> String {
        match (self.code, problem) {
            (_, SetupProblem::Email) => self.email_problem.to_owned(),
            (_, SetupProblem::Name) => self.name_problem.to_owned(),
            (_, SetupProblem::PasswordsDiffer) => self.passwords_differ.to_owned(),
            ("st", SetupProblem::PasswordShort) => {
                format!("Phasewete e hloka bonyane litlhaku tse {MIN_PASSWORD_CHARS}.")
            }
            (_, SetupProblem::PasswordShort) => {
                format!("A password needs at least {MIN_PASSWORD_CHARS} characters.")
            }
        }
    }
}

pub static ENGLISH_SETUP: SetupWords = SetupWords {
    code: "en",
    title: "Set up Letsema",
    intro: "Create the first administrator account. This link works once.",
    name: "Your name",
    password_again: "Password again",
    create: "Create the administrator",
    creating: "Creating…",
    done: "You are the administrator. Next: create an enrolment link for a phone.",
    over: "Set-up is over: an administrator exists already. Sign in.",
    bad_link: "This set-up link is not valid: use the link the server printed when it started.",
    email_problem: "Enter an e-mail address, such as name@example.org.",
    name_problem: "Enter your name (at most 120 characters).",
    passwords_differ: "The two passwords differ: type the same one twice.",
};

pub static SESOTHO_SETUP: SetupWords = SetupWords {
    code: "st",
    title: "Lokisa Letsema",
    intro: "Etsa akhaonto ea motsamaisi oa pele. Sehokelo sena se sebetsa hang feela.",
    name: "Lebitso la hau",
    password_again: "Phasewete hape",
    create: "Etsa motsamaisi",
    creating: "Ho etsoa…",
    done: "U motsamaisi. E latelang: etsa sehokelo sa ngoliso bakeng sa mohala.",
    over: "Ho lokisa ho felile: motsamaisi o se a le teng. Kena.",
    bad_link: "Sehokelo sena sa ho lokisa ha se nepahale: sebelisa sehokelo seo seva e se hatisitseng ha e qala.",
    email_problem: "Kenya aterese ea e-mail, joalo ka name@example.org.",
    name_problem: "Kenya lebitso la hau (litlhaku tse 120 feela).",
    passwords_differ: "Liphasewete tse peli ha li tšoane: ngola e tšoanang habeli.",
};

impl Words {
    /// The set-up screen's words.
    pub fn setup(&self) -> &'static SetupWords {
        if self.code == "st" {
            &SESOTHO_SETUP
        } else {
            &ENGLISH_SETUP
        }
    }
}
