//! The other fields matching reads: phone numbers (to E.164), dates of birth (whole, or
//! only the year), e-mail addresses and free text such as a city.

use std::fmt;
use std::str::FromStr;

use phonenumber::Mode;
use phonenumber::country::Id;

/// A phone number in E.164 (`+27821234567`), whatever format it was typed in: with spaces,
/// dashes or brackets, `00` for `+`, `(0)` after the country code, or national (`082 123
/// 4567`) for someone living in `country` (a country choice of the reference form, such as
/// `south_africa`). `None` when it is not a phone number.
pub fn e164(text: &str, country: Option<&str>) -> Option<String> {
    let mut cleaned = text.replace("(0)", "");
    cleaned.retain(|c| c.is_ascii_digit() || c == '+');
    if let Some(rest) = cleaned.strip_prefix("00") {
        cleaned = format!("+{rest}");
    }
    if cleaned.trim_start_matches('+').len() < 6 {
        return None;
    }
    let region = country.and_then(region_of);
    let parsed = if cleaned.starts_with('+') {
        phonenumber::parse(None, &cleaned)
    } else {
        phonenumber::parse(region, &cleaned)
            .or_else(|_| phonenumber::parse(None, format!("+{cleaned}")))
    };
    parsed
        .ok()
        .map(|number| number.format().mode(Mode::E164).to_string())
}

/// The phone region of a country choice of the reference form.
fn region_of(country: &str) -> Option<Id> {
    let code = match country {
        "south_africa" => "ZA",
        "lesotho" => "LS",
        "uk" | "united_kingdom" => "GB",
        "usa" | "united_states" => "US",
        "botswana" => "BW",
        "namibia" => "NA",
        "eswatini" => "SZ",
        "mozambique" => "MZ",
        "zimbabwe" => "ZW",
        "australia" => "AU",
        "canada" => "CA",
        "ireland" => "IE",
        _ => return None,
    };
    Id::from_str(code).ok()
}

/// A date of birth: a whole date, or only its year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BirthDate {
    pub year: u16,
    /// Month and day, when known.
    pub month_day: Option<(u8, u8)>,
}

impl BirthDate {
    /// `YYYY-MM-DD` (an ODK date; what follows a `T` is ignored), or `YYYY` alone.
    pub fn parse(text: &str) -> Option<BirthDate> {
        let text = text.trim();
        let date = text.split('T').next().unwrap_or_default();
        let mut parts = date.split('-');
        let year: u16 = parts.next()?.parse().ok()?;
        if !(1850..=2200).contains(&year) {
            return None;
        }
        match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => Some(BirthDate {
                year,
                month_day: None,
            }),
            (Some(month), Some(day), None) => {
                let month: u8 = month.parse().ok()?;
                let day: u8 = day.parse().ok()?;
                ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(BirthDate {
                    year,
                    month_day: Some((month, day)),
                })
            }
            _ => None,
        }
    }

    /// The digits `YYYYMMDD` of a whole date.
    fn digits(self) -> Option<[u8; 8]> {
        let (month, day) = self.month_day?;
        let text = format!("{:04}{month:02}{day:02}", self.year);
        let mut digits = [0u8; 8];
        for (slot, byte) in digits.iter_mut().zip(text.bytes()) {
            *slot = byte;
        }
        Some(digits)
    }
}

impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.month_day {
            Some((month, day)) => write!(f, "{:04}-{month:02}-{day:02}", self.year),
            None => write!(f, "{:04}", self.year),
        }
    }
}

/// How two dates of birth compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateLevel {
    Same,
    /// One digit differs (a mistyped digit; of the year, when only the year of one is known).
    OneDigit,
    /// The day and month are swapped.
    DayMonthSwapped,
    /// Only the year of one is known, and it is the other's.
    SameYear,
    Different,
    /// One or both unknown.
    Missing,
}

/// Compares two dates of birth.
pub fn compare_dates(a: Option<BirthDate>, b: Option<BirthDate>) -> DateLevel {
    let (Some(a), Some(b)) = (a, b) else {
        return DateLevel::Missing;
    };
    if a == b {
        return DateLevel::Same;
    }
    if a.month_day.is_none() || b.month_day.is_none() {
        let (x, y) = (format!("{:04}", a.year), format!("{:04}", b.year));
        let differing = x.bytes().zip(y.bytes()).filter(|(p, q)| p != q).count();
        return match differing {
            0 => DateLevel::SameYear,
            1 => DateLevel::OneDigit,
            _ => DateLevel::Different,
        };
    }
    if let (Some((am, ad)), Some((bm, bd))) = (a.month_day, b.month_day)
        && a.year == b.year
        && am == bd
        && ad == bm
    {
        return DateLevel::DayMonthSwapped;
    }
    match (a.digits(), b.digits()) {
        (Some(x), Some(y)) if x.iter().zip(&y).filter(|(p, q)| p != q).count() == 1 => {
            DateLevel::OneDigit
        }
        _ => DateLevel::Different,
    }
}

/// An e-mail address case-folded and trimmed; `None` when empty.
pub fn email(text: &str) -> Option<String> {
    let text = text.trim().to_lowercase();
    (text.contains('@') && text.len() > 3).then_some(text)
}

/// Free text (a city, a profession) as compared: lower case, letters and digits only.
pub fn plain(text: &str) -> Option<String> {
    let text: String = text
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_in_any_format_is_one_e164_number() {
        for typed in [
            "+27 82 123 4567",
            "+27821234567",
            "082 123 4567",
            "0821234567",
            "0027821234567",
            "+27 (0)82 123 4567",
            "+27-82-123-4567",
        ] {
            assert_eq!(
                e164(typed, Some("south_africa")).as_deref(),
                Some("+27821234567"),
                "{typed}"
            );
        }
        assert_eq!(
            e164("5812 3456", Some("lesotho")).as_deref(),
            Some("+26658123456")
        );
        assert_eq!(
            e164("+266 5812 3456", Some("uk")).as_deref(),
            Some("+26658123456")
        );
        assert_eq!(
            e164("07400 123456", Some("uk")).as_deref(),
            Some("+447400123456")
        );
        assert_eq!(e164("none", Some("uk")), None);
        assert_eq!(e164("12", None), None);
    }

    #[test]
    fn dates_compare_by_what_went_wrong() {
        let date = |text| BirthDate::parse(text);
        assert_eq!(
            compare_dates(date("1988-04-05"), date("1988-04-05")),
            DateLevel::Same
        );
        assert_eq!(
            compare_dates(date("1988-04-05"), date("1988-05-04")),
            DateLevel::DayMonthSwapped
        );
        assert_eq!(
            compare_dates(date("1988-04-05"), date("1989-04-05")),
            DateLevel::OneDigit
        );
        assert_eq!(
            compare_dates(date("1988-04-15"), date("1988-04-13")),
            DateLevel::OneDigit
        );
        assert_eq!(
            compare_dates(date("1988"), date("1988-04-05")),
            DateLevel::SameYear
        );
        assert_eq!(
            compare_dates(date("1987"), date("1988-04-05")),
            DateLevel::OneDigit
        );
        assert_eq!(
            compare_dates(date("1979"), date("1988-04-05")),
            DateLevel::Different
        );
        assert_eq!(
            compare_dates(date("1988-04-05"), date("1990-07-21")),
            DateLevel::Different
        );
        assert_eq!(compare_dates(None, date("1988-04-05")), DateLevel::Missing);
        assert_eq!(date("1988-13-01"), None);
        assert_eq!(date("yesterday"), None);
        assert_eq!(
            date("1988-04-05T00:00:00")
                .map(|d| d.to_string())
                .as_deref(),
            Some("1988-04-05")
        );
    }

    #[test]
    fn e_mail_is_case_folded() {
        assert_eq!(
            email(" Palesa.Mokhothu@Gmail.com ").as_deref(),
            Some("palesa.mokhothu@gmail.com")
        );
        assert_eq!(email(""), None);
    }
}
