//! What stamps the services' records, in one small place: the time zone a configuration names
//! ([`time_zone`]), the [`MinuteClock`] with K8SFramework's `f_date`/`f_tflag` stamps (stat and
//! property windows, notify's dates), and the process identity that keeps document ids of
//! replicas and restarts apart ([`host_name`], [`boot_id`]).

pub mod clock;
mod identity;

pub use clock::{Minute, MinuteClock, time_zone};
pub use identity::{boot_id, host_name};
