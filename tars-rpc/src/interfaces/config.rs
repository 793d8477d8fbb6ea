//! `ConfigF.tars` (module `tars`, interface `Config`, served as `tars.tarsconfig.ConfigObj`):
//! configuration files for TARS servers. See `shared/spec/framework-next.md` §1.1 for the IDL
//! and each client's calls. Every method returns an `int` (0 or -1).

use tars_codec::TarsStruct;

/// Function name of `ListConfig`.
pub const LIST_CONFIG: &str = "ListConfig";
/// Function name of `loadConfig`.
pub const LOAD_CONFIG: &str = "loadConfig";
/// Function name of `loadConfigByHost`.
pub const LOAD_CONFIG_BY_HOST: &str = "loadConfigByHost";
/// Function name of `checkConfig`.
pub const CHECK_CONFIG: &str = "checkConfig";
/// Function name of `ListConfigByInfo`.
pub const LIST_CONFIG_BY_INFO: &str = "ListConfigByInfo";
/// Function name of `loadConfigByInfo`.
pub const LOAD_CONFIG_BY_INFO: &str = "loadConfigByInfo";
/// Function name of `checkConfigByInfo`.
pub const CHECK_CONFIG_BY_INFO: &str = "checkConfigByInfo";
/// Function name of `ListAllConfigByInfo`.
pub const LIST_ALL_CONFIG_BY_INFO: &str = "ListAllConfigByInfo";

/// `tars.ConfigInfo`: which file, for whom.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.ConfigInfo")]
pub struct ConfigInfo<'a> {
    /// `appname`.
    #[tars(tag = 0, require)]
    pub appname: &'a [u8],
    /// `servername` (ignored when `bAppOnly`).
    #[tars(tag = 1, require)]
    pub servername: &'a [u8],
    /// `filename`.
    #[tars(tag = 2, require)]
    pub filename: &'a [u8],
    /// `bAppOnly`: the application-level file.
    #[tars(tag = 3, require)]
    pub app_only: bool,
    /// `host`: the caller (pod name or IP), empty when not sent.
    #[tars(tag = 4)]
    pub host: &'a [u8],
    /// `setdivision` (ignored, as in K8SFramework).
    #[tars(tag = 5)]
    pub setdivision: &'a [u8],
}

/// `tars.GetConfigListInfo`: whose file list.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.GetConfigListInfo")]
pub struct GetConfigListInfo<'a> {
    /// `appname`.
    #[tars(tag = 0, require)]
    pub appname: &'a [u8],
    /// `servername`.
    #[tars(tag = 1)]
    pub servername: &'a [u8],
    /// `bAppOnly`.
    #[tars(tag = 2)]
    pub app_only: bool,
    /// `host` (ignored).
    #[tars(tag = 3)]
    pub host: &'a [u8],
    /// `setdivision` (ignored).
    #[tars(tag = 4)]
    pub setdivision: &'a [u8],
    /// `containername` (ignored).
    #[tars(tag = 5)]
    pub containername: &'a [u8],
}

/// Arguments of `int ListConfig(string app, string server, out vector<string> vf)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Config.ListConfig")]
pub struct ListConfigArgs<'a> {
    /// `app` (tag 1).
    #[tars(tag = 1, require)]
    pub app: &'a [u8],
    /// `server` (tag 2).
    #[tars(tag = 2, require)]
    pub server: &'a [u8],
}

/// Result of `ListConfig`: `vf` at tag 3.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Config.ListConfig.result")]
pub struct ListConfigResult<'a> {
    /// Return value (tag 0).
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `vf` (tag 3): the file names.
    #[tars(tag = 3, require)]
    pub vf: Vec<&'a [u8]>,
}

/// Arguments of `int loadConfig(string app, string server, string filename, out string config)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Config.loadConfig")]
pub struct LoadConfigArgs<'a> {
    /// `app` (tag 1).
    #[tars(tag = 1, require)]
    pub app: &'a [u8],
    /// `server` (tag 2).
    #[tars(tag = 2, require)]
    pub server: &'a [u8],
    /// `filename` (tag 3).
    #[tars(tag = 3, require)]
    pub filename: &'a [u8],
}

/// Arguments of `int loadConfigByHost(string appServerName, string filename, string host,
/// out string config)`, and of `checkConfig` (same tags).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Config.loadConfigByHost")]
pub struct LoadConfigByHostArgs<'a> {
    /// `appServerName` (tag 1): `App` or `App.Server`.
    #[tars(tag = 1, require)]
    pub app_server_name: &'a [u8],
    /// `filename` (tag 2).
    #[tars(tag = 2, require)]
    pub filename: &'a [u8],
    /// `host` (tag 3).
    #[tars(tag = 3, require)]
    pub host: &'a [u8],
}

/// Result of `loadConfig`, `loadConfigByHost` and `checkConfig`: the text at tag 4.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Config.text4.result")]
pub struct Text4Result<'a> {
    /// Return value (tag 0).
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `config` / `result` (tag 4).
    #[tars(tag = 4, require)]
    pub text: &'a [u8],
}

/// Arguments of `ListConfigByInfo`, `loadConfigByInfo` and `checkConfigByInfo`
/// (`ConfigInfo configInfo` at tag 1).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Config.byInfo")]
pub struct ByInfoArgs<'a> {
    /// `configInfo` (tag 1).
    #[tars(tag = 1, require)]
    pub info: ConfigInfo<'a>,
}

/// Arguments of `ListAllConfigByInfo` (`GetConfigListInfo configInfo` at tag 1).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Config.ListAllConfigByInfo")]
pub struct ListAllConfigByInfoArgs<'a> {
    /// `configInfo` (tag 1).
    #[tars(tag = 1, require)]
    pub info: GetConfigListInfo<'a>,
}

/// Result of `ListConfigByInfo` and `ListAllConfigByInfo`: `vf` at tag 2.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Config.list2.result")]
pub struct List2Result<'a> {
    /// Return value (tag 0).
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `vf` (tag 2).
    #[tars(tag = 2, require)]
    pub vf: Vec<&'a [u8]>,
}

/// Result of `loadConfigByInfo` and `checkConfigByInfo`: the text at tag 2.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Config.text2.result")]
pub struct Text2Result<'a> {
    /// Return value (tag 0).
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `config` / `result` (tag 2).
    #[tars(tag = 2, require)]
    pub text: &'a [u8],
}
