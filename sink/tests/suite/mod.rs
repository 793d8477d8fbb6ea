//! Document and query checks shared by every backend: the SQLite store, the fake
//! Elasticsearch in `tars-test`, and a real Elasticsearch when `TARS_ES_URL` is set.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::time::Duration;

use serde_json::{Value, json};
use sink::{AggQuery, AggRow, Batch, Filter, FilterOp, IndexSpec, KeyValue, Op, Sink};

/// Awaits `f`, failing the test with `what` if it takes longer than `secs`.
pub async fn within<T>(secs: u64, what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

/// A stat-like row: (`f_tflag`, `slave_name`, `slave_port`, `succ_count`, `total_time`).
pub type Row = (&'static str, &'static str, i64, i64, i64);

pub const ROWS: &[Row] = &[
    ("0959", "tars.tarsstat", 8080, 3, 30),
    ("0959", "tars.tarsstat", 8080, 2, 10),
    ("0959", "Test.HelloServer", 9000, 7, 70),
    ("0960", "tars.tarsstat", 8080, 1, 5),
    ("0960", "tars.tarsSTAT", 8080, 100, 100),
    ("1001", "Test.HelloServer", 9000, 4, 8),
    ("1002", "Test.HelloServer", 9000, 50, 500),
];

/// The index template every suite run creates: strings as keywords, like the services' own.
pub fn spec(prefix: &str) -> IndexSpec {
    IndexSpec {
        name: prefix.to_owned(),
        patterns: vec![format!("{prefix}*")],
        delete_after: "1d".into(),
        data_stream: false,
        mappings: Some(json!({
            "dynamic_templates": [
                { "strings": { "match_mapping_type": "string", "mapping": { "type": "keyword" } } }
            ]
        })),
    }
}

pub fn rows_batch(index: &str, rows: &[Row]) -> Batch {
    let mut batch = Batch::new();
    for (i, (tflag, slave, port, succ, time)) in rows.iter().enumerate() {
        let id = format!("row-{i}");
        batch
            .push(Op::Index, index, &id, |d| {
                d.str("f_tflag", tflag)
                    .str("slave_name", slave)
                    .int("slave_port", *port)
                    .int("succ_count", *succ)
                    .int("total_time", *time)
                    .str("note", "quote \" backslash \\ newline \n 中文");
            })
            .expect("valid document");
    }
    batch
}

/// Writes [`ROWS`] and checks they read back field for field (`read` lists an index's
/// documents as (id, source)).
pub async fn documents_round_trip<F, Fut>(sink: &Sink, index: &str, read: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Vec<(String, Value)>>,
{
    let outcome = within(30, "submit and store", async {
        sink.submit(rows_batch(index, ROWS))
            .await
            .expect("submit")
            .await
    })
    .await
    .expect("outcome");
    assert_eq!(outcome.stored as usize, ROWS.len(), "{outcome:?}");
    // Writing the same ids again replaces, never duplicates.
    within(30, "second submit", async {
        sink.submit(rows_batch(index, ROWS))
            .await
            .expect("submit")
            .await
    })
    .await
    .expect("outcome");
    let docs = read(index.to_owned()).await;
    assert_eq!(docs.len(), ROWS.len());
    for (id, doc) in &docs {
        let i: usize = id.trim_start_matches("row-").parse().expect("our id");
        let (tflag, slave, port, succ, time) = ROWS[i];
        assert_eq!(doc["f_tflag"], tflag);
        assert_eq!(doc["slave_name"], slave);
        assert_eq!(doc["slave_port"], port);
        assert_eq!(doc["succ_count"], succ);
        assert_eq!(doc["total_time"], time);
        assert_eq!(doc["note"], "quote \" backslash \\ newline \n 中文");
    }
}

fn text(s: &str) -> KeyValue {
    KeyValue::Text(s.into())
}

fn query(index: &str, filters: Vec<Filter>, group_by: &[&str]) -> AggQuery {
    AggQuery {
        index: index.into(),
        filters,
        group_by: group_by.iter().map(|s| (*s).to_owned()).collect(),
        sums: vec!["succ_count".into(), "total_time".into()],
    }
}

fn filter(field: &str, op: FilterOp, value: &str) -> Filter {
    Filter {
        field: field.into(),
        op,
        value: value.into(),
    }
}

fn row(keys: Vec<KeyValue>, succ: f64, time: f64) -> AggRow {
    AggRow {
        keys,
        sums: vec![succ, time],
    }
}

/// Queries over [`ROWS`] (already written to `index` and visible) group and sum like the
/// reference's SQL: ranges on the keyword `f_tflag`, case-sensitive LIKE, numeric equality.
pub async fn queries_group_and_sum(sink: &Sink, index: &str) {
    let run = |q: AggQuery| async move { sink.query(&q).await.expect("query runs") };

    let by_tflag = run(query(
        index,
        vec![
            filter("f_tflag", FilterOp::Gte, "0959"),
            filter("f_tflag", FilterOp::Lte, "1001"),
        ],
        &["f_tflag"],
    ))
    .await;
    assert_eq!(
        by_tflag,
        vec![
            row(vec![text("0959")], 12.0, 110.0),
            row(vec![text("0960")], 101.0, 105.0),
            row(vec![text("1001")], 4.0, 8.0),
        ]
    );

    let like = run(query(
        index,
        vec![filter("slave_name", FilterOp::Like, "tars.%stat")],
        &["f_tflag", "slave_name"],
    ))
    .await;
    assert_eq!(
        like,
        vec![
            row(vec![text("0959"), text("tars.tarsstat")], 5.0, 40.0),
            row(vec![text("0960"), text("tars.tarsstat")], 1.0, 5.0),
        ],
        "LIKE is case-sensitive"
    );

    let one_char = run(query(
        index,
        vec![filter("slave_name", FilterOp::Like, "Test_HelloServer")],
        &[],
    ))
    .await;
    assert_eq!(one_char, vec![row(vec![], 61.0, 578.0)]);

    let numeric = run(query(
        index,
        vec![
            filter("slave_port", FilterOp::Eq, "9000"),
            filter("succ_count", FilterOp::Gt, "5"),
        ],
        &["slave_port"],
    ))
    .await;
    assert_eq!(
        numeric,
        vec![row(vec![KeyValue::Number(9000.0)], 57.0, 570.0)]
    );

    let exact = run(query(
        index,
        vec![filter("slave_name", FilterOp::Eq, "tars.tarsSTAT")],
        &["slave_name"],
    ))
    .await;
    assert_eq!(exact, vec![row(vec![text("tars.tarsSTAT")], 100.0, 100.0)]);

    let none = run(query(
        index,
        vec![filter("slave_name", FilterOp::Eq, "nobody")],
        &["f_tflag"],
    ))
    .await;
    assert!(none.is_empty());

    let missing_day = run(query(
        "tarsplane_suite_nonexistent_19700101",
        vec![],
        &["f_tflag"],
    ))
    .await;
    assert!(missing_day.is_empty(), "a day without an index has no rows");

    let bad = sink
        .query(&query(
            index,
            vec![filter("x' OR '1'='1", FilterOp::Eq, "a")],
            &[],
        ))
        .await;
    assert!(matches!(bad, Err(sink::Error::InvalidField(_))), "{bad:?}");
}

/// The template for [`finds`]: strings as Elasticsearch maps them by default (`text` with a
/// `keyword` sub-field, like K8SFramework's trace templates) and `spans` nested.
pub fn find_spec(prefix: &str) -> IndexSpec {
    IndexSpec {
        name: prefix.to_owned(),
        patterns: vec![format!("{prefix}*")],
        delete_after: "1d".into(),
        data_stream: false,
        mappings: Some(json!({
            "properties": {
                "start": { "type": "long" },
                "spans": { "type": "nested" }
            }
        })),
    }
}

/// Names as `find` returns them, in order.
fn names_of(docs: &[Value]) -> Vec<&str> {
    docs.iter().filter_map(|d| d["name"].as_str()).collect()
}

/// What [`finds`] stores: five documents, the last with a name full of query syntax.
fn find_documents() -> [Value; 5] {
    [
        json!({"name": "A.B", "start": 10, "spans": [{"slave": "A.B", "function": "f"}]}),
        json!({"name": "A.Bc", "start": 30,
               "spans": [{"slave": "X.Y", "function": "g"}, {"slave": "A.B", "function": "h"}]}),
        json!({"name": "Z.Q", "start": 20, "spans": [{"slave": "Z.Q", "function": "f"}]}),
        json!({"name": "a.b", "start": 40, "spans": []}),
        json!({"name": "x\" OR 1=1 -- \\ 中文", "start": 5, "spans": [{"slave": "A", "function": "B"}]}),
    ]
}

/// A search of `index` for everything, newest first.
fn find_all(index: &str) -> sink::Find {
    sink::Find {
        index: index.to_owned(),
        all: vec![sink::Cond::Range {
            field: "start".into(),
            min: i64::MIN,
            max: i64::MAX,
        }],
        sort_desc: Some("start".into()),
        fields: Vec::new(),
        limit: 100,
        keyword_subfield: true,
    }
}

/// Stores [`find_documents`] and waits until a search sees them all (Elasticsearch shows
/// documents after a refresh, about 1 s).
async fn store_find_documents(sink: &Sink, index: &str) {
    let docs = find_documents();
    let mut batch = Batch::new();
    for (i, doc) in docs.iter().enumerate() {
        batch
            .push_json(Op::Index, index, &format!("doc-{i}"), doc)
            .expect("valid document");
    }
    within(60, "find documents stored", async {
        sink.submit(batch).await.expect("submit").await
    })
    .await
    .expect("stored");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        // A real node answers 503 ("all shards failed") while a new index's shard starts.
        let seen = match sink.find(&find_all(index)).await {
            Ok(seen) => seen,
            Err(error) if std::time::Instant::now() < deadline => {
                eprintln!("not searchable yet: {error}");
                Vec::new()
            }
            Err(error) => panic!("documents never became searchable: {error}"),
        };
        if seen.len() == docs.len() {
            let tricky = docs[4]["name"].as_str().expect("name");
            assert_eq!(
                names_of(&seen),
                ["a.b", "A.Bc", "Z.Q", "A.B", tricky],
                "newest first"
            );
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "documents never became searchable: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Document searches ([`sink::Find`]): exact text (no case folding, no analysis, quotes and
/// operators as plain values), prefixes, ranges, a value anywhere in an array of objects, all
/// conditions together, a descending sort, projection, the limit and a missing index.
pub async fn finds(sink: &Sink, index: &str) {
    use sink::{Cond, Find};
    store_find_documents(sink, index).await;
    let find = |all: Vec<Cond>| Find {
        all,
        ..find_all(index)
    };
    let text = |field: &str, value: &str| Cond::Text {
        field: field.into(),
        value: value.into(),
    };
    let run = |f: Find| async move { sink.find(&f).await.expect("find") };

    assert_eq!(
        names_of(&run(find(vec![text("name", "A.B")])).await),
        ["A.B"],
        "exact, case kept"
    );
    let tricky = find_documents()[4]["name"]
        .as_str()
        .expect("name")
        .to_owned();
    assert_eq!(
        names_of(&run(find(vec![text("name", &tricky)])).await),
        [tricky.as_str()]
    );
    assert!(
        run(find(vec![text("name", "x")])).await.is_empty(),
        "no analysis"
    );
    let prefix = Cond::Prefix {
        field: "name".into(),
        prefix: "A.B".into(),
    };
    assert_eq!(names_of(&run(find(vec![prefix])).await), ["A.Bc", "A.B"]);
    let middle = Cond::Range {
        field: "start".into(),
        min: 15,
        max: 30,
    };
    assert_eq!(
        names_of(&run(find(vec![middle])).await),
        ["A.Bc", "Z.Q"],
        "bounds included"
    );
    let slave_ab = Cond::AnyOf {
        path: "spans".into(),
        any: vec![text("slave", "A.B")],
    };
    assert_eq!(
        names_of(&run(find(vec![slave_ab.clone()])).await),
        ["A.Bc", "A.B"]
    );
    let either = Cond::AnyOf {
        path: "spans".into(),
        any: vec![text("slave", "Z.Q"), text("function", "g")],
    };
    assert_eq!(names_of(&run(find(vec![either])).await), ["A.Bc", "Z.Q"]);
    let early = Cond::Range {
        field: "start".into(),
        min: 0,
        max: 20,
    };
    assert_eq!(
        names_of(&run(find(vec![slave_ab, early])).await),
        ["A.B"],
        "all must hold"
    );
    let x_y = Cond::AnyOf {
        path: "spans".into(),
        any: vec![text("slave", "X.Y")],
    };
    let h = Cond::AnyOf {
        path: "spans".into(),
        any: vec![text("function", "h")],
    };
    assert_eq!(
        names_of(&run(find(vec![x_y, h])).await),
        ["A.Bc"],
        "each in some element"
    );

    let mut projected = find(vec![text("name", "Z.Q")]);
    projected.fields = vec!["name".into(), "start".into()];
    assert_eq!(run(projected).await, [json!({"name": "Z.Q", "start": 20})]);
    let mut newest = find_all(index);
    newest.limit = 2;
    assert_eq!(names_of(&run(newest).await), ["a.b", "A.Bc"]);
    let mut missing = find_all(index);
    missing.index = format!("{index}_missing");
    assert!(run(missing).await.is_empty(), "a missing index has no hits");
    let mut refused = find_all(index);
    refused.fields = vec!["name\"".into()];
    assert!(
        sink.find(&refused).await.is_err(),
        "a field that is not a plain name"
    );
}
