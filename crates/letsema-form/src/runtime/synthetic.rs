//! A generated form for benchmarks and tests: many numbered integer questions in groups,
//! with relevance, constraints and calculations in fixed proportions, and a repeat with
//! per-instance calculations summed outside it.
//!
//! Hidden from the documentation: it is a test fixture shared by the benchmarks and the
//! tests, not part of the runtime's interface.

use crate::model::{Expression, Form, FormId, Group, Item, Question, QuestionType, Repeat, Text};

use super::answers::{Answer, Answers};

/// Questions outside the numbered ones: five in the repeat and two totals.
const EXTRA: usize = 7;

/// The numbered questions per group.
const GROUP_SIZE: usize = 100;

/// A form of `questions` questions (at least [`EXTRA`] + 1).
///
/// Numbered questions `n0`, `n1`, ... are integers, `GROUP_SIZE` to a group `g0`, `g1`,
/// ... (groups after the first are relevant when `${n0} != 999`). By the last digit of
/// the number:
///
/// - 1: relevant when the previous question is greater than 2;
/// - 2: relevant when `${n0} != 7` (a gate read by a tenth of the form);
/// - 3: relevant when the sum of the two before is under 1000;
/// - 4: constrained to `0 <= . < 1000`;
/// - 5: a calculation from the two questions before.
///
/// Then a repeat `items` (`qty` constrained, `price`, `line = qty * price`, `detail`
/// relevant when `qty > 3`, `pos = position(..)`), and the totals `total = sum(${line})`
/// and `item_count = count(${items})`.
pub fn form(questions: usize) -> Form {
    let numbered = questions.saturating_sub(EXTRA).max(1);
    let mut form = Form::new(FormId::new("synthetic"), "Synthetic");
    let mut group_items: Vec<Item> = Vec::new();
    let mut group_index = 0;
    for i in 0..numbered {
        group_items.push(Item::Question(numbered_question(i)));
        if group_items.len() == GROUP_SIZE || i + 1 == numbered {
            let mut group = Group {
                name: format!("g{group_index}").into(),
                label: Text::plain(format!("Group {group_index}")),
                hint: Text::default(),
                relevant: None,
                appearance: None,
                loop_over: None,
                items: std::mem::take(&mut group_items),
            };
            if group_index > 0 {
                group.relevant = Some(Expression::new("${n0} != 999"));
            }
            form.items.push(Item::Group(group));
            group_index += 1;
        }
    }
    let question = |name: &str, kind: QuestionType| Question::new(name, kind, Text::plain(name));
    let mut qty = question("qty", QuestionType::Integer);
    qty.constraint = Some(Expression::new(". >= 0"));
    let price = question("price", QuestionType::Decimal);
    let mut line = question("line", QuestionType::Calculate);
    line.calculation = Some(Expression::new("${qty} * ${price}"));
    let mut detail = question("detail", QuestionType::Text);
    detail.relevant = Some(Expression::new("${qty} > 3"));
    let mut pos = question("pos", QuestionType::Calculate);
    pos.calculation = Some(Expression::new("position(..)"));
    form.items.push(Item::Repeat(Repeat {
        name: "items".into(),
        label: Text::plain("Items"),
        hint: Text::default(),
        relevant: None,
        appearance: None,
        repeat_count: None,
        items: [qty, price, line, detail, pos]
            .into_iter()
            .map(Item::Question)
            .collect(),
    }));
    let mut total = question("total", QuestionType::Calculate);
    total.calculation = Some(Expression::new("sum(${line})"));
    let mut count = question("item_count", QuestionType::Calculate);
    count.calculation = Some(Expression::new("count(${items})"));
    form.items.push(Item::Question(total));
    form.items.push(Item::Question(count));
    form
}

fn numbered_question(i: usize) -> Question {
    let name = format!("n{i}");
    let mut q = Question::new(name.as_str(), QuestionType::Integer, Text::plain(&name));
    let previous = |k: usize| format!("${{n{}}}", i.saturating_sub(k));
    match (i % 10, i) {
        (1, _) => q.relevant = Some(Expression::new(format!("{} > 2", previous(1)))),
        (2, _) => q.relevant = Some(Expression::new("${n0} != 7")),
        (3, 3..) => {
            q.relevant = Some(Expression::new(format!(
                "{} + {} < 1000",
                previous(2),
                previous(1)
            )))
        }
        (4, _) => {
            q.constraint = Some(Expression::new(". >= 0 and . < 1000"));
            q.constraint_message = Text::plain("Enter a number from 0 to 999.");
        }
        (5, 5..) => {
            q.kind = QuestionType::Calculate;
            q.calculation = Some(Expression::new(format!(
                "{} + {} * 2",
                previous(2),
                previous(1)
            )));
        }
        _ => {}
    }
    q
}

/// Answers for [`form`]`(questions)`: every numbered question that is not calculated,
/// and `instances` instances of the repeat.
pub fn answers(questions: usize, instances: usize) -> Answers {
    let numbered = questions.saturating_sub(EXTRA).max(1);
    let mut answers = Answers::new();
    for i in 0..numbered {
        if i % 10 != 5 || i < 5 {
            answers.insert(format!("n{i}"), (i * 7 % 13).to_string());
        }
    }
    let items = (0..instances)
        .map(|i| {
            Answers::new()
                .with("qty", (i % 7).to_string())
                .with("price", "2.5")
                .with("detail", format!("item {i}"))
        })
        .collect();
    answers.insert("items", Answer::Repeat(items));
    answers
}
