//! Reading a `_bulk` answer item by item: Elasticsearch answers 200 even when items failed.

use serde::Deserialize;

/// What to do with one document after a bulk answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ItemFate {
    /// Written (or, for `create`, already there: a replay of a stored document).
    Stored,
    /// Try again later: 429, 408, 5xx.
    Retry,
    /// Refused for good (mapping errors and other 4xx), with the reason.
    Reject { status: u16, reason: String },
}

#[derive(Deserialize)]
struct BulkAnswer {
    items: Vec<Envelope>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Envelope {
    Index(ItemAnswer),
    Create(ItemAnswer),
    Update(ItemAnswer),
    Delete(ItemAnswer),
}

#[derive(Deserialize)]
struct ItemAnswer {
    status: u16,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

/// Whether a whole-request or item status is worth retrying.
pub(crate) fn is_retriable(status: u16) -> bool {
    matches!(status, 408 | 429 | 500..=599)
}

/// Classifies every item of a 2xx bulk answer. `None` when the body is not a bulk answer for
/// `expected` items (then the whole request is retried).
pub(crate) fn classify(body: &[u8], expected: usize) -> Option<Vec<ItemFate>> {
    let answer: BulkAnswer = serde_json::from_slice(body).ok()?;
    if answer.items.len() != expected {
        return None;
    }
    let fates = answer
        .items
        .into_iter()
        .map(|envelope| {
            let (item, create) = match envelope {
                Envelope::Create(item) => (item, true),
                Envelope::Index(item) | Envelope::Update(item) | Envelope::Delete(item) => {
                    (item, false)
                }
            };
            match item.status {
                200..=299 => ItemFate::Stored,
                409 if create => ItemFate::Stored,
                s if is_retriable(s) => ItemFate::Retry,
                status => ItemFate::Reject {
                    status,
                    reason: describe(item.error.as_ref()),
                },
            }
        })
        .collect();
    Some(fates)
}

fn describe(error: Option<&serde_json::Value>) -> String {
    match error {
        Some(e) => {
            let kind = e.get("type").and_then(|v| v.as_str()).unwrap_or("error");
            let reason = e.get("reason").and_then(|v| v.as_str()).unwrap_or("");
            format!("{kind}: {reason}")
        }
        None => String::from("no reason given"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_classified_by_status() {
        let body = br#"{"took":3,"errors":true,"items":[
            {"index":{"_index":"a","_id":"1","status":201,"result":"created"}},
            {"index":{"_index":"a","_id":"2","status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}},
            {"index":{"_index":"a","_id":"3","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [x]"}}},
            {"create":{"_index":"a","_id":"4","status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}},
            {"index":{"_index":"a","_id":"5","status":503}}
        ]}"#;
        let fates = classify(body, 5).expect("a bulk answer");
        assert_eq!(fates[0], ItemFate::Stored);
        assert_eq!(fates[1], ItemFate::Retry);
        assert_eq!(
            fates[2],
            ItemFate::Reject {
                status: 400,
                reason: "mapper_parsing_exception: failed to parse field [x]".into()
            }
        );
        assert_eq!(
            fates[3],
            ItemFate::Stored,
            "create of an existing id is a replay"
        );
        assert_eq!(fates[4], ItemFate::Retry);
    }

    #[test]
    fn a_short_or_foreign_answer_is_not_trusted() {
        assert!(classify(br#"{"items":[]}"#, 1).is_none());
        assert!(classify(b"<html>proxy error</html>", 1).is_none());
    }
}
