//! The Letsema server: it stores submissions durably, serves the web app and the API.
//!
//! `main.rs` only parses the command line; everything it runs lives here so that tests can
//! build the same routes in memory (`warp::test`) or start the real server on a free port.

pub mod auth;
pub mod basic_auth;
pub mod client_tls;
pub mod commands;
pub mod config;
pub mod demo;
pub mod duplicates;
pub mod error;
pub mod export;
pub mod import;
pub mod limits;
pub mod merge;
pub mod metrics;
pub mod odata;
pub mod routes;
pub mod serve;
pub mod setup;
pub mod staff_edit;
pub mod state;
pub mod store;
pub mod validator;
pub mod workers;

pub use config::{ConnectionTimeouts, ListenAddr, ServeConfig};
pub use serve::{ServeError, Server};
