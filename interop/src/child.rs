//! A client program that prints one JSON line with its results, then keeps running until its
//! stdin closes (its stat, property and log reporters are timers: closing stdin only once the
//! test has seen the data lets them send).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;
use tokio::process::{Child, ChildStdin, Command};

use crate::read_lossy;

/// A running program that has printed its JSON line and waits for stdin to close.
#[derive(Debug)]
pub struct JsonChild {
    label: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: PathBuf,
    json: Value,
}

impl JsonChild {
    /// Spawns `program` in `dir` (stdin and stdout piped, stderr into `<dir>/<label>.stderr`),
    /// reads its first stdout line within `wait` and checks that it is JSON with an empty
    /// `errors` array. `label` names the program in panic messages.
    ///
    /// # Panics
    ///
    /// When the program cannot start, prints nothing within `wait`, prints no JSON line, or
    /// reports errors; the messages carry its stderr.
    pub async fn start(mut program: Command, label: &str, dir: &Path, wait: Duration) -> Self {
        let stderr = dir.join(format!("{label}.stderr"));
        let mut child = program
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {label}: {e}"));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let line = tokio::time::timeout(wait, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("{label}: no output within {wait:?}"))
            .expect("read stdout")
            .unwrap_or_default();
        let json: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!(
                "{label} printed no JSON line ({e}): {line:?}\nstderr: {}",
                read_lossy(&stderr)
            )
        });
        assert_eq!(
            json["errors"],
            json!([]),
            "{label}: {json}\nstderr: {}",
            read_lossy(&stderr)
        );
        Self {
            label: label.to_owned(),
            child,
            stdin,
            stderr,
            json,
        }
    }

    /// The JSON line.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// Closes stdin and waits (15 s at most) for a successful exit.
    ///
    /// # Panics
    ///
    /// When the program runs on or exits unsuccessfully.
    pub async fn finish(mut self) {
        drop(self.stdin.take());
        let status = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("{} exits within 15 s of stdin closing", self.label))
            .expect("wait");
        assert!(
            status.success(),
            "{} exited with {status}: {}\nstderr: {}",
            self.label,
            self.json,
            read_lossy(&self.stderr)
        );
    }
}
