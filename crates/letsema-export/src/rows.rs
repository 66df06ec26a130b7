//! From a submission to the rows of its tables: the cells CSV and XLSX write, and the
//! values JSON lines write, read the same way.

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use letsema_answers::{Answer, Answers};

use crate::schema::{Column, Entry, Kind, Schema, Table};
use crate::{ExportError, ExportOptions, Submission};

/// One cell of a row, typed so that XLSX can write a number, a date or a boolean where CSV
/// writes text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell<'a> {
    /// No answer.
    Empty,
    /// Text, written as it is.
    Text(Cow<'a, str>),
    /// An integer, decimal or range answer: a number where it parses, else text.
    Number(&'a str),
    /// A date answer (`2026-03-01`): a date where it parses, else text.
    Date(&'a str),
    /// A dateTime answer (`2026-03-01T09:30:00.000+02:00`): a date-time where it parses,
    /// else text.
    DateTime(&'a str),
    /// Whether a choice of a split select_multiple is selected: 1 or 0.
    Flag(bool),
    /// A moment in milliseconds since the Unix epoch (UTC).
    Timestamp(i64),
    /// A boolean (`true`/`false`).
    Bool(bool),
}

/// Where the rows of a tabular export (CSV, XLSX) go.
pub(crate) trait RowSink {
    /// Writes one row of a table; `key` is the row's KEY, for error messages.
    fn write_row(&mut self, table: usize, cells: &[Cell<'_>], key: &str)
    -> Result<(), ExportError>;
}

/// Writes a submission's row and the rows of all its repeat instances.
pub(crate) fn write_submission(
    schema: &Schema,
    options: &ExportOptions,
    submission: &Submission<'_>,
    sink: &mut dyn RowSink,
) -> Result<(), ExportError> {
    let tables = schema.table_list();
    let Some(table) = tables.first() else {
        return Ok(());
    };
    let reader = Reader { schema, options };
    let found = slots(table, submission.answers);
    let mut cells = Vec::with_capacity(table.entries.len() + 12);
    cells.push(Cell::Timestamp(submission.created_at));
    reader.question_cells(table, &found, &mut cells);
    cells.push(Cell::Text(Cow::Borrowed(submission.id)));
    cells.push(Cell::Text(Cow::Borrowed(submission.form_version)));
    cells.push(optional(submission.association));
    cells.push(Cell::Text(Cow::Borrowed(submission.device)));
    cells.push(optional(submission.instance_name));
    if options.review {
        cells.push(Cell::Text(Cow::Borrowed(submission.review_status)));
        let comments: Vec<String> = submission
            .comments
            .iter()
            .map(|comment| {
                format!(
                    "{} ({}): {}",
                    comment.author,
                    rfc3339_millis(comment.at),
                    comment.text
                )
            })
            .collect();
        cells.push(Cell::Text(Cow::Owned(comments.join("\n"))));
    }
    if options.judgement {
        cells.push(Cell::Bool(submission.complete));
        cells.push(Cell::Text(Cow::Owned(submission.issues.join("\n"))));
    }
    sink.write_row(0, &cells, submission.id)?;
    reader.repeat_rows(table, &found, submission.id, sink)
}

struct Reader<'s> {
    schema: &'s Schema,
    options: &'s ExportOptions,
}

impl Reader<'_> {
    /// The cells of a table's questions, in order.
    fn question_cells<'a>(
        &'a self,
        table: &'a Table,
        found: &[Option<&'a Answer>],
        cells: &mut Vec<Cell<'a>>,
    ) {
        for (entry, answer) in table.entries.iter().zip(found) {
            if let Entry::Question(column) = entry {
                self.column_cells(column, *answer, cells);
            }
        }
    }

    /// The cells of one question: its own, then its split columns.
    fn column_cells<'a>(
        &'a self,
        column: &'a Column,
        answer: Option<&'a Answer>,
        cells: &mut Vec<Cell<'a>>,
    ) {
        let labels = self.options.choice_labels.as_deref();
        let language = self.schema.default_language();
        match column.kind {
            Kind::SelectMultiple | Kind::Rank => {
                let values = answer.map(selected).unwrap_or_default();
                if values.is_empty() {
                    cells.push(Cell::Empty);
                } else if labels.is_some() {
                    let shown: Vec<&str> = values
                        .iter()
                        .map(|value| label(column, value, labels, language))
                        .collect();
                    cells.push(Cell::Text(Cow::Owned(shown.join("; "))));
                } else {
                    cells.push(Cell::Text(Cow::Owned(values.join(" "))));
                }
                if column.kind == Kind::SelectMultiple && self.options.split_select_multiple {
                    for choice in &column.choices {
                        cells.push(if values.is_empty() {
                            Cell::Empty
                        } else {
                            Cell::Flag(values.contains(&choice.value.as_str()))
                        });
                    }
                }
            }
            kind => cells.push(match answer {
                Some(Answer::Value(value)) if !value.is_empty() => match kind {
                    Kind::Integer | Kind::Decimal => Cell::Number(value),
                    Kind::Date => Cell::Date(value),
                    Kind::DateTime => Cell::DateTime(value),
                    Kind::SelectOne => {
                        Cell::Text(Cow::Borrowed(label(column, value, labels, language)))
                    }
                    _ => Cell::Text(Cow::Borrowed(value)),
                },
                Some(Answer::Multiple(values)) if !values.is_empty() => {
                    Cell::Text(Cow::Owned(values.join(" ")))
                }
                _ => Cell::Empty,
            }),
        }
    }

    /// The rows of the instances of a table's repeats, each followed by its own repeats'.
    fn repeat_rows(
        &self,
        table: &Table,
        found: &[Option<&Answer>],
        key: &str,
        sink: &mut dyn RowSink,
    ) -> Result<(), ExportError> {
        for (entry, answer) in table.entries.iter().zip(found) {
            let Entry::Repeat {
                name, table: index, ..
            } = entry
            else {
                continue;
            };
            let Some(child) = self.schema.table_list().get(*index) else {
                continue;
            };
            for (number, instance) in instances(*answer).iter().enumerate() {
                let child_key = format!("{key}/{name}[{}]", number + 1);
                let found = slots(child, instance);
                let mut cells = Vec::with_capacity(child.entries.len() + 2);
                self.question_cells(child, &found, &mut cells);
                cells.push(Cell::Text(Cow::Borrowed(key)));
                cells.push(Cell::Text(Cow::Borrowed(&child_key)));
                sink.write_row(*index, &cells, &child_key)?;
                self.repeat_rows(child, &found, &child_key, sink)?;
            }
        }
        Ok(())
    }
}

/// The answers of a table's entries, found in one pass over the answers. Answers to names
/// the schema does not know are left out.
pub(crate) fn slots<'a>(table: &Table, answers: &'a Answers) -> Vec<Option<&'a Answer>> {
    let mut found = vec![None; table.entries.len()];
    for (name, answer) in answers {
        if let Some(&slot) = table.slots.get(name) {
            found[slot] = Some(answer);
        }
    }
    found
}

/// A repeat's instances; none for anything else (`[]` reads as an empty select_multiple).
pub(crate) fn instances(answer: Option<&Answer>) -> &[Answers] {
    match answer {
        Some(Answer::Repeat(instances)) => instances,
        _ => &[],
    }
}

/// A select_multiple's selected values: the array, or a space-separated value as ODK
/// stores it. Empty when unanswered.
pub(crate) fn selected(answer: &Answer) -> Vec<&str> {
    match answer {
        Answer::Multiple(values) => values
            .iter()
            .map(String::as_str)
            .filter(|value| !value.is_empty())
            .collect(),
        Answer::Value(value) => value.split_whitespace().collect(),
        Answer::Repeat(_) => Vec::new(),
    }
}

/// A choice's label in the requested language (with `Text::get`'s fallbacks), or the value
/// itself when no language is requested, the value is not in the list or has no label.
pub(crate) fn label<'a>(
    column: &'a Column,
    value: &'a str,
    language: Option<&str>,
    default_language: Option<&letsema_form::model::Language>,
) -> &'a str {
    let Some(language) = language else {
        return value;
    };
    column
        .choice_index
        .get(value)
        .and_then(|&index| column.choices.get(index))
        .and_then(|choice| choice.label.get(Some(language), default_language))
        .unwrap_or(value)
}

fn optional(text: Option<&str>) -> Cell<'_> {
    text.map_or(Cell::Empty, |text| Cell::Text(Cow::Borrowed(text)))
}

/// A moment as RFC 3339 in UTC with milliseconds: `2026-03-01T09:30:00.000Z`. A number of
/// milliseconds chrono cannot represent (beyond ±262,000 years) is written as it is.
pub(crate) fn rfc3339_millis(millis: i64) -> String {
    match DateTime::from_timestamp_millis(millis) {
        Some(moment) => moment.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => millis.to_string(),
    }
}

/// An ODK date (`2026-03-01`).
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// An ODK dateTime (`2026-03-01T09:30:00.000+02:00`) as the wall-clock time its text shows:
/// the offset is dropped, not applied.
pub(crate) fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
    parse_with_offset(text)
        .map(|moment| moment.naive_local())
        .or_else(|| NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S%.f").ok())
}

/// An ODK dateTime with its offset: RFC 3339, or (as some devices write it) an offset
/// without a colon (`+0200`) or with hours only. None without an offset.
pub(crate) fn parse_with_offset(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text).ok().or_else(|| {
        ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%.f%#z"]
            .iter()
            .find_map(|format| DateTime::parse_from_str(text, format).ok())
    })
}

/// An integer or decimal answer as a finite number.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|number| number.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_datetime_keeps_its_wall_clock_time_whatever_its_offset() {
        let expected = NaiveDate::from_ymd_opt(2026, 3, 1)
            .and_then(|date| date.and_hms_milli_opt(9, 30, 0, 250));
        for text in [
            "2026-03-01T09:30:00.250+02:00",
            "2026-03-01T09:30:00.250+0200",
            "2026-03-01T09:30:00.250Z",
            "2026-03-01T09:30:00.250-05:00",
            "2026-03-01T09:30:00.250",
        ] {
            assert_eq!(parse_datetime(text), expected, "{text}");
        }
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn numbers_that_are_not_finite_are_not_numbers() {
        assert_eq!(parse_number("12.5"), Some(12.5));
        assert_eq!(parse_number("-3"), Some(-3.0));
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("twelve"), None);
    }

    #[test]
    fn submission_dates_are_utc_with_milliseconds() {
        assert_eq!(
            rfc3339_millis(1_772_357_400_000),
            "2026-03-01T09:30:00.000Z"
        );
        assert_eq!(
            rfc3339_millis(1_772_357_400_042),
            "2026-03-01T09:30:00.042Z"
        );
    }
}
