//! The listener, one task per connection, and the shutdown that ends them all.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use super::filter_path;
use super::reply::{EsError, Outcome, Params, Reply};
use super::router::{self, Request};
use super::state::FakeEsState;

/// The largest request body accepted (Elasticsearch's default `http.max_content_length`).
const MAX_BODY_BYTES: u64 = 100 << 20;

/// A running fake Elasticsearch node serving HTTP/1.1 on a local port.
///
/// Dropping it stops it like [`FakeEs::stop`], but without waiting for the tasks to end.
#[derive(Debug)]
pub struct FakeEs {
    addr: SocketAddr,
    state: FakeEsState,
    shutdown: oneshot::Sender<()>,
    accept: JoinHandle<()>,
}

impl FakeEs {
    /// Starts an empty node on `127.0.0.1` and a free port.
    ///
    /// # Errors
    /// Binding the listener failed.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on(
            SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            FakeEsState::new(),
        )
        .await
    }

    /// Starts a node on `addr` serving `state`: with the address and state of a stopped node,
    /// a restart after an outage with the data kept.
    ///
    /// # Errors
    /// Binding the listener failed (for example, the port is taken).
    pub async fn start_on(addr: SocketAddr, state: FakeEsState) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel();
        let accept = tokio::spawn(accept_loop(listener, state.clone(), stopped));
        Ok(Self {
            addr,
            state,
            shutdown,
            accept,
        })
    }

    /// The address the node listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, e.g. `http://127.0.0.1:9200`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A handle to the node's data and fault controls (O(1), shared).
    pub fn state(&self) -> FakeEsState {
        self.state.clone()
    }

    /// An outage: stops accepting, closes the listener (the port can be bound again at once)
    /// and aborts every open connection, in-flight requests included (their clients see the
    /// connection closed without an answer). Returns when all of that is done.
    pub async fn stop(self) {
        let Self {
            shutdown, accept, ..
        } = self;
        // The loop also ends if the receiver is gone already; nothing to report either way.
        let _ = shutdown.send(());
        let _ = accept.await;
    }
}

/// Accepts connections until told to stop, then aborts them all.
async fn accept_loop(listener: TcpListener, state: FakeEsState, mut stop: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(stream, state.clone()));
                }
                // Out of file descriptors or a connection reset before accept: try again.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

async fn serve_connection(stream: TcpStream, state: FakeEsState) {
    // Small replies should not wait for Nagle; failing to set it only costs latency.
    let _ = stream.set_nodelay(true);
    let service =
        service_fn(move |request: hyper::Request<Incoming>| handle(request, state.clone()));
    // A connection error (client gone, injected reset) just ends this connection.
    let _ = http1::Builder::new()
        .keep_alive(true)
        // No timer is configured, so no header timeout (hyper would only warn about it).
        .header_read_timeout(None::<Duration>)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// The error that makes hyper close a connection without answering ([`super::Fault::Reset`],
/// or a request body that could not be read).
#[derive(Debug)]
struct CloseConnection;

impl fmt::Display for CloseConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fake-es closed the connection without answering")
    }
}

impl std::error::Error for CloseConnection {}

/// Why a request body was not read.
#[derive(Debug)]
enum BodyError {
    TooLarge,
    Broken,
}

async fn read_body(headers: &HeaderMap, body: Incoming) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
        return Err(BodyError::TooLarge);
    }
    match Limited::new(body, MAX_BODY_BYTES as usize).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            Err(BodyError::TooLarge)
        }
        Err(_) => Err(BodyError::Broken),
    }
}

async fn handle(
    request: hyper::Request<Incoming>,
    state: FakeEsState,
) -> Result<Response<Full<Bytes>>, CloseConnection> {
    let (parts, body) = request.into_parts();
    let params = Params::parse(parts.uri.query());
    let outcome = match read_body(&parts.headers, body).await {
        Ok(bytes) => router::route(
            &state,
            &Request {
                method: parts.method.as_str(),
                path: parts.uri.path(),
                params: &params,
                headers: &parts.headers,
                body: &bytes,
            },
        ),
        Err(BodyError::TooLarge) => Outcome::Reply(
            EsError::new(
                413,
                "content_too_long_exception",
                format!("request body is larger than {MAX_BODY_BYTES} bytes"),
            )
            .into_reply(),
        ),
        Err(BodyError::Broken) => return Err(CloseConnection),
    };
    let delay = state.delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match outcome {
        Outcome::Reply(reply) => Ok(render(
            reply,
            parts.method == Method::HEAD,
            params.get("filter_path"),
        )),
        Outcome::Reset => Err(CloseConnection),
    }
}

/// The HTTP response of a reply; `HEAD` gets the status and headers only.
fn render(reply: Reply, head: bool, filter: Option<&str>) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match filter {
        Some(spec) => filter_path::apply(reply.body, spec),
        None => reply.body,
    };
    let bytes = if head {
        Bytes::new()
    } else {
        Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
    };
    let mut response = Response::new(Full::new(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        "x-elastic-product",
        HeaderValue::from_static("Elasticsearch"),
    );
    response
}
