//! The registry fixture: a TEndpoint with one active and one inactive pod and an upChain route
//! to the echo servant, and what each client's direct lookups must answer for it.

use serde_json::{Value, json};

use crate::echo::ECHO;

/// The TEndpoint's object: pod 1 active, pod 0 not.
pub const HELLO: &str = "Test.Hello.HelloObj";

/// The registry file (`registry.yaml` in the data directory): the TEndpoint of [`HELLO`] and
/// `TFrameworkConfig` routing [`ECHO`] to `127.0.0.1:<echo_port>`.
pub fn registry_file(echo_port: u16) -> String {
    format!(
        r"
apiVersion: k8s.tars.io/v1beta3
kind: TEndpoint
metadata: {{name: test-hello}}
spec:
  tars:
    servants: [{{name: HelloObj, port: 10000, timeout: 5000}}]
status:
  pods:
    - {{name: test-hello-1, settingState: Active, presentState: Active}}
    - {{name: test-hello-0, settingState: Active, presentState: Deactivating}}
---
apiVersion: k8s.tars.io/v1beta3
kind: TFrameworkConfig
metadata: {{name: tars-framework}}
upChain:
  {ECHO}: [{{host: 127.0.0.1, port: {echo_port}}}]
"
    )
}

/// [`HELLO`]'s active endpoints as the clients print them.
pub fn hello_active() -> Value {
    json!([{"host": "test-hello-1.test-hello", "port": 10000, "timeout": 5000, "istcp": 1}])
}

/// [`HELLO`]'s inactive endpoints as the clients print them.
pub fn hello_inactive() -> Value {
    json!([{"host": "test-hello-0.test-hello", "port": 10000, "timeout": 5000, "istcp": 1}])
}

/// Checks a client's `lookups` of [`HELLO`]: `findObjectById` answers the active pod, the
/// other five methods `ret` 0, the active and the inactive pod.
///
/// # Panics
///
/// When an answer differs (a test assertion).
pub fn assert_hello_lookups(result: &Value) {
    let (active, inactive) = (hello_active(), hello_inactive());
    assert_eq!(result["lookups"]["findObjectById"]["active"], active);
    for method in [
        "findObjectById4Any",
        "findObjectById4All",
        "findObjectByIdInSameGroup",
        "findObjectByIdInSameStation",
        "findObjectByIdInSameSet",
    ] {
        let lookup = &result["lookups"][method];
        assert_eq!(lookup["ret"], 0, "{method}");
        assert_eq!(lookup["active"], active, "{method}");
        assert_eq!(lookup["inactive"], inactive, "{method}");
    }
}
