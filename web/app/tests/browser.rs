//! The form engine and the app's building blocks, run in a real browser (headless Chromium
//! through wasm-bindgen-test): what works natively must work the same in WebAssembly.
#![cfg(target_arch = "wasm32")]

use chrono::NaiveDate;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

#[wasm_bindgen_test]
fn the_form_engine_computes_ages_in_the_browser() {
    assert_eq!(
        letsema_form::age_in_years(date(1990, 6, 15), date(2026, 6, 14)),
        Some(35)
    );
    assert_eq!(
        letsema_form::age_in_years(date(2004, 2, 29), date(2005, 3, 1)),
        Some(1)
    );
    assert_eq!(
        letsema_form::age_in_years(date(2030, 1, 1), date(2026, 1, 1)),
        None
    );
}

#[wasm_bindgen_test]
fn the_engine_reports_that_it_runs_as_wasm32() {
    let info = letsema_form::engine_info();
    assert_eq!(info.arch, "wasm32");
    assert_eq!(info.version, letsema_form::ENGINE_VERSION);
}

#[wasm_bindgen_test]
fn the_browser_reports_a_network_state() {
    // Headless Chromium on loopback counts as online.
    assert!(letsema_web::browser_online());
}

#[wasm_bindgen_test]
async fn the_app_renders_its_name_and_engine_version() {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .expect("a document");
    let root = document.create_element("div").expect("a div");
    document
        .body()
        .expect("a body")
        .append_child(&root)
        .expect("appended");
    yew::Renderer::<letsema_web::App>::with_root(root.clone()).render();
    // Rendering is scheduled; let it run.
    gloo_timers_sleep().await;
    let text = root.text_content().unwrap_or_default();
    assert!(text.contains("Letsema"), "{text}");
    assert!(text.contains(letsema_form::ENGINE_VERSION), "{text}");
}

async fn gloo_timers_sleep() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 50);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
