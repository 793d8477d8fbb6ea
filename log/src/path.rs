//! Where a log line goes (framework facts §5.5): K8SFramework's directory layout, file names,
//! and roll types, computed as pure functions of the request and the time.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use tars_rpc::interfaces::log::LogInfo;

/// The trace file name marker.
pub const TRACE_FILE: &[u8] = b"_t_trace_";
/// Trace elements longer than this are dropped, as in the reference.
pub const MAX_TRACE_ELEMENT: usize = 1_000_000;

/// When a new file starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roll {
    /// A new file whenever `strftime(format)` of the local time changes.
    Format(String),
    /// Every `n` days / hours / minutes counted from the Unix epoch (so day cuts fall on UTC
    /// midnight), the cut named in local time with the unit's format.
    Every {
        /// How many units per file.
        n: u32,
        /// Seconds per unit: 86,400, 3,600 or 60.
        unit_secs: i64,
    },
}

impl Roll {
    /// Parses a roll type: `[N]day`, `[N]hour`, `[N]minute` (N defaults to 10 for minute,
    /// 1 otherwise). `None` for anything else.
    pub fn parse_type(text: &str) -> Option<Self> {
        let text = text.trim();
        let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
        let (unit_secs, default_n) = match unit {
            "day" => (86_400, 1),
            "hour" => (3_600, 1),
            "minute" => (60, 10),
            _ => return None,
        };
        let n = if digits.is_empty() {
            default_n
        } else {
            digits.parse().ok().filter(|&n| n > 0)?
        };
        Some(Self::Every { n, unit_secs })
    }

    /// The time text of the file `at` falls in.
    pub fn stamp(&self, at: Timestamp, tz: &TimeZone) -> String {
        let (format, at) = match self {
            Self::Format(format) => (format.as_str(), at),
            Self::Every { n, unit_secs } => {
                let step = i64::from(*n) * unit_secs;
                let cut = at.as_second().div_euclid(step) * step;
                let format = match unit_secs {
                    86_400 => "%Y%m%d",
                    3_600 => "%Y%m%d%H",
                    _ => "%Y%m%d%H%M",
                };
                (format, Timestamp::from_second(cut).unwrap_or(at))
            }
        };
        let zoned = at.to_zoned_datetime(tz.clone());
        // The format comes from the client: an invalid one falls back to the day.
        jiff::fmt::strtime::format(format, &zoned)
            .or_else(|_| jiff::fmt::strtime::format("%Y%m%d", &zoned))
            .unwrap_or_default()
    }
}

/// A logger: everything but the time in a file's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Directory, under the log root.
    pub dir: PathBuf,
    /// File name before the time text, including the concatenation string.
    pub prefix: String,
    /// After the time text: `.log` or nothing.
    pub suffix: &'static str,
    /// When files roll.
    pub roll: Roll,
}

impl Target {
    /// The file a line written at `at` goes to.
    pub fn file(&self, root: &Path, at: Timestamp, tz: &TimeZone) -> PathBuf {
        let name = format!("{}{}{}", self.prefix, self.roll.stamp(at, tz), self.suffix);
        root.join(&self.dir).join(name)
    }
}

/// Why a request names no acceptable file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsafeName(pub String);

/// Checks a client-supplied path component: no `/`, `\`, NUL, and not `.` or `..`. The
/// reference joins them unchecked, so `../../etc` would escape the log directory.
fn component(name: &[u8], what: &str) -> Result<String, UnsafeName> {
    let text = String::from_utf8_lossy(name);
    if text.contains(['/', '\\', '\0']) || text == "." || text == ".." {
        return Err(UnsafeName(format!(
            "{what} {text:?} is not a plain file name"
        )));
    }
    Ok(text.into_owned())
}

/// The server-side settings that change where lines go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// `app.server` names whose logs roll hourly (`/tars/log/format<hour>`).
    pub hourly: Vec<String>,
    /// `app.server.file` → roll type (`/tars/log/logtype`).
    pub log_types: Vec<(String, String)>,
}

impl Layout {
    fn is_hourly(&self, app: &str, server: &str) -> bool {
        let name = format!("{app}.{server}");
        self.hourly.contains(&name)
    }

    fn log_type(&self, app: &str, server: &str, file: &str) -> Option<&str> {
        let name = format!("{app}.{server}.{file}");
        self.log_types
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.as_str())
    }

    /// `logger(app, server, file, format)`: `<app>/<server>/<app.server[_file]>_<time>.log`.
    ///
    /// # Errors
    /// A name that is not a plain file name.
    pub fn logger(
        &self,
        app: &[u8],
        server: &[u8],
        file: &[u8],
        format: &[u8],
    ) -> Result<Target, UnsafeName> {
        let (app, server) = (component(app, "app")?, component(server, "server")?);
        let file = component(file, "file")?;
        let base = if file.is_empty() {
            format!("{app}.{server}")
        } else {
            format!("{app}.{server}_{file}")
        };
        let format = if self.is_hourly(&app, &server) {
            "%Y%m%d%H".to_owned()
        } else {
            String::from_utf8_lossy(format).into_owned()
        };
        Ok(Target {
            dir: Path::new(&app).join(&server),
            prefix: format!("{base}_"),
            suffix: ".log",
            roll: Roll::Format(format),
        })
    }

    /// `loggerbyInfo(info)`: `<app>/<setGood>/<server>/<realName><concat><time>[.log]`, the
    /// roll type from the server's `logtype` list, else `info.sLogType`, else the format.
    ///
    /// # Errors
    /// A name that is not a plain file name.
    pub fn by_info(&self, info: &LogInfo<'_>) -> Result<Target, UnsafeName> {
        let app = component(info.appname, "appname")?;
        let server = component(info.servername, "servername")?;
        let file = component(info.filename, "sFilename")?;
        let concat = component(info.concat_str, "sConcatStr")?;
        let set_good = set_good(info.setdivision);
        let set_good = component(set_good.as_bytes(), "setdivision")?;
        let real_name = if file.is_empty() {
            format!("{app}.{server}")
        } else if info.has_app_name_prefix {
            format!("{app}.{server}{concat}{file}")
        } else {
            file.clone()
        };
        let roll = match self.log_type(&app, &server, &file) {
            Some(t) => Roll::parse_type(t),
            None => Roll::parse_type(&String::from_utf8_lossy(info.log_type)),
        }
        .unwrap_or_else(|| {
            if self.is_hourly(&app, &server) {
                Roll::Format("%Y%m%d%H".into())
            } else {
                Roll::Format(String::from_utf8_lossy(info.format).into_owned())
            }
        });
        Ok(Target {
            // An empty set gives the reference's `app//server`, the same directory.
            dir: Path::new(&app).join(&set_good).join(&server),
            prefix: format!("{real_name}{concat}"),
            suffix: if info.has_sufix { ".log" } else { "" },
            roll,
        })
    }
}

/// The three `.`-separated parts of a set division concatenated (a `*` third part dropped), or
/// empty unless there are exactly three.
pub fn set_good(setdivision: &[u8]) -> String {
    let text = String::from_utf8_lossy(setdivision);
    let parts: Vec<&str> = text.split('.').collect();
    match parts.as_slice() {
        [name, area, group] => {
            let group = if *group == "*" { "" } else { group };
            format!("{name}{area}{group}")
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests;
