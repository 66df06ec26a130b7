//! Moments as the app writes them: "3 Dec 2026, 06:08" in English, "3 Tšitoe 2026, 06:08"
//! in Sesotho. The day, the month's name (from the language's [`AppWords::months`]) and the
//! year cannot be read two ways, as "03/12/2026" can (3 December or 12 March?); the time is
//! on the 24-hour clock, in the device's time zone.
//!
//! Date-time answers go between ODK's form (`2024-05-01T09:30:00.000+02:00`) and a
//! `datetime-local` picker's (`2024-05-01T09:30`, on the device's clock): [`picker_value`]
//! and [`from_picker`].
//!
//! [`format`], [`picker_value`] and [`from_picker`] are pure, so they are tested without a
//! browser; [`local`], [`device_offset_at`] and [`device_offset_of`] take the device's
//! offset from the browser.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use letsema_form::runtime::parse_date_time;

use crate::words::AppWords;

/// `ms` (milliseconds since the Unix epoch) where the device is, in `words`' language: the
/// browser's offset from UTC at that moment (so a date before a change to summer time is
/// written in winter time).
pub fn local(words: &AppWords, ms: i64) -> String {
    format(ms, device_offset_at(ms), &words.months)
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

/// A `dateTime` answer as a `datetime-local` picker shows it: `YYYY-MM-DDTHH:MM` (with
/// `:SS` when the seconds are not zero) on the device's clock, `offset_at(ms)` being the
/// device's offset in minutes east of UTC at that moment, so that an answer written with
/// another offset is shown as the device's time, as ODK Collect shows it. `None` when the
/// answer is not a date-time the engine reads: the view then shows it as text, so that
/// nothing typed before is hidden.
pub fn picker_value(answer: &str, offset_at: impl Fn(i64) -> i32) -> Option<String> {
    let moment = parse_date_time(answer)?;
    let offset = FixedOffset::east_opt(offset_at(moment.timestamp_millis()).checked_mul(60)?)?;
    let local = moment.with_timezone(&offset);
    // Written out by hand: chrono's `format` would add its formatter to the first load.
    let mut shown = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute()
    );
    if local.second() != 0 {
        shown.push_str(&format!(":{:02}", local.second()));
    }
    Some(shown)
}

/// What a `datetime-local` picker gives (`YYYY-MM-DDTHH:MM[:SS]`, on the device's clock) as
/// the answer ODK Collect stores, `2024-05-01T09:30:00.000+02:00`: `offset_of(local)` is
/// the device's offset in minutes east of UTC at that time of its clock. `None` for
/// anything else.
pub fn from_picker(value: &str, offset_of: impl Fn(NaiveDateTime) -> i32) -> Option<String> {
    let (date, time) = value.split_once('T')?;
    let number = |part: &str, digits: usize| -> Option<u32> {
        (part.len() == digits && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())?
    };
    let mut ymd = date.split('-');
    let (year, month, day) = (ymd.next()?, ymd.next()?, ymd.next()?);
    let mut hms = time.split(':');
    let (hour, minute, second) = (hms.next()?, hms.next()?, hms.next().unwrap_or("00"));
    if ymd.next().is_some() || hms.next().is_some() {
        return None;
    }
    let local = NaiveDateTime::new(
        NaiveDate::from_ymd_opt(
            i32::try_from(number(year, 4)?).ok()?,
            number(month, 2)?,
            number(day, 2)?,
        )?,
        NaiveTime::from_hms_opt(number(hour, 2)?, number(minute, 2)?, number(second, 2)?)?,
    );
    let east = offset_of(local);
    if east.abs() >= 24 * 60 {
        return None;
    }
    Some(format!(
        "{value}{}.000{}{:02}:{:02}",
        if time.len() == 5 { ":00" } else { "" },
        if east < 0 { '-' } else { '+' },
        east.abs() / 60,
        east.abs() % 60
    ))
}

/// The browser's offset from UTC (minutes east) at `ms` since the Unix epoch.
pub fn device_offset_at(ms: i64) -> i32 {
    // `getTimezoneOffset` is minutes *behind* UTC.
    -(js_sys::Date::new(&(ms as f64).into()).get_timezone_offset() as i32)
}

/// The browser's offset from UTC (minutes east) at `local` on its clock.
pub fn device_offset_of(local: NaiveDateTime) -> i32 {
    let date = js_sys::Date::new_with_year_month_day_hr_min_sec(
        local.year().max(0) as u32,
        local.month0() as i32,
        local.day() as i32,
        local.hour() as i32,
        local.minute() as i32,
        local.second() as i32,
    );
    -(date.get_timezone_offset() as i32)
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

    /// Lesotho's clock: two hours ahead of UTC all year.
    fn maseru(_: i64) -> i32 {
        120
    }

    #[test]
    fn a_date_time_answer_is_shown_on_the_devices_clock() {
        assert_eq!(
            picker_value("2024-05-01T09:30:00.000+02:00", maseru).as_deref(),
            Some("2024-05-01T09:30")
        );
        // Written elsewhere (UTC, or a phone in Nairobi): the same moment, Maseru's time.
        assert_eq!(
            picker_value("2024-05-01T23:30:00Z", maseru).as_deref(),
            Some("2024-05-02T01:30")
        );
        assert_eq!(
            picker_value("2024-05-01T10:30:15.000+03:00", maseru).as_deref(),
            Some("2024-05-01T09:30:15"),
            "seconds are kept when there are any"
        );
        assert_eq!(
            picker_value("yesterday at noon", maseru),
            None,
            "shown as typed"
        );
        assert_eq!(picker_value("", maseru), None);
    }

    #[test]
    fn a_picked_date_time_is_stored_as_odk_collect_stores_it() {
        assert_eq!(
            from_picker("2024-05-01T09:30", |_| 120).as_deref(),
            Some("2024-05-01T09:30:00.000+02:00")
        );
        assert_eq!(
            from_picker("2024-05-01T09:30:15", |_| -300).as_deref(),
            Some("2024-05-01T09:30:15.000-05:00")
        );
        assert_eq!(
            from_picker("2024-05-01T09:30", |_| 330).as_deref(),
            Some("2024-05-01T09:30:00.000+05:30")
        );
        // The offset is the device's at the time picked, not now's: summer time is kept.
        let summer = |local: NaiveDateTime| if local.month() == 7 { 60 } else { 0 };
        assert_eq!(
            from_picker("2024-07-01T09:30", summer).as_deref(),
            Some("2024-07-01T09:30:00.000+01:00")
        );
        assert_eq!(
            from_picker("2024-01-01T09:30", summer).as_deref(),
            Some("2024-01-01T09:30:00.000+00:00")
        );
        assert_eq!(from_picker("", |_| 120), None);
        for not_a_picker_value in [
            "2024-05-01",
            "2024-5-01T09:30",
            "2024-05-01T9:30",
            "2024-05-01T09:30:15:00",
            "2024-02-30T09:30",
            "2024-05-01T24:00",
            "+2024-05-01T09:30",
        ] {
            assert_eq!(
                from_picker(not_a_picker_value, |_| 120),
                None,
                "{not_a_picker_value}"
            );
        }
        assert_eq!(
            from_picker("2024-05-01T09:30", |_| 24 * 60),
            None,
            "no such offset"
        );
    }

    #[test]
    fn what_is_picked_is_shown_again_as_picked() {
        for picked in [
            "2024-02-29T00:00",
            "1999-12-31T23:59",
            "2026-06-15T12:34:56",
        ] {
            let stored = from_picker(picked, |_| 120).expect("stored");
            assert_eq!(picker_value(&stored, maseru).as_deref(), Some(picked));
        }
    }

    #[test]
    fn a_moment_out_of_range_is_not_shown_as_a_date() {
        assert_eq!(english(i64::MAX, 0), i64::MAX.to_string());
        assert_eq!(english(DECEMBER, 24 * 60), DECEMBER.to_string());
    }
}
