//! `tarsplane decode --as NAME`: decode bytes as a framework struct or a method's argument block
//! (or `NAME.result` for its reply) and print JSON with field names.

use serde_json::{Map, Value, json};
use tars_codec::encoding::{Schema, StructSchema};
use tars_codec::{Decode, Describe, Reader, RequestPacket, ResponsePacket, WireType};
use tars_rpc::interfaces as i;

type SchemaFn = fn() -> Schema;

/// Every name `--as` accepts, with the type it decodes.
const NAMED: &[(&str, SchemaFn)] = &[
    ("RequestPacket", <RequestPacket<'static>>::schema),
    ("ResponsePacket", <ResponsePacket<'static>>::schema),
    ("EndpointF", <i::EndpointF<'static>>::schema),
    ("StatMicMsgHead", <i::StatMicMsgHead<'static>>::schema),
    ("StatMicMsgBody", <i::StatMicMsgBody>::schema),
    ("StatPropMsgHead", <i::StatPropMsgHead<'static>>::schema),
    ("StatPropMsgBody", <i::StatPropMsgBody<'static>>::schema),
    ("LogInfo", <i::LogInfo<'static>>::schema),
    ("ReportInfo", <i::ReportInfo<'static>>::schema),
    ("ServerDescriptor", <i::ServerDescriptor<'static>>::schema),
    ("MonitorQueryReq", <i::MonitorQueryReq<'static>>::schema),
    ("MonitorQueryRsp", <i::MonitorQueryRsp<'static>>::schema),
    (
        "QueryF.findObjectById",
        <i::FindObjectByIdArgs<'static>>::schema,
    ),
    (
        "QueryF.findObjectById.result",
        <i::FindObjectByIdResult<'static>>::schema,
    ),
    (
        "QueryF.findObjectById4Any",
        <i::FindObjectById4AnyArgs<'static>>::schema,
    ),
    (
        "QueryF.findObjectById4Any.result",
        <i::FindObjectById4AnyResult<'static>>::schema,
    ),
    (
        "QueryF.findObjectById4All",
        <i::FindObjectById4AllArgs<'static>>::schema,
    ),
    (
        "QueryF.findObjectById4All.result",
        <i::FindObjectById4AllResult<'static>>::schema,
    ),
    (
        "QueryF.findObjectByIdInSameGroup",
        <i::FindObjectByIdInSameGroupArgs<'static>>::schema,
    ),
    (
        "QueryF.findObjectByIdInSameGroup.result",
        <i::FindObjectByIdInSameGroupResult<'static>>::schema,
    ),
    (
        "QueryF.findObjectByIdInSameStation",
        <i::FindObjectByIdInSameStationArgs<'static>>::schema,
    ),
    (
        "QueryF.findObjectByIdInSameStation.result",
        <i::FindObjectByIdInSameStationResult<'static>>::schema,
    ),
    (
        "QueryF.findObjectByIdInSameSet",
        <i::FindObjectByIdInSameSetArgs<'static>>::schema,
    ),
    (
        "QueryF.findObjectByIdInSameSet.result",
        <i::FindObjectByIdInSameSetResult<'static>>::schema,
    ),
    (
        "Registry.getServerDescriptor",
        <i::GetServerDescriptorArgs<'static>>::schema,
    ),
    (
        "Registry.getServerDescriptor.result",
        <i::GetServerDescriptorResult<'static>>::schema,
    ),
    (
        "Registry.updateServerState",
        <i::UpdateServerStateArgs<'static>>::schema,
    ),
    ("StatF.reportMicMsg", <i::ReportMicMsgArgs<'static>>::schema),
    (
        "StatF.reportSampleMsg",
        <i::ReportSampleMsgArgs<'static>>::schema,
    ),
    (
        "PropertyF.reportPropMsg",
        <i::ReportPropMsgArgs<'static>>::schema,
    ),
    ("Log.logger", <i::LoggerArgs<'static>>::schema),
    ("Log.loggerbyInfo", <i::LoggerByInfoArgs<'static>>::schema),
    (
        "Notify.reportServer",
        <i::ReportServerArgs<'static>>::schema,
    ),
    (
        "Notify.notifyServer",
        <i::NotifyServerArgs<'static>>::schema,
    ),
    (
        "Notify.getNotifyInfo",
        <i::GetNotifyInfoArgs<'static>>::schema,
    ),
    (
        "Notify.reportNotifyInfo",
        <i::ReportNotifyInfoArgs<'static>>::schema,
    ),
    ("MonitorQuery.query", <i::MonitorQueryArgs<'static>>::schema),
    (
        "MonitorQuery.query.result",
        <i::MonitorQueryResult<'static>>::schema,
    ),
];

/// The names `--as` accepts.
pub fn names() -> impl Iterator<Item = &'static str> {
    NAMED.iter().map(|(n, _)| *n)
}

/// The description of `name`, if known (case-insensitive).
pub fn schema(name: &str) -> Option<Schema> {
    NAMED
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, f)| f())
}

/// Decodes `bytes` as the top-level fields of the struct `schema` describes.
///
/// Fields the schema does not know are listed under `"unknown tags"`; a `require` field that
/// is absent is an error, as in a real decode.
///
/// # Errors
///
/// Any decode error, with the struct/tag path.
pub fn to_json(bytes: &[u8], schema: &Schema) -> Result<Value, tars_codec::Error> {
    let Schema::Struct(s) = schema else {
        let mut r = Reader::new(bytes);
        let head = r.read_head()?;
        return value(&mut r, head.ty, schema);
    };
    fields(&mut Reader::new(bytes), s)
}

fn fields(r: &mut Reader<'_>, s: &StructSchema) -> Result<Value, tars_codec::Error> {
    let mut out = Map::new();
    let mut unknown = Vec::new();
    while let Some((head, _)) = r.peek_head()? {
        if head.ty == WireType::StructEnd {
            break;
        }
        r.read_head()?;
        if let Some(f) = s.fields.iter().find(|f| f.tag == head.tag) {
            let v = value(r, head.ty, &f.schema).map_err(|e| e.in_field(s.name, head.tag))?;
            out.insert(f.name.to_owned(), v);
        } else {
            unknown.push(head.tag);
            r.skip_value(head.ty)?;
        }
    }
    for f in &s.fields {
        if f.require && !out.contains_key(f.name) {
            return Err(tars_codec::Error::required_field_missing(s.name, f.tag));
        }
    }
    if !unknown.is_empty() {
        out.insert("unknown tags".to_owned(), json!(unknown));
    }
    Ok(Value::Object(out))
}

fn value(r: &mut Reader<'_>, ty: WireType, schema: &Schema) -> Result<Value, tars_codec::Error> {
    Ok(match schema {
        Schema::Bool => json!(bool::decode(r, ty)?),
        Schema::Int(_) => json!(i64::decode(r, ty)?),
        Schema::Float => json!(f32::decode(r, ty)?),
        Schema::Double => json!(f64::decode(r, ty)?),
        Schema::String => text(<&[u8]>::decode(r, ty)?),
        Schema::Bytes => {
            let bytes = <Vec<i8>>::decode(r, ty)?;
            json!(hex::encode(
                bytes.iter().map(|&b| b as u8).collect::<Vec<u8>>()
            ))
        }
        Schema::Enum(_, variants) => {
            let v = i32::decode(r, ty)?;
            variants
                .iter()
                .find(|(_, value)| *value == v)
                .map_or_else(|| json!(v), |(name, _)| json!(name))
        }
        Schema::List(inner) => {
            if ty != WireType::List {
                return Err(tars_codec::Error::type_mismatch("list", ty));
            }
            let n = r.read_length(1)?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                let ety = r.expect_element(0)?;
                items.push(value(r, ety, inner)?);
            }
            Value::Array(items)
        }
        Schema::Map(k, v) => {
            if ty != WireType::Map {
                return Err(tars_codec::Error::type_mismatch("map", ty));
            }
            let n = r.read_length(2)?;
            let mut pairs = Vec::with_capacity(n);
            for _ in 0..n {
                let kty = r.expect_element(0)?;
                let key = value(r, kty, k)?;
                let vty = r.expect_element(1)?;
                pairs.push((key, value(r, vty, v)?));
            }
            if pairs.iter().all(|(k, _)| k.is_string()) {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), v))
                        .collect(),
                )
            } else {
                Value::Array(pairs.into_iter().map(|(k, v)| json!([k, v])).collect())
            }
        }
        Schema::Struct(s) => {
            if ty != WireType::StructBegin {
                return Err(tars_codec::Error::type_mismatch(s.name, ty));
            }
            r.enter()?;
            let v = fields(r, s)?;
            r.skip_to_struct_end()?;
            r.leave();
            v
        }
    })
}

/// UTF-8 text as a JSON string; anything else (GBK, binary) as `"0x<hex>"`.
fn text(s: &[u8]) -> Value {
    match std::str::from_utf8(s) {
        Ok(t) => json!(t),
        Err(_) => json!(format!("0x{}", hex::encode(s))),
    }
}
