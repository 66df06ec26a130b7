//! The screens' side of the app's two modules: calls into the submission documents' module
//! (`letsema-web-submissions`, in `web/submissions`), loaded after the first screen.
//!
//! `app.js` defines `window.letsemaDocs()`: it imports and instantiates the second module
//! once and resolves to its exports; a failed load is tried again on the next call. Every
//! function here awaits it first, so the first call after a page load may wait for the
//! module (from the service worker's cache when offline); [`preload`] starts that early.
//! Messages cross as JSON ([`letsema_web_shared::messages`]); errors come back as text
//! written for people.

use js_sys::{Function, Promise, Reflect, Uint8Array};
use letsema_ids::DocId;
use letsema_web_shared::messages::{
    DocumentsOverview, Edit, ImportReport, OpenRequest, StartRequest, SyncOutcome, SyncRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// What a person is told when the second module cannot be loaded.
const NOT_LOADED: &str = "Part of the app could not be loaded";

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
async fn module() -> Result<JsValue, String> {
    let window = web_sys::window().ok_or_else(|| format!("{NOT_LOADED}: no window."))?;
    let load = Reflect::get(&window, &"letsemaDocs".into())
        .ok()
        .and_then(|load| load.dyn_into::<Function>().ok())
        .ok_or_else(|| format!("{NOT_LOADED}: app.js is missing. Reload the page."))?;
    let promise = load
        .call0(&window)
        .map_err(|error| describe_error(&error))?
        .dyn_into::<Promise>()
        .map_err(|_| format!("{NOT_LOADED}: app.js is damaged. Reload the page."))?;
    JsFuture::from(promise).await.map_err(|error| {
        format!(
            "{NOT_LOADED} ({}). Connect to the internet once and reload the page.",
            describe_error(&error)
        )
    })
}

/// Starts loading the second module, so that it is ready when first needed.
pub fn preload() {
    wasm_bindgen_futures::spawn_local(async {
        let _ = module().await;
    });
}

/// Calls `name` on `target` with `args`, and awaits the answer when it is a promise.
/// The function `name` of `target`.
fn method(target: &JsValue, name: &str) -> Result<Function, String> {
    Reflect::get(target, &name.into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| format!("{NOT_LOADED}: it has no {name}. Reload the page."))
}

async fn call_on(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue, String> {
    let function = method(target, name)?;
    let array: js_sys::Array = args.iter().collect();
    let answer = function
        .apply(target, &array)
        .map_err(|error| describe_error(&error))?;
    match answer.dyn_into::<Promise>() {
        Ok(promise) => JsFuture::from(promise)
            .await
            .map_err(|error| describe_error(&error)),
        Err(value) => Ok(value),
    }
}

/// Calls the module's function `name` with `request` as JSON.
async fn call<T: DeserializeOwned>(name: &str, request: &impl Serialize) -> Result<T, String> {
    let json = to_json(request)?;
    let module = module().await?;
    let answer = call_on(&module, name, &[json.into()]).await?;
    from_json(&answer)
}

fn to_json(request: &impl Serialize) -> Result<String, String> {
    serde_json::to_string(request).map_err(|error| format!("{NOT_LOADED}: {error}"))
}

fn from_json<T: DeserializeOwned>(answer: &JsValue) -> Result<T, String> {
    let text = answer
        .as_string()
        .ok_or_else(|| format!("{NOT_LOADED}: it answered without text. Reload the page."))?;
    serde_json::from_str(&text).map_err(|error| {
        format!("{NOT_LOADED}: its answer did not read ({error}). Reload the page.")
    })
}

/// Starts a new submission as a draft; its id.
///
/// # Errors
///
/// What went wrong, in words a person can act on.
pub async fn start_draft(request: &StartRequest) -> Result<DocId, String> {
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
    ) -> Result<(OpenedSubmission, letsema_answers::Answers), String> {
        let json = to_json(request)?;
        let module = module().await?;
        let class = Reflect::get(&module, &"Submission".into())
            .map_err(|_| format!("{NOT_LOADED}: it has no Submission. Reload the page."))?;
        let handle = call_on(&class, "open", &[json.into()]).await?;
        let opened = OpenedSubmission { handle };
        let answers = call_on(&opened.handle, "answers", &[]).await?;
        let answers = from_json(&answers)?;
        Ok((opened, answers))
    }

    /// Writes `edit` into the document now; the future resolves when it is saved.
    ///
    /// # Errors
    ///
    /// When the document refuses the edit: nothing was written.
    pub fn edit(&self, edit: &Edit) -> Result<JsFuture, String> {
        let json = to_json(edit)?;
        let promise = method(&self.handle, "edit")?
            .call1(&self.handle, &json.into())
            .map_err(|error| describe_error(&error))?
            .dyn_into::<Promise>()
            .map_err(|_| format!("{NOT_LOADED}: edit gave no promise. Reload the page."))?;
        Ok(JsFuture::from(promise))
    }

    /// Saves the last answers and finalises it.
    ///
    /// # Errors
    ///
    /// Why it could not be finalised.
    pub async fn finalise(&self) -> Result<(), String> {
        call_on(&self.handle, "finalise", &[]).await.map(|_| ())
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
        .unwrap_or_else(SyncOutcome::Failed)
}

/// What waits to be sent, and the latest `shown` submissions.
///
/// # Errors
///
/// When the module cannot be loaded or the submissions cannot be read.
pub async fn overview(shown: usize) -> Result<DocumentsOverview, String> {
    call("overview", &shown).await
}

/// A backup file of every draft and every unsynced submission.
///
/// # Errors
///
/// Why it could not be made.
pub async fn export_backup() -> Result<Vec<u8>, String> {
    let module = module().await?;
    let bytes = call_on(&module, "export_backup", &[]).await?;
    bytes
        .dyn_into::<Uint8Array>()
        .map(|bytes| bytes.to_vec())
        .map_err(|_| format!("{NOT_LOADED}: the backup came back empty. Reload the page."))
}

/// Brings a backup file back.
///
/// # Errors
///
/// Why the file cannot be read.
pub async fn import_backup(bytes: &[u8]) -> Result<ImportReport, String> {
    let module = module().await?;
    let answer = call_on(&module, "import_backup", &[Uint8Array::from(bytes).into()]).await?;
    from_json(&answer)
}
