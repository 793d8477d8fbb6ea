//! The tarsplane binary's library half: what `tarsplane up` starts and what `tarsplane decode`
//! prints, kept out of `main.rs` so tests can run them in-process.

pub mod admin;
pub mod config;
pub mod decode;
pub mod objects;
pub mod samples;
pub mod typed;
pub mod up;
