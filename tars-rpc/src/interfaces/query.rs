//! `QueryF.tars` (module `tars`, interface `QueryF`, served as `tars.tarsregistry.QueryObj`):
//! the argument and result blocks of its ten methods. See `shared/spec/framework-facts.md` §1.2
//! and, for the parameter tags, `shared/spec/tars-wire.md` §2.7.
//!
//! An `*Args` struct is the request `sBuffer`: inputs at their 1-based positions (`require`), out
//! parameters at theirs as optional, since async clients leave them out. A `*Result` struct is
//! the response `sBuffer`: the return value at tag 0, then the out parameters.

use tars_codec::{TarsMap, TarsStruct};

use super::IntResult;
use super::endpoint::EndpointF;

/// Function name of `findObjectById`.
pub const FIND_OBJECT_BY_ID: &str = "findObjectById";
/// Function name of `findObjectById4Any`.
pub const FIND_OBJECT_BY_ID_4_ANY: &str = "findObjectById4Any";
/// Function name of `findObjectById4All`.
pub const FIND_OBJECT_BY_ID_4_ALL: &str = "findObjectById4All";
/// Function name of `findObjectByIdInSameGroup`.
pub const FIND_OBJECT_BY_ID_IN_SAME_GROUP: &str = "findObjectByIdInSameGroup";
/// Function name of `findObjectByIdInSameStation`.
pub const FIND_OBJECT_BY_ID_IN_SAME_STATION: &str = "findObjectByIdInSameStation";
/// Function name of `findObjectByIdInSameSet`.
pub const FIND_OBJECT_BY_ID_IN_SAME_SET: &str = "findObjectByIdInSameSet";
/// Function name of `findObjectNodeName` (not implemented by K8SFramework).
pub const FIND_OBJECT_NODE_NAME: &str = "findObjectNodeName";
/// Function name of `registerChange` (not implemented by K8SFramework).
pub const REGISTER_CHANGE: &str = "registerChange";
/// Function name of `registerQuery` (not implemented by K8SFramework).
pub const REGISTER_QUERY: &str = "registerQuery";
/// Function name of `getLocker` (not implemented by K8SFramework).
pub const GET_LOCKER: &str = "getLocker";

/// `tars.GetMasterSlaveLock` (`TarsProtocol` only): the request of `getLocker`. No key.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.GetMasterSlaveLock")]
pub struct GetMasterSlaveLock<'a> {
    /// `application`: the application name.
    #[tars(tag = 0)]
    pub application: &'a [u8],
    /// `server_name`: the server name.
    #[tars(tag = 1)]
    pub server_name: &'a [u8],
    /// `node_name`: the node asking for the lock.
    #[tars(tag = 2)]
    pub node_name: &'a [u8],
    /// `isMaster`: whether the caller currently is the master.
    #[tars(tag = 3)]
    pub is_master: bool,
    /// `lastErr`: whether the caller's last attempt failed.
    #[tars(tag = 4)]
    pub last_err: bool,
    /// `timeout`: the lock timeout in milliseconds.
    #[tars(tag = 5)]
    pub timeout: i32,
    /// `bakType`: 0 no switching, 1 automatic master/slave switch, 2 automatic switch without
    /// masking the master's routes.
    #[tars(tag = 6)]
    pub bak_type: i32,
}

/// Arguments of `vector<EndpointF> findObjectById(string id)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectById")]
pub struct FindObjectByIdArgs<'a> {
    /// `id` (tag 1): the object name, e.g. `Test.HelloServer.HelloObj`.
    #[tars(tag = 1, require)]
    pub id: &'a [u8],
}

/// Result of `findObjectById`: the active endpoints as the return value.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectById.result")]
pub struct FindObjectByIdResult<'a> {
    /// Return value (tag 0): the object's active endpoints.
    #[tars(tag = 0, require)]
    pub endpoints: Vec<EndpointF<'a>>,
}

/// Arguments shared by `findObjectById4Any`, `findObjectById4All` and
/// `findObjectByIdInSameGroup`: `int m(string id, out vector<EndpointF> activeEp,
/// out vector<EndpointF> inactiveEp)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectById(4Any|4All|InSameGroup)")]
pub struct EndpointsByIdArgs<'a> {
    /// `id` (tag 1): the object name.
    #[tars(tag = 1, require)]
    pub id: &'a [u8],
    /// Out `activeEp` (tag 2): ignored in a request.
    #[tars(tag = 2)]
    pub active_ep: Vec<EndpointF<'a>>,
    /// Out `inactiveEp` (tag 3): ignored in a request.
    #[tars(tag = 3)]
    pub inactive_ep: Vec<EndpointF<'a>>,
}

/// Result shared by `findObjectById4Any`, `findObjectById4All` and `findObjectByIdInSameGroup`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectById(4Any|4All|InSameGroup).result")]
pub struct EndpointsByIdResult<'a> {
    /// Return value (tag 0): 0 on success.
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// Out `activeEp` (tag 2): the endpoints that are up.
    #[tars(tag = 2, require)]
    pub active_ep: Vec<EndpointF<'a>>,
    /// Out `inactiveEp` (tag 3): the endpoints that are down.
    #[tars(tag = 3, require)]
    pub inactive_ep: Vec<EndpointF<'a>>,
}

/// Arguments shared by `findObjectByIdInSameStation(string id, string sStation, ...)` and
/// `findObjectByIdInSameSet(string id, string setId, ...)`; the out lists are at tags 3 and 4.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectByIdInSame(Station|Set)")]
pub struct EndpointsByIdInArgs<'a> {
    /// `id` (tag 1): the object name.
    #[tars(tag = 1, require)]
    pub id: &'a [u8],
    /// `sStation` or `setId` (tag 2): which station or set; K8SFramework ignores it.
    #[tars(tag = 2, require)]
    pub within: &'a [u8],
    /// Out `activeEp` (tag 3): ignored in a request.
    #[tars(tag = 3)]
    pub active_ep: Vec<EndpointF<'a>>,
    /// Out `inactiveEp` (tag 4): ignored in a request.
    #[tars(tag = 4)]
    pub inactive_ep: Vec<EndpointF<'a>>,
}

/// Result shared by `findObjectByIdInSameStation` and `findObjectByIdInSameSet`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectByIdInSame(Station|Set).result")]
pub struct EndpointsByIdInResult<'a> {
    /// Return value (tag 0): 0 on success.
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// Out `activeEp` (tag 3): the endpoints that are up.
    #[tars(tag = 3, require)]
    pub active_ep: Vec<EndpointF<'a>>,
    /// Out `inactiveEp` (tag 4): the endpoints that are down.
    #[tars(tag = 4, require)]
    pub inactive_ep: Vec<EndpointF<'a>>,
}

/// Arguments of `findObjectById4Any`.
pub type FindObjectById4AnyArgs<'a> = EndpointsByIdArgs<'a>;
/// Result of `findObjectById4Any`.
pub type FindObjectById4AnyResult<'a> = EndpointsByIdResult<'a>;
/// Arguments of `findObjectById4All`.
pub type FindObjectById4AllArgs<'a> = EndpointsByIdArgs<'a>;
/// Result of `findObjectById4All`.
pub type FindObjectById4AllResult<'a> = EndpointsByIdResult<'a>;
/// Arguments of `findObjectByIdInSameGroup` (what `@tars/rpc` calls to resolve every object).
pub type FindObjectByIdInSameGroupArgs<'a> = EndpointsByIdArgs<'a>;
/// Result of `findObjectByIdInSameGroup`.
pub type FindObjectByIdInSameGroupResult<'a> = EndpointsByIdResult<'a>;
/// Arguments of `findObjectByIdInSameStation`.
pub type FindObjectByIdInSameStationArgs<'a> = EndpointsByIdInArgs<'a>;
/// Result of `findObjectByIdInSameStation`.
pub type FindObjectByIdInSameStationResult<'a> = EndpointsByIdInResult<'a>;
/// Arguments of `findObjectByIdInSameSet`.
pub type FindObjectByIdInSameSetArgs<'a> = EndpointsByIdInArgs<'a>;
/// Result of `findObjectByIdInSameSet`.
pub type FindObjectByIdInSameSetResult<'a> = EndpointsByIdInResult<'a>;

/// Arguments of `int findObjectNodeName(string id, out vector<string> nodeName)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectNodeName")]
pub struct FindObjectNodeNameArgs<'a> {
    /// `id` (tag 1): the object name.
    #[tars(tag = 1, require)]
    pub id: &'a [u8],
    /// Out `nodeName` (tag 2): ignored in a request.
    #[tars(tag = 2)]
    pub node_name: Vec<&'a [u8]>,
}

/// Result of `findObjectNodeName`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectNodeName.result")]
pub struct FindObjectNodeNameResult<'a> {
    /// Return value (tag 0): 0 on success.
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// Out `nodeName` (tag 2): the nodes hosting the object.
    #[tars(tag = 2, require)]
    pub node_name: Vec<&'a [u8]>,
}

/// Arguments of `int registerChange(map<string, string> timestamp, string name)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.registerChange")]
pub struct RegisterChangeArgs<'a> {
    /// `timestamp` (tag 1): object name to the caller's last-seen timestamp.
    #[tars(tag = 1, require)]
    pub timestamp: TarsMap<&'a [u8], &'a [u8]>,
    /// `name` (tag 2): the caller's name.
    #[tars(tag = 2, require)]
    pub name: &'a [u8],
}

/// Result of `registerChange`: the `int` return value.
pub type RegisterChangeResult = IntResult;

/// Arguments of `int registerQuery(string id, string name)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.registerQuery")]
pub struct RegisterQueryArgs<'a> {
    /// `id` (tag 1): the object name.
    #[tars(tag = 1, require)]
    pub id: &'a [u8],
    /// `name` (tag 2): the caller's name.
    #[tars(tag = 2, require)]
    pub name: &'a [u8],
}

/// Result of `registerQuery`: the `int` return value.
pub type RegisterQueryResult = IntResult;

/// Arguments of `int getLocker(GetMasterSlaveLock req)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.getLocker")]
pub struct GetLockerArgs<'a> {
    /// `req` (tag 1): the lock request.
    #[tars(tag = 1, require)]
    pub req: GetMasterSlaveLock<'a>,
}

/// Result of `getLocker`: the `int` return value.
pub type GetLockerResult = IntResult;
