//! A `tars.tarslog.TopologyObj` client: the six calls tarsweb's call-chain pages make.

use std::net::SocketAddr;
use std::time::Duration;

use tars_rpc::Client;
use tars_rpc::interfaces::topology::{
    DateNameArgs, GRAPH_FUNCTION, GRAPH_SERVER, GRAPH_TRACE, Graph, GraphTraceResult, GraphsResult,
    LIST_FUNCTION, LIST_TRACE, LIST_TRACE_SUMMARY, ListTraceSummaryArgs, ListTraceSummaryResult,
    NamesResult, Summary, TOPOLOGY_OBJ,
};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to `TopologyObj`.
#[derive(Debug, Clone)]
pub struct Topology {
    client: Client,
}

impl Topology {
    /// Connects to `addr`.
    ///
    /// # Panics
    ///
    /// When it cannot connect (a test helper).
    pub async fn connect(addr: SocketAddr) -> Self {
        Self {
            client: Client::connect(addr).await.expect("connect to TopologyObj"),
        }
    }

    async fn date_name<R>(
        &self,
        func: &str,
        date: &str,
        name: &str,
        decode: impl FnOnce(&tars_rpc::Response) -> R,
    ) -> R {
        let args = DateNameArgs {
            date: date.as_bytes(),
            name: name.as_bytes(),
        };
        let answer = self
            .client
            .call(TOPOLOGY_OBJ, func, &args, TIMEOUT)
            .await
            .unwrap_or_else(|e| panic!("{func}: {e}"));
        assert_eq!(answer.ret, 0, "{func}: {answer:?}");
        decode(&answer)
    }

    /// `graphServer(date, serverName)`: (ret, graphs).
    ///
    /// # Panics
    ///
    /// When the call or its decoding fails.
    pub async fn graph_server(&self, date: &str, server: &str) -> (i32, Vec<Graph>) {
        self.date_name(GRAPH_SERVER, date, server, |a| {
            let r: GraphsResult = a.decode().expect("decode graphServer");
            (r.ret, r.graph)
        })
        .await
    }

    /// `graphFunction(date, functionName)`.
    ///
    /// # Panics
    ///
    /// When the call or its decoding fails.
    pub async fn graph_function(&self, date: &str, function: &str) -> (i32, Vec<Graph>) {
        self.date_name(GRAPH_FUNCTION, date, function, |a| {
            let r: GraphsResult = a.decode().expect("decode graphFunction");
            (r.ret, r.graph)
        })
        .await
    }

    /// `graphTrace(date, traceId)`.
    ///
    /// # Panics
    ///
    /// When the call or its decoding fails.
    pub async fn graph_trace(&self, date: &str, trace: &str) -> (i32, Graph) {
        self.date_name(GRAPH_TRACE, date, trace, |a| {
            let r: GraphTraceResult = a.decode().expect("decode graphTrace");
            (r.ret, r.graph)
        })
        .await
    }

    /// `listFunction(date, serverName)`.
    ///
    /// # Panics
    ///
    /// When the call or its decoding fails.
    pub async fn list_function(&self, date: &str, server: &str) -> (i32, Vec<String>) {
        self.date_name(LIST_FUNCTION, date, server, |a| {
            let r: NamesResult = a.decode().expect("decode listFunction");
            (r.ret, r.names)
        })
        .await
    }

    /// `listTrace(date, serverName)`.
    ///
    /// # Panics
    ///
    /// When the call or its decoding fails.
    pub async fn list_trace(&self, date: &str, server: &str) -> (i32, Vec<String>) {
        self.date_name(LIST_TRACE, date, server, |a| {
            let r: NamesResult = a.decode().expect("decode listTrace");
            (r.ret, r.names)
        })
        .await
    }

    /// `listTraceSummary(date, beginTime, endTime, serverName)`.
    ///
    /// # Panics
    ///
    /// When the call or its decoding fails.
    pub async fn list_trace_summary(
        &self,
        date: &str,
        (begin, end): (i64, i64),
        server: &str,
    ) -> (i32, Vec<Summary>) {
        let args = ListTraceSummaryArgs {
            date: date.as_bytes(),
            begin_time: begin,
            end_time: end,
            server_name: server.as_bytes(),
        };
        let answer = self
            .client
            .call(TOPOLOGY_OBJ, LIST_TRACE_SUMMARY, &args, TIMEOUT)
            .await
            .unwrap_or_else(|e| panic!("listTraceSummary: {e}"));
        assert_eq!(answer.ret, 0, "listTraceSummary: {answer:?}");
        let r: ListTraceSummaryResult = answer.decode().expect("decode listTraceSummary");
        (r.ret, r.ts)
    }
}
