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

/// Arguments of `int findObjectById4Any(string id, out activeEp, out inactiveEp)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectById4Any")]
pub struct FindObjectById4AnyArgs<'a> {
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

/// Result of `findObjectById4Any`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectById4Any.result")]
pub struct FindObjectById4AnyResult<'a> {
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

/// Arguments of `int findObjectById4All(string id, out activeEp, out inactiveEp)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectById4All")]
pub struct FindObjectById4AllArgs<'a> {
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

/// Result of `findObjectById4All`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectById4All.result")]
pub struct FindObjectById4AllResult<'a> {
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

/// Arguments of `int findObjectByIdInSameGroup(string id, out activeEp, out inactiveEp)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectByIdInSameGroup")]
pub struct FindObjectByIdInSameGroupArgs<'a> {
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

/// Result of `findObjectByIdInSameGroup`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectByIdInSameGroup.result")]
pub struct FindObjectByIdInSameGroupResult<'a> {
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

/// Arguments of `int findObjectByIdInSameStation(string id, string sStation, out activeEp, out
/// inactiveEp)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectByIdInSameStation")]
pub struct FindObjectByIdInSameStationArgs<'a> {
    /// `id` (tag 1): the object name.
    #[tars(tag = 1, require)]
    pub id: &'a [u8],
    /// `sStation` (tag 2): the station (ignored by K8SFramework).
    #[tars(tag = 2, require)]
    pub station: &'a [u8],
    /// Out `activeEp` (tag 3): ignored in a request.
    #[tars(tag = 3)]
    pub active_ep: Vec<EndpointF<'a>>,
    /// Out `inactiveEp` (tag 4): ignored in a request.
    #[tars(tag = 4)]
    pub inactive_ep: Vec<EndpointF<'a>>,
}

/// Result of `findObjectByIdInSameStation`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectByIdInSameStation.result")]
pub struct FindObjectByIdInSameStationResult<'a> {
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

/// Arguments of `int findObjectByIdInSameSet(string id, string setId, out activeEp, out
/// inactiveEp)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectByIdInSameSet")]
pub struct FindObjectByIdInSameSetArgs<'a> {
    /// `id` (tag 1): the object name.
    #[tars(tag = 1, require)]
    pub id: &'a [u8],
    /// `setId` (tag 2): the caller's set (ignored by K8SFramework).
    #[tars(tag = 2, require)]
    pub set_id: &'a [u8],
    /// Out `activeEp` (tag 3): ignored in a request.
    #[tars(tag = 3)]
    pub active_ep: Vec<EndpointF<'a>>,
    /// Out `inactiveEp` (tag 4): ignored in a request.
    #[tars(tag = 4)]
    pub inactive_ep: Vec<EndpointF<'a>>,
}

/// Result of `findObjectByIdInSameSet`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.QueryF.findObjectByIdInSameSet.result")]
pub struct FindObjectByIdInSameSetResult<'a> {
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
