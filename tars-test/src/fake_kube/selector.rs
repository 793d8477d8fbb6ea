//! Which objects a list or watch covers: its namespace, `labelSelector` and `fieldSelector`.

use serde_json::Value;

use super::reply::StatusError;
use crate::fake_es::reply::Params;

/// A namespace, label selector and field selector, all of which an object must match.
#[derive(Debug)]
pub(crate) struct Filter {
    namespace: Option<String>,
    labels: Vec<LabelTerm>,
    fields: Vec<FieldTerm>,
}

impl Filter {
    /// The filter of a request on a collection in `namespace` (`None`: all namespaces, or a
    /// cluster-scoped type).
    ///
    /// # Errors
    /// 400 for a selector that does not parse.
    pub(crate) fn parse(namespace: Option<&str>, params: &Params) -> Result<Self, StatusError> {
        let labels = split_terms(params.get("labelSelector").unwrap_or(""))
            .into_iter()
            .map(LabelTerm::parse)
            .collect::<Result<_, _>>()?;
        let fields = split_terms(params.get("fieldSelector").unwrap_or(""))
            .into_iter()
            .map(FieldTerm::parse)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            namespace: namespace.map(str::to_owned),
            labels,
            fields,
        })
    }

    /// Whether an object matches.
    pub(crate) fn matches(&self, object: &Value) -> bool {
        let metadata = object.get("metadata");
        let in_namespace = self.namespace.as_deref().is_none_or(|namespace| {
            metadata
                .and_then(|m| m.get("namespace"))
                .and_then(Value::as_str)
                == Some(namespace)
        });
        let labels = metadata
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object);
        in_namespace
            && self.labels.iter().all(|term| {
                let value = labels
                    .and_then(|labels| labels.get(term.key()))
                    .and_then(Value::as_str);
                term.matches(value)
            })
            && self.fields.iter().all(|term| term.matches(object))
    }
}

/// One requirement of a label selector.
#[derive(Debug, PartialEq, Eq)]
enum LabelTerm {
    /// `key=value` or `key==value`.
    Equals(String, String),
    /// `key!=value` (an object without the label matches).
    NotEquals(String, String),
    /// `key in (a,b)`.
    In(String, Vec<String>),
    /// `key notin (a,b)` (an object without the label matches).
    NotIn(String, Vec<String>),
    /// `key`.
    Exists(String),
    /// `!key`.
    NotExists(String),
}

impl LabelTerm {
    fn parse(term: &str) -> Result<Self, StatusError> {
        let invalid = || StatusError::bad_request(format!("unable to parse requirement: {term}"));
        let owned = |text: &str| text.trim().to_owned();
        let parsed = if let Some((head, values)) = term.split_once('(') {
            let values = values.trim_end().strip_suffix(')').ok_or_else(invalid)?;
            let values = values.split(',').map(owned).collect();
            let mut words = head.split_whitespace();
            let (Some(key), Some(operator), None) = (words.next(), words.next(), words.next())
            else {
                return Err(invalid());
            };
            match operator {
                "in" => Self::In(key.to_owned(), values),
                "notin" => Self::NotIn(key.to_owned(), values),
                _ => return Err(invalid()),
            }
        } else if let Some(key) = term.strip_prefix('!') {
            Self::NotExists(owned(key))
        } else if let Some((key, value)) = term.split_once("!=") {
            Self::NotEquals(owned(key), owned(value))
        } else if let Some((key, value)) = term.split_once("==").or_else(|| term.split_once('=')) {
            Self::Equals(owned(key), owned(value))
        } else {
            Self::Exists(owned(term))
        };
        if is_label_key(parsed.key()) {
            Ok(parsed)
        } else {
            Err(invalid())
        }
    }

    fn key(&self) -> &str {
        match self {
            Self::Equals(key, _)
            | Self::NotEquals(key, _)
            | Self::In(key, _)
            | Self::NotIn(key, _)
            | Self::Exists(key)
            | Self::NotExists(key) => key,
        }
    }

    /// Whether an object whose label has `value` (`None`: no such label) matches.
    fn matches(&self, value: Option<&str>) -> bool {
        let among = |values: &[String]| value.is_some_and(|v| values.iter().any(|x| x == v));
        match self {
            Self::Equals(_, wanted) => value == Some(wanted.as_str()),
            Self::NotEquals(_, unwanted) => value != Some(unwanted.as_str()),
            Self::In(_, values) => among(values),
            Self::NotIn(_, values) => !among(values),
            Self::Exists(_) => value.is_some(),
            Self::NotExists(_) => value.is_none(),
        }
    }
}

/// A label key: an optional DNS prefix and `/`, then letters, digits, `-`, `_` and `.`.
fn is_label_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

/// One requirement of a field selector: `path=value`, `path==value` or `path!=value`, where
/// the path is any dotted path into the object (`metadata.name`, `status.phase`, ...) and a
/// missing field reads as `""`.
#[derive(Debug, PartialEq, Eq)]
struct FieldTerm {
    path: Vec<String>,
    value: String,
    equal: bool,
}

impl FieldTerm {
    fn parse(term: &str) -> Result<Self, StatusError> {
        let (path, value, equal) = if let Some((path, value)) = term.split_once("!=") {
            (path, value, false)
        } else if let Some((path, value)) = term.split_once("==").or_else(|| term.split_once('=')) {
            (path, value, true)
        } else {
            return Err(StatusError::bad_request(format!(
                "invalid selector: '{term}'; can't understand '{term}'"
            )));
        };
        Ok(Self {
            path: path.trim().split('.').map(str::to_owned).collect(),
            value: value.trim().to_owned(),
            equal,
        })
    }

    fn matches(&self, object: &Value) -> bool {
        let field = self
            .path
            .iter()
            .try_fold(object, |value, segment| value.get(segment));
        let text = match field {
            Some(Value::String(text)) => text.clone(),
            Some(value @ (Value::Bool(_) | Value::Number(_))) => value.to_string(),
            _ => String::new(),
        };
        (text == self.value) == self.equal
    }
}

/// Splits a selector at the commas outside parentheses; blank terms are dropped.
fn split_terms(text: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let mut depth = 0_u32;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                terms.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&text[start..]);
    terms
        .into_iter()
        .map(str::trim)
        .filter(|term| !term.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn filter(query: &str) -> Filter {
        Filter::parse(None, &Params::parse(Some(query))).expect("a valid selector")
    }

    #[test]
    fn label_terms_parse_equality_sets_and_existence() {
        assert_eq!(
            split_terms("a=b, c in (x, y),!d"),
            ["a=b", "c in (x, y)", "!d"]
        );
        assert_eq!(
            LabelTerm::parse("a==b").ok(),
            Some(LabelTerm::Equals("a".into(), "b".into()))
        );
        assert_eq!(
            LabelTerm::parse("tars.io/ServerApp != x").ok(),
            Some(LabelTerm::NotEquals("tars.io/ServerApp".into(), "x".into()))
        );
        assert_eq!(
            LabelTerm::parse("c notin (x,y)").ok(),
            Some(LabelTerm::NotIn("c".into(), vec!["x".into(), "y".into()]))
        );
        assert!(LabelTerm::parse("a b").is_err());
        assert!(LabelTerm::parse("c within (x)").is_err());
    }

    #[test]
    fn filters_match_labels_fields_and_namespaces() {
        let pod = json!({
            "metadata": {"name": "p", "namespace": "tars", "labels": {"app": "x", "tier": "web"}},
            "status": {"phase": "Running"}
        });
        assert!(filter("labelSelector=app%3Dx%2Ctier%21%3Ddb").matches(&pod));
        assert!(filter("labelSelector=app,!missing").matches(&pod));
        assert!(!filter("labelSelector=app%20notin%20(x)").matches(&pod));
        assert!(filter("fieldSelector=metadata.name%3Dp,status.phase==Running").matches(&pod));
        assert!(!filter("fieldSelector=metadata.namespace!%3Dtars").matches(&pod));
        let other_namespace =
            Filter::parse(Some("default"), &Params::parse(None)).expect("an empty selector");
        assert!(!other_namespace.matches(&pod));
        assert!(Filter::parse(None, &Params::parse(Some("fieldSelector=name"))).is_err());
    }
}
