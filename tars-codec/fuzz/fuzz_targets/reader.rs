//! The reader over arbitrary bytes: packets, argument blocks and raw field walks.
#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::roundtrip(data));
