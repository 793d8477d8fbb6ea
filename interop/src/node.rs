//! The npm TARS peers in `interop/node`, run with `node`.
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
    let dir = installed_node_dir();
    Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| panic!("start node {script}: {e}"))
}

/// The Node project directory, checked to have its packages installed.
///
/// # Panics
///
/// Panics with an instruction when `npm ci` has not been run.
pub fn installed_node_dir() -> PathBuf {
    let dir = node_dir();
    assert!(
        ["rpc", "stream", "config"]
            .iter()
            .all(|p| dir.join("node_modules/@tars").join(p).is_dir()),
        "npm packages missing: run `scripts/test` (or `npm ci` in {})",
        dir.display()
    );
    dir
}

/// Runs `node <script> <args..>` without blocking the runtime, killing it after 30 s.
///
/// # Panics
///
/// Panics when `node` cannot start or runs past 30 s.
pub async fn run_node_async(script: &str, args: &[&str]) -> Output {
    let child = tokio::process::Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(installed_node_dir())
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(std::time::Duration::from_secs(30), child)
        .await
        .unwrap_or_else(|_| panic!("node {script} ran past 30 s"))
        .unwrap_or_else(|e| panic!("start node {script}: {e}"))
}

/// Starts `node <script> <args..>` in the background and waits until it prints `ready`.
///
/// # Panics
///
/// Panics when `node` cannot start or does not become ready within 10 s.
pub async fn spawn_node_until_ready(script: &str, args: &[&str]) -> tokio::process::Child {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(installed_node_dir())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("start node {script}: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let ready = async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.trim() == "ready" {
                return true;
            }
        }
        false
    };
    let ok = tokio::time::timeout(std::time::Duration::from_secs(10), ready)
        .await
        .unwrap_or(false);
    assert!(ok, "node {script} did not print `ready` within 10 s");
    child
}

/// [`run_node_async`], checked to exit successfully.
///
/// # Panics
///
/// As [`run_node_async`], and with the script's stderr when it exits unsuccessfully.
pub async fn run_node_ok(script: &str, args: &[&str]) -> Output {
    let out = run_node_async(script, args).await;
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
