//! `[trace]` in tarsplane's TOML file.

use serde::{Deserialize, Serialize};

/// The trace pipeline's settings. Times are milliseconds of the `now_ms` the caller passes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Whether the log service feeds its trace lines (`_t_trace_`) to the pipeline and serves
    /// `tars.tarslog.TopologyObj`. The trace file is written either way.
    pub enabled: bool,
    /// How often open traces are checked for closing (K8SFramework: every 3 s).
    pub poll_ms: u64,
    /// How often changed graphs are written (K8SFramework: a new graph after 1 s, then every
    /// 300 s). Each write replaces the graph's document (same id), counts summed so far today.
    pub graph_write_ms: u64,
    /// Batches of trace lines queued from the log service to the pipeline; when full, log
    /// calls carrying trace lines wait (nothing is dropped).
    pub max_queued_batches: usize,
    /// A trace closes this long after its **last** line (K8SFramework closed it
    /// `OvertimeWhenClosure` = 3 s after its first line, checked every 3 s: about 6 s).
    pub quiet_ms: u64,
    /// Instead of `quiet_ms`, when the root call has ended (`teTime` set) but some span lacks
    /// one of its cs, sr, ss, cr times: the other halves may still be on their way
    /// (K8SFramework `Overtime`, 100 s).
    pub incomplete_wait_ms: u64,
    /// A trace closes at the latest this long after its **first** line, however busy.
    pub max_open_ms: u64,
    /// Open traces; past it the least recently updated one is closed early (counted in
    /// `tars_trace_bound_hits_total{bound="open_traces"}`).
    pub max_open_traces: usize,
    /// Approximate bytes of open traces (strings copied plus a per-span and per-trace
    /// overhead); past it the least recently updated traces are closed early.
    pub max_open_bytes: usize,
    /// Longer lines (without their newline) are refused (`reason="too_long"`); K8SFramework
    /// truncated lines at 100 KiB, corrupting their last fields.
    pub max_line_bytes: usize,
    /// Distinct graph shapes kept per day; new shapes past it are not written
    /// (`bound="graphs_per_day"`).
    pub max_graphs_per_day: usize,
    /// Trace ids remembered after their trace closed (some 60 bytes each), so that lines
    /// arriving later join the stored trace instead of replacing its document; past it the
    /// oldest are forgotten. 0: not remembered (K8SFramework's behaviour).
    pub max_closed_remembered: usize,
    /// Approximate bytes of closed traces kept in memory with their ids, so that late lines
    /// join them without reading the store (and even while it is unreachable or its last
    /// write is not yet searchable); past it the oldest are let go (their ids are kept, and
    /// a late line then reads the stored document). 0: none kept.
    pub max_closed_bytes: usize,
    /// Age at which `tars_call_*` indices are deleted (ILM/ISM; K8SFramework never deleted).
    pub delete_after: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            enabled: true,
            poll_ms: 1_000,
            graph_write_ms: 10_000,
            max_queued_batches: 1_024,
            // Counted from the last line, 5 s closes a short trace about when the reference
            // did (6 s after its first line) and rides out a client's ~1 s log batching.
            quiet_ms: 5_000,
            // K8SFramework's `Overtime` default (its allowed range is 100 to 600 s).
            incomplete_wait_ms: 100_000,
            // Three incomplete waits: a trace still growing after 5 minutes is written as it
            // is, and its later lines become a new document under the same id.
            max_open_ms: 300_000,
            // 20,000 traces per second at the 5 s quiet time.
            max_open_traces: 100_000,
            // 256 MiB: some 2.5 KiB per open trace at `max_open_traces`.
            max_open_bytes: 256 << 20,
            // K8SFramework's MAX_LINE_SIZE (100 KiB); tarslog itself drops elements over 1 MB.
            max_line_bytes: 100 << 10,
            // A graph is a few hundred bytes to a few KiB: at most some 100 MiB per day.
            max_graphs_per_day: 50_000,
            // About 6 MiB; 20 s of traces at 5,000 traces per second, hours at low rates.
            max_closed_remembered: 100_000,
            // Some 30,000 closed traces of 2 KiB.
            max_closed_bytes: 64 << 20,
            // Call chains are read for recent traffic; one log document per line makes
            // `tars_call_log_*` the largest of the three.
            delete_after: "7d".into(),
        }
    }
}

impl Config {
    /// Checks every value.
    ///
    /// # Errors
    /// A message naming the key.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("trace.poll_ms", self.poll_ms),
            ("trace.graph_write_ms", self.graph_write_ms),
            ("trace.max_queued_batches", self.max_queued_batches as u64),
            ("trace.quiet_ms", self.quiet_ms),
            ("trace.max_open_traces", self.max_open_traces as u64),
            ("trace.max_open_bytes", self.max_open_bytes as u64),
            ("trace.max_line_bytes", self.max_line_bytes as u64),
            ("trace.max_graphs_per_day", self.max_graphs_per_day as u64),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(format!("{key} must be greater than 0"));
            }
        }
        // Times are compared as i64 milliseconds.
        if self.max_open_ms > i64::MAX as u64 {
            return Err("trace.max_open_ms is too large".into());
        }
        if self.incomplete_wait_ms < self.quiet_ms {
            return Err(format!(
                "trace.incomplete_wait_ms ({}) must be at least trace.quiet_ms ({})",
                self.incomplete_wait_ms, self.quiet_ms
            ));
        }
        if self.max_open_ms < self.incomplete_wait_ms {
            return Err(format!(
                "trace.max_open_ms ({}) must be at least trace.incomplete_wait_ms ({})",
                self.max_open_ms, self.incomplete_wait_ms
            ));
        }
        sink::validate_age(&self.delete_after)
            .map_err(|reason| format!("trace.delete_after: {reason}"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid_and_round_trips() {
        let config = Config::default();
        config.validate().expect("valid");
        let text = serde_json::to_string(&config).expect("serialize");
        let back: Config = serde_json::from_str(&text).expect("deserialize");
        assert_eq!(back, config);
        let empty: Config = serde_json::from_str("{}").expect("every key has a default");
        assert_eq!(empty, config);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = serde_json::from_str::<Config>(r#"{"quiet_secs": 3}"#).expect_err("unknown");
        assert!(err.to_string().contains("quiet_secs"), "{err}");
    }

    #[test]
    fn each_rejection_names_its_key() {
        type Change = fn(&mut Config);
        let cases: [(Change, &str); 12] = [
            (|c| c.poll_ms = 0, "trace.poll_ms"),
            (|c| c.graph_write_ms = 0, "trace.graph_write_ms"),
            (|c| c.max_queued_batches = 0, "trace.max_queued_batches"),
            (|c| c.quiet_ms = 0, "trace.quiet_ms"),
            (|c| c.max_open_traces = 0, "trace.max_open_traces"),
            (|c| c.max_open_bytes = 0, "trace.max_open_bytes"),
            (|c| c.max_line_bytes = 0, "trace.max_line_bytes"),
            (|c| c.max_graphs_per_day = 0, "trace.max_graphs_per_day"),
            (|c| c.incomplete_wait_ms = 1_000, "trace.incomplete_wait_ms"),
            (|c| c.max_open_ms = 50_000, "trace.max_open_ms"),
            (|c| c.max_open_ms = u64::MAX, "trace.max_open_ms"),
            (|c| c.delete_after = "7 days".into(), "trace.delete_after"),
        ];
        for (change, key) in cases {
            let mut config = Config::default();
            change(&mut config);
            let err = config.validate().expect_err(key);
            assert!(err.starts_with(key), "{key}: {err}");
        }
    }
}
