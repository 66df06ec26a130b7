//! Property tests: the printed form parses back to the same tree, and nothing panics.
#![cfg(not(target_arch = "wasm32"))] // proptest needs a random source wasm32 lacks

use letsema_expr::{
    BinaryOp, Call, Expr, MapContext, Path, PathStart, Reference, Step, StepTest, evaluate, parse,
};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,5}".prop_filter("operator words", |n| {
        !matches!(n.as_str(), "and" | "or" | "div" | "mod")
    })
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..1_000_000).prop_map(f64::from),
        (0u32..100_000).prop_map(|n| f64::from(n) / 8.0),
        Just(1e21),
    ]
}

fn literal() -> impl Strategy<Value = String> {
    "[a-z '\"${}()-]{0,8}".prop_filter("one kind of quote", |s| {
        !(s.contains('\'') && s.contains('"'))
    })
}

fn reference() -> impl Strategy<Value = Expr> {
    name().prop_map(|name| Expr::Ref(Reference { name, span: 0..0 }))
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        number().prop_map(Expr::Number),
        literal().prop_map(Expr::Literal),
        reference(),
        Just(Expr::Path(Path {
            start: PathStart::Relative,
            steps: vec![Step {
                test: StepTest::SelfNode,
                predicates: vec![],
            }],
        })),
    ]
}

fn op() -> impl Strategy<Value = BinaryOp> {
    prop::sample::select(vec![
        BinaryOp::Or,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Mod,
        BinaryOp::Union,
    ])
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Call(Call {
        name: name.to_owned(),
        args,
        span: 0..0,
    })
}

/// Expression trees as the parser builds them: only shapes the grammar can produce.
fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(5, 48, 4, |inner| {
        let step = (
            prop_oneof![
                Just(StepTest::SelfNode),
                Just(StepTest::Parent),
                Just(StepTest::AnyChild),
                name().prop_map(StepTest::Name),
            ],
            prop::collection::vec(inner.clone(), 0..2),
        )
            .prop_map(|(test, predicates)| {
                // Only name tests and `*` take predicates (XPath's abbreviated steps `.`
                // and `..` cannot).
                let predicates = if matches!(test, StepTest::Name(_) | StepTest::AnyChild) {
                    predicates
                } else {
                    Vec::new()
                };
                Step { test, predicates }
            });
        let start = prop_oneof![
            Just(PathStart::Root),
            Just(PathStart::Relative),
            reference().prop_map(|e| PathStart::Expr(Box::new(e))),
            Just(PathStart::Expr(Box::new(call("current", vec![])))),
            inner.clone().prop_map(|e| PathStart::Expr(Box::new(e))),
        ];
        prop_oneof![
            (op(), inner.clone(), inner.clone()).prop_map(|(op, l, r)| Expr::Binary {
                op,
                lhs: Box::new(l),
                rhs: Box::new(r),
            }),
            inner.clone().prop_map(|e| Expr::Negate(Box::new(e))),
            (start, prop::collection::vec(step, 1..4))
                .prop_map(|(start, steps)| Expr::Path(Path { start, steps })),
            (
                inner
                    .clone()
                    .prop_filter("filters do not nest", |e| !matches!(e, Expr::Filter { .. })),
                prop::collection::vec(inner.clone(), 1..3)
            )
                .prop_map(|(base, predicates)| Expr::Filter {
                    base: Box::new(base),
                    predicates,
                }),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|args| call("concat", args)),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| call("if", vec![a, b, c])),
            inner.clone().prop_map(|a| call("not", vec![a])),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| call("jr:choice-name", vec![a, b])),
            Just(call("true", vec![])),
        ]
    })
}

/// Fragments of expressions, to reach deep into the parser with plausible nonsense.
fn token_soup() -> impl Strategy<Value = String> {
    let tokens = prop::sample::select(vec![
        "${age}",
        "${q}",
        "${qual}",
        "${degree}",
        ".",
        "..",
        "/",
        "/data",
        "data",
        "*",
        "[",
        "]",
        "(",
        ")",
        ",",
        "|",
        "+",
        "-",
        "div",
        "mod",
        "and",
        "or",
        "=",
        "!=",
        "<",
        ">=",
        "1",
        "0",
        "2.5",
        "'x'",
        "\"\"",
        "'2020-01-01'",
        "concat(",
        "if(",
        "count(",
        "selected(",
        "round(",
        "substr(",
        "date(",
        "format-date(",
        "position(",
        "current()",
        "today()",
        "regex(",
        "'[a-'",
        "'^[0-9]+$'",
        "jr:choice-name(",
        "indexed-repeat(",
        "sum(",
        "last()",
        "@",
        "::",
        "$",
        "'%Y %b %3'",
        "once(",
        "uuid(",
        "uuid(5)",
    ]);
    prop::collection::vec(tokens, 0..24).prop_map(|ts| ts.join(" "))
}

fn answers() -> MapContext {
    MapContext::new()
        .with("age", "34")
        .with("q", "a b")
        .with_repeat(
            "qual",
            [
                [("degree", "MBChB"), ("q", "")],
                [("degree", ""), ("q", "x")],
            ],
        )
        .at_in_repeat("qual", 2, "degree")
}

fn reparse(src: &str) -> Expr {
    let mut e = parse(src).unwrap_or_else(|err| panic!("`{src}` does not parse: {err}"));
    e.strip_spans();
    e
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `parse(expr.to_string()) == expr`: the canonical form loses nothing.
    #[test]
    fn display_round_trips(e in expr()) {
        let printed = e.to_string();
        prop_assert_eq!(reparse(&printed), e, "printed as `{}`", printed);
    }

    /// The canonical form of anything that parses parses to the same tree.
    #[test]
    fn canonical_form_is_stable(src in token_soup()) {
        if let Ok(mut e) = parse(&src) {
            e.strip_spans();
            let printed = e.to_string();
            prop_assert_eq!(reparse(&printed), e, "`{}` printed as `{}`", src, printed);
        }
    }

    /// Neither parsing nor evaluating arbitrary text panics.
    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,40}") {
        if let Ok(e) = parse(&src) {
            let _ = evaluate(&e, &answers());
        }
    }

    /// Neither parsing nor evaluating plausible fragments panics; spans stay in bounds.
    #[test]
    fn token_soup_never_panics(src in token_soup()) {
        match parse(&src) {
            Ok(e) => {
                for r in e.references() {
                    prop_assert!(src.get(r.span.clone()).is_some());
                }
                let _ = evaluate(&e, &answers());
            }
            Err(err) => {
                prop_assert!(err.span.start <= err.span.end && err.span.end <= src.len());
                prop_assert!(src.get(err.span.clone()).is_some(), "span on a char boundary");
            }
        }
    }

    /// Generated trees evaluate without panicking too.
    #[test]
    fn generated_trees_never_panic(e in expr()) {
        let _ = evaluate(&e, &answers());
    }

    /// Serialized trees deserialize to the same tree.
    #[test]
    fn serde_round_trips(e in expr()) {
        let json = serde_json::to_string(&e).expect("serializable");
        let back: Expr = serde_json::from_str(&json).expect("deserializable");
        prop_assert_eq!(back, e);
    }
}
