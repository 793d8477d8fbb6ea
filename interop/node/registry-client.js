#!/usr/bin/env node
// Interop client: the reference Node registry client (@tars/registry 2.0.6) and @tars/rpc's
// locator resolution against a (Rust) registry.
//
//   node registry-client.js <registry host> <registry port> <lookup id> <echo id>
//
// 1. @tars/registry direct lookups of <lookup id> with all six methods (findObjectById,
//    4Any, 4All, InSameGroup, InSameStation "sz", InSameSet "app.sz.1").
// 2. @tars/rpc with only the locator set: a proxy for "<echo id>" (no endpoint) resolves it
//    through the registry (findObjectByIdInSameGroup) and calls Test.Echo.echo("via locator").
// Prints ONE JSON line
//   {"lookups": {method: {"active": [ep], "inactive": [ep]}}, "echo": str|null, "errors": [str]}
// with ep = {host, port, timeout, istcp}, and exits 0 if every step succeeded, else 1.
"use strict";

process.removeAllListeners("warning");
process.on("warning", function (w) {
    if (!/circular dependency/.test(String(w && w.message))) { console.error(String(w && w.stack || w)); }
});

var TarsRpc = require("@tars/rpc");
var registry = require("@tars/registry");
var Test = require("./rpc-client.js").Test;

var args = process.argv.slice(2);
if (args.length !== 4) {
    console.error("usage: registry-client.js <registry host> <registry port> <lookup id> <echo id>");
    process.exit(2);
}
var locator = "tars.tarsregistry.QueryObj@tcp -h " + args[0] + " -p " + args[1] + " -t 3000";
var lookupId = args[2], echoId = args[3];
var result = { lookups: {}, echo: null, errors: [] };

var endpoints = function (list) {
    var out = [];
    var items = list && list.value ? list.value : list;
    (items || []).forEach(function (e) {
        out.push({ host: e.host, port: e.port, timeout: e.timeout, istcp: e.istcp });
    });
    return out;
};

var describe = function (step, e) {
    var err = e && e.response && e.response.error;
    return step + ": " + (err ? (err.code + " " + err.message) : (e && e.message || String(e)));
};

registry.setLocator(locator);
var lookups = [
    ["findObjectById", function () { return registry.findObjectById(lookupId); }],
    ["findObjectById4Any", function () { return registry.findObjectById4Any(lookupId); }],
    ["findObjectById4All", function () { return registry.findObjectById4All(lookupId); }],
    ["findObjectByIdInSameGroup", function () { return registry.findObjectByIdInSameGroup(lookupId); }],
    ["findObjectByIdInSameStation", function () { return registry.findObjectByIdInSameStation(lookupId, "sz"); }],
    ["findObjectByIdInSameSet", function () { return registry.findObjectByIdInSameSet(lookupId, "app.sz.1"); }]
];
var steps = lookups.map(function (l) {
    return function () {
        return l[1]().then(function (r) {
            var res = r.response;
            if (l[0] === "findObjectById") {
                result.lookups[l[0]] = { active: endpoints(res.return), inactive: [] };
            } else {
                result.lookups[l[0]] = {
                    ret: res.return,
                    active: endpoints(res.arguments.activeEp),
                    inactive: endpoints(res.arguments.inactiveEp)
                };
            }
        }, function (e) { result.errors.push(describe(l[0], e)); });
    };
});
steps.push(function () {
    TarsRpc.client.setProperty("locator", locator);
    var proxy = TarsRpc.client.stringToProxy(Test.EchoProxy, echoId);
    return proxy.echo("via locator").then(function (r) { result.echo = r.response.return; },
        function (e) { result.errors.push(describe("echo", e)); });
});

var finished = false;
var finish = function () {
    if (finished) { return; }
    finished = true;
    var ok = result.errors.length === 0 && result.echo === "via locator";
    try { TarsRpc.client.destroy(); } catch (e) { /* exiting anyway */ }
    process.stdout.write(JSON.stringify(result) + "\n", function () { process.exit(ok ? 0 : 1); });
};
process.on("uncaughtException", function (e) {
    result.errors.push("uncaught: " + (e && e.message || String(e)));
    finish();
});
steps.reduce(function (p, step) { return p.then(step); }, Promise.resolve()).then(finish, function (e) {
    result.errors.push("driver: " + (e && e.message || String(e)));
    finish();
});
