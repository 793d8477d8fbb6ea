//! The configuration file: one TOML document with a section per service, every key optional
//! with a documented default (`tarsplane config default` prints them all), unknown keys refused
//! with the list of valid ones, and secrets from the environment.

use std::net::IpAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::up::Options;

/// Elasticsearch password, overriding `sink.elasticsearch.password`.
pub const ENV_ES_PASSWORD: &str = "TARSPLANE_ES_PASSWORD";
/// Elasticsearch API key, overriding `sink.elasticsearch.api_key`.
pub const ENV_ES_API_KEY: &str = "TARSPLANE_ES_API_KEY";
/// A file holding the Elasticsearch password (a mounted Kubernetes Secret); the trailing
/// newline is dropped. `TARSPLANE_ES_PASSWORD` wins when both are set.
pub const ENV_ES_PASSWORD_FILE: &str = "TARSPLANE_ES_PASSWORD_FILE";
/// A file holding the Elasticsearch API key.
pub const ENV_ES_API_KEY_FILE: &str = "TARSPLANE_ES_API_KEY_FILE";
/// Prefix of variables that override single keys: `TARSPLANE__SINK__ELASTICSEARCH__NODES=
/// '["http://es:9200"]'` sets `sink.elasticsearch.nodes`. The value is read as a TOML value
/// (number, boolean, array, quoted string), or taken as a plain string when it is not one.
pub const ENV_OVERRIDE_PREFIX: &str = "TARSPLANE__";

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address every object listens on.
    pub host: IpAddr,
    /// The Kubernetes namespace to work in: the registry watches its TEndpoints, TTemplates
    /// and TFrameworkConfig (with `registry.source = "kubernetes"`) and reconciles its
    /// TServers, the config service watches its TConfigs and pods (with
    /// `config.source = "kubernetes"`), and notify names reporters by its pods. Unset: no
    /// Kubernetes.
    pub kubernetes_namespace: Option<String>,
    /// Where documents go.
    pub sink: sink::Config,
    /// `tars.tarsstat.StatObj` and `tars.tarsquerystat.QueryObj`.
    pub stat: stat::Config,
    /// `tars.tarsproperty.PropertyObj` and `tars.tarsqueryproperty.QueryObj`.
    pub property: property::Config,
    /// `tars.tarsnotify.NotifyObj`.
    pub notify: notify::Config,
    /// `tars.tarslog.LogObj`.
    pub log: tars_log::Config,
    /// The registry.
    pub registry: registry::Config,
    /// `tars.tarsconfig.ConfigObj`.
    pub config: tars_config::Config,
    /// `tars.tarsAdminRegistry.AdminRegObj`: where pods' NodeObj and tarsweb are.
    pub adminreg: tars_adminreg::Config,
    /// Kubernetes events of `kubernetes_namespace` into the store (`serve kevent`, and `up`
    /// with a namespace).
    pub kevent: tars_kevent::Config,
    /// The trace pipeline of the log service and `tars.tarslog.TopologyObj`.
    pub trace: tars_trace::Config,
    /// The admin HTTP port (`/metrics`, `/healthz`, `/readyz`).
    pub admin: crate::admin::AdminConfig,
    /// Log line format on stderr: `text` or `json` (one JSON object per line).
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl Default for Config {
    fn default() -> Self {
        let embedded = Options::embedded(IpAddr::from([0, 0, 0, 0]), Path::new("data"));
        Self {
            host: embedded.host,
            kubernetes_namespace: None,
            sink: embedded.sink,
            stat: embedded.stat,
            property: embedded.property,
            notify: embedded.notify,
            // `data/remote_app_log`; K8SFramework's is /usr/local/app/tars/remote_app_log.
            log: embedded.log,
            registry: embedded.registry,
            config: embedded.config,
            adminreg: embedded.adminreg,
            kevent: embedded.kevent,
            trace: embedded.trace,
            admin: embedded.admin,
            log_format: LogFormat::Text,
        }
    }
}

impl Config {
    /// Parses TOML text and applies the environment's secrets.
    ///
    /// # Errors
    /// A syntax error, an unknown key (the message lists the valid ones), a wrong type, or a
    /// value that fails validation (the message names the key).
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        Self::parse_with_overrides(text, env, std::iter::empty())
    }

    /// As [`Config::parse`], with `TARSPLANE__SECTION__KEY` overrides taken from `vars` (the
    /// environment's variables; others are ignored) over the file's values.
    ///
    /// # Errors
    /// As [`Config::parse`]; an override naming an unknown key is refused like one in the file.
    pub fn parse_with_overrides(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, String> {
        // First for the errors (line numbers, the valid keys); then over the printed defaults,
        // so a section that sets some keys keeps `up`'s defaults for the others rather than
        // the library's (e.g. `[registry]` alone stays on the file source).
        let _: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut user: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let overrides = env_overrides(vars);
        if !overrides.is_empty() {
            merge(&mut user, overrides);
            let _: Self = user
                .clone()
                .try_into()
                .map_err(|e| format!("{ENV_OVERRIDE_PREFIX}* variables: {e}"))?;
        }
        let mut merged = toml::Table::try_from(Self::default()).map_err(|e| e.to_string())?;
        merge(&mut merged, user);
        let mut config: Self = merged.try_into().map_err(|e| e.to_string())?;
        let secret = |value: Option<String>, file: &str| -> Result<Option<String>, String> {
            match (value, env(file)) {
                (Some(value), _) => Ok(Some(value)),
                (None, Some(path)) => std::fs::read_to_string(&path)
                    .map(|s| Some(s.trim_end_matches(['\r', '\n']).to_owned()))
                    .map_err(|e| format!("{file}: read {path}: {e}")),
                (None, None) => Ok(None),
            }
        };
        if let Some(password) = secret(env(ENV_ES_PASSWORD), ENV_ES_PASSWORD_FILE)? {
            config.sink.elasticsearch.password = Some(sink::config::Secret::new(password));
        }
        if let Some(key) = secret(env(ENV_ES_API_KEY), ENV_ES_API_KEY_FILE)? {
            config.sink.elasticsearch.api_key = Some(sink::config::Secret::new(key));
        }
        config.validate()?;
        Ok(config)
    }

    /// The embedded defaults with the environment's secrets and overrides (no file).
    ///
    /// # Errors
    /// As [`Config::parse_with_overrides`].
    pub fn from_env() -> Result<Self, String> {
        Self::parse_with_overrides("", |name| std::env::var(name).ok(), std::env::vars())
    }

    /// Reads and parses a file, with the process environment's secrets.
    ///
    /// # Errors
    /// As [`parse`](Self::parse), or the file cannot be read.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("read {}: {e}", path.display()))?;
        Self::parse_with_overrides(&text, |name| std::env::var(name).ok(), std::env::vars())
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Checks every section.
    ///
    /// # Errors
    /// The first invalid value, naming its key.
    pub fn validate(&self) -> Result<(), String> {
        self.sink.validate().map_err(|e| e.to_string())?;
        self.stat.validate()?;
        self.property.validate()?;
        self.notify.validate()?;
        self.log.validate()?;
        self.registry.validate()?;
        self.config.validate()?;
        self.adminreg.validate()?;
        self.kevent.validate()?;
        self.trace.validate()?;
        self.admin.address()?;
        Ok(())
    }

    /// The defaults as TOML.
    pub fn default_toml() -> String {
        toml::to_string_pretty(&Self::default()).unwrap_or_default()
    }

    /// What `tarsplane up` runs with.
    pub fn options(&self) -> Options {
        Options {
            host: self.host,
            ephemeral: false,
            sink: self.sink.clone(),
            stat: self.stat.clone(),
            property: self.property.clone(),
            notify: self.notify.clone(),
            log: self.log.clone(),
            registry: self.registry.clone(),
            config: self.config.clone(),
            adminreg: self.adminreg.clone(),
            kevent: self.kevent.clone(),
            trace: self.trace.clone(),
            admin: self.admin.clone(),
            services: crate::objects::Service::ALL.to_vec(),
            route_locally: true,
            kubernetes_namespace: self.kubernetes_namespace.clone(),
        }
    }
}

/// The `TARSPLANE__A__B=value` variables as a table `{a: {b: value}}`.
fn env_overrides(vars: impl IntoIterator<Item = (String, String)>) -> toml::Table {
    let mut table = toml::Table::new();
    for (name, value) in vars {
        let Some(path) = name.strip_prefix(ENV_OVERRIDE_PREFIX) else {
            continue;
        };
        let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
        let value = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(value));
        let mut leaf = value;
        for key in keys.iter().rev() {
            let mut level = toml::Table::new();
            level.insert(key.clone(), leaf);
            leaf = toml::Value::Table(level);
        }
        if let toml::Value::Table(level) = leaf {
            merge(&mut table, level);
        }
    }
    table
}

/// Overlays `over` on `base`, table by table.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(value)) => merge(inner, value),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_defaults_round_trip_through_toml() {
        let text = Config::default_toml();
        let back = Config::parse(&text, no_env).expect("the printed defaults parse");
        assert_eq!(back, Config::default());
        assert_eq!(
            Config::parse("", no_env).expect("empty is all defaults"),
            Config::default()
        );
    }

    #[test]
    fn a_partial_section_keeps_the_printed_defaults_for_its_other_keys() {
        let config = Config::parse(
            "[registry]\nstale_after_secs = 5\n[log]\nipfix = false\n",
            no_env,
        )
        .expect("valid");
        let defaults = Config::default();
        assert_eq!(config.registry.source, defaults.registry.source);
        assert_eq!(config.registry.file, defaults.registry.file);
        assert_eq!(config.registry.stale_after_secs, 5);
        assert_eq!(config.log.log_path, defaults.log.log_path);
        assert!(!config.log.ipfix);
    }

    #[test]
    fn environment_variables_override_single_keys() {
        let vars = [
            ("TARSPLANE__STAT__MAX_KEYS", "5"),
            (
                "TARSPLANE__SINK__ELASTICSEARCH__NODES",
                "[\"http://es:9200\"]",
            ),
            ("TARSPLANE__REGISTRY__SELF_HOST", "registry.local"),
            ("UNRELATED", "x"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let config =
            Config::parse_with_overrides("[stat]\nmax_keys = 9\n", no_env, vars).expect("valid");
        assert_eq!(config.stat.max_keys, 5, "the variable wins over the file");
        assert_eq!(config.sink.elasticsearch.nodes, ["http://es:9200"]);
        assert_eq!(config.registry.self_host, "registry.local");
        let typo = [("TARSPLANE__STAT__MAX_KEY".to_owned(), "5".to_owned())];
        let err = Config::parse_with_overrides("", no_env, typo).expect_err("unknown key");
        assert!(
            err.contains("max_key") && err.contains("TARSPLANE__"),
            "{err}"
        );
    }

    #[test]
    fn secrets_can_come_from_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("password");
        std::fs::write(&file, "from-file\n").expect("write");
        let path = file.display().to_string();
        let config = Config::parse(
            "[sink.elasticsearch]\nnodes = [\"https://es:9200\"]\nusername = \"tars\"\n",
            |name| (name == ENV_ES_PASSWORD_FILE).then(|| path.clone()),
        )
        .expect("valid");
        let password = config.sink.elasticsearch.password.expect("from the file");
        assert_eq!(password.expose(), "from-file");
        let err = Config::parse("", |name| {
            (name == ENV_ES_API_KEY_FILE).then(|| "/no/such/file".to_owned())
        })
        .expect_err("unreadable");
        assert!(err.contains(ENV_ES_API_KEY_FILE), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused_with_the_valid_ones() {
        let err = Config::parse("[stat]\nmax_key = 5\n", no_env).expect_err("typo");
        assert!(err.contains("max_key") && err.contains("max_keys"), "{err}");
        let err = Config::parse("[stats]\n", no_env).expect_err("typo");
        assert!(err.contains("stats") && err.contains("stat"), "{err}");
    }

    #[test]
    fn invalid_values_name_their_key() {
        for (text, key) in [
            ("[stat]\ntime_zone = \"Mars/Base\"\n", "stat.time_zone"),
            ("[property]\nshards = 0\n", "property.shards"),
            ("[notify]\nindex = \"Bad Name\"\n", "notify.index"),
            ("[log]\nwriter_threads = 0\n", "log.writer_threads"),
            (
                "[sink.elasticsearch]\nnodes = [\"es:9200\"]\n",
                "sink.elasticsearch.nodes",
            ),
            ("[log.log_types]\nweekly = [\"A.B.c\"]\n", "log.log_types"),
            ("[admin]\nlisten = \"nowhere\"\n", "admin.listen"),
            (
                "[registry]\nstale_after_secs = 0\n",
                "registry.stale_after_secs",
            ),
            (
                "[registry.routes]\n\"A.B\" = [{ host = \"h\", port = 1 }]\n",
                "registry.routes",
            ),
        ] {
            let err = Config::parse(text, no_env).expect_err(text);
            assert!(err.contains(key), "{text}: {err}");
        }
        let err = Config::parse("host = \"not an ip\"\n", no_env).expect_err("bad ip");
        assert!(err.contains("host"), "{err}");
    }

    #[test]
    fn secrets_come_from_the_environment_and_are_never_printed() {
        let text = "[sink.elasticsearch]\nnodes = [\"https://es:9200\"]\nusername = \"tars\"\n";
        let config = Config::parse(text, |name| {
            (name == ENV_ES_PASSWORD).then(|| "s3cret".to_owned())
        })
        .expect("valid");
        let password = config
            .sink
            .elasticsearch
            .password
            .as_ref()
            .expect("from env");
        assert_eq!(password.expose(), "s3cret");
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
