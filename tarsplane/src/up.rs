//! `tarsplane up`: every framework object on its standard port, on embedded defaults.
//!
//! Each object gets its own listener, as in K8SFramework. Log writes files under the data
//! directory; stat and property (with their monitor query objects) and notify run on the sink: the SQLite file in the data directory, or Elasticsearch when
//! configured. Objects whose service is not in this build answer `tars_ping`, and any other call
//! with `-4` (no such servant) and a description saying so.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use property::Property;
use sink::Sink;
use stat::Stat;
use tars_rpc::{BoundServer, Servant, Server, ServerConfig};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::objects::FRAMEWORK_OBJECTS;

/// How long shutdown waits for Elasticsearch to take the last documents before spooling them.
const SINK_GRACE: Duration = Duration::from_secs(10);

/// Why `up` could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A port could not be bound.
    #[error("bind {object}")]
    Bind {
        /// The object.
        object: &'static str,
        /// The cause.
        #[source]
        source: tars_rpc::Error,
    },
    /// The sink could not start.
    #[error("start the document store")]
    Sink(#[source] sink::Error),
    /// A setting is invalid.
    #[error("{0}")]
    Config(String),
    /// The Kubernetes API is not reachable with the ambient configuration.
    #[error("connect to Kubernetes")]
    Kubernetes(#[source] notify::pods::KubeError),
    /// The registry could not start.
    #[error("start the registry")]
    Registry(#[source] registry::Error),
    /// The sample registry file could not be written.
    #[error("write the sample registry file {path}")]
    RegistrySample {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// What `up` runs with.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to listen on.
    pub host: IpAddr,
    /// Bind OS-chosen ports instead of the standard ones (tests).
    pub ephemeral: bool,
    /// The document store.
    pub sink: sink::Config,
    /// The stat service.
    pub stat: stat::Config,
    /// The property service.
    pub property: property::Config,
    /// The notify service.
    pub notify: notify::Config,
    /// The log service.
    pub log: tars_log::Config,
    /// The registry.
    pub registry: registry::Config,
    /// Resolve notify reporters to pod names by watching this namespace's TARS pods (needs a
    /// Kubernetes configuration: in-cluster, or `KUBECONFIG`).
    pub kubernetes_namespace: Option<String>,
}

impl Options {
    /// Embedded defaults: the SQLite store (and, if Elasticsearch is configured later, its
    /// spool and dead-letter file) under `data_dir`.
    pub fn embedded(host: IpAddr, data_dir: &Path) -> Self {
        let mut sink = sink::Config::default();
        sink.sqlite.path = data_dir.join("tarsplane.sqlite");
        sink.elasticsearch.spool.dir = data_dir.join("sink").join("spool");
        sink.elasticsearch.dead_letter_path = data_dir.join("sink").join("dead-letter.ndjson");
        Self {
            host,
            ephemeral: false,
            sink,
            stat: stat::Config::default(),
            property: property::Config::default(),
            notify: notify::Config::default(),
            log: tars_log::Config {
                log_path: data_dir.join("remote_app_log"),
                ..tars_log::Config::default()
            },
            registry: registry::Config {
                source: registry::Source::File,
                file: data_dir.join("registry.yaml"),
                ..registry::Config::default()
            },
            kubernetes_namespace: None,
        }
    }

    /// Where the store lives, for the banner.
    pub fn store(&self) -> String {
        if self.sink.elasticsearch.nodes.is_empty() {
            format!("sqlite {}", self.sink.sqlite.path.display())
        } else {
            format!("elasticsearch {}", self.sink.elasticsearch.nodes.join(","))
        }
    }
}

/// One listening object.
#[derive(Debug, Clone)]
pub struct Served {
    /// The object name.
    pub object: &'static str,
    /// The service that implements it.
    pub service: &'static str,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Whether the service is implemented in this build (otherwise only `tars_ping`).
    pub implemented: bool,
}

/// Listeners bound and services built, ready to run.
#[derive(Debug)]
pub struct Plane {
    servers: Vec<BoundServer>,
    /// What is served where.
    pub served: Vec<Served>,
    sink: Sink,
    stat: Stat,
    property: Property,
    notify_writer: notify::NotifyWriter,
    log: tars_log::LogServant,
    pod_watch: CancellationToken,
    registry: registry::Service,
}

/// Starts the store and the services and binds every framework object.
///
/// # Errors
/// An invalid setting, a store that cannot be opened, or a port that cannot be bound.
pub async fn start(options: &Options) -> Result<Plane, Error> {
    let sink = Sink::start(&options.sink, sink::Metrics::default()).map_err(Error::Sink)?;
    let stat = Stat::start(&options.stat, sink.clone(), aggregate::Metrics::default())
        .map_err(Error::Config)?;
    let property = Property::start(
        &options.property,
        sink.clone(),
        aggregate::Metrics::default(),
    )
    .map_err(Error::Config)?;
    let log = tars_log::start(
        &options.log,
        Some(sink.clone()),
        tars_log::Metrics::default(),
    )
    .map_err(Error::Config)?;
    let (notify_servant, notify_writer) =
        notify::start(&options.notify, sink.clone(), notify::Metrics::default())
            .map_err(Error::Config)?;
    let pod_watch = CancellationToken::new();
    let kubernetes = match &options.kubernetes_namespace {
        Some(namespace) => Some(registry::Kubernetes {
            client: kube::Client::try_default()
                .await
                .map_err(Error::Kubernetes)?,
            namespace: namespace.clone(),
        }),
        None => None,
    };
    if let Some(kube) = &kubernetes {
        let (client, namespace) = (kube.client.clone(), kube.namespace.clone());
        let (pods, stop) = (notify_servant.pod_names(), pod_watch.clone());
        tokio::spawn(async move {
            notify::pods::watch_pods(client, &namespace, pods, stop).await;
        });
    }
    for spec in [
        stat.index_spec().clone(),
        property.index_spec().clone(),
        notify::index_spec(&options.notify),
        tars_log::ship_index_spec(&options.log),
    ] {
        sink.register_index(spec).await.map_err(Error::Sink)?;
    }
    // Bind first, so the registry can route every framework object to its listener.
    let listeners = bind_all(options).await?;
    let registry = start_registry(options, &listeners, kubernetes, pod_watch.clone()).await?;
    let mut servers = Vec::new();
    let mut served = Vec::new();
    for (&(object, _, service), listener) in FRAMEWORK_OBJECTS.iter().zip(listeners) {
        let servant: Option<Arc<dyn Servant>> = match object {
            "tars.tarsregistry.QueryObj" => Some(Arc::new(registry.query.clone())),
            "tars.tarsregistry.RegistryObj" => Some(Arc::new(registry.registry_servant.clone())),
            "tars.tarsstat.StatObj" => Some(Arc::new(stat.servant())),
            "tars.tarsquerystat.QueryObj" => Some(Arc::new(stat.query_servant())),
            "tars.tarsproperty.PropertyObj" => Some(Arc::new(property.servant())),
            "tars.tarsqueryproperty.QueryObj" => Some(Arc::new(property.query_servant())),
            "tars.tarsnotify.NotifyObj" => Some(Arc::new(notify_servant.clone())),
            "tars.tarslog.LogObj" => Some(Arc::new(log.clone())),
            _ => None,
        };
        let implemented = servant.is_some();
        let mut rpc = Server::new(ServerConfig::default());
        if let Some(servant) = servant {
            rpc = rpc.servant(object, servant);
        }
        let bound = rpc
            .listen(listener)
            .map_err(|source| Error::Bind { object, source })?;
        served.push(Served {
            object,
            service,
            addr: bound.local_addr(),
            implemented,
        });
        servers.push(bound);
    }
    // Only the listener holds the servant now: when it stops, the notify writer's queue closes.
    drop(notify_servant);
    Ok(Plane {
        servers,
        served,
        sink,
        stat,
        property,
        notify_writer,
        log,
        pod_watch,
        registry,
    })
}

/// Binds every framework object's port (OS-chosen ones when `ephemeral`).
async fn bind_all(options: &Options) -> Result<Vec<tokio::net::TcpListener>, Error> {
    let mut listeners = Vec::new();
    for &(object, port, _) in FRAMEWORK_OBJECTS {
        let port = if options.ephemeral { 0 } else { port };
        let addr = SocketAddr::new(options.host, port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind {
                object,
                source: tars_rpc::Error::BindFailed { addr, source },
            })?;
        listeners.push(listener);
    }
    Ok(listeners)
}

/// Starts the registry with every framework object routed to `listeners` (configured routes
/// win), writing the sample file first when the file source has none.
async fn start_registry(
    options: &Options,
    listeners: &[tokio::net::TcpListener],
    kubernetes: Option<registry::Kubernetes>,
    shutdown: CancellationToken,
) -> Result<registry::Service, Error> {
    let mut config = options.registry.clone();
    let mut routes = local_routes(options.host, listeners);
    routes.append(&mut config.routes);
    config.routes = routes;
    if config.source == registry::Source::File {
        write_sample(&config.file)?;
    }
    registry::start(&config, kubernetes, registry::Metrics::default(), shutdown)
        .await
        .map_err(Error::Registry)
}

/// Routes for every framework object to this process's listeners: the address clients use
/// (loopback when listening on every interface) and the bound port.
fn local_routes(
    host: IpAddr,
    listeners: &[tokio::net::TcpListener],
) -> BTreeMap<String, Vec<registry::routes::RouteEndpoint>> {
    let advertised = if host.is_unspecified() {
        IpAddr::from([127, 0, 0, 1])
    } else {
        host
    };
    FRAMEWORK_OBJECTS
        .iter()
        .zip(listeners)
        .filter_map(|(&(object, _, _), listener)| {
            let port = listener.local_addr().ok()?.port();
            let endpoint = registry::routes::RouteEndpoint {
                host: advertised.to_string(),
                port,
                timeout_ms: registry::routes::SELF_TIMEOUT_MS,
                tcp: true,
            };
            Some((object.to_owned(), vec![endpoint]))
        })
        .collect()
}

/// The sample registry file `up` starts with.
pub const REGISTRY_SAMPLE: &str = include_str!("registry-sample.yaml");

/// Writes [`REGISTRY_SAMPLE`] to `path` unless a file is there.
fn write_sample(path: &Path) -> Result<(), Error> {
    if path.exists() {
        return Ok(());
    }
    let failed = |source| Error::RegistrySample {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    std::fs::write(path, REGISTRY_SAMPLE).map_err(failed)
}

impl Plane {
    /// The document store, for tests.
    pub fn sink(&self) -> &Sink {
        &self.sink
    }

    /// The stat service (its window can be closed on demand in tests).
    pub fn stat(&self) -> &Stat {
        &self.stat
    }

    /// The property service.
    pub fn property(&self) -> &Property {
        &self.property
    }

    /// The registry.
    pub fn registry(&self) -> &registry::Registry {
        &self.registry.registry
    }

    /// Serves until `shutdown` is cancelled; then drains every listener, flushes the last
    /// (partial) minute of stat and property, and closes the store.
    pub async fn run(self, shutdown: CancellationToken) {
        let flush = CancellationToken::new();
        let flushers = TaskTracker::new();
        flushers.spawn(self.stat.aggregator.clone().run(flush.clone()));
        flushers.spawn(self.property.aggregator.clone().run(flush.clone()));
        // Ends once the notify listener has stopped and its queue is written.
        flushers.spawn(self.notify_writer.run());
        flushers.close();
        let servers = TaskTracker::new();
        for server in self.servers {
            servers.spawn(server.run(shutdown.child_token()));
        }
        servers.close();
        servers.wait().await;
        self.pod_watch.cancel();
        self.registry.closed().await;
        flush.cancel();
        self.log.flush().await;
        flushers.wait().await;
        self.sink.close(SINK_GRACE).await;
    }
}

/// The default data directory: `./data`.
pub fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}
