//! The embedded store: the same documents in one SQLite file, for `tarsplane up` and any
//! deployment without Elasticsearch.
//!
//! One table holds every document as JSON text, keyed by (index, id), so `index` replaces and
//! `create` keeps the first, as in Elasticsearch. A dedicated thread owns the connection and
//! commits queued batches together in one transaction. Queries use SQLite's JSON functions
//! with every field path and value bound as a parameter.

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, params_from_iter};
use tokio::sync::{mpsc, oneshot};

use crate::ack::{Receipt, Settled, Tracker};
use crate::config::SqliteConfig;
use crate::query::{AggQuery, AggRow, FilterOp, KeyValue, sort_rows};
use crate::{Batch, Error, Metrics, Op, Result};

/// Batches committed in one transaction at most.
const BATCHES_PER_COMMIT: usize = 64;

enum Command {
    Write(Batch, std::sync::Arc<Tracker>),
    Query(AggQuery, oneshot::Sender<Result<Vec<AggRow>>>),
    Find(crate::Find, oneshot::Sender<Result<Vec<serde_json::Value>>>),
    Fetch(
        String,
        oneshot::Sender<Result<Vec<(String, serde_json::Value)>>>,
    ),
}

/// The SQLite store. Clones share the writer thread.
#[derive(Debug, Clone)]
pub struct SqliteSink {
    tx: mpsc::Sender<Command>,
    metrics: Metrics,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Write(..) => "Write",
            Self::Query(..) => "Query",
            Self::Find(..) => "Find",
            Self::Fetch(..) => "Fetch",
        })
    }
}

impl SqliteSink {
    /// Opens (creating if needed) the database file and starts the writer thread.
    ///
    /// # Errors
    /// The file cannot be opened or its schema created.
    pub fn open(config: &SqliteConfig, metrics: Metrics) -> Result<Self> {
        if let Some(dir) = config.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create data directory", dir, e))?;
        }
        let conn = open_connection(&config.path)?;
        let (tx, rx) = mpsc::channel(config.max_queued_batches.max(1));
        let max_groups = config.max_query_groups;
        let thread_metrics = metrics.clone();
        // The thread ends when the last clone of the sink is dropped.
        std::thread::Builder::new()
            .name("sink-sqlite".into())
            .spawn(move || serve(&conn, rx, max_groups, &thread_metrics))
            .map_err(|e| Error::io("start sqlite thread", &config.path, e))?;
        Ok(Self { tx, metrics })
    }

    /// `Ok` while the writer thread runs.
    ///
    /// # Errors
    /// The writer has stopped.
    pub fn readiness(&self) -> std::result::Result<(), String> {
        if self.tx.is_closed() {
            Err("the SQLite writer has stopped".to_owned())
        } else {
            Ok(())
        }
    }

    /// Queues a batch; the receipt resolves once it is committed.
    ///
    /// # Errors
    /// [`Error::Closed`] after [`close`](Self::close).
    pub async fn submit(&self, batch: Batch) -> Result<Receipt> {
        let (tracker, receipt) = Tracker::new(batch.len());
        self.metrics.documents_in.inc_by(batch.len() as u64);
        self.tx
            .send(Command::Write(batch, tracker))
            .await
            .map_err(|_| Error::Closed)?;
        Ok(receipt)
    }

    /// Like [`submit`](Self::submit) without waiting.
    ///
    /// # Errors
    /// [`Error::QueueFull`] when `max_queued_batches` are waiting.
    pub fn try_submit(&self, batch: Batch) -> Result<Receipt> {
        let (tracker, receipt) = Tracker::new(batch.len());
        let docs = batch.len() as u64;
        self.tx
            .try_send(Command::Write(batch, tracker))
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => Error::QueueFull { max_bytes: 0 },
                mpsc::error::TrySendError::Closed(_) => Error::Closed,
            })?;
        self.metrics.documents_in.inc_by(docs);
        Ok(receipt)
    }

    /// Answers an aggregation query.
    ///
    /// # Errors
    /// An invalid query, too many groups, or a database error.
    pub async fn query(&self, query: &AggQuery) -> Result<Vec<AggRow>> {
        query.validate()?;
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Command::Query(query.clone(), tx))
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Answers a document search.
    ///
    /// # Errors
    /// An invalid search or a database error.
    pub async fn find(&self, find: &crate::Find) -> Result<Vec<serde_json::Value>> {
        find.validate()?;
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Command::Find(find.clone(), tx))
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Every document of `index` as (id, JSON), by id: for tests and operators.
    ///
    /// # Errors
    /// A database error.
    pub async fn fetch(&self, index: &str) -> Result<Vec<(String, serde_json::Value)>> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Command::Fetch(index.to_owned(), tx))
            .await
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Waits until everything queued so far is committed.
    pub async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self
            .tx
            .send(Command::Fetch(String::new(), tx))
            .await
            .is_ok()
        {
            let _ = rx.await;
        }
    }
}

fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(Error::sqlite("open"))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA busy_timeout = 5000;
         CREATE TABLE IF NOT EXISTS documents (
             idx TEXT NOT NULL,
             id  TEXT NOT NULL,
             doc TEXT NOT NULL,
             PRIMARY KEY (idx, id)
         ) WITHOUT ROWID;",
    )
    .map_err(Error::sqlite("create schema"))?;
    Ok(conn)
}

fn serve(conn: &Connection, mut rx: mpsc::Receiver<Command>, max_groups: usize, metrics: &Metrics) {
    let mut writes = Vec::new();
    while let Some(command) = rx.blocking_recv() {
        let mut next = Some(command);
        while let Some(command) = next.take() {
            match command {
                Command::Write(batch, tracker) => {
                    writes.push((batch, tracker));
                    if writes.len() < BATCHES_PER_COMMIT {
                        next = rx.try_recv().ok();
                    }
                }
                Command::Query(query, reply) => {
                    commit(conn, &mut writes, metrics);
                    let _ = reply.send(run_query(conn, &query, max_groups));
                }
                Command::Find(find, reply) => {
                    commit(conn, &mut writes, metrics);
                    let _ = reply.send(crate::find::sqlite::run(conn, &find));
                }
                Command::Fetch(index, reply) => {
                    commit(conn, &mut writes, metrics);
                    let _ = reply.send(fetch(conn, &index));
                }
            }
        }
        commit(conn, &mut writes, metrics);
    }
}

fn commit(
    conn: &Connection,
    writes: &mut Vec<(Batch, std::sync::Arc<Tracker>)>,
    metrics: &Metrics,
) {
    if writes.is_empty() {
        return;
    }
    let docs: usize = writes.iter().map(|(b, _)| b.len()).sum();
    match write_all(conn, writes) {
        Ok(()) => {
            metrics.documents_stored.inc_by(docs as u64);
            for (batch, tracker) in writes.drain(..) {
                tracker.settle(Settled::Stored, batch.len());
            }
        }
        Err(error) => {
            // A full or broken disk: nothing of these batches was committed.
            tracing::error!(message = "SQLite write failed; documents dropped.", %error, docs);
            metrics.dropped("sqlite_error", docs);
            for (batch, tracker) in writes.drain(..) {
                tracker.settle(Settled::Dropped, batch.len());
            }
        }
    }
}

fn write_all(conn: &Connection, writes: &[(Batch, std::sync::Arc<Tracker>)]) -> Result<()> {
    let tx = conn
        .unchecked_transaction()
        .map_err(Error::sqlite("begin"))?;
    {
        let mut upsert = tx
            .prepare_cached(
                "INSERT INTO documents (idx, id, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT (idx, id) DO UPDATE SET doc = excluded.doc",
            )
            .map_err(Error::sqlite("prepare insert"))?;
        let mut create = tx
            .prepare_cached("INSERT OR IGNORE INTO documents (idx, id, doc) VALUES (?1, ?2, ?3)")
            .map_err(Error::sqlite("prepare insert"))?;
        for (batch, _) in writes {
            for doc in batch.iter() {
                // Sources are written by `DocWriter`, which emits UTF-8 only.
                let source = std::str::from_utf8(doc.source).unwrap_or("{}");
                let statement = match doc.op {
                    Op::Index => &mut upsert,
                    Op::Create => &mut create,
                };
                statement
                    .execute((doc.index, doc.id, source))
                    .map_err(Error::sqlite("insert"))?;
            }
        }
    }
    tx.commit().map_err(Error::sqlite("commit"))
}

fn json_path(field: &str) -> String {
    // Field names are validated plain identifiers; quoting keeps `@timestamp` a member name.
    format!("$.\"{field}\"")
}

/// Translates a SQL `LIKE` pattern to a case-sensitive `GLOB` pattern (SQLite's `LIKE` ignores
/// ASCII case; Elasticsearch's `wildcard` on keywords does not).
fn like_to_glob(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    for c in pattern.chars() {
        match c {
            '%' => out.push('*'),
            '_' => out.push('?'),
            '*' => out.push_str("[*]"),
            '?' => out.push_str("[?]"),
            '[' => out.push_str("[[]"),
            c => out.push(c),
        }
    }
    out
}

fn run_query(conn: &Connection, query: &AggQuery, max_groups: usize) -> Result<Vec<AggRow>> {
    use rusqlite::types::Value;
    let mut params: Vec<Value> = vec![Value::Text(query.index.clone())];
    let mut bind = |v: Value| {
        params.push(v);
        params.len()
    };
    let mut select = Vec::new();
    for field in &query.sums {
        let p = bind(Value::Text(json_path(field)));
        select.push(format!("total(json_extract(doc, ?{p}))"));
    }
    let mut group = Vec::new();
    let mut filters = vec![String::from("idx = ?1")];
    for field in &query.group_by {
        let p = bind(Value::Text(json_path(field)));
        select.push(format!("json_extract(doc, ?{p})"));
        group.push(format!("json_extract(doc, ?{p})"));
        filters.push(format!("json_type(doc, ?{p}) IS NOT NULL"));
    }
    for filter in &query.filters {
        let p = bind(Value::Text(json_path(&filter.field)));
        if filter.op == FilterOp::Like {
            let g = bind(Value::Text(like_to_glob(&filter.value)));
            filters.push(format!("json_extract(doc, ?{p}) GLOB ?{g}"));
            continue;
        }
        let op = match filter.op {
            FilterOp::Gt => ">",
            FilterOp::Gte => ">=",
            FilterOp::Lt => "<",
            FilterOp::Lte => "<=",
            FilterOp::Eq | FilterOp::Like => "=",
        };
        let number = filter
            .value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map_or(Value::Null, Value::Real);
        let n = bind(number);
        let t = bind(Value::Text(filter.value.clone()));
        filters.push(format!(
            "(CASE WHEN json_type(doc, ?{p}) IN ('integer', 'real') \
             THEN json_extract(doc, ?{p}) {op} ?{n} \
             ELSE json_extract(doc, ?{p}) {op} ?{t} END)"
        ));
    }
    let mut sql = format!(
        "SELECT {} FROM documents WHERE {}",
        if select.is_empty() {
            "count(*)".into()
        } else {
            select.join(", ")
        },
        filters.join(" AND ")
    );
    if !group.is_empty() {
        sql.push_str(" GROUP BY ");
        sql.push_str(&group.join(", "));
        sql.push_str(" LIMIT ");
        sql.push_str(itoa::Buffer::new().format(max_groups + 1));
    }
    let mut statement = conn.prepare(&sql).map_err(Error::sqlite("prepare query"))?;
    let sums = query.sums.len();
    let keys = query.group_by.len();
    let mut rows = statement
        .query(params_from_iter(params.iter()))
        .map_err(Error::sqlite("query"))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(Error::sqlite("query"))? {
        let agg = read_row(row, sums, keys)?;
        out.push(agg);
        if out.len() > max_groups {
            return Err(Error::TooManyGroups { max: max_groups });
        }
    }
    if keys == 0 && sums == 0 {
        out.clear();
    }
    sort_rows(&mut out);
    Ok(out)
}

fn read_row(row: &rusqlite::Row<'_>, sums: usize, keys: usize) -> Result<AggRow> {
    let mut agg = AggRow {
        keys: Vec::with_capacity(keys),
        sums: Vec::with_capacity(sums),
    };
    for i in 0..sums {
        agg.sums
            .push(row.get::<_, f64>(i).map_err(Error::sqlite("read sum"))?);
    }
    for i in sums..sums + keys {
        let value = row.get_ref(i).map_err(Error::sqlite("read group"))?;
        agg.keys.push(match value {
            // Group values are doubles, as in Elasticsearch's composite keys.
            #[allow(clippy::cast_precision_loss)]
            ValueRef::Integer(n) => KeyValue::Number(n as f64),
            ValueRef::Real(n) => KeyValue::Number(n),
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                KeyValue::Text(String::from_utf8_lossy(t).into_owned())
            }
            ValueRef::Null => KeyValue::Text(String::new()),
        });
    }
    Ok(agg)
}

fn fetch(conn: &Connection, index: &str) -> Result<Vec<(String, serde_json::Value)>> {
    let mut statement = conn
        .prepare_cached("SELECT id, doc FROM documents WHERE idx = ?1 ORDER BY id")
        .map_err(Error::sqlite("prepare fetch"))?;
    let rows = statement
        .query_map([index], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(Error::sqlite("fetch"))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, doc) = row.map_err(Error::sqlite("fetch"))?;
        let value = serde_json::from_str(&doc).unwrap_or(serde_json::Value::Null);
        out.push((id, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::like_to_glob;

    #[test]
    fn like_becomes_a_case_sensitive_glob() {
        assert_eq!(like_to_glob("tars.%stat_"), "tars.*stat?");
        assert_eq!(like_to_glob("a*b?[c"), "a[*]b[?][[]c");
    }
}
