#!/usr/bin/env node
// Interop: the reference Node remote-log transport (@tars/winston-tars 2.1.3 on winston 2.4.7)
// writing through a (Rust) LogObj.
//
//   node winston-client.js <host> <port> <marker>
//
// As server Node.Logger, file "app", daily rolling (LogByDay: sFormat "%Y%m%d", sLogType
// "1day"): logs "<marker> one", "<marker> two" and "<marker> 中文" (UTF-8) with a formatter
// that writes the bare message, so each line in the file is "<node>|<message>". The transport
// sends loggerbyInfo every 100 ms; waits 1 s, prints ONE JSON line {"lines": 3} and exits 0.
"use strict";

process.removeAllListeners("warning");
process.on("warning", function (w) {
    if (!/circular dependency/.test(String(w && w.message))) { console.error(String(w && w.stack || w)); }
});

var winston = require("winston");
require("@tars/winston-tars");
var Config = require("@tars/utils").Config;

var host = process.argv[2], port = process.argv[3], marker = process.argv[4];
if (!host || !port || !marker) {
    console.error("usage: node winston-client.js <host> <port> <marker>");
    process.exit(2);
}
var cfg = new Config();
cfg.parseText([
    "<tars>",
    "  <application>",
    "    <server>",
    "      app = Node",
    "      server = Logger",
    "    </server>",
    "  </application>",
    "</tars>"
].join("\n"));
var transport = new winston.transports.TarsRemote({
    tarsConfig: cfg,
    tarsLogServant: "tars.tarslog.LogObj@tcp -h " + host + " -p " + port + " -t 3000",
    filename: "app",
    interval: 100,
    formatter: function (options) { return options.message; }
});
var logger = new winston.Logger({ transports: [transport] });
logger.info(marker + " one");
logger.info(marker + " two");
logger.warn(marker + " 中文");
setTimeout(function () {
    process.stdout.write(JSON.stringify({ lines: 3 }) + "\n", function () { process.exit(0); });
}, 1000);
