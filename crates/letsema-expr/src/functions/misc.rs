//! Logic, select, node-set, repeat and identifier functions.

use super::Args;
use crate::ast::Expr;
use crate::error::EvalError;
use crate::value::{Node, Value, is_xml_space, string_to_number};

type R = Result<Value, EvalError>;

/// The longest `uuid(n)` may ask for: a guard against runaway allocations.
const MAX_UUID_LENGTH: f64 = 10_000.0;

/// `if(condition, then, else)`: only the chosen branch is evaluated.
pub(super) fn if_(a: &mut Args<'_, '_>) -> R {
    if a.boolean(0)? {
        a.value(1)
    } else {
        a.value(2)
    }
}

/// `not(x)`.
pub(super) fn not(a: &mut Args<'_, '_>) -> R {
    Ok(Value::Boolean(!a.boolean(0)?))
}

/// `true()`.
pub(super) fn true_(_: &mut Args<'_, '_>) -> R {
    Ok(Value::Boolean(true))
}

/// `false()`.
pub(super) fn false_(_: &mut Args<'_, '_>) -> R {
    Ok(Value::Boolean(false))
}

/// `boolean(x)`: XPath 1.0 §4.3 (note `boolean('false')` is true).
pub(super) fn boolean(a: &mut Args<'_, '_>) -> R {
    Ok(Value::Boolean(a.boolean(0)?))
}

/// `boolean-from-string(s)`: true for exactly `'true'` and `'1'`, false for anything else.
pub(super) fn boolean_from_string(a: &mut Args<'_, '_>) -> R {
    let s = a.string(0)?;
    Ok(Value::Boolean(s == "true" || s == "1"))
}

/// `coalesce(a, b)`: `a` if it is not empty, else `b`.
pub(super) fn coalesce(a: &mut Args<'_, '_>) -> R {
    let first = a.string(0)?;
    if !first.is_empty() {
        return Ok(Value::String(first));
    }
    Ok(Value::String(a.string(1)?))
}

/// `once(x)`: the current node's value if it is not empty, else `x` (so that
/// `once(random())` or `once(now())` is computed only once).
pub(super) fn once(a: &mut Args<'_, '_>) -> R {
    match a.ctx().current() {
        Some(node) if !node.value.is_empty() => Ok(Value::String(node.value)),
        _ => a.value(0),
    }
}

/// Whether a checklist answer counts as checked: its number is greater than 0.
fn checked(s: &str) -> bool {
    string_to_number(s) > 0.0
}

/// Whether `n` lies within `min..=max`, where -1 (any negative number) means no bound.
fn within(n: f64, min: f64, max: f64) -> bool {
    (min < 0.0 || n >= min) && (max < 0.0 || n <= max)
}

/// `checklist(min, max, v*)`: whether the number of checked answers (numbers above 0;
/// every node of node-sets) is within `min` and `max`, -1 meaning no bound.
pub(super) fn checklist(a: &mut Args<'_, '_>) -> R {
    let min = a.number(0)?;
    let max = a.number(1)?;
    let mut count = 0.0;
    for i in 2..a.len() {
        count += a.strings(i)?.iter().filter(|s| checked(s)).count() as f64;
    }
    Ok(Value::Boolean(within(count, min, max)))
}

/// `weighted-checklist(min, max, (v, w)*)`: like `checklist`, summing the weight `w` of
/// each checked answer `v`.
pub(super) fn weighted_checklist(a: &mut Args<'_, '_>) -> R {
    if !a.len().is_multiple_of(2) {
        return Err(EvalError::invalid_argument(
            a.name(),
            "after min and max, give pairs of an answer and its weight",
        ));
    }
    let min = a.number(0)?;
    let max = a.number(1)?;
    let mut total = 0.0;
    for i in (2..a.len()).step_by(2) {
        let values = a.strings(i)?;
        let weights = a.strings(i + 1)?;
        if values.len() != weights.len() {
            return Err(EvalError::invalid_argument(
                a.name(),
                format!(
                    "argument {} has {} values but its weights (argument {}) have {}",
                    i + 1,
                    values.len(),
                    i + 2,
                    weights.len()
                ),
            ));
        }
        for (v, w) in values.iter().zip(&weights) {
            if checked(v) {
                total += string_to_number(w);
            }
        }
    }
    Ok(Value::Boolean(within(total, min, max)))
}

/// The items of a select-multiple answer: space-separated values.
fn items(list: &str) -> impl Iterator<Item = &str> {
    list.split(is_xml_space).filter(|s| !s.is_empty())
}

/// `selected(list, value)`: whether `value` is one of the space-separated items.
pub(super) fn selected(a: &mut Args<'_, '_>) -> R {
    let list = a.string(0)?;
    let value = a.string(1)?;
    let value = value.trim_matches(is_xml_space);
    if value.is_empty() {
        // As ODK Collect (JavaRosa) reads it: `' ' + list + ' '` contains `'  '`, so the
        // empty value is selected in an empty list (`selected('', '')` is true).
        return Ok(Value::Boolean(format!(" {list} ").contains("  ")));
    }
    Ok(Value::Boolean(items(&list).any(|i| i == value)))
}

/// `randomize(nodes, seed?)`: the nodes shuffled as ODK Collect shuffles them (the same
/// order for the same seed on every engine); without a seed, by the context's random numbers.
pub(super) fn randomize(a: &mut Args<'_, '_>) -> R {
    let nodes = a.nodes(0)?;
    let shuffled = if a.len() > 1 {
        let seed = crate::shuffle::seed_of(&a.value(1)?);
        crate::shuffle::shuffle_seeded(nodes, seed)
    } else {
        let ctx = a.ctx();
        crate::shuffle::shuffle_with(nodes, || ctx.random())
    };
    Ok(Value::Nodes(shuffled))
}

/// `version()`: the form's version (`''` when the form has none).
pub(super) fn version(a: &mut Args<'_, '_>) -> R {
    Ok(Value::String(a.ctx().form_version()))
}

/// `selected-at(list, index)`: the item at the 0-based index, `''` when there is none.
pub(super) fn selected_at(a: &mut Args<'_, '_>) -> R {
    let list = a.string(0)?;
    let n = a.number(1)?;
    let item = if n.is_finite() && n >= 0.0 {
        items(&list).nth(n.trunc() as usize).unwrap_or_default()
    } else {
        ""
    };
    Ok(Value::String(item.to_owned()))
}

/// `count-selected(list)`: the number of space-separated items.
pub(super) fn count_selected(a: &mut Args<'_, '_>) -> R {
    let list = a.string(0)?;
    Ok(Value::Number(items(&list).count() as f64))
}

/// `jr:choice-name(value, '${question}')`: the label of a choice of a select question in
/// the current language, `''` when there is no such choice. The question can be written
/// `'${name}'` (XLSForm) or as a path such as `'/data/name'` (its last step is used).
pub(super) fn choice_name(a: &mut Args<'_, '_>) -> R {
    let value = a.string(0)?;
    let question = a.string(1)?;
    let q = question.trim();
    let name = q
        .strip_prefix("${")
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or_else(|| q.rsplit('/').next().unwrap_or(q));
    let label = a.ctx().choice_label(name, value.trim())?;
    Ok(Value::String(label.unwrap_or_default()))
}

/// `count(nodes)`: the number of nodes, e.g. instances of a repeat.
pub(super) fn count(a: &mut Args<'_, '_>) -> R {
    Ok(Value::Number(a.nodes(0)?.len() as f64))
}

/// `count-non-empty(nodes)`: the number of nodes whose value is not empty.
pub(super) fn count_non_empty(a: &mut Args<'_, '_>) -> R {
    let n = a.nodes(0)?.iter().filter(|n| !n.value.is_empty()).count();
    Ok(Value::Number(n as f64))
}

/// `position()`: the position in the node-set a predicate filters (1 outside predicates);
/// `position(node)`: ODK's position of `node` among its same-name siblings, so that
/// `position(..)` inside a repeat is the number of the current instance.
pub(super) fn position(a: &mut Args<'_, '_>) -> R {
    if a.len() == 0 {
        return Ok(Value::Number(a.focus().position as f64));
    }
    let nodes = a.nodes(0)?;
    let Some(node) = nodes.first() else {
        return Err(EvalError::invalid_argument(
            a.name(),
            "the argument selects no node: inside a repeat, write `position(..)`",
        ));
    };
    Ok(Value::Number(a.ctx().position(node.id)? as f64))
}

/// `last()`: the size of the node-set a predicate filters (1 outside predicates).
pub(super) fn last(a: &mut Args<'_, '_>) -> R {
    Ok(Value::Number(a.focus().size as f64))
}

/// `current()`: the node the whole expression is evaluated for, even inside predicates.
pub(super) fn current(a: &mut Args<'_, '_>) -> R {
    let node: Node = a.ctx().current().ok_or_else(|| EvalError::NoCurrentNode {
        what: "current()".to_owned(),
    })?;
    Ok(Value::Nodes(vec![node]))
}

/// The name of the `${name}` reference at argument `i`.
fn ref_name(a: &Args<'_, '_>, expr: &Expr, i: usize) -> Result<String, EvalError> {
    match expr {
        Expr::Ref(r) => Ok(r.name.clone()),
        other => Err(EvalError::invalid_argument(
            a.name(),
            format!("argument {} must be a ${{reference}}, not `{other}`", i + 1),
        )),
    }
}

/// `indexed-repeat(${q}, ${repeat1}, n1, …)`: the node of `q` in instance `n1` of
/// `repeat1` (and instance `n2` of the nested `repeat2`, …); an empty node-set, which
/// reads as `''`, when there is no such instance.
pub(super) fn indexed_repeat(a: &mut Args<'_, '_>) -> R {
    let call = a.call;
    let question = match call.args.first() {
        Some(e) => ref_name(a, e, 0)?,
        None => {
            return Err(EvalError::invalid_argument(
                a.name(),
                "the question is missing",
            ));
        }
    };
    let mut repeats = Vec::new();
    let mut valid = true;
    for i in (1..call.args.len()).step_by(2) {
        let name = ref_name(a, &call.args[i], i)?;
        let n = a.number(i + 1)?;
        if !(n.is_finite() && n >= 1.0 && n.fract() == 0.0 && n < 1e9) {
            valid = false;
        }
        repeats.push((name, n as usize));
    }
    if !valid {
        return Ok(Value::Nodes(Vec::new()));
    }
    let repeats: Vec<(&str, usize)> = repeats.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    Ok(Value::Nodes(a.ctx().indexed_repeat(&question, &repeats)?))
}

/// `uuid()`: a version 4 UUID from the context; `uuid(n)`: `n` random letters and digits.
pub(super) fn uuid(a: &mut Args<'_, '_>) -> R {
    if a.len() == 0 {
        return Ok(Value::String(a.ctx().uuid()));
    }
    let n = a.number(0)?;
    if !(0.0..=MAX_UUID_LENGTH).contains(&n) {
        return Err(EvalError::invalid_argument(
            a.name(),
            format!("the length must be a number from 0 to {MAX_UUID_LENGTH}"),
        ));
    }
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let ctx = a.ctx();
    let s = (0..n as usize)
        .map(|_| {
            let i = (ctx.random() * ALPHABET.len() as f64) as usize;
            char::from(ALPHABET[i.min(ALPHABET.len() - 1)])
        })
        .collect();
    Ok(Value::String(s))
}

/// `instance('id')`: the document node of a secondary instance (a choice list, an attached
/// file), which paths continue from: `instance('id')/root/item`.
pub(super) fn instance(a: &mut Args<'_, '_>) -> R {
    let id = a.string(0)?;
    Ok(Value::Nodes(vec![a.ctx().instance(&id)?]))
}

/// `pulldata('id', 'wanted', 'key column', key)`: the `wanted` column of the first item of
/// instance `id` whose `key column` equals `key` (ODK Collect's lookup in an attached CSV
/// file), `''` when no item matches. The same as
/// `instance('id')/root/item[key_column = key][1]/wanted`.
pub(super) fn pulldata(a: &mut Args<'_, '_>) -> R {
    let id = a.string(0)?;
    let wanted = a.string(1)?;
    let key_column = a.string(2)?;
    let key = a.string(3)?;
    let ctx = a.ctx();
    let document = ctx.instance(&id)?;
    for root in ctx.children(document.id, None)? {
        if let Some(found) = ctx.lookup(root.id, "item", &key_column, &key)? {
            let value = match found.first() {
                Some(item) => ctx
                    .children(item.id, Some(&wanted))?
                    .into_iter()
                    .next()
                    .map(|cell| cell.value)
                    .unwrap_or_default(),
                None => String::new(),
            };
            return Ok(Value::String(value));
        }
        for item in ctx.children(root.id, Some("item"))? {
            let matches = ctx
                .children(item.id, Some(&key_column))?
                .iter()
                .any(|cell| cell.value == key);
            if matches {
                let value = ctx
                    .children(item.id, Some(&wanted))?
                    .into_iter()
                    .next()
                    .map(|cell| cell.value)
                    .unwrap_or_default();
                return Ok(Value::String(value));
            }
        }
    }
    Ok(Value::String(String::new()))
}
