//! K8SFramework's `Registry.tars`, `RegistryDescriptor.tars` and `NodeDescriptor.tars` (module
//! `tars`, interface `Registry`, served as `tars.tarsregistry.RegistryObj`). See
//! `shared/spec/framework-facts.md` §1.3 and, for the parameter tags,
//! `shared/spec/tars-wire.md` §2.7.

use tars_codec::{TarsEnum, TarsMap, TarsStruct};

/// Function name of `getServerDescriptor`.
pub const GET_SERVER_DESCRIPTOR: &str = "getServerDescriptor";
/// Function name of `updateServerState`.
pub const UPDATE_SERVER_STATE: &str = "updateServerState";

/// `tars.AdapterDescriptor`: one servant adapter of a server.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.AdapterDescriptor")]
pub struct AdapterDescriptor<'a> {
    /// `adapterName`: the adapter name, e.g. `Test.HelloServer.HelloObjAdapter`.
    #[tars(tag = 0, require)]
    pub adapter_name: &'a [u8],
    /// `endpoint`: the listen endpoint, e.g. `tcp -h 10.0.0.1 -p 10000 -t 60000`.
    #[tars(tag = 1, require)]
    pub endpoint: &'a [u8],
    /// `threadNum`: the number of handler threads.
    #[tars(tag = 2, require)]
    pub thread_num: i32,
    /// `maxConnections`: the connection limit.
    #[tars(tag = 3, require)]
    pub max_connections: i32,
    /// `allowIp`: the allowed client addresses.
    #[tars(tag = 4, require)]
    pub allow_ip: &'a [u8],
    /// `servant`: the object name, e.g. `Test.HelloServer.HelloObj`.
    #[tars(tag = 5, require)]
    pub servant: &'a [u8],
    /// `queuecap`: the request queue capacity.
    #[tars(tag = 6, require)]
    pub queuecap: i32,
    /// `queuetimeout`: how long a request may wait in the queue, in milliseconds.
    #[tars(tag = 7, require)]
    pub queuetimeout: i32,
    /// `protocol`: `tars` or `not-tars`.
    #[tars(tag = 8)]
    pub protocol: &'a [u8],
}

/// `tars.ServerDescriptor`: what a server needs to start, as `getServerDescriptor` returns it.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.ServerDescriptor")]
pub struct ServerDescriptor<'a> {
    /// `profile`: the server's private configuration text.
    #[tars(tag = 0, require)]
    pub profile: &'a [u8],
    /// `asyncThreadNum`: the number of async client threads.
    #[tars(tag = 1)]
    pub async_thread_num: i32,
    /// `adapters`: adapter name to adapter.
    #[tars(tag = 2, require)]
    pub adapters: TarsMap<&'a [u8], AdapterDescriptor<'a>>,
}

/// `tars.ServerState` (`NodeDescriptor.tars`): a server's state. The node agent sends the
/// enumerator **names** as strings to `updateServerState` (see [`ServerState::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, TarsEnum)]
pub enum ServerState {
    /// `Inactive` (1): not running.
    Inactive = 1,
    /// `Activating` (2): starting.
    Activating = 2,
    /// `Active` (3): running.
    Active = 3,
    /// `Deactivating` (4): stopping.
    Deactivating = 4,
}

impl ServerState {
    /// Every state, in declaration order.
    pub const ALL: [Self; 4] = [
        Self::Inactive,
        Self::Activating,
        Self::Active,
        Self::Deactivating,
    ];

    /// The IDL enumerator name, as TarsCpp's `etos` gives it (e.g. `"Active"`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Inactive => "Inactive",
            Self::Activating => "Activating",
            Self::Active => "Active",
            Self::Deactivating => "Deactivating",
        }
    }

    /// The state whose IDL enumerator name is exactly `name` (case-sensitive, as TarsCpp's
    /// `stoe`), or `None`.
    pub fn from_name(name: &[u8]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|state| state.name().as_bytes() == name)
    }
}

/// `tars.ServerStateInfo` (`NodeDescriptor.tars`; not on the `Registry` wire).
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.ServerStateInfo")]
pub struct ServerStateInfo {
    /// `settingState`: the state the server should be in.
    #[tars(tag = 0)]
    pub setting_state: ServerState,
    /// `presentState`: the state the server is in.
    #[tars(tag = 1)]
    pub present_state: ServerState,
}

/// Arguments of `int getServerDescriptor(string serverApp, string serverName, out
/// ServerDescriptor serverDescriptor)`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Registry.getServerDescriptor")]
pub struct GetServerDescriptorArgs<'a> {
    /// `serverApp` (tag 1): the application.
    #[tars(tag = 1, require)]
    pub server_app: &'a [u8],
    /// `serverName` (tag 2): the server.
    #[tars(tag = 2, require)]
    pub server_name: &'a [u8],
    /// Out `serverDescriptor` (tag 3): ignored in a request.
    #[tars(tag = 3)]
    pub server_descriptor: ServerDescriptor<'a>,
}

/// Result of `getServerDescriptor`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Registry.getServerDescriptor.result")]
pub struct GetServerDescriptorResult<'a> {
    /// Return value (tag 0): 0 on success.
    #[tars(tag = 0, require)]
    pub ret: i32,
    /// Out `serverDescriptor` (tag 3): the server's descriptor.
    #[tars(tag = 3, require)]
    pub server_descriptor: ServerDescriptor<'a>,
}

/// Arguments of `void updateServerState(string podName, string settingState, string
/// presentState)`; the reply is an empty `sBuffer`. The caller also sends context `PID=<pid>`.
#[derive(Debug, Clone, PartialEq, TarsStruct)]
#[tars(name = "tars.Registry.updateServerState")]
pub struct UpdateServerStateArgs<'a> {
    /// `podName` (tag 1): the reporting pod.
    #[tars(tag = 1, require)]
    pub pod_name: &'a [u8],
    /// `settingState` (tag 2): a [`ServerState`] name, e.g. `Active`.
    #[tars(tag = 2, require)]
    pub setting_state: &'a [u8],
    /// `presentState` (tag 3): a [`ServerState`] name, e.g. `Activating`.
    #[tars(tag = 3, require)]
    pub present_state: &'a [u8],
}
