//! K8SFramework's `AdminReg.tars` (module `tars`, interface `AdminReg`, served as
//! `tars.tarsAdminRegistry.AdminRegObj`, mixed case) and the pod-side `Node.tars` (interface
//! `Node`, served by each pod's tarsnode as `tars.tarsnode.NodeObj` on 19385), which AdminReg
//! forwards start / stop / restart / notify to. See `shared/spec/framework-next.md` §3 and §5.1.

use tars_codec::TarsStruct;

/// Function name of `pingNode`.
pub const PING_NODE: &str = "pingNode";
/// Function name of `startServer` (AdminReg and Node).
pub const START_SERVER: &str = "startServer";
/// Function name of `stopServer` (AdminReg and Node).
pub const STOP_SERVER: &str = "stopServer";
/// Function name of `restartServer` (AdminReg and Node).
pub const RESTART_SERVER: &str = "restartServer";
/// Function name of `notifyServer` (AdminReg and Node).
pub const NOTIFY_SERVER: &str = "notifyServer";
/// Function name of `registerPlugin`.
pub const REGISTER_PLUGIN: &str = "registerPlugin";
/// Function name of `hasDevAuth`.
pub const HAS_DEV_AUTH: &str = "hasDevAuth";
/// Function name of `hasOpeAuth`.
pub const HAS_OPE_AUTH: &str = "hasOpeAuth";
/// Function name of `hasAdminAuth`.
pub const HAS_ADMIN_AUTH: &str = "hasAdminAuth";
/// Function name of `checkTicket`.
pub const CHECK_TICKET: &str = "checkTicket";

/// `tarsErrCode` values AdminReg answers with (`AdminReg.tars`).
pub mod err {
    /// `EM_TARS_CALL_NODE_TIMEOUT_ERR`.
    pub const CALL_NODE_TIMEOUT: i32 = 1002;
    /// `EM_TARS_NODE_NO_CONNECTION`.
    pub const NODE_NO_CONNECTION: i32 = 1012;
    /// `EM_TARS_UNKNOWN_ERR`.
    pub const UNKNOWN: i32 = -1;
    /// `EM_TARS_SUCCESS`.
    pub const SUCCESS: i32 = 0;
}

/// `tars.PluginConf`: a TARS plugin for tarsweb (every field optional).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.PluginConf")]
pub struct PluginConf<'a> {
    /// `name`.
    #[tars(tag = 0)]
    pub name: &'a [u8],
    /// `name_en`.
    #[tars(tag = 1)]
    pub name_en: &'a [u8],
    /// `obj`: the plugin's servant.
    #[tars(tag = 2)]
    pub obj: &'a [u8],
    /// `type`: 1 global, 2 server-level.
    #[tars(tag = 3)]
    pub kind: i32,
    /// `path`.
    #[tars(tag = 4)]
    pub path: &'a [u8],
    /// `k8s`.
    #[tars(tag = 5)]
    pub k8s: bool,
    /// `fextern`.
    #[tars(tag = 6)]
    pub fextern: i32,
}

/// Arguments of `bool pingNode(string name, out string result)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.AdminReg.pingNode")]
pub struct PingNodeArgs<'a> {
    /// `name`: the node (a pod name or address).
    #[tars(tag = 1, require)]
    pub name: &'a [u8],
}

/// Result of `pingNode`: the return value and `result`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.AdminReg.pingNode.result")]
pub struct PingNodeResult<'a> {
    /// The return value.
    #[tars(tag = 0, require)]
    pub ret: bool,
    /// `result`.
    #[tars(tag = 2, require)]
    pub result: &'a [u8],
}

/// Arguments of AdminReg's `int startServer|stopServer|restartServer(string application,
/// string serverName, string nodeName, out string result)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.AdminReg.server")]
pub struct ServerArgs<'a> {
    /// `application`.
    #[tars(tag = 1, require)]
    pub application: &'a [u8],
    /// `serverName`.
    #[tars(tag = 2, require)]
    pub server_name: &'a [u8],
    /// `nodeName`: where the pod's NodeObj listens (tarsweb passes the pod IP).
    #[tars(tag = 3, require)]
    pub node_name: &'a [u8],
}

/// Result of AdminReg's start / stop / restart: the return value and `result` (tag 4).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.AdminReg.server.result")]
pub struct ServerResult<'a> {
    /// The return value.
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `result`.
    #[tars(tag = 4, require)]
    pub result: &'a [u8],
}

/// Arguments of AdminReg's `int notifyServer(string application, string serverName,
/// string nodeName, string command, out string result)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.AdminReg.notifyServer")]
pub struct NotifyServerArgs<'a> {
    /// `application`.
    #[tars(tag = 1, require)]
    pub application: &'a [u8],
    /// `serverName`.
    #[tars(tag = 2, require)]
    pub server_name: &'a [u8],
    /// `nodeName`.
    #[tars(tag = 3, require)]
    pub node_name: &'a [u8],
    /// `command`.
    #[tars(tag = 4, require)]
    pub command: &'a [u8],
}

/// Result of AdminReg's `notifyServer`: the return value and `result` (tag 5).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.AdminReg.notifyServer.result")]
pub struct NotifyServerResult<'a> {
    /// The return value.
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `result`.
    #[tars(tag = 5, require)]
    pub result: &'a [u8],
}

/// Arguments of `int registerPlugin(PluginConf conf)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.AdminReg.registerPlugin")]
pub struct RegisterPluginArgs<'a> {
    /// `conf`.
    #[tars(tag = 1, require)]
    pub conf: PluginConf<'a>,
}

/// Arguments of `int hasDevAuth|hasOpeAuth(string application, string serverName, string uid,
/// out bool has)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.AdminReg.hasAuth")]
pub struct HasAuthArgs<'a> {
    /// `application`.
    #[tars(tag = 1, require)]
    pub application: &'a [u8],
    /// `serverName`.
    #[tars(tag = 2, require)]
    pub server_name: &'a [u8],
    /// `uid`.
    #[tars(tag = 3, require)]
    pub uid: &'a [u8],
}

/// Result of `hasDevAuth` / `hasOpeAuth`: the return value and `has` (tag 4).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.AdminReg.hasAuth.result")]
pub struct HasAuthResult {
    /// The return value.
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `has`.
    #[tars(tag = 4, require)]
    pub has: bool,
}

/// Arguments of `int hasAdminAuth(string uid, out bool has)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.AdminReg.hasAdminAuth")]
pub struct HasAdminAuthArgs<'a> {
    /// `uid`.
    #[tars(tag = 1, require)]
    pub uid: &'a [u8],
}

/// Result of `hasAdminAuth`: the return value and `has` (tag 2).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.AdminReg.hasAdminAuth.result")]
pub struct HasAdminAuthResult {
    /// The return value.
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `has`.
    #[tars(tag = 2, require)]
    pub has: bool,
}

/// Arguments of `int checkTicket(string ticket, out string uid)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.AdminReg.checkTicket")]
pub struct CheckTicketArgs<'a> {
    /// `ticket`.
    #[tars(tag = 1, require)]
    pub ticket: &'a [u8],
}

/// Result of `checkTicket`: the return value and `uid` (tag 2).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.AdminReg.checkTicket.result")]
pub struct CheckTicketResult<'a> {
    /// The return value.
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `uid`.
    #[tars(tag = 2, require)]
    pub uid: &'a [u8],
}

/// Arguments of Node's `int startServer|stopServer|restartServer(string application,
/// string serverName, out string result)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Node.server")]
pub struct NodeServerArgs<'a> {
    /// `application`.
    #[tars(tag = 1, require)]
    pub application: &'a [u8],
    /// `serverName`.
    #[tars(tag = 2, require)]
    pub server_name: &'a [u8],
}

/// Result of Node's start / stop / restart: the return value and `result` (tag 3).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Node.server.result")]
pub struct NodeServerResult<'a> {
    /// The return value.
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `result`.
    #[tars(tag = 3, require)]
    pub result: &'a [u8],
}

/// Arguments of Node's `int notifyServer(string application, string serverName,
/// string command, out string result)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Node.notifyServer")]
pub struct NodeNotifyArgs<'a> {
    /// `application`.
    #[tars(tag = 1, require)]
    pub application: &'a [u8],
    /// `serverName`.
    #[tars(tag = 2, require)]
    pub server_name: &'a [u8],
    /// `command`.
    #[tars(tag = 3, require)]
    pub command: &'a [u8],
}

/// Result of Node's `notifyServer`: the return value and `result` (tag 4).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Node.notifyServer.result")]
pub struct NodeNotifyResult<'a> {
    /// The return value.
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `result`.
    #[tars(tag = 4, require)]
    pub result: &'a [u8],
}
