//! The server's metrics, named `tars_rpc_<thing>_total`. Counters only (in and out pairs rather
//! than gauges); labels are bounded (return codes, rejection reasons).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// Why a frame or connection was refused.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct Reason {
    pub(crate) reason: &'static str,
}

/// A reply's framework return code.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct Ret {
    pub(crate) ret: i32,
}

/// Counters of one or more servers. Clones share the counters.
#[derive(Debug, Clone)]
pub struct Metrics {
    pub(crate) connections_opened: Counter,
    pub(crate) connections_closed: Counter,
    pub(crate) refused: Family<Reason, Counter>,
    pub(crate) requests: Counter,
    pub(crate) replies: Family<Ret, Counter>,
    /// `replies{ret="0"}`, kept at hand: the family's lookup takes a lock.
    replies_ok: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let replies = Family::<Ret, Counter>::default();
        let replies_ok = replies.get_or_create(&Ret { ret: 0 }).clone();
        Self {
            connections_opened: Counter::default(),
            connections_closed: Counter::default(),
            refused: Family::default(),
            requests: Counter::default(),
            replies,
            replies_ok,
        }
    }
}

impl Metrics {
    /// Counters registered in `registry` (prefixed `tars_rpc_`).
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("tars_rpc");
        r.register(
            "connections_opened",
            "Connections accepted",
            m.connections_opened.clone(),
        );
        r.register(
            "connections_closed",
            "Connections closed, for any reason",
            m.connections_closed.clone(),
        );
        r.register(
            "refused",
            "Connections or requests refused by a limit or as malformed, by reason",
            m.refused.clone(),
        );
        r.register("requests", "Requests decoded", m.requests.clone());
        r.register(
            "replies",
            "Replies sent, by framework return code (one-way calls get none)",
            m.replies.clone(),
        );
        m
    }

    pub(crate) fn refuse(&self, reason: &'static str) {
        self.refused.get_or_create(&Reason { reason }).inc();
    }

    pub(crate) fn reply(&self, ret: i32, n: u64) {
        if n == 0 {
        } else if ret == 0 {
            self.replies_ok.inc_by(n);
        } else {
            self.replies.get_or_create(&Ret { ret }).inc_by(n);
        }
    }
}
