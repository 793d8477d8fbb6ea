//! `StatF` as K8SFramework serves it (framework facts §1.4, §5.2): which entries count, how the
//! head is normalised, and the servant.

use std::net::IpAddr;
use std::sync::Arc;

use aggregate::{Added, Aggregator};
use bytes::{Bytes, BytesMut};
use tars_codec::Struct;
use tars_rpc::interfaces::IntResult;
use tars_rpc::interfaces::stat::{
    REPORT_MIC_MSG, REPORT_SAMPLE_MSG, ReportMicMsgArgs, StatMicMsgBody, StatMicMsgHead,
};
use tars_rpc::{Reply, ReplyFuture, Request, Servant};

use crate::document::StatDocuments;

/// Callees whose statistics are not kept (the framework's own plumbing).
pub const IGNORED_SLAVES: [&[u8]; 4] = [
    b"tars.tarsnode",
    b"tars.tarsproperty",
    b"tars.tarsstat",
    b"tars.tarsnotify",
];

/// Callers whose client-side reports are not kept.
pub const IGNORED_MASTERS: [&[u8]; 2] = [b"tars.tarsnode", b"elk"];

/// Applies the reference's rules to one entry: `None` when it is not kept, else the head to
/// aggregate under. `peer_ip` is the reporting connection's address: it fills `masterIp` for
/// client-side reports and `slaveIp` for server-side ones.
pub fn normalise<'a>(
    head: &StatMicMsgHead<'a>,
    body: &StatMicMsgBody,
    from_client: bool,
    peer_ip: &'a [u8],
) -> Option<StatMicMsgHead<'a>> {
    if IGNORED_SLAVES.contains(&head.slave_name) {
        return None;
    }
    if body.count == 0 && body.exec_count == 0 && body.timeout_count == 0 {
        return None;
    }
    let mut head = head.clone();
    if let Some(at) = head.master_name.iter().position(|&b| b == b'@') {
        let (master, version) = (&head.master_name[..at], &head.master_name[at + 1..]);
        if IGNORED_MASTERS.contains(&master) {
            return None;
        }
        head.master_name = master;
        head.tars_version = version;
    }
    if from_client {
        head.master_ip = peer_ip;
    } else {
        head.slave_ip = peer_ip;
    }
    Some(head)
}

/// `tars.tarsstat.StatObj`.
#[derive(Debug, Clone)]
pub struct StatServant {
    aggregator: Arc<Aggregator<StatDocuments>>,
    ok: Bytes,
}

impl StatServant {
    /// A servant adding to `aggregator`'s window.
    pub fn new(aggregator: Arc<Aggregator<StatDocuments>>) -> Self {
        Self {
            aggregator,
            ok: tars_codec::to_bytes(&IntResult { ret: 0 }),
        }
    }

    /// Adds every kept entry of a decoded report; returns how many were kept.
    pub fn add(&self, args: &ReportMicMsgArgs<'_>, peer: IpAddr) -> usize {
        let peer_ip = peer.to_string();
        let window = self.aggregator.window();
        let metrics = self.aggregator.metrics();
        let mut key = BytesMut::with_capacity(256);
        let (mut kept, mut filtered, mut refused) = (0, 0, 0);
        for (head, body) in args.msg.entries() {
            let Some(head) = normalise(head, body, args.from_client, peer_ip.as_bytes()) else {
                filtered += 1;
                continue;
            };
            key.clear();
            head.encode_fields(&mut key);
            match window.add(&key, body) {
                Added::Refused => refused += 1,
                Added::Merged | Added::Inserted => kept += 1,
            }
        }
        metrics.entries.inc_by(args.msg.len() as u64);
        metrics.filtered.inc_by(filtered);
        if refused > 0 {
            metrics.dropped("max_keys", refused);
            tracing::warn!(
                message = "Stat window is at its key bound; new heads dropped.",
                dropped = refused,
                keys = window.len()
            );
        }
        kept
    }
}

impl Servant for StatServant {
    fn call(&self, request: Request) -> ReplyFuture {
        let reply = match &*request.func_name {
            f if f == REPORT_MIC_MSG.as_bytes() => match request.args::<ReportMicMsgArgs<'_>>() {
                Ok(args) => {
                    self.add(&args, request.peer.ip());
                    Reply::Ok(self.ok.clone())
                }
                Err(error) => Reply::decode_error(&error),
            },
            // K8SFramework answers 0 and keeps nothing.
            f if f == REPORT_SAMPLE_MSG.as_bytes() => Reply::Ok(self.ok.clone()),
            f => Reply::no_function("StatF", f),
        };
        Box::pin(std::future::ready(reply))
    }
}
