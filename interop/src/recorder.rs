//! A recording TCP proxy in front of one TARS object: clients connect to it (the registry routes
//! the object to it), it forwards every byte both ways and keeps each request packet the
//! clients sent, so a test can say exactly what a real client put on the wire (method, request
//! context, argument tags).
//!
//! A request is recorded before it is forwarded, so every call a client has seen answered is
//! in [`Recorder::calls`].

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::BytesMut;
use serde_json::{Value, json};
use tars_codec::{RequestPacket, from_slice};
use tarsplane::decode::{Input, tree};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// One request packet as a client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// `iVersion`.
    pub version: i16,
    /// `cPacketType` (0 normal, 1 one-way).
    pub packet_type: i8,
    /// `sServantName`.
    pub object: String,
    /// `sFuncName`.
    pub function: String,
    /// `iTimeout`.
    pub timeout: i32,
    /// `context`.
    pub context: BTreeMap<String, String>,
    /// `status`.
    pub status: BTreeMap<String, String>,
    /// `sBuffer`: the encoded arguments.
    pub args: Vec<u8>,
}

impl Call {
    /// The arguments as `tarsplane decode` prints them (one `tag: type value` line per field,
    /// structs indented), or the decode error after what could be read.
    pub fn args_tree(&self) -> String {
        match tree(&self.args, Input::Fields) {
            Ok(text) => text,
            Err((text, e)) => format!("{text}(undecodable: {e})"),
        }
    }

    /// The call as JSON (function, context, status, argument tree), for messages and reports.
    pub fn to_json(&self) -> Value {
        json!({
            "function": self.function,
            "version": self.version,
            "packet_type": self.packet_type,
            "timeout": self.timeout,
            "context": self.context,
            "status": self.status,
            "args": self.args_tree(),
        })
    }
}

/// A recording proxy on a loopback port; stops when dropped.
#[derive(Debug)]
pub struct Recorder {
    addr: SocketAddr,
    upstream: Arc<OnceLock<SocketAddr>>,
    calls: Arc<Mutex<Vec<Call>>>,
    stop: CancellationToken,
}

impl Recorder {
    /// Binds a loopback port and starts accepting; connections are forwarded once
    /// [`Recorder::forward_to`] has named the upstream (a connection that comes earlier is
    /// closed).
    ///
    /// # Panics
    ///
    /// When no port can be bound (a test helper).
    pub async fn bind() -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind the recorder");
        let addr = listener.local_addr().expect("recorder address");
        let upstream = Arc::new(OnceLock::new());
        let calls = Arc::new(Mutex::new(Vec::new()));
        let stop = CancellationToken::new();
        tokio::spawn(accept(
            listener,
            upstream.clone(),
            calls.clone(),
            stop.clone(),
        ));
        Self {
            addr,
            upstream,
            calls,
            stop,
        }
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Forwards every connection to `upstream` from now on.
    ///
    /// # Panics
    ///
    /// When an upstream was already set.
    pub fn forward_to(&self, upstream: SocketAddr) {
        self.upstream
            .set(upstream)
            .expect("the recorder's upstream is set once");
    }

    /// Every request recorded so far, in the order they arrived.
    ///
    /// # Panics
    ///
    /// When a relay task panicked while holding the list.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("calls").clone()
    }

    /// The recorded requests of `function`.
    pub fn calls_of(&self, function: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.function == function)
            .collect()
    }

    /// Forgets what was recorded so far.
    ///
    /// # Panics
    ///
    /// As [`Recorder::calls`].
    pub fn clear(&self) {
        self.calls.lock().expect("calls").clear();
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn accept(
    listener: TcpListener,
    upstream: Arc<OnceLock<SocketAddr>>,
    calls: Arc<Mutex<Vec<Call>>>,
    stop: CancellationToken,
) {
    loop {
        let client = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => client,
                Err(_) => continue,
            },
        };
        let Some(upstream) = upstream.get().copied() else {
            continue;
        };
        let (calls, stop) = (calls.clone(), stop.clone());
        tokio::spawn(async move {
            tokio::select! {
                () = stop.cancelled() => {}
                () = relay(client, upstream, calls) => {}
            }
        });
    }
}

/// Copies answers back as they come; splits requests into frames, records and forwards each.
async fn relay(client: TcpStream, upstream: SocketAddr, calls: Arc<Mutex<Vec<Call>>>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let answers = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
        let _ = to_client.shutdown().await;
    });
    let mut buf = BytesMut::with_capacity(8192);
    'read: while matches!(from_client.read_buf(&mut buf).await, Ok(n) if n > 0) {
        while let Some(prefix) = buf.first_chunk::<4>() {
            let len = u32::from_be_bytes(*prefix) as usize;
            if len < 4 {
                break 'read;
            }
            if buf.len() < len {
                break;
            }
            let frame = buf.split_to(len);
            if let Some(call) = decode(&frame[4..]) {
                calls.lock().expect("calls").push(call);
            }
            if to_server.write_all(&frame).await.is_err() {
                break 'read;
            }
        }
    }
    let _ = to_server.shutdown().await;
    let _ = answers.await;
}

fn decode(packet: &[u8]) -> Option<Call> {
    let p: RequestPacket<'_> = from_slice(packet).ok()?;
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let map = |m: &tars_codec::packet::StringMap<'_>| {
        m.iter()
            .map(|(k, v)| (text(k), text(v)))
            .collect::<BTreeMap<_, _>>()
    };
    Some(Call {
        version: p.version,
        packet_type: p.packet_type,
        object: text(p.servant_name),
        function: text(p.func_name),
        timeout: p.timeout,
        context: map(&p.context),
        status: map(&p.status),
        args: p.buffer.0.to_vec(),
    })
}
