//! What a service declares about its indices: the lifecycle policy and index template created
//! at start (framework facts §5.1: the policy has only a `delete` phase; the template points
//! at it; notify's is a data stream template).

use serde_json::{Value, json};

/// An index family: `name` is both the ILM policy's and the index template's name.
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

    /// The `PUT /_index_template/<name>` body.
    pub fn template_body(&self) -> Value {
        let mut template = json!({
            "settings": { "index.lifecycle.name": self.name },
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_match_the_framework_shapes() {
        let spec = IndexSpec {
            name: "tars_notify_".into(),
            patterns: vec!["tars_notify_".into()],
            delete_after: "3d".into(),
            data_stream: true,
            mappings: None,
        };
        assert_eq!(
            spec.ilm_policy_body()["policy"]["phases"]["delete"]["min_age"],
            "3d"
        );
        let t = spec.template_body();
        assert_eq!(t["index_patterns"], json!(["tars_notify_"]));
        assert_eq!(
            t["template"]["settings"]["index.lifecycle.name"],
            "tars_notify_"
        );
        assert_eq!(t["data_stream"], json!({}));
        assert!(t["template"].get("mappings").is_none());
    }
}
