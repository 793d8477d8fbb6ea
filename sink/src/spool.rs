//! The disk spool: batches Elasticsearch has not taken yet, in checksummed segment files,
//! replayed oldest first.
//!
//! A segment is `<dir>/<sequence, 20 digits>.spool`: the 8-byte magic `TARSSPL1`, then records
//! of `u32 LE length | u32 LE CRC-32 of the payload | payload`, where the payload is a batch's
//! NDJSON text ([`Batch::ndjson`]) — so `tail -c +9` of a segment is readable. Appends go to
//! the newest segment; replay reads from a cursor in the oldest and deletes a segment once every
//! record in it is stored. The cursor lives in memory only: after a restart replay starts at the
//! oldest segment again, which is harmless because documents have deterministic ids.
//!
//! Opening a spool checks every record. A torn or corrupt record (a crash in the middle of an
//! append, a bad disk) ends its segment: the file is truncated there, and what was cut is
//! reported in [`Recovered`].

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::config::SpoolConfig;
use crate::{Batch, Error, Result};

const MAGIC: &[u8; 8] = b"TARSSPL1";
const HEADER: u64 = 8;
const RECORD_HEAD: u64 = 8;

/// One segment file.
#[derive(Debug)]
struct Segment {
    seq: u64,
    path: PathBuf,
    /// Bytes of valid content, header included.
    len: u64,
}

/// What opening the spool found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// Segments found.
    pub segments: usize,
    /// Bytes of valid records found.
    pub bytes: u64,
    /// Bytes cut off after a torn or corrupt record.
    pub truncated_bytes: u64,
}

/// Where the replay cursor is: a record, by segment and offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    seq: u64,
    /// Offset just past the record.
    end: u64,
}

/// Why an append did not happen.
#[derive(Debug)]
pub(crate) enum AppendError {
    /// The spool holds `max_bytes` already.
    Full,
    /// The disk failed.
    Io(Error),
}

/// The spool. Blocking file I/O: call it from a blocking thread.
#[derive(Debug)]
pub(crate) struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    segment_bytes: u64,
    fsync: bool,
    segments: VecDeque<Segment>,
    /// The newest segment, open for appends.
    writer: Option<File>,
    /// Replay cursor: offset of the next unread record in the oldest segment.
    read_at: u64,
    total: u64,
}

impl Spool {
    /// Opens (creating if needed) the spool in `config.dir`, checking every record.
    pub(crate) fn open(config: &SpoolConfig) -> Result<(Self, Recovered)> {
        let dir = config.dir.clone();
        fs::create_dir_all(&dir).map_err(|e| Error::io("create spool directory", &dir, e))?;
        let mut seqs = Vec::new();
        for entry in fs::read_dir(&dir).map_err(|e| Error::io("list spool", &dir, e))? {
            let entry = entry.map_err(|e| Error::io("list spool", &dir, e))?;
            let name = entry.file_name();
            let Some(seq) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".spool"))
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            seqs.push(seq);
        }
        seqs.sort_unstable();
        let mut recovered = Recovered::default();
        let mut segments = VecDeque::new();
        for seq in seqs {
            let path = segment_path(&dir, seq);
            let (len, cut) = check_segment(&path)?;
            recovered.truncated_bytes += cut;
            if len <= HEADER {
                fs::remove_file(&path).map_err(|e| Error::io("remove empty segment", &path, e))?;
                continue;
            }
            recovered.segments += 1;
            recovered.bytes += len - HEADER;
            segments.push_back(Segment { seq, path, len });
        }
        let total = segments.iter().map(|s| s.len).sum();
        let spool = Self {
            dir,
            max_bytes: config.max_bytes,
            segment_bytes: config.segment_bytes,
            fsync: config.fsync,
            segments,
            writer: None,
            read_at: HEADER,
            total,
        };
        Ok((spool, recovered))
    }

    /// Bytes held (headers included).
    pub(crate) fn bytes(&self) -> u64 {
        self.total
    }

    /// Whether a record is waiting to be replayed.
    #[cfg(test)]
    pub(crate) fn has_records(&self) -> bool {
        self.segments
            .front()
            .is_some_and(|s| self.read_at < s.len || self.segments.len() > 1)
    }

    /// Appends `batch` as one record, synced to disk when configured.
    pub(crate) fn append(&mut self, batch: &Batch) -> Result<(), AppendError> {
        let payload = batch.ndjson();
        let need = RECORD_HEAD + payload.len() as u64;
        if self.total + need + HEADER > self.max_bytes {
            return Err(AppendError::Full);
        }
        let rotate = self
            .segments
            .back()
            .is_none_or(|s| s.len + need > self.segment_bytes && s.len > HEADER)
            || self.writer.is_none();
        if rotate {
            self.start_segment().map_err(AppendError::Io)?;
        }
        let Some(segment) = self.segments.back_mut() else {
            return Err(AppendError::Io(Error::Closed));
        };
        let Some(file) = self.writer.as_mut() else {
            return Err(AppendError::Io(Error::Closed));
        };
        let mut head = [0u8; 8];
        head[..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        head[4..].copy_from_slice(&crc32fast::hash(payload).to_le_bytes());
        let path = &segment.path;
        let write = file
            .write_all(&head)
            .and_then(|()| file.write_all(payload))
            .and_then(|()| if self.fsync { file.sync_data() } else { Ok(()) });
        if let Err(e) = write {
            // Cut the partial record so the segment stays readable; a new segment is started
            // on the next append.
            let _ = file.set_len(segment.len);
            self.writer = None;
            return Err(AppendError::Io(Error::io("append to spool", path, e)));
        }
        segment.len += need;
        self.total += need;
        Ok(())
    }

    fn start_segment(&mut self) -> Result<()> {
        let seq = self.segments.back().map_or(1, |s| s.seq + 1);
        let path = segment_path(&self.dir, seq);
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io("create spool segment", &path, e))?;
        file.write_all(MAGIC)
            .and_then(|()| if self.fsync { file.sync_all() } else { Ok(()) })
            .map_err(|e| Error::io("write spool segment header", &path, e))?;
        if self.fsync {
            // Make the new file's directory entry durable too.
            let _ = File::open(&self.dir).and_then(|d| d.sync_all());
        }
        self.segments.push_back(Segment {
            seq,
            path,
            len: HEADER,
        });
        self.total += HEADER;
        self.writer = Some(file);
        Ok(())
    }

    /// Reads the record at the replay cursor without moving it; `None` when the spool is
    /// drained. A record that no longer parses (which the checksum makes unlikely) is skipped
    /// and reported as `Err` so that it is counted.
    pub(crate) fn peek(&mut self) -> Result<Option<(Position, Batch)>> {
        loop {
            let Some(front) = self.segments.front() else {
                return Ok(None);
            };
            if self.read_at >= front.len {
                if self.segments.len() == 1 {
                    // Drained: the only segment was read to its end. Remove it so the next
                    // append starts afresh.
                    self.remove_front()?;
                    return Ok(None);
                }
                self.remove_front()?;
                continue;
            }
            let (seq, path, at) = (front.seq, front.path.clone(), self.read_at);
            let payload = read_record(&path, at)?;
            let end = at + RECORD_HEAD + payload.len() as u64;
            let position = Position { seq, end };
            return match Batch::from_ndjson(payload) {
                Ok(batch) => Ok(Some((position, batch))),
                Err(e) => {
                    self.commit(position)?;
                    Err(e)
                }
            };
        }
    }

    /// Moves the cursor past the record at `position` (it is stored); deletes a segment once
    /// it is fully replayed.
    pub(crate) fn commit(&mut self, position: Position) -> Result<()> {
        let Some(front) = self.segments.front() else {
            return Ok(());
        };
        if front.seq != position.seq {
            return Ok(());
        }
        self.read_at = position.end;
        if self.read_at >= front.len && self.segments.len() > 1 {
            self.remove_front()?;
        }
        Ok(())
    }

    fn remove_front(&mut self) -> Result<()> {
        if let Some(front) = self.segments.pop_front() {
            if self.segments.is_empty() {
                self.writer = None;
            }
            fs::remove_file(&front.path)
                .map_err(|e| Error::io("remove replayed spool segment", &front.path, e))?;
            self.total -= front.len;
        }
        self.read_at = HEADER;
        Ok(())
    }
}

fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:020}.spool"))
}

fn read_record(path: &Path, at: u64) -> Result<Vec<u8>> {
    let mut file = File::open(path).map_err(|e| Error::io("open spool segment", path, e))?;
    file.seek(SeekFrom::Start(at))
        .map_err(|e| Error::io("seek spool segment", path, e))?;
    let mut head = [0u8; 8];
    file.read_exact(&mut head)
        .map_err(|e| Error::io("read spool record", path, e))?;
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let mut payload = vec![0u8; len];
    file.read_exact(&mut payload)
        .map_err(|e| Error::io("read spool record", path, e))?;
    Ok(payload)
}

/// Returns the length of the valid prefix of a segment and how many bytes were cut after it.
fn check_segment(path: &Path) -> Result<(u64, u64)> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| Error::io("open spool segment", path, e))?;
    let size = file
        .metadata()
        .map_err(|e| Error::io("stat spool segment", path, e))?
        .len();
    let mut reader = BufReader::new(&file);
    let mut magic = [0u8; 8];
    let mut valid = 0;
    if size >= HEADER && reader.read_exact(&mut magic).is_ok() && &magic == MAGIC {
        valid = HEADER;
        let mut head = [0u8; 8];
        let mut payload = Vec::new();
        while valid + RECORD_HEAD <= size {
            if reader.read_exact(&mut head).is_err() {
                break;
            }
            let len = u64::from(u32::from_le_bytes([head[0], head[1], head[2], head[3]]));
            let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
            if valid + RECORD_HEAD + len > size {
                break;
            }
            payload.resize(len as usize, 0);
            if reader.read_exact(&mut payload).is_err() || crc32fast::hash(&payload) != crc {
                break;
            }
            valid += RECORD_HEAD + len;
        }
    }
    if valid < size {
        file.set_len(valid)
            .map_err(|e| Error::io("truncate torn spool segment", path, e))?;
    }
    Ok((valid, size - valid))
}

#[cfg(test)]
mod tests;
