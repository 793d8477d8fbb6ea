//! A batch of documents, held as the NDJSON body of an Elasticsearch `_bulk` request.
//!
//! Services append documents with [`Batch::push`]; each document becomes an action line and a
//! source line written straight into one buffer, so a batch of any size costs two growing
//! allocations (the text and the item table), never one per document. The same text is what the
//! disk spool stores and what the SQLite store reads back.

use std::ops::Range;

use crate::json::DocWriter;
use crate::{Error, Result};

/// How a document is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Insert or replace the document with this id (`index`): stat and property aggregates.
    Index,
    /// Insert only; an existing id is left as it is (`create`): data streams (notify) require it.
    Create,
}

impl Op {
    /// The bulk action name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Index => "index",
            Self::Create => "create",
        }
    }
}

/// The longest document id accepted (Elasticsearch's limit is 512 bytes).
pub const MAX_ID_BYTES: usize = 512;

/// Where one document's pieces are in the batch text.
#[derive(Debug, Clone, Copy)]
struct Item {
    op: Op,
    /// The action line starts here; the item ends at `end` (after the source line's newline).
    start: u32,
    index: u32,
    index_len: u16,
    id: u32,
    id_len: u16,
    source: u32,
    end: u32,
}

/// One document of a batch, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct DocRef<'a> {
    /// How it is written.
    pub op: Op,
    /// The target index (or data stream).
    pub index: &'a str,
    /// The deterministic id.
    pub id: &'a str,
    /// The JSON object text.
    pub source: &'a [u8],
    /// Action line and source line, both with their newline: the document's part of a bulk body.
    pub ndjson: &'a [u8],
}

/// Documents as one NDJSON `_bulk` body plus a table of where each document is.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    text: Vec<u8>,
    items: Vec<Item>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty batch with room for `bytes` of text and `docs` documents.
    pub fn with_capacity(bytes: usize, docs: usize) -> Self {
        Self {
            text: Vec::with_capacity(bytes),
            items: Vec::with_capacity(docs),
        }
    }

    /// Appends a document: `fill` writes its fields.
    ///
    /// # Errors
    /// An invalid index name or id ([`validate_index_name`], [`validate_id`]), or a batch
    /// past 4 GiB. The batch is unchanged then.
    ///
    /// # Examples
    /// ```
    /// let mut batch = sink::Batch::new();
    /// batch.push(sink::Op::Index, "tars_stat_20240328", "a1", |doc| {
    ///     doc.str("f_tflag", "0960").int("succ_count", 3);
    /// })?;
    /// assert_eq!(batch.len(), 1);
    /// # Ok::<(), sink::Error>(())
    /// ```
    pub fn push(
        &mut self,
        op: Op,
        index: &str,
        id: &str,
        fill: impl FnOnce(&mut DocWriter<'_>),
    ) -> Result<()> {
        validate_index_name(index)?;
        validate_id(id)?;
        let start = self.text.len();
        let t = &mut self.text;
        t.extend_from_slice(b"{\"");
        t.extend_from_slice(op.as_str().as_bytes());
        t.extend_from_slice(b"\":{\"_index\":\"");
        let index_at = t.len();
        t.extend_from_slice(index.as_bytes());
        t.extend_from_slice(b"\",\"_id\":\"");
        let id_at = t.len();
        t.extend_from_slice(id.as_bytes());
        t.extend_from_slice(b"\"}}\n");
        let source_at = t.len();
        let mut writer = DocWriter::begin(t);
        fill(&mut writer);
        writer.end();
        t.push(b'\n');
        let end = t.len();
        let Ok(end) = u32::try_from(end) else {
            self.text.truncate(start);
            return Err(Error::BatchTooLarge);
        };
        self.items.push(Item {
            op,
            start: start as u32,
            index: index_at as u32,
            index_len: index.len() as u16,
            id: id_at as u32,
            id_len: id.len() as u16,
            source: source_at as u32,
            end,
        });
        Ok(())
    }

    /// Appends a document given as a JSON object (nested arrays and objects included), for
    /// documents whose shape is not a flat list of fields.
    ///
    /// # Errors
    /// As [`Batch::push`], and [`Error::MalformedBatch`] when `doc` is not an object.
    pub fn push_json(
        &mut self,
        op: Op,
        index: &str,
        id: &str,
        doc: &serde_json::Value,
    ) -> Result<()> {
        let Some(fields) = doc.as_object() else {
            return Err(Error::MalformedBatch {
                offset: self.text.len(),
                reason: "a document is not a JSON object",
            });
        };
        self.push(op, index, id, |d| {
            for (name, value) in fields {
                d.json(name, value);
            }
        })
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the batch holds no document.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Size of the NDJSON text in bytes.
    pub fn byte_len(&self) -> usize {
        self.text.len()
    }

    /// The NDJSON `_bulk` body.
    pub fn ndjson(&self) -> &[u8] {
        &self.text
    }

    /// The `i`-th document, if there is one.
    pub fn get(&self, i: usize) -> Option<DocRef<'_>> {
        let item = self.items.get(i)?;
        Some(self.doc(item))
    }

    /// The documents in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = DocRef<'_>> + '_ {
        self.items.iter().map(|item| self.doc(item))
    }

    fn doc(&self, item: &Item) -> DocRef<'_> {
        let text = &self.text;
        let slice = |r: Range<usize>| &text[r];
        let index = usize_range(item.index, u32::from(item.index_len));
        let id = usize_range(item.id, u32::from(item.id_len));
        DocRef {
            op: item.op,
            // Both were validated as ASCII when pushed (or parsed from the spool).
            index: std::str::from_utf8(slice(index)).unwrap_or_default(),
            id: std::str::from_utf8(slice(id)).unwrap_or_default(),
            source: &text[item.source as usize..item.end as usize - 1],
            ndjson: &text[item.start as usize..item.end as usize],
        }
    }

    /// Copies the `i`-th document of `other` to the end of this batch (one copy of its text).
    ///
    /// # Panics
    /// If `i` is out of range.
    pub fn push_from(&mut self, other: &Self, i: usize) {
        let item = other.items[i];
        self.append_items(&other.text, std::slice::from_ref(&item));
    }

    /// Copies every document of `other` to the end of this batch.
    pub fn append(&mut self, other: &Self) {
        self.append_items(&other.text, &other.items);
    }

    fn append_items(&mut self, text: &[u8], items: &[Item]) {
        for item in items {
            let base = self.text.len() as i64 - i64::from(item.start);
            let shift = |at: u32| (i64::from(at) + base) as u32;
            self.text
                .extend_from_slice(&text[item.start as usize..item.end as usize]);
            self.items.push(Item {
                op: item.op,
                start: shift(item.start),
                index: shift(item.index),
                index_len: item.index_len,
                id: shift(item.id),
                id_len: item.id_len,
                source: shift(item.source),
                end: shift(item.end),
            });
        }
    }

    /// Removes every document, keeping the allocations.
    pub fn clear(&mut self) {
        self.text.clear();
        self.items.clear();
    }

    /// Reads back a batch from NDJSON text this module wrote (the spool's records).
    ///
    /// # Errors
    /// [`Error::MalformedBatch`] when a line pair is not an action this module writes followed
    /// by a JSON object line.
    pub fn from_ndjson(text: Vec<u8>) -> Result<Self> {
        let mut items = Vec::new();
        let mut at = 0;
        while at < text.len() {
            let action_end = line_end(&text, at)?;
            let source_end = line_end(&text, action_end + 1)?;
            let action = &text[at..action_end];
            let (op, index, id) = parse_action(action).ok_or(Error::MalformedBatch {
                offset: at,
                reason: "not a bulk action line with _index and _id",
            })?;
            let source = &text[action_end + 1..source_end];
            if source.first() != Some(&b'{') || source.last() != Some(&b'}') {
                return Err(Error::MalformedBatch {
                    offset: action_end + 1,
                    reason: "a source line is not a JSON object",
                });
            }
            let end = u32::try_from(source_end + 1).map_err(|_| Error::BatchTooLarge)?;
            items.push(Item {
                op,
                start: at as u32,
                index: (at + index.start) as u32,
                index_len: index.len() as u16,
                id: (at + id.start) as u32,
                id_len: id.len() as u16,
                source: (action_end + 1) as u32,
                end,
            });
            at = source_end + 1;
        }
        Ok(Self { text, items })
    }
}

fn usize_range(at: u32, len: u32) -> Range<usize> {
    at as usize..(at + len) as usize
}

fn line_end(text: &[u8], from: usize) -> Result<usize> {
    text.get(from..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
        .map(|n| from + n)
        .ok_or(Error::MalformedBatch {
            offset: from,
            reason: "a line is not terminated",
        })
}

/// Parses `{"<op>":{"_index":"<index>","_id":"<id>"}}` exactly as [`Batch::push`] writes it,
/// returning the ranges of the index and id within the line.
fn parse_action(line: &[u8]) -> Option<(Op, Range<usize>, Range<usize>)> {
    let (op, rest_at) = if line.starts_with(b"{\"index\":{\"_index\":\"") {
        (Op::Index, 20)
    } else if line.starts_with(b"{\"create\":{\"_index\":\"") {
        (Op::Create, 21)
    } else {
        return None;
    };
    let index_end = rest_at + line[rest_at..].iter().position(|&b| b == b'"')?;
    let id_at = index_end + b"\",\"_id\":\"".len();
    if line.get(index_end..id_at)? != b"\",\"_id\":\"" {
        return None;
    }
    let id_end = id_at + line[id_at..].iter().position(|&b| b == b'"')?;
    if &line[id_end..] != b"\"}}" {
        return None;
    }
    let index = std::str::from_utf8(&line[rest_at..index_end]).ok()?;
    let id = std::str::from_utf8(&line[id_at..id_end]).ok()?;
    (validate_index_name(index).is_ok() && validate_id(id).is_ok()).then_some((
        op,
        rest_at..index_end,
        id_at..id_end,
    ))
}

/// Checks an index or data stream name against Elasticsearch's rules: lowercase, 1..=255
/// bytes, not starting with `-`, `_` or `+`, not `.` or `..`, none of `\ / * ? " < > | , # :`
/// or space.
///
/// # Errors
/// [`Error::InvalidIndexName`].
pub fn validate_index_name(name: &str) -> Result<()> {
    let bad_char = |c: char| {
        c.is_ascii_uppercase()
            || !c.is_ascii()
            || c.is_ascii_control()
            || matches!(
                c,
                '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ',' | '#' | ':' | ' '
            )
    };
    let ok = !name.is_empty()
        && name.len() <= 255
        && !name.starts_with(['-', '_', '+'])
        && name != "."
        && name != ".."
        && !name.contains(bad_char);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidIndexName(name.into()))
    }
}

/// Checks a document id: 1..=512 bytes of ASCII letters, digits, `-`, `_`, `.` or `:`. Ids are
/// made by the services (see [`doc_id`]), so this is a guard, not a user-facing rule.
///
/// # Errors
/// [`Error::InvalidDocId`].
pub fn validate_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_BYTES
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidDocId(id.into()))
    }
}

/// A deterministic document id: 32 lowercase hex digits of the XXH3-128 hash of `parts`, each
/// length-prefixed so that `["ab", "c"]` and `["a", "bc"]` differ. The same parts give the same
/// id in every process and version, which is what makes replays idempotent.
pub fn doc_id(parts: &[&[u8]]) -> DocId {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for part in parts {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let hash = hasher.digest128();
    let mut text = [0u8; 32];
    for (i, byte) in hash.to_be_bytes().iter().enumerate() {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        text[2 * i] = HEX[usize::from(byte >> 4)];
        text[2 * i + 1] = HEX[usize::from(byte & 0xf)];
    }
    DocId(text)
}

/// A document id made by [`doc_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DocId([u8; 32]);

impl DocId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only hex digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
