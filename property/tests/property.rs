//! The property service in process: reports → window → documents in the real SQLite store,
//! per policy, against hand-computed values; then read back through `MonitorQuery.query`.

#![allow(clippy::float_cmp)] // sums and metric values compared here are exact integers

use std::net::{IpAddr, Ipv4Addr};

use aggregate::MinuteClock;
use property::{Config, Property};
use sink::config::SqliteConfig;
use sink::{AggQuery, KeyValue, Sink, SqliteSink};
use tars_rpc::interfaces::property::{
    ReportPropMsgArgs, StatPropInfo, StatPropMsgBody, StatPropMsgHead,
};

const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 9, 8, 7));
/// 2024-03-28 09:59:xx UTC → `f_tflag` 0960.
const T0: i64 = 1_711_619_940;

fn head<'a>(module: &'a str, name: &'a str) -> StatPropMsgHead<'a> {
    StatPropMsgHead {
        module_name: module.as_bytes(),
        ip: b"",
        property_name: name.as_bytes(),
        set_name: b"",
        set_area: b"",
        set_id: b"",
        container: b"",
        property_ver: 2,
    }
}

fn report<'a>(
    entries: Vec<(StatPropMsgHead<'a>, Vec<(&'a str, &'a str)>)>,
) -> ReportPropMsgArgs<'a> {
    ReportPropMsgArgs {
        statmsg: entries
            .into_iter()
            .map(|(h, infos)| {
                let info = infos
                    .into_iter()
                    .map(|(p, v)| StatPropInfo {
                        policy: p.as_bytes(),
                        value: v.as_bytes(),
                    })
                    .collect();
                (h, StatPropMsgBody { info })
            })
            .collect(),
    }
}

struct Rig {
    service: Property,
    db: SqliteSink,
    _dir: tempfile::TempDir,
}

/// Two reports of one head (and one ignored module), flushed as the 0960 minute.
async fn reported() -> Rig {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = SqliteSink::open(
        &SqliteConfig {
            path: dir.path().join("p.sqlite"),
            ..SqliteConfig::default()
        },
        sink::Metrics::default(),
    )
    .expect("sqlite");
    let config = Config {
        time_zone: "UTC".into(),
        ..Config::default()
    };
    let service = Property::start(
        &config,
        Sink::Sqlite(db.clone()),
        aggregate::Metrics::default(),
    )
    .expect("property");
    let servant = service.servant();
    let kept = servant.add(
        &report(vec![
            (
                head("Test.Hello", "queue"),
                vec![("Sum", "10"), ("Max", "7"), ("Avg", "4")],
            ),
            (head("tars.tarsnode", "ignored"), vec![("Sum", "1")]),
        ]),
        PEER,
    );
    assert_eq!(kept, 1);
    servant.add(
        &report(vec![(
            head("Test.Hello", "queue"),
            vec![("Sum", "5.5"), ("Max", "3"), ("Avg", "8")],
        )]),
        PEER,
    );
    let minute = MinuteClock::from_name("UTC").expect("utc").minute(T0);
    assert_eq!(service.aggregator.flush(&minute).await, 3);
    Rig {
        service,
        db,
        _dir: dir,
    }
}

#[tokio::test]
async fn reports_become_one_document_per_policy() {
    let rig = reported().await;
    let docs = rig.db.fetch("tars_property_20240328").await.expect("fetch");
    let mut by_policy: Vec<(String, f64)> = docs
        .iter()
        .map(|(_, d)| {
            let policy = d["policy"].as_str().unwrap_or("").to_owned();
            (policy, d["value"].as_f64().unwrap_or(f64::NAN))
        })
        .collect();
    by_policy.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        by_policy,
        [
            ("Avg".into(), 6.0),
            ("Max".into(), 7.0),
            ("Sum".into(), 15.5)
        ]
    );
    let doc = &docs[0].1;
    let fields: Vec<&str> = doc
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "f_timestamp",
            "f_date",
            "f_tflag",
            "master_name",
            "master_ip",
            "property_name",
            "set_name",
            "set_area",
            "set_id",
            "policy",
            "value"
        ],
        "K8SFramework's field set, in its order"
    );
    assert_eq!(
        doc["master_ip"], "10.9.8.7",
        "ip is always the reporting peer"
    );
    assert_eq!(doc["f_tflag"], "0960");
    drop(rig.service);
}

#[tokio::test]
async fn values_sum_per_property_and_policy() {
    let rig = reported().await;
    let rows = Sink::Sqlite(rig.db.clone())
        .query(&AggQuery {
            index: "tars_property_20240328".into(),
            filters: vec![],
            group_by: vec!["property_name".into(), "policy".into()],
            sums: vec!["value".into()],
        })
        .await
        .expect("query");
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[2].keys,
        [KeyValue::Text("queue".into()), KeyValue::Text("Sum".into())]
    );
    assert_eq!(rows[2].sums, [15.5]);
}
