//! Where the registry's resources come from, behind one interface: a source turns what it
//! sees into calls on a [`Feed`](crate::Feed) — lists, applied and deleted objects, failures
//! and recoveries — and the builder does the rest.
//!
//! - [`kubernetes`]: kube-rs watchers on TEndpoint, TTemplate and the `tars-framework`
//!   TFrameworkConfig in one namespace.
//! - [`file`]: one YAML file holding the same resources, reloaded when it changes.

pub mod file;
pub mod kubernetes;
