//! The real Elasticsearch or OpenSearch node tests run against: `TARS_ES_URL` (set by
//! `scripts/test`, which starts a real OpenSearch). Without it a test skips its real part with a
//! printed reason, unless `TARSPLANE_REQUIRE_REAL_BACKENDS=1` (also set by `scripts/test`),
//! which makes a missing node a failure.

/// The variable naming the node.
pub const URL_VAR: &str = "TARS_ES_URL";

/// Set to `1` to make a missing real backend a failure instead of a skip.
pub const REQUIRE_REAL_BACKENDS: &str = "TARSPLANE_REQUIRE_REAL_BACKENDS";

/// The node's URL without a trailing `/`, or `None` (a skip, said on stderr).
///
/// # Panics
/// When the node is missing but required.
pub fn url() -> Option<String> {
    if let Ok(url) = std::env::var(URL_VAR) {
        return Some(url.trim_end_matches('/').to_owned());
    }
    assert!(
        std::env::var(REQUIRE_REAL_BACKENDS).as_deref() != Ok("1"),
        "{URL_VAR} is not set, but {REQUIRE_REAL_BACKENDS}=1: start a real node (scripts/test does)"
    );
    eprintln!("real node skipped: {URL_VAR} is not set (no Elasticsearch or OpenSearch node)");
    None
}
