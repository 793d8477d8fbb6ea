//! What a service declares about its indices: the lifecycle policy and index template created
//! at start (framework facts §5.1: the policy has only a `delete` phase; the template points
//! at it; notify's is a data stream template). The policy is Elasticsearch's ILM or
//! OpenSearch's ISM, whichever the server has (`es/lifecycle.rs`).

use serde_json::{Value, json};

/// An index family: `name` is both the lifecycle policy's and the index template's name.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexSpec {
    /// Policy and template name, e.g. `tars_stat_`.
    pub name: String,
    /// Index patterns, e.g. `tars_stat_*` (notify's data stream: exactly its name).
    pub patterns: Vec<String>,
    /// Age after which indices are deleted, in Elasticsearch's units (`15d`, `3d`).
    pub delete_after: String,
    /// Whether the pattern names a data stream (documents need `@timestamp` and `create`).
    pub data_stream: bool,
    /// Field mappings (`{"properties": ...}`), so keywords and numbers are typed for queries
    /// and Grafana rather than guessed by dynamic mapping.
    pub mappings: Option<Value>,
}

impl IndexSpec {
    /// The `PUT /_ilm/policy/<name>` body.
    pub fn ilm_policy_body(&self) -> Value {
        json!({
            "policy": {
                "phases": {
                    "delete": {
                        "min_age": self.delete_after,
                        "actions": { "delete": {} }
                    }
                }
            }
        })
    }

    /// The `PUT /_plugins/_ism/policies/<name>` body (OpenSearch): a `live` state that moves
    /// to `delete` at `delete_after` of index age, attached to new indices by `ism_template`.
    /// A data stream's backing indices (`.ds-<name>-000001`) are matched by the stream's name
    /// and, for older servers, by their own names.
    pub fn ism_policy_body(&self) -> Value {
        let mut patterns = self.patterns.clone();
        if self.data_stream {
            patterns.extend(self.patterns.iter().map(|p| format!(".ds-{p}*")));
        }
        json!({
            "policy": {
                "description": format!("tarsplane: delete {} indices {} after creation", self.name, self.delete_after),
                "default_state": "live",
                "states": [
                    {
                        "name": "live",
                        "actions": [],
                        "transitions": [
                            { "state_name": "delete", "conditions": { "min_index_age": self.delete_after } }
                        ]
                    },
                    { "name": "delete", "actions": [ { "delete": {} } ], "transitions": [] }
                ],
                "ism_template": [ { "index_patterns": patterns, "priority": 100 } ]
            }
        })
    }

    /// The `PUT /_index_template/<name>` body; with `ilm`, new indices name the ILM policy
    /// (`index.lifecycle.name`, a setting OpenSearch refuses).
    pub fn template_body(&self, ilm: bool) -> Value {
        let mut template = if ilm {
            json!({ "settings": { "index.lifecycle.name": self.name } })
        } else {
            json!({})
        };
        if let Some(mappings) = &self.mappings {
            template["mappings"] = mappings.clone();
        }
        let mut body = json!({
            "index_patterns": self.patterns,
            "template": template,
        });
        if self.data_stream {
            body["data_stream"] = json!({});
        }
        body
    }
}

/// Checks an Elasticsearch time value as a lifecycle `min_age` takes it (an index family's
/// `delete_after`): digits and a unit (`d`, `h`, `m`, `s`, `ms`, `micros`, `nanos`).
///
/// # Errors
/// The reason, naming the value; the caller prefixes its configuration key.
pub fn validate_age(age: &str) -> Result<(), String> {
    let digits = age.bytes().take_while(u8::is_ascii_digit).count();
    let unit = age.get(digits..).unwrap_or_default();
    if digits > 0 && matches!(unit, "d" | "h" | "m" | "s" | "ms" | "micros" | "nanos") {
        Ok(())
    } else {
        Err(format!(
            "`{age}` is not an age such as `3d` or `12h` (units d, h, m, s, ms, micros, nanos)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Notify's family: a data stream, deleted after 3 days.
    fn notify_stream() -> IndexSpec {
        IndexSpec {
            name: "tars_notify_".into(),
            patterns: vec!["tars_notify_".into()],
            delete_after: "3d".into(),
            data_stream: true,
            mappings: None,
        }
    }

    #[test]
    fn bodies_match_the_framework_shapes() {
        let spec = notify_stream();
        assert_eq!(
            spec.ilm_policy_body()["policy"]["phases"]["delete"]["min_age"],
            "3d"
        );
        let t = spec.template_body(true);
        assert_eq!(t["index_patterns"], json!(["tars_notify_"]));
        assert_eq!(
            t["template"]["settings"]["index.lifecycle.name"],
            "tars_notify_"
        );
        assert_eq!(t["data_stream"], json!({}));
        assert!(t["template"].get("mappings").is_none());
        let t = spec.template_body(false);
        assert!(t["template"].get("settings").is_none(), "{t}");
        assert_eq!(t["data_stream"], json!({}));
    }

    #[test]
    fn ism_policy_deletes_at_the_same_age_and_attaches_by_pattern() {
        let spec = notify_stream();
        let p = &spec.ism_policy_body()["policy"];
        assert_eq!(p["default_state"], "live");
        assert_eq!(
            p["states"][0]["transitions"][0],
            json!({"state_name": "delete", "conditions": {"min_index_age": "3d"}})
        );
        assert_eq!(p["states"][1]["actions"], json!([{"delete": {}}]));
        assert_eq!(
            p["ism_template"],
            json!([{"index_patterns": ["tars_notify_", ".ds-tars_notify_*"], "priority": 100}])
        );
    }

    #[test]
    fn ages_are_digits_and_a_unit() {
        for ok in ["3d", "12h", "90m", "1s", "500ms", "7micros", "9nanos"] {
            assert_eq!(super::validate_age(ok), Ok(()), "{ok}");
        }
        for bad in ["", "d", "3", "3 d", "3days", "-3d", "3dd", "三d"] {
            assert!(super::validate_age(bad).is_err(), "{bad}");
        }
    }
}
