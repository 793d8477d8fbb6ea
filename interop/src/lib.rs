//! Helpers for the interop tests: real third-party TARS clients (the npm peers in
//! `interop/node`, TarsGo in `interop/go`, `TarsJava` in `interop/java`) against tarsplane.
//!
//! - [`node`]: running the npm scripts; [`go`] and [`java`]: the built TarsGo and `TarsJava`
//!   programs;
//! - [`echo`]: the Rust echo servant the clients call;
//! - [`plane`]: `tarsplane up` in process, its objects by name, its store and aggregators;
//! - [`registry`]: the registry file the tests serve and what lookups must answer for it;
//! - [`monitor`]: reading stat and property back through `MonitorQuery`;
//! - [`child`]: a client program that prints one JSON line and waits on its stdin;
//! - [`poll`]: waiting for what arrives asynchronously;
//! - [`recorder`]: a recording proxy in front of one object (what a client put on the wire).

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use tars_codec::TarsMap;
use tars_rpc::Client;
use tars_rpc::interfaces::monitor::{
    Condition, MonitorQueryArgs, MonitorQueryReq, MonitorQueryResult, MonitorQueryRsp, Op,
};

pub mod child;
pub mod echo;
pub mod go;
pub mod java;
pub mod monitor;
pub mod node;
pub mod plane;
pub mod poll;
pub mod recorder;
pub mod registry;
pub mod topology;

pub use echo::{ECHO, Echo, spawn_echo};
pub use node::{
    installed_node_dir, node_dir, run_node, run_node_async, run_node_ok, spawn_node_until_ready,
};

/// The file's text (invalid UTF-8 replaced), empty when it cannot be read (not written yet).
pub fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// Calls `MonitorQuery.query` on `object` at `addr` for one day's rows of `master` (the
/// `master_name` condition), summing `indexs` grouped by `groupby`: `(group key, sums)` rows.
///
/// # Panics
///
/// When the call fails or answers a non-zero `ret` (a test helper).
pub async fn monitor_query(
    addr: SocketAddr,
    object: &str,
    date: &str,
    master: &str,
    indexs: &[&str],
    groupby: &[&str],
) -> Vec<(String, Vec<f64>)> {
    let client = Client::connect(addr).await.expect("connect");
    let args = MonitorQueryArgs {
        req: MonitorQueryReq {
            uid: b"",
            method: b"query",
            dataid: b"",
            date: date.as_bytes(),
            tflag1: b"",
            tflag2: b"",
            conditions: vec![Condition {
                field: b"master_name",
                op: Op::Eq,
                val: master.as_bytes(),
            }],
            indexs: indexs.iter().map(|s| s.as_bytes()).collect(),
            groupby: groupby.iter().map(|s| s.as_bytes()).collect(),
        },
        rsp: MonitorQueryRsp {
            ret: 0,
            msg: b"",
            last_time: b"",
            active_db: 0,
            total_db: 0,
            ret_threads: Vec::new(),
            result: TarsMap::new(),
        },
    };
    let response = client
        .call(object, "query", &args, Duration::from_secs(5))
        .await
        .expect("query call");
    let result: MonitorQueryResult<'_> = response.decode().expect("query result");
    assert_eq!(result.ret, 0, "{}", String::from_utf8_lossy(result.rsp.msg));
    result
        .rsp
        .result
        .entries()
        .iter()
        .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v.clone()))
        .collect()
}
