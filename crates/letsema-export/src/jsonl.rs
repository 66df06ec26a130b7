//! JSON lines: one object per submission per line, its repeats nested inside it.
//!
//! Written by hand, field by field, so that keys keep the schema's order (serde_json's map
//! sorts them) and no tree of values is built per submission.

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};

use letsema_answers::Answer;

use crate::rows::{instances, label, parse_number, rfc3339_millis, selected, slots};
use crate::schema::{Entry, Kind, Schema, Table};
use crate::{ExportError, ExportOptions, Submission};

pub(crate) struct JsonSink<W: Write> {
    out: BufWriter<W>,
}

impl<W: Write> JsonSink<W> {
    pub(crate) fn new(out: W) -> JsonSink<W> {
        JsonSink {
            out: BufWriter::with_capacity(64 * 1024, out),
        }
    }

    pub(crate) fn finish(self) -> Result<W, ExportError> {
        Ok(self.out.into_inner().map_err(|error| error.into_error())?)
    }

    pub(crate) fn write(
        &mut self,
        schema: &Schema,
        options: &ExportOptions,
        submission: &Submission<'_>,
    ) -> Result<(), ExportError> {
        let out = &mut self.out;
        out.write_all(b"{\"SubmissionDate\":")?;
        string(out, &rfc3339_millis(submission.created_at))?;
        out.write_all(b",\"KEY\":")?;
        string(out, submission.id)?;
        out.write_all(b",\"FormVersion\":")?;
        string(out, submission.form_version)?;
        out.write_all(b",\"Association\":")?;
        optional(out, submission.association)?;
        out.write_all(b",\"DeviceID\":")?;
        string(out, submission.device)?;
        out.write_all(b",\"InstanceName\":")?;
        optional(out, submission.instance_name)?;
        if options.review {
            out.write_all(b",\"ReviewState\":")?;
            string(out, submission.review_status)?;
            out.write_all(b",\"Comments\":[")?;
            for (number, comment) in submission.comments.iter().enumerate() {
                if number > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(b"{\"author\":")?;
                string(out, &comment.author)?;
                out.write_all(b",\"at\":")?;
                string(out, &rfc3339_millis(comment.at))?;
                out.write_all(b",\"text\":")?;
                string(out, &comment.text)?;
                out.write_all(b"}")?;
            }
            out.write_all(b"]")?;
        }
        if options.judgement {
            out.write_all(b",\"Complete\":")?;
            out.write_all(if submission.complete {
                b"true"
            } else {
                b"false"
            })?;
            out.write_all(b",\"Issues\":[")?;
            for (number, issue) in submission.issues.iter().enumerate() {
                if number > 0 {
                    out.write_all(b",")?;
                }
                string(out, issue)?;
            }
            out.write_all(b"]")?;
        }
        out.write_all(b",\"answers\":")?;
        if let Some(table) = schema.table_list().first() {
            answers(out, schema, options, table, submission.answers)?;
        } else {
            out.write_all(b"{}")?;
        }
        out.write_all(b"}\n")?;
        Ok(())
    }
}

/// The answers of one table's row as an object keyed by the columns' headers; unanswered
/// questions and repeats without instances are left out.
fn answers(
    out: &mut impl Write,
    schema: &Schema,
    options: &ExportOptions,
    table: &Table,
    answers: &letsema_answers::Answers,
) -> Result<(), ExportError> {
    let labels = options.choice_labels.as_deref();
    let language = schema.default_language();
    let found = slots(table, answers);
    let mut first = true;
    let mut key = |out: &mut dyn Write, name: &str| -> io::Result<()> {
        out.write_all(if first { b"{" } else { b"," })?;
        first = false;
        string(out, name)?;
        out.write_all(b":")
    };
    for (entry, answer) in table.entries.iter().zip(found) {
        match entry {
            Entry::Question(column) => match column.kind {
                Kind::SelectMultiple | Kind::Rank => {
                    let values = answer.map(selected).unwrap_or_default();
                    if values.is_empty() {
                        continue;
                    }
                    key(out, column.header(options))?;
                    out.write_all(b"[")?;
                    for (number, value) in values.iter().enumerate() {
                        if number > 0 {
                            out.write_all(b",")?;
                        }
                        string(out, label(column, value, labels, language))?;
                    }
                    out.write_all(b"]")?;
                }
                kind => {
                    let text: Cow<'_, str> = match answer {
                        Some(Answer::Value(value)) if !value.is_empty() => Cow::Borrowed(value),
                        Some(Answer::Multiple(values)) if !values.is_empty() => {
                            Cow::Owned(values.join(" "))
                        }
                        _ => continue,
                    };
                    key(out, column.header(options))?;
                    match kind {
                        Kind::Integer | Kind::Decimal => number(out, &text)?,
                        Kind::SelectOne => string(out, label(column, &text, labels, language))?,
                        _ => string(out, &text)?,
                    }
                }
            },
            Entry::Repeat { table: index, .. } => {
                let instances = instances(answer);
                let Some(child) = schema.table_list().get(*index) else {
                    continue;
                };
                if instances.is_empty() {
                    continue;
                }
                key(out, entry.header(options))?;
                out.write_all(b"[")?;
                for (number, instance) in instances.iter().enumerate() {
                    if number > 0 {
                        out.write_all(b",")?;
                    }
                    self::answers(out, schema, options, child, instance)?;
                }
                out.write_all(b"]")?;
            }
        }
    }
    if first {
        out.write_all(b"{")?;
    }
    out.write_all(b"}")?;
    Ok(())
}

/// A number answer: an integer as itself, a decimal as a JSON number, anything that does
/// not parse (or is not finite) as a string.
fn number(out: &mut impl Write, text: &str) -> io::Result<()> {
    if let Ok(integer) = text.trim().parse::<i64>() {
        return write!(out, "{integer}");
    }
    match parse_number(text) {
        Some(decimal) => Ok(serde_json::to_writer(out, &decimal)?),
        None => string(out, text),
    }
}

fn string(out: &mut (impl Write + ?Sized), text: &str) -> io::Result<()> {
    Ok(serde_json::to_writer(out, text)?)
}

fn optional(out: &mut impl Write, text: Option<&str>) -> io::Result<()> {
    match text {
        Some(text) => string(out, text),
        None => out.write_all(b"null"),
    }
}
