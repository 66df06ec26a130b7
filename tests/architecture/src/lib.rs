//! Nothing to link: this package holds `tests/dependencies.rs`, which reads the workspace's
//! dependency graph (`cargo metadata`) and checks it against the invariants of
//! `ARCHITECTURE.md`, so that a dependency added against them fails `./dev test`.
