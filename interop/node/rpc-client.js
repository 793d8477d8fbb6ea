#!/usr/bin/env node
// Interop client: the reference Node TARS client (@tars/rpc 2.0.15) calling a (Rust) server.
//
//   node rpc-client.js <host> <port> [<object>]      (object defaults to Test.EchoServer.EchoObj)
//
// IDL: module Test { interface Echo { string echo(string s); }; };
// Steps, in order: echo("hello v1") as plain TARS (iVersion 1); echo("hello tup") as TUP v3
// (iVersion 3, UniAttribute v3: request key "s", reply key ""); a one-way echo("x")
// (cPacketType 1, no reply expected); tars_ping. Prints ONE JSON line
//   {"v1": str|null, "tup": str|null, "oneway": bool, "ping": bool, "errors": [str]}
// and exits 0 if every step succeeded, else 1. Also usable as a module: exports Test.EchoProxy.
"use strict";

// @tars/* print harmless "circular dependency" warnings under Node 20: drop only those.
process.removeAllListeners("warning");
process.on("warning", function (w) {
    if (!/circular dependency/.test(String(w && w.message))) { console.error(String(w && w.stack || w)); }
});

var TarsStream = require("@tars/stream");
var TarsRpc = require("@tars/rpc");
var TarsError = TarsRpc.error;

// ---------------------------------------------------------------------------------------------
// Client proxy, hand-written in the exact shape tars2node (20190529, "Client Mode") generates
// (compare @tars/rpc/test/client/mockserver/NodeTarsProxy.js, examples/gateway/Hello2Proxy.js):
//   *$IF  function info; *$IE / *$ID  TARS encode args / decode reply (tags);
//   *$PE / *$PD  TUP encode args / decode reply (names); *$ER  error mapper.
// The proxy picks TUP when its ObjectProxy's `version` (setVersion) is 2 or 3.
// ---------------------------------------------------------------------------------------------
var _makeError = function (data, message, type) {
    var error = new Error(message || "");
    error.request = data.request;
    error.response = { "costtime" : data.request.costtime };
    if (type === TarsError.CLIENT.DECODE_ERROR) {
        error.name = "DECODE_ERROR";
        error.response.error = { "code" : type, "message" : message };
    } else {
        error.name = "RPC_ERROR";
        error.response.error = data.error;
    }
    return error;
};

var Test = Test || {};
module.exports.Test = Test;

Test.EchoProxy = function () {
    this._name    = undefined;
    this._worker  = undefined;
};
Test.EchoProxy.prototype.setTimeout = function (iTimeout) { this._worker.timeout = iTimeout; };
Test.EchoProxy.prototype.getTimeout = function () { return this._worker.timeout; };
Test.EchoProxy.prototype.setVersion = function (iVersion) { this._worker.version = iVersion; };
Test.EchoProxy.prototype.getVersion = function () { return this._worker.version; };

var __Test_Echo$echo$IF = {
    "name" : "echo",
    "return" : "string",
    "arguments" : [{ "name" : "s", "class" : "string", "direction" : "in" }]
};
var __Test_Echo$echo$IE = function (s) {          // TARS v1: s at tag 1
    var os = new TarsStream.TarsOutputStream();
    os.writeString(1, s);
    return os.getBinBuffer();
};
var __Test_Echo$echo$ID = function (data) {        // TARS v1: return value at tag 0
    try {
        var is = new TarsStream.TarsInputStream(data.response.sBuffer);
        return {
            "request" : data.request,
            "response" : { "costtime" : data.request.costtime, "return" : is.readString(0, true, "") }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};
var __Test_Echo$echo$PE = function (s, __$PROTOCOL$VERSION) {   // TUP: s under key "s"
    var tup = new TarsStream.UniAttribute();
    tup.tupVersion = __$PROTOCOL$VERSION;
    tup.writeString("s", s);
    return tup;
};
var __Test_Echo$echo$PD = function (data) {        // TUP: return value under key ""
    try {
        var tup = data.response.tup;               // tars-client.js already decoded the UniAttribute
        return {
            "request" : data.request,
            "response" : { "costtime" : data.request.costtime, "return" : tup.readString("", "") }
        };
    } catch (e) {
        throw _makeError(data, e.message, TarsError.CLIENT.DECODE_ERROR);
    }
};
var __Test_Echo$echo$ER = function (data) {
    throw _makeError(data, "Call Echo::echo failed");
};
// Last argument may be a call property object: {packetType: 1} (one-way), {context: {...}}, ...
Test.EchoProxy.prototype.echo = function (s) {
    var version = this._worker.version;
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
        return this._worker.tup_invoke("echo", __Test_Echo$echo$PE(s, version), arguments[arguments.length - 1], __Test_Echo$echo$IF).then(__Test_Echo$echo$PD, __Test_Echo$echo$ER);
    } else {
        return this._worker.tars_invoke("echo", __Test_Echo$echo$IE(s), arguments[arguments.length - 1], __Test_Echo$echo$IF).then(__Test_Echo$echo$ID, __Test_Echo$echo$ER);
    }
};
Test.EchoProxy.echo = __Test_Echo$echo$IF;

// Not generated: tars2node client proxies have no tars_ping, so call it through the same
// low-level path as echo (tars_invoke / tup_invoke) with no arguments. The reply body is not
// decoded: Cpp/Go answer an empty sBuffer, a tars2node server an int 0 at tag 0 (or under "");
// iRet / STATUS_RESULT_CODE 0 means success. On a TUP proxy it MUST go through tup_invoke: a
// connection decodes replies by the proxy's version, and a v1 ResponsePacket arriving on a TUP
// connection throws inside @tars/rpc's socket handler (uncaught: the process dies).
Test.EchoProxy.prototype.tars_ping = function () {
    var version = this._worker.version;
    var ok = function (data) {
        return { "request" : data.request, "response" : { "costtime" : data.request.costtime } };
    };
    var er = function (data) { throw _makeError(data, "Call Echo::tars_ping failed"); };
    if (version === TarsStream.Tup.TUP_SIMPLE || version === TarsStream.Tup.TUP_COMPLEX) {
        var tup = new TarsStream.UniAttribute();
        tup.tupVersion = version;
        return this._worker.tup_invoke("tars_ping", tup, arguments[arguments.length - 1]).then(ok, er);
    }
    var empty = new TarsStream.TarsOutputStream().getBinBuffer();
    return this._worker.tars_invoke("tars_ping", empty, arguments[arguments.length - 1]).then(ok, er);
};

// ---------------------------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------------------------
function describe(step, e) {
    var err = e && e.response && e.response.error;
    var detail = err ? " (code " + err.code + ": " + err.message + ")" : "";
    return step + ": " + (e && e.message || String(e)) + detail;
}

function main() {
    var host = process.argv[2], port = process.argv[3];
    var object = process.argv[4] || "Test.EchoServer.EchoObj";
    if (!host || !port) {
        console.error("usage: node rpc-client.js <host> <port> [<object>]");
        process.exit(2);
    }
    var target = object + "@tcp -h " + host + " -p " + port + " -t 3000";
    var result = { v1: null, tup: null, oneway: false, ping: false, errors: [] };

    // v1 proxy from the global communicator.
    var proxy = TarsRpc.client.stringToProxy(Test.EchoProxy, target);
    // TUP proxy: the decoder of a connection is chosen from ObjectProxy.version when it connects,
    // and stringToProxy caches ObjectProxies per object string, so TUP needs its own
    // ObjectProxy -> a second Communicator. setVersion(3) before the first call.
    var tupComm = TarsRpc.Communicator.New();
    var tupProxy = tupComm.stringToProxy(Test.EchoProxy, target);
    tupProxy.setVersion(TarsStream.Tup.TUP_SIMPLE);

    var steps = [
        function () {
            return proxy.echo("hello v1").then(function (r) { result.v1 = r.response.return; },
                function (e) { result.errors.push(describe("v1", e)); });
        },
        function () {
            return tupProxy.echo("hello tup").then(function (r) { result.tup = r.response.return; },
                function (e) { result.errors.push(describe("tup", e)); });
        },
        function () {
            // One-way: @tars/rpc REJECTS the promise right after the packet is written, with
            // error.message "one way call do not need response"; any other outcome is a failure.
            return proxy.echo("x", { packetType: 1 }).then(function () {
                result.errors.push("oneway: unexpectedly got a reply");
            }, function (e) {
                var err = e && e.response && e.response.error;
                if (err && err.message === "one way call do not need response") { result.oneway = true; }
                else { result.errors.push(describe("oneway", e)); }
            });
        },
        function () {
            return proxy.tars_ping().then(function () { result.ping = true; },
                function (e) { result.errors.push(describe("ping", e)); });
        }
    ];

    var finished = false;
    var finish = function () {
        if (finished) { return; }
        finished = true;
        if (typeof result.v1 !== "string") { result.v1 = null; }
        if (typeof result.tup !== "string") { result.tup = null; }
        var ok = result.errors.length === 0 && result.v1 !== null && result.tup !== null &&
                 result.oneway && result.ping;
        try { TarsRpc.client.destroy(); tupComm.destroy(); } catch (e) { /* exiting anyway */ }
        // destroy() closes sockets only after the proxy timeout; exit as soon as stdout is out.
        process.stdout.write(JSON.stringify(result) + "\n", function () { process.exit(ok ? 0 : 1); });
    };
    // A reply @tars/rpc cannot parse (e.g. a malformed packet, or a ResponsePacket on a TUP
    // connection) throws inside its socket "data" handler, outside any promise: report it as an
    // error instead of dying without the JSON line.
    process.on("uncaughtException", function (e) {
        result.errors.push("uncaught: " + (e && e.message || String(e)));
        finish();
    });

    steps.reduce(function (p, step) { return p.then(step); }, Promise.resolve()).then(finish, function (e) {
        result.errors.push("driver: " + (e && e.message || String(e)));
        finish();
    });
}

if (require.main === module) {
    main();
}
