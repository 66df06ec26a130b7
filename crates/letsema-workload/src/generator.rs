//! The seeded generator and the answers of one diaspora member.

use std::sync::Arc;

use letsema_doc::{
    AssociationId, FormId, FormVersion, NewSubmission, SubmissionDoc, SubmissionId, Timestamp,
    Writer,
};
use letsema_form::model::Form;
use letsema_form::runtime::{Answer, Answers};
use rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use crate::catalogue::Catalogue;
use crate::data::*;
use crate::{WorkloadError, reference_catalogue};

/// The day ages are counted at: `years_abroad` never exceeds the age on this day, and the
/// age only grows, so generated answers stay valid for any `today()` from this day on.
pub(crate) const AGE_REFERENCE: (i32, u32, u32) = (2025, 1, 1);

/// The share of members, in percent, who decline consent (and answer nothing else).
const NO_CONSENT_PERCENT: u32 = 3;

/// A deterministic source of realistic registrations of the reference form.
///
/// The same seed gives the same sequence of answers, submission ids and edits, on every
/// platform: the generator is a PCG (`rand_pcg::Pcg64`) seeded from the `u64`, and nothing
/// else is random. Each call draws from the sequence, so the *n*th member depends on what
/// was asked before it.
///
/// ```
/// use letsema_workload::Generator;
///
/// let mut a = Generator::new(7);
/// let mut b = Generator::new(7);
/// assert_eq!(a.answers(), b.answers());
/// ```
#[derive(Debug, Clone)]
pub struct Generator {
    rng: Pcg64,
    catalogue: Arc<Catalogue>,
}

impl Generator {
    /// A generator of registrations of the reference form, from `seed`.
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: Pcg64::seed_from_u64(seed),
            catalogue: reference_catalogue(),
        }
    }

    /// A generator for `form`, a form that asks what the reference form asks (for example
    /// a later version of it), from `seed`. Submissions carry `form`'s id and version.
    ///
    /// # Errors
    ///
    /// [`WorkloadError::Form`] when `form` lacks a question or a choice the generator
    /// answers with, or its `region` question is not filtered by `country`.
    pub fn for_form(form: &Form, seed: u64) -> Result<Generator, WorkloadError> {
        Ok(Generator {
            rng: Pcg64::seed_from_u64(seed),
            catalogue: Arc::new(Catalogue::new(form)?),
        })
    }

    /// The answers of one more member, in form order: complete and valid for the form (at
    /// any `today()` from 2025-01-01 on). The submission document takes them as they are.
    ///
    /// About 3% of members decline consent; their answers are `{"consent": "no"}` only.
    pub fn answers(&mut self) -> Answers {
        if self.chance(NO_CONSENT_PERCENT) {
            return Answers::new().with("consent", "no");
        }
        self.member()
    }

    /// A new submission document written by `device` at `at`, with a version 7 submission id
    /// of `at` and this generator's random bits, and one member's answers, written in one
    /// change at `at` (a form filled in offline and saved when it was finalised).
    ///
    /// The document's association is the member's `association` answer, unless it is
    /// `none` or consent was declined.
    ///
    /// # Errors
    ///
    /// [`WorkloadError::Id`] when the form's id or version cannot be a document's (never
    /// for the reference form); [`WorkloadError::Doc`] if automerge refuses to write, which
    /// would be a bug.
    pub fn submission(
        &mut self,
        device: &Writer,
        at: Timestamp,
    ) -> Result<SubmissionDoc, WorkloadError> {
        self.submission_in(device, None, at)
    }

    /// As [`Generator::submission`], but the document belongs to `association` when one is
    /// given: the association of the enrolled phone that captured it, as the server requires.
    ///
    /// # Errors
    ///
    /// As [`Generator::submission`].
    pub fn submission_in(
        &mut self,
        device: &Writer,
        association: Option<&AssociationId>,
        at: Timestamp,
    ) -> Result<SubmissionDoc, WorkloadError> {
        let mut id = [0u8; 16];
        self.rng.fill_bytes(&mut id);
        let answers = self.answers();
        let association = match (association, answers.get("association")) {
            (Some(enrolled), _) => Some(enrolled.clone()),
            (None, Some(Answer::Value(a))) if a != "none" => Some(AssociationId::parse(a)?),
            _ => None,
        };
        let new = NewSubmission {
            submission_id: SubmissionId::new_v7(at, id),
            form_id: FormId::parse(&self.catalogue.form_id)?,
            form_version: FormVersion::parse(&self.catalogue.form_version)?,
            association,
        };
        let mut doc = SubmissionDoc::create(new, device.clone(), at)?;
        doc.set_answers(&answers, at)?;
        Ok(doc)
    }

    /// `n` submissions written by `device`, the first at `start`, each 3 to 15 minutes
    /// after the one before: a volunteer's day of registrations.
    ///
    /// # Errors
    ///
    /// As [`Generator::submission`].
    pub fn submissions(
        &mut self,
        n: usize,
        device: &Writer,
        start: Timestamp,
    ) -> Result<Vec<SubmissionDoc>, WorkloadError> {
        self.submissions_in(n, device, None, start)
    }

    /// As [`Generator::submissions`], each belonging to `association` when one is given (see
    /// [`Generator::submission_in`]).
    ///
    /// # Errors
    ///
    /// As [`Generator::submission`].
    pub fn submissions_in(
        &mut self,
        n: usize,
        device: &Writer,
        association: Option<&AssociationId>,
        start: Timestamp,
    ) -> Result<Vec<SubmissionDoc>, WorkloadError> {
        let mut at = start;
        let mut docs = Vec::with_capacity(n);
        for _ in 0..n {
            docs.push(self.submission_in(device, association, at)?);
            let minutes = 3 + self.below(13) as i64;
            at = Timestamp(at.0 + minutes * 60_000);
        }
        Ok(docs)
    }

    /// The next 64 random bits, for callers that need more randomness in step with the
    /// workload (a simulation's choice of device, of delay, of which document to edit).
    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    // --- drawing -------------------------------------------------------------------------

    /// A number in `0..n` (0 when `n` is 0), without modulo bias worth mentioning.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        let wide = u128::from(self.rng.next_u64()) * n as u128;
        // The high half of a 64x64-bit product is below `n`.
        usize::try_from(wide >> 64).unwrap_or(0)
    }

    /// A number in `low..=high`.
    pub(crate) fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = usize::try_from(high - low + 1).unwrap_or(usize::MAX);
        low + self.below(span) as i64
    }

    /// True with a chance of `percent` in a hundred.
    pub(crate) fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }

    /// One of `items` (`""` when there are none).
    pub(crate) fn pick(&mut self, items: &[&'static str]) -> &'static str {
        let i = self.below(items.len());
        items.get(i).copied().unwrap_or_default()
    }

    /// One of `items`, each as likely as its weight (`""` when all weigh 0).
    pub(crate) fn weighted<'a>(&mut self, items: &[(&'a str, u32)]) -> &'a str {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut r = self.below(total as usize) as u32;
        for (item, weight) in items {
            if r < *weight {
                return item;
            }
            r -= weight;
        }
        ""
    }

    /// `n` random decimal digits.
    pub(crate) fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }

    /// `pattern` with each `#` replaced by a digit and each `^` by a capital letter.
    pub(crate) fn fill_pattern(&mut self, pattern: &str) -> String {
        pattern
            .chars()
            .map(|c| match c {
                '#' => char::from(b'0' + self.below(10) as u8),
                '^' => char::from(b'A' + self.below(26) as u8),
                c => c,
            })
            .collect()
    }

    // --- one member ----------------------------------------------------------------------

    /// A member who consented, with every relevant question answered.
    fn member(&mut self) -> Answers {
        let country = self.weighted(COUNTRY_WEIGHTS);
        let other = (country == "other").then(|| self.other_country());
        let profession = self.weighted(PROFESSION_WEIGHTS);
        let health = is_health(profession);
        let sex = self.weighted(&[("female", 58), ("male", 40), ("not_said", 2)]);
        let dob = self.between(days_from_civil(1955, 1, 1), days_from_civil(2002, 12, 31));
        let age = age_at_reference(dob);
        let (birth_year, _, _) = civil_from_days(dob);

        let mut a = Answers::new();
        a.insert("consent", "yes");
        a.insert("association", self.association(country, health));
        a.insert("first_name", self.first_name(sex));
        a.insert("surname", self.pick(SURNAMES));
        a.insert("sex", sex);
        a.insert("dob", format_date(dob));
        a.insert("country", country);
        if let Some(other) = other {
            a.insert("country_other", other.name);
            a.insert("city", self.pick(other.cities));
        } else {
            let region = self.region(country);
            a.insert("region", region.clone());
            let city = self.city(country, &region, None);
            a.insert("city", city);
        }
        a.insert("years_abroad", self.years_abroad(age).to_string());
        a.insert("citizenships", self.citizenships(country));
        a.insert("profession", profession);
        if profession == "other" {
            a.insert("profession_other", self.pick(OTHER_PROFESSIONS));
        }
        if health && self.chance(80) {
            a.insert(
                "specialisation",
                self.pick(table(SPECIALISATIONS, profession)),
            );
        }
        let qualification = self.weighted(weights(QUALIFICATION_WEIGHTS, profession));
        a.insert("highest_qualification", qualification);
        let registered_percent = match profession {
            "doctor" | "nurse" | "midwife" | "pharmacist" => 85,
            "teacher" => 60,
            "engineer" => 50,
            _ => 25,
        };
        if self.chance(registered_percent) {
            a.insert("council_registered", "yes");
            if self.chance(70) {
                a.insert("council_details", self.council_details(country, profession));
            }
        } else {
            a.insert("council_registered", "no");
        }
        let employment = self.employment(age);
        a.insert("employment", employment);
        if is_employed(employment) {
            a.insert("sector", self.sector(profession, employment));
        }
        a.insert("languages", self.languages(country));
        a.insert("phone", self.phone(country, other));
        if self.chance(85) {
            let first = text_of(&a, "first_name");
            let surname = text_of(&a, "surname");
            a.insert("email", self.email(&first, &surname, birth_year, country));
        }
        let engagement = self.engagement(profession);
        let short_term = engagement.iter().any(|e| e == "short_term");
        a.insert("engagement", engagement);
        if short_term {
            a.insert("months_available", self.months_available());
        }
        let qualifications = self.qualifications(profession, qualification, birth_year, country);
        if !qualifications.is_empty() {
            a.insert("qualifications", qualifications);
        }
        if self.chance(20) {
            a.insert("comments", self.pick(COMMENTS));
        }
        a
    }

    fn other_country(&mut self) -> &'static OtherCountry {
        let weights: Vec<(&str, u32)> =
            OTHER_COUNTRIES.iter().map(|c| (c.name, c.weight)).collect();
        let name = self.weighted(&weights);
        other_country(name).unwrap_or(&OTHER_COUNTRIES[0])
    }

    fn association(&mut self, country: &str, health: bool) -> &'static str {
        let health_weight = if health { 30 } else { 0 };
        let options: &[(&'static str, u32)] = match country {
            "south_africa" => &[("basotho_sa", 45), ("none", 30)],
            "uk" => &[("basotho_uk", 60), ("none", 25)],
            "usa" => &[("basotho_usa", 60), ("none", 25)],
            _ => &[("none", 60), ("basotho_sa", 5)],
        };
        let mut options = options.to_vec();
        options.push(("lesotho_health_abroad", health_weight));
        self.weighted(&options)
    }

    fn first_name(&mut self, sex: &str) -> String {
        let own = match sex {
            "female" => FEMALE_NAMES,
            "male" => MALE_NAMES,
            _ => SHARED_NAMES,
        };
        let one = |g: &mut Generator| {
            if g.chance(25) {
                g.pick(SHARED_NAMES)
            } else {
                g.pick(own)
            }
        };
        let first = one(self);
        // Some give two first names ("First name(s)").
        if self.chance(10) {
            let second = one(self);
            if second != first {
                return format!("{first} {second}");
            }
        }
        first.to_owned()
    }

    pub(crate) fn region(&mut self, country: &str) -> String {
        let catalogue = Arc::clone(&self.catalogue);
        let options: Vec<(&str, u32)> = catalogue
            .regions_of(country)
            .map(|region| {
                let weight = REGION_WEIGHTS
                    .iter()
                    .find(|(r, _)| *r == region)
                    .map_or(1, |(_, w)| *w);
                (region, weight)
            })
            .collect();
        self.weighted(&options).to_owned()
    }

    /// A city of `region` (or of `country`, for a region the tables do not know), other
    /// than `not` when there is another.
    pub(crate) fn city(&mut self, country: &str, region: &str, not: Option<&str>) -> String {
        let cities = table(CITIES, region);
        let cities = if cities.is_empty() {
            table(COUNTRY_CITIES, country)
        } else {
            cities
        };
        let cities: Vec<&'static str> =
            cities.iter().copied().filter(|c| Some(*c) != not).collect();
        if cities.is_empty() {
            // Only for a country the tables do not know at all: a town at home.
            return if not == Some("Maseru") {
                "Leribe"
            } else {
                "Maseru"
            }
            .to_owned();
        }
        self.pick(&cities).to_owned()
    }

    fn years_abroad(&mut self, age: i64) -> i64 {
        // Most left after school or after training; a few grew up abroad.
        let left_at = if self.chance(7) {
            self.between(0, 17)
        } else {
            self.between(18, 40)
        };
        (age - left_at).clamp(0, age)
    }

    fn citizenships(&mut self, country: &str) -> Vec<String> {
        let (residence, percent) = match country {
            "south_africa" => ("south_africa", 15),
            "uk" => ("uk", 35),
            "usa" => ("usa", 30),
            "botswana" => ("botswana", 5),
            _ => ("other", 20),
        };
        let lesotho = !self.chance(4);
        let second = self.chance(percent) || !lesotho;
        let mut out = Vec::new();
        if lesotho {
            out.push("lesotho".to_owned());
        }
        if second {
            out.push(residence.to_owned());
        }
        out
    }

    fn council_details(&mut self, country: &str, profession: &str) -> String {
        let country = if country == "other" || self.chance(15) {
            "lesotho"
        } else {
            country
        };
        let pattern = COUNCILS
            .iter()
            .find(|(c, p, _)| *c == country && *p == profession)
            .map(|(_, _, pattern)| *pattern);
        match pattern {
            Some(pattern) => self.fill_pattern(pattern),
            None => self.fill_pattern("Registration number ######"),
        }
    }

    pub(crate) fn employment(&mut self, age: i64) -> &'static str {
        let student = if age < 30 { 15 } else { 3 };
        let retired = if age >= 60 {
            40
        } else if age >= 55 {
            10
        } else {
            0
        };
        self.weighted(&[
            ("employed_full", 60),
            ("employed_part", 12),
            ("self_employed", 8),
            ("not_employed", 8),
            ("student", student),
            ("retired", retired),
        ])
    }

    fn sector(&mut self, profession: &str, employment: &str) -> &'static str {
        if employment == "self_employed" {
            return self.weighted(&[("private", 90), ("ngo", 10)]);
        }
        match profession {
            "doctor" | "nurse" | "midwife" | "pharmacist" => self.weighted(&[
                ("public", 50),
                ("private", 35),
                ("ngo", 8),
                ("academic", 4),
                ("international", 3),
            ]),
            "teacher" => self.weighted(&[("public", 60), ("private", 30), ("academic", 10)]),
            "engineer" => self.weighted(&[
                ("private", 60),
                ("public", 30),
                ("international", 5),
                ("ngo", 5),
            ]),
            _ => self.weighted(&[
                ("private", 55),
                ("public", 25),
                ("ngo", 10),
                ("academic", 5),
                ("international", 5),
            ]),
        }
    }

    fn languages(&mut self, country: &str) -> Vec<String> {
        let percent = |language: &str| -> u32 {
            match (language, country) {
                ("sesotho", _) => 97,
                ("english", _) => 90,
                ("afrikaans", "south_africa") => 15,
                ("isizulu", "south_africa") => 25,
                ("isixhosa", "south_africa") => 10,
                ("setswana", "south_africa") => 10,
                ("setswana", "botswana") => 70,
                ("other", "other") => 25,
                ("other", _) => 4,
                _ => 0,
            }
        };
        let all = [
            "sesotho",
            "english",
            "afrikaans",
            "isizulu",
            "isixhosa",
            "setswana",
            "other",
        ];
        let mut out: Vec<String> = all
            .iter()
            .filter(|l| self.chance(percent(l)))
            .map(|l| (*l).to_owned())
            .collect();
        if out.is_empty() {
            out.push("sesotho".to_owned());
        }
        out
    }

    /// A mobile number that fits the form's `^\+?[0-9]{7,15}$`: mostly of the country of
    /// residence, in international form or, for some, as dialled at home; sometimes still
    /// a Lesotho number.
    pub(crate) fn phone(&mut self, country: &str, other: Option<&OtherCountry>) -> String {
        // (code, first digits, digits after them, national prefix when dialled at home)
        let plan: (&str, &[&'static str], usize, Option<&str>) = if self.chance(8) {
            ("266", &["50", "56", "57", "58", "59", "62", "63"], 6, None)
        } else {
            match (country, other) {
                ("south_africa", _) => (
                    "27",
                    &[
                        "60", "61", "62", "63", "66", "71", "72", "73", "74", "76", "78", "79",
                        "81", "82", "83", "84",
                    ],
                    7,
                    Some("0"),
                ),
                ("uk", _) => ("44", &["74", "75", "77", "78", "79"], 8, Some("0")),
                ("usa", _) => (
                    "1",
                    &[
                        "301", "410", "443", "240", "404", "678", "713", "832", "214", "512",
                        "617", "212", "718", "917", "310", "415",
                    ],
                    7,
                    Some(""),
                ),
                ("botswana", _) => (
                    "267",
                    &["71", "72", "73", "74", "75", "76", "77"],
                    6,
                    Some(""),
                ),
                (_, Some(o)) => (o.code, o.mobile, o.rest, None),
                _ => ("266", &["58", "62"], 6, None),
            }
        };
        let (code, first, rest, national) = plan;
        let number = format!("{}{}", self.pick(first), self.digits(rest));
        match national {
            Some(prefix) if self.chance(20) => format!("{prefix}{number}"),
            _ => format!("+{code}{number}"),
        }
    }

    /// An address that fits the form's e-mail pattern: ASCII only, so `š` becomes `s` and
    /// apostrophes go.
    pub(crate) fn email(
        &mut self,
        first: &str,
        surname: &str,
        birth_year: i32,
        country: &str,
    ) -> String {
        let first = ascii_name(first.split(' ').next().unwrap_or(first));
        let surname = ascii_name(surname);
        let local = match self.below(5) {
            0 => format!("{first}.{surname}"),
            1 => format!("{first}{surname}"),
            2 => format!("{first}.{surname}{:02}", birth_year.rem_euclid(100)),
            3 => format!("{}{surname}", first.chars().next().unwrap_or('m')),
            _ => format!("{first}_{surname}{}", self.between(1, 99)),
        };
        let local_providers = table(MAIL_LOCAL, country);
        let domain = if !local_providers.is_empty() && self.chance(30) {
            self.pick(local_providers)
        } else {
            self.pick(MAIL_COMMON)
        };
        format!("{local}@{domain}")
    }

    fn engagement(&mut self, profession: &str) -> Vec<String> {
        let clinical = matches!(profession, "doctor" | "nurse" | "midwife" | "pharmacist");
        let options: [(&str, u32); 8] = [
            ("skills_transfer", 40),
            ("short_term", if clinical { 35 } else { 20 }),
            ("mentoring", 35),
            ("telemedicine", if clinical { 30 } else { 3 }),
            ("investment", 20),
            ("remittances", 30),
            ("diaspora_tourism", 15),
            ("return", 10),
        ];
        let mut out: Vec<String> = options
            .iter()
            .filter(|(_, percent)| self.chance(*percent))
            .map(|(e, _)| (*e).to_owned())
            .collect();
        if out.is_empty() {
            out.push(self.weighted(&options).to_owned());
        }
        out
    }

    pub(crate) fn months_available(&mut self) -> String {
        self.weighted(MONTHS).to_owned()
    }

    /// 0 to 3 qualification records, oldest first: the last at the member's highest
    /// level, the others below it.
    fn qualifications(
        &mut self,
        profession: &str,
        highest: &str,
        birth_year: i32,
        country: &str,
    ) -> Vec<Answers> {
        let count = self.weighted(&[("0", 20), ("1", 40), ("2", 28), ("3", 12)]);
        let count: usize = count.parse().unwrap_or(0);
        let level = |name: &str| LEVELS.iter().position(|l| *l == name);
        let highest = level(highest);
        let degrees: &[(&str, &str)] = DEGREES
            .iter()
            .find(|(p, _)| *p == profession)
            .map_or(&[], |(_, d)| d);
        let top: Vec<usize> = (0..degrees.len())
            .filter(|&i| level(degrees[i].1) == highest)
            .collect();
        let below: Vec<usize> = (0..degrees.len())
            .filter(|&i| level(degrees[i].1) < highest)
            .collect();

        let mut chosen: Vec<usize> = Vec::new();
        if count > 0 && !top.is_empty() {
            chosen.push(top[self.below(top.len())]);
        }
        while chosen.len() < count.min(below.len() + usize::from(!top.is_empty())) {
            let i = below[self.below(below.len())];
            if !chosen.contains(&i) {
                chosen.push(i);
            }
        }
        // Table order is the order they are obtained in.
        chosen.sort_unstable();

        let last_year = i64::from(AGE_REFERENCE.0) - 1;
        let first_at = if profession == "doctor" {
            (23, 27)
        } else {
            (19, 25)
        };
        let mut year = i64::from(birth_year) + self.between(first_at.0, first_at.1);
        let mut out = Vec::new();
        for (n, i) in chosen.into_iter().enumerate() {
            if n > 0 {
                year += self.between(1, 7);
            }
            if year > last_year {
                break;
            }
            // Lesotho has no medical school: doctors train in South Africa or abroad.
            let home = table(LESOTHO_INSTITUTIONS, profession);
            let home_weight = if home.is_empty() { 0 } else { 55 };
            let studied_in = if n == 0 {
                self.weighted(&[("lesotho", home_weight), ("south_africa", 40), (country, 5)])
            } else {
                self.weighted(&[
                    ("lesotho", home_weight / 2),
                    ("south_africa", 25),
                    (country, 50),
                ])
            };
            let institutions = match (studied_in, table(INSTITUTIONS, studied_in)) {
                ("lesotho", _) => home,
                (_, []) => table(INSTITUTIONS, "south_africa"),
                (_, found) => found,
            };
            let degree = degrees.get(i).map_or("Diploma", |(d, _)| *d);
            out.push(
                Answers::new()
                    .with("degree", degree)
                    .with("institution", self.pick(institutions))
                    .with("year", year.to_string()),
            );
        }
        out
    }
}

/// Whether the form asks `profession` for a specialisation.
pub(crate) fn is_health(profession: &str) -> bool {
    matches!(profession, "doctor" | "nurse" | "midwife" | "pharmacist")
}

/// Whether the form asks for a sector with this employment status.
pub(crate) fn is_employed(employment: &str) -> bool {
    matches!(
        employment,
        "employed_full" | "employed_part" | "self_employed"
    )
}

/// The country the tables know by this name.
pub(crate) fn other_country(name: &str) -> Option<&'static OtherCountry> {
    OTHER_COUNTRIES.iter().find(|c| c.name == name)
}

/// The entries of `key` in a keyed table (empty when absent).
pub(crate) fn table<'a>(table: &'a [(&str, &'a [&'static str])], key: &str) -> &'a [&'static str] {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(&[], |(_, v)| v)
}

fn weights<'a>(table: &'a [(&str, &'a [(&'a str, u32)])], key: &str) -> &'a [(&'a str, u32)] {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(&[], |(_, v)| v)
}

fn text_of(answers: &Answers, name: &str) -> String {
    match answers.get(name) {
        Some(Answer::Value(v)) => v.clone(),
        _ => String::new(),
    }
}

/// A name in the letters an e-mail pattern accepts, lower case.
fn ascii_name(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'š' | 'Š' => Some('s'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// The age the form computes on [`AGE_REFERENCE`] for someone born on day `dob`:
/// `int((today() - date(${dob})) div 365.25)`.
pub(crate) fn age_at_reference(dob: i64) -> i64 {
    let (y, m, d) = AGE_REFERENCE;
    let days = days_from_civil(y, m, d) - dob;
    // days / 365.25, rounded down, in integers.
    (days * 4).div_euclid(1461)
}

/// The day of a `YYYY-MM-DD` date, as [`days_from_civil`] counts; `None` if malformed.
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.splitn(3, '-');
    let y = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok()?;
    let d = parts.next()?.parse().ok()?;
    Some(days_from_civil(y, m, d))
}

fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01 (the inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        i32::try_from(y).unwrap_or(i32::MAX),
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for day in [-5_000, 0, 11_016, 11_017, 20_000] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(format_date(days_from_civil(1988, 3, 2)), "1988-03-02");
        assert_eq!(parse_date("1988-03-02"), Some(days_from_civil(1988, 3, 2)));
    }

    #[test]
    fn age_matches_the_form_formula() {
        // Born 1988-03-02: on 2025-01-01 the form says int(13454 / 365.25) = 36.
        assert_eq!(age_at_reference(days_from_civil(1988, 3, 2)), 36);
        assert_eq!(age_at_reference(days_from_civil(2002, 12, 31)), 22);
    }

    #[test]
    fn names_become_ascii_for_e_mail() {
        assert_eq!(ascii_name("Retšelisitsoe"), "retselisitsoe");
        assert_eq!(ascii_name("'Malineo"), "malineo");
        assert_eq!(ascii_name("Nts'ebo"), "ntsebo");
    }

    #[test]
    fn draws_stay_in_range() {
        let mut g = Generator::new(1);
        assert_eq!(g.below(0), 0);
        assert!((0..1000).all(|_| g.below(7) < 7));
        assert!((0..1000).all(|_| (3..=5).contains(&g.between(3, 5))));
        assert_eq!(g.weighted(&[("a", 0), ("b", 0)]), "");
        assert_eq!(g.weighted(&[("a", 0), ("b", 1)]), "b");
        assert_eq!(g.pick(&[]), "");
    }

    #[test]
    fn every_table_is_usable() {
        for (region, cities) in CITIES {
            assert!(cities.len() >= 2, "{region} needs two cities for edits");
        }
        for (_, cities) in COUNTRY_CITIES {
            assert!(cities.len() >= 2);
        }
        for country in OTHER_COUNTRIES {
            assert!(country.cities.len() >= 2, "{}", country.name);
            assert!(!country.mobile.is_empty(), "{}", country.name);
        }
        for profession in ["doctor", "nurse", "midwife", "pharmacist"] {
            assert!(!table(SPECIALISATIONS, profession).is_empty());
        }
        for (profession, _) in PROFESSION_WEIGHTS {
            let degrees = DEGREES.iter().find(|(p, _)| p == profession);
            assert!(degrees.is_some_and(|(_, d)| !d.is_empty()), "{profession}");
            for (degree, level) in degrees.map_or(&[][..], |(_, d)| d) {
                assert!(LEVELS.contains(level), "{degree}: {level}");
            }
            assert!(!weights(QUALIFICATION_WEIGHTS, profession).is_empty());
        }
    }
}
