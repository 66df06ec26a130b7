//! Date and time functions. The current time always comes from the context.

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::Args;
use crate::error::EvalError;
use crate::value::{
    Value, days_to_date, days_to_date_time, parse_date_lenient, parse_date_time, parse_time,
    split_offset,
};

type R = Result<Value, EvalError>;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// `today()`: the local date of the context's `now()`.
pub(super) fn today(a: &mut Args<'_, '_>) -> R {
    Ok(Value::Date(a.ctx().now().date_naive()))
}

/// `now()`: the context's current date and time, with its UTC offset.
pub(super) fn now(a: &mut Args<'_, '_>) -> R {
    Ok(Value::DateTime(a.ctx().now()))
}

/// What a date-like argument turned out to be.
enum DateArg {
    /// Empty, NaN or otherwise absent: functions give `''`.
    Empty,
    /// A calendar date.
    Date(NaiveDate),
    /// A date and time with an offset.
    DateTime(chrono::DateTime<FixedOffset>),
    /// A number of days since 1970-01-01 UTC.
    Days(f64),
    /// A non-empty string that is not a date.
    Invalid(String),
}

fn date_arg(v: Value) -> DateArg {
    match v {
        Value::Date(d) => DateArg::Date(d),
        Value::DateTime(dt) => DateArg::DateTime(dt),
        Value::Number(n) if n.is_nan() => DateArg::Empty,
        Value::Number(n) => DateArg::Days(n),
        Value::Boolean(b) => DateArg::Invalid(b.to_string()),
        v @ (Value::String(_) | Value::Nodes(_)) => {
            let s = v.to_xpath_string();
            let t = s.trim();
            if t.is_empty() {
                DateArg::Empty
            } else if let Some(d) = parse_date_lenient(t) {
                DateArg::Date(d)
            } else if let Some(dt) = parse_date_time(t) {
                DateArg::DateTime(dt)
            } else {
                match Value::String(t.to_owned()).to_number() {
                    n if n.is_nan() => DateArg::Invalid(s),
                    n => DateArg::Days(n),
                }
            }
        }
    }
}

fn not_a_date(function: &str, s: &str) -> EvalError {
    EvalError::invalid_argument(
        function,
        format!(
            "`{s}` is not a date: write dates as 'YYYY-MM-DD', date-times as \
             'YYYY-MM-DDTHH:MM:SS', or give a number of days since 1970-01-01"
        ),
    )
}

/// `date(x)`: a date from a date string, a date-time (its date in the context's offset) or a number of days
/// since 1970-01-01 (rounded down). Empty answers and NaN give `''`.
pub(super) fn date(a: &mut Args<'_, '_>) -> R {
    let v = a.value(0)?;
    let offset = *a.ctx().now().offset();
    Ok(match date_arg(v) {
        DateArg::Empty => Value::String(String::new()),
        DateArg::Date(d) => Value::Date(d),
        // The date on the device's calendar (the context's offset), as ODK Collect reads it.
        DateArg::DateTime(dt) => Value::Date(dt.with_timezone(&offset).date_naive()),
        DateArg::Days(n) => days_to_date(n).map_or(Value::String(String::new()), Value::Date),
        DateArg::Invalid(s) => return Err(not_a_date(a.name(), &s)),
    })
}

/// `date-time(x)`: a date-time from a date-time string, a date (midnight, in the
/// context's UTC offset) or a number of days since 1970-01-01T00:00:00Z (shown in the
/// context's offset). Empty answers and NaN give `''`.
pub(super) fn date_time(a: &mut Args<'_, '_>) -> R {
    let v = a.value(0)?;
    let offset = *a.ctx().now().offset();
    Ok(match date_arg(v) {
        DateArg::Empty => Value::String(String::new()),
        DateArg::Date(d) => d
            .and_time(NaiveTime::MIN)
            .and_local_timezone(offset)
            .single()
            .map_or(Value::String(String::new()), Value::DateTime),
        DateArg::DateTime(dt) => Value::DateTime(dt),
        DateArg::Days(n) => {
            days_to_date_time(n, offset).map_or(Value::String(String::new()), Value::DateTime)
        }
        DateArg::Invalid(s) => return Err(not_a_date(a.name(), &s)),
    })
}

/// `decimal-date-time(x)`: days since 1970-01-01T00:00:00Z, with a fraction; NaN when `x`
/// is not a date or date-time.
pub(super) fn decimal_date_time(a: &mut Args<'_, '_>) -> R {
    Ok(Value::Number(a.value(0)?.to_number()))
}

/// `decimal-time(t)`: the time of day as a fraction of a day in the context's UTC offset
/// (`'12:00:00'` is 0.5); a time with an offset is first moved to the context's offset.
/// NaN when `t` is not a time.
pub(super) fn decimal_time(a: &mut Args<'_, '_>) -> R {
    let v = a.value(0)?;
    let local_offset = a.ctx().now().offset().local_minus_utc();
    let seconds = match v {
        Value::DateTime(dt) => Some(f64::from(dt.num_seconds_from_midnight())),
        other => {
            let s = other.to_xpath_string();
            let t = s.trim();
            split_offset(t).and_then(|(time, offset)| {
                let has_offset = time.len() != t.len();
                let time = parse_time(time)?;
                let mut secs = f64::from(time.num_seconds_from_midnight())
                    + f64::from(time.nanosecond()) / 1e9;
                if has_offset {
                    secs += f64::from(local_offset - offset.local_minus_utc());
                }
                Some(secs.rem_euclid(86_400.0))
            })
        }
    };
    Ok(Value::Number(seconds.map_or(f64::NAN, |s| s / 86_400.0)))
}

/// `format-date(date, format)`.
pub(super) fn format_date(a: &mut Args<'_, '_>) -> R {
    format(a, false)
}

/// `format-date-time(date-time, format)`.
pub(super) fn format_date_time(a: &mut Args<'_, '_>) -> R {
    format(a, true)
}

/// Formats with the ODK specifiers `%Y %y %m %n %b %d %e %a` (dates) and `%H %h %M %S %3`
/// (times). Month and day names are English. A value that is not a date gives `''`.
fn format(a: &mut Args<'_, '_>, with_time: bool) -> R {
    let v = a.value(0)?;
    let fmt = a.string(1)?;
    let offset = *a.ctx().now().offset();
    let local: Option<NaiveDateTime> = match date_arg(v) {
        DateArg::Empty | DateArg::Invalid(_) => None,
        DateArg::Date(d) => Some(d.and_time(NaiveTime::MIN)),
        // A date-time with another offset is first moved to the device's (the context's),
        // as ODK Collect shows it.
        DateArg::DateTime(dt) => Some(dt.with_timezone(&offset).naive_local()),
        // A day count is a calendar date for format-date; for format-date-time it is an
        // instant, shown in the context's offset.
        DateArg::Days(n) if with_time => days_to_date_time(n, offset).map(|dt| dt.naive_local()),
        DateArg::Days(n) => days_to_date(n).map(|d| d.and_time(NaiveTime::MIN)),
    };
    let Some(t) = local else {
        return Ok(Value::String(String::new()));
    };
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('Y') => out.push_str(&format!("{:04}", t.year())),
            Some('y') => out.push_str(&format!("{:02}", t.year().rem_euclid(100))),
            Some('m') => out.push_str(&format!("{:02}", t.month())),
            Some('n') => out.push_str(&t.month().to_string()),
            Some('b') => out.push_str(MONTHS[t.month0() as usize % 12]),
            Some('d') => out.push_str(&format!("{:02}", t.day())),
            Some('e') => out.push_str(&t.day().to_string()),
            Some('a') => {
                out.push_str(WEEKDAYS[t.weekday().num_days_from_monday() as usize % 7]);
            }
            Some('H') => out.push_str(&format!("{:02}", t.hour())),
            Some('h') => out.push_str(&t.hour().to_string()),
            Some('M') => out.push_str(&format!("{:02}", t.minute())),
            Some('S') => out.push_str(&format!("{:02}", t.second())),
            Some('3') => out.push_str(&format!("{:03}", t.nanosecond() / 1_000_000 % 1000)),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    Ok(Value::String(out))
}
