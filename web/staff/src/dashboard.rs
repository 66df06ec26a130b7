//! The dashboard's address and its charts: what `GET /api/dashboard` counts, as [`Chart`]s
//! labelled in the staff member's language (choices relabelled from the form, where the
//! server labels them in English), and the skills available for short-term assignments,
//! narrowed to one profession and one country.
//!
//! Pure: no browser, so its tests run natively.

use letsema_form::runtime::ChoiceOption;
use letsema_ids::ReviewStatus;
use letsema_protocol::staff::{Dashboard, DashboardCount, DashboardSkill};

use crate::charts::{Chart, Row, Shape};
use crate::filters::{ChoiceQuestion, Filters};
use crate::table::STATUSES;
use crate::words::Words;

/// The dashboard as its address keeps it: the submissions' filters, and the skills view's
/// profession and country.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DashboardAddress {
    pub filters: Filters,
    /// A profession's value; empty: every one.
    pub profession: String,
    /// A country's value; empty: every one.
    pub country: String,
}

impl DashboardAddress {
    /// The address of a query string (the hash's, after `#/dashboard?`).
    pub fn from_query(query: &str) -> DashboardAddress {
        let mut address = DashboardAddress {
            filters: Filters::from_query(query),
            ..DashboardAddress::default()
        };
        // The dashboard has no order of rows.
        address.filters.oldest_first = false;
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match name.as_ref() {
                "skill_profession" => address.profession = value.into_owned(),
                "skill_country" => address.country = value.into_owned(),
                _ => {}
            }
        }
        address
    }

    /// The query string for the address's hash.
    pub fn query(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(self.filters.selection());
        if !self.profession.is_empty() {
            out.append_pair("skill_profession", &self.profession);
        }
        if !self.country.is_empty() {
            out.append_pair("skill_country", &self.country);
        }
        out.finish()
    }
}

/// The labels of a form's choices in the chosen language: the form's own questions, by
/// name.
#[derive(Debug, Clone, Copy)]
pub struct Relabel<'a> {
    pub questions: &'a [ChoiceQuestion],
}

impl Relabel<'_> {
    /// The label of `value` of `question`, in the chosen language; else `fallback` (the
    /// server's English), else the value itself.
    fn label(&self, question: &str, value: &str, fallback: Option<&str>) -> String {
        self.questions
            .iter()
            .find(|q| q.name == question)
            .and_then(|q| q.choices.iter().find(|c| c.value == value))
            .map(|c| c.label.clone())
            .or_else(|| fallback.map(str::to_owned))
            .unwrap_or_else(|| value.to_owned())
    }
}

/// The question names the server counts by (`server/src/store/dashboard.rs`'s
/// `REFERENCE_FIELDS`): where the labels of each chart's choices are found.
const COUNTRY: &str = "country";
const REGION: &str = "region";
const PROFESSION: &str = "profession";
const ENGAGEMENT: &str = "engagement";

/// Every chart of `dashboard`, in the page's order.
pub fn charts(dashboard: &Dashboard, words: &Words, relabel: Relabel<'_>) -> Vec<Chart> {
    let c = words.charts;
    let not_given = || c.not_given.to_owned();
    let choices = |question: &'static str, counts: &[DashboardCount]| -> Vec<Row> {
        counts
            .iter()
            .map(|count| Row {
                key: count.key.clone(),
                cells: vec![if count.key.is_empty() {
                    not_given()
                } else {
                    relabel.label(question, &count.key, count.label.as_deref())
                }],
                values: vec![count.count],
            })
            .collect()
    };
    let plain = |counts: &[DashboardCount]| -> Vec<Row> {
        counts
            .iter()
            .map(|count| Row {
                key: count.key.clone(),
                cells: vec![count.label.clone().unwrap_or_else(|| count.key.clone())],
                values: vec![count.count],
            })
            .collect()
    };
    let chart = |id, title: &str, headers: &[&str], rows, shape| Chart {
        id,
        title: title.to_owned(),
        label_headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        value_headers: vec![c.members.to_owned()],
        rows,
        shape,
    };
    let regions = dashboard
        .regions
        .iter()
        .map(|region| Row {
            key: format!("{}/{}", region.country, region.key),
            cells: vec![
                relabel.label(COUNTRY, &region.country, None),
                relabel.label(REGION, &region.key, region.label.as_deref()),
            ],
            values: vec![region.count],
        })
        .collect();
    let specialisations = dashboard
        .specialisations
        .iter()
        .map(|row| Row {
            key: format!("{}/{}", row.profession, row.key),
            cells: vec![
                relabel.label(PROFESSION, &row.profession, None),
                row.key.clone(),
            ],
            values: vec![row.count],
        })
        .collect();
    // An association by its name (the server's), else its code; none: the public links.
    let association_name = |code: &str| {
        if code.is_empty() {
            return words.public_links.to_owned();
        }
        dashboard
            .associations
            .iter()
            .find(|count| count.key == code)
            .and_then(|count| count.label.clone())
            .unwrap_or_else(|| code.to_owned())
    };
    let associations = dashboard
        .associations
        .iter()
        .map(|count| Row {
            key: count.key.clone(),
            cells: vec![association_name(&count.key)],
            values: vec![count.count],
        })
        .collect();
    let devices = dashboard
        .devices
        .iter()
        .map(|device| Row {
            key: device.key.clone(),
            cells: vec![
                device.label.clone().unwrap_or_else(|| device.key.clone()),
                association_name(device.association.as_deref().unwrap_or_default()),
            ],
            values: vec![device.count],
        })
        .collect();
    let review = dashboard
        .review
        .iter()
        .map(|count| Row {
            key: count.key.clone(),
            cells: vec![status_name(words, &count.key)],
            values: vec![count.count],
        })
        .collect();
    let done = dashboard.completeness;
    let completeness = [
        ("complete", c.complete, done.complete),
        ("with_issues", c.with_issues, done.with_issues),
        ("with_conflicts", c.with_conflicts, done.with_conflicts),
    ]
    .into_iter()
    .map(|(key, label, count)| Row {
        key: key.to_owned(),
        cells: vec![label.to_owned()],
        values: vec![count],
    })
    .collect();
    vec![
        chart(
            "countries",
            c.countries,
            &[c.country],
            choices(COUNTRY, &dashboard.countries),
            Shape::Bars,
        ),
        chart(
            "regions",
            c.regions,
            &[c.country, c.region],
            regions,
            Shape::Bars,
        ),
        chart(
            "professions",
            c.professions,
            &[c.profession],
            choices(PROFESSION, &dashboard.professions),
            Shape::Bars,
        ),
        chart(
            "specialisations",
            c.specialisations,
            &[c.profession, c.specialisation],
            specialisations,
            Shape::Bars,
        ),
        chart(
            "engagement",
            c.engagement,
            &[c.interest],
            choices(ENGAGEMENT, &dashboard.engagement),
            Shape::Bars,
        ),
        chart(
            "months_available",
            c.months_available,
            &[c.months],
            plain(&dashboard.months_available),
            Shape::Bars,
        ),
        chart(
            "years_abroad",
            c.years_abroad,
            &[c.years],
            plain(&dashboard.years_abroad),
            Shape::Bars,
        ),
        chart(
            "by_month",
            c.by_month,
            &[c.month],
            plain(&dashboard.by_month),
            Shape::Columns,
        ),
        chart(
            "associations",
            c.associations,
            &[words.association],
            associations,
            Shape::Bars,
        ),
        chart(
            "devices",
            c.devices,
            &[c.device, words.association],
            devices,
            Shape::Bars,
        ),
        chart("review", c.review, &[words.status], review, Shape::Bars),
        chart(
            "completeness",
            c.completeness,
            &[c.state],
            completeness,
            Shape::Bars,
        ),
    ]
}

fn status_name(words: &Words, key: &str) -> String {
    STATUSES
        .iter()
        .find(|status| status.as_str() == key)
        .map_or_else(
            || key.to_owned(),
            |status: &ReviewStatus| words.status_name(*status).to_owned(),
        )
}

/// The professions and the countries the skills list has, in the order first met.
pub fn skill_choices(
    skills: &[DashboardSkill],
    relabel: Relabel<'_>,
) -> (Vec<ChoiceOption>, Vec<ChoiceOption>) {
    let mut professions: Vec<ChoiceOption> = Vec::new();
    let mut countries: Vec<ChoiceOption> = Vec::new();
    for skill in skills {
        if !professions.iter().any(|p| p.value == skill.profession) {
            let label = relabel.label(
                PROFESSION,
                &skill.profession,
                skill.profession_label.as_deref(),
            );
            professions.push(ChoiceOption {
                value: skill.profession.clone(),
                label,
            });
        }
        if !countries.iter().any(|c| c.value == skill.country) {
            let label = relabel.label(COUNTRY, &skill.country, skill.country_label.as_deref());
            countries.push(ChoiceOption {
                value: skill.country.clone(),
                label,
            });
        }
    }
    (professions, countries)
}

/// The skills available for short-term assignments, of `profession` and in `country`
/// (empty: any), as a chart: a bar per profession, specialisation and country, with the
/// members who could give each bucket of months and the months added up in its table.
pub fn skills_chart(
    dashboard: &Dashboard,
    words: &Words,
    relabel: Relabel<'_>,
    profession: &str,
    country: &str,
) -> Chart {
    let c = words.charts;
    let buckets: Vec<String> = dashboard
        .skills
        .first()
        .map(|skill| skill.by_months.iter().map(|b| b.key.clone()).collect())
        .unwrap_or_default();
    let rows = dashboard
        .skills
        .iter()
        .filter(|skill| profession.is_empty() || skill.profession == profession)
        .filter(|skill| country.is_empty() || skill.country == country)
        .map(|skill| {
            let specialisation = skill.specialisation.clone().unwrap_or_default();
            let mut values = vec![skill.count];
            values.extend(buckets.iter().map(|bucket| {
                skill
                    .by_months
                    .iter()
                    .find(|b| &b.key == bucket)
                    .map_or(0, |b| b.count)
            }));
            values.push(skill.months);
            Row {
                key: format!("{}/{}/{}", skill.profession, specialisation, skill.country),
                cells: vec![
                    relabel.label(
                        PROFESSION,
                        &skill.profession,
                        skill.profession_label.as_deref(),
                    ),
                    if specialisation.is_empty() {
                        c.not_given.to_owned()
                    } else {
                        specialisation
                    },
                    relabel.label(COUNTRY, &skill.country, skill.country_label.as_deref()),
                ],
                values,
            }
        })
        .collect();
    let mut value_headers = vec![c.members.to_owned()];
    value_headers.extend(buckets.iter().map(|bucket| c.months_bucket(bucket)));
    value_headers.push(c.months_total.to_owned());
    Chart {
        id: "skills",
        title: c.skills.to_owned(),
        label_headers: vec![
            c.profession.to_owned(),
            c.specialisation.to_owned(),
            c.country.to_owned(),
        ],
        value_headers,
        rows,
        shape: Shape::Bars,
    }
}

#[cfg(test)]
mod tests {
    use letsema_protocol::staff::{DashboardCompleteness, DashboardRegion};

    use super::*;
    use crate::words::{ENGLISH, SESOTHO};

    fn count(key: &str, label: Option<&str>, count: u64) -> DashboardCount {
        DashboardCount {
            key: key.into(),
            label: label.map(Into::into),
            count,
        }
    }

    fn skill(
        profession: &str,
        specialisation: Option<&str>,
        country: &str,
        members: u64,
    ) -> DashboardSkill {
        DashboardSkill {
            profession: profession.into(),
            profession_label: Some(profession.to_uppercase()),
            specialisation: specialisation.map(Into::into),
            country: country.into(),
            country_label: Some(country.to_uppercase()),
            count: members,
            months: members * 2,
            by_months: vec![count("1", None, 0), count("2", None, members)],
        }
    }

    fn dashboard() -> Dashboard {
        Dashboard {
            form_id: "diaspora_registration".into(),
            total: 7,
            countries: vec![
                count("south_africa", Some("South Africa"), 5),
                count("uk", Some("United Kingdom"), 2),
                count("", None, 0),
            ],
            regions: vec![DashboardRegion {
                country: "south_africa".into(),
                key: "gauteng".into(),
                label: Some("Gauteng".into()),
                count: 4,
            }],
            professions: vec![],
            specialisations: vec![],
            engagement: vec![],
            months_available: vec![],
            years_abroad: vec![],
            by_month: vec![count("2026-10", None, 3), count("2026-11", None, 4)],
            associations: vec![
                count("", None, 1),
                count("church-jhb", Some("Church, Johannesburg"), 6),
            ],
            devices: vec![],
            review: vec![count("received", None, 6), count("approved", None, 1)],
            completeness: DashboardCompleteness {
                complete: 5,
                with_issues: 2,
                with_conflicts: 1,
            },
            skills: vec![
                skill("doctor", Some("Paediatrics"), "south_africa", 3),
                skill("doctor", None, "uk", 1),
                skill("nurse", Some("Theatre"), "south_africa", 2),
            ],
        }
    }

    fn sesotho_countries() -> Vec<ChoiceQuestion> {
        vec![ChoiceQuestion {
            name: "country".into(),
            label: "Naha".into(),
            choices: vec![ChoiceOption {
                value: "south_africa".into(),
                label: "Afrika Boroa".into(),
            }],
        }]
    }

    #[test]
    fn the_address_keeps_the_filters_and_the_skills_view() {
        let address = DashboardAddress {
            filters: Filters {
                form: "diaspora_registration".into(),
                association: "church-jhb".into(),
                ..Filters::default()
            },
            profession: "doctor".into(),
            country: "south_africa".into(),
        };
        assert_eq!(
            address.query(),
            "form=diaspora_registration&association=church-jhb&skill_profession=doctor\
             &skill_country=south_africa"
        );
        assert_eq!(DashboardAddress::from_query(&address.query()), address);
        assert!(
            !DashboardAddress::from_query("order=oldest")
                .filters
                .oldest_first
        );
    }

    #[test]
    fn every_chart_holds_the_servers_counts_labelled_in_the_chosen_language() {
        let questions = sesotho_countries();
        let charts = charts(
            &dashboard(),
            &SESOTHO,
            Relabel {
                questions: &questions,
            },
        );
        let countries = &charts[0];
        assert_eq!(countries.id, "countries");
        let rows: Vec<(String, String, u64)> = countries
            .rows
            .iter()
            .map(|row| (row.key.clone(), row.label(), row.count()))
            .collect();
        assert_eq!(
            rows,
            [
                ("south_africa".into(), "Afrika Boroa".into(), 5),
                ("uk".into(), "United Kingdom".into(), 2),
                (String::new(), SESOTHO.charts.not_given.into(), 0),
            ],
            "the form's Sesotho label, else the server's English, else 'not given'"
        );
        let regions = &charts[1];
        assert_eq!(regions.rows[0].key, "south_africa/gauteng");
        assert_eq!(regions.rows[0].cells, ["Afrika Boroa", "Gauteng"]);
        let by_month = charts
            .iter()
            .find(|c| c.id == "by_month")
            .expect("by month");
        assert_eq!(by_month.shape, Shape::Columns);
        let associations = charts
            .iter()
            .find(|c| c.id == "associations")
            .expect("associations");
        assert_eq!(associations.rows[0].cells, [SESOTHO.public_links]);
        let review = charts.iter().find(|c| c.id == "review").expect("review");
        assert_eq!(
            review.rows[1].cells,
            [SESOTHO.status_name(ReviewStatus::Approved)]
        );
        let completeness = charts
            .iter()
            .find(|c| c.id == "completeness")
            .expect("completeness");
        let counts: Vec<u64> = completeness.rows.iter().map(Row::count).collect();
        assert_eq!(counts, [5, 2, 1]);
        assert_eq!(charts.len(), 12);
    }

    #[test]
    fn the_skills_view_narrows_to_a_profession_and_a_country() {
        let dashboard = dashboard();
        let all = skills_chart(&dashboard, &ENGLISH, Relabel { questions: &[] }, "", "");
        assert_eq!(all.rows.len(), 3);
        let doctors_in_south_africa = skills_chart(
            &dashboard,
            &ENGLISH,
            Relabel { questions: &[] },
            "doctor",
            "south_africa",
        );
        assert_eq!(doctors_in_south_africa.rows.len(), 1);
        let row = &doctors_in_south_africa.rows[0];
        assert_eq!(row.cells, ["DOCTOR", "Paediatrics", "SOUTH_AFRICA"]);
        assert_eq!(
            row.values,
            [3, 0, 3, 6],
            "members, each bucket of months, months"
        );
        assert_eq!(
            doctors_in_south_africa.value_headers.len(),
            row.values.len()
        );
        let (professions, countries) = skill_choices(&dashboard.skills, Relabel { questions: &[] });
        assert_eq!(professions.len(), 2);
        assert_eq!(countries.len(), 2);
        let unnamed = skills_chart(
            &dashboard,
            &ENGLISH,
            Relabel { questions: &[] },
            "doctor",
            "uk",
        );
        assert_eq!(unnamed.rows[0].cells[1], ENGLISH.charts.not_given);
    }
}
