//! A submission laid out as its form lays it out, by the form engine: labels in the chosen
//! language with `${name}` filled in, questions that are not relevant left out, groups as
//! sections, repeats as lists of entries, each question's answer by its choice labels, and
//! what the engine finds missing or invalid beside it. Beside each question outside repeats
//! go its history and its conflict, if any; a repeat carries the history of everything in
//! it (history names repeat entries by id, the engine by position).
//!
//! Pure: no browser, so its tests run natively.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use letsema_form::model::{Form, Item, Question, QuestionType, Text};
use letsema_form::runtime::{Answers, ChoiceOption, CompiledForm, Environment, FormState};
use letsema_protocol::staff::{Conflict, FieldChange, FieldPath};

/// What a question outside repeats is corrected with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Editor {
    /// A text box; `input_type` is the HTML input type (`text`, `number`, `date`, `time`).
    Text { input_type: &'static str },
    /// One of the choices.
    One(Vec<ChoiceOption>),
    /// Any of the choices.
    Many(Vec<ChoiceOption>),
}

/// A question with its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionRow {
    pub name: String,
    /// Unique on the page: the name, and the entry's position inside repeats.
    pub key: String,
    pub label: String,
    /// The answer as stored (choice values separated by spaces).
    pub value: String,
    /// The answer as people read it: choice labels, joined by commas.
    pub shown: String,
    /// What the engine finds missing or invalid, in the chosen language.
    pub issue: Option<String>,
    /// How it is corrected (questions outside repeats, and in entries of repeats outside
    /// repeats).
    pub editor: Option<Editor>,
    /// The entry it is in, for a question of a repeat outside repeats: the repeat's name and
    /// the entry's id.
    pub entry: Option<(String, String)>,
    /// Its changes: indexes into the submission's history, oldest first.
    pub history: Vec<usize>,
    /// Its unresolved conflict: an index into the submission's conflicts.
    pub conflict: Option<usize>,
}

/// One part of the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Question(QuestionRow),
    /// A group's label and what is relevant in it.
    Group {
        label: Option<String>,
        children: Vec<Block>,
    },
    /// A repeat: its label, each relevant entry's blocks, and the changes made to it that no
    /// question shown carries (entries added or removed, entries not shown).
    Repeat {
        name: String,
        label: Option<String>,
        entries: Vec<Vec<Block>>,
        history: Vec<usize>,
    },
}

/// Why a submission could not be laid out by its form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error("the form does not compile: {0}")]
    Form(String),
    #[error("the answers do not fit the form: {0}")]
    Answers(String),
}

/// The form engine's state for `answers` of `form`, in `language` (a code), at `now`.
///
/// # Errors
///
/// When the form does not compile or the answers do not fit it.
pub fn open(
    form: &Form,
    answers: &Answers,
    language: &str,
    now: DateTime<FixedOffset>,
) -> Result<FormState, LayoutError> {
    open_compiled(compile(form)?, answers, language, now)
}

/// `form` compiled by the engine, to open many submissions with ([`open_compiled`]).
///
/// # Errors
///
/// When the form does not compile.
pub fn compile(form: &Form) -> Result<Arc<CompiledForm>, LayoutError> {
    CompiledForm::new(form).map(Arc::new).map_err(|errors| {
        LayoutError::Form(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// [`open`] with a form already compiled.
///
/// # Errors
///
/// When the answers do not fit the form.
pub fn open_compiled(
    compiled: Arc<CompiledForm>,
    answers: &Answers,
    language: &str,
    now: DateTime<FixedOffset>,
) -> Result<FormState, LayoutError> {
    let environment = Environment::new(now).with_language(language);
    FormState::new(compiled, answers, environment).map_err(|errors| {
        LayoutError::Answers(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// The page of `state`'s submission, with `history` and `conflicts` placed beside their
/// fields; `repeats` gives the entries' ids of each repeat outside repeats, in order.
pub fn lay_out(
    state: &FormState,
    history: &[FieldChange],
    conflicts: &[Conflict],
    repeats: &BTreeMap<String, Vec<String>>,
) -> Vec<Block> {
    let mut issues = HashMap::new();
    for issue in state
        .missing_required()
        .into_iter()
        .chain(state.constraint_violations())
    {
        issues
            .entry((issue.location.field, issue.location.instance))
            .or_insert(issue.message);
    }
    let page = Page {
        state,
        form: state.compiled().form(),
        language: state.environment().language.clone(),
        issues,
        history,
        conflicts,
        repeats,
    };
    let mut out = Vec::new();
    page.walk(&page.form.items, &[], &[], None, &mut out);
    out
}

struct Page<'a> {
    state: &'a FormState,
    form: &'a Form,
    language: Option<String>,
    issues: HashMap<(String, Vec<usize>), String>,
    history: &'a [FieldChange],
    conflicts: &'a [Conflict],
    repeats: &'a BTreeMap<String, Vec<String>>,
}

impl Page<'_> {
    fn text(&self, text: &Text, instance: &[usize]) -> Option<String> {
        text.get(
            self.language.as_deref(),
            self.form.default_language.as_ref(),
        )
        .filter(|t| !t.trim().is_empty())
        .map(|t| self.fill_in(t, instance))
    }

    /// `${name}` replaced by `name`'s value, in the same entry where there is one.
    fn fill_in(&self, template: &str, instance: &[usize]) -> String {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return out;
            };
            let name = after[..end].trim();
            let value = (0..=instance.len())
                .rev()
                .find_map(|depth| self.state.value(name, &instance[..depth]).ok())
                .unwrap_or("");
            out.push_str(value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn relevant(&self, name: &str, instance: &[usize]) -> bool {
        self.state.is_relevant(name, instance).unwrap_or(false)
    }

    fn walk(
        &self,
        items: &[Item],
        repeats: &[String],
        instance: &[usize],
        entry: Option<&(String, String)>,
        out: &mut Vec<Block>,
    ) {
        for item in items {
            match item {
                Item::Question(question) => {
                    if let Some(row) = self.question(question, repeats, instance, entry) {
                        out.push(Block::Question(row));
                    }
                }
                Item::Group(group) => {
                    if !self.relevant(group.name.as_str(), instance) {
                        continue;
                    }
                    let mut children = Vec::new();
                    self.walk(&group.items, repeats, instance, entry, &mut children);
                    if !children.is_empty() {
                        out.push(Block::Group {
                            label: self.text(&group.label, instance),
                            children,
                        });
                    }
                }
                Item::Repeat(repeat) => {
                    let name = repeat.name.as_str();
                    let count = self.state.repeat_count(name, instance).unwrap_or(0);
                    let mut inner = repeats.to_vec();
                    inner.push(name.to_owned());
                    // Entries of a repeat outside repeats are named by id (corrections,
                    // history); those of nested repeats are read only.
                    let ids = if repeats.is_empty() {
                        self.repeats
                            .get(name)
                            .map(Vec::as_slice)
                            .unwrap_or_default()
                    } else {
                        &[]
                    };
                    let mut entries = Vec::new();
                    let mut shown = Vec::new();
                    for i in 0..count {
                        let mut at = instance.to_vec();
                        at.push(i);
                        if !self.relevant(name, &at) {
                            continue;
                        }
                        let here = ids.get(i).map(|id| (name.to_owned(), id.clone()));
                        if let Some(id) = ids.get(i) {
                            shown.push(id.as_str());
                        }
                        let mut blocks = Vec::new();
                        self.walk(&repeat.items, &inner, &at, here.as_ref(), &mut blocks);
                        entries.push(blocks);
                    }
                    // What no question shown carries: the list itself, entries not shown.
                    let history = if repeats.is_empty() {
                        self.changes(|path| {
                            matches!(path, FieldPath::Answer(p)
                            if (p.repeats.is_empty() && p.name == name)
                                || p.repeats.first().is_some_and(|(r, id)| {
                                    r == name && !shown.contains(&id.as_str())
                                }))
                        })
                    } else {
                        Vec::new()
                    };
                    if !entries.is_empty() || !history.is_empty() {
                        out.push(Block::Repeat {
                            name: name.to_owned(),
                            label: self.text(&repeat.label, instance),
                            entries,
                            history,
                        });
                    }
                }
            }
        }
    }

    fn changes(&self, keep: impl Fn(&FieldPath) -> bool) -> Vec<usize> {
        self.history
            .iter()
            .enumerate()
            .filter(|(_, change)| keep(&change.field))
            .map(|(i, _)| i)
            .collect()
    }

    fn question(
        &self,
        question: &Question,
        repeats: &[String],
        instance: &[usize],
        entry: Option<&(String, String)>,
    ) -> Option<QuestionRow> {
        let name = question.name.as_str();
        if question.kind.is_silent()
            || matches!(question.kind, QuestionType::Note)
            || !self.relevant(name, instance)
        {
            return None;
        }
        let value = self.state.value(name, instance).unwrap_or("").to_owned();
        let choices = self
            .state
            .choices(name, instance)
            .ok()
            .flatten()
            .unwrap_or_default();
        let shown = if question.kind.is_select() {
            value
                .split_whitespace()
                .map(|v| {
                    choices
                        .iter()
                        .find(|c| c.value == v)
                        .map_or_else(|| v.to_owned(), |c| c.label.clone())
                })
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            value.clone()
        };
        // Outside repeats, or in an entry named by id.
        let addressable = repeats.is_empty() || (repeats.len() == 1 && entry.is_some());
        let editor = addressable.then(|| match &question.kind {
            QuestionType::SelectOne { .. } | QuestionType::SelectOneExternal { .. } => {
                Editor::One(choices.clone())
            }
            QuestionType::SelectMultiple { .. } => Editor::Many(choices.clone()),
            QuestionType::Integer | QuestionType::Decimal | QuestionType::Range(_) => {
                Editor::Text {
                    input_type: "number",
                }
            }
            QuestionType::Date => Editor::Text { input_type: "date" },
            QuestionType::Time => Editor::Text { input_type: "time" },
            _ => Editor::Text { input_type: "text" },
        });
        let key = std::iter::once(name.to_owned())
            .chain(instance.iter().map(ToString::to_string))
            .collect::<Vec<_>>()
            .join("-");
        let is_this = |path: &FieldPath| match (path, entry) {
            (FieldPath::Answer(p), None) => p.repeats.is_empty() && p.name == name,
            (FieldPath::Answer(p), Some((repeat, id))) => {
                p.name == name
                    && p.repeats.len() == 1
                    && p.repeats[0].0 == *repeat
                    && p.repeats[0].1 == *id
            }
            _ => false,
        };
        Some(QuestionRow {
            name: name.to_owned(),
            key,
            label: self
                .text(&question.label, instance)
                .unwrap_or_else(|| name.to_owned()),
            value,
            shown,
            issue: self
                .issues
                .get(&(name.to_owned(), instance.to_vec()))
                .cloned(),
            editor,
            entry: entry.cloned(),
            history: if addressable {
                self.changes(is_this)
            } else {
                Vec::new()
            },
            conflict: if addressable {
                self.conflicts.iter().position(|c| is_this(&c.field))
            } else {
                None
            },
        })
    }
}

/// How a field is named on the page: its question's label, in the chosen language.
pub fn field_label(form: &Form, language: &str, field: &FieldPath) -> Option<String> {
    let name = field.question()?;
    let question = form.find_question(name)?;
    question
        .label
        .get(Some(language), form.default_language.as_ref())
        .map(ToOwned::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use letsema_form::model::{Choice, ChoiceList, Group, Repeat};
    use letsema_form::runtime::Answer;
    use letsema_protocol::staff::{AnswerPath, FieldValue};

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-12-04T10:00:00+02:00").expect("a time")
    }

    fn text(en: &str, st: &str) -> Text {
        let mut text = Text::default();
        text.translations
            .insert("English (en)".into(), en.to_owned());
        text.translations
            .insert("Sesotho (st)".into(), st.to_owned());
        text
    }

    /// A form with a choice, a relevance rule, a required question, a group and a repeat.
    fn form() -> Form {
        let mut form = Form::new("reg".into(), "Registration");
        form.choice_lists.push(ChoiceList {
            name: "yn".into(),
            choices: ["yes", "no"]
                .iter()
                .map(|v| Choice {
                    value: (*v).into(),
                    label: if *v == "yes" {
                        text("Yes", "E")
                    } else {
                        text("No", "Che")
                    },
                    media: Default::default(),
                    properties: Default::default(),
                })
                .collect(),
            from_file: None,
        });
        let consent = Question::new(
            "consent",
            QuestionType::SelectOne {
                list: "yn".into(),
                or_other: false,
            },
            text("Consent?", "Tumello?"),
        );
        let mut name = Question::new("name", QuestionType::Text, text("Name", "Lebitso"));
        name.relevant = Some("${consent} = 'yes'".into());
        let mut phone = Question::new(
            "phone",
            QuestionType::Text,
            text("Phone of ${name}", "Mohala oa ${name}"),
        );
        phone.required = Some("true()".into());
        let child = Question::new("child", QuestionType::Text, text("Child", "Ngoana"));
        form.items = vec![
            Item::Question(consent),
            Item::Group(Group {
                name: "contact".into(),
                label: text("Contact", "Puisano"),
                hint: Text::default(),
                relevant: None,
                appearance: None,
                loop_over: None,
                items: vec![Item::Question(name), Item::Question(phone)],
            }),
            Item::Repeat(Repeat {
                name: "children".into(),
                label: text("Children", "Bana"),
                hint: Text::default(),
                relevant: None,
                appearance: None,
                repeat_count: None,
                items: vec![Item::Question(child)],
            }),
        ];
        form
    }

    fn answers(consent: &str) -> Answers {
        Answers::new()
            .with("consent", Answer::Value(consent.into()))
            .with("name", Answer::Value("Mpho".into()))
            .with(
                "children",
                Answer::Repeat(vec![
                    Answers::new().with("child", Answer::Value("Lerato".into())),
                    Answers::new().with("child", Answer::Value("Thabo".into())),
                ]),
            )
    }

    fn questions(blocks: &[Block]) -> Vec<&QuestionRow> {
        let mut out = Vec::new();
        for block in blocks {
            match block {
                Block::Question(q) => out.push(q),
                Block::Group { children, .. } => out.extend(questions(children)),
                Block::Repeat { entries, .. } => {
                    entries.iter().for_each(|e| out.extend(questions(e)))
                }
            }
        }
        out
    }

    #[test]
    fn labels_follow_the_language_and_fill_in_references() {
        let form = form();
        let state = open(&form, &answers("yes"), "st", now()).expect("laid out");
        let page = lay_out(&state, &[], &[], &BTreeMap::new());
        let rows = questions(&page);
        assert_eq!(rows[0].label, "Tumello?");
        assert_eq!(rows[0].shown, "E", "a choice is shown by its label");
        assert_eq!(rows[2].label, "Mohala oa Mpho");
        assert!(matches!(&page[1], Block::Group { label: Some(l), .. } if l == "Puisano"));
    }

    #[test]
    fn questions_that_are_not_relevant_are_left_out() {
        let form = form();
        let state = open(&form, &answers("no"), "en", now()).expect("laid out");
        let names: Vec<_> = questions(&lay_out(&state, &[], &[], &BTreeMap::new()))
            .iter()
            .map(|q| q.name.clone())
            .collect();
        assert_eq!(names, ["consent", "phone", "child", "child"]);
    }

    #[test]
    fn a_missing_required_answer_is_marked_and_repeats_are_lists() {
        let form = form();
        let state = open(&form, &answers("yes"), "en", now()).expect("laid out");
        let page = lay_out(&state, &[], &[], &BTreeMap::new());
        let rows = questions(&page);
        let phone = rows.iter().find(|q| q.name == "phone").expect("the phone");
        assert!(phone.issue.is_some(), "the phone is required and missing");
        let Some(Block::Repeat { entries, .. }) = page.last() else {
            panic!("the repeat is last: {page:?}");
        };
        assert_eq!(entries.len(), 2);
        assert!(
            rows.iter()
                .filter(|q| q.name == "child")
                .all(|q| q.editor.is_none()),
            "answers inside repeats are not corrected here"
        );
        assert_eq!(
            rows[0].editor,
            Some(Editor::One(
                state
                    .choices("consent", &[])
                    .ok()
                    .flatten()
                    .expect("choices")
            ))
        );
    }

    #[test]
    fn history_and_conflicts_are_placed_beside_their_fields() {
        let form = form();
        let state = open(&form, &answers("yes"), "en", now()).expect("laid out");
        let field = |name: &str, repeats: Vec<(String, String)>| {
            FieldPath::Answer(AnswerPath {
                repeats,
                name: name.into(),
            })
        };
        let change = |field: FieldPath| FieldChange {
            field,
            from: None,
            to: Some(FieldValue::Answer(Answer::Value("x".into()))),
            change: "00".into(),
            actor: "aa".into(),
            device: Some("dev-1".into()),
            user: None,
            time: 1,
        };
        let history = vec![
            change(field("consent", vec![])),
            change(field("child", vec![("children".into(), "i1".into())])),
            change(FieldPath::ReviewStatus),
            change(field("consent", vec![])),
        ];
        let conflicts = vec![Conflict {
            field: field("name", vec![]),
            values: vec![],
        }];
        let repeats = BTreeMap::from([(
            "children".to_owned(),
            vec!["i1".to_owned(), "i2".to_owned()],
        )]);
        let page = lay_out(&state, &history, &conflicts, &repeats);
        let rows = questions(&page);
        assert_eq!(rows[0].history, [0, 3]);
        let first_child = rows.iter().find(|q| q.name == "child").expect("a child");
        assert_eq!(
            first_child.history,
            [1],
            "an entry's field has its own history"
        );
        assert_eq!(
            first_child.entry,
            Some(("children".to_owned(), "i1".to_owned())),
            "and is corrected in its entry"
        );
        assert!(first_child.editor.is_some());
        assert_eq!(
            rows.iter()
                .find(|q| q.name == "name")
                .expect("the name")
                .conflict,
            Some(0)
        );
        let Some(Block::Repeat { history, .. }) = page.last() else {
            panic!("the repeat is last");
        };
        assert!(
            history.is_empty(),
            "every change of the repeat is beside its field"
        );
    }
}
