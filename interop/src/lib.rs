//! Helpers for driving the npm TARS peers in `interop/node` from Rust tests.
//!
//! The Node project is installed by the README's test command (`scripts/test`, which runs
//! `npm ci` there); a test that finds it missing fails with that instruction.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The Node project directory.
pub fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node")
}

/// Runs `node <script> <args..>` in the Node project and returns its output.
///
/// # Panics
///
/// Panics with an instruction when the npm packages are not installed or `node` cannot start.
pub fn run_node(script: &str, args: &[&str]) -> Output {
    let dir = node_dir();
    assert!(
        dir.join("node_modules/@tars/stream").is_dir(),
        "npm packages missing: run `scripts/test` (or `npm ci` in {})",
        dir.display()
    );
    Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| panic!("start node {script}: {e}"))
}
