#!/usr/bin/env node
// Interop client: the reference Node configuration client (@tars/config 2.0.5) loading files
// from a (Rust) tars.tarsconfig.ConfigObj found through the locator.
//
//   node config-client.js <tars config file> <server file> <json file> <app file> <missing file>
//
// The tars config file is the server configuration tarsnode writes (<tars><application> with
// <client> locator and <server> app, server, localip); @tars/config reads it itself (its own
// @tars/rpc Communicator is initialised from the file) and sends localip as ConfigInfo.host.
// Calls, one after the other (in this order, which the Rust test relies on):
//
//   loadConfig(<server file>, {format: TEXT})                "server_text"
//   loadConfig(<server file>)              (format C)        "server_c"
//   loadConfig(<json file>, {format: JSON})                  "json"
//   loadConfig(<app file>, {location: APP, format: TEXT})    "app_text"
//   loadConfig(<app file>, {location: APP})  (format C)      "app_c"
//   loadConfig(<missing file>, {format: TEXT})               "missing_text"
//   loadList()                                               "list"
//   loadList({location: APP})                                "app_list"
//
// Prints ONE JSON line {<key>: result, "errors": [str]} and exits 0 if every call succeeded,
// else 1. A call that fails is reported in "errors" and its key is left out.
"use strict";

process.removeAllListeners("warning");
process.on("warning", function (w) {
    if (!/circular dependency/.test(String(w && w.message))) { console.error(String(w && w.stack || w)); }
});

var TarsConfig = require("@tars/config");

var args = process.argv.slice(2);
if (args.length !== 5) {
    console.error("usage: config-client.js <tars config file> <server file> <json file> <app file> <missing file>");
    process.exit(2);
}
var serverFile = args[1], jsonFile = args[2], appFile = args[3], missingFile = args[4];
var config = new TarsConfig(args[0]);
var FORMAT = config.FORMAT, LOCATION = config.LOCATION;
var result = { errors: [] };

var describe = function (step, e) {
    var err = e && e.response && e.response.error;
    return step + ": " + (err ? (err.code + " " + err.message) : (e && e.message || String(e)));
};

var calls = [
    ["server_text", function () { return config.loadConfig(serverFile, { format: FORMAT.TEXT }); }],
    ["server_c", function () { return config.loadConfig(serverFile); }],
    ["json", function () { return config.loadConfig(jsonFile, { format: FORMAT.JSON }); }],
    ["app_text", function () { return config.loadConfig(appFile, { location: LOCATION.APP, format: FORMAT.TEXT }); }],
    ["app_c", function () { return config.loadConfig(appFile, { location: LOCATION.APP }); }],
    ["missing_text", function () { return config.loadConfig(missingFile, { format: FORMAT.TEXT }); }],
    ["list", function () { return config.loadList(); }],
    ["app_list", function () { return config.loadList({ location: LOCATION.APP }); }]
];

var finished = false;
var finish = function () {
    if (finished) { return; }
    finished = true;
    process.stdout.write(JSON.stringify(result) + "\n", function () {
        process.exit(result.errors.length === 0 ? 0 : 1);
    });
};
process.on("uncaughtException", function (e) {
    result.errors.push("uncaught: " + (e && e.message || String(e)));
    finish();
});
calls.reduce(function (p, call) {
    return p.then(function () {
        return call[1]().then(function (value) { result[call[0]] = value; },
            function (e) { result.errors.push(describe(call[0], e)); });
    });
}, Promise.resolve()).then(finish, function (e) {
    result.errors.push("driver: " + (e && e.message || String(e)));
    finish();
});
