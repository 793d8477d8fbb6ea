//! The codec's error type: opaque, one pointer wide, with the struct/tag path of the failure.

use std::fmt;

use crate::encoding::WireType;

/// A TARS decode, encode or framing failure.
///
/// The value is one pointer wide (the details live behind a `Box`), so `Result<T, Error>` stays
/// cheap on the success path. Callers ask what happened with the `is_*` accessors and read
/// [`Error::path`] to see which struct fields the failure was nested in.
pub struct Error {
    inner: Box<Inner>,
}

/// `Result` with the codec's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

struct Inner {
    kind: Kind,
    /// Innermost first: (struct name, tag) pairs pushed while the error travels outwards.
    path: Vec<(&'static str, u8)>,
}

#[derive(Debug)]
enum Kind {
    /// The input ended inside a value.
    UnexpectedEof { needed: usize, remaining: usize },
    /// A head carried type id 14 or 15.
    InvalidWireType(u8),
    /// The field had a type that cannot be read as the expected one.
    TypeMismatch {
        expected: &'static str,
        found: WireType,
    },
    /// A `require` field was absent.
    RequiredFieldMissing { tag: u8 },
    /// A container or string declared a length that cannot be right.
    InvalidLength { len: i64, remaining: usize },
    /// Nesting went deeper than the reader's limit.
    DepthLimitExceeded { max: u32 },
    /// A value is outside the range of its type (e.g. an unsigned byte of 300).
    InvalidValue { what: &'static str, value: i64 },
    /// A container element or map entry carried the wrong tag.
    UnexpectedTag { expected: u8, found: u8 },
    /// A string was requested as text and is not UTF-8.
    InvalidUtf8,
    /// A frame's length prefix is below the minimum.
    FrameTooShort { len: usize, min: usize },
    /// A frame is larger than the configured maximum.
    FrameTooLarge { len: usize, max: usize },
    /// A packet uses a protocol version this codec does not handle.
    UnsupportedVersion(i16),
    /// A TUP attribute is missing.
    MissingAttribute(String),
    /// The underlying transport failed (only from the frame codec).
    Io(std::io::Error),
}

impl Error {
    #[cold]
    fn new(kind: Kind) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                path: Vec::new(),
            }),
        }
    }

    #[cold]
    pub(crate) fn eof(needed: usize, remaining: usize) -> Self {
        Self::new(Kind::UnexpectedEof { needed, remaining })
    }

    #[cold]
    pub(crate) fn invalid_wire_type(id: u8) -> Self {
        Self::new(Kind::InvalidWireType(id))
    }

    /// A field of type `found` cannot be read as `expected`.
    #[cold]
    pub fn type_mismatch(expected: &'static str, found: WireType) -> Self {
        Self::new(Kind::TypeMismatch { expected, found })
    }

    /// A `require` field with `tag` is absent from struct `name`.
    #[cold]
    pub fn required_field_missing(name: &'static str, tag: u8) -> Self {
        Self::new(Kind::RequiredFieldMissing { tag }).in_field(name, tag)
    }

    #[cold]
    pub(crate) fn invalid_length(len: i64, remaining: usize) -> Self {
        Self::new(Kind::InvalidLength { len, remaining })
    }

    #[cold]
    pub(crate) fn depth_limit(max: u32) -> Self {
        Self::new(Kind::DepthLimitExceeded { max })
    }

    /// `value` does not fit `what`.
    #[cold]
    pub fn invalid_value(what: &'static str, value: i64) -> Self {
        Self::new(Kind::InvalidValue { what, value })
    }

    #[cold]
    pub(crate) fn unexpected_tag(expected: u8, found: u8) -> Self {
        Self::new(Kind::UnexpectedTag { expected, found })
    }

    #[cold]
    pub(crate) fn invalid_utf8() -> Self {
        Self::new(Kind::InvalidUtf8)
    }

    #[cold]
    pub(crate) fn frame_too_short(len: usize, min: usize) -> Self {
        Self::new(Kind::FrameTooShort { len, min })
    }

    #[cold]
    pub(crate) fn frame_too_large(len: usize, max: usize) -> Self {
        Self::new(Kind::FrameTooLarge { len, max })
    }

    #[cold]
    pub(crate) fn unsupported_version(version: i16) -> Self {
        Self::new(Kind::UnsupportedVersion(version))
    }

    #[cold]
    pub(crate) fn missing_attribute(name: &[u8]) -> Self {
        Self::new(Kind::MissingAttribute(
            String::from_utf8_lossy(name).into_owned(),
        ))
    }

    /// Records that this error happened inside field `tag` of struct `name`.
    ///
    /// Called by generated code as the error travels outwards; the path reads outermost first.
    #[cold]
    #[must_use]
    pub fn in_field(mut self, name: &'static str, tag: u8) -> Self {
        self.inner.path.push((name, tag));
        self
    }

    /// The struct fields the failure is nested in, outermost first, as `(struct, tag)`.
    pub fn path(&self) -> impl Iterator<Item = (&'static str, u8)> + '_ {
        self.inner.path.iter().rev().copied()
    }

    /// The input ended inside a value (a truncated buffer).
    pub fn is_eof(&self) -> bool {
        matches!(self.inner.kind, Kind::UnexpectedEof { .. })
    }

    /// A field had a wire type that cannot be read as the requested type, or an invalid type id.
    pub fn is_type_mismatch(&self) -> bool {
        matches!(
            self.inner.kind,
            Kind::TypeMismatch { .. } | Kind::InvalidWireType(_)
        )
    }

    /// A `require` field, or a TUP attribute, was absent.
    pub fn is_missing_field(&self) -> bool {
        matches!(
            self.inner.kind,
            Kind::RequiredFieldMissing { .. } | Kind::MissingAttribute(_)
        )
    }

    /// A limit was hit: nesting depth, a length beyond the input, or a frame size bound.
    pub fn is_limit(&self) -> bool {
        matches!(
            self.inner.kind,
            Kind::DepthLimitExceeded { .. }
                | Kind::InvalidLength { .. }
                | Kind::FrameTooLarge { .. }
                | Kind::FrameTooShort { .. }
        )
    }

    /// A frame's length prefix was out of bounds; the stream cannot be resynchronised.
    pub fn is_frame(&self) -> bool {
        matches!(
            self.inner.kind,
            Kind::FrameTooLarge { .. } | Kind::FrameTooShort { .. }
        )
    }

    /// The packet's protocol version is not supported.
    pub fn is_unsupported_version(&self) -> bool {
        matches!(self.inner.kind, Kind::UnsupportedVersion(_))
    }

    /// A value was out of range, a tag was wrong, or text was not UTF-8.
    pub fn is_invalid_value(&self) -> bool {
        matches!(
            self.inner.kind,
            Kind::InvalidValue { .. } | Kind::UnexpectedTag { .. } | Kind::InvalidUtf8
        )
    }

    /// The transport failed underneath the frame codec.
    pub fn is_io(&self) -> bool {
        matches!(self.inner.kind, Kind::Io(_))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.kind {
            Kind::UnexpectedEof { needed, remaining } => write!(
                f,
                "buffer ended early: needed {needed} bytes, {remaining} remain"
            ),
            Kind::InvalidWireType(id) => write!(f, "invalid wire type id {id}"),
            Kind::TypeMismatch { expected, found } => {
                write!(f, "type mismatch: expected {expected}, found {found:?}")
            }
            Kind::RequiredFieldMissing { tag } => write!(f, "require field {tag} not present"),
            Kind::InvalidLength { len, remaining } => {
                write!(f, "invalid length {len} with {remaining} bytes remaining")
            }
            Kind::DepthLimitExceeded { max } => write!(f, "nesting deeper than {max}"),
            Kind::InvalidValue { what, value } => {
                write!(f, "value {value} out of range for {what}")
            }
            Kind::UnexpectedTag { expected, found } => {
                write!(f, "expected tag {expected}, found tag {found}")
            }
            Kind::InvalidUtf8 => f.write_str("string is not valid UTF-8"),
            Kind::FrameTooShort { len, min } => {
                write!(f, "frame length {len} is below the minimum {min}")
            }
            Kind::FrameTooLarge { len, max } => {
                write!(f, "frame length {len} exceeds the maximum {max}")
            }
            Kind::UnsupportedVersion(v) => write!(f, "unsupported packet version {v}"),
            Kind::MissingAttribute(name) => write!(f, "TUP attribute {name:?} not present"),
            Kind::Io(e) => write!(f, "i/o error: {e}"),
        }?;
        let mut path = self.path().peekable();
        if path.peek().is_some() {
            f.write_str(" at ")?;
            for (i, (name, tag)) in path.enumerate() {
                if i > 0 {
                    f.write_str(" > ")?;
                }
                write!(f, "{name}[{tag}]")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("path", &self.inner.path)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.inner.kind {
            Kind::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Self::new(Kind::Io(e))
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        match e.inner.kind {
            Kind::Io(io) => io,
            _ => std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_one_pointer_wide() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
        assert_eq!(
            std::mem::size_of::<Result<()>>(),
            std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn display_names_the_path_outermost_first() {
        let e = Error::type_mismatch("int", WireType::String1)
            .in_field("Inner", 3)
            .in_field("Outer", 1);
        assert_eq!(
            e.to_string(),
            "type mismatch: expected int, found String1 at Outer[1] > Inner[3]"
        );
        assert!(e.is_type_mismatch());
    }

    #[test]
    fn io_errors_round_trip_through_io_error() {
        let e: std::io::Error = Error::frame_too_large(11, 10).into();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("exceeds the maximum 10"));
    }
}
