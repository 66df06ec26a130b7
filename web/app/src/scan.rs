//! Reading codes with the camera: an enrolment or survey link's QR code on the start page
//! ([`Reading::Link`]), and a barcode question's answer in a form ([`Reading::Barcode`]).
//!
//! The reading is the browser's own `BarcodeDetector`; the button is shown only where the
//! browser has it (and a camera API), so elsewhere the start page offers what it always
//! did (the camera app, or pasting the link) and a barcode question its text box. The
//! camera's loop is a small script (`web/static/scan.js`) loaded when a button is first
//! tapped, through `window.letsemaScan` (`web/static/app.js`), so the first load does not
//! grow. A QR code that is a link of this server ([`crate::enrol::link_to_open`]) is opened
//! at once, as a pasted one is; any other is said to be the wrong one while the camera
//! keeps looking. A barcode is the question's answer as soon as one is read.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, HtmlVideoElement};
use yew::prelude::*;

use crate::enrol::link_to_open;
use crate::words::AppWords;

/// Whether this browser can read QR codes with a camera: it has `BarcodeDetector`, a
/// camera API and the app's loader for `scan.js`.
pub fn supported() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let has = |target: &JsValue, name: &str| {
        js_sys::Reflect::get(target, &JsValue::from_str(name))
            .map(|value| !value.is_undefined() && !value.is_null())
            .unwrap_or(false)
    };
    let navigator: JsValue = window.navigator().into();
    let window: JsValue = window.into();
    has(&window, "BarcodeDetector")
        && has(&window, "letsemaScan")
        && has(&navigator, "mediaDevices")
}

/// Why the camera could not be used, from the browser's error's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanProblem {
    /// The person, or the browser's settings, refused the camera.
    Denied,
    /// There is no camera (or none that can film).
    NoCamera,
    /// The browser reads no codes of the kind wanted (a phone without the reader's data).
    CannotRead,
    /// Another reason, in the browser's words.
    Other(String),
}

impl ScanProblem {
    /// The problem a DOMException's `name` (and `message`) stand for.
    pub fn from_error(name: &str, message: &str) -> ScanProblem {
        match name {
            "NotAllowedError" | "SecurityError" | "PermissionDeniedError" => ScanProblem::Denied,
            "NotFoundError" | "OverconstrainedError" | "DevicesNotFoundError" => {
                ScanProblem::NoCamera
            }
            "NotSupportedError" => ScanProblem::CannotRead,
            _ if message.trim().is_empty() => ScanProblem::Other(name.to_owned()),
            _ => ScanProblem::Other(message.trim().to_owned()),
        }
    }

    /// What happened and what to do instead (paste the link, type the code), in `words`'
    /// language.
    pub fn describe(&self, words: &AppWords, reading: Reading) -> String {
        let what = match self {
            ScanProblem::Denied => words.scan_denied.to_owned(),
            ScanProblem::NoCamera => words.scan_no_camera.to_owned(),
            ScanProblem::CannotRead => words.scan_cannot_read.to_owned(),
            ScanProblem::Other(why) => (words.scan_failed)(why),
        };
        format!("{what} {}", reading.instead(words))
    }
}

/// What the camera reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// An enrolment or survey link of this server, as a QR code: opened when read.
    Link,
    /// A barcode question's answer: any format the browser reads, given to `on_read`.
    Barcode,
}

impl Reading {
    /// The button that turns the camera on.
    fn start(self, words: &AppWords) -> &'static str {
        match self {
            Reading::Link => words.scan_start,
            Reading::Barcode => words.scan_barcode,
        }
    }

    /// What is said while the camera looks.
    fn looking(self, words: &AppWords) -> &'static str {
        match self {
            Reading::Link => words.scan_looking,
            Reading::Barcode => words.scan_barcode_looking,
        }
    }

    /// What to do when the camera cannot read: paste the link, or type the code.
    fn instead(self, words: &AppWords) -> &'static str {
        match self {
            Reading::Link => words.scan_instead_link,
            Reading::Barcode => words.scan_instead_code,
        }
    }

    /// The codes `scan.js` reads: QR codes only, or every format the browser reads.
    fn kinds(self) -> &'static str {
        match self {
            Reading::Link => "qr",
            Reading::Barcode => "any",
        }
    }
}

/// Where scanning stands.
#[derive(Debug, Clone, PartialEq)]
enum ScanState {
    /// The camera is off.
    Idle,
    /// The camera is on; `saw_other` when the last code read was not a link of this server.
    Looking { saw_other: bool },
    /// The camera could not be used.
    Failed(ScanProblem),
}

/// The reader's properties.
#[derive(Properties, PartialEq)]
pub struct ScanProps {
    /// The page's language (a code of [`crate::words::LANGUAGES`]).
    pub language: &'static str,
    /// What is read.
    pub reading: Reading,
    /// Given each barcode read ([`Reading::Barcode`]).
    #[prop_or_default]
    pub on_read: Callback<String>,
}

/// The "Scan the QR code" (or "Scan the barcode") button and, while it looks, the camera's
/// picture; the same button then stops it. Renders nothing where the browser cannot read
/// codes ([`supported`]).
#[function_component(CodeReader)]
pub fn code_reader(props: &ScanProps) -> Html {
    let words = AppWords::for_language(Some(props.language));
    let reading = props.reading;
    let state = use_state(|| ScanState::Idle);
    let video = use_node_ref();
    // The running scan's stop, kept so that the stop button and leaving the page end it.
    let running: Rc<RefCell<Option<AbortController>>> = use_mut_ref(|| None);
    let available = use_memo((), |()| supported());

    {
        let running = running.clone();
        use_effect_with((), move |()| {
            move || {
                if let Some(controller) = running.borrow_mut().take() {
                    controller.abort();
                }
            }
        });
    }

    if !*available {
        return html! {};
    }

    let on_start = {
        let state = state.clone();
        let on_read = props.on_read.clone();
        let video = video.clone();
        let running = running.clone();
        Callback::from(move |_: MouseEvent| {
            if matches!(*state, ScanState::Looking { .. }) {
                return;
            }
            let Some(element) = video.cast::<HtmlVideoElement>() else {
                return;
            };
            let Ok(controller) = AbortController::new() else {
                state.set(ScanState::Failed(ScanProblem::Other(
                    "AbortController".to_owned(),
                )));
                return;
            };
            let signal = controller.signal();
            if let Some(earlier) = running.borrow_mut().replace(controller) {
                earlier.abort();
            }
            state.set(ScanState::Looking { saw_other: false });
            let state = state.clone();
            let running = running.clone();
            let on_read = on_read.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let outcome = run(&element, &signal, reading, on_read, state.clone()).await;
                // This scan is over: forget its stop unless a newer scan replaced it.
                let mut kept = running.borrow_mut();
                if kept.as_ref().map(|c| c.signal()) == Some(signal.clone()) {
                    *kept = None;
                }
                drop(kept);
                match outcome {
                    // A link was opened: the page is leaving.
                    Ok(true) if reading == Reading::Link => {}
                    // A barcode was read (the answer is set), or the reading was stopped.
                    Ok(_) => {
                        if !signal.aborted() {
                            state.set(ScanState::Idle);
                        }
                    }
                    Err(problem) => {
                        if !signal.aborted() {
                            state.set(ScanState::Failed(problem));
                        }
                    }
                }
            });
        })
    };
    let on_stop = {
        let state = state.clone();
        let running = running.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(controller) = running.borrow_mut().take() {
                controller.abort();
            }
            state.set(ScanState::Idle);
        })
    };

    let looking = matches!(*state, ScanState::Looking { .. });
    let message = match &*state {
        ScanState::Idle => String::new(),
        ScanState::Looking { saw_other: false } => reading.looking(words).to_owned(),
        ScanState::Looking { saw_other: true } => (words.scan_not_ours)(&origin()),
        ScanState::Failed(problem) => problem.describe(words, reading),
    };
    html! {
        <div class="scan">
            // One button, so that focus stays on it when the camera starts or stops.
            <button type="button" class="button" onclick={if looking { on_stop } else { on_start }}>
                { if looking { words.scan_stop } else { reading.start(words) } }
            </button>
            <p role="status" data-testid="scan-status">{ message }</p>
            <video ref={video} hidden={!looking} aria-label={words.scan_camera}
                data-testid="scan-camera" />
        </div>
    }
}

/// This page's origin (`https://host`), which a link must begin with.
fn origin() -> String {
    web_sys::window()
        .and_then(|window| window.location().origin().ok())
        .unwrap_or_default()
}

/// Runs one scan in `video` until a code is taken (`Ok(true)`: a link of this server, and
/// the page is sent to it; or a barcode, given to `on_read`), the scan is stopped
/// (`Ok(false)`) or the camera fails.
async fn run(
    video: &HtmlVideoElement,
    signal: &web_sys::AbortSignal,
    reading: Reading,
    on_read: Callback<String>,
    state: UseStateHandle<ScanState>,
) -> Result<bool, ScanProblem> {
    let problem = |error: JsValue| {
        let field = |name: &str| {
            js_sys::Reflect::get(&error, &JsValue::from_str(name))
                .ok()
                .and_then(|value| value.as_string())
                .unwrap_or_default()
        };
        let name = field("name");
        let message = field("message");
        if name.is_empty() && message.is_empty() {
            ScanProblem::Other(error.as_string().unwrap_or_else(|| format!("{error:?}")))
        } else {
            ScanProblem::from_error(&name, &message)
        }
    };
    let window = web_sys::window().ok_or_else(|| ScanProblem::Other("no window".to_owned()))?;
    let scan = js_sys::Reflect::get(&window, &JsValue::from_str("letsemaScan"))
        .map_err(problem)?
        .dyn_into::<js_sys::Function>()
        .map_err(|_| ScanProblem::Other("window.letsemaScan is missing".to_owned()))?;

    let here = origin();
    let on_code = Closure::<dyn FnMut(String) -> bool>::new(move |text: String| {
        if reading == Reading::Barcode {
            on_read.emit(text);
            return true;
        }
        match link_to_open(&text, &here) {
            Some(link) => {
                if let Some(window) = web_sys::window() {
                    let _ = window.location().assign(&link);
                }
                true
            }
            None => {
                state.set(ScanState::Looking { saw_other: true });
                false
            }
        }
    });
    let kinds = JsValue::from_str(reading.kinds());
    let promise = scan
        .call4(&JsValue::NULL, video, on_code.as_ref(), signal, &kinds)
        .map_err(problem)?
        .dyn_into::<js_sys::Promise>()
        .map_err(|_| ScanProblem::Other("window.letsemaScan gave no promise".to_owned()))?;
    let read = JsFuture::from(promise).await.map_err(problem)?;
    // The closure lives until the scan is over.
    drop(on_code);
    Ok(read.as_string().is_some())
}

#[cfg(test)]
mod tests {
    // On wasm32 the same tests run in the browser (`./dev test` runs the crate there).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::ScanProblem;

    #[test]
    fn a_refused_camera_is_told_apart_from_a_missing_one() {
        assert_eq!(
            ScanProblem::from_error("NotAllowedError", "Permission denied"),
            ScanProblem::Denied
        );
        assert_eq!(
            ScanProblem::from_error("NotFoundError", "Requested device not found"),
            ScanProblem::NoCamera
        );
        assert_eq!(
            ScanProblem::from_error("NotReadableError", "Could not start video source"),
            ScanProblem::Other("Could not start video source".to_owned())
        );
        assert_eq!(
            ScanProblem::from_error("NotSupportedError", "this browser reads no such codes"),
            ScanProblem::CannotRead
        );
        assert_eq!(
            ScanProblem::from_error("AbortError", " "),
            ScanProblem::Other("AbortError".to_owned())
        );
    }
}
