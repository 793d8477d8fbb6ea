//! `tars.tarsAdminRegistry.AdminRegObj` (port 19111; the lower-case spelling answers too):
//! tarsweb's start / stop / restart / "send command" buttons, forwarded to each pod's
//! `tars.tarsnode.NodeObj` at `<nodeName>:19385`, and the plugin and permission calls TARS
//! plugins make, proxied to tarsweb's HTTP API (framework-next §3).
//!
//! Differences from K8SFramework's tarsAdminRegistry, on purpose:
//! - `pingNode` answers `true` when the node answered the ping (the reference always answers
//!   `false`: it returns 0 from a `bool` function);
//! - `restartServer` and `notifyServer` put the failure into `result` as `startServer` and
//!   `stopServer` do (the reference leaves it empty);
//! - `checkTicket` answers its own reply shape (`ret`, `uid`) when tarsweb cannot be reached
//!   (the reference answers `registerPlugin`'s);
//! - every node call has a connect and a call timeout (`[adminreg]`), so a stopped or
//!   unreachable pod gives an error text, never a hang.

mod config;
mod metrics;
pub mod node;
mod servant;
pub mod web;

pub use config::Config;
pub use metrics::{Metrics, Outcome};
pub use node::{NODE_OBJ, NodeError, Nodes};
pub use servant::AdminRegServant;
pub use web::Web;

/// The object tarsweb calls (mixed case, as K8SFramework's TServer names it).
pub const OBJECT: &str = "tars.tarsAdminRegistry.AdminRegObj";
/// The lower-case spelling some clients use; served by the same servant.
pub const OBJECT_LOWER: &str = "tars.tarsadminregistry.AdminRegObj";
/// K8SFramework's port.
pub const PORT: u16 = 19111;
