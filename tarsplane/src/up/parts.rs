//! The selected services' running parts, built before the listeners are served: the store
//! and what writes to it, AdminReg, kevent, the config service and the registry (with every
//! framework object routed to this process), and the servant each object gets.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use property::Property;
use sink::Sink;
use stat::Stat;
use tars_rpc::Servant;
use tokio_util::sync::CancellationToken;

use super::{Error, Options};
use crate::objects::Service;

/// The kevent service and the client its watches use.
pub(super) struct KEventRun {
    pub(super) kevent: tars_kevent::KEvent,
    pub(super) client: kube::Client,
}

impl std::fmt::Debug for KEventRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KEventRun")
            .field("kevent", &self.kevent)
            .finish_non_exhaustive()
    }
}

/// The services' running parts, each present when a selected service needs it.
#[derive(Debug, Default)]
pub(super) struct Parts {
    pub(super) sink: Option<Sink>,
    pub(super) stat: Option<Stat>,
    pub(super) property: Option<Property>,
    pub(super) notify: Option<(notify::NotifyServant, notify::NotifyWriter)>,
    pub(super) log: Option<tars_log::LogServant>,
    pub(super) adminreg: Option<tars_adminreg::AdminRegServant>,
    pub(super) kevent: Option<tars_kevent::KEvent>,
    /// kevent's metrics and whether it watches `default` too, for its readiness check.
    pub(super) kevent_check: Option<(tars_kevent::Metrics, bool)>,
    /// The trace pipeline (to run) and `tars.tarslog.TopologyObj`.
    pub(super) trace: Option<(tars_trace::Pipeline, tars_trace::TopologyServant)>,
}

/// The Kubernetes client and namespace, when a namespace is set and a selected service uses
/// the API (the registry, notify, config, kevent).
///
/// # Errors
/// No Kubernetes configuration (in-cluster or `KUBECONFIG`) could be loaded.
pub(super) async fn kubernetes(options: &Options) -> Result<Option<registry::Kubernetes>, Error> {
    let uses_api = options.services.iter().any(|s| {
        matches!(
            s,
            Service::Registry | Service::Notify | Service::Config | Service::KEvent
        )
    });
    match &options.kubernetes_namespace {
        Some(namespace) if uses_api => Ok(Some(registry::Kubernetes {
            client: kube::Client::try_default()
                .await
                .map_err(Error::Kubernetes)?,
            namespace: namespace.clone(),
        })),
        _ => Ok(None),
    }
}

/// Builds the AdminReg servant: pods' NodeObj at the configured port, tarsweb at its URL, bare
/// pod names in `pingNode` completed with the Kubernetes namespace.
pub(super) fn start_adminreg(
    options: &Options,
    metrics: &mut prometheus_client::registry::Registry,
) -> Result<tars_adminreg::AdminRegServant, Error> {
    let config = &options.adminreg;
    config.validate().map_err(Error::Config)?;
    let web = tars_adminreg::Web::new(config).map_err(Error::Config)?;
    Ok(tars_adminreg::AdminRegServant::new(
        tars_adminreg::Nodes::new(config),
        web,
        options.kubernetes_namespace.clone().unwrap_or_default(),
        tars_adminreg::Metrics::register(metrics),
    ))
}

/// Starts the config service, writing the sample file first when the file source has none.
pub(super) async fn start_config(
    options: &Options,
    kubernetes: Option<&registry::Kubernetes>,
    metrics: &mut prometheus_client::registry::Registry,
    shutdown: CancellationToken,
) -> Result<tars_config::Service, Error> {
    let config = &options.config;
    if config.source == tars_config::Source::File {
        crate::samples::write_sample(&config.file, crate::samples::CONFIG_SAMPLE)?;
    }
    let kubernetes = kubernetes.map(|k| (k.client.clone(), k.namespace.clone()));
    let metrics = tars_config::Metrics::register(metrics);
    tars_config::start(config, kubernetes, metrics, shutdown)
        .await
        .map_err(Error::ConfigService)
}

/// Starts the store and the service parts the selected services need.
pub(super) async fn start_parts(
    options: &Options,
    metrics: &mut prometheus_client::registry::Registry,
) -> Result<Parts, Error> {
    let wants = |service| options.services.contains(&service);
    let mut parts = Parts::default();
    // kevent runs only against a cluster: `up` without a namespace leaves it out, `serve
    // kevent` without one is a configuration error.
    let kevent_namespace = if wants(Service::KEvent) {
        match &options.kubernetes_namespace {
            Some(namespace) => Some(namespace.clone()),
            None if options.services == [Service::KEvent] => {
                return Err(Error::Config(
                    "kevent needs kubernetes_namespace (the namespace whose events it writes)"
                        .into(),
                ));
            }
            None => None,
        }
    } else {
        None
    };
    let needs_sink = kevent_namespace.is_some()
        || options.services.iter().any(|s| {
            matches!(
                s,
                Service::Stat
                    | Service::Property
                    | Service::Notify
                    | Service::QueryStat
                    | Service::QueryProperty
            )
        })
        || (wants(Service::Log) && (options.log.ship_to_sink || options.trace.enabled));
    if !needs_sink {
        if wants(Service::Log) {
            let log_metrics = tars_log::Metrics::register(metrics);
            parts.log =
                Some(tars_log::start(&options.log, None, log_metrics).map_err(Error::Config)?);
        }
        return Ok(parts);
    }
    let sink = Sink::start(&options.sink, sink::Metrics::register(metrics)).map_err(Error::Sink)?;
    let mut specs = Vec::new();
    if wants(Service::Stat) || wants(Service::QueryStat) {
        let m = aggregate::Metrics::register(metrics, "tars_stat");
        let stat = Stat::start(&options.stat, sink.clone(), m).map_err(Error::Config)?;
        specs.push(stat.index_spec().clone());
        parts.stat = Some(stat);
    }
    if wants(Service::Property) || wants(Service::QueryProperty) {
        let m = aggregate::Metrics::register(metrics, "tars_property");
        let property =
            Property::start(&options.property, sink.clone(), m).map_err(Error::Config)?;
        specs.push(property.index_spec().clone());
        parts.property = Some(property);
    }
    if wants(Service::Log) {
        let m = tars_log::Metrics::register(metrics);
        let mut log =
            tars_log::start(&options.log, Some(sink.clone()), m).map_err(Error::Config)?;
        if options.log.ship_to_sink {
            specs.push(tars_log::ship_index_spec(&options.log));
        }
        if options.trace.enabled {
            let m = tars_trace::Metrics::register(metrics);
            let tz = stamp::time_zone(&options.log.time_zone)
                .map_err(|e| Error::Config(format!("log.time_zone: {e}")))?;
            let (feed, pipeline) =
                tars_trace::pipeline(&options.trace, sink.clone(), tz, m.clone())
                    .map_err(Error::Config)?;
            log = log.with_trace_feed(feed);
            let topology = tars_trace::TopologyServant::new(sink.clone(), m);
            parts.trace = Some((pipeline, topology));
            specs.extend(tars_trace::document::index_specs(
                &options.trace.delete_after,
            ));
        }
        parts.log = Some(log);
    }
    if wants(Service::Notify) {
        let m = notify::Metrics::register(metrics);
        parts.notify =
            Some(notify::start(&options.notify, sink.clone(), m).map_err(Error::Config)?);
        specs.push(notify::index_spec(&options.notify));
    }
    if let Some(namespace) = kevent_namespace {
        let m = tars_kevent::Metrics::register(metrics);
        let kevent =
            tars_kevent::KEvent::new(options.kevent.clone(), namespace, sink.clone(), m.clone())
                .map_err(Error::Config)?;
        parts.kevent_check = Some((m, kevent.watches_default()));
        specs.push(kevent.index_spec());
        parts.kevent = Some(kevent);
    }
    for spec in specs {
        sink.register_index(spec).await.map_err(Error::Sink)?;
    }
    parts.sink = Some(sink);
    Ok(parts)
}

pub(super) fn servant_for(
    object: &str,
    parts: &Parts,
    registry: Option<&registry::Service>,
    config: Option<&tars_config::Service>,
) -> Option<Arc<dyn Servant>> {
    match object {
        "tars.tarsconfig.ConfigObj" => Some(Arc::new(config?.servant.clone())),
        "tars.tarsregistry.QueryObj" => Some(Arc::new(registry?.query.clone())),
        "tars.tarsregistry.RegistryObj" => Some(Arc::new(registry?.registry_servant.clone())),
        "tars.tarsstat.StatObj" => Some(Arc::new(parts.stat.as_ref()?.servant())),
        "tars.tarsquerystat.QueryObj" => Some(Arc::new(parts.stat.as_ref()?.query_servant())),
        "tars.tarsproperty.PropertyObj" => Some(Arc::new(parts.property.as_ref()?.servant())),
        "tars.tarsqueryproperty.QueryObj" => {
            Some(Arc::new(parts.property.as_ref()?.query_servant()))
        }
        "tars.tarsnotify.NotifyObj" => Some(Arc::new(parts.notify.as_ref()?.0.clone())),
        "tars.tarslog.LogObj" => Some(Arc::new(parts.log.as_ref()?.clone())),
        "tars.tarslog.TopologyObj" => Some(Arc::new(parts.trace.as_ref()?.1.clone())),
        tars_adminreg::OBJECT => Some(Arc::new(parts.adminreg.as_ref()?.clone())),
        _ => None,
    }
}

/// Starts the registry with every framework object routed to `listeners` (configured routes
/// win), writing the sample file first when the file source has none.
pub(super) async fn start_registry(
    options: &Options,
    listeners: &[(&'static str, &'static str, tokio::net::TcpListener)],
    kubernetes: Option<registry::Kubernetes>,
    metrics: registry::Metrics,
    shutdown: CancellationToken,
) -> Result<registry::Service, Error> {
    let mut config = options.registry.clone();
    if options.route_locally {
        let mut routes = local_routes(options.host, listeners);
        routes.append(&mut config.routes);
        config.routes = routes;
    }
    if config.source == registry::Source::File {
        crate::samples::write_sample(&config.file, crate::samples::REGISTRY_SAMPLE)?;
    }
    registry::start(&config, kubernetes, metrics, shutdown)
        .await
        .map_err(Error::Registry)
}

/// Routes for every framework object to this process's listeners: the address clients use
/// (loopback when listening on every interface) and the bound port.
pub(super) fn local_routes(
    host: IpAddr,
    listeners: &[(&'static str, &'static str, tokio::net::TcpListener)],
) -> BTreeMap<String, Vec<registry::routes::RouteEndpoint>> {
    let advertised = if host.is_unspecified() {
        IpAddr::from([127, 0, 0, 1])
    } else {
        host
    };
    listeners
        .iter()
        .filter_map(|(object, _, listener)| {
            let port = listener.local_addr().ok()?.port();
            let endpoint = registry::routes::RouteEndpoint {
                host: advertised.to_string(),
                port,
                timeout_ms: registry::routes::SELF_TIMEOUT_MS,
                tcp: true,
            };
            Some(((*object).to_owned(), vec![endpoint]))
        })
        .collect()
}
