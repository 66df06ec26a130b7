//! The workspace in a real browser: the forms it downloads at start are kept for offline
//! use, and when the browser will not keep them the volunteer is told, with what to do
//! (they were swallowed before).
#![cfg(target_arch = "wasm32")]

use letsema_protocol::{DeviceForm, DeviceForms, DeviceInfo, Enrolled};
use letsema_web::words::AppWords;
use letsema_web::workspace::{PhoneStatus, SyncLine, Workspace, WorkspaceProps};
use letsema_web_shared::storage::Storage;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
// GET /api/device/forms answers `json`; the rest of the network is refused (no server here).
export function serve_forms(json) {
  globalThis.fetch = async function (input, init) {
    const request = new Request(input, init);
    if (new URL(request.url).pathname === "/api/device/forms") {
      return new Response(json, { status: 200, headers: { "content-type": "application/json" } });
    }
    throw new TypeError("Failed to fetch");
  };
}
// The device is full for the forms: every put into the `forms` store throws.
let realPut = null;
export function refuse_forms(refuse) {
  if (!realPut) {
    realPut = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function () {
      if (refuseForms && this.name === "forms") {
        throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
      }
      return realPut.apply(this, arguments);
    };
  }
  refuseForms = refuse;
}
let refuseForms = false;
"#)]
extern "C" {
    fn serve_forms(json: &str);
    fn refuse_forms(refuse: bool);
}

fn form(id: &str, title: &str) -> DeviceForm {
    let definition = serde_json::from_str(&format!(
        r#"{{"schema_version": 1, "id": "{id}", "title": "{title}"}}"#
    ))
    .expect("a minimal form");
    DeviceForm {
        form_id: id.to_owned(),
        version: "1".to_owned(),
        title: title.to_owned(),
        definition,
    }
}

fn enrolled() -> Enrolled {
    Enrolled {
        device: DeviceInfo {
            id: "phone-1".to_owned(),
            association: "basotho-in-gauteng".to_owned(),
            forms: vec!["household".to_owned()],
            label: "Phone 1".to_owned(),
            created_at: "2026-06-01T10:00:00Z".to_owned(),
            last_seen_at: None,
            revoked: false,
            public: false,
            association_name: None,
        },
        credential: "secret-credential".to_owned(),
        replaced: false,
    }
}

/// Draws the workspace in a new element, in `language`.
fn render(language: &'static str) -> web_sys::Element {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let root = document.create_element("div").expect("a div");
    document
        .body()
        .expect("a body")
        .append_child(&root)
        .expect("appended");
    yew::Renderer::<Workspace>::with_root_and_props(
        root.clone(),
        WorkspaceProps {
            enrolled: enrolled(),
            language,
            status: PhoneStatus {
                online: true,
                offline_use: "ready".to_owned(),
                engine: "0.1.0 (wasm32)".to_owned(),
                server: "working".to_owned(),
            },
        },
    )
    .render();
    root
}

/// The element `selector` finds under `root` once it is there (5 s at most).
async fn appears(root: &web_sys::Element, selector: &str) -> web_sys::Element {
    for _ in 0..100 {
        if let Ok(Some(found)) = root.query_selector(selector) {
            return found;
        }
        sleep_ms(50).await;
    }
    panic!(
        "{selector} never appeared: {}",
        root.text_content().unwrap_or_default()
    );
}

/// The text of `root` once it holds `needle` (5 s at most).
async fn text_appears(root: &web_sys::Element, needle: &str) -> String {
    for _ in 0..100 {
        let text = root.text_content().unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        sleep_ms(50).await;
    }
    panic!(
        "{needle} never appeared: {}",
        root.text_content().unwrap_or_default()
    );
}

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[wasm_bindgen_test]
async fn forms_that_cannot_be_kept_are_shown_with_what_to_do_and_the_kept_ones_stay() {
    // A form kept from an earlier visit.
    let storage = Storage::open_default().await.expect("opened");
    storage
        .put_forms(&[form("household", "Household")])
        .await
        .expect("kept");
    storage.close();
    // Today's list has a new form, and the device is full.
    let forms = DeviceForms {
        forms: vec![
            form("household", "Household"),
            form("clinic", "Clinic visit"),
        ],
    };
    serve_forms(&serde_json::to_string(&forms).expect("json"));
    refuse_forms(true);

    let root = render("en");
    let problem = appears(&root, "[data-testid=forms-problem]").await;
    refuse_forms(false);
    let text = problem.text_content().unwrap_or_default();
    assert!(
        text.contains("The latest forms could not be kept on this device"),
        "{text}"
    );
    assert!(text.contains("storage is full"), "{text}");
    assert!(text.contains("reload the page to try again"), "{text}");
    assert_eq!(problem.get_attribute("role").as_deref(), Some("alert"));
    // The form kept before can still be started.
    let kept = text_appears(&root, "New: Household").await;
    assert!(!kept.contains("New: Clinic visit"), "{kept}");
}

#[wasm_bindgen_test]
async fn forms_that_are_kept_show_no_problem_and_can_be_started() {
    let forms = DeviceForms {
        forms: vec![form("water", "Water point")],
    };
    serve_forms(&serde_json::to_string(&forms).expect("json"));
    refuse_forms(false);

    let root = render("st");
    // Sesotho's "New: …".
    let text = text_appears(&root, "E ncha: Water point").await;
    assert!(
        root.query_selector("[data-testid=forms-problem]")
            .expect("a selector")
            .is_none(),
        "{text}"
    );
}

#[wasm_bindgen_test]
fn the_sync_line_says_everything_is_sent_only_when_something_was_sent_and_nothing_waits() {
    let words = AppWords::for_language(Some("en"));
    // (syncing, online, waiting, finalised, failed, busy) → what the first screen says.
    let cases = [
        (
            (false, true, Some(0), 3, false, false),
            "Everything is sent.",
        ),
        (
            (false, true, Some(0), 0, false, false),
            "Nothing finalised yet, so nothing to send.",
        ),
        // A failure of long ago does not matter once nothing waits.
        (
            (false, true, Some(0), 2, true, false),
            "Everything is sent.",
        ),
        (
            (false, true, Some(2), 2, false, false),
            "2 submissions wait to be sent.",
        ),
        (
            (false, false, Some(1), 4, true, false),
            "Offline: 1 submission waits; it goes when there is a network.",
        ),
        (
            (false, true, Some(1), 1, true, false),
            "1 submission waits: the last try to send failed. Tap for details.",
        ),
        (
            (false, true, Some(1), 1, true, true),
            "The server is busy: the app tries again soon.",
        ),
        ((true, true, Some(0), 0, false, false), "Sending…"),
        (
            (false, true, None, 0, false, false),
            "Looking at what waits to be sent…",
        ),
    ];
    for ((syncing, online, waiting, finalised, failed, busy), said) in cases {
        let line = SyncLine::of(syncing, online, waiting, finalised, failed, busy);
        assert_eq!(
            line.text(words),
            said,
            "syncing {syncing}, online {online}, waiting {waiting:?}, finalised {finalised}, \
             failed {failed}, busy {busy}"
        );
    }
}
