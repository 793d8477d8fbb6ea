//! The fake cluster's data and fault controls, shared by the server and the test that drives it.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::flavour::{Flavour, IsmPolicy};
use super::mapping::{FieldKind, Mapping};
use super::pattern::glob;
use super::reply::EsError;

/// A fault injected into `_bulk` requests (other endpoints are never faulted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The whole request is answered with this HTTP status and an Elasticsearch error body
    /// (429: `es_rejected_execution_exception`; 502..=504: `unavailable_shards_exception`;
    /// 500: `exception`); nothing is stored.
    Status(u16),
    /// Every `every`-th item (1-based: items where `(i + 1) % every == 0`) fails with `status`
    /// (429: `es_rejected_execution_exception`, 400: `mapper_parsing_exception`, 5xx:
    /// `unavailable_shards_exception` or `exception`); the others are processed normally and
    /// the reply says `"errors": true`.
    ItemStatus {
        /// The failed items' status.
        status: u16,
        /// Which items fail; 0 counts as 1 (every item).
        every: usize,
    },
    /// The TCP connection is closed without an answer.
    Reset,
    /// Every item is processed and stored, then the request is answered with this status and
    /// an error body anyway: a reply lost after the write, to test idempotent replays.
    StoreThenStatus(u16),
}

/// A handle to the fake cluster's data and fault controls; clones share them (O(1), an `Arc`).
///
/// It outlives a [`super::FakeEs`]: pass it to [`super::FakeEs::start_on`] to restart a stopped
/// server with the same data.
#[derive(Debug, Clone, Default)]
pub struct FakeEsState(Arc<Mutex<Inner>>);

impl FakeEsState {
    /// An empty cluster with no faults and no delay.
    pub fn new() -> Self {
        Self::default()
    }

    /// Locks the data; a panic in another holder does not poison it for the test.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The documents of an index or data stream as `(id, _source)`, sorted by id; empty if the
    /// index does not exist.
    pub fn docs(&self, index: &str) -> Vec<(String, Value)> {
        self.lock()
            .indices
            .get(index)
            .map(|index| {
                index
                    .docs
                    .iter()
                    .map(|(id, doc)| (id.clone(), doc.source.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The number of documents in all indices.
    pub fn doc_count(&self) -> usize {
        self.lock()
            .indices
            .values()
            .map(|index| index.docs.len())
            .sum()
    }

    /// The names of all indices and data streams, sorted.
    pub fn indices(&self) -> Vec<String> {
        self.lock().indices.keys().cloned().collect()
    }

    /// How many successful `index`/`create` writes hit each `(index, id)`; kept when an index
    /// is deleted.
    pub fn write_counts(&self) -> HashMap<(String, String), u32> {
        self.lock().write_counts.clone()
    }

    /// The number of `_bulk` HTTP requests received, faulted and malformed ones included.
    pub fn bulk_requests(&self) -> usize {
        self.lock().bulk_requests
    }

    /// Makes the fake answer as `flavour` from now on (Elasticsearch by default).
    pub fn set_flavour(&self, flavour: Flavour) {
        self.lock().flavour = flavour;
    }

    /// The stored ISM policies (OpenSearch): id to the `policy` object as stored.
    pub fn ism_policies(&self) -> HashMap<String, Value> {
        self.lock()
            .ism_policies
            .iter()
            .map(|(id, p)| (id.clone(), p.policy.clone()))
            .collect()
    }

    /// The stored lifecycle policies: name to the body as `PUT` (`{"policy": ...}`).
    pub fn ilm_policies(&self) -> HashMap<String, Value> {
        self.lock()
            .ilm_policies
            .iter()
            .map(|(name, policy)| (name.clone(), policy.body.clone()))
            .collect()
    }

    /// The stored index templates: name to the body as `PUT`.
    pub fn index_templates(&self) -> HashMap<String, Value> {
        self.lock()
            .index_templates
            .iter()
            .map(|(name, body)| (name.clone(), body.clone()))
            .collect()
    }

    /// Queues a fault; each queued fault is consumed by one `_bulk` request, first in first out.
    pub fn push_fault(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// Sets (or clears) a fault for every `_bulk` request that finds the queue empty.
    pub fn set_standing_fault(&self, fault: Option<Fault>) {
        self.lock().standing_fault = fault;
    }

    /// Holds back every reply (of any endpoint) for `delay`; the request itself is handled at
    /// once, so a client that times out has still had its write applied.
    pub fn set_delay(&self, delay: Duration) {
        self.lock().delay = delay;
    }

    /// The current reply delay.
    pub(crate) fn delay(&self) -> Duration {
        self.lock().delay
    }
}

/// Everything behind the lock.
#[derive(Debug, Default)]
pub(crate) struct Inner {
    /// Indices and data streams by name.
    pub(crate) indices: BTreeMap<String, Index>,
    pub(crate) write_counts: HashMap<(String, String), u32>,
    pub(crate) bulk_requests: usize,
    pub(crate) ilm_policies: BTreeMap<String, Policy>,
    pub(crate) index_templates: BTreeMap<String, Value>,
    /// Which server the fake is.
    pub(crate) flavour: Flavour,
    /// OpenSearch ISM policies by id.
    pub(crate) ism_policies: BTreeMap<String, IsmPolicy>,
    faults: VecDeque<Fault>,
    standing_fault: Option<Fault>,
    delay: Duration,
    next_id: u64,
}

/// A stored lifecycle policy.
#[derive(Debug)]
pub(crate) struct Policy {
    /// The body as `PUT`.
    pub(crate) body: Value,
    /// 1 on creation, incremented by each update.
    pub(crate) version: u64,
}

/// An index or a data stream.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub(crate) docs: BTreeMap<String, Doc>,
    pub(crate) mapping: Mapping,
    /// Set when this is a data stream.
    pub(crate) data_stream: Option<DataStream>,
    next_seq_no: u64,
}

/// What makes an index a data stream.
#[derive(Debug)]
pub(crate) struct DataStream {
    /// `.ds-<name>-<yyyy.mm.dd>-000001`, the `_index` replies show.
    pub(crate) backing_index: String,
    /// The index template that created it.
    pub(crate) template: String,
}

/// A stored document.
#[derive(Debug)]
pub(crate) struct Doc {
    pub(crate) source: Value,
    pub(crate) version: u64,
    pub(crate) seq_no: u64,
}

impl Index {
    /// The `_index` replies show: a data stream's backing index, else the name itself.
    pub(crate) fn display_name<'a>(&'a self, name: &'a str) -> &'a str {
        self.data_stream
            .as_ref()
            .map_or(name, |ds| ds.backing_index.as_str())
    }

    /// The next sequence number of this index.
    pub(crate) fn next_seq_no(&mut self) -> u64 {
        let seq_no = self.next_seq_no;
        self.next_seq_no += 1;
        seq_no
    }
}

impl Inner {
    /// The fault for the next `_bulk` request: the queue's head, else the standing fault.
    pub(crate) fn take_fault(&mut self) -> Option<Fault> {
        self.faults.pop_front().or(self.standing_fault)
    }

    /// A new unique document id (20 characters, like Elasticsearch's).
    pub(crate) fn next_auto_id(&mut self) -> String {
        self.next_id += 1;
        format!("fake-es-id-{:09}", self.next_id)
    }

    /// The index template that applies to `index`: the highest `priority` among those whose
    /// `index_patterns` match.
    pub(crate) fn template_for(&self, index: &str) -> Option<(&str, &Value)> {
        template_for(&self.index_templates, index)
    }

    /// The index named `name`, created first (as a data stream if its template says so) if
    /// it does not exist.
    pub(crate) fn ensure_index(&mut self, name: &str) -> &mut Index {
        let templates = &self.index_templates;
        self.indices
            .entry(name.to_owned())
            .or_insert_with(|| new_index(templates, name))
    }

    /// The indices an expression names, sorted: comma-separated names, `*` globs and `_all`
    /// (which skip `.`-hidden names unless the pattern starts with `.`), and `-name` exclusions
    /// after a glob.
    ///
    /// # Errors
    /// `index_not_found_exception` for a missing concrete name, unless `ignore_unavailable`.
    pub(crate) fn resolve(
        &self,
        expr: &str,
        ignore_unavailable: bool,
    ) -> Result<Vec<String>, EsError> {
        let mut out = BTreeSet::new();
        let mut wildcard_seen = false;
        for part in expr.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if let Some(excluded) = part.strip_prefix('-').filter(|_| wildcard_seen) {
                out.retain(|name: &String| !glob(excluded, name));
            } else if part == "_all" || part.contains('*') {
                wildcard_seen = true;
                let pattern = if part == "_all" { "*" } else { part };
                let hidden_ok = pattern.starts_with('.');
                out.extend(
                    self.indices
                        .keys()
                        .filter(|name| glob(pattern, name.as_str()))
                        .filter(|name| hidden_ok || !name.starts_with('.'))
                        .cloned(),
                );
            } else if self.indices.contains_key(part) {
                out.insert(part.to_owned());
            } else if !ignore_unavailable {
                return Err(EsError::index_not_found(part));
            }
        }
        Ok(out.into_iter().collect())
    }
}

/// The `index_patterns` of a template body: a string or an array of strings.
pub(crate) fn patterns(template: &Value) -> Vec<&str> {
    match template.get("index_patterns") {
        Some(Value::String(pattern)) => vec![pattern.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn template_for<'a>(
    templates: &'a BTreeMap<String, Value>,
    index: &str,
) -> Option<(&'a str, &'a Value)> {
    templates
        .iter()
        .filter(|(_, body)| patterns(body).iter().any(|p| glob(p, index)))
        .max_by_key(|(_, body)| body.get("priority").and_then(Value::as_i64).unwrap_or(0))
        .map(|(name, body)| (name.as_str(), body))
}

/// A new index: the matching template's mappings, and a data stream if the template has a
/// `data_stream` object.
fn new_index(templates: &BTreeMap<String, Value>, name: &str) -> Index {
    let mut index = Index::default();
    if let Some((template_name, body)) = template_for(templates, name) {
        if let Some(mappings) = body.pointer("/template/mappings") {
            index.mapping.declare(mappings);
        }
        if body.get("data_stream").is_some_and(Value::is_object) {
            index
                .mapping
                .declare_if_absent("@timestamp", FieldKind::Date);
            index.data_stream = Some(DataStream {
                backing_index: backing_index_name(name),
                template: template_name.to_owned(),
            });
        }
    }
    index
}

/// Checks an index name the way Elasticsearch does when it creates one.
///
/// # Errors
/// `invalid_index_name_exception` (400) naming the rule broken.
pub(crate) fn validate_index_name(name: &str) -> Result<(), EsError> {
    const FORBIDDEN: &[char] = &['\\', '/', '*', '?', '"', '<', '>', '|', ' ', ',', '#'];
    let problem = if name.is_empty() {
        Some("must not be empty".to_owned())
    } else if name != name.to_lowercase() {
        Some("must be lowercase".to_owned())
    } else if name.starts_with(['_', '-', '+']) {
        Some("must not start with '_', '-', or '+'".to_owned())
    } else if name.contains(FORBIDDEN) {
        Some(
            r#"must not contain the following characters [ , ", *, \, <, |, ,, >, /, ?]"#
                .to_owned(),
        )
    } else if name.contains(':') {
        Some("must not contain ':'".to_owned())
    } else if name == "." || name == ".." {
        Some("must not be '.' or '..'".to_owned())
    } else if name.len() > 255 {
        Some(format!("index name is too long, ({} > 255)", name.len()))
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(EsError::bad_request(
            "invalid_index_name_exception",
            format!("Invalid index name [{name}], {problem}"),
        )
        .with("index", name)
        .with("index_uuid", "_na_")),
    }
}

/// `.ds-<stream>-<today, UTC>-000001`, the name of a data stream's first backing index.
fn backing_index_name(stream: &str) -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() / 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(".ds-{stream}-{year:04}.{month:02}.{day:02}-000001")
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn civil_from_days_matches_known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_810), (2024, 3, 28));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn index_names_follow_elasticsearch_rules() {
        assert!(validate_index_name("tars_stat_20240328").is_ok());
        assert!(validate_index_name(".hidden").is_ok());
        for bad in ["", "Upper", "_x", "-x", "a b", "a*", "a:b", ".", ".."] {
            assert!(validate_index_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolve_handles_globs_lists_exclusions_and_missing() {
        let mut inner = Inner::default();
        for name in ["a1", "a2", "b1", ".hidden"] {
            inner.ensure_index(name);
        }
        assert_eq!(
            inner.resolve("a*", false).ok(),
            Some(vec!["a1".into(), "a2".into()])
        );
        assert_eq!(inner.resolve("a*,-a2", false).ok(), Some(vec!["a1".into()]));
        assert_eq!(inner.resolve("_all", false).map(|v| v.len()).ok(), Some(3));
        assert_eq!(inner.resolve("b1,zz", true).ok(), Some(vec!["b1".into()]));
        assert_eq!(
            inner.resolve("zz", false).map_err(|e| e.status).err(),
            Some(404)
        );
        assert_eq!(inner.resolve("z*", false).ok(), Some(Vec::new()));
    }

    #[test]
    fn data_stream_templates_make_data_streams() {
        let mut inner = Inner::default();
        inner.index_templates.insert(
            "t".into(),
            json!({"index_patterns": "logs-*", "data_stream": {}, "priority": 5}),
        );
        inner
            .index_templates
            .insert("u".into(), json!({"index_patterns": ["logs-*"]}));
        assert!(inner.ensure_index("logs-x").data_stream.is_some());
        assert!(inner.ensure_index("other").data_stream.is_none());
    }
}
