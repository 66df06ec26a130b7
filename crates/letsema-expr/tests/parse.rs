//! Snapshots of the parser: canonical forms, references and error messages with spans.
//! Refresh with `UPDATE_EXPECT=1 cargo test -p letsema-expr --test parse`.

use expect_test::{Expect, expect};
use letsema_expr::parse;

// The same specification runs natively and, as WebAssembly, in headless Chromium
// (`./dev test`): one engine, one truth.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Shows an error under its source, with carets under the span.
fn render_error(src: &str) -> String {
    match parse(src) {
        Ok(e) => format!("parsed as {e}"),
        Err(err) => {
            let start = src[..err.span.start].chars().count();
            let width = src[err.span.clone()].chars().count().max(1);
            format!(
                "{src}\n{}{} {}..{}: {}",
                " ".repeat(start),
                "^".repeat(width),
                err.span.start,
                err.span.end,
                err.message
            )
        }
    }
}

fn check_error(src: &str, expected: Expect) {
    expected.assert_eq(&render_error(src));
}

fn check_canonical(src: &str, expected: Expect) {
    let e = parse(src).unwrap_or_else(|e| panic!("`{src}` does not parse: {e}"));
    expected.assert_eq(&e.to_string());
}

#[test]
fn canonical_forms() {
    check_canonical("${a}+${b}*2", expect!["${a} + ${b} * 2"]);
    check_canonical("(${a}+${b})*2", expect!["(${a} + ${b}) * 2"]);
    check_canonical("1-(2-3)", expect!["1 - (2 - 3)"]);
    check_canonical("(1-2)-3", expect!["1 - 2 - 3"]);
    check_canonical("-(1+2)", expect!["-(1 + 2)"]);
    check_canonical("--1", expect!["--1"]);
    check_canonical("-${a}|${b}", expect!["-${a} | ${b}"]);
    check_canonical("(-${a})|${b}", expect!["(-${a}) | ${b}"]);
    check_canonical(".>=18 and .<=120", expect![". >= 18 and . <= 120"]);
    check_canonical("selected( ${q} , 'a' )", expect!["selected(${q}, 'a')"]);
    check_canonical("\"it's\"", expect![[r#""it's""#]]);
    check_canonical(
        "jr:choice-name(${q},'${q}')",
        expect!["jr:choice-name(${q}, '${q}')"],
    );
    check_canonical(
        "/data/rep[position()=2]/q",
        expect!["/data/rep[position() = 2]/q"],
    );
    check_canonical("current()/../q", expect!["current()/../q"]);
    check_canonical("(${a}|${b})[1]", expect!["(${a} | ${b})[1]"]);
    check_canonical("${g}/q", expect!["${g}/q"]);
    check_canonical("/", expect!["/"]);
    check_canonical("../*", expect!["../*"]);
    check_canonical("2.50", expect!["2.5"]);
    check_canonical("a or b and c", expect!["a or b and c"]);
    check_canonical("(a or b) and c", expect!["(a or b) and c"]);
    check_canonical("1 = (2 = 3)", expect!["1 = (2 = 3)"]);
    check_canonical("div div div", expect!["div div div"]);
    check_canonical(
        "count-selected(${a})-1",
        expect!["count-selected(${a}) - 1"],
    );
    check_canonical("a-1", expect!["a-1"]);
}

#[test]
fn references_in_source_order() {
    let e = parse("if(${b} > 0, concat(${a}, ${b}), ${c}[. = ${d}])").expect("valid");
    let refs: Vec<String> = e
        .references()
        .into_iter()
        .map(|r| format!("{}@{}..{}", r.name, r.span.start, r.span.end))
        .collect();
    expect![[r#"["b@3..7", "a@20..24", "b@26..30", "c@33..37", "d@42..46"]"#]]
        .assert_eq(&format!("{refs:?}"));
}

#[test]
fn syntax_errors() {
    check_error(
        "concat(${a}, 'b'",
        expect![[r#"
            concat(${a}, 'b'
                            ^ 16..16: expected `,` or `)` to close the call to `concat` opened at 6, but found the end of the expression"#]],
    );
    check_error(
        "(1 + 2",
        expect![[r#"
            (1 + 2
                  ^ 6..6: expected `)` to close the parenthesis opened at 0, but found the end of the expression"#]],
    );
    check_error(
        "1 +",
        expect![[r#"
            1 +
              ^ 2..3: `+` needs a value on its right, but the expression ends here"#]],
    );
    check_error(
        "${age} >= ",
        expect![[r#"
            ${age} >= 
                   ^^ 7..9: `>=` needs a value on its right, but the expression ends here"#]],
    );
    check_error(
        "${age} 18",
        expect![[r#"
            ${age} 18
                   ^^ 7..9: unexpected `18` after a complete expression: is an operator such as `and`, `+` or `,` missing before it?"#]],
    );
    check_error(
        "'unclosed",
        expect![[r#"
            'unclosed
            ^^^^^^^^^ 0..9: this string is never closed: add a closing ' (a string cannot contain its own quote; use the other quote, or concat())"#]],
    );
    check_error(
        "${age",
        expect![[r#"
            ${age
            ^^^^^ 0..5: this `${` reference is never closed: write `${name}`"#]],
    );
    check_error(
        "${} = 1",
        expect![[r#"
            ${} = 1
            ^^^ 0..3: `${}` is not a valid reference: write the name of a question, group or repeat, as in `${age}`"#]],
    );
    check_error(
        "${first name}",
        expect![[r#"
            ${first name}
            ^^^^^^^^^^^^^ 0..13: `${first name}` is not a valid reference: write the name of a question, group or repeat, as in `${age}`"#]],
    );
    check_error(
        "$age > 1",
        expect![[r#"
            $age > 1
            ^^^^ 0..4: `$age` is an XPath variable, which forms do not have: to refer to a question write `${age}`"#]],
    );
    check_error(
        "",
        expect![[r#"
            
            ^ 0..0: the expression is empty: write a value, a condition or a calculation"#]],
    );
    check_error(
        "1 # 2",
        expect![[r#"
            1 # 2
              ^ 2..3: unexpected character `#`"#]],
    );
    check_error(
        "= 3",
        expect![[r#"
            = 3
            ^ 0..1: expected a value (a number, a 'string', a ${reference}, a function call or a path), but found `=`"#]],
    );
    check_error(
        "//q",
        expect![[r#"
            //q
            ^^ 0..2: `//` (any descendant) is not supported: write the full path, or refer to the question as `${name}`"#]],
    );
    check_error(
        "../@id",
        expect![[r#"
            ../@id
               ^ 3..4: attributes (`@name`) are not supported: refer to questions with `${name}` or a path of element names"#]],
    );
    check_error(
        "ancestor::x",
        expect![[r#"
            ancestor::x
            ^^^^^^^^^^ 0..10: the `ancestor::` axis is not supported: use `.`, `..` and element names"#]],
    );
    check_error(
        "/data/",
        expect![[r#"
            /data/
                 ^ 5..6: a path cannot end with `/`: add the name of the next step"#]],
    );
    check_error(
        "/data/rep[1",
        expect![[r#"
            /data/rep[1
                       ^ 11..11: expected `]` to close the predicate opened at 9, but found the end of the expression"#]],
    );
}

#[test]
fn function_errors() {
    check_error(
        "concatenate(${a}, ${b})",
        expect![[r#"
            concatenate(${a}, ${b})
            ^^^^^^^^^^^ 0..11: `concatenate` is not a known function: see the list of functions in the ODK XForms specification"#]],
    );
    check_error(
        "choice-name(${q}, '${q}')",
        expect![[r#"
            choice-name(${q}, '${q}')
            ^^^^^^^^^^^ 0..11: `choice-name` is not a known function: did you mean `jr:choice-name`?"#]],
    );
    check_error(
        "count_selected(${q})",
        expect![[r#"
            count_selected(${q})
            ^^^^^^^^^^^^^^ 0..14: `count_selected` is not a known function: did you mean `count-selected`?"#]],
    );
    check_error(
        "Today()",
        expect![[r#"
            Today()
            ^^^^^ 0..5: `Today` is not a known function: did you mean `today`?"#]],
    );
    check_error(
        "1 + round(1, 2, 3)",
        expect![[r#"
            1 + round(1, 2, 3)
                ^^^^^^^^^^^^^^ 4..18: `round` takes 1 or 2 arguments, but 3 were given: write `round(number)` or `round(number, digits)`"#]],
    );
    check_error(
        "if(${a}, 'x')",
        expect![[r#"
            if(${a}, 'x')
            ^^^^^^^^^^^^^ 0..13: `if` takes 3 arguments, but 2 were given: write `if(condition, value if true, value if false)`"#]],
    );
    check_error(
        "today(1)",
        expect![[r#"
            today(1)
            ^^^^^^^^ 0..8: `today` takes 0 arguments, but 1 was given: write `today()`"#]],
    );
    check_error(
        "selected(${q})",
        expect![[r#"
            selected(${q})
            ^^^^^^^^^^^^^^ 0..14: `selected` takes 2 arguments, but 1 was given: write `selected(${question}, 'choice')`"#]],
    );
    check_error(
        "join()",
        expect![[r#"
            join()
            ^^^^^^ 0..6: `join` takes at least 1 argument, but 0 were given: write `join(separator, ${question}, …)`"#]],
    );
    check_error(
        "indexed-repeat(${q}, ${r})",
        expect![[r#"
            indexed-repeat(${q}, ${r})
            ^^^^^^^^^^^^^^^^^^^^^^^^^^ 0..26: `indexed-repeat` takes 3, 5 or 7 arguments (a question, then pairs of a repeat and a position), but 2 were given: write `indexed-repeat(${question}, ${repeat}, position)`"#]],
    );
    check_error(
        "indexed-repeat('q', ${r}, 1)",
        expect![[r#"
            indexed-repeat('q', ${r}, 1)
            ^^^^^^^^^^^^^^^^^^^^^^^^^^^^ 0..28: argument 1 of `indexed-repeat` must be a ${question} reference: write `indexed-repeat(${question}, ${repeat}, position)`"#]],
    );
    check_error(
        "jr:itext('id')",
        expect![[r#"
            jr:itext('id')
            ^^^^^^^^ 0..8: `jr:itext` is not a known function: see the list of functions in the ODK XForms specification"#]],
    );
}

#[test]
fn nesting_limits() {
    let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    let err = parse(&deep).expect_err("too deep");
    expect![
        "the expression nests more than 64 levels deep here: split it into several calculations"
    ]
    .assert_eq(&err.message);
    let long = vec!["1"; 200].join(" + ");
    let err = parse(&long).expect_err("too long a chain");
    expect!["the expression is more than 128 operations deep: split it into several calculations"]
        .assert_eq(&err.message);
    // A long but shallow expression is fine.
    let wide = format!("concat({})", vec!["'x'"; 500].join(", "));
    assert!(parse(&wide).is_ok());
}
