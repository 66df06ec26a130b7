//! Moments as the app writes them: "3 Dec 2026, 06:08" in English, "3 Tšitoe 2026, 06:08"
//! in Sesotho. The day, the month's name (from the language's [`AppWords::months`]) and the
//! year cannot be read two ways, as "03/12/2026" can (3 December or 12 March?); the time is
//! on the 24-hour clock, in the device's time zone.
//!
//! [`format`] is pure, so it is tested without a browser; [`local`] takes the device's
//! offset from the browser.

use chrono::{DateTime, Datelike, FixedOffset, Timelike};

use crate::words::AppWords;

/// `ms` (milliseconds since the Unix epoch) where the device is, in `words`' language: the
/// browser's offset from UTC at that moment (so a date before a change to summer time is
/// written in winter time).
pub fn local(words: &AppWords, ms: i64) -> String {
    // `getTimezoneOffset` is minutes *behind* UTC.
    let behind = js_sys::Date::new(&(ms as f64).into()).get_timezone_offset();
    format(ms, -(behind as i32), &words.months)
}

/// `ms` (milliseconds since the Unix epoch) at `offset_minutes` east of UTC, as "3 Dec
/// 2026, 06:08", with `months` (January first) for the month's name.
///
/// A moment outside the calendar's range, or an offset of a day or more, is written as the
/// bare number, so that nothing is shown as a wrong date.
pub fn format(ms: i64, offset_minutes: i32, months: &[&str; 12]) -> String {
    let moment = FixedOffset::east_opt(offset_minutes.saturating_mul(60))
        .zip(DateTime::from_timestamp_millis(ms))
        .map(|(offset, utc)| utc.with_timezone(&offset));
    let Some(moment) = moment else {
        return ms.to_string();
    };
    let month = months.get(moment.month0() as usize).copied().unwrap_or("?");
    format!(
        "{} {month} {}, {:02}:{:02}",
        moment.day(),
        moment.year(),
        moment.hour(),
        moment.minute()
    )
}

#[cfg(test)]
mod tests {
    // On wasm32 the same tests run in the browser (`./dev test` runs the crate there).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    /// 2026-12-03T04:08:00Z.
    const DECEMBER: i64 = 1_796_270_880_000;

    fn english(ms: i64, offset: i32) -> String {
        format(ms, offset, &AppWords::ENGLISH.months)
    }

    fn sesotho(ms: i64, offset: i32) -> String {
        format(ms, offset, &AppWords::SESOTHO.months)
    }

    #[test]
    fn a_moment_is_day_month_name_year_and_24_hour_time() {
        // Maseru and Johannesburg are two hours ahead of UTC.
        assert_eq!(english(DECEMBER, 120), "3 Dec 2026, 06:08");
        assert_eq!(sesotho(DECEMBER, 120), "3 Tšitoe 2026, 06:08");
        assert_eq!(english(DECEMBER, 0), "3 Dec 2026, 04:08");
        // An afternoon is not written with "pm".
        assert_eq!(english(DECEMBER + 10 * 3_600_000, 120), "3 Dec 2026, 16:08");
    }

    #[test]
    fn the_offset_can_move_the_day_the_month_and_the_year() {
        // 2027-01-01T00:30:00Z: still the last day of 2026 in New York (UTC-5).
        let new_year = 1_798_763_400_000;
        assert_eq!(english(new_year, 0), "1 Jan 2027, 00:30");
        assert_eq!(english(new_year, -300), "31 Dec 2026, 19:30");
        assert_eq!(sesotho(new_year, -300), "31 Tšitoe 2026, 19:30");
        // Half-hour offsets (India) are kept.
        assert_eq!(english(new_year, 330), "1 Jan 2027, 06:00");
    }

    #[test]
    fn every_month_has_its_name_in_each_language() {
        // The 15th of each month of 2026, at noon UTC.
        let days_before = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        let first_of_2026 = 1_767_225_600_000_i64;
        let english_names: Vec<String> = days_before
            .iter()
            .map(|days| english(first_of_2026 + (days + 14) * 86_400_000 + 43_200_000, 0))
            .collect();
        assert_eq!(english_names[0], "15 Jan 2026, 12:00");
        assert_eq!(english_names[1], "15 Feb 2026, 12:00");
        assert_eq!(english_names[11], "15 Dec 2026, 12:00");
        for (month, name) in AppWords::SESOTHO.months.iter().enumerate() {
            let ms = first_of_2026 + (days_before[month] + 14) * 86_400_000 + 43_200_000;
            assert_eq!(sesotho(ms, 0), format!("15 {name} 2026, 12:00"));
        }
        let distinct: std::collections::BTreeSet<_> = AppWords::SESOTHO.months.iter().collect();
        assert_eq!(distinct.len(), 12);
    }

    #[test]
    fn a_moment_out_of_range_is_not_shown_as_a_date() {
        assert_eq!(english(i64::MAX, 0), i64::MAX.to_string());
        assert_eq!(english(DECEMBER, 24 * 60), DECEMBER.to_string());
    }
}
