//! AdminReg's metrics, named `tars_adminreg_<thing>`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// How an AdminReg call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The node or tarsweb answered, with success.
    Ok,
    /// The node or tarsweb answered, refusing (a non-zero return, HTTP or `ret_code` error).
    Refused,
    /// The node or tarsweb did not answer in time.
    Timeout,
    /// The node or tarsweb could not be reached (name, connection).
    Unreachable,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Refused => "refused",
            Self::Timeout => "timeout",
            Self::Unreachable => "unreachable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CallLabels {
    method: &'static str,
    result: &'static str,
}

/// Metrics of the AdminReg service. Clones share the values.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    calls: Family<CallLabels, Counter>,
}

impl Metrics {
    /// Metrics registered in `registry` under `tars_adminreg`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        registry.sub_registry_with_prefix("tars_adminreg").register(
            "calls",
            "AdminReg calls by method and result (ok, refused, timeout, unreachable)",
            m.calls.clone(),
        );
        m
    }

    /// Counts one call of `method` ending in `outcome`.
    pub fn call(&self, method: &'static str, outcome: Outcome) {
        self.calls
            .get_or_create(&CallLabels {
                method,
                result: outcome.label(),
            })
            .inc();
    }

    /// Calls of `method` that ended in `outcome` so far (tests).
    pub fn calls(&self, method: &'static str, outcome: Outcome) -> u64 {
        self.calls
            .get_or_create(&CallLabels {
                method,
                result: outcome.label(),
            })
            .get()
    }
}
