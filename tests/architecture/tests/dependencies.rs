//! The crate dependency graph, checked against ARCHITECTURE.md's invariants.
//!
//! The graph is `cargo metadata`'s resolve for the browser's target (`wasm32-unknown-unknown`,
//! where pulling automerge into the wrong crate costs the volunteers' first load) and for
//! this machine's. Only normal dependencies count: a crate's tests and benchmarks may use
//! more (the form engine's tests write forms with the importer, say).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// Our crates and the crates of ours each may depend on directly (ARCHITECTURE.md,
/// "Dependencies point one way").
const ALLOWED: &[(&str, &[&str])] = &[
    ("letsema-expr", &[]),
    ("letsema-answers", &[]),
    ("letsema-ids", &[]),
    ("letsema-forge", &[]),
    ("letsema-form", &["letsema-expr", "letsema-answers"]),
    ("letsema-doc", &["letsema-answers", "letsema-ids"]),
    ("letsema-xlsform", &["letsema-expr", "letsema-form"]),
    ("letsema-xform", &["letsema-expr", "letsema-form"]),
    ("letsema-datafile", &["letsema-form"]),
    ("letsema-export", &["letsema-form", "letsema-answers"]),
    ("letsema-match", &["letsema-protocol"]),
    (
        "letsema-protocol",
        &["letsema-ids", "letsema-form", "letsema-answers"],
    ),
    (
        "letsema-sync",
        &[
            "letsema-doc",
            "letsema-protocol",
            "letsema-ids",
            "letsema-answers",
        ],
    ),
    (
        "letsema-workload",
        &[
            "letsema-doc",
            "letsema-form",
            "letsema-answers",
            "letsema-ids",
        ],
    ),
];

/// Crates that must never reach automerge, however indirectly: the form engine and what
/// the wire and the importer are made of.
const WITHOUT_AUTOMERGE: &[&str] = &[
    "letsema-expr",
    "letsema-answers",
    "letsema-ids",
    "letsema-form",
    "letsema-protocol",
    "letsema-xlsform",
    "letsema-xform",
    "letsema-datafile",
];

/// Crates that do I/O (a runtime, sockets, a database, the browser's APIs): none of
/// `crates/` may depend on them directly, nor reach the first five at all.
const IO_CRATES: &[&str] = &[
    "tokio",
    "hyper",
    "reqwest",
    "rusqlite",
    "warp",
    "gloo-net",
    "gloo-storage",
    "gloo-timers",
    "web-sys",
    "js-sys",
    "wasm-bindgen",
    "getrandom",
];
const IO_CRATES_NEVER_REACHED: usize = 5;

/// The applications: nothing in `crates/` may depend on them.
const APPLICATIONS: &[&str] = &[
    "letsema-server",
    "letsema-web",
    "letsema-web-submissions",
    "letsema-web-shared",
    "letsema-web-staff",
];

/// The app's first module: what a phone downloads and compiles before the first screen.
const FIRST_MODULE: &str = "letsema-web";

/// What the first module must never reach: automerge, and the crates of ours that link it
/// (the second module reaches them; the first calls it through the bridge at run time).
const NOT_IN_THE_FIRST_MODULE: &[&str] = &[
    "automerge",
    "letsema-doc",
    "letsema-sync",
    "letsema-web-submissions",
];

/// One resolved graph: each package's name, its normal dependencies by name.
struct Graph {
    deps: BTreeMap<String, BTreeSet<String>>,
    workspace: BTreeSet<String>,
    /// Packages whose manifest is under `crates/`.
    library: BTreeSet<String>,
}

impl Graph {
    fn read(platform: Option<&str>) -> Graph {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let mut command = Command::new(env!("CARGO"));
        command.current_dir(root).args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--locked",
        ]);
        if let Some(platform) = platform {
            command.args(["--filter-platform", platform]);
        }
        let output = command.output().expect("cargo metadata runs");
        assert!(
            output.status.success(),
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: Value =
            serde_json::from_slice(&output.stdout).expect("cargo metadata's JSON");
        let packages = metadata["packages"].as_array().expect("packages");
        let name_of: BTreeMap<&str, &str> = packages
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().expect("an id"),
                    p["name"].as_str().expect("a name"),
                )
            })
            .collect();
        let workspace: BTreeSet<String> = metadata["workspace_members"]
            .as_array()
            .expect("workspace members")
            .iter()
            .map(|id| name_of[id.as_str().expect("an id")].to_owned())
            .collect();
        let library = packages
            .iter()
            .filter(|p| {
                p["manifest_path"]
                    .as_str()
                    .is_some_and(|path| path.contains("/crates/"))
            })
            .map(|p| p["name"].as_str().expect("a name").to_owned())
            .filter(|name| workspace.contains(name))
            .collect();
        let mut deps = BTreeMap::new();
        for node in metadata["resolve"]["nodes"]
            .as_array()
            .expect("resolve nodes")
        {
            let normal: BTreeSet<String> = node["deps"]
                .as_array()
                .expect("deps")
                .iter()
                .filter(|dep| {
                    dep["dep_kinds"]
                        .as_array()
                        .expect("dep kinds")
                        .iter()
                        .any(|kind| kind["kind"].is_null())
                })
                .map(|dep| name_of[dep["pkg"].as_str().expect("a package id")].to_owned())
                .collect();
            let name = name_of[node["id"].as_str().expect("an id")].to_owned();
            deps.entry(name)
                .or_insert_with(BTreeSet::new)
                .extend(normal);
        }
        Graph {
            deps,
            workspace,
            library,
        }
    }

    fn direct(&self, package: &str) -> &BTreeSet<String> {
        &self.deps[package]
    }

    /// Everything `package` reaches through normal dependencies, and through which direct
    /// dependency it first did.
    fn reached(&self, package: &str) -> BTreeMap<String, String> {
        let mut reached = BTreeMap::new();
        let mut stack: Vec<(String, String)> = self
            .direct(package)
            .iter()
            .map(|dep| (dep.clone(), dep.clone()))
            .collect();
        while let Some((dep, via)) = stack.pop() {
            if reached.contains_key(&dep) {
                continue;
            }
            for next in self.deps.get(&dep).into_iter().flatten() {
                stack.push((next.clone(), via.clone()));
            }
            reached.insert(dep, via);
        }
        reached
    }
}

fn graphs() -> [(&'static str, Graph); 2] {
    [
        ("wasm32", Graph::read(Some("wasm32-unknown-unknown"))),
        ("native", Graph::read(None)),
    ]
}

#[test]
fn our_crates_depend_only_on_the_crates_the_architecture_allows() {
    for (target, graph) in graphs() {
        let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
        for package in &graph.library {
            let Some(may) = allowed.get(package.as_str()) else {
                panic!(
                    "{package} is a crate under crates/ that ARCHITECTURE.md and this test do \
                     not know: add its place in the graph to both"
                );
            };
            let ours: Vec<&String> = graph
                .direct(package)
                .iter()
                .filter(|dep| graph.workspace.contains(*dep) && !may.contains(&dep.as_str()))
                .collect();
            assert!(
                ours.is_empty(),
                "{target}: {package} depends on {ours:?}, which the dependency rules of \
                 ARCHITECTURE.md do not allow it (allowed: {may:?})"
            );
        }
    }
}

#[test]
fn no_crate_depends_on_an_application() {
    for (target, graph) in graphs() {
        for package in &graph.library {
            let reached = graph.reached(package);
            let apps: Vec<&&str> = APPLICATIONS
                .iter()
                .filter(|app| reached.contains_key(**app))
                .collect();
            assert!(apps.is_empty(), "{target}: {package} depends on {apps:?}");
        }
    }
}

#[test]
fn the_form_engine_the_wire_and_the_importer_never_reach_automerge() {
    for (target, graph) in graphs() {
        for package in WITHOUT_AUTOMERGE {
            let reached = graph.reached(package);
            if let Some(via) = reached.get("automerge") {
                panic!("{target}: {package} reaches automerge through its dependency {via}");
            }
        }
    }
}

#[test]
fn the_libraries_do_no_io() {
    for (target, graph) in graphs() {
        for package in &graph.library {
            let direct: Vec<&&str> = IO_CRATES
                .iter()
                .filter(|io| graph.direct(package).contains(**io))
                .collect();
            assert!(
                direct.is_empty(),
                "{target}: {package} depends on {direct:?}: crates/ does no I/O (ARCHITECTURE.md)"
            );
            let reached = graph.reached(package);
            for io in &IO_CRATES[..IO_CRATES_NEVER_REACHED] {
                if let Some(via) = reached.get(*io) {
                    panic!("{target}: {package} reaches {io} through {via}: crates/ does no I/O");
                }
            }
        }
    }
}

/// The staff area is a bundle of its own: the volunteers' modules never link it, and it
/// never links their screens (`letsema-web`). It links the documents' crate as a library
/// (its storage and sync, without the exports the volunteers' first module calls).
#[test]
fn the_staff_area_and_the_volunteers_modules_link_nothing_of_each_other() {
    let graph = Graph::read(Some("wasm32-unknown-unknown"));
    let staff = graph.reached("letsema-web-staff");
    assert!(
        staff.contains_key("letsema-form"),
        "the graph was not read: {staff:?}"
    );
    if let Some(via) = staff.get("letsema-web") {
        panic!("letsema-web-staff reaches the volunteers' screens through {via}");
    }
    for name in [
        "letsema-web",
        "letsema-web-submissions",
        "letsema-web-shared",
    ] {
        assert!(
            !graph.reached(name).contains_key("letsema-web-staff"),
            "{name} reaches the staff area"
        );
    }
}

#[test]
fn the_apps_first_module_never_links_automerge() {
    let graph = Graph::read(Some("wasm32-unknown-unknown"));
    let first = graph.reached(FIRST_MODULE);
    assert!(
        first.contains_key("letsema-web-shared"),
        "the graph was not read: {first:?}"
    );
    for name in NOT_IN_THE_FIRST_MODULE {
        if let Some(via) = first.get(*name) {
            panic!(
                "{FIRST_MODULE} (the app's first module) reaches {name} through {via}: \
                 automerge would be downloaded and compiled before the first screen. Reach \
                 submission documents through the bridge to letsema-web-submissions instead \
                 (see ARCHITECTURE.md)."
            );
        }
    }
    // The second module does reach automerge: the check reads a real graph.
    assert!(
        graph
            .reached("letsema-web-submissions")
            .contains_key("automerge")
    );
    // What both modules share holds neither automerge nor the screens' framework.
    let shared = graph.reached("letsema-web-shared");
    for name in ["automerge", "yew"] {
        assert!(
            !shared.contains_key(name),
            "letsema-web-shared reaches {name}"
        );
    }
}
