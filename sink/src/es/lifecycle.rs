//! Which server the sink writes to, and how old indices are deleted there.
//!
//! `GET /` names the server: OpenSearch answers `"version": {"distribution": "opensearch"}`,
//! Elasticsearch has no `distribution`. Each deletes old indices its own way:
//!
//! | server | lifecycle | policy | how an index gets it |
//! |---|---|---|---|
//! | Elasticsearch (7.8+) | ILM | `PUT /_ilm/policy/<name>` | `index.lifecycle.name` in the index template |
//! | OpenSearch (1.x, 2.x, 3.x) | ISM (a plugin) | `PUT /_plugins/_ism/policies/<name>` | the policy's `ism_template` patterns |
//!
//! OpenSearch refuses an index template carrying `index.lifecycle.name` (an unknown setting),
//! so the template must match the server. A server without its lifecycle API (OpenSearch without
//! the ISM plugin, an Elasticsearch without ILM) still gets every document: the sink logs a
//! warning, exposes `tars_sink_backend_info{lifecycle="off"}` and says so on `/readyz`, and old
//! indices must then be deleted by the operator.

use std::fmt;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::client::{Answer, Client};
use crate::config::EsConfig;
use crate::{Error, IndexSpec, Result};

/// `sink.elasticsearch.flavour`: which server to expect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlavourSetting {
    /// Ask the server (`GET /`).
    #[default]
    Auto,
    /// Elasticsearch (ILM), whatever `GET /` says or when it is not permitted.
    Elasticsearch,
    /// OpenSearch (ISM).
    Opensearch,
}

/// `sink.elasticsearch.lifecycle`: whether tarsplane manages index deletion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleSetting {
    /// ILM on Elasticsearch, ISM on OpenSearch, off (with a warning) where neither is there.
    #[default]
    Auto,
    /// Create no policies and no lifecycle setting (the operator manages deletion).
    Off,
}

/// The server's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Elasticsearch.
    Elasticsearch,
    /// OpenSearch.
    OpenSearch,
}

impl Flavour {
    /// `elasticsearch` or `opensearch`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Elasticsearch => "elasticsearch",
            Self::OpenSearch => "opensearch",
        }
    }
}

/// How indices are deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifecycle {
    /// Elasticsearch's index lifecycle management.
    Ilm,
    /// OpenSearch's index state management.
    Ism,
    /// Nothing deletes old indices; why.
    Off(String),
}

impl Lifecycle {
    /// `ilm`, `ism` or `off`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Ilm => "ilm",
            Self::Ism => "ism",
            Self::Off(_) => "off",
        }
    }
}

/// What the sink found at the other end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    /// Elasticsearch or OpenSearch.
    pub flavour: Flavour,
    /// `version.number` from `GET /` (`unknown` when the flavour was configured and `GET /`
    /// failed).
    pub version: String,
    /// How old indices are deleted.
    pub lifecycle: Lifecycle,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.flavour {
            Flavour::Elasticsearch => "Elasticsearch",
            Flavour::OpenSearch => "OpenSearch",
        };
        write!(f, "{name} {}, index lifecycle ", self.version)?;
        match &self.lifecycle {
            Lifecycle::Ilm => f.write_str("ILM"),
            Lifecycle::Ism => f.write_str("ISM"),
            Lifecycle::Off(why) => write!(f, "off ({why})"),
        }
    }
}

/// Reads `GET /` into a flavour and version.
///
/// # Errors
/// A body that is not Elasticsearch's or OpenSearch's root answer.
pub(crate) fn parse_root(body: &[u8]) -> Result<(Flavour, String)> {
    let unexpected = |reason: String| Error::UnexpectedResponse {
        op: "GET /".to_owned(),
        reason,
    };
    let root: Value = serde_json::from_slice(body).map_err(|e| unexpected(e.to_string()))?;
    let version = &root["version"];
    let Some(number) = version["number"].as_str() else {
        return Err(unexpected(
            "no version.number: is this an Elasticsearch or OpenSearch node?".to_owned(),
        ));
    };
    let flavour = match version["distribution"].as_str() {
        Some("opensearch") => Flavour::OpenSearch,
        _ => Flavour::Elasticsearch,
    };
    Ok((flavour, number.to_owned()))
}

/// Asks the server what it is and whether its lifecycle API is there.
///
/// # Errors
/// The server cannot be reached (or answers 5xx): try again later.
pub(crate) async fn detect(client: &Client, config: &EsConfig) -> Result<Backend> {
    let root = client
        .send(reqwest::Method::GET, "/", "application/json", None)
        .await;
    let (flavour, version) = match (config.flavour, root) {
        (FlavourSetting::Auto, Ok(answer)) if answer.is_ok() => parse_root(&answer.body)?,
        (FlavourSetting::Auto, Ok(answer)) => {
            return Err(status_error("GET /", &answer));
        }
        (FlavourSetting::Auto, Err(error)) => return Err(error),
        (forced, root) => {
            let flavour = match forced {
                FlavourSetting::Opensearch => Flavour::OpenSearch,
                _ => Flavour::Elasticsearch,
            };
            let version = root
                .ok()
                .filter(Answer::is_ok)
                .and_then(|a| parse_root(&a.body).ok())
                .map_or_else(|| "unknown".to_owned(), |(_, v)| v);
            (flavour, version)
        }
    };
    let lifecycle = match config.lifecycle {
        LifecycleSetting::Off => Lifecycle::Off("sink.elasticsearch.lifecycle = \"off\"".into()),
        LifecycleSetting::Auto => probe_lifecycle(client, flavour).await?,
    };
    Ok(Backend {
        flavour,
        version,
        lifecycle,
    })
}

/// [`detect`], then says what it found: the metric, and a log line (a warning when nothing will
/// delete old indices).
pub(crate) async fn identify(
    client: &Client,
    config: &EsConfig,
    metrics: &crate::Metrics,
) -> Result<Backend> {
    let backend = detect(client, config).await?;
    metrics.backend_found(&backend);
    if let Lifecycle::Off(why) = &backend.lifecycle {
        tracing::warn!(
            message = "Index lifecycle is off: old indices are not deleted by tarsplane; documents are still written.",
            backend = %backend,
            reason = %why
        );
    } else {
        tracing::info!(message = "Connected to the document store.", backend = %backend);
    }
    Ok(backend)
}

/// `GET /_ilm/status` or `GET /_plugins/_ism/policies`: present, absent (400 "no handler",
/// 404 without an index error) or not permitted (401/403).
async fn probe_lifecycle(client: &Client, flavour: Flavour) -> Result<Lifecycle> {
    let (path, on, missing) = match flavour {
        Flavour::Elasticsearch => (
            "/_ilm/status",
            Lifecycle::Ilm,
            "this Elasticsearch has no ILM API",
        ),
        Flavour::OpenSearch => (
            "/_plugins/_ism/policies?size=1",
            Lifecycle::Ism,
            "the OpenSearch index-management (ISM) plugin is not installed",
        ),
    };
    let answer = client
        .send(reqwest::Method::GET, path, "application/json", None)
        .await?;
    let text = answer.body_text();
    Ok(match answer.status {
        200..=299 => on,
        // ISM before its first policy: the config index does not exist yet.
        404 if text.contains("index_not_found") => on,
        401 | 403 => Lifecycle::Off(format!(
            "GET {path} is not permitted ({}): grant the lifecycle privileges or set sink.elasticsearch.lifecycle = \"off\"",
            answer.status
        )),
        400 | 404 | 405 => Lifecycle::Off(format!("{missing} (GET {path}: {})", answer.status)),
        _ => return Err(status_error(path, &answer)),
    })
}

fn status_error(op: &str, answer: &Answer) -> Error {
    Error::Status {
        op: op.to_owned(),
        status: answer.status,
        body: answer.body_text(),
    }
}

/// Creates or updates the lifecycle policy (when there is one), then the index template.
pub(crate) async fn put_index(client: &Client, backend: &Backend, spec: &IndexSpec) -> Result<()> {
    match backend.lifecycle {
        Lifecycle::Ilm => {
            client
                .put_json(
                    &format!("/_ilm/policy/{}", spec.name),
                    &spec.ilm_policy_body(),
                )
                .await?;
        }
        Lifecycle::Ism => put_ism_policy(client, spec).await?,
        Lifecycle::Off(_) => {}
    }
    let ilm = backend.lifecycle == Lifecycle::Ilm;
    client
        .put_json(
            &format!("/_index_template/{}", spec.name),
            &spec.template_body(ilm),
        )
        .await
}

/// How often a policy update may lose a race with another replica before the setup is retried
/// later.
const ISM_ATTEMPTS: usize = 3;

/// ISM creates with a plain `PUT` and updates only with the `_seq_no`/`_primary_term` of the
/// stored version (a plain `PUT` over an existing policy is a 409). An unchanged policy is left
/// alone, so restarts do not bump its version.
async fn put_ism_policy(client: &Client, spec: &IndexSpec) -> Result<()> {
    let path = format!("/_plugins/_ism/policies/{}", spec.name);
    let want = spec.ism_policy_body();
    for _ in 0..ISM_ATTEMPTS {
        let current = client
            .send(reqwest::Method::GET, &path, "application/json", None)
            .await?;
        let target = match current.status {
            404 => path.clone(),
            200..=299 => {
                let stored: Value = serde_json::from_slice(&current.body).map_err(|e| {
                    Error::UnexpectedResponse {
                        op: format!("GET {path}"),
                        reason: e.to_string(),
                    }
                })?;
                if ism_policy_matches(&stored["policy"], &want["policy"]) {
                    return Ok(());
                }
                let (Some(seq_no), Some(term)) =
                    (stored["_seq_no"].as_i64(), stored["_primary_term"].as_i64())
                else {
                    return Err(Error::UnexpectedResponse {
                        op: format!("GET {path}"),
                        reason: "no _seq_no/_primary_term in the stored policy".to_owned(),
                    });
                };
                format!("{path}?if_seq_no={seq_no}&if_primary_term={term}")
            }
            _ => return Err(status_error(&format!("GET {path}"), &current)),
        };
        let body = Bytes::from(serde_json::to_vec(&want).unwrap_or_default());
        let answer = client
            .send(
                reqwest::Method::PUT,
                &target,
                "application/json",
                Some(body),
            )
            .await?;
        // 409: another replica created or updated it in between; look again.
        if answer.is_ok() {
            return Ok(());
        }
        if answer.status != 409 {
            return Err(status_error(&format!("PUT {path}"), &answer));
        }
    }
    Err(Error::Status {
        op: format!("PUT {path}"),
        status: 409,
        body: format!("the policy kept changing under {ISM_ATTEMPTS} updates"),
    })
}

/// Whether a stored ISM policy already says what `want` says (states, default state and the
/// `ism_template` patterns and priority; the server adds fields of its own).
fn ism_policy_matches(stored: &Value, want: &Value) -> bool {
    let templates = |policy: &Value| -> Vec<(Value, Value)> {
        policy["ism_template"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|t| (t["index_patterns"].clone(), t["priority"].clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let states = |policy: &Value| -> Vec<Value> {
        policy["states"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|s| {
                        json!([
                            s["name"],
                            s["actions"]
                                .as_array()
                                .map(|a| a.iter().map(action_kind).collect::<Vec<_>>()),
                            s["transitions"]
                        ])
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    stored["default_state"] == want["default_state"]
        && states(stored) == states(want)
        && templates(stored) == templates(want)
}

/// An action's kind (`delete`): the server fills in retry settings of its own.
fn action_kind(action: &Value) -> Value {
    action.as_object().map_or(Value::Null, |map| {
        let mut kinds: Vec<&String> = map.keys().filter(|k| *k != "retry").collect();
        kinds.sort();
        json!(kinds)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavour_and_version_from_the_root_answer() {
        let opensearch = br#"{"name":"n","version":{"distribution":"opensearch","number":"2.19.6"},"tagline":"The OpenSearch Project"}"#;
        assert_eq!(
            parse_root(opensearch).expect("parsed"),
            (Flavour::OpenSearch, "2.19.6".to_owned())
        );
        let elasticsearch = br#"{"name":"n","version":{"number":"8.15.0","build_flavor":"default"},"tagline":"You Know, for Search"}"#;
        assert_eq!(
            parse_root(elasticsearch).expect("parsed"),
            (Flavour::Elasticsearch, "8.15.0".to_owned())
        );
        let err = parse_root(br#"{"hello":"world"}"#).expect_err("not a node");
        assert!(err.to_string().contains("version.number"), "{err}");
        assert!(parse_root(b"<html>").is_err());
    }

    #[test]
    fn an_unchanged_policy_is_recognised_despite_server_fields() {
        let spec = IndexSpec {
            name: "tars_stat_".into(),
            patterns: vec!["tars_stat_*".into()],
            delete_after: "15d".into(),
            data_stream: false,
            mappings: None,
        };
        let want = spec.ism_policy_body();
        let mut stored = want["policy"].clone();
        stored["policy_id"] = json!("tars_stat_");
        stored["last_updated_time"] = json!(1);
        stored["schema_version"] = json!(21);
        stored["error_notification"] = Value::Null;
        stored["states"][1]["actions"][0]["retry"] =
            json!({"count": 3, "backoff": "exponential", "delay": "1m"});
        stored["ism_template"][0]["last_updated_time"] = json!(1);
        assert!(ism_policy_matches(&stored, &want["policy"]));
        stored["states"][0]["transitions"][0]["conditions"]["min_index_age"] = json!("3d");
        assert!(!ism_policy_matches(&stored, &want["policy"]));
    }

    #[test]
    fn backends_describe_themselves() {
        let b = Backend {
            flavour: Flavour::OpenSearch,
            version: "2.19.6".into(),
            lifecycle: Lifecycle::Off("no plugin".into()),
        };
        assert_eq!(
            b.to_string(),
            "OpenSearch 2.19.6, index lifecycle off (no plugin)"
        );
    }
}
