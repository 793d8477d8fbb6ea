//! Starting the services: `tarsplane up` runs every framework object on its standard port on
//! embedded defaults; `tarsplane serve <service>` runs one service (one Kubernetes workload).
//!
//! Each object gets its own listener, as in K8SFramework. Log writes files under the data
//! directory; stat and property (with their monitor query objects) and notify run on the sink:
//! the SQLite file in the data directory, or Elasticsearch when configured. The registry reads
//! its YAML file (or Kubernetes). Every process also serves the admin port (`crate::admin`).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use property::Property;
use sink::Sink;
use stat::Stat;
use tars_rpc::{BoundServer, Server, ServerConfig};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

mod parts;

use self::parts::{
    KEventRun, Parts, kubernetes, servant_for, start_adminreg, start_config, start_parts,
    start_registry,
};
use crate::admin::{Admin, AdminConfig};
use crate::objects::{FRAMEWORK_OBJECTS, Service};

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
    /// The admin port could not be bound.
    #[error("bind the admin port {addr}")]
    BindAdmin {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The registry could not start.
    #[error("start the registry")]
    Registry(#[source] registry::Error),
    /// The config service could not start.
    #[error("start the config service")]
    ConfigService(#[source] tars_config::Error),
    /// A sample file could not be written.
    #[error(transparent)]
    Sample(#[from] crate::samples::SampleError),
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
    /// The config service.
    pub config: tars_config::Config,
    /// The AdminReg service.
    pub adminreg: tars_adminreg::Config,
    /// The kevent service (runs only with a Kubernetes namespace).
    pub kevent: tars_kevent::Config,
    /// The log service's trace pipeline and `tars.tarslog.TopologyObj`.
    pub trace: tars_trace::Config,
    /// The admin HTTP port.
    pub admin: AdminConfig,
    /// The services to run (`up`: all of them).
    pub services: Vec<Service>,
    /// Route every framework object to this process's listeners in the registry (`up`).
    pub route_locally: bool,
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
            config: tars_config::Config {
                source: tars_config::Source::File,
                file: data_dir.join("config.yaml"),
                ..tars_config::Config::default()
            },
            adminreg: tars_adminreg::Config::default(),
            kevent: tars_kevent::Config::default(),
            trace: tars_trace::Config::default(),
            admin: AdminConfig::default(),
            services: Service::ALL.to_vec(),
            route_locally: true,
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
    /// Where the admin port (`/metrics`, `/healthz`, `/readyz`) listens, if on.
    pub admin_addr: Option<SocketAddr>,
    admin: Option<(tokio::net::TcpListener, Admin)>,
    sink: Option<Sink>,
    stat: Option<Stat>,
    property: Option<Property>,
    notify_writer: Option<notify::NotifyWriter>,
    log: Option<tars_log::LogServant>,
    pod_watch: CancellationToken,
    registry: Option<registry::Service>,
    config: Option<tars_config::Service>,
    kevent: Option<KEventRun>,
    trace: Option<tars_trace::Pipeline>,
}

/// Starts the store and the selected services and binds their objects.
///
/// # Errors
/// An invalid setting, a store that cannot be opened, or a port that cannot be bound.
pub async fn start(options: &Options) -> Result<Plane, Error> {
    let wants = |service| options.services.contains(&service);
    let mut metrics = prometheus_client::registry::Registry::default();
    let rpc_metrics = tars_rpc::Metrics::register(&mut metrics);
    let mut parts = start_parts(options, &mut metrics).await?;
    if wants(Service::AdminReg) {
        parts.adminreg = Some(start_adminreg(options, &mut metrics)?);
    }
    let pod_watch = CancellationToken::new();
    let kubernetes = kubernetes(options).await?;
    let kevent = parts
        .kevent
        .take()
        .zip(kubernetes.as_ref())
        .map(|(kevent, kube)| KEventRun {
            kevent,
            client: kube.client.clone(),
        });
    if let (Some(kube), Some((notify_servant, _))) = (&kubernetes, &parts.notify) {
        let (client, namespace) = (kube.client.clone(), kube.namespace.clone());
        let (pods, stop) = (notify_servant.pod_names(), pod_watch.clone());
        tokio::spawn(async move {
            notify::pods::watch_pods(client, &namespace, pods, stop).await;
        });
    }
    // Bind first, so the registry can route every framework object to its listener.
    let listeners = bind_all(options).await?;
    let config = if wants(Service::Config) {
        Some(
            start_config(
                options,
                kubernetes.as_ref(),
                &mut metrics,
                pod_watch.clone(),
            )
            .await?,
        )
    } else {
        None
    };
    let registry = if wants(Service::Registry) {
        let registry_metrics = registry::Metrics::register(&mut metrics);
        Some(
            start_registry(
                options,
                &listeners,
                kubernetes,
                registry_metrics,
                pod_watch.clone(),
            )
            .await?,
        )
    } else {
        None
    };
    let mut servers = Vec::new();
    let mut served = Vec::new();
    for (object, service, listener) in listeners {
        let servant = servant_for(object, &parts, registry.as_ref(), config.as_ref());
        let implemented = servant.is_some();
        let mut rpc = Server::new(ServerConfig::default()).metrics(rpc_metrics.clone());
        if let Some(servant) = servant {
            if object == tars_adminreg::OBJECT {
                // Some clients spell the object in lower case; the same servant answers.
                rpc = rpc.servant(tars_adminreg::OBJECT_LOWER, Arc::clone(&servant));
            }
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
    let notify_writer = parts.notify.take().map(|(_, writer)| writer);
    let admin = bind_admin(options, metrics, &parts, registry.as_ref(), config.as_ref()).await?;
    Ok(Plane {
        servers,
        served,
        admin_addr: admin.as_ref().and_then(|(l, _)| l.local_addr().ok()),
        admin,
        sink: parts.sink,
        stat: parts.stat,
        property: parts.property,
        notify_writer,
        log: parts.log,
        pod_watch,
        registry,
        config,
        kevent,
        trace: parts.trace.take().map(|(pipeline, _)| pipeline),
    })
}

/// Binds the admin port with its readiness checks (none when `admin.listen` is empty).
async fn bind_admin(
    options: &Options,
    metrics: prometheus_client::registry::Registry,
    parts: &Parts,
    registry: Option<&registry::Service>,
    config: Option<&tars_config::Service>,
) -> Result<Option<(tokio::net::TcpListener, Admin)>, Error> {
    let Some(mut addr) = options.admin.address().map_err(Error::Config)? else {
        return Ok(None);
    };
    if options.ephemeral {
        addr.set_port(0);
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| Error::BindAdmin { addr, source })?;
    let mut admin = Admin::new(metrics);
    if let Some(registry) = registry {
        let registry = registry.registry.clone();
        admin.check(
            "registry",
            Box::new(move || {
                let readiness = registry.readiness();
                match (readiness.ready, readiness.synced, readiness.stale_for) {
                    (true, _, _) => Ok(String::new()),
                    (false, false, _) => Err("initial sync not done".to_owned()),
                    (false, true, stale) => Err(format!(
                        "stale: source failing for {:.0} s",
                        stale.map_or(0.0, |d| d.as_secs_f64())
                    )),
                }
            }),
        );
    }
    if let Some(config) = config {
        let config = config.clone_handle();
        admin.check(
            "config",
            Box::new(move || {
                let readiness = config.readiness();
                let line = readiness.describe();
                if readiness.ready { Ok(line) } else { Err(line) }
            }),
        );
    }
    if let Some((metrics, cluster)) = parts.kevent_check.clone() {
        admin.check(
            "kevent",
            Box::new(move || {
                let down: Vec<&str> = ["namespace", "cluster"]
                    .into_iter()
                    .filter(|s| (*s == "namespace" || cluster) && !metrics.source_up(s))
                    .collect();
                if down.is_empty() {
                    Ok(String::new())
                } else {
                    Err(format!(
                        "event watch not reaching the API server ({}); events are written once it does",
                        down.join(", ")
                    ))
                }
            }),
        );
    }
    if let Some(sink) = &parts.sink {
        let sink = sink.clone();
        admin.check(
            "store",
            Box::new(move || {
                sink.readiness()?;
                Ok(sink.describe().unwrap_or_default())
            }),
        );
    }
    Ok(Some((listener, admin)))
}

/// Binds the port of every object of the selected services (OS-chosen ports when
/// `ephemeral`): `(object, service label, listener)`.
async fn bind_all(
    options: &Options,
) -> Result<Vec<(&'static str, &'static str, tokio::net::TcpListener)>, Error> {
    let mut listeners = Vec::new();
    for &(object, port, label) in FRAMEWORK_OBJECTS {
        let selected = Service::of_object(object).is_some_and(|s| options.services.contains(&s));
        if !selected {
            continue;
        }
        let port = if options.ephemeral { 0 } else { port };
        let addr = SocketAddr::new(options.host, port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind {
                object,
                source: tars_rpc::Error::BindFailed { addr, source },
            })?;
        listeners.push((object, label, listener));
    }
    Ok(listeners)
}

impl Plane {
    /// The document store, when a running service uses one.
    pub fn sink(&self) -> Option<&Sink> {
        self.sink.as_ref()
    }

    /// The stat service (its window can be closed on demand in tests).
    pub fn stat(&self) -> Option<&Stat> {
        self.stat.as_ref()
    }

    /// The property service.
    pub fn property(&self) -> Option<&Property> {
        self.property.as_ref()
    }

    /// The config service.
    pub fn config(&self) -> Option<&tars_config::Service> {
        self.config.as_ref()
    }

    /// The registry.
    pub fn registry(&self) -> Option<&registry::Registry> {
        self.registry.as_ref().map(|r| &r.registry)
    }

    /// Serves until `shutdown` is cancelled; then drains every listener, flushes the last
    /// (partial) minute of stat and property, and closes the store. The admin port answers
    /// until the end.
    pub async fn run(self, shutdown: CancellationToken) {
        let admin_stop = CancellationToken::new();
        let admin = self
            .admin
            .map(|(listener, admin)| tokio::spawn(admin.serve(listener, admin_stop.clone())));
        let flush = CancellationToken::new();
        let flushers = TaskTracker::new();
        if let Some(stat) = &self.stat {
            flushers.spawn(stat.aggregator.clone().run(flush.clone()));
        }
        if let Some(property) = &self.property {
            flushers.spawn(property.aggregator.clone().run(flush.clone()));
        }
        if let Some(writer) = self.notify_writer {
            // Ends once the notify listener has stopped and its queue is written.
            flushers.spawn(writer.run());
        }
        if let Some(KEventRun { kevent, client }) = self.kevent {
            // Hands its last batch to the sink when `flush` is cancelled.
            flushers.spawn(kevent.run(client, flush.clone()));
        }
        if let Some(pipeline) = self.trace {
            // Drains its queue, closes every open trace and writes it when `flush` is
            // cancelled (after the listeners stopped).
            flushers.spawn(pipeline.run(flush.clone()));
        }
        flushers.close();
        let servers = TaskTracker::new();
        for server in self.servers {
            servers.spawn(server.run(shutdown.child_token()));
        }
        servers.close();
        servers.wait().await;
        // A process without listeners (`serve kevent`) runs until shutdown too.
        shutdown.cancelled().await;
        self.pod_watch.cancel();
        if let Some(registry) = &self.registry {
            registry.closed().await;
        }
        if let Some(config) = &self.config {
            config.closed().await;
        }
        flush.cancel();
        if let Some(log) = &self.log {
            log.flush().await;
        }
        flushers.wait().await;
        if let Some(sink) = &self.sink {
            sink.close(SINK_GRACE).await;
        }
        admin_stop.cancel();
        if let Some(admin) = admin {
            let _ = admin.await;
        }
    }
}

/// The default data directory: `./data`.
pub fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}
