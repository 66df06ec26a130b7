//! The form-filling view: a form, driven entirely by the form engine, one page at a time.
//!
//! [`FormView`] shows a [`CompiledForm`] with the answers given so far and reports every
//! change at once, so that the caller writes it to the submission document:
//!
//! - [`AnswerEvent`] for each answer (typing is reported at most
//!   [`ANSWER_DEBOUNCE_MS`] after the last key, and at once when the field is left, the page
//!   is hidden or closed, or the view goes away);
//! - [`RepeatEvent`] when a person adds or removes a repeat instance;
//! - `on_finalise` when the person finalises, which the view allows only when the engine
//!   says the submission is complete and valid;
//! - `on_name` with the submission's name (the form's `instance_name`) when the view opens
//!   and whenever an answer changes it, always before the answer's own event, so that the
//!   caller saves each answer with the name it gives.
//!
//! Callbacks run synchronously; when the page is being hidden or closed there is no later
//! turn of the event loop, so `on_answer` should write to the in-memory document at once.
//!
//! There is one page per top-level group (and per `field-list` group inside one), one for
//! each run of top-level questions between groups, and a last page that lists every issue
//! with a button to its question, and the Finalise button.
//!
//! Redrawing stays proportional to what changed: the engine recomputes only what depends on
//! an answer and says what changed ([`Changes`](letsema_form::runtime::Changes)); the view
//! keeps what each field shows behind an `Rc` and replaces only the entries the changes
//! name, and each field is a keyed component that yew skips when its `Rc` is the same.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use letsema_form::runtime::{Answers, CompiledForm, Environment};
//! use letsema_web::form_view::{FormView, FormViewProps};
//! use yew::Callback;
//!
//! # fn show(form: Arc<CompiledForm>, environment: Environment, root: web_sys::Element) {
//! let props = FormViewProps {
//!     form,
//!     answers: Answers::new(),
//!     environment,
//!     language: Some("st".into()),
//!     on_answer: Callback::from(|event| { /* write it to the document */ let _ = event; }),
//!     on_repeat: Callback::noop(),
//!     on_finalise: Callback::noop(),
//!     on_name: Callback::noop(),
//! };
//! yew::Renderer::<FormView>::with_root_and_props(root, props).render();
//! # }
//! ```

mod field;
mod layout;
mod model;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::time::Duration;

use gloo_events::EventListener;
use letsema_form::runtime::{
    Answer, Answers, CompiledForm, Environment, Location, MAX_REPEAT_COUNT,
};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use self::field::{FieldAction, FieldMsg, FieldView};
use self::layout::{Node, RepeatInfo, Widget};
use self::model::Model;
use crate::words::Words;

/// How long after the last key typed text is reported, at most.
pub const ANSWER_DEBOUNCE_MS: u64 = 300;

/// An answer a person gave: write it to the submission at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerEvent {
    /// The question's name (names are unique form-wide).
    pub field: String,
    /// The repeats the question is in, outermost first (empty outside repeats).
    pub repeats: Vec<String>,
    /// The 0-based index of the instance of each of those repeats.
    pub instance: Vec<usize>,
    /// The new answer: [`Answer::Multiple`] for a select_multiple, else [`Answer::Value`]
    /// (`""` when the answer was cleared).
    pub answer: Answer,
}

impl AnswerEvent {
    /// Where the answer goes, as the engine names it.
    pub fn location(&self) -> Location {
        Location {
            field: self.field.clone(),
            instance: self.instance.clone(),
        }
    }
}

/// Whether a repeat instance was added or removed (a message to the documents' module too).
pub use letsema_web_shared::messages::RepeatChange;

/// A person added or removed a repeat instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepeatEvent {
    /// The repeat's name.
    pub repeat: String,
    /// The repeats this one is in, outermost first.
    pub repeats: Vec<String>,
    /// The indexes of the enclosing instances, then the index of the instance itself.
    pub instance: Vec<usize>,
    /// What happened.
    pub change: RepeatChange,
}

/// The properties of [`FormView`].
///
/// The view opens `answers` of `form` in `environment` when it is created, and again only
/// when `form` changes (another `Arc`): later changes to `answers` or `environment` are
/// ignored, so that a parent may keep the answers it is told about without the view starting
/// over. To open another submission, give the view another `key` (the submission's id).
#[derive(Debug, Properties)]
pub struct FormViewProps {
    /// The form.
    pub form: Arc<CompiledForm>,
    /// The answers given before (none for a new submission).
    #[prop_or_default]
    pub answers: Answers,
    /// The clock, device and user the engine works with.
    pub environment: Environment,
    /// The language of labels and of the app's words, by code or name (`en`, `st`,
    /// `Sesotho`); the environment's, then the form's default, when `None`.
    #[prop_or_default]
    pub language: Option<String>,
    /// Every answer given.
    #[prop_or_default]
    pub on_answer: Callback<AnswerEvent>,
    /// Every repeat instance added or removed.
    #[prop_or_default]
    pub on_repeat: Callback<RepeatEvent>,
    /// Finalise was pressed on a complete, valid submission (once, until an answer
    /// changes).
    #[prop_or_default]
    pub on_finalise: Callback<()>,
    /// The submission's name (the form's `instance_name`; `None` when the form has none),
    /// when the view opens and when it changes: before the event of the answer that changed
    /// it.
    #[prop_or_default]
    pub on_name: Callback<Option<String>>,
}

impl PartialEq for FormViewProps {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.form, &other.form)
            && self.answers == other.answers
            && self.environment == other.environment
            && self.language == other.language
            && self.on_answer == other.on_answer
            && self.on_repeat == other.on_repeat
            && self.on_finalise == other.on_finalise
            && self.on_name == other.on_name
    }
}

/// A message of [`FormView`] (what a person did).
#[derive(Debug)]
pub struct FormViewMsg(Msg);

#[derive(Debug)]
enum Msg {
    Field(FieldMsg),
    Add {
        repeat: Rc<RepeatInfo>,
        outer: Vec<usize>,
    },
    Remove {
        repeat: Rc<RepeatInfo>,
        instance: Vec<usize>,
    },
    Next,
    Previous,
    Jump(Location),
    Finalise,
}

/// The form-filling view. See the [module documentation](self).
#[derive(Debug)]
pub struct FormView {
    opened: Result<Model, Vec<String>>,
    prefix: String,
    /// The page shown; `pages.len()` is the last page (check and finalise).
    page: usize,
    pending: Rc<RefCell<Pending>>,
    on_field: Callback<FieldMsg>,
    /// The element to focus after the next render.
    focus: Option<String>,
    finalised: bool,
    /// The name last reported through `on_name`.
    name: Option<String>,
    /// A refusal of the engine, which would be a bug of the view: shown, not hidden.
    failure: Option<String>,
    _listeners: Vec<EventListener>,
}

impl Component for FormView {
    type Message = FormViewMsg;
    type Properties = FormViewProps;

    fn create(ctx: &Context<Self>) -> Self {
        let props = ctx.props();
        let prefix = next_prefix();
        let pending = Rc::new(RefCell::new(Pending {
            answers: BTreeMap::new(),
            timer: false,
            on_answer: props.on_answer.clone(),
        }));
        let mut view = FormView {
            opened: open(props, &prefix),
            prefix,
            page: 0,
            pending: pending.clone(),
            on_field: ctx.link().callback(|m| FormViewMsg(Msg::Field(m))),
            focus: None,
            finalised: false,
            name: None,
            failure: None,
            _listeners: flush_when_hidden(&pending),
        };
        view.page = view.first_page();
        if let Ok(model) = &mut view.opened {
            view.name = model.instance_name();
            props.on_name.emit(view.name.clone());
            save_computed(model, &view.pending);
        }
        view
    }

    fn changed(&mut self, ctx: &Context<Self>, old: &Self::Properties) -> bool {
        let props = ctx.props();
        self.pending.borrow_mut().on_answer = props.on_answer.clone();
        if !Arc::ptr_eq(&props.form, &old.form) {
            flush_all(&self.pending);
            self.opened = open(props, &self.prefix);
            self.page = self.first_page();
            self.finalised = false;
            self.failure = None;
            if let Ok(model) = &mut self.opened {
                report_name(model, &mut self.name, &props.on_name);
                save_computed(model, &self.pending);
            }
            return true;
        }
        if props.language != old.language {
            let language = props
                .language
                .clone()
                .or_else(|| props.environment.language.clone());
            if let Ok(model) = &mut self.opened {
                model.set_language(language);
            }
            return true;
        }
        false
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Self::Message) -> bool {
        let Ok(model) = &mut self.opened else {
            return false;
        };
        match msg.0 {
            Msg::Field(FieldMsg { location, action }) => {
                let result = match action {
                    FieldAction::Input(value) => {
                        model.set_value(&location, &value).inspect(|&changed| {
                            if changed {
                                report_name(model, &mut self.name, &ctx.props().on_name);
                                let event = answer_event(model, &location);
                                queue(&self.pending, location, event);
                            }
                        })
                    }
                    FieldAction::Commit(value) => {
                        let result = model.set_value(&location, &value);
                        model.touch(&location);
                        result.inspect(|&changed| {
                            if changed {
                                report_name(model, &mut self.name, &ctx.props().on_name);
                                forget(&self.pending, &location);
                                ctx.props().on_answer.emit(answer_event(model, &location));
                            } else {
                                flush_one(&self.pending, &location);
                            }
                        })
                    }
                    FieldAction::Toggle(choice, on) => {
                        let value = model.toggled(&location, &choice, on);
                        let result = model.set_value(&location, &value);
                        model.touch(&location);
                        result.inspect(|&changed| {
                            if changed {
                                report_name(model, &mut self.name, &ctx.props().on_name);
                                ctx.props().on_answer.emit(answer_event(model, &location));
                            }
                        })
                    }
                    FieldAction::Blur => {
                        model.touch(&location);
                        flush_one(&self.pending, &location);
                        Ok(false)
                    }
                };
                match result {
                    Ok(changed) => {
                        // A changed answer may be finalised again.
                        self.finalised &= !changed;
                    }
                    Err(error) => self.failure = Some(error.to_string()),
                }
                save_computed(model, &self.pending);
                true
            }
            Msg::Add { repeat, outer } => {
                flush_all(&self.pending);
                match model.add_repeat(&repeat.name, &outer) {
                    Ok(index) => {
                        let mut instance = outer;
                        instance.push(index);
                        self.focus = first_field(&repeat.children)
                            .map(|name| model.element_id(&name, &instance));
                        self.finalised = false;
                        report_name(model, &mut self.name, &ctx.props().on_name);
                        ctx.props().on_repeat.emit(RepeatEvent {
                            repeat: repeat.name.clone(),
                            repeats: repeat.repeats.clone(),
                            instance,
                            change: RepeatChange::Added,
                        });
                        // After the instance: its calculations are saved inside it.
                        save_computed(model, &self.pending);
                    }
                    Err(error) => self.failure = Some(error.to_string()),
                }
                true
            }
            Msg::Remove { repeat, instance } => {
                flush_all(&self.pending);
                match model.remove_repeat(&repeat.name, &instance) {
                    Ok(()) => {
                        let outer = &instance[..instance.len().saturating_sub(1)];
                        self.focus = Some(add_button_id(model, &repeat.name, outer));
                        self.finalised = false;
                        report_name(model, &mut self.name, &ctx.props().on_name);
                        ctx.props().on_repeat.emit(RepeatEvent {
                            repeat: repeat.name.clone(),
                            repeats: repeat.repeats.clone(),
                            instance,
                            change: RepeatChange::Removed,
                        });
                        save_computed(model, &self.pending);
                    }
                    Err(error) => self.failure = Some(error.to_string()),
                }
                true
            }
            Msg::Next => {
                let pages = model.layout.pages.len();
                let next = (self.page + 1..pages)
                    .find(|&p| model.page_is_relevant(p))
                    .unwrap_or(pages);
                self.go_to(next);
                true
            }
            Msg::Previous => {
                if let Some(previous) = self.previous_page() {
                    self.go_to(previous);
                }
                true
            }
            Msg::Jump(location) => {
                if let Some(page) = model.layout.page_of(&location.field) {
                    self.page = page;
                }
                self.focus = Some(model.element_id(&location.field, &location.instance));
                true
            }
            Msg::Finalise => {
                if model.is_complete() && !self.finalised {
                    // `end` is when the form was finalised, saved with the answers.
                    model.set_now(crate::capture::now_local());
                    save_computed(model, &self.pending);
                }
                flush_all(&self.pending);
                if model.is_complete() && !self.finalised {
                    self.finalised = true;
                    ctx.props().on_finalise.emit(());
                }
                true
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let model = match &self.opened {
            Ok(model) => model,
            Err(errors) => {
                let words = Words::for_language(ctx.props().language.as_deref());
                return html! {
                    <div class="lf-form" role="alert">
                        <p class="lf-error">{ words.answers_do_not_fit }</p>
                        <ul>{ for errors.iter().map(|e| html! { <li>{ e }</li> }) }</ul>
                    </div>
                };
            }
        };
        let words = model.words();
        let pages = model.layout.pages.len();
        let on_review = self.page >= pages;
        let relevant: Vec<usize> = (0..pages).filter(|&p| model.page_is_relevant(p)).collect();
        let before = relevant.iter().filter(|&&p| p < self.page).count();
        let current_counted = on_review || relevant.contains(&self.page);
        let total = relevant.len() + 1 + usize::from(!current_counted);
        let position = before + 1;
        let title = if on_review {
            words.review_title.to_owned()
        } else {
            model.layout.pages[self.page]
                .title
                .as_ref()
                .and_then(|t| t.get(model.language(), model.default_language()))
                .map_or_else(|| model.layout.title.clone(), str::to_owned)
        };
        let link = ctx.link();
        let body = if on_review {
            self.review(ctx, model)
        } else {
            let page = &model.layout.pages[self.page];
            html! { <div class="lf-page">{ self.nodes(ctx, model, &page.items, &[]) }</div> }
        };
        let previous_disabled = self.previous_page().is_none();
        html! {
            <div class="lf-form" lang={words.code}>
                <header class="lf-header">
                    <p class="lf-progress">{ words.page_of(position, total) }</p>
                    <h2 class="lf-page-title" id={self.heading_id()} tabindex="-1">{ title }</h2>
                </header>
                if let Some(failure) = &self.failure {
                    <p class="lf-error" role="alert">{ failure }</p>
                }
                { body }
                <nav class="lf-nav" aria-label={words.navigation}>
                    <button
                        type="button"
                        class="lf-button lf-secondary"
                        disabled={previous_disabled}
                        onclick={link.callback(|_: MouseEvent| FormViewMsg(Msg::Previous))}
                    >{ words.previous }</button>
                    if on_review {
                        <button
                            type="button"
                            class="lf-button lf-primary"
                            disabled={!model.is_complete() || self.finalised}
                            onclick={link.callback(|_: MouseEvent| FormViewMsg(Msg::Finalise))}
                        >{ words.finalise }</button>
                    } else {
                        <button
                            type="button"
                            class="lf-button lf-primary"
                            onclick={link.callback(|_: MouseEvent| FormViewMsg(Msg::Next))}
                        >{ words.next }</button>
                    }
                </nav>
            </div>
        }
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first_render: bool) {
        if let Some(id) = self.focus.take()
            && !focus(&id)
        {
            // Not mounted yet (yew may pause a long render to keep the page responsive):
            // try again shortly.
            yew::platform::spawn_local(async move {
                for _ in 0..FOCUS_RETRIES {
                    yew::platform::time::sleep(Duration::from_millis(16)).await;
                    if focus(&id) {
                        break;
                    }
                }
            });
        }
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        flush_all(&self.pending);
    }
}

impl FormView {
    fn model(&self) -> Option<&Model> {
        self.opened.as_ref().ok()
    }

    fn heading_id(&self) -> String {
        format!("{}heading", self.prefix)
    }

    fn first_page(&self) -> usize {
        let Some(model) = self.model() else {
            return 0;
        };
        let pages = model.layout.pages.len();
        (0..pages)
            .find(|&p| model.page_is_relevant(p))
            .unwrap_or(pages)
    }

    fn previous_page(&self) -> Option<usize> {
        let model = self.model()?;
        (0..self.page.min(model.layout.pages.len()))
            .rev()
            .find(|&p| model.page_is_relevant(p))
    }

    fn go_to(&mut self, page: usize) {
        self.page = page;
        self.focus = Some(self.heading_id());
        if let Ok(model) = &mut self.opened
            && page >= model.layout.pages.len()
        {
            model.reveal();
        }
    }

    fn nodes(
        &self,
        ctx: &Context<Self>,
        model: &Model,
        nodes: &[Node],
        instance: &[usize],
    ) -> Html {
        let words = model.words();
        // Every child is keyed (yew diffs a list by keys only when all of them have one):
        // silent questions are left out rather than drawn as nothing.
        let shown = nodes.iter().filter(|node| match node {
            Node::Question(info) => info.widget != Widget::Silent,
            Node::Group(_) | Node::Repeat(_) => true,
        });
        let rendered = shown.map(|node| match node {
            Node::Question(info) => {
                let data = model.field(info, instance);
                let key = data.id.clone();
                html! {
                    <FieldView
                        {key}
                        {data}
                        {words}
                        on_event={self.on_field.clone()}
                    />
                }
            }
            Node::Group(group) => {
                let id = model.element_id(&group.name, instance);
                if !model.is_relevant(&group.name, instance) {
                    return html! { <div key={id} hidden=true></div> };
                }
                let text = |t: &letsema_form::model::Text| {
                    t.get(model.language(), model.default_language())
                        .map(str::to_owned)
                };
                html! {
                    <section key={id.clone()} id={id} class="lf-group">
                        if let Some(label) = text(&group.label) {
                            <h3 class="lf-group-title">{ label }</h3>
                        }
                        if let Some(hint) = text(&group.hint) {
                            <p class="lf-hint">{ hint }</p>
                        }
                        { self.nodes(ctx, model, &group.children, instance) }
                    </section>
                }
            }
            Node::Repeat(repeat) => self.repeat(ctx, model, repeat, instance),
        });
        rendered.collect::<Html>()
    }

    fn repeat(
        &self,
        ctx: &Context<Self>,
        model: &Model,
        repeat: &Rc<RepeatInfo>,
        outer: &[usize],
    ) -> Html {
        let words = model.words();
        let count = model.repeat_count(&repeat.name, outer);
        let id = model.element_id(&repeat.name, outer);
        let text = |t: &letsema_form::model::Text| {
            t.get(model.language(), model.default_language())
                .map(str::to_owned)
        };
        let label = text(&repeat.label).unwrap_or_else(|| repeat.name.clone());
        let instances = (0..count).map(|i| {
            let mut instance = outer.to_vec();
            instance.push(i);
            let instance_id = model.element_id(&repeat.name, &instance);
            if !model.is_relevant(&repeat.name, &instance) {
                return html! { <div key={instance_id} hidden=true></div> };
            }
            let heading = format!("{label} {}", i + 1);
            let remove = {
                let repeat = repeat.clone();
                let instance = instance.clone();
                ctx.link().callback(move |_: MouseEvent| {
                    FormViewMsg(Msg::Remove {
                        repeat: repeat.clone(),
                        instance: instance.clone(),
                    })
                })
            };
            html! {
                <div key={instance_id.clone()} class="lf-instance" id={instance_id.clone()}>
                    <h4 class="lf-instance-title">{ heading.clone() }</h4>
                    { self.nodes(ctx, model, &repeat.children, &instance) }
                    if !repeat.counted {
                        <button
                            type="button"
                            class="lf-button lf-secondary lf-remove"
                            aria-label={format!("{}: {heading}", words.remove)}
                            onclick={remove}
                        >{ words.remove }</button>
                    }
                </div>
            }
        });
        let add = {
            let repeat = repeat.clone();
            let outer = outer.to_vec();
            ctx.link().callback(move |_: MouseEvent| {
                FormViewMsg(Msg::Add {
                    repeat: repeat.clone(),
                    outer: outer.clone(),
                })
            })
        };
        html! {
            <section key={id.clone()} class="lf-repeat" id={id}>
                <h3 class="lf-group-title">{ label.clone() }</h3>
                if let Some(hint) = text(&repeat.hint) {
                    <p class="lf-hint">{ hint }</p>
                }
                { for instances }
                if !repeat.counted {
                    <button
                        type="button"
                        id={add_button_id(model, &repeat.name, outer)}
                        class="lf-button lf-secondary lf-add"
                        disabled={count >= MAX_REPEAT_COUNT}
                        onclick={add}
                    >{ format!("{}: {label}", words.add) }</button>
                }
            </section>
        }
    }

    fn review(&self, ctx: &Context<Self>, model: &Model) -> Html {
        let words = model.words();
        if self.finalised {
            return html! { <p class="lf-done" role="status">{ words.finalised }</p> };
        }
        let issues = model.issues();
        if issues.is_empty() {
            return html! { <p class="lf-ready" role="status">{ words.review_ready }</p> };
        }
        let rows = issues.into_iter().map(|issue| {
            let key = model.element_id(&issue.location.field, &issue.location.instance);
            let location = issue.location.clone();
            let onclick = ctx
                .link()
                .callback(move |_: MouseEvent| FormViewMsg(Msg::Jump(location.clone())));
            let label = if issue.location.instance.is_empty() {
                issue.label.clone()
            } else {
                let numbers: Vec<String> = issue
                    .location
                    .instance
                    .iter()
                    .map(|i| (i + 1).to_string())
                    .collect();
                format!("{} ({})", issue.label, numbers.join(", "))
            };
            html! {
                <li key={key} class="lf-issue">
                    <button type="button" class="lf-link" {onclick}>{ label }</button>
                    <span class="lf-issue-message">{ issue.message }</span>
                </li>
            }
        });
        html! {
            <div class="lf-review">
                <p>{ words.review_issues }</p>
                <ul class="lf-issues" aria-label={words.go_to_question}>{ for rows }</ul>
            </div>
        }
    }
}

/// How many times focusing an element not mounted yet is tried again.
const FOCUS_RETRIES: usize = 20;

/// Focuses the element with this id; `false` when there is none.
fn focus(id: &str) -> bool {
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    match element {
        Some(element) => {
            let _ = element.focus();
            true
        }
        None => false,
    }
}

fn add_button_id(model: &Model, repeat: &str, outer: &[usize]) -> String {
    format!("{}-add", model.element_id(repeat, outer))
}

/// The first question a person answers in a list of items (to focus in a new instance).
fn first_field(nodes: &[Node]) -> Option<String> {
    nodes.iter().find_map(|node| match node {
        Node::Question(q) if matches!(q.widget, Widget::Silent | Widget::Note) => None,
        Node::Question(q) => Some(q.question.name.to_string()),
        Node::Group(g) => first_field(&g.children),
        Node::Repeat(_) => None,
    })
}

fn open(props: &FormViewProps, prefix: &str) -> Result<Model, Vec<String>> {
    Model::new(
        props.form.clone(),
        &props.answers,
        props.environment.clone(),
        props.language.clone(),
        prefix.to_owned(),
    )
    .map_err(|errors| errors.iter().map(ToString::to_string).collect())
}

/// Reports the submission's name through `on_name` when it is not `last` (the name last
/// reported), and keeps it as `last`.
fn report_name(model: &Model, last: &mut Option<String>, on_name: &Callback<Option<String>>) {
    let name = model.instance_name();
    if name != *last {
        on_name.emit(name.clone());
        *last = name;
    }
}

/// Queues the computed values the engine changed (calculations, metadata) to be saved
/// with the answers, as the answers typed are: ODK keeps them in the submission.
fn save_computed(model: &mut Model, pending: &Rc<RefCell<Pending>>) {
    for location in model.take_unsaved() {
        let event = answer_event(model, &location);
        queue(pending, location, event);
    }
}

fn answer_event(model: &Model, location: &Location) -> AnswerEvent {
    let value = model.value(location);
    AnswerEvent {
        field: location.field.clone(),
        repeats: model.repeats_of(&location.field),
        instance: location.instance.clone(),
        answer: model.answer(location, &value),
    }
}

thread_local! {
    static VIEWS: Cell<u32> = const { Cell::new(0) };
}

/// A prefix for the ids of one view's elements, so that two views on a page (or a view
/// and the rest of the app) never share an id.
fn next_prefix() -> String {
    let n = VIEWS.with(|views| {
        let n = views.get().wrapping_add(1);
        views.set(n);
        n
    });
    format!("lf{n}-")
}

/// Answers typed but not reported yet, and whom to report them to.
#[derive(Debug)]
struct Pending {
    answers: BTreeMap<Location, AnswerEvent>,
    timer: bool,
    on_answer: Callback<AnswerEvent>,
}

/// Keeps a typed answer to report, and makes sure it is reported soon.
fn queue(pending: &Rc<RefCell<Pending>>, location: Location, event: AnswerEvent) {
    let start_timer = {
        let mut p = pending.borrow_mut();
        p.answers.insert(location, event);
        !std::mem::replace(&mut p.timer, true)
    };
    if start_timer {
        let weak: Weak<RefCell<Pending>> = Rc::downgrade(pending);
        yew::platform::spawn_local(async move {
            yew::platform::time::sleep(Duration::from_millis(ANSWER_DEBOUNCE_MS)).await;
            if let Some(pending) = weak.upgrade() {
                flush_all(&pending);
            }
        });
    }
}

/// Reports every answer not reported yet.
fn flush_all(pending: &Rc<RefCell<Pending>>) {
    let (answers, on_answer) = {
        let mut p = pending.borrow_mut();
        p.timer = false;
        (std::mem::take(&mut p.answers), p.on_answer.clone())
    };
    for event in answers.into_values() {
        on_answer.emit(event);
    }
}

/// Reports the answer of one field if it was not reported yet.
fn flush_one(pending: &Rc<RefCell<Pending>>, location: &Location) {
    let (event, on_answer) = {
        let mut p = pending.borrow_mut();
        (p.answers.remove(location), p.on_answer.clone())
    };
    if let Some(event) = event {
        on_answer.emit(event);
    }
}

/// Drops an unreported answer that is about to be reported with a newer value.
fn forget(pending: &Rc<RefCell<Pending>>, location: &Location) {
    pending.borrow_mut().answers.remove(location);
}

/// Reports unreported answers when the page is hidden or closed: a phone may kill a
/// hidden tab without another event.
fn flush_when_hidden(pending: &Rc<RefCell<Pending>>) -> Vec<EventListener> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let mut listeners = Vec::new();
    let on_hide = pending.clone();
    listeners.push(EventListener::new(&window, "pagehide", move |_| {
        flush_all(&on_hide)
    }));
    if let Some(document) = window.document() {
        let on_hidden = pending.clone();
        let watched = document.clone();
        listeners.push(EventListener::new(
            &document,
            "visibilitychange",
            move |_| {
                if watched.hidden() {
                    flush_all(&on_hidden);
                }
            },
        ));
    }
    listeners
}
