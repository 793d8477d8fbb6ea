//! `MonitorQuery.tars` (module `tars`, interface `MonitorQuery`, served as
//! `tars.tarsquerystat.QueryObj` and `tars.tarsqueryproperty.QueryObj`): aggregate queries over
//! the stored stat and property data. See `shared/spec/framework-facts.md` §1.8 and §6, and, for
//! the parameter tags, `shared/spec/tars-wire.md` §2.7.

use tars_codec::{TarsEnum, TarsMap, TarsStruct};

/// Function name of `query`.
pub const QUERY: &str = "query";

/// `tars.OP`: a condition's comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, TarsEnum)]
pub enum Op {
    /// `EQ` (0): equal.
    Eq = 0,
    /// `GT` (1): greater than.
    Gt = 1,
    /// `GTE` (2): greater than or equal.
    Gte = 2,
    /// `LT` (3): less than.
    Lt = 3,
    /// `LTE` (4): less than or equal.
    Lte = 4,
    /// `LIKE` (5): pattern match.
    Like = 5,
}

/// `tars.Condition`: one extra WHERE clause of a query.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Condition")]
pub struct Condition<'a> {
    /// `field`: the column.
    #[tars(tag = 0, require)]
    pub field: &'a [u8],
    /// `op`: the comparison.
    #[tars(tag = 1, require)]
    pub op: Op,
    /// `val`: the value compared with.
    #[tars(tag = 2, require)]
    pub val: &'a [u8],
}

/// `tars.MonitorQueryReq`: an aggregate query.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.MonitorQueryReq")]
pub struct MonitorQueryReq<'a> {
    /// `uid`: the caller's request id (ignored by K8SFramework).
    #[tars(tag = 0, require)]
    pub uid: &'a [u8],
    /// `method`: default `query` (ignored).
    #[tars(tag = 1, require, default = "query")]
    pub method: &'a [u8],
    /// `dataid`: `tars_stat` or `tars_property` (ignored: the server's name picks the index).
    #[tars(tag = 2, require)]
    pub dataid: &'a [u8],
    /// `date`: `YYYYMMDD`, appended to the index prefix.
    #[tars(tag = 3, require)]
    pub date: &'a [u8],
    /// `tflag1`: the inclusive lower bound of `f_tflag`; empty for none.
    #[tars(tag = 4, require)]
    pub tflag1: &'a [u8],
    /// `tflag2`: the inclusive upper bound of `f_tflag`; empty for none.
    #[tars(tag = 5, require)]
    pub tflag2: &'a [u8],
    /// `conditions`: extra WHERE clauses.
    #[tars(tag = 6, require)]
    pub conditions: Vec<Condition<'a>>,
    /// `indexs`: the columns to sum, e.g. `succ_count` or `value`.
    #[tars(tag = 7, require)]
    pub indexs: Vec<&'a [u8]>,
    /// `groupby`: the columns to group by.
    #[tars(tag = 8, require)]
    pub groupby: Vec<&'a [u8]>,
}

/// `tars.MonitorQueryRsp`: the answer to a query.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.MonitorQueryRsp")]
pub struct MonitorQueryRsp<'a> {
    /// `ret`: 0 on success, -1 on error.
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// `msg`: empty, or the store's error text.
    #[tars(tag = 1)]
    pub msg: &'a [u8],
    /// `lastTime`: never set by K8SFramework (empty).
    #[tars(tag = 2, require)]
    pub last_time: &'a [u8],
    /// `activeDb`: never set by K8SFramework (0).
    #[tars(tag = 3, require)]
    pub active_db: i32,
    /// `totalDb`: never set by K8SFramework (0).
    #[tars(tag = 4, require)]
    pub total_db: i32,
    /// `retThreads`: never set by K8SFramework (empty).
    #[tars(tag = 5, require)]
    pub ret_threads: Vec<i32>,
    /// `result`: the group values joined by `,` to the sums, in `indexs` order.
    #[tars(tag = 6)]
    pub result: TarsMap<&'a [u8], Vec<f64>>,
}

/// Arguments of `int query(MonitorQueryReq req, out MonitorQueryRsp rsp)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.MonitorQuery.query")]
pub struct MonitorQueryArgs<'a> {
    /// `req` (tag 1): the query.
    #[tars(tag = 1, require)]
    pub req: MonitorQueryReq<'a>,
    /// Out `rsp` (tag 2): ignored in a request.
    #[tars(tag = 2)]
    pub rsp: MonitorQueryRsp<'a>,
}

/// Result of `query`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.MonitorQuery.query.result")]
pub struct MonitorQueryResult<'a> {
    /// Return value (tag 0): 0 on success, -1 on error.
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// Out `rsp` (tag 2): the answer.
    #[tars(tag = 2, require)]
    pub rsp: MonitorQueryRsp<'a>,
}
