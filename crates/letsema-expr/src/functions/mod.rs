//! The function library: the XPath 1.0 core functions forms use, and the ODK XForms
//! extensions (ODK XForms spec, "XPath Functions").
//!
//! Arguments are converted as XPath 1.0 §3.2 says: a function that wants a string calls
//! `string()` on its argument, so a node-set gives its first node's value.

mod dates;
mod encodings;
mod geo;
mod misc;
mod numbers;
mod strings;

use crate::ast::Call;
use crate::context::Context;
use crate::error::EvalError;
use crate::eval::{Evaluator, Focus};
use crate::value::{Node, Value};

/// How many arguments a function takes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arity {
    Exactly(usize),
    Range(usize, usize),
    AtLeast(usize),
    /// 3, 5 or 7: `indexed-repeat(${q}, ${r1}, n1[, ${r2}, n2[, ${r3}, n3]])`.
    IndexedRepeat,
}

impl Arity {
    /// Whether `n` arguments are acceptable.
    pub(crate) fn accepts(self, n: usize) -> bool {
        match self {
            Arity::Exactly(k) => n == k,
            Arity::Range(lo, hi) => (lo..=hi).contains(&n),
            Arity::AtLeast(lo) => n >= lo,
            Arity::IndexedRepeat => (3..=7).contains(&n) && n % 2 == 1,
        }
    }
}

/// A function's implementation.
type Impl = fn(&mut Args<'_, '_>) -> Result<Value, EvalError>;

/// A library function.
pub(crate) struct Function {
    pub name: &'static str,
    pub arity: Arity,
    /// How to call it, for error messages.
    pub usage: &'static str,
    imp: Impl,
}

macro_rules! f {
    ($name:literal, $arity:expr, $usage:literal, $imp:path) => {
        Function {
            name: $name,
            arity: $arity,
            usage: $usage,
            imp: $imp,
        }
    };
}

use Arity::{AtLeast, Exactly, IndexedRepeat, Range};

static FUNCTIONS: &[Function] = &[
    // Logic.
    f!(
        "if",
        Exactly(3),
        "write `if(condition, value if true, value if false)`",
        misc::if_
    ),
    f!("not", Exactly(1), "write `not(condition)`", misc::not),
    f!("true", Exactly(0), "write `true()`", misc::true_),
    f!("false", Exactly(0), "write `false()`", misc::false_),
    f!(
        "boolean",
        Exactly(1),
        "write `boolean(value)`",
        misc::boolean
    ),
    f!(
        "boolean-from-string",
        Exactly(1),
        "write `boolean-from-string(text)`",
        misc::boolean_from_string
    ),
    f!(
        "coalesce",
        Exactly(2),
        "write `coalesce(value, fallback)`",
        misc::coalesce
    ),
    f!("once", Exactly(1), "write `once(value)`", misc::once),
    f!(
        "checklist",
        AtLeast(2),
        "write `checklist(min, max, answer, …)`",
        misc::checklist
    ),
    f!(
        "weighted-checklist",
        AtLeast(2),
        "write `weighted-checklist(min, max, answer, weight, …)`",
        misc::weighted_checklist
    ),
    // Selects.
    f!(
        "selected",
        Exactly(2),
        "write `selected(${question}, 'choice')`",
        misc::selected
    ),
    f!(
        "selected-at",
        Exactly(2),
        "write `selected-at(${question}, index)` with a 0-based index",
        misc::selected_at
    ),
    f!(
        "count-selected",
        Exactly(1),
        "write `count-selected(${question})`",
        misc::count_selected
    ),
    f!(
        "jr:choice-name",
        Exactly(2),
        "write `jr:choice-name(${question}, '${question}')`",
        misc::choice_name
    ),
    // Node-sets and repeats.
    f!("count", Exactly(1), "write `count(${repeat})`", misc::count),
    f!(
        "count-non-empty",
        Exactly(1),
        "write `count-non-empty(${question})`",
        misc::count_non_empty
    ),
    f!(
        "position",
        Range(0, 1),
        "write `position(..)` inside a repeat",
        misc::position
    ),
    f!(
        "last",
        Exactly(0),
        "write `last()` inside a predicate",
        misc::last
    ),
    f!("current", Exactly(0), "write `current()`", misc::current),
    f!(
        "indexed-repeat",
        IndexedRepeat,
        "write `indexed-repeat(${question}, ${repeat}, position)`",
        misc::indexed_repeat
    ),
    f!(
        "uuid",
        Range(0, 1),
        "write `uuid()` or `uuid(length)`",
        misc::uuid
    ),
    // Strings.
    f!(
        "string",
        Range(0, 1),
        "write `string(value)`",
        strings::string
    ),
    f!(
        "concat",
        AtLeast(0),
        "write `concat(value, value, …)`",
        strings::concat
    ),
    f!(
        "join",
        AtLeast(1),
        "write `join(separator, ${question}, …)`",
        strings::join
    ),
    f!(
        "string-length",
        Range(0, 1),
        "write `string-length(text)`",
        strings::string_length
    ),
    f!(
        "substr",
        Range(2, 3),
        "write `substr(text, start, end)` with 0-based positions",
        strings::substr
    ),
    f!(
        "substring",
        Range(2, 3),
        "write `substring(text, start, length)` with a 1-based start",
        strings::substring
    ),
    f!(
        "substring-before",
        Exactly(2),
        "write `substring-before(text, separator)`",
        strings::substring_before
    ),
    f!(
        "substring-after",
        Exactly(2),
        "write `substring-after(text, separator)`",
        strings::substring_after
    ),
    f!(
        "contains",
        Exactly(2),
        "write `contains(text, part)`",
        strings::contains
    ),
    f!(
        "starts-with",
        Exactly(2),
        "write `starts-with(text, prefix)`",
        strings::starts_with
    ),
    f!(
        "ends-with",
        Exactly(2),
        "write `ends-with(text, suffix)`",
        strings::ends_with
    ),
    f!(
        "translate",
        Exactly(3),
        "write `translate(text, from, to)`",
        strings::translate
    ),
    f!(
        "normalize-space",
        Range(0, 1),
        "write `normalize-space(text)`",
        strings::normalize_space
    ),
    f!(
        "regex",
        Exactly(2),
        "write `regex(text, 'pattern')`",
        strings::regex
    ),
    // Numbers.
    f!(
        "number",
        Range(0, 1),
        "write `number(value)`",
        numbers::number
    ),
    f!("int", Exactly(1), "write `int(number)`", numbers::int),
    f!(
        "round",
        Range(1, 2),
        "write `round(number)` or `round(number, digits)`",
        numbers::round
    ),
    f!("floor", Exactly(1), "write `floor(number)`", numbers::floor),
    f!(
        "ceiling",
        Exactly(1),
        "write `ceiling(number)`",
        numbers::ceiling
    ),
    f!("abs", Exactly(1), "write `abs(number)`", numbers::abs),
    f!(
        "pow",
        Exactly(2),
        "write `pow(base, exponent)`",
        numbers::pow
    ),
    f!("sqrt", Exactly(1), "write `sqrt(number)`", numbers::sqrt),
    f!("exp", Exactly(1), "write `exp(number)`", numbers::exp),
    f!("exp10", Exactly(1), "write `exp10(number)`", numbers::exp10),
    f!("log", Exactly(1), "write `log(number)`", numbers::log),
    f!("log10", Exactly(1), "write `log10(number)`", numbers::log10),
    f!("sin", Exactly(1), "write `sin(radians)`", numbers::sin),
    f!("cos", Exactly(1), "write `cos(radians)`", numbers::cos),
    f!("tan", Exactly(1), "write `tan(radians)`", numbers::tan),
    f!("asin", Exactly(1), "write `asin(number)`", numbers::asin),
    f!("acos", Exactly(1), "write `acos(number)`", numbers::acos),
    f!("atan", Exactly(1), "write `atan(number)`", numbers::atan),
    f!("atan2", Exactly(2), "write `atan2(y, x)`", numbers::atan2),
    f!("pi", Exactly(0), "write `pi()`", numbers::pi),
    f!("random", Exactly(0), "write `random()`", numbers::random),
    f!(
        "sum",
        Exactly(1),
        "write `sum(${question in a repeat})`",
        numbers::sum
    ),
    f!(
        "min",
        AtLeast(1),
        "write `min(value, …)` or `min(${question in a repeat})`",
        numbers::min
    ),
    f!(
        "max",
        AtLeast(1),
        "write `max(value, …)` or `max(${question in a repeat})`",
        numbers::max
    ),
    // Dates and times.
    f!("today", Exactly(0), "write `today()`", dates::today),
    f!("now", Exactly(0), "write `now()`", dates::now),
    f!(
        "date",
        Exactly(1),
        "write `date('YYYY-MM-DD')` or `date(days since 1970-01-01)`",
        dates::date
    ),
    f!(
        "date-time",
        Exactly(1),
        "write `date-time('YYYY-MM-DDTHH:MM:SS')` or `date-time(days)`",
        dates::date_time
    ),
    f!(
        "decimal-date-time",
        Exactly(1),
        "write `decimal-date-time(date-time)`",
        dates::decimal_date_time
    ),
    f!(
        "decimal-time",
        Exactly(1),
        "write `decimal-time('HH:MM:SS')`",
        dates::decimal_time
    ),
    f!(
        "format-date",
        Exactly(2),
        "write `format-date(date, '%Y-%m-%d')`",
        dates::format_date
    ),
    f!(
        "format-date-time",
        Exactly(2),
        "write `format-date-time(date-time, '%Y-%m-%d %H:%M')`",
        dates::format_date_time
    ),
    // Geography.
    f!(
        "area",
        Exactly(1),
        "write `area(${geoshape})` or `area(${geopoint in a repeat})`",
        geo::area
    ),
    f!(
        "distance",
        AtLeast(1),
        "write `distance(${geotrace})`, `distance(${geopoint in a repeat})` or \
         `distance(${point}, ${point}, …)`",
        geo::distance
    ),
    f!(
        "geofence",
        Exactly(2),
        "write `geofence(${geopoint}, ${geoshape})`",
        geo::geofence
    ),
    // Digests and encodings.
    f!(
        "digest",
        Range(2, 3),
        "write `digest(text, 'SHA-256')` or `digest(text, 'SHA-256', 'hex')`",
        encodings::digest
    ),
    f!(
        "base64-decode",
        Exactly(1),
        "write `base64-decode(text)`",
        encodings::base64_decode
    ),
    // Secondary instances.
    f!(
        "instance",
        Exactly(1),
        "write `instance('list')/root/item[name = ${question}]/column`",
        misc::instance
    ),
    f!(
        "pulldata",
        Exactly(4),
        "write `pulldata('file', 'column wanted', 'column to match', value)`",
        misc::pulldata
    ),
    // The form.
    f!("version", Exactly(0), "write `version()`", misc::version),
    f!(
        "randomize",
        Range(1, 2),
        "write `randomize(${question in a repeat})` or `randomize(${question in a repeat}, seed)`",
        misc::randomize
    ),
];

/// The function called `name`, if the library has it.
pub(crate) fn lookup(name: &str) -> Option<&'static Function> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// The names of all functions the library provides, as they are written in expressions.
pub fn function_names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name)
}

/// A known function that `name` was probably meant to be.
pub(crate) fn suggest(name: &str) -> Option<&'static str> {
    let normal = name.to_lowercase().replace('_', "-");
    let candidates = [
        normal.clone(),
        format!("jr:{normal}"),
        normal.strip_prefix("jr:").unwrap_or(&normal).to_owned(),
    ];
    if let Some(f) = candidates.iter().find_map(|c| lookup(c)) {
        return Some(f.name);
    }
    Some(match normal.as_str() {
        "length" | "len" | "strlen" => "string-length",
        "ifelse" | "iif" => "if",
        "ceil" => "ceiling",
        "trim" => "normalize-space",
        "choice-label" | "label" => "jr:choice-name",
        "power" => "pow",
        "truncate" | "trunc" => "int",
        "str" => "string",
        "date-diff" | "datediff" => "decimal-date-time",
        _ => return None,
    })
}

/// Calls the function of `call`.
pub(crate) fn call(ev: &mut Evaluator<'_>, call: &Call, focus: &Focus) -> Result<Value, EvalError> {
    // The parser only builds calls to known functions, but trees can also be built by hand
    // or deserialized.
    let f = lookup(&call.name).ok_or_else(|| {
        EvalError::Unsupported(format!("`{}` is not a known function", call.name))
    })?;
    // Trees that did not come from the parser may also have the wrong number of arguments.
    if !f.arity.accepts(call.args.len()) {
        return Err(EvalError::invalid_argument(
            &call.name,
            format!(
                "wrong number of arguments ({}): {}",
                call.args.len(),
                f.usage
            ),
        ));
    }
    let mut args = Args { ev, call, focus };
    (f.imp)(&mut args)
}

/// The arguments of a call being evaluated, converted on demand.
pub(crate) struct Args<'a, 'c> {
    ev: &'a mut Evaluator<'c>,
    call: &'a Call,
    focus: &'a Focus,
}

impl Args<'_, '_> {
    fn len(&self) -> usize {
        self.call.args.len()
    }

    fn name(&self) -> &str {
        &self.call.name
    }

    fn ctx(&self) -> &dyn Context {
        self.ev.ctx
    }

    fn focus(&self) -> &Focus {
        self.focus
    }

    /// Argument `i`, evaluated.
    fn value(&mut self, i: usize) -> Result<Value, EvalError> {
        let call = self.call;
        let e = call.args.get(i).ok_or_else(|| {
            EvalError::invalid_argument(&call.name, format!("argument {} is missing", i + 1))
        })?;
        self.ev.eval(e, self.focus)
    }

    fn string(&mut self, i: usize) -> Result<String, EvalError> {
        Ok(self.value(i)?.to_xpath_string())
    }

    fn number(&mut self, i: usize) -> Result<f64, EvalError> {
        Ok(self.value(i)?.to_number())
    }

    fn boolean(&mut self, i: usize) -> Result<bool, EvalError> {
        Ok(self.value(i)?.to_boolean())
    }

    /// Argument `i`, which must be a node-set.
    fn nodes(&mut self, i: usize) -> Result<Vec<Node>, EvalError> {
        match self.value(i)? {
            Value::Nodes(n) => Ok(n),
            other => {
                let shown = self
                    .call
                    .args
                    .get(i)
                    .map(ToString::to_string)
                    .unwrap_or_default();
                Err(EvalError::invalid_argument(
                    self.name(),
                    format!(
                        "argument {} must be a question, group or repeat (a ${{reference}} or a \
                         path), but `{shown}` is {}",
                        i + 1,
                        other.type_name()
                    ),
                ))
            }
        }
    }

    /// The string values of argument `i`: every node's value for a node-set, the string
    /// value otherwise.
    fn strings(&mut self, i: usize) -> Result<Vec<String>, EvalError> {
        Ok(match self.value(i)? {
            Value::Nodes(n) => n.into_iter().map(|n| n.value).collect(),
            other => vec![other.to_xpath_string()],
        })
    }

    /// The focus node's value, for functions whose argument defaults to the context node.
    fn focus_string(&self) -> Result<String, EvalError> {
        self.focus
            .node
            .as_ref()
            .map(|n| n.value.clone())
            .ok_or_else(|| EvalError::NoCurrentNode {
                what: format!("{}()", self.name()),
            })
    }
}
