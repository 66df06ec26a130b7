//! The dashboard's counts (`GET /api/dashboard`), the same for every backend: what a query
//! may ask ([`DashboardQuery`]: the submissions table's filters, one form required), the
//! questions counted by ([`DashboardFields`], the reference form's), the one pass over the
//! submissions that counts everything ([`Tally`], fed a [`TallyRow`] per submission), and
//! how the counts become charts: bucketed, ordered, labelled from the published form and
//! the associations' names ([`dashboard`]).
//!
//! Why one pass, counted here, rather than a `GROUP BY` per chart: every chart but four
//! reads the answers, and finding an answer in a submission's JSON costs more than counting
//! it (SQLite: about 30 ms per question per 100,000 submissions; PostgreSQL fetches the
//! answers, stored out of line, again for each). So each backend keeps the seven answers
//! counted beside the columns the query reads, computed when a projection is written
//! (SQLite: an index on expressions, migration 0019; PostgreSQL: generated columns and an
//! index that includes them, migration 0008); the query reads that
//! index alone, once, and the few values each row yields are counted in memory: one scan,
//! where a query per chart costs a scan and a sort per chart. The projection keeps each
//! submission's device too (`submissions.creator`), so that counting by device joins no
//! document. Both backends read the same columns with the same filters ([`rows_sql`], over
//! `submissions.rs`'s [`Selection`]), so that they count alike.
//!
//! `sqlite/dashboard.rs` and `postgres/dashboard.rs` run the query and map its rows.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use letsema_form::model::{Choice, Form, QuestionType};
pub use letsema_protocol::staff::{
    DASHBOARD_MAX_ROWS, Dashboard, DashboardCompleteness, DashboardCount, DashboardDevice,
    DashboardRegion, DashboardSkill, DashboardSpecialisation,
};

use super::submissions::{Dialect, Param, Selection};
use super::{
    AssociationError, AssociationScope, Backend, DeviceError, PublishError, QueryError,
    SubmissionQuery, ValidateError, fold, questions_outside_repeats,
};

/// The parameters the dashboard takes: the submissions table's filters.
const PARAMETERS: &str = "form, version, association, status, from, to, complete, conflicts, \
                          choice or q";

/// The questions a dashboard counts by, by name, and the choices it singles out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DashboardFields {
    /// Country of residence (a `select_one`).
    pub country: &'static str,
    /// Province or region within the country (a `select_one` filtered by country).
    pub region: &'static str,
    pub profession: &'static str,
    /// Typed freely.
    pub specialisation: &'static str,
    /// How the member would take part (a `select_multiple`).
    pub engagement: &'static str,
    /// The engagement choice of short-term assignments.
    pub short_term: &'static str,
    /// Months a year for short-term assignments (an integer).
    pub months_available: &'static str,
    /// Years lived abroad (an integer).
    pub years_abroad: &'static str,
}

/// The reference form's questions (`examples/forms/diaspora_registration.md`).
pub const REFERENCE_FIELDS: DashboardFields = DashboardFields {
    country: "country",
    region: "region",
    profession: "profession",
    specialisation: "specialisation",
    engagement: "engagement",
    short_term: "short_term",
    months_available: "months_available",
    years_abroad: "years_abroad",
};

/// The buckets of months available, `(first, last, key)`.
pub const MONTH_BUCKETS: [(i64, i64, &str); 5] = [
    (1, 1, "1"),
    (2, 2, "2"),
    (3, 3, "3"),
    (4, 6, "4-6"),
    (7, 12, "7-12"),
];

/// The buckets of years abroad, `(first, last, key)`.
pub const YEAR_BUCKETS: [(i64, i64, &str); 5] = [
    (0, 2, "0-2"),
    (3, 5, "3-5"),
    (6, 10, "6-10"),
    (11, 20, "11-20"),
    (21, i64::MAX, "21+"),
];

/// The review statuses, in the order a dashboard lists them.
const REVIEW_STATUSES: [&str; 4] = ["received", "has_issues", "approved", "rejected"];

/// The language of labels.
const LABEL_LANGUAGE: &str = "en";

/// What a dashboard counts: the submissions of one form that the table's filters select,
/// within the staff member's scope, never withdrawn ones nor merged duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardQuery {
    /// The filters and scope; its `form` is always given, its cursor, order and limit unused.
    pub filters: SubmissionQuery,
    pub fields: DashboardFields,
}

impl DashboardQuery {
    /// A query from a URL's decoded `name=value` pairs, within `scope`: the submissions
    /// table's filters ([`SubmissionQuery::from_pairs`]), `form` required; the table's
    /// paging (`order`, `after`, `limit`) and `duplicates` refused.
    ///
    /// # Errors
    ///
    /// The first parameter that is missing, unknown, repeated or malformed.
    pub fn from_pairs(
        scope: AssociationScope,
        pairs: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, QueryError> {
        let mut filters = Vec::new();
        for (name, value) in pairs {
            match name.as_str() {
                "order" | "after" | "limit" => {
                    return Err(QueryError::UnknownHere {
                        name,
                        known: PARAMETERS,
                    });
                }
                "duplicates" => {
                    return Err(QueryError::Invalid {
                        parameter: "duplicates",
                        why: "a dashboard counts each person once, through the submission \
                              their duplicates were merged into: remove it"
                            .to_owned(),
                    });
                }
                _ => filters.push((name, value)),
            }
        }
        let filters = SubmissionQuery::from_pairs(scope, filters).map_err(|error| match error {
            QueryError::Unknown(name) => QueryError::UnknownHere {
                name,
                known: PARAMETERS,
            },
            other => other,
        })?;
        if filters.form.is_none() {
            return Err(QueryError::Invalid {
                parameter: "form",
                why: "a dashboard counts the answers of one form: give its id, such as \
                      form=diaspora_registration"
                    .to_owned(),
            });
        }
        Ok(DashboardQuery {
            filters,
            fields: REFERENCE_FIELDS,
        })
    }

    /// The form counted.
    pub fn form(&self) -> &str {
        self.filters.form.as_deref().unwrap_or_default()
    }
}

/// Why a dashboard could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error(
        "no version of the form {0:?} is published: give the id of a published form (the \
         forms list has them)"
    )]
    UnknownForm(String),
    #[error(
        "the form {form:?} has no published version {version:?}: give a published version, \
         or no version to count them all"
    )]
    UnknownVersion { form: String, version: String },
    #[error(transparent)]
    Counts(#[from] ValidateError),
    #[error(transparent)]
    Forms(#[from] PublishError),
    #[error(transparent)]
    Associations(#[from] AssociationError),
    #[error(transparent)]
    Devices(#[from] DeviceError),
}

/// The dashboard `query` asks for: the counts ([`super::DashboardStore::dashboard_counts`]),
/// labelled from the form's published version (`version`, or the newest) and the
/// associations' and devices' names.
///
/// # Errors
///
/// [`DashboardError::UnknownForm`] or [`DashboardError::UnknownVersion`] when the form or
/// its version is not published; a failure of the database.
pub fn dashboard(store: &dyn Backend, query: &DashboardQuery) -> Result<Dashboard, DashboardError> {
    let form_id = query.form();
    let version = match &query.filters.version {
        Some(version) => version.clone(),
        // Newest first within each form.
        None => store
            .published_forms()?
            .into_iter()
            .find(|form| form.form_id == form_id)
            .map(|form| form.version)
            .ok_or_else(|| DashboardError::UnknownForm(form_id.to_owned()))?,
    };
    let form = store.form_definition(form_id, &version)?.ok_or_else(|| {
        DashboardError::UnknownVersion {
            form: form_id.to_owned(),
            version: version.clone(),
        }
    })?;
    let tally = store.dashboard_counts(query)?;
    let names: HashMap<String, String> = store
        .associations()?
        .into_iter()
        .filter_map(|association| Some((association.code, association.name?)))
        .collect();
    let devices: HashMap<String, String> = if tally.devices.entries.is_empty() {
        HashMap::new()
    } else {
        store
            .devices(None)?
            .into_iter()
            .map(|device| (device.id, device.label))
            .collect()
    };
    let labels = Labels::new(&form, &query.fields, &names, &devices);
    Ok(tally.into_dashboard(&labels, form_id))
}

/// One submission as a backend reads it for the dashboard: its projection's columns and
/// the answers counted, as text (an unanswered question is `None`; a `select_multiple` is
/// its JSON array).
#[derive(Debug, Clone, Copy, Default)]
pub struct TallyRow<'a> {
    pub association: Option<&'a str>,
    /// The device that captured it (`submissions.creator`, its document's).
    pub creator: &'a str,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub review_status: &'a str,
    pub complete: bool,
    pub conflicts: bool,
    pub country: Option<&'a str>,
    pub region: Option<&'a str>,
    pub profession: Option<&'a str>,
    pub specialisation: Option<&'a str>,
    /// JSON: `["mentoring", "short_term"]`.
    pub engagement: Option<&'a str>,
    pub months_available: Option<i64>,
    pub years_abroad: Option<i64>,
}

/// Counts a skill group adds up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct SkillTally {
    count: u64,
    months: u64,
    by_months: [u64; MONTH_BUCKETS.len()],
}

/// The counts of one pass over the submissions, before they are bucketed by month, ordered
/// and labelled ([`Tally::into_dashboard`]). Keys are the values read (an empty key: none);
/// a free-text specialisation is folded only when the charts are made. A value seen before
/// is counted without allocating: 100,000 submissions are counted in a few tens of
/// milliseconds.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// The engagement choice of short-term assignments.
    short_term: &'static str,
    pub total: u64,
    countries: Keyed<u64>,
    /// Country, then region.
    regions: Keyed<Keyed<u64>>,
    professions: Keyed<u64>,
    /// Profession, then specialisation as typed.
    specialisations: Keyed<Keyed<u64>>,
    engagement: Keyed<u64>,
    months_available: [u64; MONTH_BUCKETS.len()],
    years_abroad: [u64; YEAR_BUCKETS.len()],
    /// Days since the Unix epoch (UTC); the day being counted apart (rows often come in
    /// time order).
    days: HashMap<i64, u64>,
    day: Option<(i64, u64)>,
    associations: Keyed<u64>,
    /// Device, then its association.
    devices: Keyed<Keyed<u64>>,
    review: Keyed<u64>,
    completeness: DashboardCompleteness,
    /// Profession, specialisation as typed, country.
    skills: Keyed<Keyed<Keyed<SkillTally>>>,
}

/// Values by text, in the order first seen. A chart has a handful of values (statuses,
/// countries, professions), found faster by comparing than by hashing: the keys are searched
/// in order up to [`Keyed::SEARCHED`] of them, and hashed beyond (devices, specialisations).
/// A key is copied only when new.
#[derive(Debug, Clone)]
struct Keyed<V> {
    entries: Vec<(String, V)>,
    /// Where each key is in `entries`, once there are more than [`Keyed::SEARCHED`].
    index: HashMap<String, usize>,
}

impl<V> Default for Keyed<V> {
    fn default() -> Self {
        Keyed {
            entries: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<V: Default> Keyed<V> {
    const SEARCHED: usize = 24;

    /// The value of `key`, made when missing.
    fn slot(&mut self, key: &str) -> &mut V {
        let found = if self.index.is_empty() {
            self.entries.iter().position(|(k, _)| k == key)
        } else {
            self.index.get(key).copied()
        };
        let at = found.unwrap_or_else(|| {
            self.entries.push((key.to_owned(), V::default()));
            let at = self.entries.len() - 1;
            if !self.index.is_empty() {
                self.index.insert(key.to_owned(), at);
            } else if self.entries.len() > Self::SEARCHED {
                self.index = self
                    .entries
                    .iter()
                    .enumerate()
                    .map(|(at, (k, _))| (k.clone(), at))
                    .collect();
            }
            at
        });
        &mut self.entries[at].1
    }
}

impl<V> Keyed<V> {
    fn get(&self, key: &str) -> Option<&V> {
        let at = if self.index.is_empty() {
            self.entries.iter().position(|(k, _)| k == key)
        } else {
            self.index.get(key).copied()
        };
        at.and_then(|at| self.entries.get(at))
            .map(|(_, value)| value)
    }

    fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.entries.iter().map(|(key, value)| (key, value))
    }
}

impl Keyed<u64> {
    fn add(&mut self, key: &str) {
        *self.slot(key) += 1;
    }
}

/// The bucket of `value`, if any.
fn bucket(buckets: &[(i64, i64, &str)], value: i64) -> Option<usize> {
    buckets
        .iter()
        .position(|(first, last, _)| (*first..=*last).contains(&value))
}

/// Non-empty text, trimmed.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}

/// Each value of a `select_multiple`'s answer: a JSON array of strings (read without
/// allocating when no value has an escape), or else a space-separated string (as ODK
/// stores one).
fn for_each_choice(answer: &str, mut each: impl FnMut(&str)) {
    let trimmed = answer.trim();
    let Some(inner) = trimmed
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
    else {
        trimmed.split_whitespace().for_each(each);
        return;
    };
    if !inner.contains('\\') {
        let mut values = Vec::new();
        let mut rest = inner.trim();
        while let Some(after) = rest.strip_prefix('"') {
            let Some(end) = after.find('"') else { break };
            values.push(&after[..end]);
            rest = after[end + 1..].trim_start();
            rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        }
        if rest.is_empty() {
            values.into_iter().for_each(each);
            return;
        }
    }
    if let Ok(values) = serde_json::from_str::<Vec<String>>(trimmed) {
        values.iter().for_each(|value| each(value));
    }
}

impl Tally {
    /// No submission counted yet, by `fields`.
    pub fn new(fields: &DashboardFields) -> Self {
        Tally {
            short_term: fields.short_term,
            ..Tally::default()
        }
    }

    /// Counts one submission.
    pub fn add(&mut self, row: &TallyRow<'_>) {
        self.total += 1;
        let country = given(row.country);
        let profession = given(row.profession);
        let specialisation = given(row.specialisation);
        if let Some(country) = country {
            self.countries.add(country);
            if let Some(region) = given(row.region) {
                self.regions.slot(country).add(region);
            }
        }
        if let Some(profession) = profession {
            self.professions.add(profession);
            if let Some(specialisation) = specialisation {
                self.specialisations.slot(profession).add(specialisation);
            }
        }
        let mut short_term = false;
        if let Some(engagement) = row.engagement {
            for_each_choice(engagement, |value| {
                self.engagement.add(value);
                short_term |= value == self.short_term;
            });
        }
        let months = row
            .months_available
            .and_then(|months| Some((months, bucket(&MONTH_BUCKETS, months)?)));
        if let Some((_, at)) = months {
            self.months_available[at] += 1;
        }
        if let Some(at) = row.years_abroad.and_then(|y| bucket(&YEAR_BUCKETS, y)) {
            self.years_abroad[at] += 1;
        }
        let day = row.created_at.div_euclid(86_400_000);
        match &mut self.day {
            Some((current, count)) if *current == day => *count += 1,
            other => {
                if let Some((done, count)) = other.replace((day, 1)) {
                    *self.days.entry(done).or_default() += count;
                }
            }
        }
        let association = row.association.unwrap_or_default();
        self.associations.add(association);
        self.devices.slot(row.creator).add(association);
        self.review.add(row.review_status);
        if row.complete {
            self.completeness.complete += 1;
        } else {
            self.completeness.with_issues += 1;
        }
        if row.conflicts {
            self.completeness.with_conflicts += 1;
        }
        if let (true, Some(profession), Some(country)) = (short_term, profession, country) {
            let skill = self
                .skills
                .slot(profession)
                .slot(specialisation.unwrap_or_default())
                .slot(country);
            skill.count += 1;
            if let Some((months, at)) = months {
                skill.months += u64::try_from(months).unwrap_or(0);
                skill.by_months[at] += 1;
            }
        }
    }

    /// The charts, ordered and labelled.
    /// Counts the day being counted with the others.
    fn flush_day(&mut self) {
        if let Some((day, count)) = self.day.take() {
            *self.days.entry(day).or_default() += count;
        }
    }

    fn into_dashboard(mut self, labels: &Labels<'_>, form_id: &str) -> Dashboard {
        self.flush_day();
        let mut regions = Vec::new();
        // Every country the form lists, then those it does not, as the countries chart.
        let mut country_order: Vec<&str> =
            labels.countries.iter().map(|(value, _)| *value).collect();
        let mut others: Vec<&String> = self
            .regions
            .iter()
            .map(|(country, _)| country)
            .filter(|country| !country_order.contains(&country.as_str()))
            .collect();
        others.sort();
        country_order.extend(others.into_iter().map(String::as_str));
        let no_regions = Keyed::default();
        for country in country_order {
            let counted = self.regions.get(country).unwrap_or(&no_regions);
            // The form's regions of this country (by its choice filter's column), at zero
            // too, when the country has been counted at all.
            let own: Vec<(&str, Option<&str>)> = if self.countries.contains(country) {
                labels
                    .regions
                    .iter()
                    .filter(|(value, _)| labels.region_country.get(value) == Some(&country))
                    .copied()
                    .collect()
            } else {
                Vec::new()
            };
            regions.extend(in_form_order(own, counted).into_iter().map(|count| {
                DashboardRegion {
                    country: country.to_owned(),
                    label: count
                        .label
                        .or_else(|| Labels::label(&labels.regions, &count.key)),
                    key: count.key,
                    count: count.count,
                }
            }));
        }
        let spellings = self.spellings();
        let specialisations = Self::specialisations_chart(&spellings);
        let skills = self.skills_chart(labels, &spellings);
        let devices = self.devices_chart(labels);
        let mut associations: Vec<DashboardCount> = self
            .associations
            .iter()
            .map(|(code, count)| DashboardCount {
                label: labels.associations.get(code).cloned(),
                key: code.clone(),
                count: *count,
            })
            .collect();
        associations.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        let review = in_form_order(
            REVIEW_STATUSES
                .iter()
                .map(|status| (*status, None))
                .collect(),
            &self.review,
        );
        Dashboard {
            form_id: form_id.to_owned(),
            total: self.total,
            countries: in_form_order(labels.countries.clone(), &self.countries),
            regions,
            professions: in_form_order(labels.professions.clone(), &self.professions),
            specialisations,
            engagement: in_form_order(labels.engagement.clone(), &self.engagement),
            months_available: buckets_chart(&MONTH_BUCKETS, &self.months_available),
            years_abroad: buckets_chart(&YEAR_BUCKETS, &self.years_abroad),
            by_month: months_chart(&self.days),
            associations,
            devices,
            review,
            completeness: self.completeness,
            skills,
        }
    }

    /// The spelling each specialisation of each profession is shown with: of those that
    /// fold alike ([`folding`]), the most common (the first in byte order on a tie), and
    /// how many gave one of them. Keyed by profession and folded text.
    fn spellings(&self) -> HashMap<(&str, String), (&str, u64)> {
        let mut spellings: HashMap<(&str, String), (&str, u64, u64)> = HashMap::new();
        for (profession, counter) in self.specialisations.iter() {
            for (typed, count) in counter.iter() {
                let group = spellings
                    .entry((profession.as_str(), folding(typed)))
                    .or_insert((typed, 0, 0));
                group.2 += count;
                if (*count, Reverse(typed.as_str())) > (group.1, Reverse(group.0)) {
                    group.0 = typed;
                    group.1 = *count;
                }
            }
        }
        spellings
            .into_iter()
            .map(|(key, (shown, _, total))| (key, (shown, total)))
            .collect()
    }

    /// Specialisations by profession, spellings counted together under the most common.
    fn specialisations_chart(
        spellings: &HashMap<(&str, String), (&str, u64)>,
    ) -> Vec<DashboardSpecialisation> {
        let mut chart: Vec<DashboardSpecialisation> = spellings
            .iter()
            .map(
                |((profession, _), (shown, count))| DashboardSpecialisation {
                    profession: (*profession).to_owned(),
                    key: (*shown).to_owned(),
                    count: *count,
                },
            )
            .collect();
        chart.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| (&a.profession, &a.key).cmp(&(&b.profession, &b.key)))
        });
        chart.truncate(DASHBOARD_MAX_ROWS);
        chart
    }

    /// Skill groups, each specialisation spelt as in the specialisations chart.
    fn skills_chart(
        &self,
        labels: &Labels<'_>,
        spellings: &HashMap<(&str, String), (&str, u64)>,
    ) -> Vec<DashboardSkill> {
        let mut groups: BTreeMap<(&str, Option<String>, &str), SkillTally> = BTreeMap::new();
        let skills = self.skills.iter().flat_map(|(profession, typed)| {
            typed.iter().flat_map(move |(specialisation, countries)| {
                countries
                    .iter()
                    .map(move |(country, skill)| (profession, specialisation, country, skill))
            })
        });
        for (profession, specialisation, country, skill) in skills {
            let shown = (!specialisation.is_empty()).then(|| {
                spellings
                    .get(&(profession.as_str(), folding(specialisation)))
                    .map_or_else(|| specialisation.clone(), |(shown, _)| (*shown).to_owned())
            });
            let group = groups
                .entry((profession.as_str(), shown, country.as_str()))
                .or_default();
            group.count += skill.count;
            group.months += skill.months;
            for (sum, add) in group.by_months.iter_mut().zip(skill.by_months) {
                *sum += add;
            }
        }
        let mut chart: Vec<DashboardSkill> = groups
            .into_iter()
            .map(
                |((profession, specialisation, country), skill)| DashboardSkill {
                    profession: profession.to_owned(),
                    profession_label: Labels::label(&labels.professions, profession),
                    specialisation,
                    country: country.to_owned(),
                    country_label: Labels::label(&labels.countries, country),
                    count: skill.count,
                    months: skill.months,
                    by_months: buckets_chart(&MONTH_BUCKETS, &skill.by_months),
                },
            )
            .collect();
        chart.sort_by(|a, b| {
            b.count.cmp(&a.count).then_with(|| {
                (&a.profession, &a.specialisation, &a.country).cmp(&(
                    &b.profession,
                    &b.specialisation,
                    &b.country,
                ))
            })
        });
        chart.truncate(DASHBOARD_MAX_ROWS);
        chart
    }

    fn devices_chart(&self, labels: &Labels<'_>) -> Vec<DashboardDevice> {
        let mut chart: Vec<DashboardDevice> = self
            .devices
            .iter()
            .flat_map(|(device, associations)| {
                associations
                    .iter()
                    .map(move |(association, count)| DashboardDevice {
                        key: device.clone(),
                        label: labels.devices.get(device).cloned(),
                        association: (!association.is_empty()).then(|| association.clone()),
                        count: *count,
                    })
            })
            .collect();
        chart.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| (&a.key, &a.association).cmp(&(&b.key, &b.association)))
        });
        chart.truncate(DASHBOARD_MAX_ROWS);
        chart
    }
}

/// A free-text value as it is compared: folded (`super::fold`: case and accents), spaces
/// collapsed.
fn folding(text: &str) -> String {
    fold(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A chart of choices: those given (with their labels) in their order, at zero too, then
/// any other value counted, the largest first.
fn in_form_order(choices: Vec<(&str, Option<&str>)>, counts: &Keyed<u64>) -> Vec<DashboardCount> {
    let mut chart: Vec<DashboardCount> = choices
        .iter()
        .map(|(value, label)| DashboardCount {
            key: (*value).to_owned(),
            label: label.map(str::to_owned),
            count: counts.get(value).copied().unwrap_or(0),
        })
        .collect();
    let mut others: Vec<DashboardCount> = counts
        .iter()
        .filter(|(value, _)| !choices.iter().any(|(choice, _)| choice == value))
        .map(|(value, count)| DashboardCount {
            key: value.clone(),
            label: None,
            count: *count,
        })
        .collect();
    others.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    others.truncate(DASHBOARD_MAX_ROWS);
    chart.extend(others);
    chart
}

fn buckets_chart(buckets: &[(i64, i64, &str)], counts: &[u64]) -> Vec<DashboardCount> {
    buckets
        .iter()
        .zip(counts)
        .map(|((_, _, key), count)| DashboardCount {
            key: (*key).to_owned(),
            label: None,
            count: *count,
        })
        .collect()
}

/// Registrations by month (`YYYY-MM`, UTC), every month from the first counted to the last.
fn months_chart(days: &HashMap<i64, u64>) -> Vec<DashboardCount> {
    let month_of = |day: i64| {
        chrono::DateTime::from_timestamp(day.saturating_mul(86_400), 0)
            .map(|time| time.date_naive())
            .map(|date| {
                (
                    chrono::Datelike::year(&date),
                    chrono::Datelike::month(&date),
                )
            })
    };
    let mut months: BTreeMap<(i32, u32), u64> = BTreeMap::new();
    for (day, count) in days {
        if let Some(month) = month_of(*day) {
            *months.entry(month).or_default() += count;
        }
    }
    let (Some(first), Some(last)) = (
        months.keys().next().copied(),
        months.keys().next_back().copied(),
    ) else {
        return Vec::new();
    };
    let mut chart = Vec::new();
    let mut month = first;
    while month <= last {
        chart.push(DashboardCount {
            key: format!("{:04}-{:02}", month.0, month.1),
            label: None,
            count: months.get(&month).copied().unwrap_or(0),
        });
        month = if month.1 == 12 {
            (month.0 + 1, 1)
        } else {
            (month.0, month.1 + 1)
        };
    }
    chart
}

/// What labels a dashboard: the form's choices (values and English labels, in the form's
/// order), the country of each region, the associations' and devices' names.
struct Labels<'a> {
    countries: Vec<(&'a str, Option<&'a str>)>,
    regions: Vec<(&'a str, Option<&'a str>)>,
    professions: Vec<(&'a str, Option<&'a str>)>,
    engagement: Vec<(&'a str, Option<&'a str>)>,
    /// A region's country: its choice's column named like the country question (the choice
    /// filter's).
    region_country: HashMap<&'a str, &'a str>,
    associations: &'a HashMap<String, String>,
    devices: &'a HashMap<String, String>,
}

impl<'a> Labels<'a> {
    fn new(
        form: &'a Form,
        fields: &'a DashboardFields,
        associations: &'a HashMap<String, String>,
        devices: &'a HashMap<String, String>,
    ) -> Self {
        let questions = questions_outside_repeats(form);
        let rows = |question: &str| -> &'a [Choice] {
            questions
                .iter()
                .find(|q| q.name.as_str() == question)
                .and_then(|q| match &q.kind {
                    QuestionType::SelectOne { list, .. }
                    | QuestionType::SelectMultiple { list, .. } => form.choice_list(list),
                    _ => None,
                })
                .map_or(&[], |list| list.choices.as_slice())
        };
        let labelled = |question: &str| -> Vec<(&'a str, Option<&'a str>)> {
            rows(question)
                .iter()
                .map(|choice| {
                    (
                        choice.value.as_str(),
                        choice
                            .label
                            .get(Some(LABEL_LANGUAGE), form.default_language.as_ref()),
                    )
                })
                .collect()
        };
        Labels {
            countries: labelled(fields.country),
            regions: labelled(fields.region),
            professions: labelled(fields.profession),
            engagement: labelled(fields.engagement),
            region_country: rows(fields.region)
                .iter()
                .filter_map(|choice| {
                    let country = choice.properties.get(fields.country)?;
                    Some((choice.value.as_str(), country.as_str()))
                })
                .collect(),
            associations,
            devices,
        }
    }

    fn label(choices: &[(&str, Option<&str>)], value: &str) -> Option<String> {
        choices
            .iter()
            .find(|(choice, _)| *choice == value)
            .and_then(|(_, label)| label.map(str::to_owned))
    }
}

/// What differs between the backends' SQL for the dashboard, beside the table's
/// [`Dialect`].
pub(crate) struct DashboardDialect {
    /// The condition "not withdrawn".
    pub not_withdrawn: &'static str,
    /// The answer to the question `name` (a plain name: [`plain_name`]) as text.
    pub answer: fn(&str) -> String,
    /// The index that holds every column the query reads, and the answers' values, for a
    /// query without choice filter or text search (SQLite's `submissions_dashboard`), which
    /// the query names (`INDEXED BY`): SQLite's planner, which cannot know that the answers
    /// come from it, would read the table.
    pub index: Option<&'static str>,
}

/// Whether a question's name can be written into SQL as it is: XLSForm's names (letters,
/// digits, `_`, `-`, `.`).
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// The one query of a dashboard: the projection's columns and the counted answers of every
/// submission `query` selects, as [`TallyRow`] has them in its order (association, creator,
/// created_at, review_status, complete, conflicts, country, region, profession,
/// specialisation, engagement, months_available, years_abroad), and its parameters. The
/// questions' names are written into the SQL (they are [`DashboardFields`]' constants, never
/// a client's), so that SQLite recognises the expressions its index holds.
pub(crate) fn rows_sql(
    query: &DashboardQuery,
    dialect: &Dialect,
    answers: &DashboardDialect,
) -> (String, Vec<Param>) {
    let mut selection = Selection::of(&query.filters, dialect);
    selection.conditions.push(answers.not_withdrawn.to_owned());
    let fields = query.fields;
    let columns = [
        fields.country,
        fields.region,
        fields.profession,
        fields.specialisation,
        fields.engagement,
        fields.months_available,
        fields.years_abroad,
    ]
    .map(|name| {
        if plain_name(name) {
            (answers.answer)(name)
        } else {
            "NULL".to_owned()
        }
    })
    .join(", ");
    let indexed = query.filters.choices.is_empty()
        && query.filters.terms.is_empty()
        && query.filters.doc_id.is_none();
    let from = match answers.index {
        Some(index) if indexed => format!("{} INDEXED BY {index}", selection.from),
        _ => selection.from.clone(),
    };
    let filter = selection.where_clause();
    let sql = format!(
        "SELECT s.association, s.creator, s.created_at, s.review_status, s.complete, \
         s.conflicts > 0, {columns} FROM {from} {filter}"
    );
    (sql, selection.params)
}

/// An integer answer as text (`"12"`), or a number.
pub(crate) fn integer(text: Option<&str>) -> Option<i64> {
    text.and_then(|text| text.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(text: &str) -> Result<DashboardQuery, QueryError> {
        let pairs =
            form_urlencoded::parse(text.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned()));
        DashboardQuery::from_pairs(AssociationScope::All, pairs)
    }

    #[test]
    fn the_tables_filters_are_read_and_its_paging_refused() {
        let q =
            query("form=diaspora_registration&status=approved&choice=country%3Auk&from=2026-01-01")
                .expect("a query");
        assert_eq!(q.form(), "diaspora_registration");
        assert_eq!(q.filters.status.as_deref(), Some("approved"));
        assert_eq!(q.filters.choices.len(), 1);
        for (text, says) in [
            ("status=approved", "form: "),
            ("form=f&limit=5", "unknown parameter \"limit\": use form, "),
            ("form=f&order=oldest", "unknown parameter \"order\""),
            ("form=f&after=1.00", "unknown parameter \"after\""),
            ("form=f&duplicates=only", "duplicates: "),
            ("form=f&sort=name", "unknown parameter \"sort\": use form, "),
            ("form=f&complete=yes", "complete: "),
        ] {
            let error = query(text).expect_err(text).to_string();
            assert!(error.starts_with(says), "{text}: {error}");
        }
    }

    /// Both backends hold the answers counted in their dashboard index (SQLite's expressions,
    /// PostgreSQL's generated columns), written as the query writes them: a question added
    /// to [`REFERENCE_FIELDS`] needs them too.
    #[test]
    fn the_indexes_hold_every_question_counted() {
        let sqlite = include_str!("../../migrations/0019_dashboard.sql");
        let postgres = include_str!("../../migrations/postgres/0008_dashboard.sql");
        let fields = REFERENCE_FIELDS;
        for name in [
            fields.country,
            fields.region,
            fields.profession,
            fields.specialisation,
            fields.engagement,
            fields.months_available,
            fields.years_abroad,
        ] {
            assert!(plain_name(name), "{name}");
            let expression = format!("answers ->> '$.\"{name}\"'");
            assert!(sqlite.contains(&expression), "SQLite: {expression}");
            let column = format!("answer_{name} TEXT");
            assert!(postgres.contains(&column), "PostgreSQL: {column}");
            let included = format!("answer_{name}");
            let index = postgres
                .rsplit("CREATE INDEX submissions_dashboard")
                .next()
                .unwrap_or_default();
            assert!(index.contains(&included), "PostgreSQL's index: {included}");
            assert!(
                postgres.contains(&format!("(answers ->> '{name}') STORED")),
                "PostgreSQL: {name}"
            );
        }
    }

    #[test]
    fn numbers_fall_into_their_buckets() {
        for (years, key) in [
            (0, "0-2"),
            (2, "0-2"),
            (3, "3-5"),
            (10, "6-10"),
            (11, "11-20"),
        ] {
            assert_eq!(
                bucket(&YEAR_BUCKETS, years).map(|at| YEAR_BUCKETS[at].2),
                Some(key)
            );
        }
        assert_eq!(
            bucket(&YEAR_BUCKETS, 70).map(|at| YEAR_BUCKETS[at].2),
            Some("21+")
        );
        assert_eq!(bucket(&YEAR_BUCKETS, -1), None);
        assert_eq!(
            bucket(&MONTH_BUCKETS, 5).map(|at| MONTH_BUCKETS[at].2),
            Some("4-6")
        );
        assert_eq!(bucket(&MONTH_BUCKETS, 0), None);
        assert_eq!(bucket(&MONTH_BUCKETS, 13), None);
        assert_eq!(integer(Some(" 12 ")), Some(12));
        assert_eq!(integer(Some("twelve")), None);
    }

    #[test]
    fn one_pass_counts_every_chart_and_spellings_fold_together() {
        let mut tally = Tally::new(&REFERENCE_FIELDS);
        let row = |specialisation, engagement, months| TallyRow {
            association: Some("a"),
            creator: "phone-1",
            // 2026-05-28 and 2026-07-31, UTC.
            created_at: 1_780_000_000_000,
            review_status: "received",
            complete: true,
            conflicts: false,
            country: Some("south_africa"),
            region: Some("gauteng"),
            profession: Some("doctor"),
            specialisation,
            engagement,
            months_available: months,
            years_abroad: Some(4),
        };
        tally.add(&row(
            Some("Paediatrics"),
            Some(r#"["short_term","mentoring"]"#),
            Some(3),
        ));
        tally.add(&TallyRow {
            created_at: 1_785_456_000_000,
            conflicts: true,
            complete: false,
            ..row(Some(" paediatrics"), Some("short_term"), Some(12))
        });
        tally.add(&row(Some("PAEDIATRICS "), None, None));
        assert_eq!(tally.total, 3);
        let spellings = tally.spellings();
        let chart = Tally::specialisations_chart(&spellings);
        assert_eq!(chart.len(), 1, "{chart:?}");
        assert_eq!((chart[0].key.as_str(), chart[0].count), ("PAEDIATRICS", 3));
        assert_eq!(tally.engagement.get("short_term"), Some(&2));
        assert_eq!(tally.months_available, [0, 0, 1, 0, 1]);
        assert_eq!(tally.years_abroad, [0, 3, 0, 0, 0]);
        assert_eq!(
            tally.completeness,
            DashboardCompleteness {
                complete: 2,
                with_issues: 1,
                with_conflicts: 1
            }
        );
        tally.flush_day();
        let months: Vec<(String, u64)> = months_chart(&tally.days)
            .into_iter()
            .map(|bar| (bar.key, bar.count))
            .collect();
        assert_eq!(
            months,
            [
                ("2026-05".to_owned(), 2),
                ("2026-06".to_owned(), 0),
                ("2026-07".to_owned(), 1)
            ]
        );
        let skill = tally
            .skills
            .iter()
            .flat_map(|(_, specialisations)| specialisations.iter())
            .flat_map(|(_, countries)| countries.iter())
            .map(|(_, skill)| skill)
            .fold(SkillTally::default(), |mut sum, skill| {
                sum.count += skill.count;
                sum.months += skill.months;
                sum
            });
        assert_eq!((skill.count, skill.months), (2, 15));
    }
}
