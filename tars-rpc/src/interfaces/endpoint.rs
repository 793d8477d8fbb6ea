//! `EndpointF.tars` (module `tars`): the endpoint record the registry hands out, and
//! `ObjectItem`. See `shared/spec/framework-facts.md` §1.1.

use tars_codec::TarsStruct;

/// `tars.EndpointF`: one endpoint of an object, as `QueryF` returns it.
///
/// Tag 10 is unused. The key (TarsCpp `operator<`) is host, port, timeout, istcp, grid, qos,
/// weight, `weightType` and `authType`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(
    name = "tars.EndpointF",
    key(host, port, timeout, istcp, grid, qos, weight, weight_type, auth_type)
)]
pub struct EndpointF<'a> {
    /// `host`: the host name or IP address.
    #[tars(tag = 0, require)]
    pub host: &'a [u8],
    /// `port`: the TCP/UDP port.
    #[tars(tag = 1, require)]
    pub port: i32,
    /// `timeout`: the endpoint's timeout in milliseconds.
    #[tars(tag = 2, require)]
    pub timeout: i32,
    /// `istcp`: 1 for TCP, 0 for UDP.
    #[tars(tag = 3, require)]
    pub istcp: i32,
    /// `grid`: the grid (gray release) flag.
    #[tars(tag = 4, require)]
    pub grid: i32,
    /// `groupworkid`: the group work id.
    #[tars(tag = 5)]
    pub groupworkid: i32,
    /// `grouprealid`: the group real id.
    #[tars(tag = 6)]
    pub grouprealid: i32,
    /// `setId`: the set the endpoint belongs to (`name.area.group`), empty when none.
    #[tars(tag = 7)]
    pub set_id: &'a [u8],
    /// `qos`: the quality-of-service value.
    #[tars(tag = 8)]
    pub qos: i32,
    /// `bakFlag`: the backup flag.
    #[tars(tag = 9)]
    pub bak_flag: i32,
    /// `weight`: the load-balancing weight.
    #[tars(tag = 11)]
    pub weight: i32,
    /// `weightType`: the weighting scheme.
    #[tars(tag = 12)]
    pub weight_type: i32,
    /// `authType`: the authentication type.
    #[tars(tag = 13)]
    pub auth_type: i32,
    /// `nodeName`: the node (pod) hosting the endpoint.
    #[tars(tag = 14)]
    pub node_name: &'a [u8],
}

/// `tars.ObjectItem` (`TarsProtocol` only, not used by K8SFramework): an object's active and
/// inactive endpoints.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.ObjectItem")]
pub struct ObjectItem<'a> {
    /// `vActiveEndpoints`: the endpoints that are up.
    #[tars(tag = 0)]
    pub active_endpoints: Vec<EndpointF<'a>>,
    /// `vInactiveEndpoints`: the endpoints that are down.
    #[tars(tag = 1)]
    pub inactive_endpoints: Vec<EndpointF<'a>>,
}
