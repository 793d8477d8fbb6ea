//! `NotifyF.tars` (module `tars`, interface `Notify`, served as `tars.tarsnotify.NotifyObj`):
//! server notifications, with the old methods K8SFramework still serves. See
//! `shared/spec/framework-facts.md` §1.7 and, for the parameter tags,
//! `shared/spec/tars-wire.md` §2.7.

use tars_codec::{TarsEnum, TarsStruct};

/// Function name of `reportServer` (old).
pub const REPORT_SERVER: &str = "reportServer";
/// Function name of `notifyServer` (old).
pub const NOTIFY_SERVER: &str = "notifyServer";
/// Function name of `getNotifyInfo` (old).
pub const GET_NOTIFY_INFO: &str = "getNotifyInfo";
/// Function name of `reportNotifyInfo` (current).
pub const REPORT_NOTIFY_INFO: &str = "reportNotifyInfo";

/// `tars.NOTIFYLEVEL`: a notification's severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, TarsEnum)]
pub enum NotifyLevel {
    /// `NOTIFYNORMAL` (0): informational.
    Normal = 0,
    /// `NOTIFYWARN` (1): a warning.
    Warn = 1,
    /// `NOTIFYERROR` (2): an error.
    Error = 2,
}

/// `tars.ReportType`: the kind of a [`ReportInfo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, TarsEnum)]
pub enum ReportType {
    /// `REPORT` (0): a report.
    Report = 0,
    /// `NOTIFY` (1): a notification.
    Notify = 1,
}

/// `tars.ReportInfo`: one notification, as `reportNotifyInfo` sends it. Tags start at 1.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.ReportInfo")]
pub struct ReportInfo<'a> {
    /// `eType`: report or notify ([`ReportType`] values). An int, not the enum: K8SFramework
    /// ignores the field, so a value outside the enum must not fail the call.
    #[tars(tag = 1, require)]
    pub e_type: i32,
    /// `sApp`: the application.
    #[tars(tag = 2, require)]
    pub app: &'a [u8],
    /// `sSet`: the set, empty when none.
    #[tars(tag = 3, require)]
    pub set: &'a [u8],
    /// `sContainer`: the container.
    #[tars(tag = 4, require)]
    pub container: &'a [u8],
    /// `sServer`: the server.
    #[tars(tag = 5, require)]
    pub server: &'a [u8],
    /// `sMessage`: the message text.
    #[tars(tag = 6, require)]
    pub message: &'a [u8],
    /// `sThreadId`: the reporting thread.
    #[tars(tag = 7)]
    pub thread_id: &'a [u8],
    /// `eLevel`: the severity ([`NotifyLevel`] values, default `NOTIFYNORMAL`). An int, not
    /// the enum: K8SFramework stores any other value as `[normal]` instead of failing the call.
    #[tars(tag = 8)]
    pub level: i32,
    /// `sNodeName`: the reporting node (pod).
    #[tars(tag = 9)]
    pub node_name: &'a [u8],
}

/// `tars.NotifyKey` (old): which page of a server's notifications `getNotifyInfo` asks for.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.NotifyKey")]
pub struct NotifyKey<'a> {
    /// `name`: the server name.
    #[tars(tag = 1, require)]
    pub name: &'a [u8],
    /// `ip`: the server's IP.
    #[tars(tag = 2, require)]
    pub ip: &'a [u8],
    /// `page`: the page number.
    #[tars(tag = 3, require)]
    pub page: i32,
}

/// `tars.NotifyItem` (old): one stored notification.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.NotifyItem")]
pub struct NotifyItem<'a> {
    /// `sTimeStamp`: when it was reported.
    #[tars(tag = 1, require)]
    pub time_stamp: &'a [u8],
    /// `sServerId`: the reporting server.
    #[tars(tag = 2, require)]
    pub server_id: &'a [u8],
    /// `iLevel`: the severity as an int.
    #[tars(tag = 3, require)]
    pub level: i32,
    /// `sMessage`: the message text.
    #[tars(tag = 4, require)]
    pub message: &'a [u8],
}

/// `tars.NotifyInfo` (old): one page of notifications.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.NotifyInfo")]
pub struct NotifyInfo<'a> {
    /// `nextpage`: the next page number.
    #[tars(tag = 1, require)]
    pub nextpage: i32,
    /// `notifyItems`: the notifications on this page.
    #[tars(tag = 2, require)]
    pub notify_items: Vec<NotifyItem<'a>>,
}

/// Arguments of `void reportServer(string sServerName, string sThreadId, string sMessage)`
/// (old); the reply is an empty `sBuffer`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Notify.reportServer")]
pub struct ReportServerArgs<'a> {
    /// `sServerName` (tag 1): the reporting server.
    #[tars(tag = 1, require)]
    pub server_name: &'a [u8],
    /// `sThreadId` (tag 2): the reporting thread.
    #[tars(tag = 2, require)]
    pub thread_id: &'a [u8],
    /// `sMessage` (tag 3): the message text.
    #[tars(tag = 3, require)]
    pub message: &'a [u8],
}

/// Arguments of `void notifyServer(string sServerName, NOTIFYLEVEL level, string sMessage)`
/// (old); the reply is an empty `sBuffer`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Notify.notifyServer")]
pub struct NotifyServerArgs<'a> {
    /// `sServerName` (tag 1): the reporting server.
    #[tars(tag = 1, require)]
    pub server_name: &'a [u8],
    /// `level` (tag 2): the severity ([`NotifyLevel`] values; any other value means normal, as
    /// in K8SFramework).
    #[tars(tag = 2, require)]
    pub level: i32,
    /// `sMessage` (tag 3): the message text.
    #[tars(tag = 3, require)]
    pub message: &'a [u8],
}

/// Arguments of `int getNotifyInfo(NotifyKey stKey, out NotifyInfo stInfo)` (old).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Notify.getNotifyInfo")]
pub struct GetNotifyInfoArgs<'a> {
    /// `stKey` (tag 1): the page asked for.
    #[tars(tag = 1, require)]
    pub key: NotifyKey<'a>,
    /// Out `stInfo` (tag 2): ignored in a request.
    #[tars(tag = 2)]
    pub info: NotifyInfo<'a>,
}

/// Result of `getNotifyInfo`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Notify.getNotifyInfo.result")]
pub struct GetNotifyInfoResult<'a> {
    /// Return value (tag 0): 0 on success.
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// Out `stInfo` (tag 2): the page (K8SFramework answers an empty one).
    #[tars(tag = 2, require)]
    pub info: NotifyInfo<'a>,
}

/// Arguments of `void reportNotifyInfo(ReportInfo info)` (current; sent one-way by TarsCpp);
/// the reply is an empty `sBuffer`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Notify.reportNotifyInfo")]
pub struct ReportNotifyInfoArgs<'a> {
    /// `info` (tag 1): the notification.
    #[tars(tag = 1, require)]
    pub info: ReportInfo<'a>,
}
