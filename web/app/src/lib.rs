//! The Letsema web app (yew, compiled to WebAssembly).
//!
//! For now it proves the mechanisms the real app stands on: the form engine runs in the
//! browser, the server answers, and a service worker keeps the app loadable with the
//! network off.

mod app;
pub mod bridge;
pub mod capture;
pub mod dates;
mod enrol;
pub mod form_view;
mod offline;
mod scan;
pub mod schedule;
pub mod words;
pub mod workspace;

pub use app::App;
pub use offline::{OfflineReadiness, browser_online};

/// Renders the app into the page's `#app` element (or the body when there is none).
pub fn start() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => {
            yew::Renderer::<App>::with_root(root).render();
        }
        None => {
            yew::Renderer::<App>::new().render();
        }
    }
}
