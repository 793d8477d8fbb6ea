//! Aggregations: top-level metrics (`sum`, `min`, `max`, `avg`, `value_count`) and `composite`
//! with `terms` sources, `after` paging and metric sub-aggregations.

use serde_json::{Map, Value, json};

use super::composite::{Composite, parse_composite, run_composite};
use super::doc::{DocView, as_f64};
use super::mapping::FieldKind;
use super::reply::EsError;

/// One named aggregation of a search body.
#[derive(Debug)]
pub(crate) struct NamedAgg {
    name: String,
    agg: Agg,
}

#[derive(Debug)]
enum Agg {
    Metric(Metric),
    Composite(Composite),
}

/// A metric aggregation (also a composite's sub-aggregation).
#[derive(Debug)]
pub(crate) struct Metric {
    kind: MetricKind,
    field: String,
}

#[derive(Debug, Clone, Copy)]
enum MetricKind {
    Sum,
    Min,
    Max,
    Avg,
    ValueCount,
}

impl MetricKind {
    fn name(self) -> &'static str {
        match self {
            Self::Sum => "sum",
            Self::Min => "min",
            Self::Max => "max",
            Self::Avg => "avg",
            Self::ValueCount => "value_count",
        }
    }
}

/// Parses the `aggs` object of a search body.
///
/// # Errors
/// 400 for an unsupported or malformed aggregation.
pub(crate) fn parse(aggs: &Value) -> Result<Vec<NamedAgg>, EsError> {
    let object = aggs
        .as_object()
        .ok_or_else(|| EsError::parsing("Expected [START_OBJECT] under [aggregations]"))?;
    let mut out = Vec::with_capacity(object.len());
    for (name, definition) in object {
        let (kind, body, subs) = split_definition(name, definition)?;
        let agg = if kind == "composite" {
            let metrics = match subs {
                Some(subs) => parse_sub_metrics(name, subs)?,
                None => Vec::new(),
            };
            Agg::Composite(parse_composite(name, body, metrics)?)
        } else {
            Agg::Metric(parse_metric(name, kind, body, subs)?)
        };
        out.push(NamedAgg {
            name: name.clone(),
            agg,
        });
    }
    Ok(out)
}

/// `(type, body, sub-aggregations)` of one aggregation definition.
fn split_definition<'a>(
    name: &str,
    definition: &'a Value,
) -> Result<(&'a str, &'a Value, Option<&'a Value>), EsError> {
    let object = definition
        .as_object()
        .ok_or_else(|| EsError::parsing(format!("Expected [START_OBJECT] under [{name}]")))?;
    let mut kind = None;
    let mut subs = None;
    for (key, body) in object {
        match key.as_str() {
            "aggs" | "aggregations" => subs = Some(body),
            "meta" => {}
            _ => {
                if let Some((first, _)) = kind {
                    return Err(EsError::parsing(format!(
                        "Found two aggregation type definitions in [{name}]: [{first}] and [{key}]"
                    )));
                }
                kind = Some((key.as_str(), body));
            }
        }
    }
    let (kind, body) = kind
        .ok_or_else(|| EsError::parsing(format!("Missing definition for aggregation [{name}]")))?;
    Ok((kind, body, subs))
}

fn parse_metric(
    name: &str,
    kind: &str,
    body: &Value,
    subs: Option<&Value>,
) -> Result<Metric, EsError> {
    let kind = match kind {
        "sum" => MetricKind::Sum,
        "min" => MetricKind::Min,
        "max" => MetricKind::Max,
        "avg" => MetricKind::Avg,
        "value_count" => MetricKind::ValueCount,
        other => {
            return Err(EsError::parsing(format!(
                "Unknown aggregation type [{other}] (fake-es supports sum, min, max, avg, \
                 value_count and composite)"
            )));
        }
    };
    if subs
        .and_then(Value::as_object)
        .is_some_and(|s| !s.is_empty())
    {
        return Err(EsError::bad_request(
            "aggregation_initialization_exception",
            format!(
                "Aggregator [{name}] of type [{}] cannot accept sub-aggregations",
                kind.name()
            ),
        ));
    }
    if body.get("script").is_some() {
        return Err(EsError::parsing(format!(
            "[{name}]: scripts are not supported by fake-es"
        )));
    }
    let field = body
        .get("field")
        .and_then(Value::as_str)
        .ok_or_else(|| EsError::parsing(format!("[{name}] needs a [field]")))?;
    Ok(Metric {
        kind,
        field: field.to_owned(),
    })
}

fn parse_sub_metrics(parent: &str, subs: &Value) -> Result<Vec<(String, Metric)>, EsError> {
    let object = subs.as_object().ok_or_else(|| {
        EsError::parsing(format!("Expected [START_OBJECT] under [{parent}.aggs]"))
    })?;
    let mut out = Vec::with_capacity(object.len());
    for (name, definition) in object {
        let (kind, body, nested) = split_definition(name, definition)?;
        if kind == "composite" {
            return Err(EsError::illegal(format!(
                "[composite] aggregation cannot be used with a parent aggregation of type: \
                 [CompositeAggregationFactory] (in [{parent}])"
            )));
        }
        out.push((name.clone(), parse_metric(name, kind, body, nested)?));
    }
    Ok(out)
}

/// Runs the aggregations over the matching documents: the `aggregations` object of the reply.
///
/// # Errors
/// 400 when a composite source is a `text` field (no field data, as on a real cluster) or a
/// metric's field is not numeric.
pub(crate) fn run(aggs: &[NamedAgg], docs: &[DocView<'_>]) -> Result<Value, EsError> {
    let mut out = Map::new();
    for named in aggs {
        let value = match &named.agg {
            Agg::Metric(metric) => metric_value(metric, &docs.iter().collect::<Vec<_>>())?,
            Agg::Composite(composite) => run_composite(composite, docs)?,
        };
        out.insert(named.name.clone(), value);
    }
    Ok(Value::Object(out))
}

/// A metric's `{"value": ..}` over some documents: sums are 0.0 without values, min, max
/// and avg are null; numeric strings count as numbers.
///
/// # Errors
/// 400 when the field is mapped as text, keyword or object (except for `value_count`), as on a
/// real cluster.
pub(crate) fn metric_value(metric: &Metric, docs: &[&DocView<'_>]) -> Result<Value, EsError> {
    let (mut count, mut numeric) = (0_u32, 0_u32);
    let (mut sum, mut min, mut max) = (0.0_f64, f64::INFINITY, f64::NEG_INFINITY);
    for doc in docs {
        if let Some(kind) = doc.kind(&metric.field) {
            let unsupported = matches!(
                kind,
                FieldKind::Text | FieldKind::DynamicText | FieldKind::Keyword | FieldKind::Object
            );
            if unsupported && !matches!(metric.kind, MetricKind::ValueCount) {
                return Err(EsError::illegal(format!(
                    "Field [{}] of type [{}] is not supported for aggregation [{}]",
                    metric.field,
                    kind.type_name(),
                    metric.kind.name()
                )));
            }
        }
        for value in doc.values(&metric.field) {
            count = count.saturating_add(1);
            if let Some(x) = as_f64(value) {
                numeric = numeric.saturating_add(1);
                sum += x;
                min = min.min(x);
                max = max.max(x);
            }
        }
    }
    let value = match metric.kind {
        MetricKind::Sum => json!(sum),
        MetricKind::ValueCount => json!(count),
        _ if numeric == 0 => Value::Null,
        MetricKind::Min => json!(min),
        MetricKind::Max => json!(max),
        MetricKind::Avg => json!(sum / f64::from(numeric)),
    };
    Ok(json!({ "value": value }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::mapping::Mapping;
    use super::*;

    fn run_on(aggs: &Value, sources: &[Value]) -> Result<Value, EsError> {
        let mapping = Mapping::default();
        let docs: Vec<DocView<'_>> = sources
            .iter()
            .map(|source| DocView {
                index: "i",
                id: "x",
                source,
                mapping: &mapping,
            })
            .collect();
        run(&parse(aggs)?, &docs)
    }

    #[test]
    fn sum_is_zero_without_documents_and_parses_numeric_strings() {
        let aggs = json!({"s": {"sum": {"field": "n"}}, "m": {"max": {"field": "n"}}});
        let out = run_on(&aggs, &[]).expect("runs");
        assert_eq!(out["s"]["value"], json!(0.0));
        assert_eq!(out["m"]["value"], Value::Null);
        let out = run_on(&aggs, &[json!({"n": 2}), json!({"n": "3.5"}), json!({})]).expect("runs");
        assert_eq!(out["s"]["value"], json!(5.5));
        assert_eq!(out["m"]["value"], json!(3.5));
    }

    #[test]
    fn composite_sorts_pages_and_sums() {
        let docs = [
            json!({"svc": "b", "n": 1, "v": 1}),
            json!({"svc": "a", "n": 2, "v": 2}),
            json!({"svc": "a", "n": 2, "v": 3}),
            json!({"svc": "a", "n": 10, "v": 4}),
            json!({"n": 1, "v": 100}),
        ];
        let aggs = |after: Option<Value>| {
            let mut composite = json!({"size": 2, "sources": [{"svc": {"terms": {"field": "svc"}}}, {"n": {"terms": {"field": "n"}}}]});
            if let Some(after) = after {
                composite["after"] = after;
            }
            json!({"g": {"composite": composite, "aggs": {"total": {"sum": {"field": "v"}}}}})
        };
        let page1 = run_on(&aggs(None), &docs).expect("runs");
        assert_eq!(page1["g"]["buckets"][0]["key"], json!({"svc": "a", "n": 2}));
        assert_eq!(page1["g"]["buckets"][0]["doc_count"], 2);
        assert_eq!(page1["g"]["buckets"][0]["total"]["value"], json!(5.0));
        assert_eq!(
            page1["g"]["buckets"][1]["key"],
            json!({"svc": "a", "n": 10})
        );
        assert_eq!(page1["g"]["after_key"], json!({"svc": "a", "n": 10}));
        let page2 = run_on(&aggs(Some(page1["g"]["after_key"].clone())), &docs).expect("runs");
        assert_eq!(page2["g"]["buckets"].as_array().map(Vec::len), Some(1));
        assert_eq!(page2["g"]["buckets"][0]["key"], json!({"svc": "b", "n": 1}));
        let page3 = run_on(&aggs(Some(page2["g"]["after_key"].clone())), &docs).expect("runs");
        assert_eq!(page3["g"]["buckets"], json!([]));
        assert!(page3["g"].get("after_key").is_none());
    }

    #[test]
    fn unsupported_aggregations_are_rejected() {
        assert!(run_on(&json!({"t": {"terms": {"field": "a"}}}), &[]).is_err());
        assert!(
            run_on(
                &json!({"s": {"sum": {"field": "a"}, "aggs": {"x": {"sum": {"field": "b"}}}}}),
                &[]
            )
            .is_err()
        );
    }
}
