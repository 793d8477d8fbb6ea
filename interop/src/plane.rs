//! `tarsplane up` in process for one test: loopback, OS-chosen ports, the embedded SQLite store
//! (unless the options say otherwise) and a fresh temporary data directory, served from a
//! spawned task until [`Up::stop`].

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aggregate::Aggregator;
use property::PropertyDocuments;
use serde_json::Value;
use sink::{Sink, SqliteSink};
use stat::StatDocuments;
use tarsplane::up::{Options, start};
use tempfile::TempDir;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::echo::spawn_echo;
use crate::monitor::{Monitor, QUERY_PROPERTY, QUERY_STAT};
use crate::poll::{Patience, poll};
use crate::registry::registry_file;

/// The registry's locator object.
pub const REGISTRY_QUERY: &str = "tars.tarsregistry.QueryObj";
/// The stat service's report object.
pub const STAT: &str = "tars.tarsstat.StatObj";
/// The property service's report object.
pub const PROPERTY: &str = "tars.tarsproperty.PropertyObj";
/// The notify service's object.
pub const NOTIFY: &str = "tars.tarsnotify.NotifyObj";
/// The log service's object.
pub const LOG: &str = "tars.tarslog.LogObj";
/// The config service's object.
pub const CONFIG: &str = "tars.tarsconfig.ConfigObj";

/// A running `tarsplane up` and what a test reads from it. Dropping it cancels the shutdown
/// token without waiting.
#[derive(Debug)]
pub struct Up {
    dir: TempDir,
    options: Options,
    echo: Option<SocketAddr>,
    served: Vec<(String, SocketAddr)>,
    admin: Option<SocketAddr>,
    sink: Option<Sink>,
    stat: Option<Arc<Aggregator<StatDocuments>>>,
    property: Option<Arc<Aggregator<PropertyDocuments>>>,
    shutdown: CancellationToken,
    running: Option<JoinHandle<()>>,
}

impl Up {
    /// Starts and serves `tarsplane up` (ephemeral ports on 127.0.0.1, the embedded options
    /// for a fresh temporary data directory, then `configure`).
    ///
    /// # Panics
    ///
    /// When it cannot start (a test helper).
    pub async fn start(configure: impl FnOnce(&mut Options)) -> Self {
        Self::launch(false, &[], configure).await
    }

    /// [`Up::start`] with `files` (`(name, text)`) written into the data directory first, e.g.
    /// the config service's `config.yaml`.
    ///
    /// # Panics
    ///
    /// When a file cannot be written or it cannot start (a test helper).
    pub async fn with_files(files: &[(&str, &str)], configure: impl FnOnce(&mut Options)) -> Self {
        Self::launch(false, files, configure).await
    }

    /// [`Up::start`] with the echo servant ([`crate::Echo`]) on its own port and the registry
    /// file of [`crate::registry`] (the TEndpoint of `Test.Hello.HelloObj`, the upChain route to
    /// the echo servant) in the data directory.
    ///
    /// # Panics
    ///
    /// When it cannot start (a test helper).
    pub async fn with_echo(configure: impl FnOnce(&mut Options)) -> Self {
        Self::launch(true, &[], configure).await
    }

    async fn launch(
        echo: bool,
        files: &[(&str, &str)],
        configure: impl FnOnce(&mut Options),
    ) -> Self {
        let shutdown = CancellationToken::new();
        let echo = if echo {
            Some(spawn_echo(shutdown.child_token()).await)
        } else {
            None
        };
        let dir = tempfile::tempdir().expect("tempdir");
        if let Some(echo) = echo {
            std::fs::write(dir.path().join("registry.yaml"), registry_file(echo.port()))
                .expect("write the registry file");
        }
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text)
                .unwrap_or_else(|e| panic!("write {name}: {e}"));
        }
        let mut options = Options::embedded(Ipv4Addr::LOCALHOST.into(), dir.path());
        options.ephemeral = true;
        configure(&mut options);
        let plane = start(&options).await.expect("start");
        let served = plane
            .served
            .iter()
            .map(|s| (s.object.to_owned(), s.addr))
            .collect();
        let admin = plane.admin_addr;
        let sink = plane.sink().cloned();
        let stat = plane.stat().map(|s| s.aggregator.clone());
        let property = plane.property().map(|p| p.aggregator.clone());
        let running = tokio::spawn(plane.run(shutdown.clone()));
        Self {
            dir,
            options,
            echo,
            served,
            admin,
            sink,
            stat,
            property,
            shutdown,
            running: Some(running),
        }
    }

    /// The data directory (also where client programs run and write).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The options it runs with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Where `object` is served.
    ///
    /// # Panics
    ///
    /// When it is not served.
    pub fn addr(&self, object: &str) -> SocketAddr {
        self.served
            .iter()
            .find(|(o, _)| o == object)
            .map_or_else(|| panic!("{object} served"), |(_, a)| *a)
    }

    /// Where the admin port (`/metrics`, `/healthz`, `/readyz`) listens.
    ///
    /// # Panics
    ///
    /// When it is off (`admin.listen` empty).
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin.expect("the admin port is on")
    }

    /// [`Up::addr`]'s port as a command-line argument.
    ///
    /// # Panics
    ///
    /// As [`Up::addr`].
    pub fn port(&self, object: &str) -> String {
        self.addr(object).port().to_string()
    }

    /// Every served object, in the order `up` lists them.
    pub fn objects(&self) -> Vec<&str> {
        self.served.iter().map(|(o, _)| o.as_str()).collect()
    }

    /// The echo servant's port.
    ///
    /// # Panics
    ///
    /// Unless started [`Up::with_echo`].
    pub fn echo_port(&self) -> u16 {
        self.echo.expect("started with_echo").port()
    }

    /// Serves another echo servant, stopped with `up`; returns its address.
    pub async fn spawn_echo(&self) -> SocketAddr {
        spawn_echo(self.shutdown.child_token()).await
    }

    /// The client locator: `tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p <port> -t 3000`.
    pub fn locator(&self) -> String {
        let port = self.addr(REGISTRY_QUERY).port();
        format!("{REGISTRY_QUERY}@tcp -h 127.0.0.1 -p {port} -t 3000")
    }

    /// Writes the TARS server configuration tarsnode would write for `app.server` to
    /// `<dir>/<name>/server.conf` and returns its path. `<client>`: only the locator holds an
    /// endpoint, then the `client` lines, `StatObj` and `PropertyObj` by name, modulename
    /// `app.server`. `<server>`: localip 127.0.0.1, `<dir>/<name>` (created) as base, data and
    /// log path, `LogObj` and `NotifyObj` by name, then the `server` lines.
    ///
    /// # Panics
    ///
    /// When the files cannot be written.
    pub fn server_config(
        &self,
        name: &str,
        app_server: (&str, &str),
        client: &[&str],
        server_lines: &[&str],
    ) -> PathBuf {
        self.server_config_at(name, app_server, "127.0.0.1", client, server_lines)
    }

    /// [`Up::server_config`] with `localip` as given: in Kubernetes tarsnode writes the pod's
    /// domain name there (`<pod>.<lower(app)>-<lower(server)>`).
    ///
    /// # Panics
    ///
    /// When the files cannot be written.
    pub fn server_config_at(
        &self,
        name: &str,
        (app, server): (&str, &str),
        localip: &str,
        client: &[&str],
        server_lines: &[&str],
    ) -> PathBuf {
        let data = self.dir().join(name);
        std::fs::create_dir_all(&data).expect("data dir");
        let lines =
            |lines: &[&str]| -> String { lines.iter().flat_map(|l| ["      ", l, "\n"]).collect() };
        let text = format!(
            "<tars>
  <application>
    enableset = n
    <client>
      locator = {locator}
{client}      stat = {STAT}
      property = {PROPERTY}
      modulename = {app}.{server}
    </client>
    <server>
      app = {app}
      server = {server}
      localip = {localip}
      basepath = {data}
      datapath = {data}
      logpath = {data}
      log = {LOG}
      notify = {NOTIFY}
{server_lines}    </server>
  </application>
</tars>
",
            locator = self.locator(),
            client = lines(client),
            data = data.display(),
            server_lines = lines(server_lines),
        );
        let path = data.join("server.conf");
        std::fs::write(&path, text).expect("config");
        path
    }

    /// The document store.
    ///
    /// # Panics
    ///
    /// When no running service uses one.
    pub fn sink(&self) -> &Sink {
        self.sink.as_ref().expect("a store")
    }

    /// The embedded store.
    ///
    /// # Panics
    ///
    /// When the store is not SQLite.
    pub fn sqlite(&self) -> &SqliteSink {
        let Sink::Sqlite(db) = self.sink() else {
            panic!("the embedded store is SQLite");
        };
        db
    }

    /// The notify records (`tars_notify_*` in the SQLite store) sorted by message, once there
    /// are `count` of them, looking every 50 ms for `within` from now; fewer if they did not all
    /// arrive.
    ///
    /// # Panics
    ///
    /// As [`Up::sqlite`], or when the store cannot be read.
    pub async fn alarms(&self, count: usize, within: Duration) -> Vec<Value> {
        let db = self.sqlite();
        let mut docs = Vec::new();
        poll(
            Patience::within(within),
            Duration::from_millis(50),
            async || {
                docs = db.fetch("tars_notify_").await.expect("fetch");
                docs.len() == count
            },
        )
        .await;
        let mut docs: Vec<Value> = docs.into_iter().map(|(_, d)| d).collect();
        docs.sort_by(|a, b| a["message"].as_str().cmp(&b["message"].as_str()));
        docs
    }

    /// The stat and property aggregators with their query objects.
    ///
    /// # Panics
    ///
    /// When the stat service does not run.
    pub fn monitor(&self) -> Monitor {
        let stat = self.stat.clone().expect("stat runs");
        let property = self.property.clone();
        Monitor::new(
            (stat, self.addr(QUERY_STAT)),
            property.map(|p| (p, self.addr(QUERY_PROPERTY))),
        )
    }

    /// Cancels the shutdown token without waiting.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Cancels the shutdown token and waits (15 s at most) for `up` to stop.
    ///
    /// # Panics
    ///
    /// When it runs on or its task panicked.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(running) = self.running.take() {
            tokio::time::timeout(Duration::from_secs(15), running)
                .await
                .expect("up stops on shutdown")
                .expect("task");
        }
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
