//! The log service's metrics, named `tars_log_<thing>`.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;

/// Counters of the log service. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    pub(crate) lines: Counter,
    pub(crate) bytes: Counter,
    pub(crate) lines_lost: Counter,
    pub(crate) lines_refused: Counter,
    pub(crate) write_errors: Counter,
    pub(crate) files_opened: Counter,
    pub(crate) lines_not_shipped: Counter,
}

impl Metrics {
    /// Counters registered in `registry` (prefixed `tars_log_`).
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("tars_log");
        r.register("lines", "Lines written to files", m.lines.clone());
        r.register("bytes", "Bytes written to files", m.bytes.clone());
        r.register(
            "lines_lost",
            "Lines not written because a file could not be opened or written (disk full)",
            m.lines_lost.clone(),
        );
        r.register(
            "lines_refused",
            "Lines refused: unsafe file names, oversized trace elements",
            m.lines_refused.clone(),
        );
        r.register(
            "write_errors",
            "Failed opens, writes and flushes",
            m.write_errors.clone(),
        );
        r.register("files_opened", "Log files opened", m.files_opened.clone());
        r.register(
            "lines_not_shipped",
            "Lines not shipped to the sink (it was closed)",
            m.lines_not_shipped.clone(),
        );
        m
    }

    /// Lines written so far.
    pub fn lines_written(&self) -> u64 {
        self.lines.get()
    }

    /// Lines lost to write failures so far.
    pub fn lines_lost(&self) -> u64 {
        self.lines_lost.get()
    }
}
