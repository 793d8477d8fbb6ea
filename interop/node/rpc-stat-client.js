#!/usr/bin/env node
// Interop: the automatic per-call statistics of the Node TARS client (@tars/rpc 2.0.15 with
// TARS_MONITOR=1 and a TARS_CONFIG file) reaching a (Rust) StatObj.
//
//   node rpc-stat-client.js <stat port> <echo port> <config dir>
//
// Writes <config dir>/node-caller.conf naming the StatObj and module "Node.Caller", sets
// TARS_MONITOR=1 and TARS_CONFIG, then calls Test.EchoServer.EchoObj.echo (on 127.0.0.1:<echo
// port>) three times. @tars/rpc reports each call to the StatObj through @tars/monitor; its
// interval is clamped to >= 10 s, so it is shortened to 300 ms after initialisation. Prints ONE
// JSON line {"calls": 3} after the report has left and exits 0 (1 if a call failed).
"use strict";

process.removeAllListeners("warning");
process.on("warning", function (w) {
    if (!/circular dependency/.test(String(w && w.message))) { console.error(String(w && w.stack || w)); }
});

var fs = require("fs");
var path = require("path");

var statPort = process.argv[2], echoPort = process.argv[3], dir = process.argv[4];
if (!statPort || !echoPort || !dir) {
    console.error("usage: node rpc-stat-client.js <stat port> <echo port> <config dir>");
    process.exit(2);
}
var config = path.join(dir, "node-caller.conf");
fs.writeFileSync(config, [
    "<tars>",
    "  <application>",
    "    <client>",
    "      stat = tars.tarsstat.StatObj@tcp -h 127.0.0.1 -p " + statPort + " -t 3000",
    "      report-interval = 10000",
    "      modulename = Node.Caller",
    "      sync-invoke-timeout = 3000",
    "    </client>",
    "    <server>",
    "      localip = 127.0.0.1",
    "    </server>",
    "  </application>",
    "</tars>",
    ""
].join("\n"));
process.env.TARS_MONITOR = "1";
process.env.TARS_CONFIG = config;

var TarsRpc = require("@tars/rpc");
var Test = require("./rpc-client.js").Test;
TarsRpc.client.initialize(config);
require("@tars/monitor").stat.reportInterval = 300;

var proxy = TarsRpc.client.stringToProxy(Test.EchoProxy,
    "Test.EchoServer.EchoObj@tcp -h 127.0.0.1 -p " + echoPort + " -t 3000");
var calls = 0;
var next = function () {
    if (calls === 3) {
        // Let the 300 ms report timer fire and the one-way report leave.
        setTimeout(function () {
            process.stdout.write(JSON.stringify({ calls: calls }) + "\n", function () { process.exit(0); });
        }, 1500);
        return;
    }
    proxy.echo("call " + calls).then(function () { calls += 1; next(); }, function (e) {
        console.error("echo failed: " + (e && e.message || String(e)));
        process.exit(1);
    });
};
next();
