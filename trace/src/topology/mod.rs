//! `tars.tarslog.TopologyObj` (port 13030): tarsweb's call-chain pages read traces and call
//! graphs through it. Answers are built from the documents the pipeline writes, through
//! structured searches on Elasticsearch / OpenSearch or SQLite.
//!
//! Differences from the reference, on purpose: values are passed as values (the reference
//! spliced them into JSON text); `listTrace`/`listTraceSummary` match master or slave exactly
//! (the reference used an analyzed `match`, which also found `A.B` for `A`); an empty server
//! name lists every trace; a date may be written `YYYY-MM-DD` too; a day without documents
//! answers 0 and nothing (the reference answered -1 when the index did not exist); a date that
//! is not a date answers -1 without asking the store.

mod answer;

use std::sync::Arc;

use tars_rpc::interfaces::topology::{
    DateNameArgs, GRAPH_FUNCTION, GRAPH_SERVER, GRAPH_TRACE, Graph, GraphTraceResult, GraphsResult,
    LIST_FUNCTION, LIST_TRACE, LIST_TRACE_SUMMARY, ListTraceSummaryArgs, ListTraceSummaryResult,
    NamesResult,
};
use tars_rpc::{Reply, ReplyFuture, Request, Servant};

use crate::graph::GraphKind;
use crate::metrics::Metrics;

pub use answer::trace_graph as trace_detail_graph;

/// The Topology servant. Clones share the store handle.
#[derive(Debug, Clone)]
pub struct TopologyServant {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    sink: sink::Sink,
    metrics: Metrics,
}

/// A `YYYYMMDD` day from `YYYYMMDD` or `YYYY-MM-DD`.
fn day(date: &[u8]) -> Option<String> {
    let digits: Vec<u8> = match date.len() {
        8 => date.to_vec(),
        10 if date[4] == b'-' && date[7] == b'-' => [&date[..4], &date[5..7], &date[8..]].concat(),
        _ => return None,
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let text = std::str::from_utf8(&digits).ok()?;
    // A calendar day: 20241399 is refused like any text that is not a date.
    jiff::civil::Date::strptime("%Y%m%d", text).ok()?;
    Some(text.to_owned())
}

impl TopologyServant {
    /// A servant answering from `sink`.
    pub fn new(sink: sink::Sink, metrics: Metrics) -> Self {
        Self {
            inner: Arc::new(Inner { sink, metrics }),
        }
    }
}

impl Inner {
    /// Runs `find`, counting the outcome; `None` (and a warning) when the store fails.
    async fn find(
        &self,
        method: &'static str,
        find: &sink::Find,
    ) -> Option<Vec<serde_json::Value>> {
        match self.sink.find(find).await {
            Ok(docs) => {
                self.metrics.query(method, "ok");
                Some(docs)
            }
            Err(error) => {
                self.metrics.query(method, "error");
                tracing::warn!(message = "A Topology query failed.", method, index = %find.index, %error);
                None
            }
        }
    }

    fn bad_date(&self, method: &'static str, date: &[u8]) {
        self.metrics.query(method, "bad_date");
        tracing::debug!(
            message = "A Topology call with a date that is not YYYYMMDD.",
            method,
            date = %String::from_utf8_lossy(date)
        );
    }

    async fn graphs(
        &self,
        method: &'static str,
        kind: GraphKind,
        args: &DateNameArgs<'_>,
    ) -> Reply {
        let failed = || {
            Reply::encode(&GraphsResult {
                ret: -1,
                graph: Vec::new(),
            })
        };
        let Some(day) = day(args.date) else {
            self.bad_date(method, args.date);
            return failed();
        };
        let name = String::from_utf8_lossy(args.name);
        let Some(docs) = self
            .find(method, &answer::graphs_with_vertex(&day, kind, &name))
            .await
        else {
            return failed();
        };
        Reply::encode(&GraphsResult {
            ret: 0,
            graph: docs.iter().map(answer::graph_answer).collect(),
        })
    }

    async fn graph_trace(&self, args: &DateNameArgs<'_>) -> Reply {
        let failed = || {
            Reply::encode(&GraphTraceResult {
                ret: -1,
                graph: Graph::default(),
            })
        };
        let Some(day) = day(args.date) else {
            self.bad_date(GRAPH_TRACE, args.date);
            return failed();
        };
        let trace = String::from_utf8_lossy(args.name);
        let Some(docs) = self
            .find(GRAPH_TRACE, &answer::trace_by_id(&day, &trace))
            .await
        else {
            return failed();
        };
        let graph = docs.first().map(answer::trace_answer).unwrap_or_default();
        Reply::encode(&GraphTraceResult { ret: 0, graph })
    }

    async fn list_function(&self, args: &DateNameArgs<'_>) -> Reply {
        let failed = || {
            Reply::encode(&NamesResult {
                ret: -1,
                names: Vec::new(),
            })
        };
        let Some(day) = day(args.date) else {
            self.bad_date(LIST_FUNCTION, args.date);
            return failed();
        };
        let server = String::from_utf8_lossy(args.name);
        let Some(docs) = self
            .find(LIST_FUNCTION, &answer::functions_of(&day, &server))
            .await
        else {
            return failed();
        };
        Reply::encode(&NamesResult {
            ret: 0,
            names: answer::function_names(&docs, &server),
        })
    }

    async fn list_trace(&self, args: &DateNameArgs<'_>) -> Reply {
        let failed = || {
            Reply::encode(&NamesResult {
                ret: -1,
                names: Vec::new(),
            })
        };
        let Some(day) = day(args.date) else {
            self.bad_date(LIST_TRACE, args.date);
            return failed();
        };
        let server = String::from_utf8_lossy(args.name);
        let find = answer::traces_of(&day, &server, 0, i64::MAX);
        let Some(docs) = self.find(LIST_TRACE, &find).await else {
            return failed();
        };
        Reply::encode(&NamesResult {
            ret: 0,
            names: answer::summaries(&docs)
                .into_iter()
                .map(|s| s.name)
                .collect(),
        })
    }

    async fn list_trace_summary(&self, args: &ListTraceSummaryArgs<'_>) -> Reply {
        let failed = || {
            Reply::encode(&ListTraceSummaryResult {
                ret: -1,
                ts: Vec::new(),
            })
        };
        let Some(day) = day(args.date) else {
            self.bad_date(LIST_TRACE_SUMMARY, args.date);
            return failed();
        };
        if args.begin_time > args.end_time {
            self.metrics.query(LIST_TRACE_SUMMARY, "ok");
            return Reply::encode(&ListTraceSummaryResult {
                ret: 0,
                ts: Vec::new(),
            });
        }
        let server = String::from_utf8_lossy(args.server_name);
        let find = answer::traces_of(&day, &server, args.begin_time, args.end_time);
        let Some(docs) = self.find(LIST_TRACE_SUMMARY, &find).await else {
            return failed();
        };
        Reply::encode(&ListTraceSummaryResult {
            ret: 0,
            ts: answer::summaries(&docs),
        })
    }

    async fn answer(&self, request: Request) -> Reply {
        let func = request.func_name.clone();
        macro_rules! args {
            () => {
                match request.args() {
                    Ok(args) => args,
                    Err(e) => return Reply::decode_error(&e),
                }
            };
        }
        match &*func {
            f if f == GRAPH_SERVER.as_bytes() => {
                self.graphs(GRAPH_SERVER, GraphKind::Server, &args!()).await
            }
            f if f == GRAPH_FUNCTION.as_bytes() => {
                self.graphs(GRAPH_FUNCTION, GraphKind::Function, &args!())
                    .await
            }
            f if f == GRAPH_TRACE.as_bytes() => self.graph_trace(&args!()).await,
            f if f == LIST_FUNCTION.as_bytes() => self.list_function(&args!()).await,
            f if f == LIST_TRACE.as_bytes() => self.list_trace(&args!()).await,
            f if f == LIST_TRACE_SUMMARY.as_bytes() => self.list_trace_summary(&args!()).await,
            other => Reply::no_function("Topology", other),
        }
    }
}

impl Servant for TopologyServant {
    fn call(&self, request: Request) -> ReplyFuture {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move { inner.answer(request).await })
    }
}

#[cfg(test)]
mod tests {
    use super::day;

    #[test]
    fn dates_are_days_in_either_spelling() {
        assert_eq!(day(b"20240328").as_deref(), Some("20240328"));
        assert_eq!(day(b"2024-03-28").as_deref(), Some("20240328"));
        assert_eq!(day(b"2024032"), None);
        assert_eq!(day(b"2024/03/28"), None);
        assert_eq!(day(b"../x/../"), None);
        assert_eq!(day(b"2024-03-2x"), None);
        assert_eq!(day(b"20241399"), None, "not a calendar day");
        assert_eq!(day(b"2024-02-30"), None);
    }
}
