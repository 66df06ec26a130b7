//! What the web app's two WebAssembly modules share.
//!
//! The app is two modules (see `ARCHITECTURE.md`): `letsema-web` draws every screen and
//! runs the form engine; `letsema-web-submissions`, loaded after the first screen, opens the
//! submission documents (automerge), runs the sync and makes backups. This crate is what
//! both read, and links neither automerge nor yew:
//!
//! - [`messages`]: what the first module asks the second and what it answers (JSON text
//!   between their separate memories).
//! - [`storage`]: the IndexedDB database both open: its schema and migrations, its plain
//!   records (forms, enrolment, sync status, stored documents and drafts as bytes), and the
//!   [`raw`](storage::raw) pieces the second module builds its merging writes from.
//! - [`now_ms`], [`random_bytes`] and [`sleep_ms`]: the browser's clock, random numbers and
//!   timers.

pub mod messages;
pub mod storage;

pub use storage::now_ms;

/// `N` random bytes from the browser's cryptographic generator (zeros only if it is
/// missing, which no browser that runs WebAssembly lacks).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    use wasm_bindgen::JsCast;

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

/// Waits `ms` milliseconds on the browser's timer (`setTimeout`).
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
