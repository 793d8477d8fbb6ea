//! K8SFramework's `Topology.tars` (module `tars`, interface `Topology`, served as
//! `tars.tarslog.TopologyObj` on 13030): the call-chain and call-graph queries of tarsweb's
//! call-chain pages. See `shared/spec/framework-next.md` §2.5. Every method returns an `int`
//! (0, or -1 when the store cannot answer).

use tars_codec::TarsStruct;

/// The object name.
pub const TOPOLOGY_OBJ: &str = "tars.tarslog.TopologyObj";
/// Port of [`TOPOLOGY_OBJ`].
pub const TOPOLOGY_OBJ_PORT: u16 = 13030;

/// Function name of `graphServer`.
pub const GRAPH_SERVER: &str = "graphServer";
/// Function name of `graphFunction`.
pub const GRAPH_FUNCTION: &str = "graphFunction";
/// Function name of `graphTrace`.
pub const GRAPH_TRACE: &str = "graphTrace";
/// Function name of `listFunction`.
pub const LIST_FUNCTION: &str = "listFunction";
/// Function name of `listTrace`.
pub const LIST_TRACE: &str = "listTrace";
/// Function name of `listTraceSummary`.
pub const LIST_TRACE_SUMMARY: &str = "listTraceSummary";

/// `tars.Vertex`: a server (`App.Server`) or function (`App.Server.func`) of a graph.
#[derive(Debug, Clone, PartialEq, Eq, TarsStruct)]
#[tars(name = "tars.Vertex")]
pub struct Vertex {
    /// `vertex`.
    #[tars(tag = 0, require)]
    pub vertex: String,
    /// `callCount`: timed calls (both server times set and in order).
    #[tars(tag = 1, require)]
    pub call_count: i64,
    /// `callTime`: their summed time, ms.
    #[tars(tag = 2, require)]
    pub call_time: i64,
}

/// `tars.Edge`: a call from one vertex to another; the span fields only in `graphTrace`.
#[derive(Debug, Clone, PartialEq, Eq, TarsStruct)]
#[tars(name = "tars.Edge")]
pub struct Edge {
    /// `fromVertex`.
    #[tars(tag = 0, require)]
    pub from_vertex: String,
    /// `toVertex`.
    #[tars(tag = 1, require)]
    pub to_vertex: String,
    /// `callCount`.
    #[tars(tag = 2, require)]
    pub call_count: i64,
    /// `callTime`, ms.
    #[tars(tag = 3, require)]
    pub call_time: i64,
    /// `spanId`.
    #[tars(tag = 4, require)]
    pub span_id: String,
    /// `csTime`: client send, ms since 1970.
    #[tars(tag = 5, require)]
    pub cs_time: i64,
    /// `srTime`: server receive.
    #[tars(tag = 6, require)]
    pub sr_time: i64,
    /// `ssTime`: server send.
    #[tars(tag = 7, require)]
    pub ss_time: i64,
    /// `crTime`: client receive.
    #[tars(tag = 8, require)]
    pub cr_time: i64,
    /// `csData` (base64, as the client wrote it).
    #[tars(tag = 9, require)]
    pub cs_data: String,
    /// `srData`.
    #[tars(tag = 10, require)]
    pub sr_data: String,
    /// `ssData`.
    #[tars(tag = 11, require)]
    pub ss_data: String,
    /// `crData`.
    #[tars(tag = 12, require)]
    pub cr_data: String,
    /// `ret`.
    #[tars(tag = 13, require)]
    pub ret: String,
    /// `order`: depth in a function graph (1 at the root call).
    #[tars(tag = 14, require)]
    pub order: i32,
}

/// `tars.Graph`.
#[derive(Debug, Clone, PartialEq, Eq, TarsStruct)]
#[tars(name = "tars.Graph")]
pub struct Graph {
    /// `vs`.
    #[tars(tag = 0, require)]
    pub vs: Vec<Vertex>,
    /// `es`.
    #[tars(tag = 1, require)]
    pub es: Vec<Edge>,
}

/// `tars.Summary`: one trace of `listTraceSummary`.
#[derive(Debug, Clone, PartialEq, Eq, TarsStruct)]
#[tars(name = "tars.Summary")]
pub struct Summary {
    /// `name`: the trace id.
    #[tars(tag = 0, require)]
    pub name: String,
    /// `startTime`: the root call's send time, ms.
    #[tars(tag = 1, require)]
    pub start_time: i64,
    /// `endTime`: the root call's receive time, ms.
    #[tars(tag = 2, require)]
    pub end_time: i64,
}

/// Arguments of `graphServer`, `graphFunction`, `graphTrace`, `listFunction` and `listTrace`:
/// `(string date, string name, out ...)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Topology.dateName")]
pub struct DateNameArgs<'a> {
    /// `date` (tag 1): `YYYYMMDD`.
    #[tars(tag = 1, require)]
    pub date: &'a [u8],
    /// `serverName`, `functionName` or `traceId` (tag 2).
    #[tars(tag = 2, require)]
    pub name: &'a [u8],
}

/// Result of `graphServer` and `graphFunction`: `vector<Graph> graph` at tag 3.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Topology.graphs.result")]
pub struct GraphsResult {
    /// Return value (tag 0).
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `graph` (tag 3).
    #[tars(tag = 3, require)]
    pub graph: Vec<Graph>,
}

/// Result of `graphTrace`: `Graph graph` at tag 3.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Topology.graphTrace.result")]
pub struct GraphTraceResult {
    /// Return value (tag 0).
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `graph` (tag 3).
    #[tars(tag = 3, require)]
    pub graph: Graph,
}

/// Result of `listFunction` and `listTrace`: `vector<string>` at tag 3.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Topology.names.result")]
pub struct NamesResult {
    /// Return value (tag 0).
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `fs` / `ts` (tag 3).
    #[tars(tag = 3, require)]
    pub names: Vec<String>,
}

/// Arguments of `listTraceSummary(string date, long beginTime, long endTime, string
/// serverName, out vector<Summary> ts)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Topology.listTraceSummary")]
pub struct ListTraceSummaryArgs<'a> {
    /// `date` (tag 1).
    #[tars(tag = 1, require)]
    pub date: &'a [u8],
    /// `beginTime` (tag 2), ms.
    #[tars(tag = 2, require)]
    pub begin_time: i64,
    /// `endTime` (tag 3), ms.
    #[tars(tag = 3, require)]
    pub end_time: i64,
    /// `serverName` (tag 4).
    #[tars(tag = 4, require)]
    pub server_name: &'a [u8],
}

/// Result of `listTraceSummary`: `vector<Summary> ts` at tag 5.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Topology.listTraceSummary.result")]
pub struct ListTraceSummaryResult {
    /// Return value (tag 0).
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `ts` (tag 5).
    #[tars(tag = 5, require)]
    pub ts: Vec<Summary>,
}
