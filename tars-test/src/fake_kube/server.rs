//! The listener, one task per connection, and the shutdown that ends them all.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::http::uri::PathAndQuery;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use super::reply::{Outcome, Reply, StatusError};
use super::router::{self, Request};
use super::state::FakeKubeState;
use super::watch::WatchBody;
use crate::fake_es::reply::Params;

/// The largest request body accepted: 3 << 20 bytes, the API server's own limit.
const MAX_BODY_BYTES: u64 = 3 << 20;

/// A JSON reply or a watch stream.
type ReplyBody = Either<Full<Bytes>, WatchBody>;

/// A running fake Kubernetes API server serving HTTP/1.1 on a local port.
///
/// Dropping it stops it like [`FakeKube::stop`], but without waiting for the tasks to end.
#[derive(Debug)]
pub struct FakeKube {
    addr: SocketAddr,
    state: FakeKubeState,
    shutdown: oneshot::Sender<()>,
    accept: JoinHandle<()>,
}

impl FakeKube {
    /// Starts an empty server (no resource types registered) on `127.0.0.1` and a free port.
    ///
    /// # Errors
    /// Binding the listener failed.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on(
            SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            FakeKubeState::new(),
        )
        .await
    }

    /// Starts a server on `addr` serving `state`: with the address and state of a stopped
    /// server, a restart after an outage with the objects and versions kept.
    ///
    /// # Errors
    /// Binding the listener failed (for example, the port is taken).
    pub async fn start_on(addr: SocketAddr, state: FakeKubeState) -> std::io::Result<Self> {
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

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, e.g. `http://127.0.0.1:6443`, for `kube::Config::new`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A handle to the server's data and controls (O(1), shared).
    pub fn state(&self) -> FakeKubeState {
        self.state.clone()
    }

    /// An outage: stops accepting, closes the listener (the port can be bound again at once)
    /// and aborts every open connection, in-flight requests and watch streams included (their
    /// clients see the connection closed, a watch without the end of its chunked body).
    /// Returns when all of that is done.
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
async fn accept_loop(listener: TcpListener, state: FakeKubeState, mut stop: oneshot::Receiver<()>) {
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

async fn serve_connection(stream: TcpStream, state: FakeKubeState) {
    // Watch events should not wait for Nagle; failing to set it only costs latency.
    let _ = stream.set_nodelay(true);
    let service =
        service_fn(move |request: hyper::Request<Incoming>| handle(request, state.clone()));
    // A connection error (client gone mid-request) just ends this connection.
    let _ = http1::Builder::new()
        .keep_alive(true)
        // No timer is configured, so no header timeout (hyper would only warn about it).
        .header_read_timeout(None::<Duration>)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// The error that makes hyper close a connection without answering (a request body that
/// could not be read).
#[derive(Debug)]
struct CloseConnection;

impl fmt::Display for CloseConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fake-kube closed the connection without answering")
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
    state: FakeKubeState,
) -> Result<Response<ReplyBody>, CloseConnection> {
    let (parts, body) = request.into_parts();
    let body = match read_body(&parts.headers, body).await {
        Ok(bytes) => bytes,
        Err(BodyError::TooLarge) => {
            let error = StatusError::too_large(format!(
                "the request body is larger than {MAX_BODY_BYTES} bytes"
            ));
            return Ok(render(&error.into_reply()));
        }
        Err(BodyError::Broken) => return Err(CloseConnection),
    };
    let header = |name: HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let raw_type = header(CONTENT_TYPE);
    let content_type = raw_type
        .split_once(';')
        .map_or(raw_type, |(media, _)| media)
        .trim()
        .to_ascii_lowercase();
    let params = Params::parse(parts.uri.query());
    let target = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), PathAndQuery::as_str);
    let outcome = router::route(
        &state,
        &Request {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            target,
            params: &params,
            content_type: &content_type,
            host: header(HOST),
            body: &body,
        },
    );
    Ok(match outcome {
        Outcome::Reply(reply) => render(&reply),
        Outcome::Watch(events) => {
            let mut response = Response::new(Either::Right(events));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
    })
}

/// The HTTP response of a JSON reply.
fn render(reply: &Reply) -> Response<ReplyBody> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let bytes = Bytes::from(serde_json::to_vec(&reply.body).unwrap_or_default());
    let mut response = Response::new(Either::Left(Full::new(bytes)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
