//! Writes a registry file with N TEndpoints (two servants, three pods each; `Test.HelloServer`
//! among them) for the TCP lookup benchmark:
//!
//! `cargo run --release -p tarsplane-bench --example registry_yaml -- 10000 > data/registry.yaml`

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    print!("{}", tarsplane_bench::registry_fixture::yaml(n));
}
