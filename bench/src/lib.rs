//! Benchmarks for tarsplane live in `benches/`; results are recorded in `RESULTS.md`.

pub mod ceiling;

pub use tarsplane_icount::fixtures::{
    config_fixture, log_fixture, registry_fixture, sink_fixture, trace_fixture,
};
