//! `dynamic_templates`: how new fields are mapped by name, path and JSON type.

use serde_json::Value;

use super::mapping::FieldKind;
use super::pattern::glob;

/// One entry of `dynamic_templates`: which new fields it maps, and to what.
#[derive(Debug, Clone)]
pub(crate) struct DynamicTemplate {
    /// `match_mapping_type`: `string`, `long`, `double`, `boolean`, `object` or `*`; empty
    /// for any.
    mapping_types: Vec<String>,
    /// `match` / `unmatch`: `*` globs on the field's own name.
    matches: Vec<String>,
    unmatches: Vec<String>,
    /// `path_match` / `path_unmatch`: `*` globs on the dotted path.
    path_matches: Vec<String>,
    path_unmatches: Vec<String>,
    /// The mapped type; `None` for `{dynamic_type}` (keep the detected one).
    pub(crate) kind: Option<FieldKind>,
}

impl DynamicTemplate {
    /// Parses `{"name": {"match_mapping_type": .., "mapping": {"type": ..}}}`.
    pub(crate) fn parse(entry: &Value) -> Option<Self> {
        let (_, body) = entry.as_object()?.iter().next()?;
        let strings = |key: &str| -> Vec<String> {
            match body.get(key) {
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            }
        };
        let kind = match body.pointer("/mapping/type").and_then(Value::as_str) {
            None | Some("{dynamic_type}") => None,
            Some(name) => Some(FieldKind::from_type(name)),
        };
        Some(Self {
            mapping_types: strings("match_mapping_type"),
            matches: strings("match"),
            unmatches: strings("unmatch"),
            path_matches: strings("path_match"),
            path_unmatches: strings("path_unmatch"),
            kind,
        })
    }

    /// Whether the template maps a new field of this JSON type at this path.
    pub(crate) fn applies(&self, json_type: &str, path: &str) -> bool {
        fn any(patterns: &[String], text: &str) -> bool {
            patterns.iter().any(|p| glob(p, text))
        }
        let leaf = path.rsplit_once('.').map_or(path, |(_, leaf)| leaf);
        (self.mapping_types.is_empty()
            || self
                .mapping_types
                .iter()
                .any(|t| t == "*" || t == json_type))
            && (self.matches.is_empty() || any(&self.matches, leaf))
            && !any(&self.unmatches, leaf)
            && (self.path_matches.is_empty() || any(&self.path_matches, path))
            && !any(&self.path_unmatches, path)
    }
}

/// The `match_mapping_type` name of a JSON value (date detection is not emulated).
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "double",
        Value::Number(_) => "long",
        Value::String(_) => "string",
        Value::Object(_) => "object",
        Value::Null | Value::Array(_) => "*",
    }
}
