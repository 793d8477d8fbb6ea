//! A minimal `_bulk` endpoint for throughput benchmarks: it accepts every document, counts it,
//! and answers a per-item success, doing as little work as a server can. It measures what the
//! bulk writer itself costs; [`crate::fake_es`] is the faithful fake for behaviour tests.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A running counting server. Dropping it stops it.
#[derive(Debug)]
pub struct BulkCounter {
    addr: SocketAddr,
    documents: Arc<AtomicU64>,
    accept: JoinHandle<()>,
}

impl BulkCounter {
    /// Starts on `127.0.0.1` and a free port.
    ///
    /// # Errors
    /// Binding failed.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let addr = listener.local_addr()?;
        let documents = Arc::new(AtomicU64::new(0));
        let counted = documents.clone();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let counted = counted.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| answer(request, counted.clone()));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            addr,
            documents,
            accept,
        })
    }

    /// The base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Documents accepted so far.
    pub fn documents(&self) -> u64 {
        self.documents.load(Ordering::Relaxed)
    }
}

impl Drop for BulkCounter {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn answer(
    request: Request<Incoming>,
    counted: Arc<AtomicU64>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => Bytes::new(),
    };
    // Every document is an action line and a source line.
    #[allow(clippy::naive_bytecount)] // a benchmark helper; not worth a dependency
    let lines = body.iter().filter(|&&b| b == b'\n').count();
    let docs = lines / 2;
    counted.fetch_add(docs as u64, Ordering::Relaxed);
    let item = br#"{"index":{"status":201}}"#;
    let mut out = Vec::with_capacity(40 + docs * (item.len() + 1));
    out.extend_from_slice(br#"{"took":0,"errors":false,"items":["#);
    for i in 0..docs {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item);
    }
    out.extend_from_slice(b"]}");
    let mut response = Response::new(Full::new(Bytes::from(out)));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}
