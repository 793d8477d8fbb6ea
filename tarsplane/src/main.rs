//! `tarsplane`: the one binary. Reads the command line, runs the chosen job, maps the outcome to
//! an exit code. Everything else lives in the libraries.

use std::io::{Read, Write};
use std::net::IpAddr;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use tokio_util::sync::CancellationToken;
use tracing::info;

use tarsplane::decode::{self, Input};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The TARS framework's data plane: registry, stat, property, log and notify.
#[derive(Debug, Parser)]
#[command(name = "tarsplane", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every framework object on its standard port, on embedded defaults.
    Up {
        /// Address to listen on.
        #[arg(long, default_value = "0.0.0.0")]
        host: IpAddr,
        /// Where the embedded store, the remote logs (`remote_app_log/`) and an Elasticsearch
        /// spool live.
        #[arg(long, default_value = "data")]
        data_dir: std::path::PathBuf,
        /// An Elasticsearch node URL (repeat for several); without one, documents go to the
        /// SQLite file in the data directory.
        #[arg(long = "elasticsearch", value_name = "URL")]
        elasticsearch: Vec<String>,
        /// Run against a cluster: the registry watches this namespace's TEndpoints (and
        /// reconciles them), notify names reporters by their pods (`KUBECONFIG` or
        /// `~/.kube/config` when present, else the in-cluster service account).
        #[arg(long = "kubernetes-namespace", value_name = "NAMESPACE")]
        kubernetes_namespace: Option<String>,
        /// A TOML configuration file (`tarsplane config default` prints every key); the other
        /// options are then ignored.
        #[arg(long, value_name = "FILE")]
        config: Option<std::path::PathBuf>,
        /// Listen on OS-chosen ports instead of the standard ones (tests; the banner says
        /// where).
        #[arg(long, hide = true)]
        ephemeral_ports: bool,
    },
    /// Run one service (one Kubernetes workload) on its standard port(s), plus the admin port.
    Serve {
        /// The service.
        #[arg(value_enum)]
        service: ServiceArg,
        /// A TOML configuration file (`tarsplane config default` prints every key); without
        /// one, the embedded defaults.
        #[arg(long, value_name = "FILE")]
        config: Option<std::path::PathBuf>,
    },
    /// Check a configuration file, or print the defaults.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print a TARS buffer (hex or binary on stdin) as a tag/type tree, or with `--as` as JSON.
    Decode {
        /// How to read the input.
        #[arg(long, value_enum, default_value = "auto")]
        input: InputArg,
        /// Decode as this struct or argument block (e.g. `EndpointF`, `StatF.reportMicMsg`,
        /// `QueryF.findObjectById.result`) and print JSON; `--as list` shows every name.
        #[arg(long = "as", value_name = "NAME")]
        as_type: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Parse and validate FILE (with the environment's secrets); exit 64 if it is invalid.
    Check {
        /// The TOML file.
        file: std::path::PathBuf,
    },
    /// Print every key with its default value, as TOML.
    Default,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ServiceArg {
    /// `tars.tarsregistry.QueryObj` (17890) and `RegistryObj` (17891).
    Registry,
    /// `tars.tarsstat.StatObj` (17000).
    Stat,
    /// `tars.tarsproperty.PropertyObj` (14000).
    Property,
    /// `tars.tarsnotify.NotifyObj` (13111).
    Notify,
    /// `tars.tarslog.LogObj` (12111).
    Log,
    /// `tars.tarsconfig.ConfigObj` (11111).
    Config,
    /// `tars.tarsAdminRegistry.AdminRegObj` (19111).
    Adminreg,
    /// Kubernetes events into the store (needs `kubernetes_namespace`).
    Kevent,
    /// `tars.tarsquerystat.QueryObj` (16000).
    Querystat,
    /// `tars.tarsqueryproperty.QueryObj` (15000).
    Queryproperty,
}

impl ServiceArg {
    fn service(self) -> tarsplane::objects::Service {
        use tarsplane::objects::Service;
        match self {
            ServiceArg::Registry => Service::Registry,
            ServiceArg::Stat => Service::Stat,
            ServiceArg::Property => Service::Property,
            ServiceArg::Notify => Service::Notify,
            ServiceArg::Log => Service::Log,
            ServiceArg::Config => Service::Config,
            ServiceArg::Adminreg => Service::AdminReg,
            ServiceArg::Kevent => Service::KEvent,
            ServiceArg::Querystat => Service::QueryStat,
            ServiceArg::Queryproperty => Service::QueryProperty,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum InputArg {
    /// A frame if the first 4 bytes equal the length, bare fields otherwise.
    Auto,
    /// Frames with their 4-byte length prefix.
    Frame,
    /// Bare fields: a packet without its prefix, or an argument block.
    Fields,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Up {
            host,
            data_dir,
            elasticsearch,
            kubernetes_namespace,
            config,
            ephemeral_ports,
        } => {
            let mut log_format = log_format_from_env().unwrap_or_default();
            let options = if let Some(file) = config {
                match tarsplane::config::Config::load(&file) {
                    Ok(config) => {
                        log_format = config.log_format;
                        config.options()
                    }
                    Err(error) => return config_error(&error),
                }
            } else {
                let mut options = tarsplane::up::Options::embedded(host, &data_dir);
                options.admin.listen = std::net::SocketAddr::new(host, 9100).to_string();
                options.sink.elasticsearch.nodes = elasticsearch;
                if kubernetes_namespace.is_some() {
                    options.registry.source = registry::Source::Kubernetes;
                    options.config.source = tars_config::Source::Kubernetes;
                }
                options.kubernetes_namespace = kubernetes_namespace;
                options
            };
            let mut options = options;
            options.ephemeral = ephemeral_ports;
            up(&options, log_format)
        }
        Command::Serve { service, config } => {
            let config = match config {
                Some(file) => match tarsplane::config::Config::load(&file) {
                    Ok(config) => config,
                    Err(error) => return config_error(&error),
                },
                None => match tarsplane::config::Config::from_env() {
                    Ok(config) => tarsplane::config::Config {
                        log_format: log_format_from_env().unwrap_or(config.log_format),
                        ..config
                    },
                    Err(error) => return config_error(&error),
                },
            };
            let mut options = config.options();
            options.services = vec![service.service()];
            options.route_locally = false;
            up(&options, config.log_format)
        }
        Command::Config { action } => match action {
            ConfigAction::Default => {
                let text = tarsplane::config::Config::default_toml();
                writeln!(std::io::stdout(), "{text}").map_err(anyhow::Error::from)
            }
            ConfigAction::Check { file } => match tarsplane::config::Config::load(&file) {
                Ok(_) => writeln!(std::io::stdout(), "{}: ok", file.display())
                    .map_err(anyhow::Error::from),
                Err(error) => return config_error(&error),
            },
        },
        Command::Decode { input, as_type } => run_decode(input, as_type.as_deref()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "tarsplane: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// An invalid configuration exits with 64 (`EX_USAGE`), as the style guide asks.
fn config_error(error: &str) -> std::process::ExitCode {
    let _ = writeln!(
        std::io::stderr(),
        "tarsplane: invalid configuration: {error}"
    );
    std::process::ExitCode::from(64)
}

/// `TARSPLANE_LOG_FORMAT=json` when no configuration file says otherwise.
const ENV_LOG_FORMAT: &str = "TARSPLANE_LOG_FORMAT";

fn log_format_from_env() -> Option<tarsplane::config::LogFormat> {
    match std::env::var(ENV_LOG_FORMAT).ok()?.as_str() {
        "json" => Some(tarsplane::config::LogFormat::Json),
        _ => Some(tarsplane::config::LogFormat::Text),
    }
}

/// Colour codes only on a terminal, and not when `NO_COLOR` is set to anything non-empty
/// (no-color.org): a file or pipe gets plain lines.
fn colour(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

fn init_tracing(format: tarsplane::config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour(
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
            std::env::var_os("NO_COLOR"),
        ))
        .with_writer(std::io::stderr);
    match format {
        tarsplane::config::LogFormat::Json => builder.json().flatten_event(true).init(),
        tarsplane::config::LogFormat::Text => builder.init(),
    }
}

fn up(
    options: &tarsplane::up::Options,
    log_format: tarsplane::config::LogFormat,
) -> anyhow::Result<()> {
    init_tracing(log_format);
    let runtime = tokio::runtime::Runtime::new().context("start the async runtime")?;
    runtime.block_on(async {
        let plane = tarsplane::up::start(options)
            .await
            .context("start the framework services")?;
        let mut stdout = std::io::stdout().lock();
        // Only services that write documents have a store (not the registry or config alone).
        let store = if plane.sink().is_some() {
            format!(" (documents: {})", options.store())
        } else {
            String::new()
        };
        writeln!(
            stdout,
            "tarsplane {} serving{store}:",
            env!("CARGO_PKG_VERSION"),
        )?;
        if let Some(addr) = plane.admin_addr {
            writeln!(stdout, "  admin (/metrics /healthz /readyz)  {addr}")?;
        }
        for s in &plane.served {
            let what = if s.implemented {
                "ready"
            } else {
                "tars_ping only (service not in this build yet)"
            };
            writeln!(
                stdout,
                "  {:<34} {:<22} {:<26} {what}",
                s.object, s.addr, s.service
            )?;
        }
        drop(stdout);
        let shutdown = CancellationToken::new();
        let signal = shutdown.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            info!(message = "Shutting down.");
            signal.cancel();
        });
        plane.run(shutdown).await;
        Ok(())
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn run_decode(input: InputArg, as_type: Option<&str>) -> anyhow::Result<()> {
    if as_type == Some("list") {
        let mut stdout = std::io::stdout().lock();
        for name in tarsplane::typed::names() {
            writeln!(stdout, "{name}")?;
        }
        return Ok(());
    }
    let mut raw = Vec::new();
    std::io::stdin()
        .read_to_end(&mut raw)
        .context("read stdin")?;
    let bytes = decode::bytes_from_input(&raw);
    let input = match input {
        InputArg::Auto => Input::Auto,
        InputArg::Frame => Input::Frame,
        InputArg::Fields => Input::Fields,
    };
    let mut stdout = std::io::stdout().lock();
    if let Some(name) = as_type {
        let schema = tarsplane::typed::schema(name).with_context(|| {
            format!("unknown type {name:?}; `tarsplane decode --as list` shows every name")
        })?;
        let body = decode::strip_frame(&bytes, input);
        let value = tarsplane::typed::to_json(body, &schema)
            .map_err(anyhow::Error::new)
            .with_context(|| format!("the input does not decode as {name}"))?;
        writeln!(stdout, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(());
    }
    match decode::tree(&bytes, input) {
        Ok(tree) => {
            stdout.write_all(tree.as_bytes())?;
            Ok(())
        }
        Err((tree, error)) => {
            stdout.write_all(tree.as_bytes())?;
            Err(anyhow::anyhow!(error).context("the input does not decode"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::colour;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(!colour(false, None), "a file or pipe");
        assert!(!colour(true, Some("1".into())));
        assert!(
            colour(true, Some("".into())),
            "an empty NO_COLOR does not count"
        );
    }
}
