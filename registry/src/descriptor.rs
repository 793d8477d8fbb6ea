//! `getServerDescriptor` (framework facts §3.3): a server's adapters from its TEndpoint and its
//! profile merged over its TTemplate parent chain.
//!
//! Unlike K8SFramework, a parent chain that loops through more than one template is detected
//! and answered -1 with the chain in the profile text, and chains are cut at
//! [`MAX_TEMPLATE_DEPTH`].

use std::collections::HashSet;

use tars_codec::TarsMap;
use tars_rpc::interfaces::registry::{
    AdapterDescriptor, GetServerDescriptorResult, ServerDescriptor,
};

use crate::model::Server;
use crate::snapshot::Snapshot;
use tc_config;

/// Longest template parent chain followed.
pub const MAX_TEMPLATE_DEPTH: usize = 64;

/// Why a descriptor could not be built (the call answers -1).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Empty application or server name.
    #[error("empty server application or name")]
    EmptyName,
    /// No TEndpoint with that name.
    #[error("no TEndpoint {0}")]
    NoServer(String),
    /// The server's own profile is not `TC_Config` text.
    #[error("parse the profile of {server}")]
    Profile {
        /// The TEndpoint.
        server: String,
        /// The cause.
        #[source]
        source: tc_config::Error,
    },
    /// A template in the chain does not exist.
    #[error("no TTemplate {0}")]
    NoTemplate(String),
    /// A template's content is not `TC_Config` text.
    #[error("parse TTemplate {template}")]
    Template {
        /// The template.
        template: String,
        /// The cause.
        #[source]
        source: tc_config::Error,
    },
    /// The parent chain loops.
    #[error("TTemplate parent chain loops: {0}")]
    Cycle(String),
    /// The parent chain is longer than [`MAX_TEMPLATE_DEPTH`].
    #[error("TTemplate parent chain longer than {MAX_TEMPLATE_DEPTH}: {0}")]
    TooDeep(String),
    /// The merged profile cannot be written as `TC_Config` text.
    #[error("serialise the merged profile of {server}")]
    Serialise {
        /// The TEndpoint.
        server: String,
        /// The cause.
        #[source]
        source: tc_config::Error,
    },
}

/// The strings one adapter needs, owned, so the wire struct can borrow them.
struct AdapterText {
    name: String,
    endpoint: String,
    servant: String,
    protocol: &'static str,
    thread: i32,
    connection: i32,
    capacity: i32,
    timeout: i32,
}

/// The encoded result (`ret` and the descriptor) for `serverApp`/`serverName`, and the error
/// when `ret` is -1.
pub fn describe(snapshot: &Snapshot, app: &[u8], name: &[u8]) -> (bytes::Bytes, Option<Error>) {
    let app = String::from_utf8_lossy(app);
    let name = String::from_utf8_lossy(name);
    if app.is_empty() || name.is_empty() {
        return (encode(-1, "", 0, &[]), Some(Error::EmptyName));
    }
    let endpoint = format!("{}-{}", app.to_ascii_lowercase(), name.to_ascii_lowercase());
    let Some(server) = snapshot.server(&endpoint) else {
        return (encode(-1, "", 0, &[]), Some(Error::NoServer(endpoint)));
    };
    let adapters: Vec<AdapterText> = server
        .servants
        .iter()
        .map(|s| AdapterText {
            name: format!("{app}.{name}.{}Adapter", s.name),
            endpoint: format!(
                "{} -h ${{localip}} -p {} -t {}",
                if s.is_tcp { "tcp" } else { "udp" },
                s.port,
                s.timeout
            ),
            servant: format!("{app}.{name}.{}", s.name),
            protocol: if s.is_tars { "tars" } else { "not_tars" },
            thread: s.thread,
            connection: s.connection,
            capacity: s.capacity,
            timeout: s.timeout,
        })
        .collect();
    match merged_profile(snapshot, server) {
        Ok(profile) => (encode(0, &profile, server.async_thread, &adapters), None),
        Err(error) => {
            // K8SFramework puts a template's parse error into the profile; say what failed.
            let text = error_text(&error);
            (
                encode(-1, &text, server.async_thread, &adapters),
                Some(error),
            )
        }
    }
}

fn error_text(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The server's profile merged over its template chain, as `TC_Config` text.
///
/// # Errors
///
/// [`Error`] naming the template or text that failed.
pub fn merged_profile(snapshot: &Snapshot, server: &Server) -> Result<String, Error> {
    let mut config =
        tc_config::Config::parse(&server.profile).map_err(|source| Error::Profile {
            server: server.name.clone(),
            source,
        })?;
    let mut name = server.template.clone();
    let mut chain: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    while !name.is_empty() {
        if !seen.insert(name.clone()) {
            chain.push(name);
            return Err(Error::Cycle(chain.join(" -> ")));
        }
        chain.push(name.clone());
        if chain.len() > MAX_TEMPLATE_DEPTH {
            return Err(Error::TooDeep(chain.join(" -> ")));
        }
        let template = snapshot
            .template(&name)
            .ok_or_else(|| Error::NoTemplate(name.clone()))?;
        let parent =
            tc_config::Config::parse(&template.content).map_err(|source| Error::Template {
                template: name.clone(),
                source,
            })?;
        config = config
            .merged_over(&parent)
            .map_err(|source| Error::Template {
                template: name.clone(),
                source,
            })?;
        if template.parent == template.name {
            break;
        }
        name.clone_from(&template.parent);
    }
    config.to_text().map_err(|source| Error::Serialise {
        server: server.name.clone(),
        source,
    })
}

fn encode(ret: i32, profile: &str, async_thread: i32, adapters: &[AdapterText]) -> bytes::Bytes {
    let mut map = TarsMap::new();
    for a in adapters {
        map.insert(
            a.name.as_bytes(),
            AdapterDescriptor {
                adapter_name: a.name.as_bytes(),
                endpoint: a.endpoint.as_bytes(),
                thread_num: a.thread,
                max_connections: a.connection,
                allow_ip: b"",
                servant: a.servant.as_bytes(),
                queuecap: a.capacity,
                queuetimeout: a.timeout,
                protocol: a.protocol.as_bytes(),
            },
        );
    }
    tars_codec::to_bytes(&GetServerDescriptorResult {
        ret,
        server_descriptor: ServerDescriptor {
            profile: profile.as_bytes(),
            async_thread_num: async_thread,
            adapters: map,
        },
    })
}
