//! `tars-load`: a TARS load generator. N connections, each keeping `depth` requests in flight
//! (pipelining), either as fast as the server answers or paced to a target rate; reports calls/s
//! with a progress line, latency percentiles (HDR histogram) and, given the server's pid, the
//! server's CPU time per call.
//!
//! `cargo run --release -p tarsplane-bench --bin tars-load -- --addr 127.0.0.1:17890 --connections 64 --depth 16 --seconds 10`

#![allow(
    clippy::cast_precision_loss,
    reason = "call counts and rates are reported, not computed with, as f64"
)]

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::BytesMut;
use clap::{Parser, ValueEnum};
use futures::StreamExt;
use hdrhistogram::Histogram;
use tars_codec::{Encode, FrameCodec, RequestPacket, ResponsePacket};
use tars_test::fixtures;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_util::codec::FramedRead;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "tars-load", about = "Drive a TARS server with pipelined calls")]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1:17890")]
    addr: SocketAddr,
    /// Object to call.
    #[arg(long, default_value = "tars.tarsregistry.QueryObj")]
    object: String,
    /// What to send.
    #[arg(long, value_enum, default_value = "ping")]
    call: Call,
    /// Connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Requests in flight per connection.
    #[arg(long, default_value_t = 16)]
    depth: usize,
    /// Run time in seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Target calls per second over all connections; 0 = as fast as replies come (closed loop).
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// Server process id: report its CPU time per call (Linux /proc).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Worker threads for the generator.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Print the results as one JSON object instead of text (`scripts/bench-peers`).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Call {
    /// `tars_ping`, answered by the framework.
    Ping,
    /// `findObjectById("Test.HelloServer.HelloObj")`.
    FindObject,
    /// `StatF.reportMicMsg` with the 1000-entry fixture, one-way.
    StatReport,
    /// `Config.loadConfigByInfo` of `Bench.Server7` `f0.conf` as pod 1 (`tarsplane_bench::
    /// config_fixture`): the server-level and the pod-level file.
    LoadConfig,
}

fn request_frame(args: &Args, id: i32) -> anyhow::Result<BytesMut> {
    let (func, buffer, one_way): (&str, Vec<u8>, bool) = match args.call {
        Call::Ping => ("tars_ping", Vec::new(), false),
        Call::FindObject => {
            let mut b = BytesMut::new();
            b"Test.HelloServer.HelloObj".as_slice().encode(1, &mut b);
            ("findObjectById", b.to_vec(), false)
        }
        Call::StatReport => ("reportMicMsg", fixtures::read("stat-report-1000.bin"), true),
        Call::LoadConfig => {
            use tarsplane_bench::config_fixture::{FILE, HOST, SERVER};
            let info = tars_rpc::interfaces::config::ByInfoArgs {
                info: tars_rpc::interfaces::config::ConfigInfo {
                    appname: b"Bench",
                    servername: SERVER.as_bytes(),
                    filename: FILE.as_bytes(),
                    app_only: false,
                    host: HOST.as_bytes(),
                    setdivision: b"",
                },
            };
            (
                "loadConfigByInfo",
                tars_codec::to_bytes(&info).to_vec(),
                false,
            )
        }
    };
    let mut packet =
        RequestPacket::call(id, args.object.as_bytes(), func.as_bytes(), &buffer, 3000);
    packet.packet_type = i8::from(one_way);
    let mut out = BytesMut::new();
    packet
        .write_frame(&mut out, usize::MAX)
        .context("frame request")?;
    Ok(out)
}

struct Totals {
    calls: AtomicU64,
    errors: AtomicU64,
    stop: AtomicBool,
}

/// One connection keeping `depth` calls in flight; request id = slot, so replies find their
/// send time without a map.
async fn drive(
    args: Arc<Args>,
    totals: Arc<Totals>,
    start: Instant,
) -> anyhow::Result<Histogram<u64>> {
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).context("histogram")?;
    let stream = TcpStream::connect(args.addr).await.context("connect")?;
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut frames = FramedRead::new(read, FrameCodec::new());
    let templates: Vec<BytesMut> = (0..args.depth)
        .map(|slot| request_frame(&args, i32::try_from(slot).unwrap_or(i32::MAX)))
        .collect::<anyhow::Result<_>>()?;
    let one_way = matches!(args.call, Call::StatReport);
    let per_conn_rate = if args.rate == 0 {
        0.0
    } else {
        args.rate as f64 / args.connections as f64
    };
    let mut sent_at = vec![Instant::now(); args.depth];
    let mut sent: u64 = 0;
    let mut out = BytesMut::new();
    let pace = |sent: u64| {
        (per_conn_rate > 0.0).then(|| start + Duration::from_secs_f64(sent as f64 / per_conn_rate))
    };
    if one_way {
        // No replies: send paced or back-to-back until told to stop.
        while !totals.stop.load(Ordering::Relaxed) {
            if let Some(at) = pace(sent) {
                tokio::time::sleep_until(at.into()).await;
            }
            write.write_all(&templates[0]).await?;
            sent += 1;
            totals.calls.fetch_add(1, Ordering::Relaxed);
        }
        return Ok(hist);
    }
    for (slot, t) in templates.iter().enumerate() {
        sent_at[slot] = Instant::now();
        out.extend_from_slice(t);
        sent += 1;
    }
    write.write_all(&out).await?;
    out.clear();
    let mut outstanding = args.depth;
    while let Some(frame) = frames.next().await {
        outstanding -= 1;
        let frame = frame?;
        let reply: ResponsePacket<'_> = tars_codec::from_bytes(&frame)?;
        let slot = usize::try_from(reply.request_id).unwrap_or(0) % args.depth;
        let micros = sent_at[slot].elapsed().as_micros();
        hist.saturating_record(u64::try_from(micros).unwrap_or(u64::MAX).max(1));
        totals.calls.fetch_add(1, Ordering::Relaxed);
        if reply.ret != 0 {
            totals.errors.fetch_add(1, Ordering::Relaxed);
        }
        if totals.stop.load(Ordering::Relaxed) {
            if outstanding == 0 {
                break;
            }
            continue;
        }
        if let Some(at) = pace(sent) {
            tokio::time::sleep_until(at.into()).await;
        }
        sent_at[slot] = Instant::now();
        out.extend_from_slice(&templates[slot]);
        sent += 1;
        outstanding += 1;
        // Batch: only write when no further reply is already buffered.
        if frames.read_buffer().len() < 4 {
            write.write_all(&out).await?;
            out.clear();
        }
    }
    Ok(hist)
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn main() -> anyhow::Result<()> {
    let args = Arc::new(Args::parse());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: Arc<Args>) -> anyhow::Result<()> {
    let totals = Arc::new(Totals {
        calls: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });
    let start = Instant::now();
    let cpu_start = args.server_pid.and_then(cpu_seconds);
    let tasks: Vec<_> = (0..args.connections)
        .map(|_| tokio::spawn(drive(Arc::clone(&args), Arc::clone(&totals), start)))
        .collect();
    let mut stderr = std::io::stderr();
    let deadline = start + Duration::from_secs_f64(args.seconds);
    let mut last = 0;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(1).min(deadline - Instant::now())).await;
        let now = totals.calls.load(Ordering::Relaxed);
        let _ = write!(
            stderr,
            "\r{:>6.1}s  {:>10} calls  {:>10.0} calls/s   ",
            start.elapsed().as_secs_f64(),
            now,
            (now - last) as f64
        );
        last = now;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let calls = totals.calls.load(Ordering::Relaxed);
    let cpu_end = args.server_pid.and_then(cpu_seconds);
    totals.stop.store(true, Ordering::Relaxed);
    let _ = writeln!(stderr);
    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for t in tasks {
        match tokio::time::timeout(Duration::from_secs(5), t).await {
            Ok(Ok(Ok(h))) => hist.add(h)?,
            Ok(Ok(Err(e))) => anyhow::bail!("a connection failed: {e:#}"),
            Ok(Err(e)) => anyhow::bail!("a connection task panicked: {e}"),
            Err(_) => {} // still waiting for replies that will not come; counted already
        }
    }
    let mut out = std::io::stdout().lock();
    let server_cpu = cpu_start.zip(cpu_end).map(|(a, b)| b - a);
    if args.json {
        let quantile = |q| (!hist.is_empty()).then(|| hist.value_at_quantile(q));
        let line = serde_json::json!({
            "calls": calls,
            "seconds": elapsed,
            "calls_per_s": calls as f64 / elapsed,
            "errors": totals.errors.load(Ordering::Relaxed),
            "p50_us": quantile(0.5),
            "p99_us": quantile(0.99),
            "p999_us": quantile(0.999),
            "server_cpu_s": server_cpu,
            "server_cpu_us_per_call": server_cpu.map(|s| s / calls.max(1) as f64 * 1e6),
        });
        writeln!(out, "{line}")?;
        return Ok(());
    }
    writeln!(
        out,
        "calls        {calls} in {elapsed:.2}s = {:.0} calls/s",
        calls as f64 / elapsed
    )?;
    writeln!(
        out,
        "errors       {}",
        totals.errors.load(Ordering::Relaxed)
    )?;
    if !hist.is_empty() {
        writeln!(
            out,
            "latency µs   p50 {}  p99 {}  p999 {}  max {}",
            hist.value_at_quantile(0.5),
            hist.value_at_quantile(0.99),
            hist.value_at_quantile(0.999),
            hist.max()
        )?;
    }
    if let Some(cpu) = server_cpu {
        writeln!(
            out,
            "server cpu   {:.3} µs per call ({cpu:.2}s)",
            cpu / calls.max(1) as f64 * 1e6,
        )?;
    }
    Ok(())
}
