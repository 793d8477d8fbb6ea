//! Benchmarks for tarsplane live in `benches/`; results are recorded in `RESULTS.md`.

pub mod registry_fixture {
    //! Generated registries for the registry benchmarks: `n` TARS servers, each with two
    //! servants and three active pods, one of them `Test.HelloServer`.

    use std::fmt::Write as _;

    /// The id every benchmark looks up: three active endpoints.
    pub const LOOKUP_ID: &str = "Test.HelloServer.HelloObj";

    /// The TEndpoint of server `i` (0 is `test-helloserver`) as JSON.
    pub fn tendpoint(i: usize) -> serde_json::Value {
        let name = if i == 0 {
            "test-helloserver".to_owned()
        } else {
            format!("app{}-server{i}", i % 97)
        };
        serde_json::json!({
            "apiVersion": "k8s.tars.io/v1beta3",
            "kind": "TEndpoint",
            "metadata": {"name": name, "namespace": "tars"},
            "spec": {"tars": {"template": "tars.cpp", "profile": "", "servants": [
                {"name": "HelloObj", "port": 10000, "timeout": 3000},
                {"name": "AdminObj", "port": 10001},
            ]}},
            "status": {"pods": [
                {"name": format!("{name}-0"), "settingState": "Active", "presentState": "Active"},
                {"name": format!("{name}-1"), "settingState": "Active", "presentState": "Active"},
                {"name": format!("{name}-2"), "settingState": "Active", "presentState": "Active"},
            ]}
        })
    }

    /// `n` TEndpoints as a YAML file (JSON documents are YAML).
    pub fn yaml(n: usize) -> String {
        let mut out = String::new();
        for i in 0..n {
            let _ = writeln!(out, "---\n{}", tendpoint(i));
        }
        out
    }
}
