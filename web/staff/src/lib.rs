//! The Letsema staff area: review, correction and conflict resolution of submissions in the
//! browser, at `/staff`. A WebAssembly bundle of its own (`staff/` in the built app), so
//! that the volunteers' first load and their service worker's cache do not grow by a byte.
//!
//! - `app.rs`: the page, the language, the session, the route in the address's hash.
//! - `sign_in.rs`: the sign-in form.
//! - `table.rs` + `filters.rs`: the submissions table, its filters and bulk status change.
//! - `submission.rs` + `layout.rs`: one submission laid out by the form engine, with its
//!   history, conflicts, review and corrections.
//! - `offline.rs` + `offline_view.rs`: one association's submissions on this computer,
//!   reviewed with no network and sent later.
//! - `audit.rs` + `audit_view.rs`: the audit log, for admins, and its filters.
//! - `duplicates.rs` + `duplicates_view.rs`: people registered twice: the candidate pairs,
//!   two registrations compared field by field, merged, or told apart.
//! - `dashboard.rs` + `dashboard_view.rs` + `charts.rs`: the dashboard: the counts of the
//!   submissions the filters select as charts (SVG with a table behind each, downloadable as
//!   SVG, PNG and CSV), and the skills available for short-term assignments.
//! - `filter_form.rs`: the filters' form, the same for the table and the dashboard;
//!   `download.rs`: files handed to the browser.
//! - `phones.rs` + `phones_view.rs`: the Phones screen: enrolment links (with their QR
//!   codes), enrolled phones, public survey links; made and revoked.
//! - `setup.rs`: the first run's set-up screen, which creates the first administrator.
//! - `api.rs`: the staff API; `words.rs`, `dates.rs`: English and Sesotho.

pub mod api;
pub mod app;
pub mod audit;
pub mod audit_view;
pub mod charts;
pub mod dashboard;
pub mod dashboard_view;
pub mod dates;
pub mod download;
pub mod duplicates;
pub mod duplicates_view;
pub mod export_view;
pub mod filter_form;
pub mod filters;
pub mod import_view;
pub mod layout;
pub mod offline;
pub mod offline_view;
pub mod phones;
pub mod phones_view;
pub mod setup;
pub mod sign_in;
pub mod submission;
pub mod table;
pub mod words;

/// Draws the staff area into `#app`.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    let root = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id("app"));
    if let Some(root) = root {
        yew::Renderer::<app::App>::with_root(root).render();
    }
}
