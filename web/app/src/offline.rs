//! The service worker that makes the app start without a network, and the browser's idea
//! of whether it is online.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Whether the app can start with the network off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfflineReadiness {
    /// The service worker is being installed.
    Preparing,
    /// The app's files are cached: the next start works with the network off.
    Ready,
    /// This browser has no service workers (or the page is not on a secure origin).
    Unsupported,
    /// Installing the service worker failed; the message says why.
    Failed(String),
}

/// The path of the service worker script, served from the app's root so that it controls
/// every page of the app.
pub const SERVICE_WORKER_URL: &str = "/sw.js";

/// Registers the service worker and waits until it is active.
pub async fn register_service_worker() -> OfflineReadiness {
    let Some(window) = web_sys::window() else {
        return OfflineReadiness::Unsupported;
    };
    let navigator = window.navigator();
    // `navigator.serviceWorker` is missing on insecure origins and in some private modes.
    let has_service_workers =
        js_sys::Reflect::has(&navigator, &JsValue::from_str("serviceWorker")).unwrap_or(false);
    if !has_service_workers {
        return OfflineReadiness::Unsupported;
    }
    let container = navigator.service_worker();
    if let Err(err) = JsFuture::from(container.register(SERVICE_WORKER_URL)).await {
        return OfflineReadiness::Failed(describe(&err));
    }
    let ready = match container.ready() {
        Ok(promise) => JsFuture::from(promise).await,
        Err(err) => Err(err),
    };
    match ready {
        Ok(_) => OfflineReadiness::Ready,
        Err(err) => OfflineReadiness::Failed(describe(&err)),
    }
}

/// Whether the browser believes it has a network connection.
pub fn browser_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

fn describe(err: &JsValue) -> String {
    err.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| err.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}
