//! The admin HTTP port every process serves: `GET /metrics` (Prometheus text format, every
//! crate's metrics), `GET /healthz` (the process is up) and `GET /readyz` (every readiness
//! check passes: the registry has synced and is not stale, the document store can take
//! documents). Anything else is 404; methods other than GET/HEAD are 405.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use prometheus_client::registry::Registry;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The Prometheus text format's content type.
const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How long one admin request may take to arrive.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The `[admin]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Where `/metrics`, `/healthz` and `/readyz` are served; empty turns the port off.
    pub listen: String,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            listen: "0.0.0.0:9100".to_owned(), // the Prometheus node-exporter style port
        }
    }
}

impl AdminConfig {
    /// The address, if the port is on.
    ///
    /// # Errors
    ///
    /// A message naming `admin.listen` when it is not `host:port`.
    pub fn address(&self) -> Result<Option<SocketAddr>, String> {
        if self.listen.is_empty() {
            return Ok(None);
        }
        self.listen
            .parse()
            .map(Some)
            .map_err(|e| format!("admin.listen {:?}: {e} (expected host:port)", self.listen))
    }
}

/// One readiness check: `Ok` with a detail worth showing (or an empty one), or why not.
pub type Check = Box<dyn Fn() -> Result<String, String> + Send + Sync>;

/// What the admin port serves.
pub struct Admin {
    metrics: Registry,
    checks: Vec<(&'static str, Check)>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.checks.iter().map(|(n, _)| *n).collect();
        f.debug_struct("Admin")
            .field("checks", &names)
            .finish_non_exhaustive()
    }
}

impl Admin {
    /// Serves `metrics` and no checks yet.
    pub fn new(metrics: Registry) -> Self {
        Self {
            metrics,
            checks: Vec::new(),
        }
    }

    /// Adds a readiness check.
    pub fn check(&mut self, name: &'static str, check: Check) {
        self.checks.push((name, check));
    }

    /// The `/readyz` answer: ready, and one line per check.
    pub fn readiness(&self) -> (bool, String) {
        let mut ready = true;
        let mut body = String::new();
        for (name, check) in &self.checks {
            match check() {
                Ok(detail) if detail.is_empty() => {
                    let _ = writeln!(body, "{name}: ok");
                }
                Ok(detail) => {
                    let _ = writeln!(body, "{name}: ok ({detail})");
                }
                Err(why) => {
                    ready = false;
                    let _ = writeln!(body, "{name}: {why}");
                }
            }
        }
        (ready, body)
    }

    /// The `/metrics` body.
    pub fn metrics_text(&self) -> String {
        let mut text = String::new();
        // Encoding into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.metrics);
        text
    }

    fn respond(&self, request: &Request<Incoming>) -> Response<Full<Bytes>> {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n".to_owned());
        }
        match request.uri().path() {
            "/metrics" => {
                let mut response = text(StatusCode::OK, self.metrics_text());
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(METRICS_CONTENT_TYPE));
                response
            }
            "/healthz" => text(StatusCode::OK, "ok\n".to_owned()),
            "/readyz" => {
                let (ready, body) = self.readiness();
                let status = if ready {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                text(status, body)
            }
            _ => text(
                StatusCode::NOT_FOUND,
                "try /metrics, /healthz or /readyz\n".to_owned(),
            ),
        }
    }

    /// Serves on `listener` until `shutdown`.
    pub async fn serve(self, listener: TcpListener, shutdown: CancellationToken) {
        let admin = Arc::new(self);
        let connections = TaskTracker::new();
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = shutdown.cancelled() => break,
            };
            let Ok((stream, _)) = accepted else {
                // Out of descriptors or reset before accept: try again shortly.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let admin = admin.clone();
            let stop = shutdown.clone();
            connections.spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let response = admin.respond(&request);
                    async move { Ok::<_, Infallible>(response) }
                });
                let connection = http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(READ_TIMEOUT)
                    .serve_connection(TokioIo::new(stream), service);
                tokio::select! {
                    _ = connection => {}
                    () = stop.cancelled() => {}
                }
            });
        }
        connections.close();
        connections.wait().await;
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
