//! Field types per index: declared by an index template or a create-index body, or set by
//! dynamic mapping from the first non-null value seen; a document whose field does not fit its
//! type fails with `mapper_parsing_exception`, as on a real cluster.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::dynamic_templates::{DynamicTemplate, json_type};
use super::reply::EsError;

/// A field's type, as far as the fake distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    /// `long`, `integer`, `short`, `byte`, `unsigned_long`; dynamic for JSON integers.
    Long,
    /// `double`, `float`, `half_float`, `scaled_float`; dynamic for JSON fractions.
    Float,
    /// `text` declared in a mapping: not aggregatable (no field data).
    Text,
    /// `text` created by dynamic mapping for a JSON string, with a `.keyword` multi-field. The
    /// fake compares and aggregates it as a keyword (a real cluster analyses it).
    DynamicText,
    /// `keyword`, `constant_keyword`, `wildcard`.
    Keyword,
    /// `boolean`.
    Boolean,
    /// `date`, `date_nanos` (formats are not checked).
    Date,
    /// `object`, `nested`, or a property with sub-properties.
    Object,
    /// Anything else (`ip`, `flattened`, ...): every value is accepted.
    Other,
}

impl FieldKind {
    /// The Elasticsearch type name, for error messages.
    pub(crate) fn type_name(self) -> &'static str {
        match self {
            Self::Long => "long",
            Self::Float => "float",
            Self::Text | Self::DynamicText => "text",
            Self::Keyword => "keyword",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::Object => "object",
            Self::Other => "unknown",
        }
    }

    /// The type a mapping's `"type"` names.
    pub(crate) fn from_type(name: &str) -> Self {
        match name {
            "long" | "integer" | "short" | "byte" | "unsigned_long" => Self::Long,
            "double" | "float" | "half_float" | "scaled_float" => Self::Float,
            "text" | "match_only_text" => Self::Text,
            "keyword" | "constant_keyword" | "wildcard" => Self::Keyword,
            "boolean" => Self::Boolean,
            "date" | "date_nanos" => Self::Date,
            "object" | "nested" => Self::Object,
            _ => Self::Other,
        }
    }

    /// The type dynamic mapping gives a non-null, non-array value.
    fn dynamic(value: &Value) -> Self {
        match value {
            Value::Bool(_) => Self::Boolean,
            Value::Number(n) if n.is_f64() => Self::Float,
            Value::Number(_) => Self::Long,
            Value::String(_) => Self::DynamicText,
            Value::Object(_) => Self::Object,
            Value::Null | Value::Array(_) => Self::Other,
        }
    }

    /// Whether the field holds numbers.
    pub(crate) fn is_numeric(self) -> bool {
        matches!(self, Self::Long | Self::Float)
    }

    /// Whether the field holds strings (keys of aggregations stay strings).
    pub(crate) fn is_string(self) -> bool {
        matches!(self, Self::Text | Self::DynamicText | Self::Keyword)
    }

    /// Whether a value fits: numeric strings fit numbers, numbers and booleans fit strings, only
    /// objects fit objects. Arrays are checked element by element by the caller.
    fn accepts(self, value: &Value) -> bool {
        match value {
            Value::Null | Value::Array(_) => true,
            Value::Object(_) => matches!(self, Self::Object | Self::Other),
            Value::Number(_) => !matches!(self, Self::Boolean | Self::Object),
            Value::Bool(_) => !matches!(self, Self::Long | Self::Float | Self::Date | Self::Object),
            Value::String(s) => match self {
                Self::Long | Self::Float => s.trim().parse::<f64>().is_ok_and(f64::is_finite),
                Self::Boolean => matches!(s.as_str(), "true" | "false" | ""),
                Self::Object => false,
                Self::Text | Self::DynamicText | Self::Keyword | Self::Date | Self::Other => true,
            },
        }
    }
}

/// The root `dynamic` setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Dynamic {
    /// New fields are added (the default).
    #[default]
    True,
    /// New fields are kept in `_source` but not mapped.
    False,
    /// A document with a new field is rejected.
    Strict,
}

/// The field types of one index, by dotted path (`a.b`; multi-fields as `name.keyword`).
#[derive(Debug, Default)]
pub(crate) struct Mapping {
    fields: BTreeMap<String, FieldKind>,
    dynamic: Dynamic,
    dynamic_templates: Vec<DynamicTemplate>,
}

impl Mapping {
    /// Adds what a `mappings` object declares: `dynamic`, `dynamic_templates` and `properties`
    /// (with nested `properties` and multi-field `fields`).
    pub(crate) fn declare(&mut self, mappings: &Value) {
        if let Some(dynamic) = mappings.get("dynamic") {
            let text = match dynamic {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            self.dynamic = match text.as_str() {
                "false" => Dynamic::False,
                "strict" => Dynamic::Strict,
                _ => Dynamic::True,
            };
        }
        if let Some(Value::Array(templates)) = mappings.get("dynamic_templates") {
            self.dynamic_templates
                .extend(templates.iter().filter_map(DynamicTemplate::parse));
        }
        if let Some(Value::Object(properties)) = mappings.get("properties") {
            self.declare_properties("", properties);
        }
    }

    /// The type dynamic mapping gives a new field: the first matching dynamic template's, else
    /// the one detected from the value.
    fn dynamic_kind(&self, path: &str, value: &Value) -> FieldKind {
        let json_type = json_type(value);
        self.dynamic_templates
            .iter()
            .find(|template| template.applies(json_type, path))
            .and_then(|template| template.kind)
            .unwrap_or_else(|| FieldKind::dynamic(value))
    }

    fn declare_properties(&mut self, prefix: &str, properties: &Map<String, Value>) {
        for (name, definition) in properties {
            let path = format!("{prefix}{name}");
            let kind = definition
                .get("type")
                .and_then(Value::as_str)
                .map_or(FieldKind::Object, FieldKind::from_type);
            if let Some(Value::Object(sub)) = definition.get("properties") {
                self.declare_properties(&format!("{path}."), sub);
            }
            if let Some(Value::Object(multi)) = definition.get("fields") {
                for (sub, sub_definition) in multi {
                    let sub_kind = sub_definition
                        .get("type")
                        .and_then(Value::as_str)
                        .map_or(FieldKind::Other, FieldKind::from_type);
                    self.fields.insert(format!("{path}.{sub}"), sub_kind);
                }
            }
            self.fields.insert(path, kind);
        }
    }

    /// Declares a field unless it already has a type (data streams map `@timestamp` as a date).
    pub(crate) fn declare_if_absent(&mut self, path: &str, kind: FieldKind) {
        self.fields.entry(path.to_owned()).or_insert(kind);
    }

    /// A field's type, if mapped.
    pub(crate) fn kind(&self, path: &str) -> Option<FieldKind> {
        self.fields.get(path).copied()
    }

    /// Where a field's values are in `_source`: a multi-field (`name.keyword`) reads its parent.
    pub(crate) fn source_path<'p>(&self, path: &'p str) -> &'p str {
        match path.rsplit_once('.') {
            Some((parent, _))
                if self.fields.contains_key(path)
                    && self
                        .kind(parent)
                        .is_some_and(|k| !matches!(k, FieldKind::Object | FieldKind::Other)) =>
            {
                parent
            }
            _ => path,
        }
    }

    /// The top-level fields as a `mappings` object, for `GET /<index>`.
    pub(crate) fn to_json(&self) -> Value {
        let properties: Map<String, Value> = self
            .fields
            .iter()
            .filter(|(path, _)| !path.contains('.'))
            .map(|(path, kind)| {
                let definition = match kind {
                    FieldKind::DynamicText => json!({
                        "type": "text",
                        "fields": { "keyword": { "type": "keyword", "ignore_above": 256 } }
                    }),
                    kind => json!({ "type": kind.type_name() }),
                };
                (path.clone(), definition)
            })
            .collect();
        json!({ "properties": Value::Object(properties) })
    }

    /// Checks a document against the mapping, then adds the types of its new fields (only when
    /// the whole document fits).
    pub(crate) fn check_and_update(
        &mut self,
        id: &str,
        source: &Map<String, Value>,
    ) -> Result<(), EsError> {
        let mut added = BTreeMap::new();
        self.check_object("", source, id, &mut added)?;
        for (path, kind) in added {
            if kind == FieldKind::DynamicText {
                self.fields
                    .insert(format!("{path}.keyword"), FieldKind::Keyword);
            }
            self.fields.insert(path, kind);
        }
        Ok(())
    }

    fn check_object(
        &self,
        prefix: &str,
        object: &Map<String, Value>,
        id: &str,
        added: &mut BTreeMap<String, FieldKind>,
    ) -> Result<(), EsError> {
        for (name, value) in object {
            self.check_value(&format!("{prefix}{name}"), value, id, added)?;
        }
        Ok(())
    }

    fn check_value(
        &self,
        path: &str,
        value: &Value,
        id: &str,
        added: &mut BTreeMap<String, FieldKind>,
    ) -> Result<(), EsError> {
        match value {
            Value::Null => return Ok(()),
            Value::Array(items) => {
                for item in items {
                    self.check_value(path, item, id, added)?;
                }
                return Ok(());
            }
            _ => {}
        }
        let known = self.fields.get(path).or_else(|| added.get(path)).copied();
        let kind = match (known, self.dynamic) {
            (Some(kind), _) => kind,
            (None, Dynamic::False) => return Ok(()),
            (None, Dynamic::Strict) => {
                let (parent, leaf) = path.rsplit_once('.').unwrap_or(("_doc", path));
                return Err(EsError::bad_request(
                    "strict_dynamic_mapping_exception",
                    format!(
                        "[{parent}] mapping set to strict, dynamic introduction of [{leaf}] \
                         within [{parent}] is not allowed"
                    ),
                ));
            }
            (None, Dynamic::True) => {
                let kind = self.dynamic_kind(path, value);
                added.insert(path.to_owned(), kind);
                kind
            }
        };
        if !kind.accepts(value) {
            return Err(type_error(path, kind, value, id));
        }
        if let (FieldKind::Object, Value::Object(inner)) = (kind, value) {
            self.check_object(&format!("{path}."), inner, id, added)?;
        }
        Ok(())
    }
}

/// The `mapper_parsing_exception` of a value that does not fit its field.
fn type_error(path: &str, kind: FieldKind, value: &Value, id: &str) -> EsError {
    let reason = if kind == FieldKind::Object {
        let leaf = path.rsplit_once('.').map_or(path, |(_, leaf)| leaf);
        format!(
            "object mapping for [{path}] tried to parse field [{leaf}] as object, but found a \
             concrete value"
        )
    } else {
        let preview = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        format!(
            "failed to parse field [{path}] of type [{}] in document with id '{id}'. Preview of \
             field's value: '{preview}'",
            kind.type_name()
        )
    };
    EsError::bad_request("mapper_parsing_exception", reason)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn first_value_sets_the_type_and_misfits_fail() {
        let mut m = Mapping::default();
        m.check_and_update("1", &doc(json!({"n": 1, "s": "a", "o": {"x": 1}})))
            .expect("first document fits");
        assert_eq!(m.kind("n"), Some(FieldKind::Long));
        assert_eq!(m.kind("s.keyword"), Some(FieldKind::Keyword));
        assert_eq!(m.kind("o.x"), Some(FieldKind::Long));
        m.check_and_update("2", &doc(json!({"n": "7", "s": 5, "o": {"x": "8"}})))
            .expect("numeric strings fit numbers, numbers fit strings");
        let err = m
            .check_and_update("3", &doc(json!({"n": "abc"})))
            .expect_err("text into a number field");
        assert!(
            err.cause()["reason"]
                .as_str()
                .is_some_and(|r| r.contains("[n]"))
        );
        assert!(
            m.check_and_update("4", &doc(json!({"s": {"a": 1}})))
                .is_err()
        );
        assert!(m.check_and_update("5", &doc(json!({"o": 1}))).is_err());
        assert!(
            m.check_and_update("6", &doc(json!({"n": [1, "x"]})))
                .is_err()
        );
    }

    #[test]
    fn a_failed_document_adds_no_fields() {
        let mut m = Mapping::default();
        m.check_and_update("1", &doc(json!({"n": 1})))
            .expect("fits");
        assert!(
            m.check_and_update("2", &doc(json!({"new": 1, "n": "x"})))
                .is_err()
        );
        assert_eq!(m.kind("new"), None);
    }

    #[test]
    fn dynamic_templates_map_new_strings_as_keywords() {
        let mut m = Mapping::default();
        m.declare(&json!({
            "dynamic_templates": [
                {"ids": {"match": "*_id", "mapping": {"type": "keyword"}}},
                {"strings": {"match_mapping_type": "string", "mapping": {"type": "keyword"}}}
            ]
        }));
        m.check_and_update("1", &doc(json!({"name": "a", "user_id": 7, "n": 1})))
            .expect("fits");
        assert_eq!(m.kind("name"), Some(FieldKind::Keyword));
        assert_eq!(m.kind("name.keyword"), None);
        assert_eq!(m.kind("user_id"), Some(FieldKind::Keyword));
        assert_eq!(m.kind("n"), Some(FieldKind::Long));
    }

    #[test]
    fn declared_mappings_and_strict_dynamic_apply() {
        let mut m = Mapping::default();
        m.declare(&json!({
            "dynamic": "strict",
            "properties": {
                "count": {"type": "long"},
                "name": {"type": "keyword"},
                "msg": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
            }
        }));
        assert!(
            m.check_and_update("1", &doc(json!({"count": "x"})))
                .is_err()
        );
        assert!(m.check_and_update("1", &doc(json!({"other": 1}))).is_err());
        m.check_and_update("1", &doc(json!({"count": 2, "name": "a", "msg": "b"})))
            .expect("fits");
        assert_eq!(m.source_path("msg.raw"), "msg");
        assert_eq!(m.source_path("name"), "name");
    }
}
