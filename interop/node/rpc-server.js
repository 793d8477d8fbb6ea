#!/usr/bin/env node
// Interop server: the reference Node TARS server (@tars/rpc 2.0.15) for (Rust) clients.
//
//   node rpc-server.js <port>
//
// Serves object Test.NodeServer.EchoObj on tcp 127.0.0.1:<port> with
//   module Test { interface Echo { string echo(string s); }; };
// echo(s) returns "node:" + s. Answers TARS (iVersion 1) and TUP (iVersion 2/3) exactly as the
// tars2node-generated dispatch does; one-way requests get no reply (TarsCurrent.doResponse).
// Prints "ready" on stdout once listening; SIGTERM/SIGINT -> exit 0.
//
// Facts of this reference implementation worth knowing on the Rust side:
// - the TUP reply is a RequestPacket; the return value is written ONLY under "" (no "tars_ret");
//   status carries STATUS_RESULT_CODE / STATUS_RESULT_DESC, always both;
// - tars_ping is answered (by generated code) with an int 0 at tag 0 ("" under TUP), not with an
//   empty buffer as Cpp/Go do;
// - the servant name in the request is NOT checked: the adapter dispatches whatever arrives.
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
// Servant, hand-written in the shape tars2node (20190529) generates in "Server Mode"
// (compare @tars/rpc/test/client/mockserver/NodeTars.js): onDispatch -> "__" + funcName, which
// decodes the arguments (tags for TARS, names for TUP), installs current.sendResponse (the *$RE
// encoder) and calls the user's method; the *$RE encoder ends in current.doResponse(buffer).
// ---------------------------------------------------------------------------------------------
var Test = Test || {};

Test.EchoImp = function () {
    this._name   = undefined;
    this._worker = undefined;
};

Test.EchoImp.prototype.initialize = function () {};

Test.EchoImp.prototype.onDispatch = function (current, funcName, binBuffer) {
    if ("__" + funcName in this) {
        return this["__" + funcName](current, binBuffer);
    } else {
        return TarsError.SERVER.FUNC_NOT_FOUND;    // -> sendErrorResponse(-3, "")
    }
};

function isTup(current) {
    var v = current.getRequestVersion();
    return v === TarsStream.Tup.TUP_SIMPLE || v === TarsStream.Tup.TUP_COMPLEX;
}

// tars_ping: generated for every interface; replies int 0.
var __Test_Echo$tars_ping$RE = function (_ret) {
    if (isTup(this)) {
        var tup = new TarsStream.UniAttribute();
        tup.tupVersion = this.getRequestVersion();
        tup.writeInt32("", _ret);
        this.doResponse(tup.encode());
    } else {
        var os = new TarsStream.TarsOutputStream();
        os.writeInt32(0, _ret);
        this.doResponse(os.getBinBuffer());
    }
};
Test.EchoImp.prototype.__tars_ping = function (current) {
    __Test_Echo$tars_ping$RE.call(current, 0);
    return TarsError.SUCCESS;
};

// echo: reply encoder (called with `this` = current).
var __Test_Echo$echo$RE = function (_ret) {
    if (isTup(this)) {
        var tup = new TarsStream.UniAttribute();
        tup.tupVersion = this.getRequestVersion();
        tup.writeString("", _ret);
        this.doResponse(tup.encode());
    } else {
        var os = new TarsStream.TarsOutputStream();
        os.writeString(0, _ret);
        this.doResponse(os.getBinBuffer());
    }
};
Test.EchoImp.prototype.__echo = function (current, binBuffer) {
    var s = null;
    if (isTup(current)) {
        var tup = new TarsStream.UniAttribute();
        tup.tupVersion = current.getRequestVersion();
        tup.decode(binBuffer);
        s = tup.readString("s");                    // missing key throws -> iRet -1 (decode error)
    } else {
        var is = new TarsStream.TarsInputStream(binBuffer);
        s = is.readString(1, true, "");
    }
    current.sendResponse = __Test_Echo$echo$RE;
    this.echo(current, s);
    return TarsError.SUCCESS;
};

// The user implementation ("Imp Mode" file).
Test.EchoImp.prototype.echo = function (current, s) {
    current.sendResponse("node:" + s);
};

// ---------------------------------------------------------------------------------------------
// Server bootstrap: one HeroServer per adapter, no TARS_CONFIG needed.
// ---------------------------------------------------------------------------------------------
function main() {
    var port = parseInt(process.argv[2], 10);
    if (!(port > 0 && port < 65536)) {
        console.error("usage: node rpc-server.js <port>");
        process.exit(2);
    }

    var option = new TarsRpc.server.BindAdapterOption();
    option.endpoint  = "tcp -h 127.0.0.1 -p " + port + " -t 60000";   // -t: idle connection timeout
    option.name      = "Test.NodeServer.EchoObjAdapter";
    option.servant   = "Test.NodeServer.EchoObj";
    option.handleImp = Test.EchoImp;

    var svr = TarsRpc.server.createServer();
    svr.start(option);

    // @tars/rpc gives no "listening" callback; the net.Server is BindAdapter._netthread._listener.
    var listener = svr._adapters[0]._netthread._listener;
    listener.once("listening", function () { process.stdout.write("ready\n"); });
    listener.once("error", function (e) {
        console.error("listen failed: " + e.message);
        process.exit(1);
    });

    var stop = function () {
        try { svr.stop(); } catch (e) { /* already closing */ }
        process.exit(0);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

if (require.main === module) {
    main();
}
module.exports.Test = Test;
