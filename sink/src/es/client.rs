//! HTTP to the Elasticsearch nodes: one node at a time, failing over to the next on a
//! transport error or an unavailable node.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};

use crate::config::{EsConfig, Secret};
use crate::{Error, Result};

/// An answer: status and body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Bytes,
}

impl Answer {
    pub(crate) fn is_ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first 512 bytes of the body, for error messages.
    pub(crate) fn body_text(&self) -> String {
        let end = self.body.len().min(512);
        String::from_utf8_lossy(&self.body[..end]).into_owned()
    }
}

/// The nodes and the HTTP client.
#[derive(Debug)]
pub(crate) struct Client {
    http: reqwest::Client,
    nodes: Vec<String>,
    current: AtomicUsize,
    auth: Option<Auth>,
}

/// Credentials sent with every request.
#[derive(Debug)]
enum Auth {
    Basic(String, Secret),
    ApiKey(HeaderValue),
}

impl Client {
    pub(crate) fn new(config: &EsConfig) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.request_timeout_secs))
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(config.max_in_flight_requests + 2)
            .danger_accept_invalid_certs(config.tls_insecure_skip_verify);
        if let Some(path) = &config.ca_cert_path {
            let pem = std::fs::read(path).map_err(|e| Error::io("read CA certificate", path, e))?;
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| {
                Error::InvalidConfig(format!("sink.elasticsearch.ca_cert_path: {e}"))
            })?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder
            .build()
            .map_err(|e| Error::InvalidConfig(format!("sink.elasticsearch: {e}")))?;
        let auth = match (&config.username, &config.password, &config.api_key) {
            (Some(user), Some(password), _) => Some(Auth::Basic(user.clone(), password.clone())),
            (_, _, Some(key)) => {
                let mut value = HeaderValue::from_str(&format!("ApiKey {}", key.expose()))
                    .map_err(|_| {
                        Error::InvalidConfig(
                            "sink.elasticsearch.api_key is not valid header text".into(),
                        )
                    })?;
                value.set_sensitive(true);
                Some(Auth::ApiKey(value))
            }
            _ => None,
        };
        let nodes = config
            .nodes
            .iter()
            .map(|n| n.trim_end_matches('/').to_owned())
            .collect();
        Ok(Self {
            http,
            nodes,
            current: AtomicUsize::new(0),
            auth,
        })
    }

    /// Sends one request to the current node. A transport error or a 502/503/504 moves the
    /// next request to the next node.
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: &'static str,
        body: Option<Bytes>,
    ) -> Result<Answer> {
        let at = self.current.load(Ordering::Relaxed);
        let node = &self.nodes[at % self.nodes.len()];
        let url = format!("{node}{path}");
        let mut request = self
            .http
            .request(method.clone(), &url)
            .header(CONTENT_TYPE, content_type);
        match &self.auth {
            Some(Auth::Basic(user, password)) => {
                request = request.basic_auth(user, Some(password.expose()));
            }
            Some(Auth::ApiKey(value)) => request = request.header(AUTHORIZATION, value.clone()),
            None => {}
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let op = || format!("{method} {path}");
        let result = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>(Answer { status, body })
        }
        .await;
        match result {
            Ok(answer) if matches!(answer.status, 502..=504) => {
                self.fail_over(at);
                Ok(answer)
            }
            Ok(answer) => Ok(answer),
            Err(source) => {
                self.fail_over(at);
                Err(Error::Http { op: op(), source })
            }
        }
    }

    fn fail_over(&self, from: usize) {
        if self.nodes.len() > 1 {
            let _ = self.current.compare_exchange(
                from,
                from.wrapping_add(1),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }

    /// PUT a JSON body; any non-2xx answer is an error.
    pub(crate) async fn put_json(&self, path: &str, body: &serde_json::Value) -> Result<()> {
        let bytes = Bytes::from(serde_json::to_vec(body).unwrap_or_default());
        let answer = self
            .send(reqwest::Method::PUT, path, "application/json", Some(bytes))
            .await?;
        if answer.is_ok() {
            Ok(())
        } else {
            Err(Error::Status {
                op: format!("PUT {path}"),
                status: answer.status,
                body: answer.body_text(),
            })
        }
    }

    /// POST a JSON body and parse the JSON answer; any non-2xx answer is an error.
    pub(crate) async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let bytes = Bytes::from(serde_json::to_vec(body).unwrap_or_default());
        let answer = self
            .send(reqwest::Method::POST, path, "application/json", Some(bytes))
            .await?;
        if !answer.is_ok() {
            return Err(Error::Status {
                op: format!("POST {path}"),
                status: answer.status,
                body: answer.body_text(),
            });
        }
        serde_json::from_slice(&answer.body).map_err(|e| Error::UnexpectedResponse {
            op: format!("POST {path}"),
            reason: e.to_string(),
        })
    }
}
