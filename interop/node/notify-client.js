#!/usr/bin/env node
// Interop: the reference Node alarm client (@tars/notify 2.0.0) sending to a (Rust) NotifyObj.
//
//   node notify-client.js <host> <port> <marker>
//
// As server Node.Alarmer: report("<marker> report", "t1") then notify("<marker> error",
// NOTIFYERROR, "t2") — both are reportNotifyInfo calls (normal calls, answered). Waits for the
// answers (the client swallows errors, so it waits a fixed 1 s), prints ONE JSON line
// {"sent": 2} and exits 0.
"use strict";

process.removeAllListeners("warning");
process.on("warning", function (w) {
    if (!/circular dependency/.test(String(w && w.message))) { console.error(String(w && w.stack || w)); }
});

var notify = require("@tars/notify");
var Config = require("@tars/utils").Config;

var host = process.argv[2], port = process.argv[3], marker = process.argv[4];
if (!host || !port || !marker) {
    console.error("usage: node notify-client.js <host> <port> <marker>");
    process.exit(2);
}
var cfg = new Config();
cfg.parseText([
    "<tars>",
    "  <application>",
    "    <server>",
    "      app = Node",
    "      server = Alarmer",
    "      notify = tars.tarsnotify.NotifyObj@tcp -h " + host + " -p " + port + " -t 3000",
    "    </server>",
    "  </application>",
    "</tars>"
].join("\n"));
notify.init(cfg);
notify.report(marker + " report", "t1");
notify.notify(marker + " error", notify.LEVEL.NOTIFYERROR, "t2");
setTimeout(function () {
    process.stdout.write(JSON.stringify({ sent: 2 }) + "\n", function () { process.exit(0); });
}, 1000);
