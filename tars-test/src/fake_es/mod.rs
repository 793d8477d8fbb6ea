//! An in-process fake Elasticsearch 8.x node: the parts of the REST API the sink uses, faithful
//! enough at the protocol level that the same client works against it and a real cluster.
//!
//! [`FakeEs`] serves HTTP/1.1 (keep-alive) on a local port; [`FakeEsState`] holds the data and
//! the fault controls and outlives the server, so a test can stop it (an outage: open
//! connections are cut) and start it again on the same port with the data kept.
//!
//! Endpoints (trailing slashes and unknown query parameters are accepted; `filter_path` works
//! on every reply; every reply is `application/json` with `X-Elastic-Product: Elasticsearch`):
//!
//! - `GET /`, `GET /_cluster/health`.
//! - `PUT|GET|DELETE /_ilm/policy/<name>`; `PUT|GET|DELETE /_index_template/<name>`
//!   (`index_patterns` required; a template with a `data_stream` object makes matching new
//!   names data streams; its `template.mappings` types the fields of new indices).
//! - `PUT|GET|DELETE /_data_stream/<name>`; `PUT|HEAD|GET|DELETE /<index>`;
//!   `GET /<index>/_doc/<id>`; `POST /<index>/_refresh` (writes are visible at once).
//! - `POST|PUT [/<index>]/_bulk`: `index`, `create` and `delete` (`update` is an item error),
//!   auto ids, version conflicts, data streams (`create` only, `@timestamp` required), dynamic
//!   mapping conflicts as `mapper_parsing_exception`, and the injected [`Fault`]s.
//! - `GET|POST [/<index>]/_search` and `_count` over comma lists and `*` globs
//!   (`ignore_unavailable`): `match_all`, `bool` (`must`, `filter`, `should`, `must_not`),
//!   `term`, `terms`, `range`, `wildcard`, `prefix`, `exists`, `ids`; hits sorted by index then
//!   id unless `sort` says otherwise; `sum`/`min`/`max`/`avg`/`value_count` and `composite`
//!   (`terms` sources, `after`) aggregations. Anything else is a 400, never silently ignored.
//!
//! Known differences from a real cluster: writes are searchable at once; strings are compared
//! as keywords even in `text` fields (no analysis), though aggregating or sorting on a `text`
//! field fails as it does for real; no date detection or date-math; field type errors are
//! `mapper_parsing_exception` (8.x says `document_parsing_exception`); a delay set with
//! [`FakeEsState::set_delay`] holds back the reply of a request that has already been applied.
//!
//! # Examples
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use tars_test::fake_es::{FakeEs, Fault};
//!
//! let es = FakeEs::start().await?;
//! es.state().push_fault(Fault::Status(429)); // the next _bulk is rejected
//! // ... point the client at es.url() ...
//! let (addr, state) = (es.addr(), es.state());
//! es.stop().await; // outage
//! let es = FakeEs::start_on(addr, state).await?; // recovery, same data
//! assert_eq!(es.state().bulk_requests(), 0);
//! # Ok(())
//! # }
//! ```

mod admin;
mod aggs;
mod bulk;
mod composite;
mod doc;
mod dynamic_templates;
mod filter_path;
mod flavour;
mod indices;
mod mapping;
mod ndjson;
mod pattern;
mod query;
pub(crate) mod reply;
mod router;
mod search;
mod server;
mod sort;
mod state;

pub use flavour::Flavour;
pub use server::FakeEs;
pub use state::{FakeEsState, Fault};
