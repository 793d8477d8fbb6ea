//! `PropertyF.tars` (module `tars`, interface `PropertyF`, served as
//! `tars.tarsproperty.PropertyObj`): business properties. See `shared/spec/framework-facts.md`
//! §1.5 and, for the parameter tags, `shared/spec/tars-wire.md` §2.7.

use tars_codec::{TarsMap, TarsStruct};

use super::IntResult;

/// Function name of `reportPropMsg`.
pub const REPORT_PROP_MSG: &str = "reportPropMsg";

/// `tars.StatPropMsgHead`: which property a body reports.
///
/// The key is `moduleName`, `ip`, `propertyName`, `setName`, `setArea` and `setID`:
/// `sContainer` and `iPropertyVer` are left out, so two heads differing only there are equal
/// map keys.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(
    name = "tars.StatPropMsgHead",
    key(module_name, ip, property_name, set_name, set_area, set_id)
)]
pub struct StatPropMsgHead<'a> {
    /// `moduleName`: the reporting module (`app.server`).
    #[tars(tag = 0, require)]
    pub module_name: &'a [u8],
    /// `ip`: the reporter's IP (empty from current TarsCpp clients).
    #[tars(tag = 1, require)]
    pub ip: &'a [u8],
    /// `propertyName`: the property.
    #[tars(tag = 2, require)]
    pub property_name: &'a [u8],
    /// `setName`: the reporter's set name.
    #[tars(tag = 3)]
    pub set_name: &'a [u8],
    /// `setArea`: the reporter's set area.
    #[tars(tag = 4)]
    pub set_area: &'a [u8],
    /// `setID`: the reporter's set group.
    #[tars(tag = 5)]
    pub set_id: &'a [u8],
    /// `sContainer`: the reporter's container.
    #[tars(tag = 6)]
    pub container: &'a [u8],
    /// `iPropertyVer`: the report format version (default 1; current TarsCpp sends 2).
    #[tars(tag = 7, default = 1)]
    pub property_ver: i32,
}

/// `tars.StatPropInfo`: one policy's value.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.StatPropInfo")]
pub struct StatPropInfo<'a> {
    /// `policy`: `Sum`, `Avg`, `Distr`, `Count`, `Max` or `Min`.
    #[tars(tag = 0, require)]
    pub policy: &'a [u8],
    /// `value`: the value as text (`Avg` may be `sum=count`).
    #[tars(tag = 1, require)]
    pub value: &'a [u8],
}

/// `tars.StatPropMsgBody`: the values of one property head.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.StatPropMsgBody")]
pub struct StatPropMsgBody<'a> {
    /// `vInfo`: one entry per policy.
    #[tars(tag = 0, require)]
    pub info: Vec<StatPropInfo<'a>>,
}

/// Arguments of `int reportPropMsg(map<StatPropMsgHead, StatPropMsgBody> statmsg)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.PropertyF.reportPropMsg")]
pub struct ReportPropMsgArgs<'a> {
    /// `statmsg` (tag 1): head to values.
    #[tars(tag = 1, require)]
    pub statmsg: TarsMap<StatPropMsgHead<'a>, StatPropMsgBody<'a>>,
}

/// Result of `reportPropMsg`: the `int` return value.
pub type ReportPropMsgResult = IntResult;
