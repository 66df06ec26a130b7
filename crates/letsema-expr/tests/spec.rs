//! The expression language as a specification: one line per behaviour.
//!
//! `check` asserts the boolean an expression gives (as `relevant` and `constraint` use
//! it), `check_num` its number, `check_str` its string (as a `calculation` stores it) and
//! `check_err` the message of its evaluation error. Section references are to XPath 1.0
//! (https://www.w3.org/TR/1999/REC-xpath-19991116/) and to the ODK XForms spec
//! (https://getodk.github.io/xforms-spec/).

use chrono::DateTime;
use letsema_expr::{Call, Context, EvalError, Expr, MapContext, Value, evaluate, parse};

// The same specification runs natively and, as WebAssembly, in headless Chromium
// (`./dev test`): one engine, one truth.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// The answers most cases run against.
fn answers() -> MapContext {
    MapContext::new()
        .with("age", "34")
        .with("empty", "")
        .with("name", "Lineo Mokoena")
        .with("dob", "1990-05-17")
        .with("visit", "2024-02-29T14:05:09.123+02:00")
        .with("langs", "st en  zu")
        .with("consent", "yes")
        .with("flag", "false")
        .with("one", "1")
        .with("zero", "0")
        .with("decimal", "2.5")
        .with("neg", "-3")
        .with("text", "abc")
        .with("spaced", "  a  b \t c ")
        .with("country", "ZA")
        .with("email", "lineo@example.org")
        .with_repeat(
            "qual",
            [
                [("degree", "MBChB"), ("year", "2012"), ("score", "3")],
                [("degree", "MMed"), ("year", "2018"), ("score", "4")],
                [("degree", "PhD"), ("year", ""), ("score", "")],
            ],
        )
        .with_now(DateTime::parse_from_rfc3339("2025-03-01T09:30:00.250+02:00").expect("valid"))
        .with_choice_label("country", "ZA", "South Africa")
        .with_choice_label("langs", "st", "Sesotho")
        .with_seed(42)
}

fn eval(ctx: &dyn Context, src: &str) -> Value {
    let expr = parse(src).unwrap_or_else(|e| panic!("`{src}` does not parse: {e}"));
    evaluate(&expr, ctx).unwrap_or_else(|e| panic!("`{src}` does not evaluate: {e}"))
}

#[track_caller]
fn check(ctx: &dyn Context, src: &str, expected: bool) {
    let v = eval(ctx, src);
    assert_eq!(v.to_boolean(), expected, "`{src}` gave {v:?}");
}

#[track_caller]
fn check_num(ctx: &dyn Context, src: &str, expected: f64) {
    let v = eval(ctx, src);
    let n = v.to_number();
    let same = if expected.is_nan() {
        n.is_nan()
    } else {
        n == expected || (n - expected).abs() <= 1e-9 * expected.abs().max(1.0)
    };
    assert!(same, "`{src}` gave {v:?}, expected {expected}");
}

#[track_caller]
fn check_str(ctx: &dyn Context, src: &str, expected: &str) {
    let v = eval(ctx, src);
    assert_eq!(v.to_xpath_string(), expected, "`{src}` gave {v:?}");
}

#[track_caller]
fn check_err(ctx: &dyn Context, src: &str, expected: &str) {
    let expr = parse(src).unwrap_or_else(|e| panic!("`{src}` does not parse: {e}"));
    match evaluate(&expr, ctx) {
        Ok(v) => panic!("`{src}` gave {v:?}, expected the error {expected:?}"),
        Err(e) => assert_eq!(e.to_string(), expected, "`{src}`"),
    }
}

#[test]
fn literals_and_references() {
    let c = answers();
    check_num(&c, "42", 42.0);
    check_num(&c, "3.25", 3.25);
    check_num(&c, ".5", 0.5);
    check_num(&c, "5.", 5.0);
    check_str(&c, "'single'", "single");
    check_str(&c, "\"double\"", "double");
    check_str(&c, "\"it's\"", "it's");
    check_str(&c, "'say \"hi\"'", "say \"hi\"");
    check_str(&c, "${name}", "Lineo Mokoena");
    check_str(&c, "${empty}", "");
    check_num(&c, "${age}", 34.0);
    // An unanswered question is a node whose value is '' (not a missing node).
    check(&c, "${empty} = ''", true);
    check(&c, "${empty}", true);
    check(&c, "string(${empty})", false);
}

#[test]
fn arithmetic() {
    let c = answers();
    check_num(&c, "1 + 2", 3.0);
    check_num(&c, "${age} + 1", 35.0);
    check_num(&c, "${age} - 4", 30.0);
    check_num(&c, "${age} * 2", 68.0);
    check_num(&c, "${age} div 4", 8.5);
    check_num(&c, "${age} mod 5", 4.0);
    check_num(&c, "-${age}", -34.0);
    check_num(&c, "- - 3", 3.0);
    check_num(&c, "${neg} * ${neg}", 9.0);
    check_num(&c, "${decimal} * 2", 5.0);
    // XPath §3.5: `mod` truncates, keeping the sign of the dividend.
    check_num(&c, "5 mod 2", 1.0);
    check_num(&c, "5 mod -2", 1.0);
    check_num(&c, "-5 mod 2", -1.0);
    check_num(&c, "-5 mod -2", -1.0);
    check_num(&c, "5.5 mod 2", 1.5);
    // IEEE 754: division by zero is infinite, 0 div 0 is NaN.
    check_num(&c, "1 div 0", f64::INFINITY);
    check_num(&c, "-1 div 0", f64::NEG_INFINITY);
    check_num(&c, "0 div 0", f64::NAN);
    check_num(&c, "1 mod 0", f64::NAN);
    // Empty and non-numeric answers are NaN, and NaN spreads.
    check_num(&c, "${empty} + 1", f64::NAN);
    check_num(&c, "${text} * 2", f64::NAN);
    check_num(&c, "'true' + 0", f64::NAN);
    check_num(&c, "true() + true()", 2.0);
    check_num(&c, "false() - 1", -1.0);
    check_num(&c, "' 7 ' + 1", 8.0);
    check_num(&c, "'-7.5' + 0", -7.5);
    // XPath numbers have no exponent and no plus sign.
    check_num(&c, "'1e3' + 0", f64::NAN);
    check_num(&c, "'+3' + 0", f64::NAN);
}

#[test]
fn precedence_is_xpath() {
    let c = answers();
    check_num(&c, "1 + 2 * 3", 7.0);
    check_num(&c, "(1 + 2) * 3", 9.0);
    check_num(&c, "10 - 4 - 3", 3.0);
    check_num(&c, "10 - (4 - 3)", 9.0);
    check_num(&c, "12 div 3 div 2", 2.0);
    check_num(&c, "2 * 3 mod 4", 2.0);
    check_num(&c, "-2 * 3", -6.0);
    check_num(&c, "- 2 + 3", 1.0);
    check(&c, "1 + 1 = 2", true);
    check(&c, "1 < 2 = true()", true);
    check(&c, "2 > 1 > 0", true);
    check(&c, "3 > 2 > 1", false);
    check(&c, "true() or false() and false()", true);
    check(&c, "(true() or false()) and false()", false);
    check(&c, "1 = 1 and 2 = 2", true);
    check(&c, "1 = 2 or 2 = 2", true);
    check(&c, "not(1 = 2) and ${age} >= 18", true);
    // `and`, `or`, `div` and `mod` are operators only after an operand (§3.7).
    check_num(&c, "${age} div 2 mod 5", 2.0);
}

#[test]
fn comparisons_of_atoms() {
    // XPath §3.4: with a boolean compare booleans, else with a number compare numbers,
    // else compare strings; `<` and friends always compare numbers.
    let c = answers();
    check(&c, "'abc' = 'abc'", true);
    check(&c, "'abc' != 'abd'", true);
    check(&c, "'1' = 1", true);
    check(&c, "'1.0' = 1", true);
    check(&c, "'1.0' = '1'", false);
    check(&c, "'' = 0", false);
    check(&c, "'' != 0", true);
    check(&c, "'abc' = 0", false);
    check(&c, "0 div 0 = 0 div 0", false);
    check(&c, "0 div 0 != 0 div 0", true);
    check(&c, "true() = 'x'", true);
    check(&c, "false() = ''", true);
    check(&c, "true() = 1", true);
    check(&c, "false() = 0", true);
    check(&c, "true() = 2", true);
    check(&c, "'false' = false()", false);
    check(&c, "'10' < '9'", false);
    check(&c, "'10' > '9'", true);
    check(&c, "'a' < 'b'", false);
    check(&c, "'a' >= 'a'", false);
    check(&c, "1 <= 1", true);
    check(&c, "1 >= 2", false);
    check(&c, "true() > false()", true);
    check(&c, "1 div 0 > 1000000", true);
}

#[test]
fn comparisons_with_answers() {
    let c = answers();
    check(&c, "${age} >= 18", true);
    check(&c, "${age} < 18", false);
    check(&c, "${age} = 34", true);
    check(&c, "${age} = '34'", true);
    check(&c, "${age} = '34.0'", false);
    check(&c, "${age} = 34.0", true);
    check(&c, "${age} != 34", false);
    // An unanswered question compares as '' and NaN: every numeric comparison is false.
    check(&c, "${empty} < 5", false);
    check(&c, "${empty} > 5", false);
    check(&c, "${empty} = 0", false);
    check(&c, "${empty} != 0", true);
    check(&c, "${empty} = ''", true);
    check(&c, "${empty} != ''", false);
    check(&c, "${consent} = 'yes'", true);
    check(&c, "${consent} = 'Yes'", false);
    check(&c, "${flag} = 'false'", true);
    // A node-set compared with a boolean compares boolean(node-set): non-empty is true.
    check(&c, "${flag} = true()", true);
    check(&c, "${empty} = true()", true);
    check(&c, "${age} = ${age}", true);
    check(&c, "${age} > ${decimal}", true);
    check(&c, "${text} = ${text}", true);
    check(&c, "34 = ${age}", true);
    check(&c, "18 <= ${age}", true);
    check(&c, "18 > ${age}", false);
}

#[test]
fn comparisons_of_node_sets() {
    // XPath §3.4: a node-set comparison is true if it holds for some node (or pair).
    let c = answers();
    check(&c, "${year} = 2018", true);
    check(&c, "${year} = 2019", false);
    check(&c, "${year} = ''", true);
    check(&c, "${year} != 2018", true);
    check(&c, "${year} > 2015", true);
    check(&c, "${year} < 2000", false);
    check(&c, "${degree} = 'PhD'", true);
    check(&c, "${degree} = ${degree}", true);
    // The third instance has neither a year nor a score: '' = '' for that pair.
    check(&c, "${year} = ${score}", true);
    check(&c, "${degree} = ${score}", false);
    check(&c, "${score} < ${year}", true);
    check(&c, "/data/nothing = ''", false);
    check(&c, "/data/nothing != ''", false);
    check(&c, "/data/nothing = /data/nothing", false);
    check(&c, "/data/nothing = false()", true);
}

#[test]
fn boolean_conversion() {
    // XPath §4.3.
    let c = answers();
    check(&c, "boolean(1)", true);
    check(&c, "boolean(0)", false);
    check(&c, "boolean(-0.5)", true);
    check(&c, "boolean(0 div 0)", false);
    check(&c, "boolean('')", false);
    check(&c, "boolean(' ')", true);
    check(&c, "boolean('false')", true);
    check(&c, "boolean('0')", true);
    check(&c, "boolean(${empty})", true);
    check(&c, "boolean(/data/nothing)", false);
    check(&c, "boolean(${age})", true);
    check(&c, "not(${empty})", false);
    check(&c, "not(string(${empty}))", true);
    check(&c, "not('')", true);
    check(&c, "not(0)", true);
    check(&c, "true()", true);
    check(&c, "false()", false);
    check(&c, "boolean-from-string('true')", true);
    check(&c, "boolean-from-string('1')", true);
    check(&c, "boolean-from-string('false')", false);
    check(&c, "boolean-from-string('0')", false);
    check(&c, "boolean-from-string('TRUE')", false);
    check(&c, "boolean-from-string('yes')", false);
    check(&c, "boolean-from-string(${flag})", false);
    check(&c, "boolean-from-string(${one})", true);
}

#[test]
fn number_conversion() {
    // XPath §4.4, with ODK dates.
    let c = answers();
    check_num(&c, "number('12')", 12.0);
    check_num(&c, "number(' 12.5 ')", 12.5);
    check_num(&c, "number('')", f64::NAN);
    check_num(&c, "number('abc')", f64::NAN);
    check_num(&c, "number('true')", f64::NAN);
    check_num(&c, "number(true())", 1.0);
    check_num(&c, "number(false())", 0.0);
    check_num(&c, "number(${age})", 34.0);
    check_num(&c, "number(${empty})", f64::NAN);
    check_num(&c, "number(/data/nothing)", f64::NAN);
    check_num(&c, "number('1970-01-02')", 1.0);
    check_num(&c, "number('2020-01-01')", 18262.0);
    check_num(&c, "number('1970-01-02T12:00:00Z')", 1.5);
    check_num(&c, "number('1970-01-02T14:00:00+02:00')", 1.5);
    check_num(&c, "number('2020-13-01')", f64::NAN);
    check_num(&c, "number('12,5')", f64::NAN);
}

#[test]
fn string_conversion() {
    // XPath §4.2: integers without `.0`, NaN and Infinity spelled out, no exponents.
    let c = answers();
    check_str(&c, "string(1)", "1");
    check_str(&c, "string(1.0)", "1");
    check_str(&c, "string(-0)", "0");
    check_str(&c, "string(0.5)", "0.5");
    check_str(&c, "string(-0.5)", "-0.5");
    check_str(&c, "string(1 div 3)", "0.3333333333333333");
    check_str(&c, "string(0.1 + 0.2)", "0.30000000000000004");
    check_str(
        &c,
        "string(1000000 * 1000000 * 1000000 * 1000)",
        "1000000000000000000000",
    );
    check_str(&c, "string(1 div 0)", "Infinity");
    check_str(&c, "string(-1 div 0)", "-Infinity");
    check_str(&c, "string(0 div 0)", "NaN");
    check_str(&c, "string(true())", "true");
    check_str(&c, "string(false())", "false");
    check_str(&c, "string(${age} + 1)", "35");
    check_str(&c, "${age} * 1.5", "51");
    check_str(&c, "string(${degree})", "MBChB");
    check_str(&c, "string(/data/nothing)", "");
    check_str(&c, "string('x')", "x");
}

#[test]
fn rounding() {
    let c = answers();
    // XPath `round()`: halves go towards positive infinity.
    check_num(&c, "round(2.5)", 3.0);
    check_num(&c, "round(2.4)", 2.0);
    check_num(&c, "round(-2.5)", -2.0);
    check_num(&c, "round(-2.6)", -3.0);
    check_num(&c, "round(0.49999999999999994)", 0.0);
    check_num(&c, "round('abc')", f64::NAN);
    check_num(&c, "round(1 div 0)", f64::INFINITY);
    // ODK's two-argument form rounds the decimal value, halves away from zero.
    check_num(&c, "round(2.71828, 2)", 2.72);
    check_num(&c, "round(2.675, 2)", 2.68);
    check_num(&c, "round(1.005, 2)", 1.01);
    check_num(&c, "round(-1.5, 0)", -2.0);
    check_num(&c, "round(2.5, 0)", 3.0);
    check_num(&c, "round(1234.5678, -2)", 1200.0);
    check_num(&c, "round(1250, -2)", 1300.0);
    check_num(&c, "round(99.96, 1)", 100.0);
    check_num(&c, "round(0.0456, 2)", 0.05);
    check_num(&c, "round(12, 3)", 12.0);
    check_num(&c, "round(49, -2)", 0.0);
    check_num(&c, "round(51, -2)", 100.0);
    check_num(&c, "round(5, -5)", 0.0);
    check_num(&c, "round(${decimal}, 0)", 3.0);
    check_num(&c, "round(1.5, 'x')", f64::NAN);
    // `int()` truncates towards zero.
    check_num(&c, "int(2.9)", 2.0);
    check_num(&c, "int(-2.9)", -2.0);
    check_num(&c, "int('7.99')", 7.0);
    check_num(&c, "int(${empty})", f64::NAN);
    check_num(&c, "floor(-2.5)", -3.0);
    check_num(&c, "floor(2.5)", 2.0);
    check_num(&c, "ceiling(2.1)", 3.0);
    check_num(&c, "ceiling(-2.1)", -2.0);
}

#[test]
fn math() {
    let c = answers();
    check_num(&c, "abs(-3)", 3.0);
    check_num(&c, "abs(${neg})", 3.0);
    check_num(&c, "pow(2, 10)", 1024.0);
    check_num(&c, "pow(${age}, 0)", 1.0);
    check_num(&c, "pow(4, 0.5)", 2.0);
    check_num(&c, "sqrt(16)", 4.0);
    check_num(&c, "sqrt(-1)", f64::NAN);
    check_num(&c, "exp(0)", 1.0);
    check_num(&c, "exp10(3)", 1000.0);
    check_num(&c, "log(exp(2))", 2.0);
    check_num(&c, "log10(1000)", 3.0);
    check_num(&c, "log(0)", f64::NEG_INFINITY);
    check_num(&c, "pi()", std::f64::consts::PI);
    check_num(&c, "sin(0)", 0.0);
    check_num(&c, "cos(0)", 1.0);
    check_num(&c, "tan(0)", 0.0);
    check_num(&c, "asin(1)", std::f64::consts::FRAC_PI_2);
    check_num(&c, "acos(1)", 0.0);
    check_num(&c, "atan(0)", 0.0);
    check_num(&c, "atan2(1, 1)", std::f64::consts::FRAC_PI_4);
}

#[test]
fn aggregates() {
    let c = answers();
    check_num(&c, "sum(${year})", f64::NAN);
    check_num(&c, "sum(/data/qual[year != '']/year)", 4030.0);
    check_num(&c, "sum(/data/nothing)", 0.0);
    check_num(&c, "sum(${age})", 34.0);
    check_num(&c, "max(${year})", f64::NAN);
    check_num(&c, "max(/data/qual/score[. != ''])", 4.0);
    check_num(&c, "min(/data/qual/score[. != ''])", 3.0);
    check_num(&c, "max(1, 5, 3)", 5.0);
    check_num(&c, "min(1, 5, 3)", 1.0);
    check_num(&c, "min(${age}, 18)", 18.0);
    check_num(&c, "max(${age}, ${empty})", f64::NAN);
    check_num(&c, "min(/data/nothing)", f64::NAN);
    check_num(&c, "count(${qual})", 3.0);
    check_num(&c, "count(${year})", 3.0);
    check_num(&c, "count(${age})", 1.0);
    check_num(&c, "count(/data/nothing)", 0.0);
    check_num(&c, "count(/data/qual[year > 2015])", 1.0);
    check_num(&c, "count-non-empty(${year})", 2.0);
    check_num(&c, "count-non-empty(${empty})", 0.0);
    check_num(&c, "count(${degree} | ${year})", 6.0);
    check_num(&c, "count(${degree} | ${degree})", 3.0);
}

#[test]
fn string_functions() {
    let c = answers();
    check_num(&c, "string-length('')", 0.0);
    check_num(&c, "string-length(${name})", 13.0);
    check_num(&c, "string-length('Sesotho ê')", 9.0);
    check_num(&c, "string-length(${age})", 2.0);
    check_num(&c, "string-length(${empty})", 0.0);
    // ODK `substr()`: 0-based start, exclusive end.
    check_str(&c, "substr('abcdef', 0, 2)", "ab");
    check_str(&c, "substr('abcdef', 2)", "cdef");
    check_str(&c, "substr('abcdef', 2, 4)", "cd");
    check_str(&c, "substr('abcdef', 4, 100)", "ef");
    check_str(&c, "substr('abcdef', 4, 2)", "");
    check_str(&c, "substr('abcdef', 10)", "");
    check_str(&c, "substr('abcdef', -2)", "ef");
    check_str(&c, "substr('abcdef', 0, -1)", "abcde");
    check_str(&c, "substr('abcdef', 1.7, 3.2)", "bc");
    check_str(&c, "substr(${name}, 0, 5)", "Lineo");
    check_str(&c, "substr('ëêé', 1)", "êé");
    // XPath `substring()`: 1-based start and a length, with XPath rounding (§4.2).
    check_str(&c, "substring('12345', 2, 3)", "234");
    check_str(&c, "substring('12345', 2)", "2345");
    check_str(&c, "substring('12345', 1.5, 2.6)", "234");
    check_str(&c, "substring('12345', 0, 3)", "12");
    check_str(&c, "substring('12345', 0 div 0, 3)", "");
    check_str(&c, "substring('12345', -42, 1 div 0)", "12345");
    check_str(&c, "substring('12345', -1 div 0, 1 div 0)", "");
    check_str(&c, "substring-before('1999/04/01', '/')", "1999");
    check_str(&c, "substring-before('abc', 'x')", "");
    check_str(&c, "substring-after('1999/04/01', '/')", "04/01");
    check_str(&c, "substring-after('abc', '')", "abc");
    check_str(&c, "substring-after(${email}, '@')", "example.org");
    check_str(&c, "concat('a', 'b', 'c')", "abc");
    check_str(
        &c,
        "concat(${name}, ' (', ${age}, ')')",
        "Lineo Mokoena (34)",
    );
    check_str(&c, "concat('x')", "x");
    check_str(&c, "concat()", "");
    check_str(&c, "concat(1, true(), 2.5)", "1true2.5");
    // ODK: concat() takes every node of a node-set, not only the first.
    check_str(&c, "concat(${degree})", "MBChBMMedPhD");
    check_str(&c, "concat(${degree}, '!')", "MBChBMMedPhD!");
    check_str(&c, "join(', ', ${degree})", "MBChB, MMed, PhD");
    check_str(&c, "join('-', 'a', 'b', ${age})", "a-b-34");
    check_str(&c, "join(', ')", "");
    check_str(&c, "join(' ', /data/nothing)", "");
    check(&c, "contains(${name}, 'Moko')", true);
    check(&c, "contains(${name}, 'moko')", false);
    check(&c, "contains('abc', '')", true);
    check(&c, "starts-with(${name}, 'Lin')", true);
    check(&c, "starts-with(${name}, 'Moko')", false);
    check(&c, "ends-with(${email}, '.org')", true);
    check(&c, "ends-with(${email}, '.com')", false);
    check(&c, "ends-with('', '')", true);
    check_str(&c, "translate('bar', 'abc', 'ABC')", "BAr");
    check_str(&c, "translate('--aaa--', 'abc-', 'ABC')", "AAA");
    check_str(&c, "translate('aba', 'aa', 'xy')", "xbx");
    check_str(
        &c,
        "translate(${name}, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')",
        "LINEO MOKOENA",
    );
    check_str(&c, "normalize-space(${spaced})", "a b c");
    check_str(&c, "normalize-space('   ')", "");
    check_str(&c, "normalize-space('x')", "x");
    check_str(&c, "string(${name})", "Lineo Mokoena");
}

#[test]
fn regex() {
    let c = answers();
    check(&c, "regex(${email}, '^[^@ ]+@[^@ ]+\\.[a-z]{2,}$')", true);
    check(&c, "regex('lineo@', '^[^@ ]+@[^@ ]+\\.[a-z]{2,}$')", false);
    check(&c, "regex('0712345678', '^0[0-9]{9}$')", true);
    check(&c, "regex('071234567', '^0[0-9]{9}$')", false);
    check(
        &c,
        "regex('+266 5012 3456', '^\\+266 ?\\d{4} ?\\d{4}$')",
        true,
    );
    // A search, not a whole-value match: anchor the pattern to match everything.
    check(&c, "regex('abc123', '[0-9]+')", true);
    check(&c, "regex('abc', '[0-9]+')", false);
    check(&c, "regex(${empty}, '^$')", true);
    check(&c, "regex('Ntate', '(?i)^ntate$')", true);
    // As in JavaRosa (Java's Pattern) and Enketo (JavaScript's RegExp): `\w`, `\d` and `\s`
    // are ASCII classes, so a letter with an accent is not a "word character"...
    check(&c, "regex('ê', '^\\w$')", false);
    // ...but it matches itself and ranges written out.
    check(&c, "regex('Motšoene', '^Mot[šs]oene$')", true);
    check_err(
        &c,
        "regex('x', '[a-')",
        "regex(): the pattern `[a-` is not a valid regular expression: non-empty character class has no closing bracket after dash",
    );
    check_err(
        &c,
        "regex('x', '(a')",
        "regex(): the pattern `(a` is not a valid regular expression: found open group without closing ')'",
    );
}

/// Found by the `expr` fuzz target: a huge bounded repetition compiled for 0.4 s on every
/// evaluation. Patterns are bounded in compiled size; a form's patterns stay far below.
#[test]
fn fuzz_regex_with_a_huge_bounded_repetition_is_refused_quickly() {
    let c = answers();
    let expr = parse("regex('x', '^[a-z]{6,789880}')").expect("parses");
    let error = evaluate(&expr, &c).expect_err("refused as too large");
    assert!(
        error.to_string().contains("not a valid regular expression"),
        "{error}"
    );
    check(&c, "regex('abcdefghij', '^[a-z]{6,200}$')", true);
}

#[test]
fn conditionals() {
    let c = answers();
    check_str(&c, "if(${age} >= 18, 'adult', 'minor')", "adult");
    check_str(&c, "if(${age} < 18, 'minor', 'adult')", "adult");
    check_num(&c, "if(true(), 1, 2)", 1.0);
    check_str(&c, "if(${empty}, 'yes', 'no')", "yes");
    check_str(&c, "if(string(${empty}), 'yes', 'no')", "no");
    check_str(
        &c,
        "if(${empty} = '', 'unanswered', ${empty})",
        "unanswered",
    );
    // Only the chosen branch is evaluated, so an invalid pattern there is harmless.
    check(&c, "if(true(), true(), regex('x', '['))", true);
    check_str(&c, "coalesce(${empty}, 'fallback')", "fallback");
    check_str(&c, "coalesce(${name}, 'fallback')", "Lineo Mokoena");
    check_str(&c, "coalesce(${empty}, ${empty})", "");
    check_str(&c, "coalesce(/data/nothing, 3)", "3");
}

#[test]
fn selects() {
    let c = answers();
    check(&c, "selected(${langs}, 'st')", true);
    check(&c, "selected(${langs}, 'en')", true);
    check(&c, "selected(${langs}, 'zu')", true);
    check(&c, "selected(${langs}, 'fr')", false);
    check(&c, "selected(${langs}, 's')", false);
    check(&c, "selected(${langs}, ' en ')", true);
    // As ODK Collect reads it (`' ' + list + ' '` contains `'  '`): the empty value is
    // selected in an empty list, and in a list with two spaces in a row, in no other.
    check(&c, "selected(${empty}, '')", true);
    check(&c, "selected('', '')", true);
    check(&c, "selected(${country}, '')", false);
    check(&c, "selected('a b', '')", false);
    check(&c, "selected(${langs}, '')", true);
    check(&c, "selected(${country}, 'ZA')", true);
    check(&c, "selected('a b', 'a b')", false);
    check_num(&c, "count-selected(${langs})", 3.0);
    check_num(&c, "count-selected(${empty})", 0.0);
    check_num(&c, "count-selected(${country})", 1.0);
    check_num(&c, "count-selected('  ')", 0.0);
    check_str(&c, "selected-at(${langs}, 0)", "st");
    check_str(&c, "selected-at(${langs}, 1)", "en");
    check_str(&c, "selected-at(${langs}, 2)", "zu");
    check_str(&c, "selected-at(${langs}, 3)", "");
    check_str(&c, "selected-at(${langs}, -1)", "");
    check_str(&c, "selected-at(${langs}, 'x')", "");
    check_str(
        &c,
        "jr:choice-name(${country}, '${country}')",
        "South Africa",
    );
    check_str(&c, "jr:choice-name('st', '${langs}')", "Sesotho");
    check_str(
        &c,
        "jr:choice-name(selected-at(${langs}, 0), '${langs}')",
        "Sesotho",
    );
    check_str(&c, "jr:choice-name('xx', '${country}')", "");
    check_str(
        &c,
        "jr:choice-name(${country}, '/data/country')",
        "South Africa",
    );
    check(&c, "checklist(1, 2, 1, 0, 0)", true);
    check(&c, "checklist(2, -1, 1, 0, 0)", false);
    check(&c, "checklist(-1, 1, ${one}, ${zero}, ${empty})", true);
    check(&c, "checklist(3, 3, ${score})", false);
    check(&c, "weighted-checklist(5, -1, 1, 3, 1, 2, 0, 10)", true);
    check(&c, "weighted-checklist(6, -1, 1, 3, 1, 2, 0, 10)", false);
    check_err(
        &c,
        "weighted-checklist(1, 2, 3)",
        "weighted-checklist(): after min and max, give pairs of an answer and its weight",
    );
}

#[test]
fn dates() {
    // ODK: dates are 'YYYY-MM-DD' strings that act as days since 1970-01-01.
    let c = answers();
    check_str(&c, "today()", "2025-03-01");
    check_num(&c, "today()", 20148.0);
    check_str(&c, "now()", "2025-03-01T09:30:00.250+02:00");
    check_num(&c, "now()", 20148.312502893517);
    check_str(&c, "date('2020-01-01')", "2020-01-01");
    check_num(&c, "date('2020-01-01')", 18262.0);
    check_num(&c, "date('2020-01-01') + 1", 18263.0);
    check_str(&c, "date(date('2020-01-01') + 1)", "2020-01-02");
    check_str(&c, "date(18262)", "2020-01-01");
    check_str(&c, "date(18262.9)", "2020-01-01");
    check_str(&c, "date(0)", "1970-01-01");
    check_str(&c, "date(-1)", "1969-12-31");
    check_str(&c, "date('18262')", "2020-01-01");
    check_str(&c, "date(${visit})", "2024-02-29");
    check_str(&c, "date(${empty})", "");
    check_str(&c, "date(${empty} + 1)", "");
    check_num(&c, "${dob} + 0", 7441.0);
    check_num(&c, "today() - date(${dob})", 12707.0);
    check_num(&c, "today() - ${dob}", 12707.0);
    check_num(&c, "int((today() - date(${dob})) div 365.25)", 34.0);
    check(&c, "${dob} < today()", true);
    check(&c, "${dob} > today()", false);
    check(&c, "${dob} < '2000-01-01'", true);
    check(&c, "${dob} = '1990-05-17'", true);
    check(&c, "${dob} = date('1990-05-17')", true);
    check(&c, "date('1990-05-17') = ${dob}", true);
    check(&c, "today() = '2025-03-01'", true);
    check(&c, "today() = 20148", true);
    check(&c, "today() > date('2025-02-28')", true);
    check(&c, "${empty} < today()", false);
    check(&c, "date('2024-02-29') = date('2024-02-29')", true);
    check_num(&c, "date('2024-03-01') - date('2024-02-28')", 2.0);
    check_num(&c, "decimal-date-time('1970-01-02T12:00:00Z')", 1.5);
    check_num(&c, "decimal-date-time('1970-01-01T02:00:00+02:00')", 0.0);
    check_num(&c, "decimal-date-time(${visit})", 19782.5035778125);
    check_num(&c, "decimal-date-time(${dob})", 7441.0);
    check_num(&c, "decimal-date-time('nonsense')", f64::NAN);
    check_str(&c, "date-time(0)", "1970-01-01T02:00:00.000+02:00");
    check_str(&c, "date-time(1.5)", "1970-01-02T14:00:00.000+02:00");
    check_str(
        &c,
        "date-time('2020-01-01')",
        "2020-01-01T00:00:00.000+02:00",
    );
    check_str(&c, "date-time(${visit})", "2024-02-29T14:05:09.123+02:00");
    check_str(
        &c,
        "date-time(decimal-date-time(${visit}))",
        "2024-02-29T14:05:09.123+02:00",
    );
    check_str(
        &c,
        "date-time('2020-06-01T10:00:00Z')",
        "2020-06-01T10:00:00.000+00:00",
    );
    check_str(&c, "date-time(${empty})", "");
    check_num(&c, "decimal-time('12:00:00')", 0.5);
    check_num(&c, "decimal-time('18:00')", 0.75);
    check_num(&c, "decimal-time('06:00:00.000+02:00')", 0.25);
    check_num(&c, "decimal-time('04:00:00.000Z')", 0.25);
    check_num(&c, "decimal-time('noon')", f64::NAN);
    check_err(
        &c,
        "date('soon')",
        "date(): `soon` is not a date: write dates as 'YYYY-MM-DD', date-times as \
         'YYYY-MM-DDTHH:MM:SS', or give a number of days since 1970-01-01",
    );
}

#[test]
fn date_formatting() {
    let c = answers();
    check_str(&c, "format-date(${dob}, '%Y-%m-%d')", "1990-05-17");
    check_str(&c, "format-date(${dob}, '%d/%m/%y')", "17/05/90");
    check_str(&c, "format-date('2021-03-04', '%e %b %Y')", "4 Mar 2021");
    check_str(&c, "format-date('2021-03-04', '%n/%e')", "3/4");
    check_str(&c, "format-date('2021-03-04', '%a')", "Thu");
    check_str(&c, "format-date(${visit}, '%a %e %b')", "Thu 29 Feb");
    check_str(&c, "format-date(today(), '%Y%m%d')", "20250301");
    check_str(&c, "format-date(today() + 1, '%Y-%m-%d')", "2025-03-02");
    check_str(&c, "format-date(18262, '%Y-%m-%d')", "2020-01-01");
    check_str(&c, "format-date(${empty}, '%Y')", "");
    check_str(&c, "format-date('soon', '%Y')", "");
    check_str(&c, "format-date('2021-03-04', '100%% %q')", "100% %q");
    check_str(
        &c,
        "format-date-time(${visit}, '%Y-%m-%d %H:%M:%S.%3')",
        "2024-02-29 14:05:09.123",
    );
    // A date-time with another offset is shown on the device's clock (here +02:00), as ODK
    // Collect shows it.
    check_str(
        &c,
        "format-date-time('2024-01-05T07:08:09Z', '%h:%M')",
        "9:08",
    );
    check_str(
        &c,
        "format-date-time('2024-01-05T23:30:00-05:00', '%Y-%m-%d %H:%M')",
        "2024-01-06 06:30",
    );
    check_str(&c, "format-date-time(now(), '%H:%M')", "09:30");
    check_str(
        &c,
        "format-date-time(0, '%Y-%m-%d %H:%M')",
        "1970-01-01 02:00",
    );
    check_str(&c, "format-date-time(${dob}, '%d %H:%M')", "17 00:00");
}

#[test]
fn repeats() {
    let c = answers();
    // From outside the repeat, ${year} is every instance's year.
    check_num(&c, "count(${year})", 3.0);
    check_str(&c, "${degree}", "MBChB");
    check_str(&c, "indexed-repeat(${degree}, ${qual}, 2)", "MMed");
    check_str(&c, "indexed-repeat(${degree}, ${qual}, 3)", "PhD");
    check_str(&c, "indexed-repeat(${degree}, ${qual}, 4)", "");
    check_str(&c, "indexed-repeat(${degree}, ${qual}, 0)", "");
    check_str(&c, "indexed-repeat(${degree}, ${qual}, 1.5)", "");
    check_str(
        &c,
        "indexed-repeat(${degree}, ${qual}, count(${qual}))",
        "PhD",
    );
    check_num(
        &c,
        "indexed-repeat(${year}, ${qual}, 2) - indexed-repeat(${year}, ${qual}, 1)",
        6.0,
    );
    check_str(&c, "/data/qual[2]/degree", "MMed");
    check_str(&c, "/data/qual[last()]/degree", "PhD");
    check_str(&c, "/data/qual[position() = 1]/degree", "MBChB");
    check_str(&c, "/data/qual[degree = 'MMed']/year", "2018");
    check_str(&c, "(${degree})[3]", "PhD");
    check_str(&c, "(/data/qual/degree)[last()]", "PhD");

    // Inside the second instance, ${year} is that instance's year.
    let inside = answers().at_in_repeat("qual", 2, "score");
    check_str(&inside, "${year}", "2018");
    check_num(&inside, "count(${year})", 1.0);
    check_num(&inside, "position(..)", 2.0);
    check_str(&inside, "../degree", "MMed");
    check_str(&inside, "current()/../degree", "MMed");
    check_str(&inside, ".", "4");
    check_num(&inside, ". * 2", 8.0);
    check_str(&inside, "${age}", "34");
    check_num(&inside, "count(${qual})", 3.0);
    check_str(
        &inside,
        "indexed-repeat(${degree}, ${qual}, position(..) - 1)",
        "MBChB",
    );
    check(
        &inside,
        "${year} > indexed-repeat(${year}, ${qual}, 1)",
        true,
    );
    check_num(&inside, "count(../../qual)", 3.0);
    check_str(
        &inside,
        "/data/qual[position() = position(current()/..) + 1]/degree",
        "PhD",
    );
}

#[test]
fn paths_and_current_node() {
    let c = answers().at("age");
    check_str(&c, ".", "34");
    check(&c, ". >= 18 and . < 120", true);
    check_str(&c, "../name", "Lineo Mokoena");
    check_str(&c, "/data/name", "Lineo Mokoena");
    check_str(&c, "./../country", "ZA");
    check_str(&c, "current()", "34");
    check_str(&c, "current()/../email", "lineo@example.org");
    check_num(&c, "count(/data/*)", 19.0);
    check_num(&c, "count(/)", 1.0);
    check_num(&c, "count(/data)", 1.0);
    check_num(&c, "count(..)", 1.0);
    check_num(&c, "count(../..)", 1.0);
    check_num(&c, "count(../../..)", 0.0);
    check_num(&c, "string-length()", 2.0);
    check_num(&c, "number()", 34.0);
    check_str(&c, "string()", "34");
    check_str(&c, "normalize-space()", "34");
    check_num(&c, "position()", 1.0);
    check_num(&c, "last()", 1.0);
    check_num(&c, "position(.)", 1.0);
    // In a choice filter the relative path names a column of the choice being tested;
    // here a predicate tests each `qual` instance.
    check_num(&c, "count(/data/qual[score > 3 or year < 2015])", 2.0);
    check_num(&c, "count(/data/qual[score != ''][year != ''])", 2.0);
}

#[test]
fn once_random_and_uuid() {
    let unanswered = answers().at("empty");
    let answered = answers().at("age");
    check_str(&unanswered, "once('first')", "first");
    check_str(&answered, "once('first')", "34");
    let r = eval(&answers(), "random()").to_number();
    assert!((0.0..1.0).contains(&r), "random() gave {r}");
    // The same seed gives the same numbers: randomness comes only from the context.
    assert_eq!(eval(&answers(), "random()"), eval(&answers(), "random()"));
    let u = eval(&answers(), "uuid()").to_xpath_string();
    assert_eq!(u.len(), 36, "{u}");
    assert_eq!(u.as_bytes()[14], b'4', "version 4: {u}");
    check_num(&answers(), "string-length(uuid(12))", 12.0);
    check_str(&answers(), "uuid(0)", "");
    check(&answers(), "regex(uuid(20), '^[0-9a-zA-Z]{20}$')", true);
    check_err(
        &answers(),
        "uuid(-1)",
        "uuid(): the length must be a number from 0 to 10000",
    );
}

#[test]
fn evaluation_errors() {
    let c = answers();
    check_err(
        &c,
        "${missing} + 1",
        "`${missing}` does not name a question, group or repeat of this form",
    );
    check_err(
        &c,
        "count(3)",
        "count(): argument 1 must be a question, group or repeat (a ${reference} or a path), \
         but `3` is a number",
    );
    check_err(
        &c,
        "${age} | 3",
        "`|` joins node-sets (questions and paths), but one side is a number",
    );
    check_err(
        &c,
        ". > 3",
        "`.` refers to the current question, but this expression is not evaluated for a \
         question: use a `${name}` reference instead",
    );
    check_err(
        &c,
        "position(/data/nothing)",
        "position(): the argument selects no node: inside a repeat, write `position(..)`",
    );
    check_err(
        &c,
        "indexed-repeat(${degree}, ${nothing}, 1)",
        "`${nothing}` does not name a question, group or repeat of this form",
    );
    check_err(
        &c,
        "(1)[1]",
        "a predicate `[…]` needs a node-set (a ${reference} or a path), but `1` is a number",
    );
}

#[test]
fn hand_built_trees_are_checked_too() {
    // Trees can be deserialized or built by hand, bypassing the parser's checks.
    let bad = Expr::Call(Call {
        name: "indexed-repeat".to_owned(),
        args: vec![],
        span: 0..0,
    });
    assert_eq!(
        evaluate(&bad, &answers()).map_err(|e| e.to_string()),
        Err("indexed-repeat(): wrong number of arguments (0): write \
             `indexed-repeat(${question}, ${repeat}, position)`"
            .to_owned())
    );
    let unknown = Expr::Call(Call {
        name: "search".to_owned(),
        args: vec![],
        span: 0..0,
    });
    assert_eq!(
        evaluate(&unknown, &answers()).map_err(|e| e.to_string()),
        Err("`search` is not a known function".to_owned())
    );
    check_num(&answers(), "number('2020-01-01Téééééé')", f64::NAN);
    check_num(&answers(), "decimal-time('é12:00:00+02:00')", f64::NAN);
}

/// A context without an instance tree, choice labels or repeats: the trait's defaults.
struct Minimal;

impl Context for Minimal {
    fn reference(&self, name: &str) -> Result<Vec<letsema_expr::Node>, EvalError> {
        Ok(vec![letsema_expr::Node::new(
            letsema_expr::NodeId(1),
            if name == "x" { "5" } else { "" },
        )])
    }
    fn current(&self) -> Option<letsema_expr::Node> {
        None
    }
    fn now(&self) -> DateTime<chrono::FixedOffset> {
        DateTime::parse_from_rfc3339("2000-01-01T23:30:00-05:00").expect("valid")
    }
    fn random(&self) -> f64 {
        0.5
    }
    fn uuid(&self) -> String {
        "00000000-0000-4000-8000-000000000000".to_owned()
    }
}

#[test]
fn minimal_context() {
    let c = Minimal;
    check_num(&c, "${x} * 2", 10.0);
    check_num(&c, "random()", 0.5);
    check_str(&c, "uuid()", "00000000-0000-4000-8000-000000000000");
    // today() is the local date, not the UTC one (04:30 UTC on 2 January).
    check_str(&c, "today()", "2000-01-01");
    check_str(&c, "now()", "2000-01-01T23:30:00.000-05:00");
    check_err(
        &c,
        "/data/x",
        "absolute paths such as `/data/age` need the form's instance tree, which this context \
         does not have: use `${name}` references",
    );
    check_err(
        &c,
        "jr:choice-name('a', '${x}')",
        "jr:choice-name() needs choice labels, which this context does not have",
    );
    check_err(
        &c,
        "indexed-repeat(${x}, ${r}, 1)",
        "indexed-repeat() needs repeats, which this context does not have",
    );
}

#[test]
fn dates_as_odk_collect_reads_them() {
    let c = answers();
    // Unpadded months and days are read in expressions, as every ODK engine reads them.
    check_str(&c, "date('2021-2-3')", "2021-02-03");
    check_str(&c, "date('2021-12-3')", "2021-12-03");
    check(&c, "date('2021-2-3') < date('2021-02-04')", true);
    check(&c, "'2021-2-3' = '2021-2-3'", true);
    check_num(&c, "date('2021-2-3') - date('2021-2-1')", 2.0);
    check_err(
        &c,
        "date('2021-2-30')",
        "date(): `2021-2-30` is not a date: write dates as 'YYYY-MM-DD', date-times as \
         'YYYY-MM-DDTHH:MM:SS', or give a number of days since 1970-01-01",
    );
    // A date-time's date is its date on the device's calendar (here +02:00).
    check_str(&c, "date('2024-01-05T23:30:00Z')", "2024-01-06");
    check_str(&c, "date('2024-01-05T23:30:00+02:00')", "2024-01-05");
    // Comparisons compare instants, whatever the offsets.
    check(
        &c,
        "date-time('2024-01-05T23:30:00Z') = date-time('2024-01-06T01:30:00+02:00')",
        true,
    );
}

#[test]
fn digests_and_encodings() {
    let c = answers();
    // FIPS 180 and RFC 1321 test vectors for 'abc'.
    check_str(
        &c,
        "digest('abc', 'SHA-256', 'hex')",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    check_str(
        &c,
        "digest('abc', 'sha1', 'HEX')",
        "a9993e364706816aba3e25717850c26c9cd0d89d",
    );
    check_str(
        &c,
        "digest('abc', 'SHA-384', 'hex')",
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
    );
    check_str(&c, "digest('abc', 'MD5')", "kAFQmDzST7DWlj99KOF/cg==");
    check_str(
        &c,
        "digest('abc', 'SHA-512', 'hex')",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    );
    // Text is hashed as UTF-8.
    check_str(
        &c,
        "digest('Tšepo', 'MD5', 'hex')",
        "f5210bd046eb65d41e9f542e5b9ceec8",
    );
    check_err(
        &c,
        "digest('abc', 'SHA-3')",
        "digest(): `SHA-3` is not an algorithm it knows: write 'MD5', 'SHA-1', 'SHA-256', \
         'SHA-384' or 'SHA-512'",
    );
    check_err(
        &c,
        "digest('abc', 'MD5', 'base32')",
        "digest(): `base32` is not an encoding it knows: write 'base64' or 'hex'",
    );
    // JavaRosa's Base64DecodeTest.
    check_str(&c, "base64-decode('SGVsbG8=')", "Hello");
    check_str(&c, "base64-decode('RGFzc2Vs')", "Dassel");
    check_str(&c, "base64-decode('w6nDqMOx')", "éèñ");
    check_str(&c, "base64-decode('8J+lsA==')", "🥰");
    check_str(&c, "base64-decode('AGEAYgBj')", "\u{0}a\u{0}b\u{0}c");
    check_str(&c, "base64-decode('a')", "");
    // Bytes that are not UTF-8 read as U+FFFD, as Java's decoder reads them.
    check_str(&c, "base64-decode('/0E=')", "\u{fffd}A");
}

#[test]
fn geography_as_odk_collect_computes_it() {
    // JavaRosa's GeoUtilsTest, path 1: 151,452 m² enclosed, 1,801 m along.
    let path = "38.253094215699576 21.756382658677467 0 0;38.25021274773806 21.756382658677467 0 0;\
                38.25007793942195 21.763892843919166 0 0;38.25290886154963 21.763935759263404 0 0;\
                38.25146813817506 21.758421137528785 0 0";
    let c = answers()
        .with("shape", path)
        .with("inside", "38.2515 21.7600 0 0")
        .with("outside", "38.2600 21.7600 0 0")
        .with_repeat(
            "walk",
            [
                [("point", "0 0 0 0")],
                [("point", "0 1")],
                [("point", "0 2 1500 3.5")],
            ],
        );
    let near = |src: &str, expected: f64| {
        let n = eval(&c, src).to_number();
        assert!(
            (n - expected).abs() < 0.5,
            "`{src}` gave {n}, expected {expected}"
        );
    };
    near("area(${shape})", 151_452.0);
    near("distance(${shape})", 1_801.0);
    // Geopoints in a repeat, or given one by one; the equator's degree is 111,318.8 m.
    near(
        "distance(${point})",
        2.0 * 2.0 * 6_378_100.0 * std::f64::consts::PI / 360.0,
    );
    near(
        "distance('0 0', '0 1')",
        2.0 * 6_378_100.0 * std::f64::consts::PI / 360.0,
    );
    near("area(${point})", 0.0);
    near("area('')", 0.0);
    check(&c, "geofence(${inside}, ${shape})", true);
    check(&c, "geofence(${outside}, ${shape})", false);
    check_err(
        &c,
        "area('north of Maseru')",
        "area(): `north of Maseru` is not a location: give a geopoint ('latitude longitude \
         altitude accuracy', as a geopoint question stores it), or a geotrace or geoshape \
         (geopoints separated by ';')",
    );
    check_err(
        &c,
        "distance('0 0', '91 0')",
        "distance(): `91 0` is not a location: give a geopoint ('latitude longitude altitude \
         accuracy', as a geopoint question stores it), or a geotrace or geoshape (geopoints \
         separated by ';')",
    );
}

#[test]
fn randomize_shuffles_as_odk_collect_does() {
    let c = answers();
    // Park–Miller from seed 1 gives 0.0000078, 0.1315 and 0.7556: MMed first, PhD stays.
    check_str(&c, "join(' ', randomize(${degree}, 1))", "MMed MBChB PhD");
    check_str(&c, "join(' ', randomize(${degree}, '1'))", "MMed MBChB PhD");
    check_num(&c, "count(randomize(${degree}))", 3.0);
    check_num(&c, "count(randomize(${degree}, 'Maseru'))", 3.0);
    check_err(
        &c,
        "randomize('a b c')",
        "randomize(): argument 1 must be a question, group or repeat (a ${reference} or a \
         path), but `'a b c'` is a string",
    );
}

#[test]
fn the_forms_version() {
    check_str(&answers(), "version()", "");
    check_str(&answers().with_version("2026-12"), "version()", "2026-12");
}

/// Secondary instances (ODK XForms spec, "Secondary instances"): a choice list or an
/// attached file read as `instance('id')/root/item`, and Collect's `pulldata()`.
#[test]
fn secondary_instances_and_pulldata() {
    let ctx = answers().with("fruit", "banana").with_instance(
        "fruits",
        [
            [("name", "apple"), ("price", "3"), ("region", "north")],
            [("name", "banana"), ("price", "5"), ("region", "south")],
            [("name", "cherry"), ("price", "12"), ("region", "south")],
            [("name", "banana"), ("price", "99"), ("region", "east")],
        ],
    );
    // A lookup by key, written either way round; the key may be any expression.
    check_num(
        &ctx,
        "instance('fruits')/root/item[name = ${fruit}]/price",
        5.0,
    );
    check_num(
        &ctx,
        "instance('fruits')/root/item[${fruit} = name]/price",
        5.0,
    );
    check_num(
        &ctx,
        "instance('fruits')/root/item[name = concat('ch', 'erry')]/price",
        12.0,
    );
    let at_fruit = ctx.clone().at("fruit");
    check_num(
        &at_fruit,
        "instance('fruits')/root/item[name = current()]/price",
        5.0,
    );
    // Every match is kept, in document order; `[1]` takes the first.
    check_num(
        &ctx,
        "count(instance('fruits')/root/item[name = ${fruit}])",
        2.0,
    );
    check_num(
        &ctx,
        "instance('fruits')/root/item[name = ${fruit}][2]/price",
        99.0,
    );
    // The general predicate gives the same nodes as the keyed one.
    check_num(
        &ctx,
        "count(instance('fruits')/root/item[name = ${fruit} and true()])",
        2.0,
    );
    check_num(
        &ctx,
        "sum(instance('fruits')/root/item[region = 'south']/price)",
        17.0,
    );
    check_num(&ctx, "count(instance('fruits')/root/item[price > 4])", 3.0);
    check_num(
        &ctx,
        "count(instance('fruits')/root/item[position() = last()])",
        1.0,
    );
    check_str(&ctx, "instance('fruits')/root/item[3]/name", "cherry");
    check(&ctx, "instance('fruits')/root/item[name = 'durian']", false);
    check_str(
        &ctx,
        "instance('fruits')/root/item[name = 'durian']/price",
        "",
    );
    // Paths out of an instance stay in it: its items are not questions of the form.
    check_err(
        &ctx,
        "${price}",
        "`${price}` does not name a question, group or repeat of this form",
    );
    // pulldata('id', wanted, key column, key): the first match, '' when none.
    check_num(&ctx, "pulldata('fruits', 'price', 'name', ${fruit})", 5.0);
    check_str(&ctx, "pulldata('fruits', 'region', 'price', 12)", "south");
    check_str(&ctx, "pulldata('fruits', 'price', 'name', 'durian')", "");
    check_str(&ctx, "pulldata('fruits', 'colour', 'name', 'apple')", "");
    check_err(
        &ctx,
        "instance('vegetables')/root/item",
        "instance('vegetables') names nothing this form has: it names a choice list of the \
         form or a file attached to it (`csv-external`, `xml-external`, `pulldata`, \
         `select_one_from_file`)",
    );
    check_err(
        &ctx,
        "pulldata('vegetables', 'price', 'name', 'leek')",
        "instance('vegetables') names nothing this form has: it names a choice list of the \
         form or a file attached to it (`csv-external`, `xml-external`, `pulldata`, \
         `select_one_from_file`)",
    );
}
