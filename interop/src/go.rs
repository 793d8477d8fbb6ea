//! The TarsGo client program (`interop/go`, TarsGo pinned in its `go.mod`), built by
//! `interop/go/build`.

use std::path::{Path, PathBuf};

/// The built program, `interop/go/bin/tars-go-client`.
///
/// # Panics
///
/// With the instruction to build it when `interop/go/build` has not been run.
pub fn go_client() -> PathBuf {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("go/bin/tars-go-client");
    assert!(
        bin.is_file(),
        "the TarsGo client is not built: run interop/go/build (scripts/test does)"
    );
    bin
}

/// The TarsGo trace program, `interop/go/bin/tars-go-trace`: a TarsGo server and client that
/// write call-chain trace lines.
///
/// # Panics
///
/// With the instruction to build it when `interop/go/build` has not been run.
pub fn go_trace() -> PathBuf {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("go/bin/tars-go-trace");
    assert!(
        bin.is_file(),
        "the TarsGo trace program is not built: run interop/go/build (scripts/test does)"
    );
    bin
}
