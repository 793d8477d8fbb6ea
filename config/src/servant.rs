//! `tars.tarsconfig.ConfigObj`: the eight ConfigF methods as K8SFramework answers them
//! (`shared/spec/framework-next.md` §1.4, §1.5, §1.8), from the current snapshot: no call
//! waits for the API server. Loads and lists are answered inline by the connection; the
//! `check*` methods (which parse the file) go through [`Servant::call`].

use bytes::{Bytes, BytesMut};
use mirror::Mirror;
use tars_codec::Struct;
use tars_codec::packet::ret;
use tars_codec::{Error, Protocol};
use tars_rpc::interfaces::config::{
    ByInfoArgs, CHECK_CONFIG, CHECK_CONFIG_BY_INFO, LIST_ALL_CONFIG_BY_INFO, LIST_CONFIG,
    LIST_CONFIG_BY_INFO, LOAD_CONFIG, LOAD_CONFIG_BY_HOST, LOAD_CONFIG_BY_INFO, List2Result,
    ListAllConfigByInfoArgs, ListConfigArgs, ListConfigResult, LoadConfigArgs,
    LoadConfigByHostArgs, Text2Result, Text4Result,
};
use tars_rpc::{Call, Inline, Reply, ReplyFuture, Request, Servant};

use crate::identity::{Caller, Resolved};
use crate::metrics::{Metrics, Outcome};
use crate::snapshot::{NOT_FOUND, Snapshot, Working};

/// The request context key TarsCpp and TarsGo fill with the pod's domain name.
pub const NODE_NAME: &[u8] = b"node_name";

/// The Config servant.
#[derive(Debug, Clone)]
pub struct ConfigServant {
    mirror: Mirror<Working>,
    metrics: Metrics,
}

/// What a load answered: the text (content, or an error text for `check*`) and the return code.
struct Answer {
    ret: i32,
    text: Vec<u8>,
}

impl ConfigServant {
    /// A servant answering from `mirror`.
    pub fn new(mirror: Mirror<Working>, metrics: Metrics) -> Self {
        Self { mirror, metrics }
    }

    /// The snapshot calls are answered from.
    pub fn snapshot(&self) -> arc_swap::Guard<std::sync::Arc<Snapshot>> {
        self.mirror.load()
    }

    fn load(&self, app: &[u8], server: &[u8], file: &[u8], caller: Caller<'_>) -> Answer {
        let snapshot = self.mirror.load();
        let (loaded, resolved) = snapshot.load(app, server, file, caller);
        let Some(loaded) = loaded else {
            self.metrics.load(Outcome::NotFound, resolved);
            tracing::debug!(
                message = "Config not found.",
                app = %String::from_utf8_lossy(app),
                server = %String::from_utf8_lossy(server),
                file = %String::from_utf8_lossy(file),
            );
            // K8SFramework leaves the out string empty; only checkConfigByInfo reports why.
            return Answer {
                ret: -1,
                text: Vec::new(),
            };
        };
        let outcome = if loaded.pod.is_some() {
            Outcome::Pod
        } else {
            Outcome::Server
        };
        self.metrics.load(outcome, resolved);
        Answer {
            ret: 0,
            text: loaded.to_vec(),
        }
    }

    /// `App` → (App, ""), `App.Server` → (App, Server); empty pieces dropped as TarsCpp's
    /// `sepstr`; anything else is refused.
    fn split_app_server(name: &[u8]) -> Option<(&[u8], &[u8])> {
        let mut pieces = name.split(|&b| b == b'.').filter(|p| !p.is_empty());
        let app = pieces.next()?;
        let server = pieces.next().unwrap_or_default();
        pieces.next().is_none().then_some((app, server))
    }

    fn by_host<'a>(&self, args: &LoadConfigByHostArgs<'a>, call: &Call<'a>) -> Answer {
        let Some((app, server)) = Self::split_app_server(args.app_server_name) else {
            self.metrics.load(Outcome::BadName, Resolved::None);
            tracing::debug!(
                message = "bad AppServerName format",
                app_server_name = %String::from_utf8_lossy(args.app_server_name),
            );
            return Answer {
                ret: -1,
                text: Vec::new(),
            };
        };
        self.load(app, server, args.filename, caller(call, args.host))
    }

    fn check(&self, mut answer: Answer, error_text_on_load_failure: bool) -> Answer {
        if answer.ret != 0 {
            // checkConfigByInfo answers the exception text; checkConfig leaves `result` empty.
            if error_text_on_load_failure {
                answer.text = NOT_FOUND.as_bytes().to_vec();
            }
            return answer;
        }
        let text = String::from_utf8_lossy(&answer.text);
        match tc_config::Config::parse(&text) {
            Ok(_) => answer,
            Err(error) => {
                self.metrics.load(Outcome::Unparsable, Resolved::None);
                Answer {
                    ret: -1,
                    text: error.to_string().into_bytes(),
                }
            }
        }
    }

    /// Answers `call`, appending results to `body`.
    fn answer(&self, call: &Call<'_>, body: &mut BytesMut) -> Inline {
        if call.protocol != Protocol::Tars {
            return Inline::Reply(Reply::error(
                ret::DECODE_ERROR,
                "tars.tarsconfig.ConfigObj speaks TARS protocol version 1 only",
            ));
        }
        let func = call.func_name;
        let result = match func {
            f if f == LOAD_CONFIG_BY_INFO.as_bytes() => self.by_info(call, body, false),
            f if f == CHECK_CONFIG_BY_INFO.as_bytes() => self.by_info(call, body, true),
            f if f == LOAD_CONFIG.as_bytes() => self.load_config(call, body),
            f if f == LOAD_CONFIG_BY_HOST.as_bytes() => self.load_by_host(call, body, false),
            f if f == CHECK_CONFIG.as_bytes() => self.load_by_host(call, body, true),
            f if f == LIST_CONFIG.as_bytes() => self.list_config(call, body),
            f if f == LIST_CONFIG_BY_INFO.as_bytes() => self.list_by_info(call, body),
            f if f == LIST_ALL_CONFIG_BY_INFO.as_bytes() => self.list_all(call, body),
            _ => {
                return Inline::Reply(Reply::no_function("tars.tarsconfig.ConfigObj", func));
            }
        };
        match result {
            Ok(()) => Inline::Written,
            Err(error) => {
                body.clear();
                Inline::Reply(Reply::decode_error(&error))
            }
        }
    }

    /// `loadConfigByInfo` / `checkConfigByInfo`.
    fn by_info(&self, call: &Call<'_>, body: &mut BytesMut, check: bool) -> Result<(), Error> {
        let args = call.args::<ByInfoArgs<'_>>()?;
        let info = &args.info;
        let server = if info.app_only {
            &b""[..]
        } else {
            info.servername
        };
        let mut answer = self.load(info.appname, server, info.filename, caller(call, info.host));
        if check {
            answer = self.check(answer, true);
        }
        Text2Result {
            ret: answer.ret,
            text: &answer.text,
        }
        .encode_fields(body);
        Ok(())
    }

    /// `loadConfig`: K8SFramework passes only the peer IP; `node_name` is what TarsCpp sends.
    fn load_config(&self, call: &Call<'_>, body: &mut BytesMut) -> Result<(), Error> {
        let args = call.args::<LoadConfigArgs<'_>>()?;
        let answer = self.load(args.app, args.server, args.filename, caller(call, b""));
        Text4Result {
            ret: answer.ret,
            text: &answer.text,
        }
        .encode_fields(body);
        Ok(())
    }

    /// `loadConfigByHost` / `checkConfig`.
    fn load_by_host(&self, call: &Call<'_>, body: &mut BytesMut, check: bool) -> Result<(), Error> {
        let args = call.args::<LoadConfigByHostArgs<'_>>()?;
        let mut answer = self.by_host(&args, call);
        if check {
            answer = self.check(answer, false);
        }
        Text4Result {
            ret: answer.ret,
            text: &answer.text,
        }
        .encode_fields(body);
        Ok(())
    }

    /// `ListConfig`.
    fn list_config(&self, call: &Call<'_>, body: &mut BytesMut) -> Result<(), Error> {
        let args = call.args::<ListConfigArgs<'_>>()?;
        let snapshot = self.mirror.load();
        self.metrics.list();
        ListConfigResult {
            ret: 0,
            vf: names(snapshot.list(args.app, args.server)),
        }
        .encode_fields(body);
        Ok(())
    }

    /// `ListConfigByInfo`.
    fn list_by_info(&self, call: &Call<'_>, body: &mut BytesMut) -> Result<(), Error> {
        let args = call.args::<ByInfoArgs<'_>>()?;
        let info = &args.info;
        let server = if info.app_only {
            &b""[..]
        } else {
            info.servername
        };
        let snapshot = self.mirror.load();
        self.metrics.list();
        List2Result {
            ret: 0,
            vf: names(snapshot.list(info.appname, server)),
        }
        .encode_fields(body);
        Ok(())
    }

    /// `ListAllConfigByInfo`: K8SFramework lists the application's files when `bAppOnly` and
    /// then always the server's, each list replacing the previous, so the answer is the list
    /// of (`appname`, `servername`).
    fn list_all(&self, call: &Call<'_>, body: &mut BytesMut) -> Result<(), Error> {
        let args = call.args::<ListAllConfigByInfoArgs<'_>>()?;
        self.list2(args.info.appname, args.info.servername, body);
        Ok(())
    }

    /// A file list answered at tag 2 (`ListConfigByInfo`, `ListAllConfigByInfo`).
    fn list2(&self, app: &[u8], server: &[u8], body: &mut BytesMut) {
        let snapshot = self.mirror.load();
        self.metrics.list();
        List2Result {
            ret: 0,
            vf: names(snapshot.list(app, server)),
        }
        .encode_fields(body);
    }
}

/// The caller as a call shows it: `host` (when the method has one), the context's
/// `node_name`, the peer's IP.
fn caller<'a>(call: &Call<'a>, host: &'a [u8]) -> Caller<'a> {
    Caller {
        host,
        node_name: call.context(NODE_NAME).unwrap_or_default(),
        peer: Some(call.peer.ip()),
    }
}

fn names(list: &[Bytes]) -> Vec<&[u8]> {
    list.iter().map(|n| &n[..]).collect()
}

impl Servant for ConfigServant {
    fn call(&self, request: Request) -> ReplyFuture {
        let mut body = BytesMut::new();
        let reply = self.answer(&request.as_call(), &mut body).into_reply(body);
        Box::pin(std::future::ready(reply))
    }

    fn answer_now(&self, call: &Call<'_>, body: &mut BytesMut) -> Option<Inline> {
        let func = call.func_name;
        if func == CHECK_CONFIG.as_bytes() || func == CHECK_CONFIG_BY_INFO.as_bytes() {
            return None; // parses the file: not a sub-microsecond answer
        }
        Some(self.answer(call, body))
    }
}
