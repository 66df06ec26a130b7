//! Expressions of the kind the diaspora registration form uses, against one member's
//! answers: consent gating, "specify other", age from date of birth, constraints, choice
//! filters and the qualifications repeat.

use chrono::DateTime;
use letsema_expr::{Context, MapContext, Value, evaluate, evaluate_at, parse};

// The same specification runs natively and, as WebAssembly, in headless Chromium
// (`./dev test`): one engine, one truth.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn member() -> MapContext {
    MapContext::new()
        .with("consent", "yes")
        .with("dob", "1988-11-02")
        .with("country", "other")
        .with("country_other", "Namibia")
        .with("years_abroad", "12")
        .with("profession", "midwife")
        .with("engagement", "skills_transfer short_term telemedicine")
        .with("months_available", "3")
        .with("phone", "+27 82 555 0101")
        .with("email", "m.thabane@example.org")
        .with("comments", "")
        .with_repeat(
            "qualification",
            [
                [
                    ("degree", "diploma"),
                    ("institution", "NHTC"),
                    ("year", "2009"),
                ],
                [("degree", "bsc"), ("institution", "Wits"), ("year", "2016")],
            ],
        )
        .with_now(DateTime::parse_from_rfc3339("2025-06-15T08:00:00+02:00").expect("valid"))
        .with_choice_label("profession", "midwife", "Midwife")
        .with_choice_label("country", "other", "Other")
}

fn value(ctx: &MapContext, src: &str) -> Value {
    let e = parse(src).unwrap_or_else(|e| panic!("`{src}`: {e}"));
    evaluate(&e, ctx).unwrap_or_else(|e| panic!("`{src}`: {e}"))
}

#[track_caller]
fn holds(ctx: &MapContext, src: &str, expected: bool) {
    assert_eq!(value(ctx, src).to_boolean(), expected, "`{src}`");
}

#[track_caller]
fn gives(ctx: &MapContext, src: &str, expected: &str) {
    assert_eq!(value(ctx, src).to_xpath_string(), expected, "`{src}`");
}

#[test]
fn relevance() {
    let m = member();
    holds(&m, "${consent} = 'yes'", true);
    holds(&m, "${country} = 'other'", true);
    holds(
        &m,
        "selected('doctor nurse midwife pharmacist', ${profession})",
        true,
    );
    holds(
        &m,
        "${profession} = 'doctor' or ${profession} = 'nurse' or ${profession} = 'midwife'",
        true,
    );
    holds(&m, "selected(${engagement}, 'short_term')", true);
    holds(&m, "selected(${engagement}, 'investment')", false);
    holds(&m, "count-selected(${engagement}) >= 2", true);
    holds(&m, "${comments} != ''", false);
}

#[test]
fn calculations() {
    let m = member();
    gives(&m, "int((today() - date(${dob})) div 365.25)", "36");
    gives(
        &m,
        "if(${country} = 'other', ${country_other}, jr:choice-name(${country}, '${country}'))",
        "Namibia",
    );
    gives(
        &m,
        "jr:choice-name(${profession}, '${profession}')",
        "Midwife",
    );
    gives(&m, "count(${qualification})", "2");
    gives(&m, "max(${year})", "2016");
    gives(&m, "join(', ', ${degree})", "diploma, bsc");
    gives(&m, "format-date(${dob}, '%e %b %Y')", "2 Nov 1988");
    gives(&m, "concat('uuid:', substr(uuid(), 0, 0))", "uuid:");
}

#[test]
fn constraints() {
    let years = member().at("years_abroad");
    holds(
        &years,
        ". >= 0 and . <= int((today() - date(${dob})) div 365.25)",
        true,
    );
    let months = member().at("months_available");
    holds(&months, ". >= 1 and . <= 12", true);
    let phone = member().at("phone");
    holds(&phone, "regex(., '^\\+?[0-9 ]{9,15}$')", true);
    let email = member().at("email");
    holds(
        &email,
        "regex(., '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$')",
        true,
    );
    let year = member().at_in_repeat("qualification", 2, "year");
    holds(
        &year,
        ". >= format-date(${dob}, '%Y') + 15 and . <= format-date(today(), '%Y')",
        true,
    );
    holds(
        &year,
        "position(..) = 1 or . >= indexed-repeat(${year}, ${qualification}, position(..) - 1)",
        true,
    );
}

#[test]
fn choice_filter() {
    // A choice filter is evaluated once per choice, with the choice as the context node;
    // here the qualification instances stand in for choices with a `degree` column.
    let m = member().at("country");
    gives(
        &m,
        "count(/data/qualification[degree = 'bsc' or year < 2010])",
        "2",
    );
    gives(
        &m,
        "/data/qualification[institution = 'Wits']/degree",
        "bsc",
    );

    // The runtime's way: evaluate the filter once per choice, the choice being the
    // context node; `current()` and `${…}` still see the question.
    let filter =
        parse("year > 2010 and current() = 'other' and ${consent} = 'yes'").expect("valid");
    let kept: Vec<bool> = m
        .reference("qualification")
        .expect("a repeat")
        .into_iter()
        .map(|choice| {
            evaluate_at(&filter, &m, choice)
                .expect("evaluates")
                .to_boolean()
        })
        .collect();
    assert_eq!(kept, [false, true]);
}
