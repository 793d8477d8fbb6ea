//! The file writers: a few OS threads, each owning the files whose paths hash to it, so every
//! file has exactly one writer and its lines stay in order. Files are buffered, flushed when
//! the thread's queue runs dry and at least every `flush_interval_ms`, closed after
//! `idle_close_secs` without writes or when `max_open_files` are open (least recently used
//! first). A write that fails (disk full, a removed directory) is counted and logged; the
//! file is reopened on its next write and the service carries on.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, RandomState};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;

/// Buffer per open file.
const FILE_BUFFER_BYTES: usize = 64 << 10;

/// Work for a writer thread.
#[derive(Debug)]
pub(crate) enum Job {
    /// Append `data` (`lines` lines) to `path`.
    Write {
        path: PathBuf,
        data: bytes::Bytes,
        lines: u64,
    },
    /// Flush everything, then answer.
    Flush(oneshot::Sender<()>),
}

/// How the writers behave.
#[derive(Debug, Clone)]
pub(crate) struct WriterConfig {
    pub(crate) threads: usize,
    pub(crate) max_queued_jobs: usize,
    pub(crate) max_open_files: usize,
    pub(crate) flush_interval: Duration,
    pub(crate) fsync_interval: Option<Duration>,
    pub(crate) idle_close: Duration,
}

/// Handles to the writer threads.
#[derive(Debug, Clone)]
pub(crate) struct Writers {
    shards: Vec<mpsc::Sender<Job>>,
    hasher: RandomState,
}

impl Writers {
    pub(crate) fn start(config: &WriterConfig, metrics: &Metrics) -> std::io::Result<Self> {
        let mut shards = Vec::new();
        for i in 0..config.threads.max(1) {
            let (tx, rx) = mpsc::channel(config.max_queued_jobs.max(1));
            let config = config.clone();
            let metrics = metrics.clone();
            std::thread::Builder::new()
                .name(format!("log-writer-{i}"))
                .spawn(move || Shard::new(config, metrics).run(rx))?;
            shards.push(tx);
        }
        Ok(Self {
            shards,
            hasher: RandomState::new(),
        })
    }

    /// The queue of the thread that owns `path`.
    pub(crate) fn shard(&self, path: &Path) -> &mpsc::Sender<Job> {
        let i = (self.hasher.hash_one(path) as usize) % self.shards.len();
        &self.shards[i]
    }

    /// Flushes every open file of every thread.
    pub(crate) async fn flush(&self) {
        for shard in &self.shards {
            let (tx, rx) = oneshot::channel();
            if shard.send(Job::Flush(tx)).await.is_ok() {
                let _ = rx.await;
            }
        }
    }
}

struct OpenFile {
    out: BufWriter<File>,
    last_write: Instant,
    dirty: bool,
}

struct Shard {
    config: WriterConfig,
    metrics: Metrics,
    files: HashMap<PathBuf, OpenFile>,
    last_flush: Instant,
    last_sync: Instant,
    last_error_log: Option<Instant>,
}

impl Shard {
    fn new(config: WriterConfig, metrics: Metrics) -> Self {
        Self {
            config,
            metrics,
            files: HashMap::new(),
            last_flush: Instant::now(),
            last_sync: Instant::now(),
            last_error_log: None,
        }
    }

    fn run(mut self, mut rx: mpsc::Receiver<Job>) {
        loop {
            let job = match rx.try_recv() {
                Ok(job) => job,
                Err(mpsc::error::TryRecvError::Empty) => {
                    // Idle: make everything written so far visible, then wait.
                    self.flush_all();
                    match rx.blocking_recv() {
                        Some(job) => job,
                        None => break,
                    }
                }
                Err(mpsc::error::TryRecvError::Disconnected) => break,
            };
            match job {
                Job::Write { path, data, lines } => self.write(&path, &data, lines),
                Job::Flush(done) => {
                    self.flush_all();
                    let _ = done.send(());
                }
            }
            if self.last_flush.elapsed() >= self.config.flush_interval {
                self.flush_all();
            }
        }
        self.flush_all();
    }

    fn write(&mut self, path: &Path, data: &[u8], lines: u64) {
        let now = Instant::now();
        if !self.files.contains_key(path) {
            self.make_room();
            match open(path) {
                Ok(file) => {
                    self.metrics.files_opened.inc();
                    self.files.insert(
                        path.to_path_buf(),
                        OpenFile {
                            out: BufWriter::with_capacity(FILE_BUFFER_BYTES, file),
                            last_write: now,
                            dirty: false,
                        },
                    );
                }
                Err(error) => {
                    self.failed(path, "open", &error, lines);
                    return;
                }
            }
        }
        let Some(file) = self.files.get_mut(path) else {
            return;
        };
        file.last_write = now;
        file.dirty = true;
        if let Err(error) = file.out.write_all(data) {
            self.files.remove(path);
            self.failed(path, "write", &error, lines);
            return;
        }
        self.metrics.lines.inc_by(lines);
        self.metrics.bytes.inc_by(data.len() as u64);
    }

    fn make_room(&mut self) {
        if self.files.len() < self.config.max_open_files.max(1) {
            return;
        }
        let oldest = self
            .files
            .iter()
            .min_by_key(|(_, f)| f.last_write)
            .map(|(p, _)| p.clone());
        if let Some(path) = oldest
            && let Some(mut file) = self.files.remove(&path)
            && let Err(error) = file.out.flush()
        {
            self.failed(&path, "flush", &error, 0);
        }
    }

    fn flush_all(&mut self) {
        let now = Instant::now();
        let sync = self
            .config
            .fsync_interval
            .is_some_and(|every| self.last_sync.elapsed() >= every);
        let idle_close = self.config.idle_close;
        let mut failed = Vec::new();
        let mut idle = Vec::new();
        for (path, file) in &mut self.files {
            if file.dirty {
                let result = file.out.flush().and_then(|()| {
                    if sync {
                        file.out.get_ref().sync_data()
                    } else {
                        Ok(())
                    }
                });
                file.dirty = false;
                if let Err(error) = result {
                    failed.push((path.clone(), error));
                    continue;
                }
            }
            if now.duration_since(file.last_write) >= idle_close {
                idle.push(path.clone());
            }
        }
        for path in idle {
            self.files.remove(&path);
        }
        for (path, error) in failed {
            self.files.remove(&path);
            self.failed(&path, "flush", &error, 0);
        }
        if sync {
            self.last_sync = now;
        }
        self.last_flush = now;
    }

    /// Counts a failure and logs it at most every 10 s per thread (a full disk fails every
    /// write).
    fn failed(&mut self, path: &Path, op: &'static str, error: &std::io::Error, lines: u64) {
        self.metrics.write_errors.inc();
        self.metrics.lines_lost.inc_by(lines);
        let quiet = self
            .last_error_log
            .is_some_and(|t| t.elapsed() < Duration::from_secs(10));
        if !quiet {
            self.last_error_log = Some(Instant::now());
            tracing::error!(message = "Log file not writable; lines lost (counted in tars_log_lines_lost_total).", op, path = %path.display(), %error);
        }
    }
}

fn open(path: &Path) -> std::io::Result<File> {
    let options = || OpenOptions::new().create(true).append(true).open(path);
    match options() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            options()
        }
        other => other,
    }
}
