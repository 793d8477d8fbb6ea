//! `[stat]` / `[property]` in tarsplane's TOML file: the same keys, each service with its own
//! defaults.

use std::fmt;
use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use crate::{Aggregator, Documents, Metrics, MinuteClock, Window};

/// A windowed service's defaults.
pub trait Service: Send + Sync + 'static {
    /// Config section and metric prefix, e.g. `stat`.
    const NAME: &'static str;
    /// K8SFramework's index prefix, e.g. `tars_stat_`.
    const INDEX_PREFIX: &'static str;
}

/// The settings of a windowed service.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, default, bound = "")]
pub struct Config<S: Service> {
    /// Daily index prefix (K8SFramework `/tars/elk/indexpre<...>`).
    pub index_prefix: String,
    /// Index age at deletion (K8SFramework `/tars/elk/age<...>`, default `15d`).
    pub delete_after: String,
    /// Zone of `f_date`/`f_tflag`: an IANA name, `UTC`, or `local` (the system zone, as the
    /// C++ services).
    pub time_zone: String,
    /// This replica's identity: stat's `source_id` field, and part of every document id so
    /// that replicas never overwrite each other. Empty for the host name.
    pub source_id: String,
    /// Window shards (lock stripes); more than cores keeps contention negligible.
    pub shards: usize,
    /// Distinct report heads per minute; past it new heads are dropped and counted in
    /// `tars_<service>_dropped_total{reason="max_keys"}`.
    pub max_keys: usize,
    /// Which service's defaults these are (`PhantomData`; public so that configs can be
    /// written with `..Config::default()`).
    #[serde(skip)]
    pub service: PhantomData<S>,
}

impl<S: Service> Default for Config<S> {
    fn default() -> Self {
        Self {
            index_prefix: S::INDEX_PREFIX.into(),
            // K8SFramework's default age.
            delete_after: "15d".into(),
            time_zone: "local".into(),
            source_id: String::new(),
            shards: 64,
            // ~300 MB of window at the measured ~300 bytes per key (bench/RESULTS.md); a large
            // cluster has well under this many distinct heads per minute.
            max_keys: 1_000_000,
            service: PhantomData,
        }
    }
}

impl<S: Service> Clone for Config<S> {
    fn clone(&self) -> Self {
        Self {
            index_prefix: self.index_prefix.clone(),
            delete_after: self.delete_after.clone(),
            time_zone: self.time_zone.clone(),
            source_id: self.source_id.clone(),
            shards: self.shards,
            max_keys: self.max_keys,
            service: PhantomData,
        }
    }
}

impl<S: Service> PartialEq for Config<S> {
    fn eq(&self, other: &Self) -> bool {
        (
            &self.index_prefix,
            &self.delete_after,
            &self.time_zone,
            &self.source_id,
            self.shards,
            self.max_keys,
        ) == (
            &other.index_prefix,
            &other.delete_after,
            &other.time_zone,
            &other.source_id,
            other.shards,
            other.max_keys,
        )
    }
}

impl<S: Service> fmt::Debug for Config<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("service", &S::NAME)
            .field("index_prefix", &self.index_prefix)
            .field("delete_after", &self.delete_after)
            .field("time_zone", &self.time_zone)
            .field("source_id", &self.source_id)
            .field("shards", &self.shards)
            .field("max_keys", &self.max_keys)
            .finish()
    }
}

impl<S: Service> Config<S> {
    /// Checks every value.
    ///
    /// # Errors
    /// A message naming the key.
    pub fn validate(&self) -> Result<(), String> {
        let name = S::NAME;
        sink::validate_index_name(&format!("{}20240101", self.index_prefix))
            .map_err(|e| format!("{name}.index_prefix: {e}"))?;
        if self.shards == 0 || self.max_keys == 0 {
            return Err(format!("{name}.shards and {name}.max_keys must be > 0"));
        }
        MinuteClock::from_name(&self.time_zone).map_err(|e| format!("{name}.time_zone: {e}"))?;
        Ok(())
    }

    /// The replica identity: the configured one, else the host name.
    pub fn source_id(&self) -> String {
        if self.source_id.is_empty() {
            stamp::host_name()
        } else {
            self.source_id.clone()
        }
    }

    /// Builds the window, clock and flusher for `documents`.
    ///
    /// # Errors
    /// An invalid configuration (the message names the key).
    pub fn build<D: Documents>(
        &self,
        documents: D,
        sink: sink::Sink,
        metrics: Metrics,
    ) -> Result<Aggregator<D>, String> {
        self.validate()?;
        let clock = MinuteClock::from_name(&self.time_zone)
            .map_err(|e| format!("{}.time_zone: {e}", S::NAME))?;
        let window = Window::new(self.shards, self.max_keys);
        Ok(Aggregator::new(window, documents, clock, sink, metrics))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Stat;
    impl Service for Stat {
        const NAME: &'static str = "stat";
        const INDEX_PREFIX: &'static str = "tars_stat_";
    }

    #[test]
    fn defaults_are_the_services_and_validate() {
        let c = Config::<Stat>::default();
        assert_eq!(c.index_prefix, "tars_stat_");
        c.validate().expect("valid default");
    }

    #[test]
    fn bad_values_name_their_key() {
        let c = Config::<Stat> {
            time_zone: "Nowhere/Atlantis".into(),
            ..Config::default()
        };
        assert!(
            c.validate()
                .expect_err("bad zone")
                .starts_with("stat.time_zone")
        );
        let c = Config::<Stat> {
            index_prefix: "Bad Prefix".into(),
            ..Config::default()
        };
        assert!(
            c.validate()
                .expect_err("bad prefix")
                .starts_with("stat.index_prefix")
        );
    }
}
