//! Prints `N` generated TConfigs (`tarsplane_bench::config_fixture`) as a YAML file for
//! `tarsplane serve config` with `config.source = "file"`, the server `tars-load --call
//! load-config` drives.
//!
//! `cargo run --release -p tarsplane-bench --example config_yaml -- 10000 > config.yaml`

use std::io::Write as _;

fn main() -> std::io::Result<()> {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    std::io::stdout().write_all(tarsplane_bench::config_fixture::yaml(n).as_bytes())
}
