//! A [`Find`] as one SQLite statement over the `documents` table: `json_extract` for fields,
//! `EXISTS (… json_each …)` for array elements, every field path and value a bound parameter.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::{Cond, Find, project};
use crate::{Error, Result};

fn json_path(field: &str) -> String {
    // Field names are validated plain identifiers; quoting keeps `@timestamp` a member name.
    format!("$.\"{field}\"")
}

struct Statement {
    params: Vec<Value>,
}

impl Statement {
    fn bind(&mut self, value: Value) -> usize {
        self.params.push(value);
        self.params.len()
    }

    /// The SQL of `cond` on the JSON document `doc` (a column or `json_each` value).
    fn cond(&mut self, cond: &Cond, doc: &str) -> String {
        match cond {
            Cond::Text { field, value } => {
                let p = self.bind(Value::Text(json_path(field)));
                let v = self.bind(Value::Text(value.clone()));
                format!("json_extract({doc}, ?{p}) = ?{v}")
            }
            Cond::Prefix { field, prefix } => {
                // `substr` counts characters in text: compare the leading characters.
                let p = self.bind(Value::Text(json_path(field)));
                let n = self.bind(Value::Integer(prefix.chars().count() as i64));
                let v = self.bind(Value::Text(prefix.clone()));
                format!(
                    "(json_type({doc}, ?{p}) = 'text' AND substr(json_extract({doc}, ?{p}), 1, ?{n}) = ?{v})"
                )
            }
            Cond::Range { field, min, max } => {
                let p = self.bind(Value::Text(json_path(field)));
                let lo = self.bind(Value::Integer(*min));
                let hi = self.bind(Value::Integer(*max));
                format!(
                    "(json_type({doc}, ?{p}) IN ('integer', 'real') AND json_extract({doc}, ?{p}) BETWEEN ?{lo} AND ?{hi})"
                )
            }
            Cond::AnyOf { path, any } => {
                let p = self.bind(Value::Text(json_path(path)));
                let alternatives: Vec<String> =
                    any.iter().map(|c| self.cond(c, "e.value")).collect();
                format!(
                    "EXISTS (SELECT 1 FROM json_each({doc}, ?{p}) AS e WHERE e.type = 'object' AND ({}))",
                    alternatives.join(" OR ")
                )
            }
        }
    }
}

/// Runs a search on the SQLite connection.
pub(crate) fn run(conn: &Connection, find: &Find) -> Result<Vec<serde_json::Value>> {
    find.validate()?;
    let mut st = Statement {
        params: vec![Value::Text(find.index.clone())],
    };
    let mut filters = vec![String::from("idx = ?1")];
    for cond in &find.all {
        filters.push(st.cond(cond, "doc"));
    }
    let order = match &find.sort_desc {
        Some(field) => {
            let p = st.bind(Value::Text(json_path(field)));
            format!("json_extract(doc, ?{p}) DESC, id")
        }
        None => "id".to_owned(),
    };
    let limit = st.bind(Value::Integer(find.limit as i64));
    let sql = format!(
        "SELECT doc FROM documents WHERE {} ORDER BY {order} LIMIT ?{limit}",
        filters.join(" AND ")
    );
    let mut statement = conn.prepare(&sql).map_err(Error::sqlite("prepare find"))?;
    let mut rows = statement
        .query(params_from_iter(st.params.iter()))
        .map_err(Error::sqlite("find"))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(Error::sqlite("find"))? {
        let text: String = row.get(0).map_err(Error::sqlite("read document"))?;
        let doc = serde_json::from_str(&text).map_err(|e| Error::UnexpectedResponse {
            op: "read document".into(),
            reason: e.to_string(),
        })?;
        out.push(project(doc, &find.fields));
    }
    Ok(out)
}
