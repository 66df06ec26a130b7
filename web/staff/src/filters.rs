//! The table's filters as the staff member sets them, and the query string the server reads
//! them from (`GET /api/submissions`; the rules are the server's, in
//! `server/src/store/submissions.rs`). The same filters are kept in the address's hash, so
//! that a filtered table can be reloaded, bookmarked and shared with a colleague.

use letsema_form::model::{Form, Item, QuestionType};
use letsema_form::runtime::ChoiceOption;

/// The most answers the table filters by at once (the server's limit).
pub const MAX_CHOICE_FILTERS: usize = 4;
/// How many rows a page asks for.
pub const PAGE_ROWS: usize = 50;

/// Whether to show complete submissions, those with issues, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Completeness {
    #[default]
    Any,
    Complete,
    WithIssues,
}

/// The table's filters. Empty strings mean "any".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filters {
    pub form: String,
    pub version: String,
    pub association: String,
    pub status: String,
    /// A day, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    pub completeness: Completeness,
    pub conflicts: bool,
    /// Question and choice value pairs (questions of the chosen form).
    pub choices: Vec<(String, String)>,
    pub search: String,
    pub oldest_first: bool,
}

impl Filters {
    /// The query string of the first page (`after`: the cursor of a later one).
    pub fn query(&self, after: Option<&str>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        self.select(&mut out);
        if self.oldest_first {
            out.append_pair("order", "oldest");
        }
        out.append_pair("limit", &PAGE_ROWS.to_string());
        if let Some(after) = after.filter(|after| !after.trim().is_empty()) {
            out.append_pair("after", after.trim());
        }
        out.finish()
    }

    /// The query string of what the filters select, without order or paging: what the
    /// dashboard counts (`GET /api/dashboard`).
    pub fn selection(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        self.select(&mut out);
        out.finish()
    }

    /// Appends the filters that select submissions.
    fn select(&self, out: &mut form_urlencoded::Serializer<'_, String>) {
        let mut add = |name: &str, value: &str| {
            if !value.trim().is_empty() {
                out.append_pair(name, value.trim());
            }
        };
        add("form", &self.form);
        if !self.form.is_empty() {
            add("version", &self.version);
        }
        add("association", &self.association);
        add("status", &self.status);
        add("from", &self.from);
        add("to", &self.to);
        match self.completeness {
            Completeness::Any => {}
            Completeness::Complete => add("complete", "true"),
            Completeness::WithIssues => add("complete", "false"),
        }
        if self.conflicts {
            add("conflicts", "true");
        }
        if !self.form.is_empty() {
            for (question, value) in self.choices.iter().take(MAX_CHOICE_FILTERS) {
                if !question.is_empty() && !value.is_empty() {
                    add("choice", &format!("{question}:{value}"));
                }
            }
        }
        add("q", &self.search);
    }

    /// How many filters are set (each answer filter counts once; the order is not a filter).
    pub fn count(&self) -> usize {
        let set = |value: &str| usize::from(!value.trim().is_empty());
        set(&self.form)
            + set(&self.version)
            + set(&self.association)
            + set(&self.status)
            + set(&self.from)
            + set(&self.to)
            + usize::from(self.completeness != Completeness::Any)
            + usize::from(self.conflicts)
            + self
                .choices
                .iter()
                .filter(|(q, v)| !q.is_empty() && !v.is_empty())
                .count()
            + set(&self.search)
    }

    /// The filters of a query string (the address's hash), ignoring what it does not know.
    pub fn from_query(query: &str) -> Filters {
        let mut filters = Filters::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.into_owned();
            match name.as_ref() {
                "form" => filters.form = value,
                "version" => filters.version = value,
                "association" => filters.association = value,
                "status" => filters.status = value,
                "from" => filters.from = value,
                "to" => filters.to = value,
                "complete" if value == "true" => filters.completeness = Completeness::Complete,
                "complete" if value == "false" => filters.completeness = Completeness::WithIssues,
                "conflicts" => filters.conflicts = value == "true",
                "choice" if filters.choices.len() < MAX_CHOICE_FILTERS => {
                    if let Some((question, choice)) = value.split_once(':') {
                        filters
                            .choices
                            .push((question.to_owned(), choice.to_owned()));
                    }
                }
                "q" => filters.search = value,
                "order" => filters.oldest_first = value == "oldest",
                _ => {}
            }
        }
        filters
    }

    /// The query string for the address's hash: the filters, without paging.
    pub fn hash(&self) -> String {
        let query = self.query(None);
        let limit = format!("limit={PAGE_ROWS}");
        query
            .split('&')
            .filter(|pair| *pair != limit)
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// A question the table can filter by: a select outside repeats, with its choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceQuestion {
    pub name: String,
    pub label: String,
    pub choices: Vec<ChoiceOption>,
}

/// The questions of `form` that the table filters by, in form order, labelled in
/// `language`: selects outside repeats (inside groups too) whose choices come from the form
/// itself.
pub fn choice_questions(form: &Form, language: &str) -> Vec<ChoiceQuestion> {
    let mut out = Vec::new();
    collect(form, &form.items, language, &mut out);
    out
}

fn collect(form: &Form, items: &[Item], language: &str, out: &mut Vec<ChoiceQuestion>) {
    let default = form.default_language.as_ref();
    for item in items {
        match item {
            Item::Group(group) => collect(form, &group.items, language, out),
            Item::Repeat(_) => {}
            Item::Question(question) => {
                let list = match &question.kind {
                    QuestionType::SelectOne { list, .. }
                    | QuestionType::SelectMultiple { list, .. } => list,
                    _ => continue,
                };
                let Some(list) = form.choice_list(list) else {
                    continue;
                };
                let name = question.name.as_str().to_owned();
                out.push(ChoiceQuestion {
                    label: question
                        .label
                        .get(Some(language), default)
                        .map_or_else(|| name.clone(), ToOwned::to_owned),
                    name,
                    choices: list
                        .choices
                        .iter()
                        .map(|choice| ChoiceOption {
                            value: choice.value.as_str().to_owned(),
                            label: choice.label.get(Some(language), default).map_or_else(
                                || choice.value.as_str().to_owned(),
                                ToOwned::to_owned,
                            ),
                        })
                        .collect(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_filters_ask_for_a_first_page_only() {
        assert_eq!(Filters::default().query(None), "limit=50");
    }

    #[test]
    fn every_filter_is_written_as_the_server_reads_it() {
        let filters = Filters {
            form: "diaspora_registration".into(),
            version: "2026-11".into(),
            association: "maseru-nurses".into(),
            status: "has_issues".into(),
            from: "2026-11-01".into(),
            to: "2026-11-30".into(),
            completeness: Completeness::WithIssues,
            conflicts: true,
            choices: vec![
                ("country".into(), "ZA".into()),
                ("profession".into(), "nurse".into()),
            ],
            search: "Mpho 5800".into(),
            oldest_first: true,
        };
        assert_eq!(
            filters.query(Some("1700000000000.ab")),
            "form=diaspora_registration&version=2026-11&association=maseru-nurses\
             &status=has_issues&from=2026-11-01&to=2026-11-30&complete=false&conflicts=true\
             &choice=country%3AZA&choice=profession%3Anurse&q=Mpho+5800&order=oldest&limit=50\
             &after=1700000000000.ab"
        );
        assert_eq!(
            Filters::from_query(&filters.hash()),
            filters,
            "the hash keeps them all"
        );
    }

    #[test]
    fn the_selection_leaves_out_order_and_paging() {
        let filters = Filters {
            form: "diaspora_registration".into(),
            association: "maseru-nurses".into(),
            oldest_first: true,
            ..Filters::default()
        };
        assert_eq!(
            filters.selection(),
            "form=diaspora_registration&association=maseru-nurses"
        );
    }

    #[test]
    fn a_version_or_an_answer_without_a_form_is_not_sent() {
        let filters = Filters {
            version: "3".into(),
            choices: vec![("country".into(), "ZA".into())],
            ..Filters::default()
        };
        assert_eq!(filters.query(None), "limit=50");
    }
}
