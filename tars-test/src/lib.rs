//! Test helpers shared by tarsplane's crates, tests and benchmarks.
//!
//! - [`fixtures`]: the canonical payloads encoded by real TARS peers (`fixtures/codec/`, copied
//!   from `shared/fixtures/codec`), the structs they hold, and their values from the `.json`.

pub mod fixtures;
