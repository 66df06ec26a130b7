//! Values and the XPath 1.0 conversions between them, with the ODK extensions for dates.
//!
//! XPath 1.0 has four types: string, number, boolean and node-set. ODK adds dates and
//! date-times, which live in the instance as strings (`2020-01-01`,
//! `2020-01-01T10:00:00.000+02:00`) and turn into a number of days since 1970-01-01 UTC
//! wherever a number is needed (ODK XForms spec, "number()"). Functions such as `today()`
//! and `date()` return [`Value::Date`] and [`Value::DateTime`], which print as those strings.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike};
use serde::{Deserialize, Serialize};

/// Identifies a node of the form instance. The [`Context`](crate::Context) chooses the
/// ids; the evaluator only hands them back to it (for `..`, `position(..)` and the like)
/// and compares them to remove duplicates from unions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeId(pub u64);

/// A node of the form instance as expressions see it: an id and a string value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// The node's identity, chosen by the context.
    pub id: NodeId,
    /// The node's string value: the answer, or `''` when the question is unanswered.
    /// For a group or repeat instance, the concatenated values of its descendants
    /// (XPath 1.0 §5.2), or whatever the context deems useful.
    pub value: String,
}

impl Node {
    /// A node with the given id and value.
    pub fn new(id: NodeId, value: impl Into<String>) -> Self {
        Node {
            id,
            value: value.into(),
        }
    }
}

/// The result of evaluating an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    String(String),
    /// A number (IEEE 754 double; may be NaN or infinite).
    Number(f64),
    /// A boolean.
    Boolean(bool),
    /// A node-set, in the order the context returned the nodes, without duplicates.
    Nodes(Vec<Node>),
    /// A date (ODK `date`), as returned by `today()` and `date()`. Prints as `YYYY-MM-DD`;
    /// as a number it is the count of days since 1970-01-01.
    Date(NaiveDate),
    /// A date and time with its UTC offset (ODK `dateTime`), as returned by `now()`.
    /// Prints as `YYYY-MM-DDTHH:MM:SS.mmm+hh:mm`; as a number it is the fractional count of
    /// days since 1970-01-01T00:00:00Z.
    DateTime(DateTime<FixedOffset>),
}

impl Value {
    /// The XPath `string()` of the value (XPath 1.0 §4.2): the first node's value for a
    /// node-set (`''` when empty), `true`/`false`, and numbers without a trailing `.0`.
    pub fn to_xpath_string(&self) -> String {
        match self {
            Value::String(s) => s.clone(),
            Value::Number(n) => number_to_string(*n),
            Value::Boolean(b) => if *b { "true" } else { "false" }.to_owned(),
            Value::Nodes(nodes) => nodes.first().map(|n| n.value.clone()).unwrap_or_default(),
            Value::Date(d) => format_date(*d),
            Value::DateTime(dt) => format_date_time(dt),
        }
    }

    /// The XPath `number()` of the value (XPath 1.0 §4.4) with the ODK extension that date
    /// and date-time strings become days since 1970-01-01 UTC. `''`, `'abc'` and `'true'`
    /// are NaN.
    pub fn to_number(&self) -> f64 {
        match self {
            Value::String(s) => string_to_number(s),
            Value::Number(n) => *n,
            Value::Boolean(b) => f64::from(u8::from(*b)),
            Value::Nodes(nodes) => nodes
                .first()
                .map_or(f64::NAN, |n| string_to_number(&n.value)),
            Value::Date(d) => date_to_days(*d),
            Value::DateTime(dt) => date_time_to_days(dt),
        }
    }

    /// The XPath `boolean()` of the value (XPath 1.0 §4.3): a number is true unless zero
    /// or NaN, a string unless empty, a node-set unless empty. Note that the string
    /// `'false'` is true; use `boolean-from-string()` for stored booleans.
    pub fn to_boolean(&self) -> bool {
        match self {
            Value::String(s) => !s.is_empty(),
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::Boolean(b) => *b,
            Value::Nodes(nodes) => !nodes.is_empty(),
            Value::Date(_) | Value::DateTime(_) => true,
        }
    }

    /// A short name of the value's type for error messages: `a string`, `a number`, ….
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Boolean(_) => "a boolean",
            Value::Nodes(_) => "a node-set",
            Value::Date(_) => "a date",
            Value::DateTime(_) => "a date-time",
        }
    }
}

impl std::fmt::Display for Value {
    /// Writes the XPath string value, as a calculation stores it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_xpath_string())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

/// Formats a number the way XPath 1.0 `string()` does (§4.2): integers without a decimal
/// point, `NaN`, `Infinity`, `-Infinity`, negative zero as `0`, never an exponent.
pub fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_owned()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else if n == 0.0 {
        "0".to_owned()
    } else {
        // Rust prints the shortest decimal that reads back as the same f64, without an
        // exponent and without `.0` for integers: exactly the XPath form.
        format!("{n}")
    }
}

/// Converts a string to a number: an XPath number (optional whitespace, optional `-`,
/// digits with an optional fraction), else an ODK date (padded or not) or date-time as days
/// since the epoch, else NaN.
pub fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_xml_space);
    if let Some(n) = parse_xpath_number(t) {
        return n;
    }
    if let Some(d) = parse_date_lenient(t) {
        return date_to_days(d);
    }
    if let Some(dt) = parse_date_time(t) {
        return date_time_to_days(&dt);
    }
    f64::NAN
}

/// XML whitespace: space, tab, carriage return and line feed.
pub(crate) fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Parses the XPath 1.0 `Number` production with an optional leading minus; no exponent,
/// no `+`, no `Infinity`.
pub fn parse_xpath_number(t: &str) -> Option<f64> {
    let body = t.strip_prefix('-').unwrap_or(t);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok = digits(int)
        && frac.is_none_or(digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    if !ok {
        return None;
    }
    t.parse::<f64>().ok()
}

/// The Unix epoch as a date.
fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// Days since 1970-01-01 of a date.
pub(crate) fn date_to_days(d: NaiveDate) -> f64 {
    // Whole days fit exactly in an f64.
    (d - epoch()).num_days() as f64
}

/// Fractional days since 1970-01-01T00:00:00Z of a date-time.
pub(crate) fn date_time_to_days(dt: &DateTime<FixedOffset>) -> f64 {
    dt.timestamp_millis() as f64 / 86_400_000.0
}

/// The date `days` days after 1970-01-01 (rounded down), if in chrono's range.
pub(crate) fn days_to_date(days: f64) -> Option<NaiveDate> {
    if !days.is_finite() || days.abs() > 100_000_000.0 {
        return None;
    }
    epoch().checked_add_signed(chrono::TimeDelta::try_days(days.floor() as i64)?)
}

/// The instant `days` (fractional) days after the epoch, shown in `offset`.
pub(crate) fn days_to_date_time(days: f64, offset: FixedOffset) -> Option<DateTime<FixedOffset>> {
    if !days.is_finite() || days.abs() > 100_000_000.0 {
        return None;
    }
    let millis = (days * 86_400_000.0).round() as i64;
    offset.timestamp_millis_opt(millis).single()
}

/// Parses an ODK date, `YYYY-MM-DD` (surrounding whitespace allowed).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = s.trim_matches(is_xml_space);
    if t.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()
}

/// Parses a date as ODK's engines read one in an expression: `YYYY-MM-DD`, or with the month
/// and day unpadded (`2021-2-3`), as JavaRosa's `DateUtils.parseDate` reads it. Answers to
/// date questions are still checked with [`parse_date`]: they are stored padded.
pub fn parse_date_lenient(s: &str) -> Option<NaiveDate> {
    let t = s.trim_matches(is_xml_space);
    if let Some(date) = parse_date(t) {
        return Some(date);
    }
    let mut parts = t.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |part: &str, lengths: std::ops::RangeInclusive<usize>| {
        lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    if parts.next().is_some()
        || !digits(year, 4..=4)
        || !digits(month, 1..=2)
        || !digits(day, 1..=2)
    {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// Parses an ODK date-time: `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z`, `±HH:MM` or
/// nothing (then taken as UTC).
pub fn parse_date_time(s: &str) -> Option<DateTime<FixedOffset>> {
    let t = s.trim_matches(is_xml_space);
    let (date, rest) = t.split_once('T')?;
    let date = parse_date(date)?;
    let (time, offset) = split_offset(rest)?;
    let time = parse_time(time)?;
    offset
        .from_local_datetime(&NaiveDateTime::new(date, time))
        .single()
}

/// Splits `10:00:00+02:00` into the time and the offset (UTC when absent).
pub(crate) fn split_offset(s: &str) -> Option<(&str, FixedOffset)> {
    let utc = FixedOffset::east_opt(0)?;
    if let Some(t) = s.strip_suffix('Z') {
        return Some((t, utc));
    }
    if s.len() > 6 && s.is_char_boundary(s.len() - 6) {
        let (t, off) = s.split_at(s.len() - 6);
        let b = off.as_bytes();
        if (b[0] == b'+' || b[0] == b'-') && b[3] == b':' {
            let h: i32 = off.get(1..3)?.parse().ok()?;
            let m: i32 = off.get(4..6)?.parse().ok()?;
            let secs = (h * 3600 + m * 60) * if b[0] == b'-' { -1 } else { 1 };
            return Some((t, FixedOffset::east_opt(secs)?));
        }
    }
    Some((s, utc))
}

/// Parses `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff`.
pub(crate) fn parse_time(s: &str) -> Option<NaiveTime> {
    ["%H:%M:%S%.f", "%H:%M"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(s, f).ok())
}

/// Formats a date as ODK does: `YYYY-MM-DD`.
pub(crate) fn format_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Formats a date-time as ODK does: `YYYY-MM-DDTHH:MM:SS.mmm±hh:mm`.
pub(crate) fn format_date_time(dt: &DateTime<FixedOffset>) -> String {
    let offset = dt.offset().local_minus_utc();
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.abs();
    format!(
        "{}.{:03}{}{:02}:{:02}",
        dt.format("%Y-%m-%dT%H:%M:%S"),
        dt.nanosecond() / 1_000_000 % 1000,
        sign,
        offset / 3600,
        offset % 3600 / 60
    )
}
