#!/usr/bin/env node
// Codec peer for the tarsplane interop tests: encodes / decodes one canonical
// `interop.AllTypes` value with the reference Node implementation (@tars/stream).
//
//   node codec-peer.js encode        -> lowercase hex of os.writeStruct(0, canonical), exit 0
//   node codec-peer.js decode <hex>  -> is.readStruct(0, true, AllTypes), JSON of the decoded
//                                       value on stdout; exit 0 if equal to the canonical value,
//                                       1 if any field differs (details on stderr),
//                                       2 on bad input (invalid hex, decode exception, overrun,
//                                       trailing bytes after the struct).
"use strict";

var assert = require("assert");
var util = require("util");
var TarsStream = require("@tars/stream");

// ---------------------------------------------------------------------------
// Struct classes, written the way tars2node emits them for this IDL (module interop):
//   struct Inner { 0 require int a; 1 optional string b; };
//   struct Key   { 0 require string name; 1 require int id; };  key[Key, name, id];
//   struct AllTypes { 0 require bool fBool; ... 20 optional int fOpt = 7;
//                     200 require map<int, vector<string>> fNested; };
// Only the codec members are kept (toObject/readFromObject/toBinBuffer omitted).
// Generator facts mirrored here: optional fields are read with require=false and the
// IDL default, but always WRITTEN (no "skip if default" as in tars2cpp); `unsigned byte`
// maps to readUInt8/writeUInt8 (= Int16 path), `unsigned short` to UInt16 (= Int32),
// `unsigned int` to UInt32 (= Int64); vector<byte> is a BinBuffer via read/writeBytes.
// _equal is only real when the IDL has `key[...]`; otherwise it is assert.fail, and then
// a Map keyed by that struct can hold only ONE entry (MultiMap.insert calls _equal).
// ---------------------------------------------------------------------------
var interop = {};

function genKey() { // identical body for every generated struct
    if (!this._proto_struct_name_) {
        this._proto_struct_name_ = "STRUCT" + Math.random();
    }
    return this._proto_struct_name_;
}

interop.Inner = function () {
    this.a = 0;
    this.b = "";
    this._classname = "interop.Inner";
};
interop.Inner._classname = "interop.Inner";
interop.Inner._write = function (os, tag, value) { os.writeStruct(tag, value); };
interop.Inner._read = function (is, tag, def) { return is.readStruct(tag, true, def); };
interop.Inner._readFrom = function (is) {
    var tmp = new interop.Inner();
    tmp.a = is.readInt32(0, true, 0);
    tmp.b = is.readString(1, false, "");
    return tmp;
};
interop.Inner.prototype._writeTo = function (os) {
    os.writeInt32(0, this.a);
    os.writeString(1, this.b);
};
interop.Inner.prototype._equal = function () {
    assert.fail("this structure not define key operation");
};
interop.Inner.prototype._genKey = genKey;
interop.Inner.new = function () { return new interop.Inner(); };
interop.Inner.create = function (is) { return interop.Inner._readFrom(is); };

interop.Key = function () {
    this.name = "";
    this.id = 0;
    this._classname = "interop.Key";
};
interop.Key._classname = "interop.Key";
interop.Key._write = function (os, tag, value) { os.writeStruct(tag, value); };
interop.Key._read = function (is, tag, def) { return is.readStruct(tag, true, def); };
interop.Key._readFrom = function (is) {
    var tmp = new interop.Key();
    tmp.name = is.readString(0, true, "");
    tmp.id = is.readInt32(1, true, 0);
    return tmp;
};
interop.Key.prototype._writeTo = function (os) {
    os.writeString(0, this.name);
    os.writeInt32(1, this.id);
};
interop.Key.prototype._equal = function (anItem) { // emitted because of key[Key, name, id]
    return this.name === anItem.name &&
        this.id === anItem.id;
};
interop.Key.prototype._genKey = genKey;
interop.Key.new = function () { return new interop.Key(); };
interop.Key.create = function (is) { return interop.Key._readFrom(is); };

interop.AllTypes = function () {
    this.fBool = false;
    this.fByte = 0;
    this.fShort = 0;
    this.fInt = 0;
    this.fLong = 0;
    this.fFloat = 0.0;
    this.fDouble = 0.0;
    this.fString = "";
    this.fLongString = "";
    this.fBytes = new TarsStream.BinBuffer();
    this.fInts = new TarsStream.List(TarsStream.Int32);
    this.fMap = new TarsStream.Map(TarsStream.String, TarsStream.Int32);
    this.fInner = new interop.Inner();
    this.fInners = new TarsStream.List(interop.Inner);
    this.fStructMap = new TarsStream.Map(interop.Key, interop.Inner);
    this.fUByte = 0;
    this.fUShort = 0;
    this.fUInt = 0;
    this.fOpt = 7;
    this.fNested = new TarsStream.Map(TarsStream.Int32, TarsStream.List(TarsStream.String));
    this._classname = "interop.AllTypes";
};
interop.AllTypes._classname = "interop.AllTypes";
interop.AllTypes._write = function (os, tag, value) { os.writeStruct(tag, value); };
interop.AllTypes._read = function (is, tag, def) { return is.readStruct(tag, true, def); };
interop.AllTypes._readFrom = function (is) {
    var tmp = new interop.AllTypes();
    tmp.fBool = is.readBoolean(0, true, false);
    tmp.fByte = is.readInt8(1, true, 0);
    tmp.fShort = is.readInt16(2, true, 0);
    tmp.fInt = is.readInt32(3, true, 0);
    tmp.fLong = is.readInt64(4, true, 0);
    tmp.fFloat = is.readFloat(5, true, 0.0);
    tmp.fDouble = is.readDouble(6, true, 0.0);
    tmp.fString = is.readString(7, true, "");
    tmp.fLongString = is.readString(8, true, "");
    tmp.fBytes = is.readBytes(9, true, TarsStream.BinBuffer);
    tmp.fInts = is.readList(10, true, TarsStream.List(TarsStream.Int32));
    tmp.fMap = is.readMap(11, true, TarsStream.Map(TarsStream.String, TarsStream.Int32));
    tmp.fInner = is.readStruct(12, true, interop.Inner);
    tmp.fInners = is.readList(13, true, TarsStream.List(interop.Inner));
    tmp.fStructMap = is.readMap(14, true, TarsStream.Map(interop.Key, interop.Inner));
    tmp.fUByte = is.readUInt8(15, true, 0);
    tmp.fUShort = is.readUInt16(16, true, 0);
    tmp.fUInt = is.readUInt32(17, true, 0);
    tmp.fOpt = is.readInt32(20, false, 7);
    tmp.fNested = is.readMap(200, true, TarsStream.Map(TarsStream.Int32, TarsStream.List(TarsStream.String)));
    return tmp;
};
interop.AllTypes.prototype._writeTo = function (os) {
    os.writeBoolean(0, this.fBool);
    os.writeInt8(1, this.fByte);
    os.writeInt16(2, this.fShort);
    os.writeInt32(3, this.fInt);
    os.writeInt64(4, this.fLong);
    os.writeFloat(5, this.fFloat);
    os.writeDouble(6, this.fDouble);
    os.writeString(7, this.fString);
    os.writeString(8, this.fLongString);
    os.writeBytes(9, this.fBytes);
    os.writeList(10, this.fInts);
    os.writeMap(11, this.fMap);
    os.writeStruct(12, this.fInner);
    os.writeList(13, this.fInners);
    os.writeMap(14, this.fStructMap);
    os.writeUInt8(15, this.fUByte);
    os.writeUInt16(16, this.fUShort);
    os.writeUInt32(17, this.fUInt);
    os.writeInt32(20, this.fOpt);
    os.writeMap(200, this.fNested);
};
interop.AllTypes.prototype._equal = function () {
    assert.fail("this structure not define key operation");
};
interop.AllTypes.prototype._genKey = genKey;
interop.AllTypes.new = function () { return new interop.AllTypes(); };
interop.AllTypes.create = function (is) { return interop.AllTypes._readFrom(is); };

// ---------------------------------------------------------------------------
// The canonical value (must match the Rust side byte for byte on decode).
// ---------------------------------------------------------------------------
function inner(a, b) { var v = new interop.Inner(); v.a = a; v.b = b; return v; }
function key(name, id) { var k = new interop.Key(); k.name = name; k.id = id; return k; }
function strList(items) { var l = TarsStream.List(TarsStream.String); items.forEach(function (s) { l.push(s); }); return l; }

function canonical() {
    var v = new interop.AllTypes();
    v.fBool = true; v.fByte = -5; v.fShort = -300; v.fInt = 70000;
    v.fLong = 1234567890123; // < 2^53, so the plain Number path of writeInt64 is exact
    v.fFloat = 1.5; v.fDouble = -2.25;
    v.fString = "hello, tars";
    v.fLongString = "x".repeat(300); // > 255 bytes -> STRING4
    var bytes = Buffer.alloc(256);
    for (var i = 0; i < 256; i++) bytes[i] = i;
    v.fBytes = new TarsStream.BinBuffer(bytes);
    [0, 1, -1, 127, 128, -129, 40000, -2147483648, 2147483647].forEach(function (n) { v.fInts.push(n); });
    v.fMap.insert("b", 2); v.fMap.insert("a", 1); v.fMap.insert("c", -3);
    v.fInner = inner(42, "inner");
    v.fInners.push(inner(1, "one")); v.fInners.push(inner(0, "")); v.fInners.push(inner(-7, "seven"));
    v.fStructMap.insert(key("k1", 1), inner(10, "v1"));
    v.fStructMap.insert(key("k0", 2), inner(20, "v2"));
    v.fUByte = 200; v.fUShort = 60000; v.fUInt = 4000000000;
    v.fOpt = 9;
    // HeroMap stores entries in a plain object: integer-like keys ("5", "300") iterate
    // first in ascending order, then "-1" -> wire order is 5, 300, -1.
    v.fNested.insert(5, strList(["a", "bb"]));
    v.fNested.insert(-1, strList([]));
    v.fNested.insert(300, strList(["ccc"]));
    return v;
}

// ---------------------------------------------------------------------------
// Normalisation to plain JSON-able values: longs -> strings, bytes -> hex, maps -> arrays
// of [key, value] pairs in decode (= wire) order. sortPairs() makes comparison order-free.
// ---------------------------------------------------------------------------
function plainInner(x) { return { a: x.a, b: x.b }; }
function normalise(v) {
    var m = [], sm = [], nested = [];
    v.fMap.forEach(function (k, val) { m.push([k, val]); });
    // MultiMap (struct key): forEach gives (keyStruct, value); toObject() would assert.
    v.fStructMap.forEach(function (k, val) { sm.push([{ name: k.name, id: k.id }, plainInner(val)]); });
    v.fNested.forEach(function (k, list) { nested.push([k, list.value.slice()]); });
    return {
        fBool: v.fBool, fByte: v.fByte, fShort: v.fShort, fInt: v.fInt,
        fLong: String(v.fLong), fFloat: v.fFloat, fDouble: v.fDouble,
        fString: v.fString, fLongString: v.fLongString,
        fBytes: v.fBytes.length ? v.fBytes.toNodeBuffer().toString("hex") : "",
        fInts: v.fInts.value.slice(), fMap: m, fInner: plainInner(v.fInner),
        fInners: v.fInners.value.map(plainInner), fStructMap: sm,
        fUByte: v.fUByte, fUShort: v.fUShort, fUInt: String(v.fUInt),
        fOpt: v.fOpt, fNested: nested
    };
}
var MAP_FIELDS = ["fMap", "fStructMap", "fNested"];
function sortPairs(pairs) {
    return pairs.map(function (p) { return [JSON.stringify(p[0]), p]; }).sort(function (x, y) {
        return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0;
    }).map(function (x) { return x[1]; });
}

function fail(msg) { process.stderr.write("codec-peer: " + msg + "\n"); process.exit(2); }

function encode() {
    var os = new TarsStream.TarsOutputStream();
    os.writeStruct(0, canonical());
    process.stdout.write(os.getBinBuffer().toNodeBuffer().toString("hex") + "\n");
}

function decode(hex) {
    if (typeof hex !== "string" || !/^(?:[0-9a-fA-F]{2})*$/.test(hex)) fail("invalid hex input");
    var buf = Buffer.from(hex, "hex");
    var decoded;
    try {
        var is = new TarsStream.TarsInputStream(new TarsStream.BinBuffer(buf));
        decoded = is.readStruct(0, true, interop.AllTypes);
        // @tars/stream does not bounds-check string/bytes bodies (it copies into an
        // uninitialised buffer), so check for overrun and trailing bytes ourselves.
        var pos = is._binBuffer._position;
        if (pos > buf.length) throw new Error("read past end of input (" + pos + " > " + buf.length + ")");
        if (pos < buf.length) throw new Error((buf.length - pos) + " trailing bytes after struct");
    } catch (e) {
        // @tars/stream exceptions are anonymous constructors with .code (-1 decode) and .message
        fail("decode failed: " + (e && e.message) + (e && e.code !== undefined ? " (code " + e.code + ")" : ""));
    }
    var got, want = normalise(canonical());
    try { got = normalise(decoded); } catch (e) { fail("decoded value has unexpected shape: " + e.message); }
    process.stdout.write(JSON.stringify(got) + "\n");
    var bad = Object.keys(want).filter(function (f) {
        var map = MAP_FIELDS.indexOf(f) >= 0; // floats compare exactly (SameValue, so -0 != 0)
        return !util.isDeepStrictEqual(map ? sortPairs(got[f]) : got[f], map ? sortPairs(want[f]) : want[f]);
    });
    bad.forEach(function (f) {
        process.stderr.write("mismatch " + f + ": got " + JSON.stringify(got[f]) + " want " + JSON.stringify(want[f]) + "\n");
    });
    process.exit(bad.length ? 1 : 0);
}

var cmd = process.argv[2];
if (cmd === "encode") encode();
else if (cmd === "decode") decode(process.argv[3]);
else fail("usage: node codec-peer.js encode | decode <hex>");
