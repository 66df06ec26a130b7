//! The shape of a form on screen, worked out once from its definition: the pages, the
//! items on each, the widget each question gets, and the indexes the view needs to find
//! a field's page, its enclosing repeats and the labels that mention it.

use std::collections::HashMap;
use std::rc::Rc;

use letsema_form::model::{Form, Item, Question, QuestionType, Text};

/// The most choices a select_one shows as radio buttons; with more, or with the `minimal`
/// or `autocomplete` appearance, it is a drop-down list.
///
/// The rule counts the question's whole choice list (with "Other" when the question adds
/// it), not the choices its `choice_filter` leaves: so a question keeps one widget whatever
/// was answered before (the provinces of the reference form do not switch between radio
/// buttons and a drop-down list when the country changes). A select_multiple is always
/// check boxes.
pub(crate) const MAX_RADIO_BUTTONS: usize = 6;

/// The widget a question is shown with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Widget {
    /// A one-line text box; `inputmode` picks the phone's keyboard.
    Text { inputmode: Option<&'static str> },
    /// A barcode: a one-line text box, and the camera where the browser reads barcodes.
    Barcode,
    /// A text box of several lines (`multiline` appearance).
    MultilineText,
    /// A date picker.
    Date,
    /// A time picker.
    Time,
    /// A date-and-time picker on the device's clock; the answer is stored with the
    /// device's offset, as ODK Collect stores it (see [`crate::dates::from_picker`]).
    DateTime,
    /// A drop-down list (`drop_down`) or radio buttons: see [`MAX_RADIO_BUTTONS`].
    SelectOne { drop_down: bool },
    /// Check boxes, however many choices there are (a multiple-choice list box is hard to
    /// use on a phone).
    SelectMultiple,
    /// A text shown, no answer.
    Note,
    /// One check box that stores `OK`.
    Acknowledge,
    /// A location from the device, or typed.
    Geopoint,
    /// A kind of question the app cannot ask yet.
    Unsupported,
    /// Never shown: calculations, hidden fields, metadata.
    Silent,
}

/// A question, with what the view needs to know about it beyond the model.
#[derive(Debug)]
pub(crate) struct QuestionInfo {
    pub question: Question,
    /// The repeats the question is in, outermost first.
    pub repeats: Vec<String>,
    pub widget: Widget,
    /// Whether the question is always required (a `required` column other than `no`).
    pub required: bool,
}

/// A group shown inside a page (a nested group that is not a page of its own).
#[derive(Debug)]
pub(crate) struct GroupInfo {
    pub name: String,
    pub label: Text,
    pub hint: Text,
    pub children: Vec<Node>,
}

/// A repeat, with its instances' items.
#[derive(Debug)]
pub(crate) struct RepeatInfo {
    pub name: String,
    pub label: Text,
    pub hint: Text,
    /// Whether `repeat_count` sets the number of instances (then there is no Add or
    /// Remove button).
    pub counted: bool,
    /// The repeats this one is in, outermost first.
    pub repeats: Vec<String>,
    pub children: Vec<Node>,
}

/// One thing on a page.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Question(Rc<QuestionInfo>),
    Group(Rc<GroupInfo>),
    Repeat(Rc<RepeatInfo>),
}

/// One page.
#[derive(Debug)]
pub(crate) struct Page {
    /// The page's heading; the form's title when `None`.
    pub title: Option<Text>,
    /// The groups that must all be relevant for the page to be shown, outermost first
    /// (empty for the top-level questions between groups).
    pub gates: Vec<String>,
    pub items: Vec<Node>,
}

/// The whole form on screen.
#[derive(Debug)]
pub(crate) struct Layout {
    pub title: String,
    pub pages: Vec<Page>,
    /// The page each field (question, group, repeat) is on, by name.
    page_of: HashMap<String, usize>,
    /// Every question by name.
    questions: HashMap<String, Rc<QuestionInfo>>,
    /// Each field's place in form order (depth first), for sorting issues.
    order: HashMap<String, usize>,
    /// The repeats each field is in, by name (for sorting issues).
    repeats_of: HashMap<String, Vec<String>>,
    /// The questions whose label or hint mentions `${name}`, by `name`.
    label_readers: HashMap<String, Vec<String>>,
}

impl Layout {
    /// Lays out a form: one page per top-level group, one per `field-list` group inside
    /// one, and one for each run of top-level questions between groups. Pages with nothing
    /// to show (only calculations and metadata) are left out.
    pub fn new(form: &Form) -> Layout {
        let mut builder = Builder {
            choice_counts: form
                .choice_lists
                .iter()
                .map(|list| (list.name.to_string(), list.choices.len()))
                .collect(),
            ..Builder::default()
        };
        let mut loose: Vec<Node> = Vec::new();
        for item in &form.items {
            match item {
                Item::Group(group) => {
                    builder.flush(&mut loose, None, Vec::new());
                    builder.split_group(
                        &group.items,
                        Some(group.label.clone()),
                        vec![group.name.to_string()],
                        is_field_list(group.appearance.as_ref().map(|a| a.as_str())),
                    );
                }
                other => loose.push(builder.node(other, &[])),
            }
        }
        builder.flush(&mut loose, None, Vec::new());
        let mut order = HashMap::new();
        let mut repeats_of = HashMap::new();
        let mut label_readers: HashMap<String, Vec<String>> = HashMap::new();
        let mut stack: Vec<(FieldPathRepeats, &Item)> =
            form.items.iter().rev().map(|i| (Vec::new(), i)).collect();
        while let Some((repeats, item)) = stack.pop() {
            let name = item.name().to_string();
            order.insert(name.clone(), order.len());
            repeats_of.insert(name.clone(), repeats.clone());
            if let Item::Question(question) = item {
                for text in [&question.label, &question.hint] {
                    for value in text.values() {
                        for reference in references(value) {
                            let readers = label_readers.entry(reference.to_owned()).or_default();
                            if !readers.contains(&name) {
                                readers.push(name.clone());
                            }
                        }
                    }
                }
            }
            let mut inner = repeats.clone();
            if let Item::Repeat(_) = item {
                inner.push(name);
            }
            for child in item.children().iter().rev() {
                stack.push((inner.clone(), child));
            }
        }
        Layout {
            title: form.title.clone(),
            pages: builder.pages,
            page_of: builder.page_of,
            questions: builder.questions,
            order,
            repeats_of,
            label_readers,
        }
    }

    /// The page a field is on.
    pub fn page_of(&self, name: &str) -> Option<usize> {
        self.page_of.get(name).copied()
    }

    /// A question by name.
    pub fn question(&self, name: &str) -> Option<&Rc<QuestionInfo>> {
        self.questions.get(name)
    }

    /// The questions whose label or hint shows the value of `name`.
    pub fn label_readers(&self, name: &str) -> &[String] {
        self.label_readers.get(name).map_or(&[], Vec::as_slice)
    }

    /// A key that sorts locations in form order, repeat instances in their order.
    pub fn sort_key(&self, field: &str, instance: &[usize]) -> Vec<usize> {
        let mut key = Vec::new();
        if let Some(repeats) = self.repeats_of.get(field) {
            for (repeat, index) in repeats.iter().zip(instance) {
                key.push(self.order.get(repeat).copied().unwrap_or(usize::MAX));
                key.push(*index);
            }
        }
        key.push(self.order.get(field).copied().unwrap_or(usize::MAX));
        key
    }
}

type FieldPathRepeats = Vec<String>;

#[derive(Default)]
struct Builder {
    pages: Vec<Page>,
    page_of: HashMap<String, usize>,
    questions: HashMap<String, Rc<QuestionInfo>>,
    /// How many choices each choice list has, by name (for [`MAX_RADIO_BUTTONS`]).
    choice_counts: HashMap<String, usize>,
}

impl Builder {
    /// Splits the items of a top-level group into pages: its `field-list` groups each get
    /// one, the items between them share one.
    fn split_group(
        &mut self,
        items: &[Item],
        title: Option<Text>,
        gates: Vec<String>,
        field_list: bool,
    ) {
        let mut current: Vec<Node> = Vec::new();
        for item in items {
            match item {
                Item::Group(group)
                    if !field_list
                        && is_field_list(group.appearance.as_ref().map(|a| a.as_str())) =>
                {
                    self.flush(&mut current, title.clone(), gates.clone());
                    let mut inner_gates = gates.clone();
                    inner_gates.push(group.name.to_string());
                    self.split_group(&group.items, Some(group.label.clone()), inner_gates, true);
                }
                other => current.push(self.node(other, &[])),
            }
        }
        self.flush(&mut current, title, gates);
    }

    /// Makes a page of `items` when one of them shows something.
    fn flush(&mut self, items: &mut Vec<Node>, title: Option<Text>, gates: Vec<String>) {
        let items = std::mem::take(items);
        if !items.iter().any(shows_something) {
            return;
        }
        let page = self.pages.len();
        for gate in &gates {
            self.page_of.entry(gate.clone()).or_insert(page);
        }
        for node in &items {
            register(node, page, &mut self.page_of);
        }
        self.pages.push(Page {
            title,
            gates,
            items,
        });
    }

    fn node(&mut self, item: &Item, repeats: &[String]) -> Node {
        match item {
            Item::Question(question) => {
                let info = Rc::new(QuestionInfo {
                    widget: widget(question, &self.choice_counts),
                    required: question
                        .required
                        .as_ref()
                        .is_some_and(|e| !matches!(e.as_str().trim(), "false()" | "false" | "no")),
                    question: question.clone(),
                    repeats: repeats.to_vec(),
                });
                self.questions
                    .insert(question.name.to_string(), info.clone());
                Node::Question(info)
            }
            Item::Group(group) => Node::Group(Rc::new(GroupInfo {
                name: group.name.to_string(),
                label: group.label.clone(),
                hint: group.hint.clone(),
                children: group
                    .items
                    .iter()
                    .map(|child| self.node(child, repeats))
                    .collect(),
            })),
            Item::Repeat(repeat) => {
                let mut inner = repeats.to_vec();
                inner.push(repeat.name.to_string());
                Node::Repeat(Rc::new(RepeatInfo {
                    name: repeat.name.to_string(),
                    label: repeat.label.clone(),
                    hint: repeat.hint.clone(),
                    counted: repeat.repeat_count.is_some(),
                    repeats: repeats.to_vec(),
                    children: repeat
                        .items
                        .iter()
                        .map(|child| self.node(child, &inner))
                        .collect(),
                }))
            }
        }
    }
}

fn register(node: &Node, page: usize, page_of: &mut HashMap<String, usize>) {
    match node {
        Node::Question(q) => {
            page_of.insert(q.question.name.to_string(), page);
        }
        Node::Group(g) => {
            page_of.insert(g.name.clone(), page);
            g.children.iter().for_each(|c| register(c, page, page_of));
        }
        Node::Repeat(r) => {
            page_of.insert(r.name.clone(), page);
            r.children.iter().for_each(|c| register(c, page, page_of));
        }
    }
}

fn shows_something(node: &Node) -> bool {
    match node {
        Node::Question(q) => q.widget != Widget::Silent,
        Node::Group(g) => g.children.iter().any(shows_something),
        Node::Repeat(_) => true,
    }
}

fn is_field_list(appearance: Option<&str>) -> bool {
    appearance.is_some_and(|a| a.split_whitespace().any(|word| word == "field-list"))
}

fn has_appearance(question: &Question, wanted: &str) -> bool {
    question
        .appearance
        .as_ref()
        .is_some_and(|a| a.as_str().split_whitespace().any(|word| word == wanted))
}

/// The widget of `question`; `choice_counts` is how many choices each list has.
fn widget(question: &Question, choice_counts: &HashMap<String, usize>) -> Widget {
    match &question.kind {
        QuestionType::Barcode => Widget::Barcode,
        QuestionType::Text => {
            if has_appearance(question, "multiline") {
                Widget::MultilineText
            } else if has_appearance(question, "numbers") {
                Widget::Text {
                    inputmode: Some("tel"),
                }
            } else {
                Widget::Text { inputmode: None }
            }
        }
        QuestionType::Integer => Widget::Text {
            inputmode: Some("numeric"),
        },
        QuestionType::Decimal | QuestionType::Range(_) => Widget::Text {
            inputmode: Some("decimal"),
        },
        QuestionType::Date => Widget::Date,
        QuestionType::Time => Widget::Time,
        QuestionType::DateTime => Widget::DateTime,
        QuestionType::SelectOne { list, .. } => {
            let choices = choice_counts.get(list.as_str()).copied().unwrap_or(0);
            Widget::SelectOne {
                drop_down: has_appearance(question, "minimal")
                    || has_appearance(question, "autocomplete")
                    || choices > MAX_RADIO_BUTTONS,
            }
        }
        QuestionType::SelectMultiple { .. } => Widget::SelectMultiple,
        QuestionType::Note => Widget::Note,
        QuestionType::Acknowledge => Widget::Acknowledge,
        QuestionType::Geopoint => Widget::Geopoint,
        QuestionType::Calculate | QuestionType::Hidden | QuestionType::Metadata(_) => {
            Widget::Silent
        }
        QuestionType::SelectOneExternal { .. }
        | QuestionType::Rank { .. }
        | QuestionType::Osm { .. }
        | QuestionType::Geotrace
        | QuestionType::Geoshape
        | QuestionType::Image
        | QuestionType::Audio
        | QuestionType::Video
        | QuestionType::File => Widget::Unsupported,
    }
}

/// The names a text mentions as `${name}`.
pub(crate) fn references(text: &str) -> impl Iterator<Item = &str> {
    text.split("${")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.trim()))
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    // On wasm32 the same tests run in the browser (`./dev test` runs the crate there).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use std::collections::BTreeMap;

    use letsema_form::model::{
        Appearance, Choice, ChoiceList, ChoiceValue, FormId, Group, ListName, Media,
    };

    use super::*;

    fn page_names(layout: &Layout) -> Vec<Vec<String>> {
        layout
            .pages
            .iter()
            .map(|page| {
                page.items
                    .iter()
                    .map(|node| match node {
                        Node::Question(q) => q.question.name.to_string(),
                        Node::Group(g) => g.name.clone(),
                        Node::Repeat(r) => r.name.clone(),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_reference_form_has_a_consent_page_and_a_registration_page() {
        let layout = Layout::new(&letsema_workload::reference_form());
        assert_eq!(layout.pages.len(), 2, "metadata makes no page");
        assert_eq!(layout.pages[0].gates, Vec::<String>::new());
        assert_eq!(page_names(&layout)[0], ["consent", "no_consent"]);
        assert_eq!(layout.pages[1].gates, ["registration"]);
        assert_eq!(layout.page_of("degree"), Some(1));
        assert_eq!(layout.page_of("consent"), Some(0));
        let degree = layout.question("degree").expect("degree");
        assert_eq!(degree.repeats, ["qualifications"]);
        assert!(degree.required);
        assert_eq!(
            layout.question("age").map(|q| q.widget),
            Some(Widget::Silent)
        );
        assert_eq!(
            layout.question("comments").map(|q| q.widget),
            Some(Widget::MultilineText)
        );
        assert_eq!(layout.label_readers("age"), ["age_note"]);
        assert!(
            layout.sort_key("comments", &[]) > layout.sort_key("year", &[1]),
            "issues after a repeat come after its instances"
        );
        assert!(layout.sort_key("degree", &[0]) < layout.sort_key("institution", &[0]));
        assert!(layout.sort_key("year", &[0]) < layout.sort_key("degree", &[1]));
    }

    #[test]
    fn a_select_ones_widget_counts_its_whole_choice_list() {
        let layout = Layout::new(&letsema_workload::reference_form());
        let widget = |name: &str| layout.question(name).map(|q| q.widget);
        let drop_down = |drop_down| Some(Widget::SelectOne { drop_down });
        // Three sexes: radio buttons; seven professions: a drop-down list.
        assert_eq!(widget("sex"), drop_down(false));
        assert_eq!(widget("profession"), drop_down(true));
        // The regions of every country: a drop-down list, even for a country with four
        // (the choice filter leaves those, the list holds them all).
        assert_eq!(widget("region"), drop_down(true));
        assert_eq!(widget("citizenships"), Some(Widget::SelectMultiple));
    }

    #[test]
    fn field_list_groups_get_a_page_each_and_questions_between_groups_share_one() {
        let question =
            |name: &str| Item::Question(Question::new(name, QuestionType::Text, Text::plain(name)));
        let group = |name: &str, field_list: bool, items: Vec<Item>| {
            Item::Group(Group {
                name: name.into(),
                label: Text::plain(name),
                hint: Text::default(),
                relevant: None,
                appearance: field_list.then(|| Appearance::new("field-list")),
                loop_over: None,
                items,
            })
        };
        let mut form = Form::new(FormId::new("pages"), "Pages");
        form.items = vec![
            question("a"),
            question("b"),
            group(
                "outer",
                false,
                vec![
                    question("c"),
                    group("inner", true, vec![question("d")]),
                    question("e"),
                    group("plain", false, vec![question("f")]),
                ],
            ),
            question("g"),
        ];
        let layout = Layout::new(&form);
        assert_eq!(
            page_names(&layout),
            [
                vec!["a", "b"],
                vec!["c"],
                vec!["d"],
                vec!["e", "plain"],
                vec!["g"]
            ]
        );
        assert_eq!(layout.pages[2].gates, ["outer", "inner"]);
        assert_eq!(layout.page_of("f"), Some(3));
    }

    #[test]
    fn a_barcode_gets_the_camera_and_a_text_its_keyboard() {
        let mut form = Form::new(FormId::new("kinds"), "Kinds");
        let mut numbers = Question::new("phone", QuestionType::Text, Text::plain("Phone"));
        numbers.appearance = Some(Appearance::new("numbers"));
        let mut scanned = Question::new("tube", QuestionType::Barcode, Text::plain("Tube"));
        // A text appearance does not make a barcode a plain text box.
        scanned.appearance = Some(Appearance::new("numbers"));
        form.items = vec![Item::Question(numbers), Item::Question(scanned)];
        let layout = Layout::new(&form);
        assert_eq!(
            layout.question("phone").map(|q| q.widget),
            Some(Widget::Text {
                inputmode: Some("tel")
            })
        );
        assert_eq!(
            layout.question("tube").map(|q| q.widget),
            Some(Widget::Barcode)
        );
    }

    #[test]
    fn a_date_time_gets_a_picker() {
        let mut form = Form::new(FormId::new("kinds"), "Kinds");
        let when = Question::new("when", QuestionType::DateTime, Text::plain("When"));
        form.items = vec![Item::Question(when)];
        let layout = Layout::new(&form);
        assert_eq!(
            layout.question("when").map(|q| q.widget),
            Some(Widget::DateTime)
        );
    }

    #[test]
    fn an_or_other_select_counts_the_other_choice_the_importer_added_once() {
        let mut form = Form::new(FormId::new("kinds"), "Kinds");
        let colour = Question::new(
            "colour",
            QuestionType::SelectOne {
                list: ListName::new("colours"),
                or_other: true,
            },
            Text::plain("Colour"),
        );
        form.items = vec![Item::Question(colour)];
        // Six choices, the `other` the importer adds among them: radio buttons still.
        form.choice_lists = vec![ChoiceList {
            name: ListName::new("colours"),
            choices: ["red", "blue", "green", "white", "black", "other"]
                .into_iter()
                .map(|value| Choice {
                    value: ChoiceValue::new(value),
                    label: Text::plain(value),
                    media: Media::default(),
                    properties: BTreeMap::new(),
                })
                .collect(),
            from_file: None,
        }];
        let layout = Layout::new(&form);
        assert_eq!(
            layout.question("colour").map(|q| q.widget),
            Some(Widget::SelectOne { drop_down: false })
        );
    }

    #[test]
    fn the_benchmark_form_has_a_page_per_group_and_one_for_the_rest() {
        let layout = Layout::new(&letsema_form::runtime::synthetic::form(1000));
        assert_eq!(layout.pages.len(), 11);
        assert_eq!(layout.pages[0].items.len(), 100);
        assert_eq!(page_names(&layout)[10], ["items", "total", "item_count"]);
    }

    #[test]
    fn references_are_found_in_texts() {
        let found: Vec<&str> = references("You are ${age} years old, ${ name }. ${").collect();
        assert_eq!(found, ["age", "name"]);
    }
}
