//! Finding documents (not aggregating them): structured conditions, nested arrays included,
//! answered by Elasticsearch / OpenSearch query DSL or by SQLite JSON functions with bound
//! parameters. Never query text built from values.
//!
//! The trace queries of `tars.tarslog.TopologyObj` are the users: "graphs of type `server`
//! with a vertex named X", "traces whose root call started between A and B with a span whose
//! master or slave is X", sorted by a number, a bounded number of hits.

pub(crate) mod es;
pub(crate) mod sqlite;

use serde_json::{Map, Value};

use crate::{Error, Result, validate_field};

/// The most hits one search returns (Elasticsearch's default `index.max_result_window`).
pub const MAX_HITS: usize = 10_000;

/// One condition on a document (or, inside [`Cond::AnyOf`], on an element of an array).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    /// A text field equals `value` exactly (byte for byte). On Elasticsearch the `keyword`
    /// (sub-)field must index it: values longer than its `ignore_above` are not found.
    Text {
        /// The field.
        field: String,
        /// The value.
        value: String,
    },
    /// A text field starts with `prefix`.
    Prefix {
        /// The field.
        field: String,
        /// The prefix.
        prefix: String,
    },
    /// An integer field lies in `min..=max`.
    Range {
        /// The field.
        field: String,
        /// The smallest value.
        min: i64,
        /// The largest value.
        max: i64,
    },
    /// Some element of the array of objects `path` satisfies at least one of `any` (each
    /// naming a field of the element). Elasticsearch needs `path` mapped `nested`.
    AnyOf {
        /// The array field.
        path: String,
        /// The alternatives, on the element's fields; no [`Cond::AnyOf`] inside.
        any: Vec<Cond>,
    },
}

/// A document search: every condition holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Find {
    /// One concrete index name (a missing index gives no hits).
    pub index: String,
    /// Conditions, all of which must hold.
    pub all: Vec<Cond>,
    /// An integer field to sort by, largest first; by id otherwise (SQLite) or by relevance
    /// (Elasticsearch, where every hit scores the same in a filter).
    pub sort_desc: Option<String>,
    /// The top-level fields to return; empty for the whole document.
    pub fields: Vec<String>,
    /// The most hits to return, 1 to [`MAX_HITS`].
    pub limit: usize,
    /// How text fields are mapped in Elasticsearch: `true` when as `text` with a `keyword`
    /// sub-field (K8SFramework's templates and Elasticsearch's dynamic mapping), whose
    /// `.keyword` the exact conditions then use; `false` when mapped `keyword` themselves.
    pub keyword_subfield: bool,
}

impl Find {
    /// Checks the index name, every field name ([`validate_field`]) and the limit.
    ///
    /// # Errors
    /// [`Error::InvalidIndexName`], [`Error::InvalidField`] or [`Error::InvalidQuery`].
    pub fn validate(&self) -> Result<()> {
        crate::validate_index_name(&self.index)?;
        if self.limit == 0 || self.limit > MAX_HITS {
            return Err(Error::InvalidQuery(format!(
                "limit {} is not within 1..={MAX_HITS}",
                self.limit
            )));
        }
        for cond in &self.all {
            validate_cond(cond, true)?;
        }
        for field in self.sort_desc.iter().chain(&self.fields) {
            validate_field(field)?;
        }
        Ok(())
    }
}

fn validate_cond(cond: &Cond, top: bool) -> Result<()> {
    match cond {
        Cond::Text { field, .. } | Cond::Prefix { field, .. } => validate_field(field),
        Cond::Range { field, min, max } => {
            validate_field(field)?;
            if min > max {
                return Err(Error::InvalidQuery(format!(
                    "range of {field}: {min} is greater than {max}"
                )));
            }
            Ok(())
        }
        Cond::AnyOf { path, any } => {
            validate_field(path)?;
            if !top {
                return Err(Error::InvalidQuery(format!(
                    "{path}: arrays within arrays are not searched"
                )));
            }
            if any.is_empty() {
                return Err(Error::InvalidQuery(format!("{path}: no alternatives")));
            }
            any.iter().try_for_each(|c| validate_cond(c, false))
        }
    }
}

/// Keeps only `fields` of a document (all of it when `fields` is empty).
pub(crate) fn project(doc: Value, fields: &[String]) -> Value {
    if fields.is_empty() {
        return doc;
    }
    let Value::Object(mut map) = doc else {
        return doc;
    };
    let mut out = Map::new();
    for field in fields {
        if let Some(value) = map.remove(field) {
            out.insert(field.clone(), value);
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(all: Vec<Cond>) -> Find {
        Find {
            index: "tars_call_graph_20240328".into(),
            all,
            sort_desc: None,
            fields: Vec::new(),
            limit: 10,
            keyword_subfield: true,
        }
    }

    #[test]
    fn bad_fields_limits_ranges_and_nesting_are_refused() {
        let text = |field: &str| Cond::Text {
            field: field.into(),
            value: "x".into(),
        };
        find(vec![text("type")]).validate().expect("valid");
        assert!(find(vec![text("a.b")]).validate().is_err());
        let mut f = find(vec![]);
        f.limit = MAX_HITS + 1;
        assert!(f.validate().is_err());
        f.limit = 0;
        assert!(f.validate().is_err());
        let range = Cond::Range {
            field: "tsTime".into(),
            min: 2,
            max: 1,
        };
        assert!(find(vec![range]).validate().is_err());
        let inner = Cond::AnyOf {
            path: "spans".into(),
            any: vec![text("master")],
        };
        find(vec![inner.clone()]).validate().expect("one level");
        let twice = Cond::AnyOf {
            path: "spans".into(),
            any: vec![inner],
        };
        assert!(find(vec![twice]).validate().is_err());
        let empty = Cond::AnyOf {
            path: "spans".into(),
            any: vec![],
        };
        assert!(find(vec![empty]).validate().is_err());
    }

    #[test]
    fn projection_keeps_the_named_fields() {
        let doc = serde_json::json!({"trace": "t", "tsTime": 1, "spans": []});
        assert_eq!(
            project(doc.clone(), &["trace".into(), "tsTime".into()]),
            serde_json::json!({"trace": "t", "tsTime": 1})
        );
        assert_eq!(project(doc.clone(), &[]), doc);
    }
}
