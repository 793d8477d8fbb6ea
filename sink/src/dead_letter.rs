//! The dead-letter file: documents Elasticsearch refused for good, one JSON line each with the
//! reason, for an operator to fix and re-send. Bounded by size; past the bound refusals are only
//! counted.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

use crate::batch::DocRef;
use crate::json::write_str;
use crate::{Error, Result};

#[derive(Debug)]
pub(crate) struct DeadLetter {
    path: PathBuf,
    max_bytes: u64,
    file: Option<File>,
    written: u64,
    line: Vec<u8>,
}

impl DeadLetter {
    pub(crate) fn new(path: PathBuf, max_bytes: u64) -> Self {
        Self {
            path,
            max_bytes,
            file: None,
            written: 0,
            line: Vec::new(),
        }
    }

    /// Appends one refused document. `Ok(false)` when the file is full.
    pub(crate) fn write(&mut self, doc: &DocRef<'_>, status: u16, reason: &str) -> Result<bool> {
        if self.file.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| Error::io("create dead-letter directory", dir, e))?;
            }
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(|e| Error::io("open dead-letter file", &self.path, e))?;
            self.written = file.metadata().map_or(0, |m| m.len());
            self.file = Some(file);
        }
        let line = &mut self.line;
        line.clear();
        line.extend_from_slice(b"{\"index\":");
        write_str(line, doc.index.as_bytes());
        line.extend_from_slice(b",\"id\":");
        write_str(line, doc.id.as_bytes());
        line.extend_from_slice(b",\"op\":\"");
        line.extend_from_slice(doc.op.as_str().as_bytes());
        line.extend_from_slice(b"\",\"status\":");
        line.extend_from_slice(itoa::Buffer::new().format(status).as_bytes());
        line.extend_from_slice(b",\"reason\":");
        write_str(line, reason.as_bytes());
        line.extend_from_slice(b",\"source\":");
        line.extend_from_slice(doc.source);
        line.extend_from_slice(b"}\n");
        if self.written + line.len() as u64 > self.max_bytes {
            return Ok(false);
        }
        let Some(file) = self.file.as_mut() else {
            return Ok(false);
        };
        file.write_all(line)
            .map_err(|e| Error::io("append to dead-letter file", &self.path, e))?;
        self.written += line.len() as u64;
        Ok(true)
    }
}
