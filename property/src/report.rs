//! `PropertyF.reportPropMsg` as K8SFramework serves it (framework facts §5.3).

use std::net::IpAddr;
use std::sync::Arc;

use aggregate::{Added, Aggregator};
use bytes::{Bytes, BytesMut};
use tars_codec::Struct;
use tars_rpc::interfaces::IntResult;
use tars_rpc::interfaces::property::{REPORT_PROP_MSG, ReportPropMsgArgs};
use tars_rpc::{Reply, ReplyFuture, Request, Servant};

use crate::document::PropertyDocuments;

/// Modules whose properties are not kept.
pub const IGNORED_MODULES: [&[u8]; 1] = [b"tars.tarsnode"];

/// `tars.tarsproperty.PropertyObj`.
#[derive(Debug, Clone)]
pub struct PropertyServant {
    aggregator: Arc<Aggregator<PropertyDocuments>>,
    ok: Bytes,
}

impl PropertyServant {
    /// A servant adding to `aggregator`'s window.
    pub fn new(aggregator: Arc<Aggregator<PropertyDocuments>>) -> Self {
        Self {
            aggregator,
            ok: tars_codec::to_bytes(&IntResult { ret: 0 }),
        }
    }

    /// Adds every kept entry of a decoded report: the head's `ip` is always the reporting
    /// connection's address. Returns how many entries were kept.
    pub fn add(&self, args: &ReportPropMsgArgs<'_>, peer: IpAddr) -> usize {
        let peer_ip = peer.to_string();
        let window = self.aggregator.window();
        let metrics = self.aggregator.metrics();
        let mut key = BytesMut::with_capacity(256);
        let (mut kept, mut filtered, mut refused) = (0, 0u64, 0);
        for (head, body) in args.statmsg.entries() {
            if IGNORED_MODULES.contains(&head.module_name) {
                filtered += 1;
                continue;
            }
            let mut head = head.clone();
            head.ip = peer_ip.as_bytes();
            key.clear();
            head.encode_fields(&mut key);
            match window.add(&key, body) {
                Added::Refused => refused += 1,
                Added::Merged | Added::Inserted => kept += 1,
            }
        }
        metrics.entries.inc_by(args.statmsg.len() as u64);
        metrics.filtered.inc_by(filtered);
        if refused > 0 {
            metrics.dropped("max_keys", refused);
            tracing::warn!(
                message = "Property window is at its key bound; new heads dropped.",
                dropped = refused,
                keys = window.len()
            );
        }
        kept
    }
}

impl Servant for PropertyServant {
    fn call(&self, request: Request) -> ReplyFuture {
        let reply = if *request.func_name == *REPORT_PROP_MSG.as_bytes() {
            match request.args::<ReportPropMsgArgs<'_>>() {
                Ok(args) => {
                    self.add(&args, request.peer.ip());
                    Reply::Ok(self.ok.clone())
                }
                Err(error) => Reply::decode_error(&error),
            }
        } else {
            Reply::no_function("PropertyF", &request.func_name)
        };
        Box::pin(std::future::ready(reply))
    }
}
