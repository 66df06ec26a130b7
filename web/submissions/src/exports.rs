//! The `#[wasm_bindgen]` exports the first module calls through its bridge.

use crate::documents::{self, OpenSubmission};
use letsema_web_shared::messages::{Edit, OpenRequest, StartRequest, SyncRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

fn read<T: DeserializeOwned>(json: &str) -> Result<T, JsValue> {
    serde_json::from_str(json).map_err(|error| {
        JsValue::from_str(&format!(
            "The app's two parts disagree ({error}): reload the page to get one version."
        ))
    })
}

fn write(value: &impl Serialize) -> Result<String, JsValue> {
    serde_json::to_string(value).map_err(|error| JsValue::from_str(&error.to_string()))
}

/// Starts a new submission as a draft (a `StartRequest`); its id.
#[wasm_bindgen]
pub async fn start_draft(request: String) -> Result<String, JsValue> {
    let request: StartRequest = read(&request)?;
    let id = documents::start_draft(&request)
        .await
        .map_err(|why| JsValue::from_str(&why.to_string()))?;
    write(&id)
}

/// A draft, or a submission being corrected, open for filling in.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Submission(OpenSubmission);

#[wasm_bindgen]
impl Submission {
    /// Opens what an `OpenRequest` names.
    pub async fn open(request: String) -> Result<Submission, JsValue> {
        let request: OpenRequest = read(&request)?;
        OpenSubmission::open(&request)
            .await
            .map(Submission)
            .map_err(|why| JsValue::from_str(&why.to_string()))
    }

    /// Its answers so far, as JSON (`letsema_answers::Answers`).
    pub fn answers(&self) -> Result<String, JsValue> {
        write(&self.0.answers())
    }

    /// Writes an `Edit` now, the submission named `name` after it (the form's
    /// `instance_name`, as the screens computed it); the promise resolves when it is saved.
    pub fn edit(&mut self, edit: String, name: Option<String>) -> Result<js_sys::Promise, JsValue> {
        let edit: Edit = read(&edit)?;
        self.0.set_name(name);
        let save = self
            .0
            .edit(&edit)
            .map_err(|why| JsValue::from_str(&why.to_string()))?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            save.await
                .map(|()| JsValue::UNDEFINED)
                .map_err(|why| JsValue::from_str(&why.to_string()))
        }))
    }

    /// Saves the last answers, named `name` (as `edit`), and finalises it.
    pub fn finalise(&mut self, name: Option<String>) -> js_sys::Promise {
        self.0.set_name(name);
        let finalise = self.0.finalise();
        wasm_bindgen_futures::future_to_promise(async move {
            finalise
                .await
                .map(|()| JsValue::UNDEFINED)
                .map_err(|why| JsValue::from_str(&why.to_string()))
        })
    }
}

/// Runs one sync round (a `SyncRequest`); its `SyncOutcome`.
#[wasm_bindgen]
pub async fn sync(request: String) -> Result<String, JsValue> {
    let request: SyncRequest = read(&request)?;
    write(&documents::sync(&request).await)
}

/// What waits to be sent and the latest submissions (`shown` of them, as JSON); a
/// `DocumentsOverview`.
#[wasm_bindgen]
pub async fn overview(shown: String) -> Result<String, JsValue> {
    let shown: usize = read(&shown)?;
    let overview = documents::overview(shown)
        .await
        .map_err(|why| JsValue::from_str(&why.to_string()))?;
    write(&overview)
}

/// A backup file of every draft and every unsynced submission.
#[wasm_bindgen]
pub async fn export_backup() -> Result<js_sys::Uint8Array, JsValue> {
    documents::export_backup()
        .await
        .map(|bytes| js_sys::Uint8Array::from(bytes.as_slice()))
        .map_err(|why| JsValue::from_str(&why.to_string()))
}

/// Brings a backup file back; an `ImportReport`.
#[wasm_bindgen]
pub async fn import_backup(bytes: Vec<u8>) -> Result<String, JsValue> {
    let report = documents::import_backup(&bytes)
        .await
        .map_err(|why| JsValue::from_str(&why.to_string()))?;
    write(&report)
}
