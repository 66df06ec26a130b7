//! Filling in a submission: a draft opened in the documents' module
//! ([`bridge`](crate::bridge)), shown by the [`FormView`], every answer written into the
//! draft's submission document and saved at once, and finalised into the documents the sync
//! sends.

use std::rc::Rc;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Offset, Utc};
use letsema_answers::Answer;
use letsema_form::runtime::{Answers, CompiledForm, Environment};
use letsema_ids::DocId;
use letsema_protocol::{DeviceForm, Enrolled};
pub use letsema_web_shared::messages::FillKind;
use letsema_web_shared::messages::{Edit, OpenRequest, RepeatEdit, StartRequest, WriterRequest};
pub use letsema_web_shared::{now_ms, random_bytes};
use yew::prelude::*;

use crate::bridge::{BridgeError, OpenedSubmission};
use crate::form_view::{AnswerEvent, FormView, RepeatEvent};
use crate::words::AppWords;

/// Now, in the browser's time zone (the form engine never reads the clock itself).
pub fn now_local() -> DateTime<FixedOffset> {
    let date = js_sys::Date::new_0();
    // getTimezoneOffset is minutes *behind* UTC.
    let offset_seconds = -(date.get_timezone_offset() as i32) * 60;
    let offset = FixedOffset::east_opt(offset_seconds).unwrap_or_else(|| Utc.fix());
    DateTime::from_timestamp_millis(now_ms())
        .unwrap_or_default()
        .with_timezone(&offset)
}

/// The writer of this page's edits: the enrolled device and a session made for this page
/// load, so that two tabs never share an automerge actor.
pub fn page_writer(enrolled: &Enrolled, session: &[u8; 16]) -> WriterRequest {
    WriterRequest {
        device: enrolled.device.id.clone(),
        session: *session,
    }
}

/// Starts a new submission of `form` as a draft; its id.
///
/// # Errors
///
/// What went wrong, in words a person can act on.
pub async fn start_draft(
    form: &DeviceForm,
    enrolled: &Enrolled,
    writer: WriterRequest,
    language: Option<&str>,
) -> Result<DocId, BridgeError> {
    crate::bridge::start_draft(&StartRequest {
        form_id: form.form_id.clone(),
        form_version: form.version.clone(),
        association: enrolled.device.association.clone(),
        language: language.map(str::to_owned),
        writer,
    })
    .await
}

/// The longest name a record keeps, in characters (a name is for telling records apart in a
/// list; the answers hold the rest).
pub const MAX_NAME_CHARS: usize = 120;

/// The name a draft or a submission is listed by, from its form's `instance_name` as the
/// engine computed it: without the spaces and separators around it, at most
/// [`MAX_NAME_CHARS`] characters, and `None` when nothing is left that names anyone (the
/// reference form's `concat(${surname}, ', ', ${first_name})` is `", "` before both are
/// answered).
pub fn record_name(instance_name: Option<&str>) -> Option<String> {
    let separator = |c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '/' | '|');
    let name = instance_name?.trim_matches(separator);
    if !name.chars().any(char::is_alphanumeric) {
        return None;
    }
    let cut: String = name.chars().take(MAX_NAME_CHARS).collect();
    Some(cut.trim_end().to_owned())
}

/// The edit an answer event stands for; `None` for a repeat's instances as a whole (those
/// change through [`RepeatEvent`]s).
pub fn answer_edit(event: &AnswerEvent) -> Option<Edit> {
    let value = match &event.answer {
        Answer::Repeat(_) => return None,
        answer => answer.clone(),
    };
    Some(Edit::Answer {
        repeats: event.repeats.clone(),
        instance: event.instance.clone(),
        field: event.field.clone(),
        value,
    })
}

/// The edit a repeat event stands for.
pub fn repeat_edit(event: &RepeatEvent) -> Edit {
    Edit::Repeat(RepeatEdit {
        repeats: event.repeats.clone(),
        instance: event.instance.clone(),
        repeat: event.repeat.clone(),
        change: event.change,
    })
}

/// What [`Filler`] reports when it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FillerDone {
    /// Finalised: the submission waits for the sync.
    Finalised(DocId),
    /// Back to the list; the draft is kept.
    Back,
}

/// The properties of [`Filler`].
#[derive(Debug, Properties, Clone, PartialEq)]
pub struct FillerProps {
    /// The draft to fill in (for a correction: the submission).
    pub id: DocId,
    /// A draft or a correction.
    #[prop_or(FillKind::Draft)]
    pub kind: FillKind,
    /// Its form.
    pub form: DeviceForm,
    /// This page's writer.
    pub writer: WriterRequest,
    /// The language of labels and of the app's words, by code or name (`en`, `st`); `None`:
    /// the form's default labels and English words.
    #[prop_or_default]
    pub language: Option<String>,
    /// Done.
    pub on_done: Callback<FillerDone>,
}

/// A draft opened for filling in: its document, its compiled form, its answers so far.
type Opened = (Rc<OpenedSubmission>, Arc<CompiledForm>, Answers);

/// Why a draft could not be opened. Kept as a reason, so that it is said in the language
/// chosen when it is shown.
#[derive(Debug, Clone, PartialEq)]
enum OpenProblem {
    /// The form does not compile here: the engine's reasons (in English).
    Unusable(String),
    /// The documents' module could not open it, in its own words (in English).
    NotOpened(String),
}

impl OpenProblem {
    fn describe(&self, words: &AppWords) -> String {
        match self {
            OpenProblem::Unusable(reasons) => (words.form_unusable)(reasons),
            OpenProblem::NotOpened(why) => why.clone(),
        }
    }
}

/// Opens the draft or submission `props` names, and compiles its form.
async fn open(props: &FillerProps) -> Result<Opened, OpenProblem> {
    let compiled = CompiledForm::new(&props.form.definition).map_err(|errors| {
        let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
        OpenProblem::Unusable(reasons.join("; "))
    })?;
    let (opened, answers) = OpenedSubmission::open(&OpenRequest {
        id: props.id,
        kind: props.kind,
        language: props.language.clone(),
        writer: props.writer.clone(),
    })
    .await
    .map_err(|error| OpenProblem::NotOpened(error.to_string()))?;
    Ok((Rc::new(opened), Arc::new(compiled), answers))
}

/// Fills in one draft.
#[function_component(Filler)]
pub fn filler(props: &FillerProps) -> Html {
    let words = AppWords::for_language(props.language.as_deref());
    let opened = use_state(|| None::<Result<Opened, OpenProblem>>);
    {
        let opened = opened.clone();
        let props = props.clone();
        use_effect_with((props.id, props.kind), move |_| {
            opened.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                opened.set(Some(open(&props).await));
            });
        });
    }
    // `_eq`: a successful save clears it, which must not redraw the form when it is clear.
    let problem = use_state_eq(|| None::<String>);
    // The submission's name as the form view last reported it, saved with every edit: a
    // cell, not state, since a new name changes nothing on this screen.
    let name = use_mut_ref(|| None::<String>);
    let back = {
        let on_done = props.on_done.clone();
        Callback::from(move |_| on_done.emit(FillerDone::Back))
    };
    let (doc, compiled, answers) = match &*opened {
        Some(Ok(opened)) => opened.clone(),
        Some(Err(why)) => {
            return html! {
                <section class="filler" aria-label={words.fill_in}>
                    <button type="button" class="secondary" onclick={back}>{ words.back }</button>
                    <p class="problem" role="alert">{ why.describe(words) }</p>
                </section>
            };
        }
        None => return html! { <p class="loading">{ words.opening_form }</p> },
    };
    let write = {
        let doc = doc.clone();
        let problem = problem.clone();
        let name = name.clone();
        move |edit: Edit| match doc.edit(&edit, name.borrow().as_deref()) {
            Ok(saved) => {
                let problem = problem.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    match saved.await {
                        Err(error) => problem.set(Some(error.to_string())),
                        // A save holds every answer so far, those whose saves failed
                        // included: the warning that they were not saved is over.
                        Ok(_) => problem.set(None),
                    }
                });
            }
            Err(why) => problem.set(Some(why.to_string())),
        }
    };
    let on_answer = {
        let write = write.clone();
        Callback::from(move |event: AnswerEvent| {
            if let Some(edit) = answer_edit(&event) {
                write(edit);
            }
        })
    };
    let on_repeat = Callback::from(move |event: RepeatEvent| write(repeat_edit(&event)));
    let on_finalise = {
        let doc = doc.clone();
        let id = props.id;
        let on_done = props.on_done.clone();
        let problem = problem.clone();
        let name = name.clone();
        Callback::from(move |()| {
            let (doc, on_done, problem) = (doc.clone(), on_done.clone(), problem.clone());
            let name = name.borrow().clone();
            wasm_bindgen_futures::spawn_local(async move {
                match doc.finalise(name.as_deref()).await {
                    Ok(()) => on_done.emit(FillerDone::Finalised(id)),
                    Err(error) => problem.set(Some(error.to_string())),
                }
            });
        })
    };
    let on_name = Callback::from(move |reported: Option<String>| {
        *name.borrow_mut() = record_name(reported.as_deref());
    });
    let language = props.language.clone();
    let environment = {
        let mut environment = Environment::new(now_local())
            .with_device_id(props.writer.device.clone())
            .with_seed(u64::from_le_bytes(random_bytes::<8>()));
        if let Some(language) = &language {
            environment = environment.with_language(language.clone());
        }
        environment
    };
    html! {
        <section class="filler" aria-label={words.fill_in}>
            <button type="button" class="secondary" onclick={back}>{ words.back_keeping_draft }</button>
            if let Some(problem) = &*problem {
                <p class="problem" role="alert">{ problem.clone() }</p>
            }
            <FormView
                key={props.id.to_string()}
                form={compiled}
                answers={answers}
                environment={environment}
                language={language}
                on_answer={on_answer}
                on_repeat={on_repeat}
                on_finalise={on_finalise}
                on_name={on_name}
            />
        </section>
    }
}

#[cfg(test)]
mod tests {
    // On wasm32 the same tests run in the browser (`./dev test` runs the crate there).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn a_record_is_named_by_what_its_instance_name_gives() {
        let name = |raw: &str| record_name(Some(raw));
        assert_eq!(name("Mokoena, Palesa").as_deref(), Some("Mokoena, Palesa"));
        // Before both are answered, or with one of them: no dangling separator.
        assert_eq!(name(", "), None);
        assert_eq!(name("Mokoena, ").as_deref(), Some("Mokoena"));
        assert_eq!(name(", Palesa").as_deref(), Some("Palesa"));
        assert_eq!(name("  - / "), None);
        assert_eq!(name("").as_deref(), None);
        assert_eq!(record_name(None), None);
        // Other scripts and digits name someone too.
        assert_eq!(name("Ngũgĩ, 2").as_deref(), Some("Ngũgĩ, 2"));
        // A long name is cut, on a character (not a byte) boundary.
        let long = "Tšepo ".repeat(40);
        let cut = name(&long).expect("a name");
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS - 1, "{cut:?}");
        assert!(
            cut.starts_with("Tšepo Tšepo") && cut.ends_with("Tšepo"),
            "{cut:?}"
        );
    }
}
