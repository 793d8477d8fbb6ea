//! Type descriptions, so tools can print TARS bytes with field names (`tarsplane decode --as`).
//! Built on demand (cold path); `#[derive(TarsStruct)]` and `#[derive(TarsEnum)]` implement
//! [`Describe`].

use bytes::Bytes;

use super::{SimpleList, TarsMap};

/// What a value of some type looks like on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum Schema {
    /// `bool`.
    Bool,
    /// An integer; the name is the IDL type (`byte`, `short`, `int`, `long`, `unsigned int`, ...).
    Int(&'static str),
    /// `float`.
    Float,
    /// `double`.
    Double,
    /// `string` (raw bytes).
    String,
    /// `vector<byte>`.
    Bytes,
    /// `vector<T>`.
    List(Box<Schema>),
    /// `map<K, V>`.
    Map(Box<Schema>, Box<Schema>),
    /// A struct.
    Struct(StructSchema),
    /// An enum: the IDL name and its `(variant, value)` pairs.
    Enum(&'static str, Vec<(&'static str, i32)>),
}

/// A struct's name and fields in tag order.
#[derive(Debug, Clone, PartialEq)]
pub struct StructSchema {
    /// The IDL name.
    pub name: &'static str,
    /// The fields in tag order.
    pub fields: Vec<FieldSchema>,
}

/// One struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSchema {
    /// The tag.
    pub tag: u8,
    /// The Rust field name.
    pub name: &'static str,
    /// Whether the field is `require`.
    pub require: bool,
    /// The field's type.
    pub schema: Schema,
}

/// A type that can describe its wire shape.
pub trait Describe {
    /// The description.
    fn schema() -> Schema;
}

macro_rules! describe {
    ($($t:ty => $s:expr),* $(,)?) => {
        $(impl Describe for $t {
            fn schema() -> Schema {
                $s
            }
        })*
    };
}

describe! {
    bool => Schema::Bool,
    i8 => Schema::Int("byte"),
    i16 => Schema::Int("short"),
    i32 => Schema::Int("int"),
    i64 => Schema::Int("long"),
    u8 => Schema::Int("unsigned byte"),
    u16 => Schema::Int("unsigned short"),
    u32 => Schema::Int("unsigned int"),
    f32 => Schema::Float,
    f64 => Schema::Double,
    &[u8] => Schema::String,
    &str => Schema::String,
    String => Schema::String,
    Bytes => Schema::String,
}

impl<B> Describe for SimpleList<B> {
    fn schema() -> Schema {
        Schema::Bytes
    }
}

impl<T: Describe> Describe for Vec<T> {
    fn schema() -> Schema {
        match T::schema() {
            Schema::Int("byte") => Schema::Bytes,
            inner => Schema::List(Box::new(inner)),
        }
    }
}

impl<K: Describe, V: Describe> Describe for TarsMap<K, V> {
    fn schema() -> Schema {
        Schema::Map(Box::new(K::schema()), Box::new(V::schema()))
    }
}

impl<K: Describe, V: Describe> Describe for std::collections::BTreeMap<K, V> {
    fn schema() -> Schema {
        Schema::Map(Box::new(K::schema()), Box::new(V::schema()))
    }
}
