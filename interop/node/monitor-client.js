#!/usr/bin/env node
// Interop reporter: the reference Node stat and property reporters (@tars/monitor 2.1.4)
// sending to (Rust) StatObj and PropertyObj.
//
//   node monitor-client.js <stat host> <stat port> <property host> <property port>
//
// Reports, as module "Node.Reporter":
//   stat (client side, to Test.HelloServer.sayHello): 5 successes taking 10, 20, 30, 40 and
//     600 ms, 2 timeouts, 1 error;
//   property "queue": values 4, 8 and 12 under Sum, Max, Min, Count, Avg and Distr([0, 10, 100]).
// Flushes both reporters after 300 ms, waits for the one-way sends to leave, prints ONE JSON
// line {"stat": true, "property": true} and exits 0.
"use strict";

// @tars/* print harmless "circular dependency" warnings under Node 20: drop only those.
process.removeAllListeners("warning");
process.on("warning", function (w) {
    if (!/circular dependency/.test(String(w && w.message))) { console.error(String(w && w.stack || w)); }
});

var monitor = require("@tars/monitor");
var Config = require("@tars/utils").Config;

var args = process.argv.slice(2);
if (args.length !== 4) {
    console.error("usage: monitor-client.js <stat host> <stat port> <property host> <property port>");
    process.exit(2);
}
var statObj = "tars.tarsstat.StatObj@tcp -h " + args[0] + " -p " + args[1] + " -t 3000";
var propertyObj = "tars.tarsproperty.PropertyObj@tcp -h " + args[2] + " -p " + args[3] + " -t 3000";

var cfg = new Config();
cfg.parseText([
    "<tars>",
    "  <application>",
    "    <client>",
    "      stat = " + statObj,
    "      property = " + propertyObj,
    "      report-interval = 10000",
    "      modulename = Node.Reporter",
    "    </client>",
    "    <server>",
    "      app = Node",
    "      server = Reporter",
    "      localip = 127.0.0.1",
    "    </server>",
    "  </application>",
    "</tars>"
].join("\n"));

// stat: init with the parsed JSON; the interval is clamped to >= 10 s, so shorten it after.
monitor.stat.init(cfg.json);
monitor.stat.reportInterval = 300;
var head = {
    masterName: "Node.Reporter",
    slaveName: "Test.HelloServer",
    interfaceName: "sayHello",
    masterIp: "",
    slaveIp: "10.1.2.3",
    slavePort: 9000,
    returnValue: 0,
    bFromClient: true
};
[10, 20, 30, 40, 600].forEach(function (ms) { monitor.stat.report(head, monitor.stat.TYPE.SUCCESS, ms); });
monitor.stat.report(head, monitor.stat.TYPE.TIMEOUT, 3000);
monitor.stat.report(head, monitor.stat.TYPE.TIMEOUT, 3000);
monitor.stat.report(head, monitor.stat.TYPE.ERROR, 5);

// property: init with the Config instance.
monitor.property.init(cfg);
monitor.property.reportInterval = 300;
var P = monitor.property.POLICY;
var queue = monitor.property.create("queue", [
    new P.Sum(), new P.Max(), new P.Min(), new P.Count(), new P.Avg(), new P.Distr([0, 10, 100])
]);
[4, 8, 12].forEach(function (v) { queue.report(v); });

setTimeout(function () {
    console.log(JSON.stringify({ stat: true, property: true }));
    process.exit(0);
}, 1500);
