//! Reading the stat and property aggregates back the way tarsweb does, through
//! `MonitorQuery.query` on `tars.tarsquerystat.QueryObj` and `tars.tarsqueryproperty.QueryObj`,
//! after closing the current minute's windows on demand.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aggregate::{Aggregator, Minute, MinuteClock};
use property::PropertyDocuments;
use stat::StatDocuments;

use crate::monitor_query;
use crate::node::run_node_ok;
use crate::plane::{PROPERTY, STAT, Up};
use crate::poll::{Patience, poll};

/// The stat query object.
pub const QUERY_STAT: &str = "tars.tarsquerystat.QueryObj";
/// The property query object.
pub const QUERY_PROPERTY: &str = "tars.tarsqueryproperty.QueryObj";

/// One answer row: the group key (the `groupby` values joined by `,`) and the sums.
pub type Row = (String, Vec<f64>);

/// Success, timeout and exception counts.
pub const COUNTS: &[&str] = &["succ_count", "timeout_count", "exce_count"];

/// What a read-back asks for: the call statistics of one master and, optionally, its
/// properties (`value` by `property_name` and `policy`).
#[derive(Debug, Clone, Copy)]
pub struct Read<'a> {
    /// The `master_name` both queries select.
    pub master: &'a str,
    /// The call statistics' columns to sum.
    pub indexs: &'a [&'a str],
    /// The call statistics' grouping.
    pub groupby: &'a [&'a str],
    /// Whether the properties are read too (and their window closed).
    pub properties: bool,
}

impl<'a> Read<'a> {
    /// [`COUNTS`] by slave, interface, master IP (the peer), slave IP, tarsVersion and return
    /// value, and the properties, of `master`: what the TarsGo and `TarsJava` `monitor` commands
    /// are checked with.
    pub const fn detailed(master: &'a str) -> Self {
        Self {
            master,
            indexs: COUNTS,
            groupby: &[
                "slave_name",
                "interface_name",
                "master_ip",
                "slave_ip",
                "tars_version",
                "return_value",
            ],
            properties: true,
        }
    }
}

/// What `interop/node/monitor-client.js` reports, read back: the counts and total time of
/// `Node.Reporter` by slave and interface, and its properties.
pub const NODE_REPORTER: Read<'static> = Read {
    master: "Node.Reporter",
    indexs: &["succ_count", "timeout_count", "exce_count", "total_time"],
    groupby: &["slave_name", "interface_name"],
    properties: true,
};

/// [`NODE_REPORTER`]'s calls as `monitor-client.js` sends them: 5 successes
/// (10+20+30+40+600 ms), 2 timeouts, 1 error.
pub fn node_reporter_calls() -> Vec<Row> {
    vec![(
        "Test.HelloServer,sayHello".to_owned(),
        vec![5.0, 2.0, 1.0, 700.0],
    )]
}

/// The property `queue` every client program reports with the values 4, 8 and 12, under each
/// policy: what [`Read::properties`] answers for it.
pub fn queue_properties() -> Vec<Row> {
    [
        ("queue,Avg", 8.0),
        ("queue,Count", 3.0),
        ("queue,Distr", 0.0),
        ("queue,Max", 12.0),
        ("queue,Min", 4.0),
        ("queue,Sum", 24.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), vec![v]))
    .collect()
}

/// Runs `monitor-client.js` against `up`'s `StatObj` and `PropertyObj` (one-way reports of
/// [`NODE_REPORTER`]).
///
/// # Panics
///
/// When the script fails (a test helper).
pub async fn run_node_reporter(up: &Up) {
    let (stat, property) = (up.port(STAT), up.port(PROPERTY));
    run_node_ok(
        "monitor-client.js",
        &["127.0.0.1", &stat, "127.0.0.1", &property],
    )
    .await;
}

/// The answers of one read-back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    /// The day read (`YYYYMMDD`).
    pub date: String,
    /// The call statistics.
    pub calls: Vec<Row>,
    /// The properties (empty unless [`Read::properties`]).
    pub props: Vec<Row>,
}

/// The stat (and property) aggregators of a running `tarsplane up` and its query objects. Its
/// minutes are UTC: the services must run with `time_zone = "UTC"`.
#[derive(Debug, Clone)]
pub struct Monitor {
    clock: MinuteClock,
    stat: Arc<Aggregator<StatDocuments>>,
    query_stat: SocketAddr,
    property: Option<(Arc<Aggregator<PropertyDocuments>>, SocketAddr)>,
}

impl Monitor {
    /// The stat aggregator and its query object's address, and the property ones if that
    /// service runs.
    ///
    /// # Panics
    ///
    /// Never in practice: UTC is always a known time zone.
    pub fn new(
        stat: (Arc<Aggregator<StatDocuments>>, SocketAddr),
        property: Option<(Arc<Aggregator<PropertyDocuments>>, SocketAddr)>,
    ) -> Self {
        Self {
            clock: MinuteClock::from_name("UTC").expect("utc"),
            stat: stat.0,
            query_stat: stat.1,
            property,
        }
    }

    fn property(&self) -> &(Arc<Aggregator<PropertyDocuments>>, SocketAddr) {
        self.property.as_ref().expect("property runs")
    }

    /// Closes the current minute's stat window, and the property one when `read` asks for
    /// properties; returns the minute.
    ///
    /// # Panics
    ///
    /// When properties are asked for and the property service does not run.
    pub async fn flush(&self, read: &Read<'_>) -> Minute {
        let minute = self.clock.now();
        self.stat.flush(&minute).await;
        if read.properties {
            self.property().0.flush(&minute).await;
        }
        minute
    }

    /// Asks `MonitorQuery` for `read` on `date`.
    ///
    /// # Panics
    ///
    /// As [`monitor_query`].
    pub async fn query(&self, date: &str, read: &Read<'_>) -> Rows {
        let calls = monitor_query(
            self.query_stat,
            QUERY_STAT,
            date,
            read.master,
            read.indexs,
            read.groupby,
        )
        .await;
        let props = if read.properties {
            let (master, addr) = (read.master, self.property().1);
            let (indexs, groupby) = (&["value"], &["property_name", "policy"]);
            monitor_query(addr, QUERY_PROPERTY, date, master, indexs, groupby).await
        } else {
            Vec::new()
        };
        Rows {
            date: date.to_owned(),
            calls,
            props,
        }
    }

    /// Closes the windows and reads, in rounds 100 ms apart, until `done` accepts the rows or
    /// `patience` runs out; returns the last rows (the reports are in flight: one-way, or
    /// answered calls the client does not wait for).
    ///
    /// # Panics
    ///
    /// As [`Monitor::flush`] and [`Monitor::query`].
    pub async fn read_until(
        &self,
        read: &Read<'_>,
        patience: Patience,
        done: impl Fn(&Rows) -> bool,
    ) -> Rows {
        let mut rows = Rows::default();
        poll(patience, Duration::from_millis(100), async || {
            let minute = self.flush(read).await;
            rows = self.query(&minute.date, read).await;
            done(&rows)
        })
        .await;
        rows
    }
}
