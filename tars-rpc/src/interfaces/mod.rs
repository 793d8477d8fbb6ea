//! The framework interfaces the data plane serves: their structs, enums and per-method argument
//! and result blocks, declared from the IDL in `shared/spec/framework-facts.md` §1, and the
//! object names and ports of §2.
//!
//! Parameter blocks follow `shared/spec/tars-wire.md` §2.7: in `sBuffer` each parameter's tag is
//! its 1-based position counting in and out parameters, and the return value is tag 0. An
//! `*Args` struct decodes a request (inputs `require`, out parameters optional); a `*Result`
//! struct encodes a response (return value, then out parameters). `void` methods without out
//! parameters answer with an empty `sBuffer` and have no result struct.

pub mod adminreg;
pub mod config;
pub mod endpoint;
pub mod log;
pub mod monitor;
pub mod notify;
pub mod property;
pub mod query;
pub mod registry;
pub mod stat;
pub mod topology;

use tars_codec::TarsStruct;

pub use endpoint::{EndpointF, ObjectItem};
pub use log::{LogInfo, LoggerArgs, LoggerByInfoArgs};
pub use monitor::{
    Condition, MonitorQueryArgs, MonitorQueryReq, MonitorQueryResult, MonitorQueryRsp, Op,
};
pub use notify::{
    GetNotifyInfoArgs, GetNotifyInfoResult, NotifyInfo, NotifyItem, NotifyKey, NotifyLevel,
    NotifyServerArgs, ReportInfo, ReportNotifyInfoArgs, ReportServerArgs, ReportType,
};
pub use property::{
    ReportPropMsgArgs, ReportPropMsgResult, StatPropInfo, StatPropMsgBody, StatPropMsgHead,
};
pub use query::{
    EndpointsByIdArgs, EndpointsByIdInArgs, EndpointsByIdInResult, EndpointsByIdResult,
    FindObjectById4AllArgs, FindObjectById4AllResult, FindObjectById4AnyArgs,
    FindObjectById4AnyResult, FindObjectByIdArgs, FindObjectByIdInSameGroupArgs,
    FindObjectByIdInSameGroupResult, FindObjectByIdInSameSetArgs, FindObjectByIdInSameSetResult,
    FindObjectByIdInSameStationArgs, FindObjectByIdInSameStationResult, FindObjectByIdResult,
    FindObjectNodeNameArgs, FindObjectNodeNameResult, GetLockerArgs, GetLockerResult,
    GetMasterSlaveLock, RegisterChangeArgs, RegisterChangeResult, RegisterQueryArgs,
    RegisterQueryResult,
};
pub use registry::{
    AdapterDescriptor, GetServerDescriptorArgs, GetServerDescriptorResult, ServerDescriptor,
    ServerState, ServerStateInfo, UpdateServerStateArgs,
};
pub use stat::{
    ProxyInfo, ReportMicMsgArgs, ReportMicMsgResult, ReportSampleMsgArgs, ReportSampleMsgResult,
    StatMicMsgBody, StatMicMsgHead, StatSampleMsg,
};

/// The registry's lookup object (`QueryF`).
pub const QUERY_OBJ: &str = "tars.tarsregistry.QueryObj";
/// Port of [`QUERY_OBJ`].
pub const QUERY_OBJ_PORT: u16 = 17890;
/// The registry's node-agent object (`Registry`).
pub const REGISTRY_OBJ: &str = "tars.tarsregistry.RegistryObj";
/// Port of [`REGISTRY_OBJ`].
pub const REGISTRY_OBJ_PORT: u16 = 17891;
/// The call-statistics object (`StatF`).
pub const STAT_OBJ: &str = "tars.tarsstat.StatObj";
/// Port of [`STAT_OBJ`].
pub const STAT_OBJ_PORT: u16 = 17000;
/// The property object (`PropertyF`).
pub const PROPERTY_OBJ: &str = "tars.tarsproperty.PropertyObj";
/// Port of [`PROPERTY_OBJ`].
pub const PROPERTY_OBJ_PORT: u16 = 14000;
/// The notification object (`Notify`).
pub const NOTIFY_OBJ: &str = "tars.tarsnotify.NotifyObj";
/// Port of [`NOTIFY_OBJ`].
pub const NOTIFY_OBJ_PORT: u16 = 13111;
/// The remote log object (`Log`).
pub const LOG_OBJ: &str = "tars.tarslog.LogObj";
/// Port of [`LOG_OBJ`].
pub const LOG_OBJ_PORT: u16 = 12111;
/// The configuration object (`Config`).
pub const CONFIG_OBJ: &str = "tars.tarsconfig.ConfigObj";
/// Port of [`CONFIG_OBJ`].
pub const CONFIG_OBJ_PORT: u16 = 11111;
/// The stat query object (`MonitorQuery` over the stat index).
pub const QUERY_STAT_OBJ: &str = "tars.tarsquerystat.QueryObj";
/// Port of [`QUERY_STAT_OBJ`].
pub const QUERY_STAT_OBJ_PORT: u16 = 16000;
/// The property query object (`MonitorQuery` over the property index).
pub const QUERY_PROPERTY_OBJ: &str = "tars.tarsqueryproperty.QueryObj";
/// Port of [`QUERY_PROPERTY_OBJ`].
pub const QUERY_PROPERTY_OBJ_PORT: u16 = 15000;

/// The response `sBuffer` of a method whose only result is its `int` return value (tag 0).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "int result")]
pub struct IntResult {
    /// Return value (tag 0).
    #[tars(tag = 0, require)]
    pub ret: i32,
}
