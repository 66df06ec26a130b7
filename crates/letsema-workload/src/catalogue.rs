//! What the generator reads from the form: its id and version, the choices of every select,
//! and the regions of each country through the `region` question's choice filter.

use letsema_form::model::{Form, Item};

use crate::WorkloadError;
use crate::data::{USED_CHOICES, USED_QUESTIONS};

/// The parts of a form the generator needs, checked once.
#[derive(Debug, Clone)]
pub(crate) struct Catalogue {
    /// `form_id`.
    pub form_id: String,
    /// `version`.
    pub form_version: String,
    /// Every region choice with the value of its filter column (its country).
    regions: Vec<(String, String)>,
}

impl Catalogue {
    /// Reads `form` and checks that it asks what the generator answers, with the choices
    /// the generator picks.
    pub fn new(form: &Form) -> Result<Catalogue, WorkloadError> {
        let mismatch = |message: String| WorkloadError::Form { message };
        for name in USED_QUESTIONS {
            if form.find_question(name).is_none() {
                return Err(mismatch(format!("the form has no question `{name}`")));
            }
        }
        match form.find_item("qualifications") {
            Some((_, Item::Repeat(_))) => {}
            _ => {
                return Err(mismatch(
                    "the form has no repeat `qualifications`".to_owned(),
                ));
            }
        }
        for (question, values) in USED_CHOICES {
            let choices = choice_values(form, question)?;
            if let Some(missing) = values.iter().find(|v| !choices.contains(&(**v).to_owned())) {
                return Err(mismatch(format!(
                    "`{question}` has no choice `{missing}`, which the generator picks"
                )));
            }
        }

        let region = form
            .find_question("region")
            .ok_or_else(|| mismatch("the form has no question `region`".to_owned()))?;
        let filter = region
            .choice_filter
            .as_ref()
            .ok_or_else(|| mismatch("`region` has no choice filter".to_owned()))?;
        let column = filter_column(filter.as_str(), "country").ok_or_else(|| {
            mismatch(format!(
                "`region`'s choice filter `{filter}` is not of the form `column = ${{country}}`"
            ))
        })?;
        let list = region
            .kind
            .list()
            .and_then(|list| form.choice_list(list))
            .ok_or_else(|| mismatch("`region` has no choice list".to_owned()))?;
        let regions = list
            .choices
            .iter()
            .filter_map(|choice| {
                let country = choice.properties.get(column)?;
                Some((choice.value.as_str().to_owned(), country.clone()))
            })
            .collect();

        Ok(Catalogue {
            form_id: form.id.as_str().to_owned(),
            form_version: form.version.clone().unwrap_or_default(),
            regions,
        })
    }

    /// The regions the form offers for `country`, in form order.
    pub fn regions_of<'a>(&'a self, country: &'a str) -> impl Iterator<Item = &'a str> {
        self.regions
            .iter()
            .filter(move |(_, c)| c == country)
            .map(|(region, _)| region.as_str())
    }
}

/// The choice values of the select `question`.
fn choice_values(form: &Form, question: &str) -> Result<Vec<String>, WorkloadError> {
    form.find_question(question)
        .and_then(|q| q.kind.list())
        .and_then(|list| form.choice_list(list))
        .map(|list| {
            list.choices
                .iter()
                .map(|c| c.value.as_str().to_owned())
                .collect()
        })
        .ok_or_else(|| WorkloadError::Form {
            message: format!("`{question}` is not a select with a choice list"),
        })
}

/// The column a choice filter `column = ${field}` compares with `field`, or `None` for any
/// other filter.
fn filter_column<'a>(filter: &'a str, field: &str) -> Option<&'a str> {
    let (column, value) = filter.split_once('=')?;
    let column = column.trim();
    let is_name = !column.is_empty()
        && column
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    (is_name && value.trim() == format!("${{{field}}}")).then_some(column)
}

/// Counts of regions per country, for tests and reports.
#[cfg(test)]
pub(crate) fn region_counts(catalogue: &Catalogue) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for (_, country) in &catalogue.regions {
        *counts.entry(country.clone()).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_filter_column() {
        assert_eq!(
            filter_column("country = ${country}", "country"),
            Some("country")
        );
        assert_eq!(filter_column("land=${country}", "country"), Some("land"));
        assert_eq!(filter_column("country != ${country}", "country"), None);
        assert_eq!(filter_column("country = ${sex}", "country"), None);
    }

    #[test]
    fn the_reference_form_has_regions_for_each_listed_country() {
        let catalogue = Catalogue::new(&crate::reference_form()).expect("the form fits");
        let counts = region_counts(&catalogue);
        assert_eq!(counts.get("south_africa"), Some(&9));
        assert_eq!(counts.get("uk"), Some(&4));
        assert_eq!(counts.get("usa"), Some(&6));
        assert_eq!(counts.get("botswana"), Some(&10));
        assert_eq!(counts.get("other"), None);
    }
}
