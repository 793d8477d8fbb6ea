//! `MonitorQuery.query` over the sink: what tarsweb reads the stat and property charts with
//! (framework facts §1.8, §6), served as `tars.tarsquerystat.QueryObj` and
//! `tars.tarsqueryproperty.QueryObj`.
//!
//! The request becomes a structured [`AggQuery`] on the index `<prefix><date>`: `tflag1` /
//! `tflag2` bound `f_tflag`, each condition is a filter, `indexs` are summed and `groupby`
//! groups. Fields are checked against the service's document fields; an unknown field or a
//! malformed date is answered with `ret = -1` and a message naming it.
//!
//! Differences from K8SFramework, on purpose: the reference adds `f_tflag` to every `GROUP BY`
//! and then keeps only the last row per requested group, so grouping by anything but `f_tflag`
//! returns one minute's sums instead of the day's; here groups are exactly the requested ones
//! and their sums cover every matching minute. A day without data answers an empty result
//! (the reference answers an Elasticsearch error).

use std::sync::Arc;

use bytes::Bytes;
use sink::{AggQuery, AggRow, Filter, FilterOp, KeyValue, Sink};
use tars_codec::TarsMap;
use tars_rpc::interfaces::monitor::{
    MonitorQueryArgs, MonitorQueryReq, MonitorQueryResult, MonitorQueryRsp, Op, QUERY,
};
use tars_rpc::{Reply, ReplyFuture, Request, Servant};

/// One queryable index family.
#[derive(Debug, Clone)]
pub struct QuerySpec {
    /// Index prefix, e.g. `tars_stat_`.
    pub index_prefix: String,
    /// Fields usable in conditions and `groupby`.
    pub fields: &'static [&'static str],
    /// Numeric fields usable in `indexs`.
    pub sum_fields: &'static [&'static str],
}

/// The MonitorQuery servant.
#[derive(Debug, Clone)]
pub struct MonitorQueryServant {
    spec: Arc<QuerySpec>,
    sink: Sink,
}

impl MonitorQueryServant {
    /// A servant answering from `sink`.
    pub fn new(spec: QuerySpec, sink: Sink) -> Self {
        Self {
            spec: Arc::new(spec),
            sink,
        }
    }

    /// Translates a request into a query, or explains what is wrong with it.
    ///
    /// # Errors
    /// A message for `MonitorQueryRsp.msg`.
    pub fn translate(&self, req: &MonitorQueryReq<'_>) -> Result<AggQuery, String> {
        let spec = &self.spec;
        let date = text(req.date, "date")?;
        if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("date {date:?} is not YYYYMMDD"));
        }
        let field = |name: &[u8], what: &str, allowed: &[&str]| -> Result<String, String> {
            let name = text(name, what)?;
            if allowed.contains(&name.as_str()) {
                Ok(name)
            } else {
                Err(format!(
                    "unknown field {name:?} in {what}; fields are: {}",
                    allowed.join(", ")
                ))
            }
        };
        let mut filters = Vec::new();
        for (bound, op) in [(req.tflag1, FilterOp::Gte), (req.tflag2, FilterOp::Lte)] {
            if !bound.is_empty() {
                filters.push(Filter {
                    field: "f_tflag".into(),
                    op,
                    value: text(bound, "tflag")?,
                });
            }
        }
        for c in &req.conditions {
            filters.push(Filter {
                field: field(c.field, "conditions", spec.fields)?,
                op: match c.op {
                    Op::Eq => FilterOp::Eq,
                    Op::Gt => FilterOp::Gt,
                    Op::Gte => FilterOp::Gte,
                    Op::Lt => FilterOp::Lt,
                    Op::Lte => FilterOp::Lte,
                    Op::Like => FilterOp::Like,
                },
                value: text(c.val, "condition value")?,
            });
        }
        let sums = req
            .indexs
            .iter()
            .map(|f| field(f, "indexs", spec.sum_fields))
            .collect::<Result<Vec<_>, _>>()?;
        let group_by = req
            .groupby
            .iter()
            .map(|f| field(f, "groupby", spec.fields))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AggQuery {
            index: format!("{}{date}", spec.index_prefix),
            filters,
            group_by,
            sums,
        })
    }
}

fn text(bytes: &[u8], what: &str) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| format!("{what} is not UTF-8"))
}

/// The reference's key: group values joined by `,`, numbers in C++ stream format.
pub fn group_key(keys: &[KeyValue]) -> String {
    let parts: Vec<String> = keys
        .iter()
        .map(|k| match k {
            KeyValue::Text(s) => s.clone(),
            KeyValue::Number(n) => cpp_double(*n),
        })
        .collect();
    parts.join(",")
}

/// Formats a double as a C++ `ostream` does by default (`%g`, 6 significant digits):
/// `5`, `0.333333`, `1.23457e+06`.
pub fn cpp_double(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return if v.is_nan() {
            "nan".into()
        } else if v > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let sci = format!("{v:.5e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        let decimals = (5 - exp).max(0) as usize;
        trim_zeros(&format!("{v:.decimals$}"))
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim_zeros(mantissa), exp.abs())
    }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s.to_owned()
    }
}

fn answer(ret_value: i32, msg: &str, rows: &[AggRow]) -> Reply {
    let keys: Vec<String> = rows.iter().map(|r| group_key(&r.keys)).collect();
    let mut result = TarsMap::with_capacity(rows.len());
    for (key, row) in keys.iter().zip(rows) {
        result.push(key.as_bytes(), row.sums.clone());
    }
    Reply::encode(&MonitorQueryResult {
        ret: ret_value,
        rsp: MonitorQueryRsp {
            ret: ret_value,
            msg: msg.as_bytes(),
            last_time: b"",
            active_db: 0,
            total_db: 0,
            ret_threads: Vec::new(),
            result,
        },
    })
}

impl Servant for MonitorQueryServant {
    fn call(&self, request: Request) -> ReplyFuture {
        if request.func_name != QUERY.as_bytes() {
            let reply = Reply::no_function("MonitorQuery", &request.func_name);
            return Box::pin(async move { reply });
        }
        let query = match request.args::<MonitorQueryArgs<'_>>() {
            Ok(args) => self.translate(&args.req),
            Err(error) => {
                let reply = Reply::decode_error(&error);
                return Box::pin(async move { reply });
            }
        };
        let sink = self.sink.clone();
        Box::pin(async move {
            match query {
                Err(msg) => answer(-1, &msg, &[]),
                Ok(query) => match sink.query(&query).await {
                    Ok(rows) => answer(0, "", &rows),
                    Err(error) => {
                        tracing::warn!(message = "Monitor query failed.", %error, index = %query.index);
                        answer(-1, &error.to_string(), &[])
                    }
                },
            }
        })
    }
}

/// Encoded answer bytes for tests: the `MonitorQueryResult` of `rows`.
pub fn encode_answer(rows: &[AggRow]) -> Bytes {
    match answer(0, "", rows) {
        Reply::Ok(bytes) => bytes,
        Reply::Err { .. } => Bytes::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_cpp_streams() {
        for (v, want) in [
            (5.0, "5"),
            (9000.0, "9000"),
            (0.333_333_333, "0.333333"),
            (1_234_567.0, "1.23457e+06"),
            (123_456.0, "123456"),
            (0.0001, "0.0001"),
            (0.000_012_3, "1.23e-05"),
            (-2.5, "-2.5"),
            (0.0, "0"),
        ] {
            assert_eq!(cpp_double(v), want, "{v}");
        }
    }

    #[test]
    fn group_keys_join_values_with_commas() {
        let keys = [KeyValue::Text("0960".into()), KeyValue::Number(8080.0)];
        assert_eq!(group_key(&keys), "0960,8080");
        assert_eq!(group_key(&[]), "");
    }
}
