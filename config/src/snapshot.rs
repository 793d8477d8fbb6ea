//! What the service answers from: every file's winning server-level and pod-level contents and
//! every server's file list, computed when a TConfig changes (not per call), in copy-on-write
//! shards like the registry's, so a publish copies only the shards a change touched.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use bytes::Bytes;
use hashbrown::HashTable;

use crate::identity::{self, Caller, PodIndex, Resolved};
use crate::model::{Kind, Object, PodSeq, TConfig};

/// Shards per table; a change copies one shard.
const SHARDS: usize = 64;

/// The separator K8SFramework puts between the server-level and the pod-level content.
pub const POD_SEPARATOR: &[u8] = b"\r\n\r\n";

/// K8SFramework's text for a file that has no activated server-level content.
pub const NOT_FOUND: &str = "config not existed or not activated";

/// A change a source reports.
pub type Change = mirror::Change<Kind, Object>;

/// `(app, server, file)`.
type FileKey = (String, String, String);

/// One file of one server: the winning activated versions.
#[derive(Debug)]
struct FileEntry {
    app: String,
    server: String,
    file: String,
    master: Option<Bytes>,
    pods: Vec<(u8, Bytes)>,
}

/// The server-level file names of one server (or application).
#[derive(Debug)]
struct ListEntry {
    app: String,
    server: String,
    names: Vec<Bytes>,
}

fn key_hash(parts: &[&[u8]]) -> u64 {
    let mut hasher = foldhash::fast::FixedState::with_seed(0x7a72_5f63_6f6e_6669).build_hasher();
    for part in parts {
        hasher.write(part);
        hasher.write_u8(0xff); // never in UTF-8: the parts cannot run into each other
    }
    hasher.finish()
}

fn shard_of(hash: u64) -> usize {
    (hash >> 58) as usize % SHARDS
}

/// A sharded, copy-on-write hash table.
#[derive(Debug)]
struct Table<T> {
    shards: Vec<Arc<HashTable<Arc<T>>>>,
}

impl<T> Clone for Table<T> {
    fn clone(&self) -> Self {
        Self {
            shards: self.shards.clone(),
        }
    }
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Arc::new(HashTable::new())).collect(),
        }
    }
}

impl<T> Table<T> {
    fn find(&self, hash: u64, eq: impl Fn(&T) -> bool) -> Option<&T> {
        self.shards[shard_of(hash)]
            .find(hash, |e| eq(e))
            .map(|e| &**e)
    }

    fn set(
        &mut self,
        hash: u64,
        value: Option<T>,
        eq: impl Fn(&T) -> bool,
        rehash: impl Fn(&T) -> u64,
    ) {
        let shard = Arc::make_mut(&mut self.shards[shard_of(hash)]);
        match (shard.find_entry(hash, |e| eq(e)), value) {
            (Ok(mut entry), Some(value)) => *entry.get_mut() = Arc::new(value),
            (Ok(entry), None) => {
                entry.remove();
            }
            (Err(absent), Some(value)) => {
                absent
                    .into_table()
                    .insert_unique(hash, Arc::new(value), |e| rehash(e));
            }
            (Err(_), None) => {}
        }
    }
}

fn file_hash(e: &FileEntry) -> u64 {
    key_hash(&[e.app.as_bytes(), e.server.as_bytes(), e.file.as_bytes()])
}

fn list_hash(e: &ListEntry) -> u64 {
    key_hash(&[e.app.as_bytes(), e.server.as_bytes()])
}

/// What calls are answered from. Cheap to clone (shared shards).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    files: Table<FileEntry>,
    lists: Table<ListEntry>,
    pods: Arc<PodIndex>,
    configs: usize,
}

/// A successful load: the server-level content and, for the caller's pod, the pod-level one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded<'s> {
    /// The server-level (`m`) content, never empty.
    pub master: &'s [u8],
    /// The pod-level content for the caller's ordinal, when there is a non-empty one.
    pub pod: Option<&'s [u8]>,
}

impl Loaded<'_> {
    /// The answer's length: `master`, or `master` + CR LF CR LF + `pod`.
    pub fn len(&self) -> usize {
        self.master.len() + self.pod.map_or(0, |p| POD_SEPARATOR.len() + p.len())
    }

    /// Never: the server-level content is not empty.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The answer as one buffer (copies).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        out.extend_from_slice(self.master);
        if let Some(pod) = self.pod {
            out.extend_from_slice(POD_SEPARATOR);
            out.extend_from_slice(pod);
        }
        out
    }
}

impl Snapshot {
    /// The file `file` of `app`/`server` for `caller` (K8SFramework's `loadConfig`): the
    /// activated server-level content, followed by CR LF CR LF and the pod-level content of the
    /// caller's ordinal when there is one. `None` when there is no activated, non-empty
    /// server-level content (ret -1, [`NOT_FOUND`]), even if a pod-level file exists.
    pub fn load(
        &self,
        app: &[u8],
        server: &[u8],
        file: &[u8],
        caller: Caller<'_>,
    ) -> (Option<Loaded<'_>>, Resolved) {
        let (ordinal, resolved) = identity::resolve(&self.pods, app, server, caller);
        let hash = key_hash(&[app, server, file]);
        let entry = self.files.find(hash, |e| {
            e.app.as_bytes() == app && e.server.as_bytes() == server && e.file.as_bytes() == file
        });
        let Some(master) = entry
            .and_then(|e| e.master.as_deref())
            .filter(|m| !m.is_empty())
        else {
            return (None, resolved);
        };
        let pod = ordinal.and_then(|n| {
            entry?
                .pods
                .iter()
                .find(|(seq, _)| u32::from(*seq) == n)
                .map(|(_, content)| &content[..])
                .filter(|content| !content.is_empty())
        });
        (Some(Loaded { master, pod }), resolved)
    }

    /// The server-level file names of `app`/`server` (`server` empty: the application's),
    /// sorted bytewise and de-duplicated, as K8SFramework's `listConfig`.
    pub fn list(&self, app: &[u8], server: &[u8]) -> &[Bytes] {
        let hash = key_hash(&[app, server]);
        self.lists
            .find(hash, |e| {
                e.app.as_bytes() == app && e.server.as_bytes() == server
            })
            .map_or(&[], |e| &e.names[..])
    }

    /// TConfigs held (every version, activated or not).
    pub fn configs(&self) -> usize {
        self.configs
    }

    /// TARS pods known.
    pub fn pods(&self) -> usize {
        self.pods.len()
    }
}

/// The builder's working state: every TConfig version by file, and the published tables.
#[derive(Debug, Default)]
pub struct Working {
    versions: BTreeMap<FileKey, Vec<Arc<TConfig>>>,
    names: HashMap<String, FileKey>,
    published: Snapshot,
}

impl Working {
    fn put(&mut self, config: TConfig) {
        let key = (
            config.app.clone(),
            config.server.clone(),
            config.file.clone(),
        );
        if self.names.get(&config.name).is_some_and(|old| *old != key) {
            self.remove(&config.name);
        }
        let versions = self.versions.entry(key.clone()).or_default();
        if let Some(slot) = versions.iter_mut().find(|v| v.name == config.name) {
            *slot = Arc::new(config);
        } else {
            self.names.insert(config.name.clone(), key.clone());
            versions.push(Arc::new(config));
        }
        self.refresh(&key);
    }

    fn remove(&mut self, name: &str) {
        let Some(key) = self.names.remove(name) else {
            return;
        };
        if let Some(versions) = self.versions.get_mut(&key) {
            versions.retain(|v| v.name != name);
            if versions.is_empty() {
                self.versions.remove(&key);
            }
        }
        self.refresh(&key);
    }

    /// Recomputes the file `key` and its server's list.
    fn refresh(&mut self, key: &FileKey) {
        let (app, server, file) = key;
        let mut master: Option<&Arc<TConfig>> = None;
        let mut pods: BTreeMap<u8, &Arc<TConfig>> = BTreeMap::new();
        for version in self
            .versions
            .get(key)
            .into_iter()
            .flatten()
            .filter(|v| v.active)
        {
            match version.pod_seq {
                PodSeq::Master => {
                    if master.is_none_or(|current| version.newer_than(current)) {
                        master = Some(version);
                    }
                }
                PodSeq::Pod(n) => {
                    let current = pods.entry(n).or_insert(version);
                    if version.newer_than(current) {
                        *current = version;
                    }
                }
            }
        }
        let entry = (master.is_some() || !pods.is_empty()).then(|| FileEntry {
            app: app.clone(),
            server: server.clone(),
            file: file.clone(),
            master: master.map(|m| m.content.clone()),
            pods: pods.iter().map(|(n, v)| (*n, v.content.clone())).collect(),
        });
        let hash = key_hash(&[app.as_bytes(), server.as_bytes(), file.as_bytes()]);
        self.published.files.set(
            hash,
            entry,
            |e| e.app == *app && e.server == *server && e.file == *file,
            file_hash,
        );
        self.refresh_list(app, server);
    }

    fn refresh_list(&mut self, app: &str, server: &str) {
        let start = (app.to_owned(), server.to_owned(), String::new());
        let names: Vec<Bytes> = self
            .versions
            .range(start..)
            .take_while(|((a, s, _), _)| a == app && s == server)
            .filter(|(_, versions)| {
                versions
                    .iter()
                    .any(|v| v.active && v.pod_seq == PodSeq::Master)
            })
            .map(|((_, _, file), _)| Bytes::from(file.clone()))
            .collect();
        let entry = (!names.is_empty()).then(|| ListEntry {
            app: app.to_owned(),
            server: server.to_owned(),
            names,
        });
        let hash = key_hash(&[app.as_bytes(), server.as_bytes()]);
        self.published.lists.set(
            hash,
            entry,
            |e| e.app == app && e.server == server,
            list_hash,
        );
    }

    fn clear_configs(&mut self) {
        self.versions.clear();
        self.names.clear();
        self.published.files = Table::default();
        self.published.lists = Table::default();
    }
}

impl mirror::View for Working {
    type Kind = Kind;
    type Object = Object;
    type Published = Snapshot;

    fn kind_of(object: &Object) -> Kind {
        match object {
            Object::Config(_) => Kind::Config,
            Object::Pod { .. } => Kind::Pod,
        }
    }

    fn apply(&mut self, change: Change) {
        match change {
            Change::Applied(Object::Config(config)) => self.put(config),
            Change::Applied(Object::Pod { name, identity }) => {
                Arc::make_mut(&mut self.published.pods).put(name, identity);
            }
            Change::Deleted(Kind::Config, name) => self.remove(&name),
            Change::Deleted(Kind::Pod, name) => {
                Arc::make_mut(&mut self.published.pods).remove(&name);
            }
            Change::Listed(Kind::Config, objects) => {
                self.clear_configs();
                for object in objects {
                    if let Object::Config(config) = object {
                        self.put(config);
                    }
                }
            }
            Change::Listed(Kind::Pod, objects) => {
                let mut pods = PodIndex::default();
                for object in objects {
                    if let Object::Pod { name, identity } = object {
                        pods.put(name, identity);
                    }
                }
                self.published.pods = Arc::new(pods);
            }
        }
        self.published.configs = self.names.len();
    }

    fn publish(&self) -> Snapshot {
        self.published.clone()
    }
}
