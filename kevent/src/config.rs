//! `[kevent]` in tarsplane's TOML file.

use serde::{Deserialize, Serialize};

/// The `default` namespace, where cluster-level events (Node events) are recorded.
pub const DEFAULT_NAMESPACE: &str = "default";

/// The kevent service's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The data stream (K8SFramework `/tars/elk/index<kevent>`); empty for `<namespace>_kevent_`,
    /// the value K8SFramework's `tars.es` gives it.
    pub index: String,
    /// Age at deletion, in Elasticsearch's units (K8SFramework `/tars/elk/age<kevent>`).
    pub delete_after: String,
    /// Whether events of the `default` namespace without `involvedObject.namespace` (Node
    /// events and other cluster-level ones) are written too, when the service's namespace is
    /// not `default` (K8SFramework does).
    pub cluster_events: bool,
    /// A batch goes to the sink when it holds this many documents...
    pub batch_max_docs: usize,
    /// ...or when its first document has waited this long, milliseconds.
    pub batch_max_delay_ms: u64,
    /// Document ids remembered as written, so that a relist writes only what is new; past it
    /// the oldest are forgotten (a relist then offers them again and the store, which takes
    /// documents with `create`, keeps the first).
    pub max_remembered: usize,
    /// While a watch is failing, how often the API server is probed, milliseconds.
    pub probe_interval_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            index: String::new(),
            // K8SFramework's default age of the kevent stream.
            delete_after: "3d".into(),
            cluster_events: true,
            // The batch size notify and K8SFramework's writers use.
            batch_max_docs: 500,
            batch_max_delay_ms: 1000,
            // About 10 MB; a busy cluster keeps some thousands of events (one-hour TTL).
            max_remembered: 100_000,
            // As the registry's and config's watches.
            probe_interval_ms: 2000,
        }
    }
}

impl Config {
    /// Checks every value (the index only when set; see [`Config::index_name`]).
    ///
    /// # Errors
    /// A message naming the key.
    pub fn validate(&self) -> Result<(), String> {
        if !self.index.is_empty() {
            sink::validate_index_name(&self.index).map_err(|e| format!("kevent.index: {e}"))?;
        }
        sink::validate_age(&self.delete_after)
            .map_err(|reason| format!("kevent.delete_after: {reason}"))?;
        let positive = [
            ("kevent.batch_max_docs", self.batch_max_docs as u64),
            ("kevent.batch_max_delay_ms", self.batch_max_delay_ms),
            ("kevent.max_remembered", self.max_remembered as u64),
            ("kevent.probe_interval_ms", self.probe_interval_ms),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(format!("{key} must be greater than 0"));
            }
        }
        Ok(())
    }

    /// The data stream of the service watching `namespace`: `index`, or `<namespace>_kevent_`
    /// when it is empty.
    pub fn index_name(&self, namespace: &str) -> String {
        if self.index.is_empty() {
            format!("{namespace}_kevent_")
        } else {
            self.index.clone()
        }
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
    fn the_index_defaults_to_the_namespace_stream() {
        let config = Config::default();
        assert_eq!(config.index_name("tars"), "tars_kevent_");
        let named = Config {
            index: "events".into(),
            ..Config::default()
        };
        assert_eq!(named.index_name("tars"), "events");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let error = serde_json::from_str::<Config>(r#"{"indexx": "a"}"#).expect_err("unknown");
        assert!(error.to_string().contains("indexx"), "{error}");
    }

    #[test]
    fn each_bad_value_names_its_key() {
        let cases = [
            (
                Config {
                    index: "Bad Index".into(),
                    ..Config::default()
                },
                "kevent.index",
            ),
            (
                Config {
                    delete_after: "3 days".into(),
                    ..Config::default()
                },
                "kevent.delete_after",
            ),
            (
                Config {
                    delete_after: "d".into(),
                    ..Config::default()
                },
                "kevent.delete_after",
            ),
            (
                Config {
                    batch_max_docs: 0,
                    ..Config::default()
                },
                "kevent.batch_max_docs",
            ),
            (
                Config {
                    batch_max_delay_ms: 0,
                    ..Config::default()
                },
                "kevent.batch_max_delay_ms",
            ),
            (
                Config {
                    max_remembered: 0,
                    ..Config::default()
                },
                "kevent.max_remembered",
            ),
            (
                Config {
                    probe_interval_ms: 0,
                    ..Config::default()
                },
                "kevent.probe_interval_ms",
            ),
        ];
        for (config, key) in cases {
            let error = config.validate().expect_err(key);
            assert!(error.starts_with(key), "{key}: {error}");
        }
        for age in ["15d", "12h", "30m", "1s", "500ms"] {
            let config = Config {
                delete_after: age.into(),
                ..Config::default()
            };
            config.validate().expect(age);
        }
    }
}
