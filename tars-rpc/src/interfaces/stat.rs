//! `StatF.tars` (module `tars`, interface `StatF`, served as `tars.tarsstat.StatObj`): call
//! statistics. See `shared/spec/framework-facts.md` §1.4 and, for the parameter tags,
//! `shared/spec/tars-wire.md` §2.7.

use tars_codec::{TarsMap, TarsStruct};

use super::IntResult;

/// Function name of `reportMicMsg`.
pub const REPORT_MIC_MSG: &str = "reportMicMsg";
/// Function name of `reportSampleMsg`.
pub const REPORT_SAMPLE_MSG: &str = "reportSampleMsg";

/// `tars.StatMicMsgHead`: which call a statistics body counts. The key is all eleven fields in
/// tag order.
///
/// Client-side reports (`bFromClient` true) carry `masterName`
/// `<app>.<server>[.<set>]@<version>`, an empty `masterIp` and the callee's `slaveIp`;
/// server-side reports carry the caller's module and IP and an empty `slaveIp`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(
    name = "tars.StatMicMsgHead",
    key(
        master_name,
        slave_name,
        interface_name,
        master_ip,
        slave_ip,
        slave_port,
        return_value,
        slave_set_name,
        slave_set_area,
        slave_set_id,
        tars_version
    )
)]
pub struct StatMicMsgHead<'a> {
    /// `masterName`: the caller.
    #[tars(tag = 0, require)]
    pub master_name: &'a [u8],
    /// `slaveName`: the callee (`app.server`).
    #[tars(tag = 1, require)]
    pub slave_name: &'a [u8],
    /// `interfaceName`: the called function.
    #[tars(tag = 2, require)]
    pub interface_name: &'a [u8],
    /// `masterIp`: the caller's IP.
    #[tars(tag = 3, require)]
    pub master_ip: &'a [u8],
    /// `slaveIp`: the callee's IP.
    #[tars(tag = 4, require)]
    pub slave_ip: &'a [u8],
    /// `slavePort`: the callee's port.
    #[tars(tag = 5, require)]
    pub slave_port: i32,
    /// `returnValue`: the calls' return code.
    #[tars(tag = 6, require)]
    pub return_value: i32,
    /// `slaveSetName`: the callee's set name.
    #[tars(tag = 7)]
    pub slave_set_name: &'a [u8],
    /// `slaveSetArea`: the callee's set area.
    #[tars(tag = 8)]
    pub slave_set_area: &'a [u8],
    /// `slaveSetID`: the callee's set group.
    #[tars(tag = 9)]
    pub slave_set_id: &'a [u8],
    /// `tarsVersion`: the reporting framework's version.
    #[tars(tag = 10)]
    pub tars_version: &'a [u8],
}

/// `tars.StatMicMsgBody`: the counters of one head over a report interval.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.StatMicMsgBody")]
pub struct StatMicMsgBody {
    /// `count`: successful calls.
    #[tars(tag = 0, require)]
    pub count: i32,
    /// `timeoutCount`: timed-out calls.
    #[tars(tag = 1, require)]
    pub timeout_count: i32,
    /// `execCount`: failed calls.
    #[tars(tag = 2, require)]
    pub exec_count: i32,
    /// `intervalCount`: response-time bucket (upper bound, ms) to number of calls.
    #[tars(tag = 3, require)]
    pub interval_count: TarsMap<i32, i32>,
    /// `totalRspTime`: the sum of response times, in milliseconds.
    #[tars(tag = 4, require)]
    pub total_rsp_time: i64,
    /// `maxRspTime`: the longest response time, in milliseconds.
    #[tars(tag = 5, require)]
    pub max_rsp_time: i32,
    /// `minRspTime`: the shortest response time, in milliseconds.
    #[tars(tag = 6, require)]
    pub min_rsp_time: i32,
}

/// `tars.StatSampleMsg`: one sampled call (the service ignores these).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.StatSampleMsg")]
pub struct StatSampleMsg<'a> {
    /// `unid`: the sample's unique id.
    #[tars(tag = 0, require)]
    pub unid: &'a [u8],
    /// `masterName`: the caller.
    #[tars(tag = 1, require)]
    pub master_name: &'a [u8],
    /// `slaveName`: the callee.
    #[tars(tag = 2, require)]
    pub slave_name: &'a [u8],
    /// `interfaceName`: the called function.
    #[tars(tag = 3, require)]
    pub interface_name: &'a [u8],
    /// `masterIp`: the caller's IP.
    #[tars(tag = 4, require)]
    pub master_ip: &'a [u8],
    /// `slaveIp`: the callee's IP.
    #[tars(tag = 5, require)]
    pub slave_ip: &'a [u8],
    /// `depth`: the call depth.
    #[tars(tag = 6, require)]
    pub depth: i32,
    /// `width`: the call width.
    #[tars(tag = 7, require)]
    pub width: i32,
    /// `parentWidth`: the parent call's width.
    #[tars(tag = 8, require)]
    pub parent_width: i32,
}

/// `tars.ProxyInfo` (unused by the service).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.ProxyInfo")]
pub struct ProxyInfo {
    /// `bFromClient`: whether the report comes from the client side.
    #[tars(tag = 0, require)]
    pub from_client: bool,
}

/// Arguments of `int reportMicMsg(map<StatMicMsgHead, StatMicMsgBody> msg, bool bFromClient)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.StatF.reportMicMsg")]
pub struct ReportMicMsgArgs<'a> {
    /// `msg` (tag 1): head to counters.
    #[tars(tag = 1, require)]
    pub msg: TarsMap<StatMicMsgHead<'a>, StatMicMsgBody>,
    /// `bFromClient` (tag 2): whether the reports come from the client side.
    #[tars(tag = 2, require)]
    pub from_client: bool,
}

/// Result of `reportMicMsg`: the `int` return value.
pub type ReportMicMsgResult = IntResult;

/// Arguments of `int reportSampleMsg(vector<StatSampleMsg> msg)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.StatF.reportSampleMsg")]
pub struct ReportSampleMsgArgs<'a> {
    /// `msg` (tag 1): the samples.
    #[tars(tag = 1, require)]
    pub msg: Vec<StatSampleMsg<'a>>,
}

/// Result of `reportSampleMsg`: the `int` return value.
pub type ReportSampleMsgResult = IntResult;
