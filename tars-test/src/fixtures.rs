//! The canonical codec fixtures and the framework structs they hold.
//!
//! The structs are the framework interface types of `tars-rpc` (borrowing from the fixture
//! bytes), re-exported so the codec's tests and benchmarks name them in one place.

use std::path::PathBuf;

use serde_json::Value;
use tars_codec::{Result, StructDecode};

pub use tars_rpc::interfaces::{EndpointF, ReportMicMsgArgs, StatMicMsgBody, StatMicMsgHead};

/// The return value of `QueryF.findObjectById`: `vector<EndpointF>` at tag 0.
pub use tars_rpc::interfaces::FindObjectByIdResult as EndpointList;

/// The directory holding the fixtures.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/codec")
}

/// Reads a fixture file by name, e.g. `stat-report-1000.bin`.
///
/// # Panics
///
/// Panics if the file cannot be read: the fixtures are part of the repository.
pub fn read(name: &str) -> Vec<u8> {
    let path = dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read fixture {}: {e}", path.display()))
}

/// Parses a fixture's `.json`.
///
/// # Panics
///
/// Panics if the file is missing or is not JSON.
pub fn json(name: &str) -> Value {
    let bytes = read(name);
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("parse fixture {name}: {e}"))
}

/// Decodes a top-level struct from a fixture's bytes.
pub fn decode<'a, T: StructDecode<'a>>(bytes: &'a [u8]) -> Result<T> {
    tars_codec::from_slice(bytes)
}

/// A JSON string field as bytes.
///
/// # Panics
///
/// Panics if the field is missing or not a string.
pub fn bytes_of<'v>(v: &'v Value, field: &str) -> &'v [u8] {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("fixture field {field} is not a string"))
        .as_bytes()
}

/// A JSON integer field.
///
/// # Panics
///
/// Panics if the field is missing or not an integer.
pub fn int_of(v: &Value, field: &str) -> i64 {
    v[field]
        .as_i64()
        .unwrap_or_else(|| panic!("fixture field {field} is not an integer"))
}

fn int32(v: &Value, field: &str) -> i32 {
    i32::try_from(int_of(v, field)).unwrap_or_else(|_| panic!("fixture field {field} overflows"))
}

/// The values `stat-report-1000.json` lists, borrowing strings from the parsed JSON.
///
/// # Panics
///
/// Panics if the JSON does not have the documented shape.
pub fn stat_report_expected(json: &Value) -> ReportMicMsgArgs<'_> {
    let entries = json["entries"].as_array().expect("entries is an array");
    let msg = entries
        .iter()
        .map(|e| {
            let h = &e["head"];
            let b = &e["body"];
            let head = StatMicMsgHead {
                master_name: bytes_of(h, "masterName"),
                slave_name: bytes_of(h, "slaveName"),
                interface_name: bytes_of(h, "interfaceName"),
                master_ip: bytes_of(h, "masterIp"),
                slave_ip: bytes_of(h, "slaveIp"),
                slave_port: int32(h, "slavePort"),
                return_value: int32(h, "returnValue"),
                slave_set_name: bytes_of(h, "slaveSetName"),
                slave_set_area: bytes_of(h, "slaveSetArea"),
                slave_set_id: bytes_of(h, "slaveSetID"),
                tars_version: bytes_of(h, "tarsVersion"),
            };
            let interval_count = b["intervalCount"]
                .as_array()
                .expect("intervalCount is an array")
                .iter()
                .map(|pair| {
                    let k = pair[0].as_i64().expect("bucket") as i32;
                    let v = pair[1].as_i64().expect("count") as i32;
                    (k, v)
                })
                .collect();
            let body = StatMicMsgBody {
                count: int32(b, "count"),
                timeout_count: int32(b, "timeoutCount"),
                exec_count: int32(b, "execCount"),
                interval_count,
                total_rsp_time: int_of(b, "totalRspTime"),
                max_rsp_time: int32(b, "maxRspTime"),
                min_rsp_time: int32(b, "minRspTime"),
            };
            (head, body)
        })
        .collect();
    ReportMicMsgArgs {
        msg,
        from_client: json["bFromClient"]
            .as_bool()
            .expect("bFromClient is a bool"),
    }
}

/// The values `endpoints-100.json` lists.
///
/// # Panics
///
/// Panics if the JSON does not have the documented shape.
pub fn endpoints_expected(json: &Value) -> EndpointList<'_> {
    let endpoints = json["endpoints"]
        .as_array()
        .expect("endpoints is an array")
        .iter()
        .map(|e| EndpointF {
            host: bytes_of(e, "host"),
            port: int32(e, "port"),
            timeout: int32(e, "timeout"),
            istcp: int32(e, "istcp"),
            grid: int32(e, "grid"),
            groupworkid: int32(e, "groupworkid"),
            grouprealid: int32(e, "grouprealid"),
            set_id: bytes_of(e, "setId"),
            qos: int32(e, "qos"),
            bak_flag: int32(e, "bakFlag"),
            weight: int32(e, "weight"),
            weight_type: int32(e, "weightType"),
            auth_type: 0,
            node_name: b"",
        })
        .collect();
    EndpointList { endpoints }
}
