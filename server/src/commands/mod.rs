//! The `letsema` subcommands other than `serve`: tools for form authors and operators.

pub mod association;
pub mod audit;
pub mod backup;
pub mod duplicates;
pub mod epoch;
pub mod export;
pub mod form;
pub mod import;
pub mod load;
pub mod migrate;
pub mod remote;
pub mod review;
pub mod user;
