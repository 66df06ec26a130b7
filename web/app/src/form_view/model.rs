//! The form view's state: the engine's [`FormState`], and what the screen shows of each
//! field, cached and thrown away only where the engine's [`Changes`] say something changed.
//!
//! Each question on screen is drawn from one [`FieldData`] behind an `Rc`. A field
//! component re-renders only when its `Rc` is replaced (props compare by pointer first),
//! and an `Rc` is replaced only when the field's cache entry was invalidated: so typing in
//! one field of a 1,000-question form redraws that field and the fields that depend on it,
//! not the page.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use letsema_form::runtime::{
    Answer, AnswerError, Answers, Changes, ChoiceOption, CompiledForm, Environment, FormState,
    Location,
};

use super::layout::{Layout, Node, QuestionInfo, Widget};
use crate::words::Words;

/// What one question shows: everything its component needs, compared by value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldData {
    /// The id of its input (or fieldset, for radio buttons and check boxes).
    pub id: String,
    pub location: Location,
    pub widget: Widget,
    /// The label in the current language, with `${name}` filled in.
    pub label: String,
    pub hint: Option<String>,
    pub required: bool,
    pub relevant: bool,
    pub read_only: bool,
    /// The answer (or calculated value), as the engine stores it.
    pub value: String,
    /// The choices offered, after the choice filter, in the current language.
    pub choices: Vec<ChoiceOption>,
    /// What is wrong with the answer, if anything.
    pub issue: Option<String>,
    /// Whether the issue is shown: the field was left, or finalising was attempted.
    pub show_issue: bool,
}

/// An issue, for the list on the last page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IssueRow {
    pub location: Location,
    pub label: String,
    pub message: String,
}

/// The engine's state and the view's cache of what each field shows.
#[derive(Debug)]
pub(crate) struct Model {
    pub layout: Rc<Layout>,
    state: FormState,
    words: &'static Words,
    prefix: String,
    fields: RefCell<HashMap<Location, Rc<FieldData>>>,
    issues: HashMap<Location, String>,
    touched: HashSet<Location>,
    reveal: bool,
    complete: bool,
    /// Computed values (calculations, metadata) not yet saved with the answers: the engine
    /// changed them, or the answers opened lacked them. ODK keeps them in the submission, so
    /// that `once()` holds on reopening and exports and the server see what the phone saw.
    unsaved: Vec<Location>,
}

impl Model {
    /// Opens `answers` of `form`, showing labels in `language` (or the form's default).
    pub fn new(
        form: Arc<CompiledForm>,
        answers: &Answers,
        mut environment: Environment,
        language: Option<String>,
        prefix: String,
    ) -> Result<Model, Vec<AnswerError>> {
        let layout = Rc::new(Layout::new(form.form()));
        if language.is_some() {
            environment.language = language;
        }
        let words = Words::for_language(environment.language.as_deref());
        let state = FormState::new(form, answers, environment)?;
        let mut model = Model {
            layout,
            state,
            words,
            prefix,
            fields: RefCell::new(HashMap::new()),
            issues: HashMap::new(),
            touched: HashSet::new(),
            reveal: false,
            complete: false,
            unsaved: Vec::new(),
        };
        model.unsaved = model
            .state
            .computed_values()
            .into_iter()
            .filter(|(location, value)| {
                match stored(answers, &model.repeats_of(&location.field), location) {
                    Some(saved) => saved != *value,
                    None => !value.is_empty(),
                }
            })
            .map(|(location, _)| location)
            .collect();
        model.refresh_issues();
        Ok(model)
    }

    /// The computed values to save with the answers since this was last asked (see
    /// [`Model::unsaved`]).
    pub fn take_unsaved(&mut self) -> Vec<Location> {
        let state = &self.state;
        // A location in a repeat instance removed since is gone (its value with it).
        std::mem::take(&mut self.unsaved)
            .into_iter()
            .filter(|location| state.value(&location.field, &location.instance).is_ok())
            .collect()
    }

    /// The submission's name, from the form's `instance_name` (`None` when it has none).
    pub fn instance_name(&self) -> Option<String> {
        self.state.instance_name()
    }

    /// The app's words in the current language.
    pub fn words(&self) -> &'static Words {
        self.words
    }

    /// The language labels are shown in (`None`: the form's default).
    pub fn language(&self) -> Option<&str> {
        self.state.environment().language.as_deref()
    }

    /// Shows labels, choices and messages in another language.
    pub fn set_language(&mut self, language: Option<String>) {
        if self.language() == language.as_deref() {
            return;
        }
        self.words = Words::for_language(language.as_deref());
        self.state.set_language(language);
        self.fields.borrow_mut().clear();
        self.refresh_issues();
    }

    /// The form's default language.
    pub fn default_language(&self) -> Option<&letsema_form::model::Language> {
        self.state.compiled().form().default_language.as_ref()
    }

    /// The DOM id of the element of a field (or repeat, group...) at a location.
    pub fn element_id(&self, field: &str, instance: &[usize]) -> String {
        let mut id = format!("{}{field}", self.prefix);
        for i in instance {
            id.push_str(&format!("[{i}]"));
        }
        id
    }

    /// What a question shows at an instance, from the cache when nothing changed since.
    pub fn field(&self, info: &QuestionInfo, instance: &[usize]) -> Rc<FieldData> {
        let location = Location {
            field: info.question.name.to_string(),
            instance: instance.to_vec(),
        };
        if let Some(data) = self.fields.borrow().get(&location) {
            return data.clone();
        }
        let data = Rc::new(self.build_field(info, location.clone()));
        self.fields.borrow_mut().insert(location, data.clone());
        data
    }

    fn build_field(&self, info: &QuestionInfo, location: Location) -> FieldData {
        let name = location.field.as_str();
        let instance = location.instance.as_slice();
        let question = &info.question;
        let form = self.state.compiled().form();
        let language = self.language();
        let default = form.default_language.as_ref();
        let text = |t: &letsema_form::model::Text| {
            t.get(language, default)
                .map(|s| self.fill_in(s, &info.repeats, instance))
        };
        FieldData {
            id: self.element_id(name, instance),
            widget: info.widget,
            label: text(&question.label).unwrap_or_else(|| name.to_owned()),
            hint: text(&question.hint).filter(|h| !h.is_empty()),
            required: info.required,
            relevant: self.state.is_relevant(name, instance).unwrap_or(false),
            read_only: self.state.is_read_only(name, instance).unwrap_or(false),
            value: self.state.value(name, instance).unwrap_or("").to_owned(),
            choices: self
                .state
                .choices(name, instance)
                .ok()
                .flatten()
                .unwrap_or_default(),
            issue: self.issues.get(&location).cloned(),
            show_issue: self.reveal || self.touched.contains(&location),
            location,
        }
    }

    /// A label with `${name}` replaced by the value of `name`: in the same repeat instance
    /// when `name` is in the same repeats, at the top level when it is in none.
    fn fill_in(&self, template: &str, repeats: &[String], instance: &[usize]) -> String {
        if !template.contains("${") {
            return template.to_owned();
        }
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
            let theirs = self
                .layout
                .question(name)
                .map(|q| q.repeats.as_slice())
                .unwrap_or(&[]);
            let value = if repeats.starts_with(theirs) {
                self.state
                    .value(name, &instance[..theirs.len().min(instance.len())])
                    .unwrap_or("")
            } else {
                ""
            };
            out.push_str(value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// Whether a group or repeat instance is relevant.
    pub fn is_relevant(&self, name: &str, instance: &[usize]) -> bool {
        self.state.is_relevant(name, instance).unwrap_or(false)
    }

    /// How many instances a repeat has.
    pub fn repeat_count(&self, name: &str, outer: &[usize]) -> usize {
        self.state.repeat_count(name, outer).unwrap_or(0)
    }

    /// Whether a page has something to show now: its groups are relevant and one of its
    /// items is.
    pub fn page_is_relevant(&self, page: usize) -> bool {
        let Some(page) = self.layout.pages.get(page) else {
            return false;
        };
        page.gates.iter().all(|gate| self.is_relevant(gate, &[]))
            && page.items.iter().any(|node| match node {
                Node::Question(q) => {
                    q.widget != Widget::Silent && self.is_relevant(q.question.name.as_str(), &[])
                }
                Node::Group(g) => self.is_relevant(&g.name, &[]),
                Node::Repeat(_) => true,
            })
    }

    /// The answer a question has now, as the engine stores it (`""` when not relevant).
    pub fn value(&self, location: &Location) -> String {
        self.state
            .value(&location.field, &location.instance)
            .unwrap_or("")
            .to_owned()
    }

    /// The answer to report for a question given `value`: the selected values of a
    /// select_multiple, the value itself otherwise.
    pub fn answer(&self, location: &Location, value: &str) -> Answer {
        match self.layout.question(&location.field).map(|q| q.widget) {
            Some(Widget::SelectMultiple) => {
                Answer::Multiple(value.split_whitespace().map(str::to_owned).collect())
            }
            _ => Answer::Value(value.to_owned()),
        }
    }

    /// The repeats a field is in, outermost first.
    pub fn repeats_of(&self, field: &str) -> Vec<String> {
        self.layout
            .question(field)
            .map(|q| q.repeats.clone())
            .unwrap_or_default()
    }

    /// Sets an answer; `Ok(false)` when it was already that.
    pub fn set_value(&mut self, location: &Location, value: &str) -> Result<bool, AnswerError> {
        if self.value(location) == value
            && self
                .state
                .is_relevant(&location.field, &location.instance)
                .unwrap_or(false)
        {
            return Ok(false);
        }
        let answer = self.answer(location, value);
        let changes = self
            .state
            .set_answer(&location.field, &location.instance, answer)?;
        self.fields.borrow_mut().remove(location);
        self.apply(&changes);
        Ok(true)
    }

    /// The new value of a select_multiple when a choice is ticked or unticked, in the
    /// order the choices are offered.
    pub fn toggled(&self, location: &Location, choice: &str, on: bool) -> String {
        let current = self.value(location);
        let mut selected: Vec<&str> = current
            .split_whitespace()
            .filter(|v| *v != choice)
            .collect();
        if on {
            selected.push(choice);
        }
        let offered: Vec<String> = self
            .state
            .choices(&location.field, &location.instance)
            .ok()
            .flatten()
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.value)
            .collect();
        let rank = |v: &str| offered.iter().position(|o| o == v).unwrap_or(usize::MAX);
        selected.sort_by_key(|v| rank(v));
        selected.join(" ")
    }

    /// Moves the form's clock to `now`: `now()` readers and the `end` metadata follow (as
    /// Collect stamps `end` when the form is finalised).
    pub fn set_now(&mut self, now: chrono::DateTime<chrono::FixedOffset>) {
        let changes = self.state.set_now(now);
        self.apply(&changes);
    }

    /// Adds an instance at the end of a repeat; returns its index.
    pub fn add_repeat(&mut self, repeat: &str, outer: &[usize]) -> Result<usize, AnswerError> {
        let changes = self.state.add_repeat_instance(repeat, outer)?;
        self.apply(&changes);
        Ok(self.repeat_count(repeat, outer).saturating_sub(1))
    }

    /// Removes a repeat instance (`instance`: the outer indexes, then its own).
    pub fn remove_repeat(&mut self, repeat: &str, instance: &[usize]) -> Result<(), AnswerError> {
        let changes = self.state.remove_repeat_instance(repeat, instance)?;
        // Instances after the removed one move up: their locations now name other fields.
        self.touched.retain(|l| l.instance.is_empty());
        self.apply(&changes);
        Ok(())
    }

    /// Marks a field as visited, so that its issue is shown.
    pub fn touch(&mut self, location: &Location) {
        if self.touched.insert(location.clone()) {
            self.fields.borrow_mut().remove(location);
        }
    }

    /// Shows every field's issue (on the last page, and after it).
    pub fn reveal(&mut self) {
        if !self.reveal {
            self.reveal = true;
            self.fields.borrow_mut().clear();
        }
    }

    /// Whether the engine says the submission can be finalised.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Every issue, in form order, with the label of its question.
    pub fn issues(&self) -> Vec<IssueRow> {
        let mut rows: Vec<(Vec<usize>, IssueRow)> = self
            .issues
            .iter()
            .map(|(location, message)| {
                let label = self
                    .layout
                    .question(&location.field)
                    .map(|info| self.field(info, &location.instance).label.clone())
                    .unwrap_or_else(|| location.field.clone());
                (
                    self.layout.sort_key(&location.field, &location.instance),
                    IssueRow {
                        location: location.clone(),
                        label,
                        message: message.clone(),
                    },
                )
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows.into_iter().map(|(_, row)| row).collect()
    }

    /// Throws away what `changes` made stale, and notes the computed values to save.
    fn apply(&mut self, changes: &Changes) {
        for location in &changes.values {
            if self.state.is_computed(&location.field) && !self.unsaved.contains(location) {
                self.unsaved.push(location.clone());
            }
        }
        {
            let mut fields = self.fields.borrow_mut();
            if !changes.repeats.is_empty() {
                // Instances were added or removed: what is inside repeats moved.
                fields.retain(|location, _| location.instance.is_empty());
            }
            for location in changes
                .relevance
                .iter()
                .chain(&changes.values)
                .chain(&changes.validity)
                .chain(&changes.read_only)
                .chain(&changes.choices)
            {
                fields.remove(location);
            }
            let readers: HashSet<&str> = changes
                .values
                .iter()
                .flat_map(|location| self.layout.label_readers(&location.field))
                .map(String::as_str)
                .collect();
            if !readers.is_empty() {
                fields.retain(|location, _| !readers.contains(location.field.as_str()));
            }
        }
        self.refresh_issues();
    }

    /// Asks the engine for every issue again and invalidates the fields whose message
    /// changed (messages may quote other answers, such as `${age}`).
    fn refresh_issues(&mut self) {
        let mut issues = HashMap::new();
        for issue in self.state.missing_required() {
            let custom = self
                .layout
                .question(&issue.location.field)
                .is_some_and(|q| !q.question.required_message.is_empty());
            let message = if custom {
                issue.message
            } else {
                self.words.required.to_owned()
            };
            issues.insert(issue.location, message);
        }
        for issue in self.state.constraint_violations() {
            issues.insert(issue.location, issue.message);
        }
        let mut fields = self.fields.borrow_mut();
        for (location, message) in &self.issues {
            if issues.get(location) != Some(message) {
                fields.remove(location);
            }
        }
        for location in issues.keys() {
            if !self.issues.contains_key(location) {
                fields.remove(location);
            }
        }
        drop(fields);
        self.issues = issues;
        self.complete = self.state.is_complete();
    }
}

/// The value `answers` hold at `location` (inside the repeats `repeats`), as the engine
/// stores it (a `select_multiple`'s values joined by spaces); `None` when they hold none.
fn stored(answers: &Answers, repeats: &[String], location: &Location) -> Option<String> {
    let mut level = answers;
    for (repeat, index) in repeats.iter().zip(&location.instance) {
        match level.get(repeat) {
            Some(Answer::Repeat(instances)) => level = instances.get(*index)?,
            _ => return None,
        }
    }
    level.get(&location.field).and_then(Answer::to_xpath_value)
}

#[cfg(test)]
mod tests {
    // On wasm32 the same tests run in the browser (`./dev test` runs the crate there).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use chrono::DateTime;
    use letsema_form::model::{Expression, Form, FormId, Item, Question, QuestionType, Text};

    use super::*;

    fn model(form: Form) -> Model {
        let now = DateTime::parse_from_rfc3339("2026-06-15T09:00:00+02:00").expect("valid");
        let compiled = Arc::new(CompiledForm::new(&form).expect("compiles"));
        Model::new(
            compiled,
            &Answers::new(),
            Environment::new(now),
            None,
            "t-".into(),
        )
        .expect("fits")
    }

    fn demo() -> Form {
        let mut form = Form::new(FormId::new("demo"), "Demo");
        let mut age = Question::new("age", QuestionType::Integer, Text::plain("Age"));
        age.required = Some(Expression::new("true()"));
        let note = Question::new(
            "note",
            QuestionType::Note,
            Text::plain("You are ${age}.").with("Sesotho (st)", "U ${age}."),
        );
        form.items = vec![Item::Question(age), Item::Question(note)];
        form
    }

    fn at(field: &str) -> Location {
        Location {
            field: field.into(),
            instance: Vec::new(),
        }
    }

    /// A form that computes a stamp once, a greeting from the name, and an initial in
    /// each entry of a repeat.
    fn computing() -> Form {
        let mut form = Form::new(FormId::new("computing"), "Computing");
        let calculate = |name: &str, calculation: &str| {
            let mut q = Question::new(name, QuestionType::Calculate, Text::default());
            q.calculation = Some(Expression::new(calculation));
            Item::Question(q)
        };
        let kids = letsema_form::model::Repeat {
            name: "kids".into(),
            label: Text::plain("Kids"),
            hint: Text::default(),
            relevant: None,
            appearance: None,
            repeat_count: None,
            items: vec![
                Item::Question(Question::new("kid", QuestionType::Text, Text::plain("Kid"))),
                calculate("initial", "substr(${kid}, 0, 1)"),
            ],
        };
        form.items = vec![
            Item::Question(Question::new(
                "name",
                QuestionType::Text,
                Text::plain("Name"),
            )),
            calculate("stamp", "once(now())"),
            calculate("greeting", "concat('Hello ', ${name})"),
            Item::Repeat(kids),
        ];
        form
    }

    #[test]
    fn computed_values_are_saved_with_the_answers_once_each_time_they_change() {
        let mut opened = model(computing());
        assert_eq!(
            opened.take_unsaved(),
            [at("stamp"), at("greeting")],
            "what the answers opened lack (an empty value is not saved)"
        );
        assert!(opened.take_unsaved().is_empty(), "taken once");
        opened.set_value(&at("name"), "Lineo").expect("set");
        assert_eq!(opened.take_unsaved(), [at("greeting")]);
        assert_eq!(opened.value(&at("greeting")), "Hello Lineo");
        opened
            .set_value(&at("name"), "Lineo")
            .expect("the same again");
        assert!(opened.take_unsaved().is_empty());
        // Inside a repeat: the entry's own calculation, where it is.
        let index = opened.add_repeat("kids", &[]).expect("added");
        let kid = Location {
            field: "kid".into(),
            instance: vec![index],
        };
        opened.set_value(&kid, "Palesa").expect("set");
        let initial = Location {
            field: "initial".into(),
            instance: vec![index],
        };
        assert_eq!(opened.take_unsaved(), std::slice::from_ref(&initial));
        assert_eq!(opened.value(&initial), "P");
        opened.remove_repeat("kids", &[index]).expect("removed");
        assert!(
            opened.take_unsaved().is_empty(),
            "nothing saved in an entry removed"
        );

        // Opened again with what was saved: nothing to save, the stamp unchanged.
        let now = DateTime::parse_from_rfc3339("2026-07-01T10:00:00+02:00").expect("valid");
        let saved = Answers::new()
            .with("name", "Lineo")
            .with("stamp", "2026-06-15T09:00:00.000+02:00")
            .with("greeting", "Hello Lineo");
        let mut again = Model::new(
            Arc::new(CompiledForm::new(&computing()).expect("compiles")),
            &saved,
            Environment::new(now),
            None,
            "t-".into(),
        )
        .expect("fits");
        assert!(again.take_unsaved().is_empty());
        assert_eq!(again.value(&at("stamp")), "2026-06-15T09:00:00.000+02:00");
    }

    #[test]
    fn a_field_is_cached_until_the_engine_says_it_changed() {
        let mut model = demo_model();
        let info = model.layout.question("note").expect("there").clone();
        let before = model.field(&info, &[]);
        assert_eq!(before.label, "You are .");
        assert!(Rc::ptr_eq(&before, &model.field(&info, &[])));
        model.set_value(&at("age"), "34").expect("set");
        let after = model.field(&info, &[]);
        assert_eq!(after.label, "You are 34.");
        model.set_language(Some("st".into()));
        assert_eq!(model.field(&info, &[]).label, "U 34.");
    }

    #[test]
    fn required_questions_say_so_in_the_apps_words() {
        let model = demo_model();
        let issues = model.issues();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].message, "This answer is required.");
        assert_eq!(issues[0].label, "Age");
        assert!(!model.is_complete());
    }

    fn demo_model() -> Model {
        model(demo())
    }

    /// What every question of the registration page shows, by name.
    fn registration_fields(model: &Model) -> HashMap<String, Rc<FieldData>> {
        let mut out = HashMap::new();
        fn walk(model: &Model, nodes: &[Node], out: &mut HashMap<String, Rc<FieldData>>) {
            for node in nodes {
                match node {
                    Node::Question(q) => {
                        out.insert(q.question.name.to_string(), model.field(q, &[]));
                    }
                    Node::Group(g) => walk(model, &g.children, out),
                    Node::Repeat(_) => {}
                }
            }
        }
        walk(model, &model.layout.pages[1].items, &mut out);
        out
    }

    #[test]
    fn only_the_fields_an_answer_touches_are_drawn_again() {
        let now = DateTime::parse_from_rfc3339("2026-06-15T09:00:00+02:00").expect("valid");
        let form = letsema_workload::reference_form();
        let compiled = Arc::new(CompiledForm::new(&form).expect("compiles"));
        let answers = Answers::new().with("consent", "yes");
        let mut model =
            Model::new(compiled, &answers, Environment::new(now), None, "t-".into()).expect("fits");
        let mut before = registration_fields(&model);
        let mut redrawn = |model: &mut Model, field: &str, value: &str| {
            model.set_value(&at(field), value).expect("set");
            let after = registration_fields(model);
            let mut changed: Vec<String> = after
                .iter()
                .filter(|(name, data)| !Rc::ptr_eq(&before[*name], data))
                .map(|(name, _)| name.clone())
                .collect();
            changed.sort();
            before = after;
            changed
        };
        assert_eq!(redrawn(&mut model, "first_name", "Palesa"), ["first_name"]);
        assert_eq!(redrawn(&mut model, "country", "uk"), ["country", "region"]);
        assert_eq!(
            redrawn(&mut model, "country", "south_africa"),
            ["country", "region"]
        );
        let dob = redrawn(&mut model, "dob", "1990-06-15");
        assert_eq!(
            dob,
            ["age", "age_note", "dob"],
            "the calculation, the note that shows it, the date"
        );
        assert_eq!(
            model
                .field(model.layout.question("age_note").expect("note"), &[])
                .label,
            "You are 36 years old."
        );
        // Touching a field shows its issue: that field only.
        model.touch(&at("surname"));
        let after = registration_fields(&model);
        assert!(after["surname"].show_issue && after["surname"].issue.is_some());
        assert!(Rc::ptr_eq(&before["city"], &after["city"]));
    }

    #[test]
    fn ticked_choices_keep_the_order_of_the_list() {
        let now = DateTime::parse_from_rfc3339("2026-06-15T09:00:00+02:00").expect("valid");
        let form = letsema_workload::reference_form();
        let compiled = Arc::new(CompiledForm::new(&form).expect("compiles"));
        let answers = Answers::new().with("consent", "yes");
        let mut model =
            Model::new(compiled, &answers, Environment::new(now), None, "t-".into()).expect("fits");
        let citizenships = at("citizenships");
        let value = model.toggled(&citizenships, "uk", true);
        model.set_value(&citizenships, &value).expect("set");
        let value = model.toggled(&citizenships, "lesotho", true);
        assert_eq!(value, "lesotho uk");
        assert_eq!(
            model.answer(&citizenships, &value),
            Answer::Multiple(vec!["lesotho".into(), "uk".into()])
        );
        model.set_value(&citizenships, &value).expect("set");
        assert_eq!(model.toggled(&citizenships, "uk", false), "lesotho");
    }
}
