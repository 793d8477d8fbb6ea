//! The immutable registry snapshot lookups read, and how updates produce the next one.
//!
//! Servers live in [`SHARDS`] hash sets behind `Arc`s. Publishing a change clones the shard
//! table (one reference count per shard) and, copy-on-write, only the shards the change
//! touched, so an event costs the same with ten servers or a hundred thousand, and every
//! snapshot ever handed out stays valid while a reader holds it. Answers are encoded when a
//! server is stored ([`ServerEntry`]), never per lookup.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use foldhash::fast::FixedState;
use hashbrown::HashTable;

use crate::answer::{Address, Endpoint, Lists, addresses};
use crate::model::{Kind, Object, ServantSpec, Server, Template, UP_CHAIN_DEFAULT, UpChain};
use crate::routes::Routes;

/// Shards of the server table: a change copies one shard, about `servers / SHARDS` entries.
pub const SHARDS: usize = 256;

/// The longest TEndpoint name (a Kubernetes object name); longer keys cannot match.
const MAX_NAME: usize = 253;

/// Names up to this length are built on the stack during a lookup.
const STACK_NAME: usize = 64;

type Hashing = FixedState;

/// A server with its answers, one [`Lists`] per servant in `server.servants` order.
#[derive(Debug)]
pub struct ServerEntry {
    /// The TEndpoint.
    pub server: Server,
    answers: Box<[Lists]>,
}

impl ServerEntry {
    /// Encodes the answers of every servant: `<pod>.<tendpoint>` with the servant's port,
    /// timeout and protocol, active pods then inactive pods.
    pub fn new(server: Server) -> Self {
        let answers = server
            .servants
            .iter()
            .map(|servant| {
                let hosts = |pods: &[String]| -> Vec<String> {
                    pods.iter()
                        .map(|pod| format!("{pod}.{}", server.name))
                        .collect()
                };
                let (active, inactive) = (hosts(&server.active_pods), hosts(&server.inactive_pods));
                Lists::encode(
                    active.iter().map(|host| servant_endpoint(servant, host)),
                    inactive.iter().map(|host| servant_endpoint(servant, host)),
                )
            })
            .collect();
        Self { server, answers }
    }

    /// The answer for the first servant named `servant` (case-sensitive), if any.
    pub fn servant(&self, servant: &[u8]) -> Option<&Lists> {
        let index = self
            .server
            .servants
            .iter()
            .position(|s| s.name.as_bytes() == servant)?;
        self.answers.get(index)
    }

    /// Heap bytes of the encoded answers, for memory accounting.
    pub fn answer_bytes(&self) -> usize {
        self.answers.iter().map(Lists::len).sum()
    }
}

fn servant_endpoint<'h>(servant: &ServantSpec, host: &'h str) -> Endpoint<'h> {
    Endpoint {
        host,
        port: servant.port,
        timeout: servant.timeout,
        tcp: servant.is_tcp,
    }
}

/// Servers of one shard, found by the hash of their name (computed once per lookup).
type Shard = HashTable<Arc<ServerEntry>>;

fn name_hash(name: &[u8]) -> u64 {
    let mut hasher = Hashing::default().build_hasher();
    hasher.write(name);
    hasher.finish()
}

fn entry_hash(entry: &Arc<ServerEntry>) -> u64 {
    name_hash(entry.server.name.as_bytes())
}

/// The upChain, encoded.
#[derive(Debug, Default)]
struct UpChainAnswers {
    by_id: HashMap<Box<[u8]>, Lists, Hashing>,
    default: Option<Lists>,
}

impl UpChainAnswers {
    fn new(chain: &UpChain) -> Self {
        let mut answers = Self::default();
        for (id, endpoints) in &chain.entries {
            let lists = Lists::encode(
                endpoints.iter().map(|e| Endpoint {
                    host: &e.host,
                    port: e.port,
                    timeout: e.timeout,
                    tcp: e.is_tcp,
                }),
                [],
            );
            if id == UP_CHAIN_DEFAULT {
                answers.default = (!lists.is_empty()).then_some(lists);
            } else {
                answers.by_id.insert(id.as_bytes().into(), lists);
            }
        }
        answers
    }
}

/// What a lookup found, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found<'a> {
    /// The id is not `App.Server.Servant` (after dropping empty pieces).
    BadId,
    /// A configured route or a fixed self entry.
    Route(&'a Lists),
    /// A TEndpoint's servant.
    Server(&'a Lists),
    /// A TEndpoint exists but has no servant of that name: empty lists, no fallback.
    NoSuchServant,
    /// No TEndpoint: the upChain's list for this id.
    UpChain(&'a Lists),
    /// No TEndpoint: the upChain's `default` list.
    UpChainDefault(&'a Lists),
    /// Nothing anywhere: empty lists.
    NotFound,
}

impl<'a> Found<'a> {
    /// The lists to answer with (`None`: two empty lists).
    pub fn lists(self) -> Option<&'a Lists> {
        match self {
            Found::Route(l) | Found::Server(l) | Found::UpChain(l) | Found::UpChainDefault(l) => {
                Some(l)
            }
            Found::BadId | Found::NoSuchServant | Found::NotFound => None,
        }
    }
}

/// One published state of the registry.
#[derive(Debug, Clone)]
pub struct Snapshot {
    shards: Box<[Arc<Shard>]>,
    servers: usize,
    templates: Arc<HashMap<String, Arc<Template>, Hashing>>,
    up_chain: Arc<UpChainAnswers>,
    routes: Arc<Routes>,
}

impl Snapshot {
    /// An empty registry that answers `routes` (configured routes and the self entries).
    pub fn new(routes: Routes) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Arc::new(Shard::default())).collect(),
            servers: 0,
            templates: Arc::default(),
            up_chain: Arc::default(),
            routes: Arc::new(routes),
        }
    }

    /// Resolves an object id as K8SFramework's `QueryImp` does (framework facts §3.2), with
    /// configured routes checked first.
    pub fn find(&self, id: &[u8]) -> Found<'_> {
        let Some((app, server, servant)) = split_id(id) else {
            return Found::BadId;
        };
        if let Some(lists) = self.routes.get(id) {
            return Found::Route(lists);
        }
        let len = app.len() + 1 + server.len();
        if len <= MAX_NAME {
            let mut stack = [0_u8; STACK_NAME];
            let mut heap = Vec::new();
            let key: &mut [u8] = if len <= STACK_NAME {
                &mut stack[..len]
            } else {
                heap.resize(len, 0);
                &mut heap
            };
            // Lower-case while copying: one pass, no reload of what was just stored.
            let (app_part, rest) = key.split_at_mut(app.len());
            lower_into(app_part, app);
            rest[0] = b'-';
            lower_into(&mut rest[1..], server);
            if let Some(entry) = self.server_entry(key) {
                return entry
                    .servant(servant)
                    .map_or(Found::NoSuchServant, Found::Server);
            }
        }
        if let Some(lists) = self.up_chain.by_id.get(id) {
            return Found::UpChain(lists);
        }
        self.up_chain
            .default
            .as_ref()
            .map_or(Found::NotFound, Found::UpChainDefault)
    }

    /// What `findObjectById4All` answers for `id`, decoded: `(active, inactive)`. For tests,
    /// tools and logs; lookups on the wire copy the encoded lists instead.
    pub fn resolve(&self, id: &str) -> (Vec<Address>, Vec<Address>) {
        let Some(lists) = self.find(id.as_bytes()).lists() else {
            return (Vec::new(), Vec::new());
        };
        (
            addresses(lists.active()).unwrap_or_default(),
            addresses(lists.inactive()).unwrap_or_default(),
        )
    }

    /// The server stored under TEndpoint name `name`.
    pub fn server(&self, name: &str) -> Option<&Server> {
        self.server_entry(name.as_bytes()).map(|e| &e.server)
    }

    fn server_entry(&self, name: &[u8]) -> Option<&ServerEntry> {
        let hash = name_hash(name);
        self.shards[shard_of(hash)]
            .find(hash, |e| e.server.name.as_bytes() == name)
            .map(|e| &**e)
    }

    /// The template named `name`.
    pub fn template(&self, name: &str) -> Option<&Template> {
        self.templates.get(name).map(|t| &**t)
    }

    /// Number of TARS servers.
    pub fn servers(&self) -> usize {
        self.servers
    }

    /// Number of templates.
    pub fn templates(&self) -> usize {
        self.templates.len()
    }

    /// Every server's name, in no particular order.
    pub fn server_names(&self) -> impl Iterator<Item = &str> {
        self.shards
            .iter()
            .flat_map(|s| s.iter().map(|e| e.server.name.as_str()))
    }

    /// Applies one change from a source.
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::Applied(object) => self.put(object),
            Change::Deleted(kind, name) => self.remove(kind, &name),
            Change::Listed(kind, objects) => {
                self.clear(kind);
                for object in objects {
                    self.put(object);
                }
            }
        }
    }

    fn put(&mut self, object: Object) {
        match object {
            Object::Server(server) => {
                let entry = Arc::new(ServerEntry::new(server));
                let hash = entry_hash(&entry);
                let shard = self.shard_mut(hash);
                let name = entry.server.name.as_bytes();
                match shard.find_entry(hash, |e| e.server.name.as_bytes() == name) {
                    Ok(mut occupied) => *occupied.get_mut() = entry,
                    Err(absent) => {
                        absent.into_table().insert_unique(hash, entry, entry_hash);
                        self.servers += 1;
                    }
                }
            }
            Object::NotTars { name } => self.remove(Kind::Endpoint, &name),
            Object::Template(template) => {
                Arc::make_mut(&mut self.templates)
                    .insert(template.name.clone(), Arc::new(template));
            }
            Object::UpChain(chain) => self.up_chain = Arc::new(UpChainAnswers::new(&chain)),
            Object::OtherFrameworkConfig { .. } => {}
        }
    }

    fn remove(&mut self, kind: Kind, name: &str) {
        match kind {
            Kind::Endpoint => {
                if self.server_entry(name.as_bytes()).is_some() {
                    let hash = name_hash(name.as_bytes());
                    let shard = self.shard_mut(hash);
                    if let Ok(occupied) =
                        shard.find_entry(hash, |e| e.server.name.as_bytes() == name.as_bytes())
                    {
                        occupied.remove();
                        self.servers -= 1;
                    }
                }
            }
            Kind::Template => {
                if self.templates.contains_key(name) {
                    Arc::make_mut(&mut self.templates).remove(name);
                }
            }
            Kind::FrameworkConfig => {
                if name == crate::model::FRAMEWORK_CONFIG_NAME {
                    self.up_chain = Arc::default();
                }
            }
        }
    }

    fn clear(&mut self, kind: Kind) {
        match kind {
            Kind::Endpoint => {
                self.shards = (0..SHARDS).map(|_| Arc::new(Shard::default())).collect();
                self.servers = 0;
            }
            Kind::Template => self.templates = Arc::default(),
            Kind::FrameworkConfig => self.up_chain = Arc::default(),
        }
    }

    fn shard_mut(&mut self, hash: u64) -> &mut Shard {
        Arc::make_mut(&mut self.shards[shard_of(hash)])
    }
}

/// A change a source reports.
pub type Change = mirror::Change<Kind, Object>;

/// `App.Server.Servant` → its three pieces, empty pieces dropped as TarsCpp's `sepstr` does;
/// `None` unless exactly three remain.
fn split_id(id: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    // Fast path: two dots, no empty piece.
    let first = id.iter().position(|&b| b == b'.')?;
    let second = first + 1 + id[first + 1..].iter().position(|&b| b == b'.')?;
    let (app, server, servant) = (&id[..first], &id[first + 1..second], &id[second + 1..]);
    if !app.is_empty() && !server.is_empty() && !servant.is_empty() && !servant.contains(&b'.') {
        return Some((app, server, servant));
    }
    let mut pieces = id.split(|&b| b == b'.').filter(|p| !p.is_empty());
    match (pieces.next(), pieces.next(), pieces.next(), pieces.next()) {
        (Some(app), Some(server), Some(servant), None) => Some((app, server, servant)),
        _ => None,
    }
}

fn lower_into(to: &mut [u8], from: &[u8]) {
    for (t, f) in to.iter_mut().zip(from) {
        *t = f.to_ascii_lowercase();
    }
}

fn shard_of(hash: u64) -> usize {
    // The top bits: the tables inside a shard use the low ones.
    (hash >> 56) as usize % SHARDS
}
