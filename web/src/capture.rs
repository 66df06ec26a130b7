//! Filling in a submission: a draft opened from storage, shown by the [`FormView`], every
//! answer written into the draft's submission document and saved at once, and finalised into
//! the documents the sync sends.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Offset, Utc};
use letsema_doc::{
    AnswerPath, AnswerValue, AssociationId, DeviceId, FormId, FormVersion, NewSubmission,
    SessionId, SubmissionDoc, SubmissionId, Timestamp, Writer,
};
use letsema_form::runtime::{Answer, Answers, CompiledForm, Environment};
use letsema_protocol::answers::to_form_answers;
use letsema_protocol::{DeviceForm, Enrolled};
use letsema_sync::wire::DocId;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::form_view::{AnswerEvent, FormView, RepeatChange, RepeatEvent};
pub use crate::storage::now_ms;
use crate::storage::{Draft, Storage};

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

/// `N` random bytes from the browser's cryptographic generator (zeros only if it is
/// missing, which no browser that runs WebAssembly lacks).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    let array = js_sys::Uint8Array::new_with_length(N as u32);
    let crypto =
        web_sys::window().and_then(|window| js_sys::Reflect::get(&window, &"crypto".into()).ok());
    if let Some(crypto) = crypto {
        let get = js_sys::Reflect::get(&crypto, &"getRandomValues".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(get) = get
            && get.call1(&crypto, &array).is_ok()
        {
            array.copy_to(&mut bytes);
        }
    }
    bytes
}

/// The writer of this page's edits: the enrolled device and a session made for this page
/// load, so that two tabs never share an automerge actor.
///
/// # Errors
///
/// When the stored device id is not one (the enrolment is damaged: enrol again).
pub fn page_writer(enrolled: &Enrolled, session: &[u8; 16]) -> Result<Writer, String> {
    let device = DeviceId::parse(&enrolled.device.id)
        .map_err(|e| format!("this device's enrolment is damaged ({e}): enrol it again"))?;
    let session = SessionId::from_bytes(session).map_err(|e| e.to_string())?;
    Ok(Writer::new(device, session, None))
}

/// Starts a new submission of `form` and saves it as a draft.
///
/// # Errors
///
/// What went wrong, in words a person can act on.
pub async fn start_draft(
    storage: &Storage,
    form: &DeviceForm,
    enrolled: &Enrolled,
    writer: Writer,
    language: Option<&str>,
) -> Result<Draft, String> {
    let new = NewSubmission {
        submission_id: SubmissionId::from_random_bytes(random_bytes::<16>()),
        form_id: FormId::parse(&form.form_id).map_err(|e| e.to_string())?,
        form_version: FormVersion::parse(&form.version).map_err(|e| e.to_string())?,
        association: Some(
            AssociationId::parse(&enrolled.device.association).map_err(|e| e.to_string())?,
        ),
    };
    let mut doc =
        SubmissionDoc::create(new, writer, Timestamp(now_ms())).map_err(|e| e.to_string())?;
    storage
        .put_draft(&mut doc, language)
        .await
        .map_err(|e| e.to_string())
}

/// Writes one answer the view reported into the document.
///
/// # Errors
///
/// When the document refuses it (a repeat instance removed on another device, say).
pub fn apply_answer(doc: &mut SubmissionDoc, event: &AnswerEvent) -> Result<(), String> {
    let value = match &event.answer {
        Answer::Value(text) => AnswerValue::Text(text.clone()),
        Answer::Multiple(values) => AnswerValue::List(values.clone()),
        Answer::Repeat(_) => return Ok(()),
    };
    let at = Timestamp(now_ms());
    let path = locate(doc, &event.repeats, &event.instance, &event.field)?;
    doc.set_answer_at(&path, &value, at)
        .map_err(|e| e.to_string())
}

/// Adds or removes the repeat instance the view reported.
///
/// # Errors
///
/// As [`apply_answer`].
pub fn apply_repeat(doc: &mut SubmissionDoc, event: &RepeatEvent) -> Result<(), String> {
    let at = Timestamp(now_ms());
    let (own, outer) = event
        .instance
        .split_last()
        .ok_or_else(|| "a repeat event without an instance".to_owned())?;
    let path = locate(doc, &event.repeats, outer, &event.repeat)?;
    match event.change {
        RepeatChange::Added => doc
            .add_repeat_instance(&path, &letsema_doc::Answers::new(), at)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        RepeatChange::Removed => {
            let instances = doc.repeat_instances(&path);
            let instance = instances
                .get(*own)
                .ok_or_else(|| "that repeat instance is gone".to_owned())?;
            doc.remove_repeat_instance(&path, &instance.id, at)
                .map_err(|e| e.to_string())
        }
    }
}

/// The path of `field` inside the repeat instances named by `repeats` and `instance`.
fn locate(
    doc: &SubmissionDoc,
    repeats: &[String],
    instance: &[usize],
    field: &str,
) -> Result<AnswerPath, String> {
    let Some((first, _)) = repeats.split_first() else {
        return Ok(AnswerPath::field(field));
    };
    let mut path = AnswerPath::field(first.clone());
    for (depth, index) in instance.iter().enumerate().take(repeats.len()) {
        let instances = doc.repeat_instances(&path);
        let id = instances
            .get(*index)
            .map(|i| i.id.clone())
            .ok_or_else(|| format!("instance {} of {} is gone", index + 1, repeats[depth]))?;
        let next = repeats.get(depth + 1).map_or(field, String::as_str);
        path = path.child(&id, next);
    }
    Ok(path)
}

/// What [`Filler`] reports when it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FillerDone {
    /// Finalised: the submission waits for the sync.
    Finalised(DocId),
    /// Back to the list; the draft is kept.
    Back,
}

/// What is being filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillKind {
    /// A draft: saved among the drafts; Finalise moves it to the submissions to send.
    Draft,
    /// A finalised submission being corrected (after a reviewer's comment, say): saved among
    /// the submissions, so that the correction is sent; Finalise closes it.
    Correction,
}

/// The properties of [`Filler`].
#[derive(Debug, Properties, Clone)]
pub struct FillerProps {
    /// The app's storage.
    pub storage: Storage,
    /// The draft to fill in (for a correction: the submission, in the same shape).
    pub draft: Draft,
    /// A draft or a correction.
    #[prop_or(FillKind::Draft)]
    pub kind: FillKind,
    /// Its form.
    pub form: DeviceForm,
    /// This page's writer.
    pub writer: Writer,
    /// The language of labels.
    #[prop_or_default]
    pub language: Option<String>,
    /// Done.
    pub on_done: Callback<FillerDone>,
}

impl PartialEq for FillerProps {
    fn eq(&self, other: &Self) -> bool {
        self.draft.id == other.draft.id
            && self.kind == other.kind
            && self.form == other.form
            && self.language == other.language
            && self.on_done == other.on_done
    }
}

/// Saves `doc` where its kind belongs (merged with what is stored, never overwriting).
async fn keep(
    storage: &Storage,
    doc: &mut SubmissionDoc,
    kind: FillKind,
    language: Option<&str>,
) -> Result<(), crate::storage::StorageError> {
    match kind {
        FillKind::Draft => storage.put_draft(doc, language).await.map(|_| ()),
        FillKind::Correction => storage.put_document(doc).await.map(|_| ()),
    }
}

/// A draft opened for filling in: its document, its compiled form, its answers so far.
type Opened = (Rc<RefCell<SubmissionDoc>>, Arc<CompiledForm>, Answers);

/// Fills in one draft.
#[function_component(Filler)]
pub fn filler(props: &FillerProps) -> Html {
    let opened = use_memo(props.draft.id, {
        let draft = props.draft.clone();
        let writer = props.writer.clone();
        let definition = props.form.definition.clone();
        move |_| -> Result<Opened, String> {
            let doc = draft.open(writer).map_err(|e| e.to_string())?;
            let compiled = CompiledForm::new(&definition).map_err(|errors| {
                let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
                format!("this form cannot be filled in here: {}", reasons.join("; "))
            })?;
            let answers = to_form_answers(&doc.answers());
            Ok((Rc::new(RefCell::new(doc)), Arc::new(compiled), answers))
        }
    });
    let problem = use_state(|| None::<String>);
    let (doc, compiled, answers) = match &*opened {
        Ok(opened) => opened.clone(),
        Err(why) => {
            return html! { <p class="problem" role="alert">{ why.clone() }</p> };
        }
    };
    let language = props.language.clone();
    let kind = props.kind;
    let save = {
        let storage = props.storage.clone();
        let doc = doc.clone();
        let problem = problem.clone();
        let language = language.clone();
        move || {
            let mut copy = doc.borrow().clone();
            let storage = storage.clone();
            let problem = problem.clone();
            let language = language.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(error) = keep(&storage, &mut copy, kind, language.as_deref()).await {
                    problem.set(Some(format!("This answer could not be saved: {error}")));
                }
            });
        }
    };
    let on_answer = {
        let doc = doc.clone();
        let problem = problem.clone();
        let save = save.clone();
        Callback::from(move |event: AnswerEvent| {
            let written = apply_answer(&mut doc.borrow_mut(), &event);
            match written {
                Ok(()) => save(),
                Err(why) => problem.set(Some(why)),
            }
        })
    };
    let on_repeat = {
        let doc = doc.clone();
        let problem = problem.clone();
        Callback::from(move |event: RepeatEvent| {
            let written = apply_repeat(&mut doc.borrow_mut(), &event);
            match written {
                Ok(()) => save(),
                Err(why) => problem.set(Some(why)),
            }
        })
    };
    let on_finalise = {
        let storage = props.storage.clone();
        let doc = doc.clone();
        let id = props.draft.id;
        let on_done = props.on_done.clone();
        let problem = problem.clone();
        let language = language.clone();
        Callback::from(move |()| {
            let mut copy = doc.borrow().clone();
            let storage = storage.clone();
            let on_done = on_done.clone();
            let problem = problem.clone();
            let language = language.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // The last answers first, then the move, so nothing typed is left behind.
                let finalised = match keep(&storage, &mut copy, kind, language.as_deref()).await {
                    Ok(()) if kind == FillKind::Draft => storage.finalise(id).await.map(|_| ()),
                    Ok(()) => Ok(()),
                    Err(error) => Err(error),
                };
                match finalised {
                    Ok(()) => on_done.emit(FillerDone::Finalised(id)),
                    Err(error) => problem.set(Some(format!(
                        "The submission could not be finalised: {error}"
                    ))),
                }
            });
        })
    };
    let back = {
        let on_done = props.on_done.clone();
        Callback::from(move |_| on_done.emit(FillerDone::Back))
    };
    let environment = {
        let mut environment = Environment::new(now_local())
            .with_device_id(props.writer.device.as_str().to_owned())
            .with_seed(u64::from_le_bytes(random_bytes::<8>()));
        if let Some(language) = &language {
            environment = environment.with_language(language.clone());
        }
        environment
    };
    html! {
        <section class="filler" aria-label="Fill in the form">
            <button type="button" class="secondary" onclick={back}>{ "Back to the list (the draft is kept)" }</button>
            if let Some(problem) = &*problem {
                <p class="problem" role="alert">{ problem.clone() }</p>
            }
            <FormView
                key={props.draft.id.to_string()}
                form={compiled}
                answers={answers}
                environment={environment}
                language={language}
                on_answer={on_answer}
                on_repeat={on_repeat}
                on_finalise={on_finalise}
            />
        </section>
    }
}
