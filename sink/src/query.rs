//! The aggregation queries of the monitor-query objects, independent of the store.
//!
//! A query is structured data: fields are checked to be plain names and values are passed to
//! the store as values (Elasticsearch query DSL, SQLite bound parameters), never spliced into
//! query text.

use crate::{Error, Result};

/// A comparison of a field with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// Equal.
    Eq,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// SQL `LIKE`: `%` is any run of characters, `_` any one character; case-sensitive.
    Like,
}

/// One condition: `field op value`.
///
/// Values are text, as MonitorQuery sends them. They compare as numbers when the stored field
/// is a number and the value parses as one, otherwise as text (byte order), which is how
/// Elasticsearch compares keyword and numeric fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// A document field name.
    pub field: String,
    /// The comparison.
    pub op: FilterOp,
    /// The value.
    pub value: String,
}

/// Sum `sums` over the documents of `index` that pass every filter, per distinct combination
/// of the `group_by` fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AggQuery {
    /// One concrete index name (a missing index gives no rows).
    pub index: String,
    /// Conditions, all of which must hold.
    pub filters: Vec<Filter>,
    /// Grouping fields; empty for one overall row.
    pub group_by: Vec<String>,
    /// Fields to sum.
    pub sums: Vec<String>,
}

impl AggQuery {
    /// Checks every field name ([`validate_field`]) and the index name.
    ///
    /// # Errors
    /// [`Error::InvalidField`] or [`Error::InvalidIndexName`].
    pub fn validate(&self) -> Result<()> {
        crate::validate_index_name(&self.index)?;
        let fields = self.filters.iter().map(|f| f.field.as_str());
        for field in fields
            .chain(self.group_by.iter().map(String::as_str))
            .chain(self.sums.iter().map(String::as_str))
        {
            validate_field(field)?;
        }
        Ok(())
    }
}

/// A value of a grouping field.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyValue {
    /// A text field.
    Text(String),
    /// A numeric field.
    Number(f64),
}

/// One group of an [`AggQuery`] answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AggRow {
    /// The group's values, in `group_by` order.
    pub keys: Vec<KeyValue>,
    /// The sums, in `sums` order (0 when no document has the field).
    pub sums: Vec<f64>,
}

/// Checks that a field is a plain document field name: 1..=64 ASCII letters, digits, `_` or
/// `@` (as in `@timestamp`).
///
/// # Errors
/// [`Error::InvalidField`].
pub fn validate_field(field: &str) -> Result<()> {
    let ok = !field.is_empty()
        && field.len() <= 64
        && field
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'@');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidField(field.into()))
    }
}

/// Sorts rows by their keys (numbers before text, numbers numerically, text by bytes): both
/// stores return groups in this order.
pub(crate) fn sort_rows(rows: &mut [AggRow]) {
    rows.sort_by(|a, b| {
        for (x, y) in a.keys.iter().zip(&b.keys) {
            let ord = match (x, y) {
                (KeyValue::Number(x), KeyValue::Number(y)) => x.total_cmp(y),
                (KeyValue::Number(_), KeyValue::Text(_)) => std::cmp::Ordering::Less,
                (KeyValue::Text(_), KeyValue::Number(_)) => std::cmp::Ordering::Greater,
                (KeyValue::Text(x), KeyValue::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
            };
            if ord.is_ne() {
                return ord;
            }
        }
        std::cmp::Ordering::Equal
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_plain_identifiers() {
        for ok in ["f_tflag", "succ_count", "@timestamp", "a1"] {
            assert!(validate_field(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a b",
            "a.b",
            "a'",
            "x\"",
            "sum(a)",
            "a;drop",
            &"x".repeat(65),
        ] {
            assert!(validate_field(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_query_with_one_bad_field_is_refused() {
        let q = AggQuery {
            index: "tars_stat_20240328".into(),
            filters: vec![Filter {
                field: "slave_name' OR 1=1".into(),
                op: FilterOp::Eq,
                value: "x".into(),
            }],
            group_by: vec!["f_tflag".into()],
            sums: vec!["succ_count".into()],
        };
        assert!(matches!(q.validate(), Err(Error::InvalidField(_))));
    }
}
