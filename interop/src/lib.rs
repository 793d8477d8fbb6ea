//! Helpers for driving the npm TARS peers in `interop/node` from Rust tests.
//!
//! The Node project is installed by the README's test command (`scripts/test`, which runs
//! `npm ci` there); a test that finds it missing fails with that instruction.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tars_codec::TarsMap;
use tars_rpc::Client;
use tars_rpc::interfaces::monitor::{
    Condition, MonitorQueryArgs, MonitorQueryReq, MonitorQueryResult, MonitorQueryRsp, Op,
};

use bytes::BytesMut;
use std::process::{Command, Output};
use tars_codec::packet::ret;
use tars_codec::tup::{UniAttribute, UniAttributeWriter};
use tars_codec::{Encode, Protocol, Reader};
use tars_rpc::{Reply, ReplyFuture, Request, Servant};

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
        dir.join("node_modules/@tars/rpc").is_dir()
            && dir.join("node_modules/@tars/stream").is_dir(),
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

/// `string echo(string s)` (`Test.EchoServer.EchoObj`): returns `s`, in TARS v1 and TUP v3. The
/// Rust servant the npm clients call in the interop tests.
#[derive(Debug, Clone, Copy)]
pub struct Echo;

impl Servant for Echo {
    fn call(&self, request: Request) -> ReplyFuture {
        Box::pin(async move {
            if &request.func_name[..] != b"echo" {
                return Reply::error(ret::NO_FUNCTION, "no such function");
            }
            match request.protocol {
                Protocol::Tars => {
                    match Reader::new(&request.args).read_required::<&[u8]>(1, "echo") {
                        Ok(s) => {
                            let mut out = BytesMut::new();
                            s.encode(0, &mut out);
                            Reply::Ok(out.freeze())
                        }
                        Err(e) => Reply::error(ret::DECODE_ERROR, e.to_string()),
                    }
                }
                Protocol::Tup => {
                    match UniAttribute::decode(&request.args).and_then(|a| a.get::<&[u8]>(b"s")) {
                        Ok(s) => Reply::Ok(UniAttributeWriter::new().put_return(&s).finish()),
                        Err(e) => Reply::error(ret::DECODE_ERROR, e.to_string()),
                    }
                }
            }
        })
    }
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
