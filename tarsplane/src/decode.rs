//! `tarsplane decode`: print any TARS buffer as a tag/type tree, like `protoc --decode_raw`.
//!
//! Input is a frame (4-byte length prefix), a packet, or a bare argument block, as hex text or
//! raw bytes. Byte vectors that themselves parse as TARS fields (a packet's `sBuffer`) are shown
//! as a nested tree.

use std::fmt::Write as _;

use tars_codec::{Reader, WireType};

/// Nesting printed at most; deeper input is reported, not followed.
const MAX_DEPTH: u32 = 64;

/// How to read the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A frame when the first four bytes equal the total length, fields otherwise.
    Auto,
    /// One or more frames: each 4-byte length prefix is stripped.
    Frame,
    /// Bare fields (a packet without its prefix, or an argument block).
    Fields,
}

/// Turns the input into bytes: hex text (whitespace ignored) when it is all hex digits, the
/// raw bytes otherwise.
pub fn bytes_from_input(raw: &[u8]) -> Vec<u8> {
    let text: Vec<u8> = raw
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if !text.is_empty()
        && text.len().is_multiple_of(2)
        && text.iter().all(u8::is_ascii_hexdigit)
        && let Ok(bytes) = hex::decode(&text)
    {
        return bytes;
    }
    raw.to_vec()
}

/// The bytes after a single frame's length prefix, when `input` says (or `Auto` finds) that
/// the input is one frame; the input itself otherwise.
pub fn strip_frame(bytes: &[u8], input: Input) -> &[u8] {
    let framed = match input {
        Input::Frame => true,
        Input::Fields => false,
        Input::Auto => is_one_frame(bytes),
    };
    if framed {
        bytes.get(4..).unwrap_or_default()
    } else {
        bytes
    }
}

fn is_one_frame(bytes: &[u8]) -> bool {
    bytes
        .first_chunk::<4>()
        .is_some_and(|p| u32::from_be_bytes(*p) as usize == bytes.len())
}

/// Prints `bytes` as a tree.
///
/// # Errors
///
/// Returns the tree printed so far and the decode error that stopped it.
pub fn tree(bytes: &[u8], input: Input) -> Result<String, (String, tars_codec::Error)> {
    let mut out = String::new();
    let framed = match input {
        Input::Frame => true,
        Input::Fields => false,
        Input::Auto => is_one_frame(bytes),
    };
    if !framed {
        return match fields(&mut Reader::new(bytes), 0, &mut out, false) {
            Ok(()) => Ok(out),
            Err(e) => Err((out, e)),
        };
    }
    let mut rest = bytes;
    while let Some(prefix) = rest.first_chunk::<4>() {
        let len = (u32::from_be_bytes(*prefix) as usize).clamp(4, rest.len());
        let _ = writeln!(out, "frame ({len} bytes)");
        if let Err(e) = fields(&mut Reader::new(&rest[4..len]), 1, &mut out, false) {
            return Err((out, e));
        }
        rest = &rest[len..];
    }
    Ok(out)
}

fn indent(out: &mut String, depth: u32) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Prints fields until the input ends (or, inside a struct, through its StructEnd).
fn fields(
    r: &mut Reader<'_>,
    depth: u32,
    out: &mut String,
    in_struct: bool,
) -> Result<(), tars_codec::Error> {
    while !r.is_empty() {
        let head = r.read_head()?;
        if head.ty == WireType::StructEnd {
            if in_struct {
                return Ok(());
            }
            indent(out, depth);
            out.push_str("} (unmatched struct end)\n");
            continue;
        }
        indent(out, depth);
        let _ = write!(out, "{}: ", head.tag);
        value(r, head.ty, depth, out)?;
    }
    if in_struct {
        // Input ended before the StructEnd: report it like any truncation.
        r.read_head()?;
    }
    Ok(())
}

fn value(
    r: &mut Reader<'_>,
    ty: WireType,
    depth: u32,
    out: &mut String,
) -> Result<(), tars_codec::Error> {
    use tars_codec::Decode;
    match ty {
        WireType::ZeroTag | WireType::Byte | WireType::Short | WireType::Int | WireType::Long => {
            let v = i64::decode(r, ty)?;
            let _ = writeln!(out, "{} {v}", type_name(ty));
        }
        WireType::Float => {
            let _ = writeln!(out, "float {}", f32::decode(r, ty)?);
        }
        WireType::Double => {
            let _ = writeln!(out, "double {}", f64::decode(r, ty)?);
        }
        WireType::String1 | WireType::String4 => {
            let s = <&[u8]>::decode(r, ty)?;
            let _ = writeln!(out, "string {}", text(s));
        }
        WireType::SimpleList => {
            let s = tars_codec::SimpleList::<&[u8]>::decode(r, ty)?.0;
            let _ = writeln!(out, "bytes [{} bytes] {}", s.len(), hex_preview(s));
            if depth < MAX_DEPTH && !s.is_empty() && parses_as_fields(s) {
                fields(&mut Reader::new(s), depth + 1, out, false)?;
            }
        }
        WireType::List | WireType::Map => {
            let per = if ty == WireType::Map { 2 } else { 1 };
            let n = r.read_length(per)?;
            let _ = writeln!(out, "{} ({n})", type_name(ty));
            if depth >= MAX_DEPTH {
                return Err(tars_codec::Error::invalid_value(
                    "nesting depth",
                    i64::from(depth),
                ));
            }
            for _ in 0..n * per {
                let head = r.read_head()?;
                indent(out, depth + 1);
                let _ = write!(out, "{}: ", head.tag);
                value(r, head.ty, depth + 1, out)?;
            }
        }
        WireType::StructBegin => {
            out.push_str("{\n");
            if depth >= MAX_DEPTH {
                return Err(tars_codec::Error::invalid_value(
                    "nesting depth",
                    i64::from(depth),
                ));
            }
            fields(r, depth + 1, out, true)?;
            indent(out, depth);
            out.push_str("}\n");
        }
        WireType::StructEnd => out.push_str("}\n"),
    }
    Ok(())
}

fn parses_as_fields(bytes: &[u8]) -> bool {
    let mut r = Reader::new(bytes);
    while !r.is_empty() {
        match r.read_head() {
            Ok(head) if head.ty != WireType::StructEnd => {
                if r.skip_value(head.ty).is_err() {
                    return false;
                }
            }
            _ => return false,
        }
    }
    true
}

fn type_name(ty: WireType) -> &'static str {
    match ty {
        WireType::ZeroTag => "zero",
        WireType::Byte => "byte",
        WireType::Short => "short",
        WireType::Int => "int",
        WireType::Long => "long",
        WireType::Float => "float",
        WireType::Double => "double",
        WireType::String1 | WireType::String4 => "string",
        WireType::Map => "map",
        WireType::List => "list",
        WireType::SimpleList => "bytes",
        WireType::StructBegin | WireType::StructEnd => "struct",
    }
}

/// A string as quoted UTF-8 when it is printable text, as hex otherwise (GBK and binary).
fn text(s: &[u8]) -> String {
    match std::str::from_utf8(s) {
        Ok(t) if !t.chars().any(char::is_control) => format!("{t:?}"),
        _ => format!("0x{}", hex::encode(s)),
    }
}

fn hex_preview(s: &[u8]) -> String {
    const SHOWN: usize = 32;
    if s.len() <= SHOWN {
        hex::encode(s)
    } else {
        format!("{}…", hex::encode(&s[..SHOWN]))
    }
}
