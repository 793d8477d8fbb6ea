//! The `filter_path` response parameter: keep only the listed paths (`a.b`, `*` in a name,
//! `**` for any depth), then drop the `-`-prefixed ones. Emptied objects and arrays disappear,
//! as on a real cluster (`filter_path=errors,items.*.error` leaves only failed items).

use serde_json::{Map, Value};

use super::pattern::glob;

/// Applies a `filter_path` value to a reply body.
pub(crate) fn apply(body: Value, spec: &str) -> Value {
    let mut include: Vec<Vec<String>> = Vec::new();
    let mut exclude: Vec<Vec<String>> = Vec::new();
    for filter in spec.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        match filter.strip_prefix('-') {
            Some(excluded) => exclude.push(split(excluded)),
            None => include.push(split(filter)),
        }
    }
    let mut body = if include.is_empty() {
        body
    } else {
        let filters: Vec<&[String]> = include.iter().map(Vec::as_slice).collect();
        keep(body, &filters).unwrap_or_else(|| Value::Object(Map::new()))
    };
    if !exclude.is_empty() {
        let filters: Vec<&[String]> = exclude.iter().map(Vec::as_slice).collect();
        remove(&mut body, &filters);
    }
    body
}

fn split(filter: &str) -> Vec<String> {
    filter.split('.').map(str::to_owned).collect()
}

/// For field `key`: whether some filter ends here, and the filters that continue below it.
fn descend<'f>(filters: &[&'f [String]], key: &str) -> (bool, Vec<&'f [String]>) {
    let mut ends = false;
    let mut next = Vec::new();
    for &filter in filters {
        let Some((first, rest)) = filter.split_first() else {
            continue;
        };
        if first == "**" {
            // `**` matches this level and deeper ones...
            next.push(filter);
            // ...or no level at all.
            match rest.split_first() {
                None => ends = true,
                Some((second, after)) if glob(second, key) => {
                    if after.is_empty() {
                        ends = true;
                    } else {
                        next.push(after);
                    }
                }
                Some(_) => {}
            }
        } else if glob(first, key) {
            if rest.is_empty() {
                ends = true;
            } else {
                next.push(rest);
            }
        }
    }
    (ends, next)
}

fn keep(value: Value, filters: &[&[String]]) -> Option<Value> {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, child) in map {
                let (ends, next) = descend(filters, &key);
                let kept = if ends {
                    Some(child)
                } else if next.is_empty() {
                    None
                } else {
                    keep(child, &next)
                };
                if let Some(kept) = kept {
                    out.insert(key, kept);
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        Value::Array(items) => {
            let kept: Vec<Value> = items.into_iter().filter_map(|v| keep(v, filters)).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        _ => None,
    }
}

fn remove(value: &mut Value, filters: &[&[String]]) {
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let (ends, next) = descend(filters, &key);
                if ends {
                    map.remove(&key);
                } else if let Some(child) = map.get_mut(&key).filter(|_| !next.is_empty()) {
                    remove(child, &next);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                remove(item, filters);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn bulk_reply() -> Value {
        json!({
            "took": 3,
            "errors": true,
            "items": [
                {"index": {"_id": "1", "status": 201}},
                {"create": {"_id": "2", "status": 409, "error": {"type": "x"}}}
            ]
        })
    }

    #[test]
    fn include_keeps_only_matching_paths_and_drops_empty_items() {
        let out = apply(bulk_reply(), "errors,items.*.error");
        assert_eq!(
            out,
            json!({"errors": true, "items": [{"create": {"error": {"type": "x"}}}]})
        );
        assert_eq!(apply(bulk_reply(), "nothing"), json!({}));
        assert_eq!(
            apply(bulk_reply(), "**.status")["items"][1]["create"]["status"],
            409
        );
        assert_eq!(apply(bulk_reply(), "tO*"), json!({}));
        assert_eq!(apply(bulk_reply(), "to*"), json!({"took": 3}));
    }

    #[test]
    fn exclude_removes_paths() {
        let out = apply(bulk_reply(), "-items,-took");
        assert_eq!(out, json!({"errors": true}));
    }
}
