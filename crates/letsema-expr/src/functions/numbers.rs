//! Number functions.

use super::Args;
use crate::error::EvalError;
use crate::value::{Value, string_to_number};

type R = Result<Value, EvalError>;

fn num(n: f64) -> R {
    Ok(Value::Number(n))
}

/// XPath 1.0 `round()`: the closest integer, halves towards positive infinity
/// (`round(2.5)` is 3, `round(-2.5)` is -2).
pub(crate) fn xpath_round(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let f = x.floor();
    if x - f >= 0.5 { f + 1.0 } else { f }
}

/// `number(x?)`: XPath 1.0 §4.4 with ODK's date conversion.
pub(super) fn number(a: &mut Args<'_, '_>) -> R {
    if a.len() == 0 {
        return num(string_to_number(&a.focus_string()?));
    }
    num(a.number(0)?)
}

/// `int(x)`: drops the fractional part (truncates towards zero); NaN stays NaN.
pub(super) fn int(a: &mut Args<'_, '_>) -> R {
    num(a.number(0)?.trunc())
}

/// `round(x)` as XPath 1.0; `round(x, digits)` as ODK: rounds the decimal written form of
/// `x` to `digits` places, halves away from zero as JavaRosa's `BigDecimal` `HALF_UP`
/// does (`round(2.675, 2)` is 2.68, `round(-1.5, 0)` is -2); negative digits round to tens,
/// hundreds, ….
pub(super) fn round(a: &mut Args<'_, '_>) -> R {
    let x = a.number(0)?;
    if a.len() == 1 {
        return num(xpath_round(x));
    }
    num(round_digits(x, a.number(1)?))
}

fn round_digits(x: f64, digits: f64) -> f64 {
    if digits.is_nan() {
        return f64::NAN;
    }
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let d = digits.trunc().clamp(-400.0, 400.0) as i64;
    // Rust prints the shortest round-tripping decimal and never uses an exponent.
    let text = format!("{}", x.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let digits_all: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
    let mut point = int.len() as i64;
    let keep = point + d;
    if keep >= digits_all.len() as i64 {
        return x;
    }
    if keep < 0 {
        return 0.0;
    }
    let keep = keep as usize;
    let mut kept = digits_all[..keep].to_vec();
    if digits_all[keep] >= 5 {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, 1);
                point += 1;
                break;
            }
            i -= 1;
            if kept[i] == 9 {
                kept[i] = 0;
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    if kept.is_empty() {
        return 0.0;
    }
    let mut s: String = kept.iter().map(|d| char::from(b'0' + d)).collect();
    let exponent = point - kept.len() as i64;
    if exponent >= 0 {
        s.extend(std::iter::repeat_n('0', exponent as usize));
    } else {
        s.insert(point as usize, '.');
    }
    let magnitude = s.parse::<f64>().unwrap_or(f64::NAN);
    if x < 0.0 { -magnitude } else { magnitude }
}

/// `floor(x)`.
pub(super) fn floor(a: &mut Args<'_, '_>) -> R {
    num(a.number(0)?.floor())
}

/// `ceiling(x)`.
pub(super) fn ceiling(a: &mut Args<'_, '_>) -> R {
    num(a.number(0)?.ceil())
}

/// `abs(x)`.
pub(super) fn abs(a: &mut Args<'_, '_>) -> R {
    num(a.number(0)?.abs())
}

/// `pow(x, y)`.
pub(super) fn pow(a: &mut Args<'_, '_>) -> R {
    let x = a.number(0)?;
    let y = a.number(1)?;
    num(x.powf(y))
}

/// `sqrt(x)`: NaN for negative numbers.
pub(super) fn sqrt(a: &mut Args<'_, '_>) -> R {
    num(a.number(0)?.sqrt())
}

/// `exp(x)`: e to the power x.
pub(super) fn exp(a: &mut Args<'_, '_>) -> R {
    num(a.number(0)?.exp())
}

/// `exp10(x)`: 10 to the power x.
pub(super) fn exp10(a: &mut Args<'_, '_>) -> R {
    num(10f64.powf(a.number(0)?))
}

/// `log(x)`: the natural logarithm.
pub(super) fn log(a: &mut Args<'_, '_>) -> R {
    num(a.number(0)?.ln())
}

/// `log10(x)`.
pub(super) fn log10(a: &mut Args<'_, '_>) -> R {
    num(a.number(0)?.log10())
}

/// `sin(x)`, in radians.
pub(super) fn sin(a: &mut Args<'_, '_>) -> R {
    num(a.number(0)?.sin())
}

/// `cos(x)`, in radians.
pub(super) fn cos(a: &mut Args<'_, '_>) -> R {
    num(a.number(0)?.cos())
}

/// `tan(x)`, in radians.
pub(super) fn tan(a: &mut Args<'_, '_>) -> R {
    num(a.number(0)?.tan())
}

/// `asin(x)`.
pub(super) fn asin(a: &mut Args<'_, '_>) -> R {
    num(a.number(0)?.asin())
}

/// `acos(x)`.
pub(super) fn acos(a: &mut Args<'_, '_>) -> R {
    num(a.number(0)?.acos())
}

/// `atan(x)`.
pub(super) fn atan(a: &mut Args<'_, '_>) -> R {
    num(a.number(0)?.atan())
}

/// `atan2(y, x)`.
pub(super) fn atan2(a: &mut Args<'_, '_>) -> R {
    let y = a.number(0)?;
    let x = a.number(1)?;
    num(y.atan2(x))
}

/// `pi()`.
pub(super) fn pi(_: &mut Args<'_, '_>) -> R {
    num(std::f64::consts::PI)
}

/// `random()`: a number in `[0, 1)` from the context.
pub(super) fn random(a: &mut Args<'_, '_>) -> R {
    num(a.ctx().random())
}

/// `sum(nodes)`: XPath 1.0 §4.4: the sum of the nodes' numbers, so one empty or
/// non-numeric value makes the sum NaN; an empty node-set sums to 0.
pub(super) fn sum(a: &mut Args<'_, '_>) -> R {
    num(a.strings(0)?.iter().map(|s| string_to_number(s)).sum())
}

/// All the numbers of all arguments (every node of node-sets).
fn numbers(a: &mut Args<'_, '_>) -> Result<Vec<f64>, EvalError> {
    let mut out = Vec::new();
    for i in 0..a.len() {
        match a.value(i)? {
            Value::Nodes(nodes) => out.extend(nodes.iter().map(|n| string_to_number(&n.value))),
            v => out.push(v.to_number()),
        }
    }
    Ok(out)
}

/// `min(x*)`: the smallest number; NaN if there is none or one is not a number (an empty
/// answer included).
pub(super) fn min(a: &mut Args<'_, '_>) -> R {
    let ns = numbers(a)?;
    if ns.is_empty() || ns.iter().any(|n| n.is_nan()) {
        return num(f64::NAN);
    }
    num(ns.into_iter().fold(f64::INFINITY, f64::min))
}

/// `max(x*)`: the largest number; NaN if there is none or one is not a number.
pub(super) fn max(a: &mut Args<'_, '_>) -> R {
    let ns = numbers(a)?;
    if ns.is_empty() || ns.iter().any(|n| n.is_nan()) {
        return num(f64::NAN);
    }
    num(ns.into_iter().fold(f64::NEG_INFINITY, f64::max))
}
