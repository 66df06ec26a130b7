//! Times as people read them, in the browser's time zone: "4 Dec 2026, 06:08" (never
//! "04/12/2026", which half the world reads the other way round).

/// The month names of `code` (English for any other).
fn months(code: &str) -> [&'static str; 12] {
    match code {
        "st" => [
            "Phe", "Hla", "Hlb", "Mme", "Mot", "Jan", "Upu", "Pha", "Leo", "Mph", "Pun", "Tsh",
        ],
        _ => [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ],
    }
}

/// Now, in the browser's time zone: what the form engine judges with (`today()`, `now()`).
pub fn now_local() -> chrono::DateTime<chrono::FixedOffset> {
    use chrono::{FixedOffset, Offset, TimeZone, Utc};
    #[allow(clippy::cast_possible_truncation)]
    let offset_minutes = -(js_sys::Date::new_0().get_timezone_offset() as i32);
    let offset = FixedOffset::east_opt(offset_minutes * 60).unwrap_or(Utc.fix());
    #[allow(clippy::cast_possible_truncation)]
    let millis = js_sys::Date::now() as i64;
    let utc = chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default();
    offset.from_utc_datetime(&utc.naive_utc())
}

/// A day and time, from its parts.
pub fn format(code: &str, year: i32, month0: usize, day: u32, hour: u32, minute: u32) -> String {
    let month = months(code).get(month0).copied().unwrap_or("?");
    format!("{day} {month} {year}, {hour:02}:{minute:02}")
}

/// `millis` since the Unix epoch, in the browser's time zone.
pub fn when(code: &str, millis: i64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis as f64));
    #[allow(clippy::cast_possible_truncation)]
    let year = date.get_full_year() as i32;
    format(
        code,
        year,
        date.get_month() as usize,
        date.get_date(),
        date.get_hours(),
        date.get_minutes(),
    )
}

/// An RFC 3339 time (the audit log's, in UTC) in the browser's time zone, to the second:
/// "4 Dec 2026, 06:08:05". None if it cannot be read.
pub fn moment(code: &str, rfc3339: &str) -> Option<String> {
    // The browser's parser reads RFC 3339, and costs the bundle nothing.
    let millis = js_sys::Date::parse(rfc3339);
    if !millis.is_finite() {
        return None;
    }
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis));
    #[allow(clippy::cast_possible_truncation)]
    Some(format!(
        "{}:{:02}",
        when(code, millis as i64),
        date.get_seconds()
    ))
}

/// The browser's time zone as an offset from UTC now: "UTC+02:00".
pub fn local_offset() -> String {
    #[allow(clippy::cast_possible_truncation)]
    let minutes_east = -(js_sys::Date::new_0().get_timezone_offset() as i32);
    offset_label(minutes_east)
}

/// "UTC+02:00", "UTC-05:30", "UTC".
pub fn offset_label(minutes_east: i32) -> String {
    if minutes_east == 0 {
        return "UTC".to_owned();
    }
    let sign = if minutes_east > 0 { '+' } else { '-' };
    let minutes = minutes_east.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_written_with_the_month_as_a_word() {
        assert_eq!(format("en", 2026, 11, 4, 6, 8), "4 Dec 2026, 06:08");
        assert_eq!(format("st", 2026, 0, 15, 18, 30), "15 Phe 2026, 18:30");
    }

    #[test]
    fn a_time_zone_is_named_by_its_offset() {
        assert_eq!(offset_label(120), "UTC+02:00");
        assert_eq!(offset_label(-330), "UTC-05:30");
        assert_eq!(offset_label(0), "UTC");
    }
}
