//! tarsweb's HTTP API, for the plugin and permission calls TARS plugins make through AdminReg:
//! `POST /pages/plugin/api/install`, `GET /pages/server/api/authList?uid=`,
//! `GET /pages/server/api/ticket?ticket=` (framework-next §3). Each request has the configured
//! timeout; any failure is an answer of -1 (with `false` / empty), logged, never a hang.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use tars_rpc::interfaces::adminreg::PluginConf;

use crate::Config;

/// Why a tarsweb request failed.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The request did not complete (connection, timeout, TLS).
    #[error("tarsweb {path}: {source}")]
    Request {
        /// The path requested.
        path: &'static str,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// tarsweb answered, but not with success.
    #[error("tarsweb {path}: {detail}")]
    Refused {
        /// The path requested.
        path: &'static str,
        /// The status or `ret_code` answered.
        detail: String,
    },
}

/// The roles `authList` answers for a user: `{ret_code, data: [{role, flag}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Role {
    /// `admin`, `developer` or `operator`.
    #[serde(default)]
    pub role: String,
    /// What it applies to: `*`, `<app>`, `<app>.*` or `<app>.<server>`.
    #[serde(default)]
    pub flag: String,
}

#[derive(Debug, Deserialize)]
struct Answer<T> {
    #[serde(default)]
    ret_code: i64,
    data: Option<T>,
}

#[derive(Debug, Deserialize)]
struct Ticket {
    #[serde(default)]
    uid: String,
}

/// tarsweb's API at the configured base URL.
#[derive(Debug, Clone)]
pub struct Web {
    http: reqwest::Client,
    base: String,
}

impl Web {
    /// A client for `config.web_url` with `config.web_timeout_ms` per request.
    ///
    /// # Errors
    /// The HTTP client cannot be built (TLS setup).
    pub fn new(config: &Config) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.web_timeout_ms))
            .build()
            .map_err(|e| format!("adminreg: build the tarsweb HTTP client: {e}"))?;
        Ok(Self {
            http,
            base: config.web_url.trim_end_matches('/').to_owned(),
        })
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &'static str,
        query: (&str, &str),
    ) -> Result<T, WebError> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .query(&[query])
            .send()
            .await
            .map_err(|source| WebError::Request { path, source })?;
        if !response.status().is_success() {
            return Err(WebError::Refused {
                path,
                detail: format!("HTTP {}", response.status()),
            });
        }
        let body = response
            .bytes()
            .await
            .map_err(|source| WebError::Request { path, source })?;
        let answer: Answer<T> = serde_json::from_slice(&body).map_err(|e| WebError::Refused {
            path,
            detail: format!("not the expected JSON: {e}"),
        })?;
        match answer {
            Answer {
                ret_code: 200,
                data: Some(data),
            } => Ok(data),
            other => Err(WebError::Refused {
                path,
                detail: format!("ret_code {}", other.ret_code),
            }),
        }
    }

    /// `registerPlugin`: installs `conf` (with `k8s = true`) in tarsweb.
    ///
    /// # Errors
    /// tarsweb is unreachable or answers other than HTTP 200.
    pub async fn register_plugin(&self, conf: &PluginConf<'_>) -> Result<(), WebError> {
        const PATH: &str = "/pages/plugin/api/install";
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let body = json!({
            "name": text(conf.name),
            "name_en": text(conf.name_en),
            "obj": text(conf.obj),
            "type": conf.kind,
            "path": text(conf.path),
            "k8s": true,
            "fextern": conf.fextern,
        });
        let response = self
            .http
            .post(format!("{}{PATH}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|source| WebError::Request { path: PATH, source })?;
        if response.status() == reqwest::StatusCode::OK {
            Ok(())
        } else {
            Err(WebError::Refused {
                path: PATH,
                detail: format!("HTTP {}", response.status()),
            })
        }
    }

    /// The roles of `uid`.
    ///
    /// # Errors
    /// tarsweb is unreachable, answers other than HTTP 200 or `ret_code` 200.
    pub async fn roles(&self, uid: &str) -> Result<Vec<Role>, WebError> {
        self.get("/pages/server/api/authList", ("uid", uid)).await
    }

    /// The user a ticket belongs to.
    ///
    /// # Errors
    /// As [`Web::roles`].
    pub async fn ticket_uid(&self, ticket: &str) -> Result<String, WebError> {
        let ticket: Ticket = self
            .get("/pages/server/api/ticket", ("ticket", ticket))
            .await?;
        Ok(ticket.uid)
    }
}

/// What a permission check asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// `hasDevAuth`: developer or operator of the server (admin always).
    Dev,
    /// `hasOpeAuth`: operator of the server (admin always).
    Ope,
    /// `hasAdminAuth`: admin.
    Admin,
}

/// K8SFramework's rule: an admin has every right; otherwise a role whose flag is `*`, the app,
/// `<app>.*` or `<app>.<server>` grants developer (`Dev`, developers and operators) or operator
/// (`Ope`, operators only) rights.
pub fn allowed(roles: &[Role], need: Need, app: &str, server: &str) -> bool {
    let covers = |flag: &str| {
        flag == "*"
            || flag == app
            || flag == format!("{app}.*")
            || flag == format!("{app}.{server}")
    };
    roles.iter().any(|r| match (need, r.role.as_str()) {
        (_, "admin") => true,
        (Need::Dev, "developer" | "operator") | (Need::Ope, "operator") => covers(&r.flag),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(role: &str, flag: &str) -> Role {
        Role {
            role: role.into(),
            flag: flag.into(),
        }
    }

    #[test]
    fn permissions_follow_the_reference() {
        let dev = [role("developer", "Test.*")];
        assert!(allowed(&dev, Need::Dev, "Test", "Hello"));
        assert!(!allowed(&dev, Need::Ope, "Test", "Hello"));
        assert!(!allowed(&dev, Need::Admin, "Test", "Hello"));
        assert!(!allowed(&dev, Need::Dev, "Other", "Hello"));
        let ope = [role("operator", "Test.Hello")];
        assert!(allowed(&ope, Need::Dev, "Test", "Hello"));
        assert!(allowed(&ope, Need::Ope, "Test", "Hello"));
        assert!(!allowed(&ope, Need::Ope, "Test", "World"));
        for flag in ["*", "Test", "Test.*", "Test.Hello"] {
            assert!(
                allowed(&[role("operator", flag)], Need::Ope, "Test", "Hello"),
                "{flag}"
            );
        }
        let admin = [role("admin", "")];
        for need in [Need::Dev, Need::Ope, Need::Admin] {
            assert!(allowed(&admin, need, "Any", "Thing"));
        }
        assert!(!allowed(&[], Need::Dev, "Test", "Hello"));
    }
}
