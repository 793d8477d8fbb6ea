//! The AdminReg service's configuration (`[adminreg]` in the tarsplane file).

use serde::{Deserialize, Serialize};

/// Where pods' NodeObj and tarsweb are, and how long a call to them may take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The port of `tars.tarsnode.NodeObj` in every pod (K8SFramework's tarsnode: 19385).
    pub node_port: u16,
    /// How long connecting to a pod's NodeObj may take, milliseconds; an unreachable node
    /// answers with an error text after this, never hangs.
    pub node_connect_timeout_ms: u64,
    /// How long a forwarded call may wait for the node's answer, milliseconds (TARS's default
    /// call timeout, as the reference's proxy).
    pub node_call_timeout_ms: u64,
    /// tarsweb's HTTP base URL, for `registerPlugin`, `has*Auth` and `checkTicket`.
    pub web_url: String,
    /// How long a tarsweb request may take, milliseconds (the reference: 10 s).
    pub web_timeout_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            node_port: 19385,
            node_connect_timeout_ms: 2000,
            node_call_timeout_ms: 3000,
            web_url: "http://tars-tarsweb:3000".into(),
            web_timeout_ms: 10_000,
        }
    }
}

impl Config {
    /// Checks every value; the error names the key.
    ///
    /// # Errors
    /// A message naming the invalid key.
    pub fn validate(&self) -> Result<(), String> {
        for (key, value) in [
            (
                "adminreg.node_connect_timeout_ms",
                self.node_connect_timeout_ms,
            ),
            ("adminreg.node_call_timeout_ms", self.node_call_timeout_ms),
            ("adminreg.web_timeout_ms", self.web_timeout_ms),
            ("adminreg.node_port", u64::from(self.node_port)),
        ] {
            if value == 0 {
                return Err(format!("{key} must be greater than 0"));
            }
        }
        if !(self.web_url.starts_with("http://") || self.web_url.starts_with("https://")) {
            return Err(format!(
                "adminreg.web_url must be an http:// or https:// URL, not {:?}",
                self.web_url
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_name_their_key() {
        assert_eq!(Config::default().validate(), Ok(()));
        let zero = Config {
            node_call_timeout_ms: 0,
            ..Config::default()
        };
        assert!(
            zero.validate()
                .expect_err("zero timeout")
                .contains("adminreg.node_call_timeout_ms")
        );
        let url = Config {
            web_url: "tars-tarsweb:3000".into(),
            ..Config::default()
        };
        assert!(
            url.validate()
                .expect_err("no scheme")
                .contains("adminreg.web_url")
        );
    }
}
