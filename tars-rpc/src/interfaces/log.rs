//! `LogF.tars` (module `tars`, interface `Log`, served as `tars.tarslog.LogObj`): remote logs.
//! Both methods are `void`, so they answer with an empty `sBuffer` and have no result struct. See
//! `shared/spec/framework-facts.md` §1.6 and, for the parameter tags,
//! `shared/spec/tars-wire.md` §2.7.

use tars_codec::TarsStruct;

/// Function name of `logger`.
pub const LOGGER: &str = "logger";
/// Function name of `loggerbyInfo`.
pub const LOGGER_BY_INFO: &str = "loggerbyInfo";

/// `tars.LogInfo`: where and how `loggerbyInfo` writes.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.LogInfo")]
pub struct LogInfo<'a> {
    /// `appname`: the application.
    #[tars(tag = 0, require)]
    pub appname: &'a [u8],
    /// `servername`: the server.
    #[tars(tag = 1, require)]
    pub servername: &'a [u8],
    /// `sFilename`: the log file's base name.
    #[tars(tag = 2, require)]
    pub filename: &'a [u8],
    /// `sFormat`: the time format of the file name, e.g. `%Y%m%d`.
    #[tars(tag = 3, require)]
    pub format: &'a [u8],
    /// `setdivision`: the set (`name.area.group`), empty when none.
    #[tars(tag = 4)]
    pub setdivision: &'a [u8],
    /// `bHasSufix`: whether to append `.log` (default true).
    #[tars(tag = 5, default = true)]
    pub has_sufix: bool,
    /// `bHasAppNamePrefix`: whether to prefix the file name with the app name (default true).
    #[tars(tag = 6, default = true)]
    pub has_app_name_prefix: bool,
    /// `bHasSquareBracket`: whether to wrap the date in square brackets (default false).
    #[tars(tag = 7, default = false)]
    pub has_square_bracket: bool,
    /// `sConcatStr`: the separator between file-name parts (default `_`).
    #[tars(tag = 8, default = "_")]
    pub concat_str: &'a [u8],
    /// `sSepar`: the separator between fields of a line (default `|`).
    #[tars(tag = 9, default = "|")]
    pub separ: &'a [u8],
    /// `sLogType`: the rotation, e.g. `day`, `2hour`, `10minute` (default empty).
    #[tars(tag = 10, default = "")]
    pub log_type: &'a [u8],
}

/// Arguments of `void logger(string app, string server, string file, string format,
/// vector<string> buffer)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Log.logger")]
pub struct LoggerArgs<'a> {
    /// `app` (tag 1): the application.
    #[tars(tag = 1, require)]
    pub app: &'a [u8],
    /// `server` (tag 2): the server.
    #[tars(tag = 2, require)]
    pub server: &'a [u8],
    /// `file` (tag 3): the log file's base name.
    #[tars(tag = 3, require)]
    pub file: &'a [u8],
    /// `format` (tag 4): the time format of the file name.
    #[tars(tag = 4, require)]
    pub format: &'a [u8],
    /// `buffer` (tag 5): the lines to write.
    #[tars(tag = 5, require)]
    pub buffer: Vec<&'a [u8]>,
}

/// Arguments of `void loggerbyInfo(LogInfo info, vector<string> buffer)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Log.loggerbyInfo")]
pub struct LoggerByInfoArgs<'a> {
    /// `info` (tag 1): where and how to write.
    #[tars(tag = 1, require)]
    pub info: LogInfo<'a>,
    /// `buffer` (tag 2): the lines to write.
    #[tars(tag = 2, require)]
    pub buffer: Vec<&'a [u8]>,
}
