//! String functions. Positions and lengths count Unicode scalar values (`char`s).

use super::Args;
use super::numbers::xpath_round;
use crate::error::EvalError;
use crate::value::{Value, is_xml_space};

type R = Result<Value, EvalError>;

/// `string(x?)`: XPath 1.0 §4.2; without an argument, the context node's value.
pub(super) fn string(a: &mut Args<'_, '_>) -> R {
    if a.len() == 0 {
        return Ok(Value::String(a.focus_string()?));
    }
    Ok(Value::String(a.string(0)?))
}

/// `concat(x*)`: ODK concatenates *every* node of node-set arguments, not only the first.
pub(super) fn concat(a: &mut Args<'_, '_>) -> R {
    let mut out = String::new();
    for i in 0..a.len() {
        for s in a.strings(i)? {
            out.push_str(&s);
        }
    }
    Ok(Value::String(out))
}

/// `join(separator, x*)`: every value of every argument, separated.
pub(super) fn join(a: &mut Args<'_, '_>) -> R {
    let sep = a.string(0)?;
    let mut items = Vec::new();
    for i in 1..a.len() {
        items.extend(a.strings(i)?);
    }
    Ok(Value::String(items.join(&sep)))
}

/// `string-length(s?)`: the number of characters; without an argument, of the context
/// node's value.
pub(super) fn string_length(a: &mut Args<'_, '_>) -> R {
    let s = if a.len() == 0 {
        a.focus_string()?
    } else {
        a.string(0)?
    };
    Ok(Value::Number(s.chars().count() as f64))
}

/// `substr(s, start, end?)`: ODK's 0-based substring from `start` up to but excluding
/// `end`. Negative positions count from the end of the string, as in JavaRosa and
/// Enketo (`substr('abcde', -2)` is `'de'`); positions are truncated to integers.
pub(super) fn substr(a: &mut Args<'_, '_>) -> R {
    let chars: Vec<char> = a.string(0)?.chars().collect();
    let len = chars.len() as i64;
    let to_index = |n: f64| -> i64 {
        if n.is_nan() {
            0
        } else {
            // Saturating conversion: huge values clamp to the string's ends below.
            n.trunc().clamp(-1e15, 1e15) as i64
        }
    };
    let mut start = to_index(a.number(1)?);
    let mut end = if a.len() > 2 {
        to_index(a.number(2)?)
    } else {
        len
    };
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    let end = end.clamp(0, len);
    let start = start.clamp(0, end);
    Ok(Value::String(
        chars[start as usize..end as usize].iter().collect(),
    ))
}

/// `substring(s, start, length?)`: XPath 1.0 §4.2, 1-based, with its rounding rules:
/// the characters at positions `p` with `round(start) <= p < round(start) + round(length)`.
pub(super) fn substring(a: &mut Args<'_, '_>) -> R {
    let s = a.string(0)?;
    let start = xpath_round(a.number(1)?);
    let end = if a.len() > 2 {
        start + xpath_round(a.number(2)?)
    } else {
        f64::INFINITY
    };
    let out = s
        .chars()
        .enumerate()
        .filter(|(i, _)| {
            let p = (*i + 1) as f64;
            p >= start && p < end
        })
        .map(|(_, c)| c)
        .collect();
    Ok(Value::String(out))
}

/// `substring-before(s, t)`: XPath 1.0 §4.2; `''` when `t` does not occur.
pub(super) fn substring_before(a: &mut Args<'_, '_>) -> R {
    let s = a.string(0)?;
    let t = a.string(1)?;
    Ok(Value::String(
        s.find(&t).map(|i| s[..i].to_owned()).unwrap_or_default(),
    ))
}

/// `substring-after(s, t)`: XPath 1.0 §4.2; `''` when `t` does not occur.
pub(super) fn substring_after(a: &mut Args<'_, '_>) -> R {
    let s = a.string(0)?;
    let t = a.string(1)?;
    Ok(Value::String(
        s.find(&t)
            .map(|i| s[i + t.len()..].to_owned())
            .unwrap_or_default(),
    ))
}

/// `contains(s, t)`.
pub(super) fn contains(a: &mut Args<'_, '_>) -> R {
    let s = a.string(0)?;
    let t = a.string(1)?;
    Ok(Value::Boolean(s.contains(&t)))
}

/// `starts-with(s, t)`.
pub(super) fn starts_with(a: &mut Args<'_, '_>) -> R {
    let s = a.string(0)?;
    let t = a.string(1)?;
    Ok(Value::Boolean(s.starts_with(&t)))
}

/// `ends-with(s, t)`: XPath 3.0, as ODK specifies.
pub(super) fn ends_with(a: &mut Args<'_, '_>) -> R {
    let s = a.string(0)?;
    let t = a.string(1)?;
    Ok(Value::Boolean(s.ends_with(&t)))
}

/// `translate(s, from, to)`: XPath 1.0 §4.2: each character of `from` becomes the
/// character at the same position in `to`, or is removed when `to` is shorter.
pub(super) fn translate(a: &mut Args<'_, '_>) -> R {
    let s = a.string(0)?;
    let from: Vec<char> = a.string(1)?.chars().collect();
    let to: Vec<char> = a.string(2)?.chars().collect();
    let out = s
        .chars()
        .filter_map(|c| match from.iter().position(|&f| f == c) {
            Some(i) => to.get(i).copied(),
            None => Some(c),
        })
        .collect();
    Ok(Value::String(out))
}

/// `normalize-space(s?)`: trims and collapses runs of whitespace to one space.
pub(super) fn normalize_space(a: &mut Args<'_, '_>) -> R {
    let s = if a.len() == 0 {
        a.focus_string()?
    } else {
        a.string(0)?
    };
    let words: Vec<&str> = s.split(is_xml_space).filter(|w| !w.is_empty()).collect();
    Ok(Value::String(words.join(" ")))
}

/// The largest compiled pattern `regex()` accepts, in bytes. A form's patterns (a phone
/// number, an e-mail address) compile to a few kilobytes; the fuzzer found that a bounded
/// repetition such as `[a-z]{6,789880}`, within regex-lite's own 10 MiB default, took 0.4 s
/// to compile on every evaluation, on the server and on phones.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// `regex(s, pattern)`: whether the pattern matches *somewhere* in `s` (a search, as in
/// JavaRosa and Enketo); anchor it with `^…$` to match the whole value.
pub(super) fn regex(a: &mut Args<'_, '_>) -> R {
    let s = a.string(0)?;
    let pattern = a.string(1)?;
    let re = regex_lite::RegexBuilder::new(&pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| EvalError::InvalidRegex {
            reason: regex_reason(&e),
            pattern: pattern.clone(),
        })?;
    Ok(Value::Boolean(re.is_match(&s)))
}

/// The one-line reason of a regex error (the crate's message draws the pattern with a
/// caret over several lines, which does not fit a form error).
fn regex_reason(e: &regex_lite::Error) -> String {
    let text = e.to_string();
    match text.rfind("error: ") {
        Some(i) => text[i + "error: ".len()..].trim().to_owned(),
        None => text.lines().last().unwrap_or_default().trim().to_owned(),
    }
}
