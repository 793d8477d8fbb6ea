//! Kubernetes resources, or a YAML file holding them, mirrored into a snapshot that readers
//! load without a lock. The registry (TEndpoint, TTemplate, TFrameworkConfig) and the config
//! service (TConfig and pods) are both built on it.
//!
//! ```text
//! kubernetes::watch (one per kind) ─┐
//! file::watch (mtime + size poll)  ─┴─► Feed (bounded) ─► Builder ─► ArcSwap<Published> ◄── readers
//! ```
//!
//! A service describes its resources with [`Kind`], its working state with [`View`] (how a
//! [`Change`] applies and what readers see), and gets source health, readiness, the stale
//! clock and the metrics ([`Metrics`]) from here.

pub mod file;
pub mod kubernetes;
mod metrics;
mod mirror;
pub mod pods;

pub use metrics::Metrics;
pub use mirror::{Builder, Feed, Mirror, Readiness};

/// One kind of resource a [`View`] holds (a small enum).
pub trait Kind: Copy + Eq + std::fmt::Debug + Send + Sync + 'static {
    /// Every kind, in the order sources start them; [`Kind::index`] is the position here.
    const ALL: &'static [Self];

    /// Position in [`Kind::ALL`].
    fn index(self) -> usize;

    /// The resource kind as Kubernetes spells it (`TEndpoint`, `Pod`).
    fn kind(self) -> &'static str;

    /// The value of the metrics' `kind` label.
    fn label(self) -> &'static str;
}

/// What a source saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<K, O> {
    /// An object was added or modified.
    Applied(O),
    /// The object of this kind and name was deleted.
    Deleted(K, String),
    /// Every object of a kind, after a (re)list or a file reload: replaces that kind.
    Listed(K, Vec<O>),
}

/// The state a [`Builder`] keeps and what it publishes.
pub trait View: Send + Sync + 'static {
    /// The kinds of resource.
    type Kind: Kind;
    /// One parsed resource.
    type Object: Send + 'static;
    /// What readers load: built from the working state at each publish (cheap when the state
    /// is made of shared pieces, as the registry's copy-on-write shards).
    type Published: Send + Sync + 'static;

    /// The kind of `object`.
    fn kind_of(object: &Self::Object) -> Self::Kind;

    /// Applies one change to the working state.
    fn apply(&mut self, change: Change<Self::Kind, Self::Object>);

    /// What readers see of the working state.
    fn publish(&self) -> Self::Published;
}
