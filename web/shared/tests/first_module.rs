//! The rule the app's split stands on: the first module (`letsema-web`, what a phone
//! downloads and compiles before the first screen) never links automerge. Checked on the
//! dependency graph `cargo tree` gives for the browser's target, normal dependencies only:
//! neither automerge nor a crate of ours that exposes it may be in it. The second module
//! (`letsema-web-submissions`) is checked to have automerge, so that the check cannot pass
//! by reading nothing.
//!
//! Native only: it runs cargo.
#![cfg(not(target_arch = "wasm32"))]

use std::path::Path;
use std::process::Command;

/// Crates the first module must not depend on: automerge itself, and ours that link it.
const FORBIDDEN: [&str; 4] = [
    "automerge",
    "letsema-doc",
    "letsema-sync",
    "letsema-web-submissions",
];

/// The names of every package in `package`'s normal dependency graph for wasm32.
fn dependencies(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    let output = Command::new(cargo)
        .args(["tree", "--quiet", "--locked", "--manifest-path"])
        .arg(&manifest)
        .args([
            "--package",
            package,
            "--target",
            "wasm32-unknown-unknown",
            "--edges",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut names: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_first_module_never_links_automerge() {
    let first = dependencies("letsema-web");
    assert!(
        first.iter().any(|name| name == "letsema-web-shared"),
        "the graph was not read: {first:?}"
    );
    let found: Vec<&String> = first
        .iter()
        .filter(|name| FORBIDDEN.contains(&name.as_str()))
        .collect();
    assert!(
        found.is_empty(),
        "letsema-web (the app's first module) depends on {found:?}: automerge would be \
         downloaded and compiled before the first screen. Reach submission documents \
         through the bridge to letsema-web-submissions instead (see ARCHITECTURE.md)."
    );
}

#[test]
fn the_second_module_has_automerge_so_the_check_reads_a_real_graph() {
    let second = dependencies("letsema-web-submissions");
    assert!(second.iter().any(|name| name == "automerge"), "{second:?}");
}

#[test]
fn the_shared_crate_links_neither_automerge_nor_yew() {
    let shared = dependencies("letsema-web-shared");
    let found: Vec<&String> = shared
        .iter()
        .filter(|name| FORBIDDEN.contains(&name.as_str()) || name.as_str() == "yew")
        .collect();
    assert!(found.is_empty(), "letsema-web-shared depends on {found:?}");
}
