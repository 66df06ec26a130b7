//! The screens' side of the app's two modules: calls into the submission documents' module
//! (`letsema-web-submissions`, in `web/submissions`), loaded after the first screen.
//!
//! `app.js` defines `window.letsemaDocs()`: it imports and instantiates the second module
//! once and resolves to its exports; a failed load is tried again on the next call. Every
//! function here awaits it first, so the first call after a page load may wait for the
//! module (from the service worker's cache when offline); [`preload`] starts that early.
//! Messages cross as JSON ([`letsema_web_shared::messages`]); errors are [`BridgeError`]s,
//! the second module's own in its words, written for people.

use std::future::Future;

use js_sys::{Function, Promise, Reflect, Uint8Array};
use letsema_ids::DocId;
use letsema_web_shared::messages::{
    DocumentsOverview, Edit, ImportReport, OpenRequest, StartRequest, SyncOutcome, SyncRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Why a call into the second module failed. Every message says what to do; those of
/// [`BridgeError::Module`] are the second module's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BridgeError {
    /// There is no window to load it into.
    NoWindow,
    /// `app.js` defines no `window.letsemaDocs`.
    LoaderMissing,
    /// `window.letsemaDocs` gave no promise.
    LoaderDamaged,
    /// Loading it failed (offline on a first visit, say): the browser's reason.
    NotLoaded(String),
    /// It lacks an export this version calls: the two modules are of different versions.
    Missing(String),
    /// A request could not be written as JSON.
    Unwritable(String),
    /// Its answer was not what this version expects: what it was.
    Unexpected(&'static str),
    /// Its answer did not read.
    Unreadable(String),
    /// It refused, in its own words (in English): why, and what to do.
    Module(String),
}

impl std::error::Error for BridgeError {}

impl std::fmt::Display for BridgeError {
    // By hand rather than with thiserror: the messages share their start, written once
    // (the first module's size is watched).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const RELOAD: &str = ". Reload the page.";
        if let BridgeError::Module(why) = self {
            return f.write_str(why);
        }
        f.write_str("Part of the app could not be loaded")?;
        match self {
            BridgeError::NoWindow => f.write_str(": no window."),
            BridgeError::LoaderMissing => write!(f, ": app.js is missing{RELOAD}"),
            BridgeError::LoaderDamaged => write!(f, ": app.js is damaged{RELOAD}"),
            BridgeError::NotLoaded(why) => write!(
                f,
                " ({why}). Connect to the internet once and reload the page."
            ),
            BridgeError::Missing(name) => write!(f, ": it has no {name}{RELOAD}"),
            BridgeError::Unwritable(why) => write!(f, ": {why}"),
            BridgeError::Unexpected(what) => write!(f, ": {what}{RELOAD}"),
            BridgeError::Unreadable(why) => write!(f, ": its answer did not read ({why}){RELOAD}"),
            BridgeError::Module(_) => Ok(()),
        }
    }
}

impl BridgeError {
    /// The error the second module threw or rejected with.
    pub fn from_module(error: &JsValue) -> BridgeError {
        BridgeError::Module(describe_error(error))
    }
}

/// Text for an error the other module threw or rejected with: its message, or its text.
pub fn describe_error(error: &JsValue) -> String {
    if let Some(text) = error.as_string() {
        return text;
    }
    Reflect::get(error, &"message".into())
        .ok()
        .and_then(|message| message.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

/// The second module's exports, loaded on first use.
async fn module() -> Result<JsValue, BridgeError> {
    let window = web_sys::window().ok_or(BridgeError::NoWindow)?;
    let load = Reflect::get(&window, &"letsemaDocs".into())
        .ok()
        .and_then(|load| load.dyn_into::<Function>().ok())
        .ok_or(BridgeError::LoaderMissing)?;
    let promise = load
        .call0(&window)
        .map_err(|error| BridgeError::from_module(&error))?
        .dyn_into::<Promise>()
        .map_err(|_| BridgeError::LoaderDamaged)?;
    JsFuture::from(promise)
        .await
        .map_err(|error| BridgeError::NotLoaded(describe_error(&error)))
}

/// Starts loading the second module, so that it is ready when first needed.
pub fn preload() {
    wasm_bindgen_futures::spawn_local(async {
        let _ = module().await;
    });
}

/// The function `name` of `target`.
fn method(target: &JsValue, name: &str) -> Result<Function, BridgeError> {
    Reflect::get(target, &name.into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| BridgeError::Missing(name.to_owned()))
}

/// Calls `name` on `target` with `args`, and awaits the answer when it is a promise.
async fn call_on(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, BridgeError> {
    let function = method(target, name)?;
    let array: js_sys::Array = args.iter().collect();
    let answer = function
        .apply(target, &array)
        .map_err(|error| BridgeError::from_module(&error))?;
    match answer.dyn_into::<Promise>() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .map_err(|error| BridgeError::from_module(&error)),
        Err(value) => Ok(value),
    }
}

/// Calls the module's function `name` with `request` as JSON.
async fn call<T: DeserializeOwned>(name: &str, request: &impl Serialize) -> Result<T, BridgeError> {
    let json = to_json(request)?;
    let module = module().await?;
    let answer = call_on(&module, name, &[json.into()]).await?;
    from_json(&answer)
}

fn to_json(request: &impl Serialize) -> Result<String, BridgeError> {
    serde_json::to_string(request).map_err(|error| BridgeError::Unwritable(error.to_string()))
}

fn from_json<T: DeserializeOwned>(answer: &JsValue) -> Result<T, BridgeError> {
    let text = answer
        .as_string()
        .ok_or(BridgeError::Unexpected("it answered without text"))?;
    serde_json::from_str(&text).map_err(|error| BridgeError::Unreadable(error.to_string()))
}

/// Starts a new submission as a draft; its id.
///
/// # Errors
///
/// What went wrong, in words a person can act on.
pub async fn start_draft(request: &StartRequest) -> Result<DocId, BridgeError> {
    call("start_draft", request).await
}

/// A draft (or a submission being corrected) open in the second module.
#[derive(Debug)]
pub struct OpenedSubmission {
    handle: JsValue,
}

impl OpenedSubmission {
    /// Opens what `request` names; the handle and the answers so far (an empty repeat comes
    /// back as `[]`, an empty `select_multiple`: see [`letsema_web_shared::messages`]).
    ///
    /// # Errors
    ///
    /// When it is gone or does not load.
    pub async fn open(
        request: &OpenRequest,
    ) -> Result<(OpenedSubmission, letsema_answers::Answers), BridgeError> {
        let json = to_json(request)?;
        let module = module().await?;
        let class = Reflect::get(&module, &"Submission".into())
            .map_err(|_| BridgeError::Missing("Submission".to_owned()))?;
        let handle = call_on(&class, "open", &[json.into()]).await?;
        let opened = OpenedSubmission { handle };
        let answers = call_on(&opened.handle, "answers", &[]).await?;
        let answers = from_json(&answers)?;
        Ok((opened, answers))
    }

    /// Writes `edit` into the document now, the submission named `name` after it (the
    /// form's `instance_name`); the future resolves when it is saved.
    ///
    /// # Errors
    ///
    /// When the document refuses the edit: nothing was written.
    pub fn edit(
        &self,
        edit: &Edit,
        name: Option<&str>,
    ) -> Result<impl Future<Output = Result<(), BridgeError>> + 'static, BridgeError> {
        let json = to_json(edit)?;
        let promise = method(&self.handle, "edit")?
            .call2(&self.handle, &json.into(), &name.into())
            .map_err(|error| BridgeError::from_module(&error))?
            .dyn_into::<Promise>()
            .map_err(|_| BridgeError::Unexpected("edit gave no promise"))?;
        let saved = JsFuture::from(promise);
        Ok(async move {
            saved
                .await
                .map(|_| ())
                .map_err(|error| BridgeError::from_module(&error))
        })
    }

    /// Saves the last answers, named `name` (as [`edit`](Self::edit)), and finalises it.
    ///
    /// # Errors
    ///
    /// Why it could not be finalised.
    pub async fn finalise(&self, name: Option<&str>) -> Result<(), BridgeError> {
        call_on(&self.handle, "finalise", &[name.into()])
            .await
            .map(|_| ())
    }
}

impl Drop for OpenedSubmission {
    /// Frees the document in the second module (edits already started keep their own
    /// copy until they are saved).
    fn drop(&mut self) {
        if let Ok(free) = method(&self.handle, "free") {
            let _ = free.call0(&self.handle);
        }
    }
}

/// Runs one sync round; its outcome (also recorded in storage).
pub async fn sync(request: &SyncRequest) -> SyncOutcome {
    call("sync", request)
        .await
        .unwrap_or_else(|error| SyncOutcome::Failed(error.to_string()))
}

/// What waits to be sent, and the latest `shown` submissions.
///
/// # Errors
///
/// When the module cannot be loaded or the submissions cannot be read.
pub async fn overview(shown: usize) -> Result<DocumentsOverview, BridgeError> {
    call("overview", &shown).await
}

/// A backup file of every draft and every unsynced submission.
///
/// # Errors
///
/// Why it could not be made.
pub async fn export_backup() -> Result<Vec<u8>, BridgeError> {
    let module = module().await?;
    let bytes = call_on(&module, "export_backup", &[]).await?;
    bytes
        .dyn_into::<Uint8Array>()
        .map(|bytes| bytes.to_vec())
        .map_err(|_| BridgeError::Unexpected("the backup came back empty"))
}

/// Brings a backup file back.
///
/// # Errors
///
/// Why the file cannot be read.
pub async fn import_backup(bytes: &[u8]) -> Result<ImportReport, BridgeError> {
    let module = module().await?;
    let answer = call_on(&module, "import_backup", &[Uint8Array::from(bytes).into()]).await?;
    from_json(&answer)
}
