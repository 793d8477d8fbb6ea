package tarsplane.interop;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.qq.tars.client.Communicator;
import com.qq.tars.client.CommunicatorFactory;
import com.qq.tars.client.ServantProxy;
import com.qq.tars.common.support.Holder;
import com.qq.tars.common.util.Config;
import com.qq.tars.server.config.ConfigurationManager;
import com.qq.tars.server.config.ServerConfig;
import com.qq.tars.support.config.ConfigHelper;
import com.qq.tars.support.config.prx.ConfigInfo;
import com.qq.tars.support.config.prx.ConfigPrx;
import com.qq.tars.support.log.prx.LogInfo;
import com.qq.tars.support.log.prx.LogPrx;
import com.qq.tars.support.log.prx.LogPrxCallback;
import com.qq.tars.support.notify.NotifyHelper;
import com.qq.tars.support.property.CommonPropertyPolicy;
import com.qq.tars.support.property.PropertyReportHelper;
import com.qq.tars.support.query.prx.EndpointF;
import com.qq.tars.support.query.prx.QueryFPrx;
import com.qq.tars.support.stat.InvokeStatHelper;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Real TarsJava (tars-core 1.7.3) clients against tarsplane.
 *
 * <pre>
 *   java -cp JAR:DEPS tarsplane.interop.Main COMMAND CONFIG [ARGS..]
 * </pre>
 *
 * CONFIG is a TARS server configuration file (the {@code <tars><application>} file tarsnode
 * writes), loaded with TarsJava's own {@code ServerConfig}: {@code <client>} gives the
 * Communicator (locator, stat, property, modulename, report-interval), {@code <server>} the
 * app, server, log and notify objects. Commands:
 *
 * <ul>
 *   <li>{@code registry LOOKUP_ID ECHO_ID}: QueryFPrx's six lookups of LOOKUP_ID through the
 *       locator, {@code Communicator.getEndpoint4All(LOOKUP_ID)}, and a proxy for ECHO_ID (no
 *       endpoint: TarsJava resolves it through the locator) calling {@code echo("via
 *       locator")}.</li>
 *   <li>{@code ping OBJECT..}: {@code tars_ping} on each object (resolved through the locator
 *       unless it names its endpoints).</li>
 *   <li>{@code monitor ECHO_ID}: three {@code echo} calls and one call of a function the servant
 *       does not have, then TarsJava's stat report of that proxy (what its report timer runs);
 *       property {@code queue} with every CommonPropertyPolicy fed 4, 8 and 12, then
 *       {@code PropertyReportHelper.report()} (what the server runtime's timer runs).</li>
 *   <li>{@code log MARKER}: {@code async_loggerbyInfo} as TarsJava's logback appender sends it
 *       (file {@code app}, format {@code %Y%m%d%H}, each line ending in a newline) with three
 *       lines, and {@code logger} (file {@code raw}, format {@code %Y%m%d}) with one.</li>
 *   <li>{@code notify MARKER}: NotifyHelper's {@code syncReport} (reportServer) and
 *       {@code notifyWarn} / {@code notifyError} (one-way notifyServer).</li>
 *   <li>{@code config SERVER_FILE JSON_FILE APP_FILE MISSING_FILE}: remote configuration as a
 *       TarsJava server loads it: {@code ConfigHelper.loadConfig} (what {@code tars.loadconfig}
 *       and applications call; {@code loadConfigByInfo}, the file written to
 *       {@code <basepath>/conf/<file>}) for SERVER_FILE and JSON_FILE, ConfigHelper's own
 *       application-level path (private {@code loadConfig(file, true)}, which tars-core has but
 *       does not expose) for APP_FILE, {@code ConfigHelper.loadConfig(MISSING_FILE)} (expected
 *       to fail), then the file lists through {@code ConfigPrx} ({@code ListConfig} and
 *       {@code ListConfigByInfo} with bAppOnly; tars-core's ConfigPrx has no
 *       {@code ListAllConfigByInfo}).</li>
 * </ul>
 *
 * Prints ONE JSON line {@code {"errors": [..], ...}} on stdout, then waits until stdin is closed
 * (so one-way sends leave before the JVM stops) and exits 0 if there were no errors, else 1.
 * TarsJava's own logging goes to stderr.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: Main registry|ping|monitor|log|notify|config CONFIG [ARGS..]");
            System.exit(2);
        }
        String command = args[0];
        String[] rest = Arrays.copyOfRange(args, 2, args.length);
        JsonObject out = new JsonObject();
        JsonArray errors = new JsonArray();
        out.add("errors", errors);
        try {
            ServerConfig server = new ServerConfig().load(Config.parseFile(args[1]));
            ConfigurationManager.getInstance().setServerConfig(server);
            ConfigurationManager.getInstance().setCommunicatorConfig(server.getCommunicatorConfig());
            Communicator communicator =
                    CommunicatorFactory.getInstance().getCommunicator(server.getCommunicatorConfig());
            switch (command) {
                case "registry" -> registry(communicator, rest, out, errors);
                case "ping" -> ping(communicator, rest, out, errors);
                case "monitor" -> monitor(communicator, rest, out, errors);
                case "log" -> log(communicator, server, rest, out, errors);
                case "notify" -> notify(communicator, server, rest, out, errors);
                case "config" -> config(communicator, server, rest, out, errors);
                default -> errors.add("unknown command " + command);
            }
        } catch (Throwable t) {
            errors.add("driver: " + describe(t));
        }
        System.out.println(out);
        System.out.flush();
        hold();
        System.exit(errors.isEmpty() ? 0 : 1);
    }

    /** Blocks until stdin reaches end of file. */
    private static void hold() {
        try {
            while (System.in.read() != -1) {
                // discard
            }
        } catch (IOException e) {
            // stdin gone: exit as well
        }
    }

    private static void need(String[] rest, int n, String usage) {
        if (rest.length != n) {
            throw new IllegalArgumentException("usage: " + usage);
        }
    }

    private static String describe(Throwable t) {
        StringBuilder s = new StringBuilder(t.getClass().getSimpleName() + ": " + t.getMessage());
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            s.append(" <- ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
        }
        return s.toString();
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void step(JsonArray errors, String name, Step step) {
        try {
            step.run();
        } catch (Throwable t) {
            errors.add(name + ": " + describe(t));
        }
    }

    private static JsonArray endpoints(List<EndpointF> list) {
        JsonArray out = new JsonArray();
        if (list == null) {
            return out;
        }
        for (EndpointF e : list) {
            JsonObject o = new JsonObject();
            o.addProperty("host", e.getHost());
            o.addProperty("port", e.getPort());
            o.addProperty("timeout", e.getTimeout());
            o.addProperty("istcp", e.getIstcp());
            out.add(o);
        }
        return out;
    }

    private interface Lookup {
        int call(Holder<List<EndpointF>> active, Holder<List<EndpointF>> inactive);
    }

    private static void lookup(JsonObject lookups, JsonArray errors, String method, Lookup lookup) {
        step(errors, method, () -> {
            Holder<List<EndpointF>> active = new Holder<>(new ArrayList<>());
            Holder<List<EndpointF>> inactive = new Holder<>(new ArrayList<>());
            int ret = lookup.call(active, inactive);
            JsonObject o = new JsonObject();
            o.addProperty("ret", ret);
            o.add("active", endpoints(active.getValue()));
            o.add("inactive", endpoints(inactive.getValue()));
            lookups.add(method, o);
        });
    }

    private static void registry(Communicator communicator, String[] rest, JsonObject out, JsonArray errors) {
        need(rest, 2, "registry LOOKUP_ID ECHO_ID");
        String id = rest[0];
        String echoId = rest[1];
        QueryFPrx query = communicator.stringToProxy(QueryFPrx.class, communicator.getCommunicatorConfig().getLocator());
        JsonObject lookups = new JsonObject();
        out.add("lookups", lookups);
        step(errors, "findObjectById", () -> {
            JsonObject o = new JsonObject();
            o.add("active", endpoints(query.findObjectById(id)));
            lookups.add("findObjectById", o);
        });
        lookup(lookups, errors, "findObjectById4Any", (a, i) -> query.findObjectById4Any(id, a, i));
        lookup(lookups, errors, "findObjectById4All", (a, i) -> query.findObjectById4All(id, a, i));
        lookup(lookups, errors, "findObjectByIdInSameGroup", (a, i) -> query.findObjectByIdInSameGroup(id, a, i));
        lookup(lookups, errors, "findObjectByIdInSameStation", (a, i) -> query.findObjectByIdInSameStation(id, "sz", a, i));
        lookup(lookups, errors, "findObjectByIdInSameSet", (a, i) -> query.findObjectByIdInSameSet(id, "app.sz.1", a, i));
        step(errors, "getEndpoint4All", () -> out.add("getEndpoint4All", endpoints(communicator.getEndpoint4All(id))));
        step(errors, "echo", () -> {
            EchoPrx echo = communicator.stringToProxy(EchoPrx.class, echoId);
            out.addProperty("resolved", ((ServantProxy) echo).getConfig().getObjectName());
            out.addProperty("echo", echo.echo("via locator"));
        });
    }

    private static void ping(Communicator communicator, String[] rest, JsonObject out, JsonArray errors) {
        if (rest.length == 0) {
            throw new IllegalArgumentException("usage: ping OBJECT..");
        }
        JsonArray pinged = new JsonArray();
        out.add("pinged", pinged);
        for (String object : rest) {
            step(errors, "tars_ping " + object, () -> {
                communicator.stringToProxy(PingPrx.class, object).tars_ping();
                pinged.add(object);
            });
        }
    }

    private static void monitor(Communicator communicator, String[] rest, JsonObject out, JsonArray errors) {
        need(rest, 1, "monitor ECHO_ID");
        String echoId = rest[0];
        EchoPrx echo = communicator.stringToProxy(EchoPrx.class, echoId);
        int calls = 0;
        for (int i = 0; i < 3; i++) {
            if (("stat " + i).equals(echo.echo("stat " + i))) {
                calls++;
            }
        }
        out.addProperty("calls", calls);
        try {
            echo.nope();
            errors.add("nope: the echo servant answered a function it does not have");
        } catch (RuntimeException expected) {
            out.addProperty("failed", describe(expected));
        }
        // What ObjectProxy's ServantStatReporter runs every report-interval (its first run comes
        // report-interval plus up to 29 s after the proxy is made, so the test runs it itself).
        communicator.getStatHelper().report(InvokeStatHelper.getInstance().getProxyStat(echoId), true);

        // What OmServiceMngr and ScheduledServiceMngr do in a TarsJava server.
        PropertyReportHelper property = PropertyReportHelper.getInstance();
        property.init(communicator, communicator.getCommunicatorConfig().getModuleName());
        property.createPropertyReporter("queue",
                new CommonPropertyPolicy.Sum(),
                new CommonPropertyPolicy.Max(),
                new CommonPropertyPolicy.Min(),
                new CommonPropertyPolicy.Count(),
                new CommonPropertyPolicy.Avg(),
                new CommonPropertyPolicy.Distr(List.of(0, 10, 100)));
        for (int v : new int[] {4, 8, 12}) {
            property.reportPropertyValue("queue", v);
        }
        property.report();
        out.addProperty("property", true);
    }

    private static void log(Communicator communicator, ServerConfig server, String[] rest, JsonObject out, JsonArray errors)
            throws InterruptedException {
        need(rest, 1, "log MARKER");
        String marker = rest[0];
        LogPrx log = communicator.stringToProxy(LogPrx.class, server.getLog());

        // As TarsJava's logback appender (tars-plugins TarsLoggerServerAppender) fills it: the
        // IDL defaults for everything but the names and an hourly format.
        LogInfo info = new LogInfo();
        info.setAppname(server.getApplication());
        info.setServername(server.getServerName());
        info.setSFilename("app");
        info.setSFormat("%Y%m%d%H");
        List<String> lines = List.of(marker + " one\n", marker + " two\n", marker + " 中文\n");
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<String> failure = new AtomicReference<>();
        log.async_loggerbyInfo(new LogPrxCallback() {
            @Override
            public void callback_logger() {
            }

            @Override
            public void callback_loggerbyInfo() {
                done.countDown();
            }

            @Override
            public void callback_exception(Throwable t) {
                failure.set(describe(t));
                done.countDown();
            }

            @Override
            public void callback_expired() {
                failure.set("expired");
                done.countDown();
            }
        }, info, lines);
        if (!done.await(10, TimeUnit.SECONDS)) {
            errors.add("loggerbyInfo: no answer within 10 s");
        } else if (failure.get() != null) {
            errors.add("loggerbyInfo: " + failure.get());
        }
        out.addProperty("loggerbyInfo", lines.size());
        step(errors, "logger", () -> log.logger(server.getApplication(), server.getServerName(), "raw", "%Y%m%d",
                List.of(marker + " raw\n")));
        out.addProperty("logger", 1);
    }

    private static void notify(Communicator communicator, ServerConfig server, String[] rest, JsonObject out, JsonArray errors) {
        need(rest, 1, "notify MARKER");
        String marker = rest[0];
        // What OmServiceMngr does in a TarsJava server.
        NotifyHelper notify = NotifyHelper.getInstance();
        notify.setNotifyInfo(communicator, server.getApplication(), server.getServerName());
        notify.syncReport(marker + " report");
        notify.notifyWarn(marker + " warn");
        notify.notifyError(marker + " error");
        out.addProperty("thread", Long.toString(Thread.currentThread().getId()));
        out.addProperty("sent", 3);
    }

    private static void config(Communicator communicator, ServerConfig server, String[] rest, JsonObject out, JsonArray errors)
            throws NoSuchMethodException {
        need(rest, 4, "config SERVER_FILE JSON_FILE APP_FILE MISSING_FILE");
        String app = server.getApplication();
        String serverName = server.getServerName();
        // What OmServiceMngr does in a TarsJava server: files go to <basepath>/conf/.
        ConfigHelper helper = ConfigHelper.getInstance();
        helper.setConfigInfo(communicator, app, serverName, server.getBasePath());
        Path dir = Path.of(server.getBasePath(), "conf");
        Method appOnly = ConfigHelper.class.getDeclaredMethod("loadConfig", String.class, boolean.class);
        appOnly.setAccessible(true);

        JsonObject loaded = new JsonObject();
        out.add("loaded", loaded);
        for (String file : new String[] {rest[0], rest[1], rest[2]}) {
            boolean appLevel = file.equals(rest[2]);
            step(errors, file, () -> {
                boolean ok;
                try {
                    ok = appLevel ? (Boolean) appOnly.invoke(helper, file, true) : helper.loadConfig(file);
                } catch (InvocationTargetException e) {
                    if (e.getCause() instanceof Exception cause) {
                        throw cause;
                    }
                    throw e;
                }
                if (!ok) {
                    throw new IllegalStateException("loadConfig answered false");
                }
                loaded.addProperty(file, Files.readString(dir.resolve(file), StandardCharsets.UTF_8));
            });
        }
        try {
            helper.loadConfig(rest[3]);
            errors.add(rest[3] + ": loaded without an error");
        } catch (RuntimeException expected) {
            out.addProperty("missing_error", describe(expected));
        }
        out.addProperty("missing_written", Files.exists(dir.resolve(rest[3])));
        JsonArray files = new JsonArray();
        step(errors, "list conf", () -> {
            try (var paths = Files.list(dir)) {
                paths.map(p -> p.getFileName().toString()).sorted().forEach(files::add);
            }
        });
        out.add("conf_dir", files);

        ConfigPrx config = communicator.stringToProxy(ConfigPrx.class, server.getConfig());
        step(errors, "ListConfig", () -> {
            Holder<List<String>> vf = new Holder<>(new ArrayList<>());
            int ret = config.ListConfig(app, serverName, vf);
            out.add("list", list(ret, vf.getValue()));
        });
        step(errors, "ListConfigByInfo", () -> {
            Holder<List<String>> vf = new Holder<>(new ArrayList<>());
            ConfigInfo info = new ConfigInfo(app, "", "", true, server.getLocalIP(),
                    server.getCommunicatorConfig().getSetDivision());
            int ret = config.ListConfigByInfo(info, vf);
            out.add("app_list", list(ret, vf.getValue()));
        });
    }

    private static JsonObject list(int ret, List<String> names) {
        JsonObject o = new JsonObject();
        o.addProperty("ret", ret);
        JsonArray vf = new JsonArray();
        if (names != null) {
            names.forEach(vf::add);
        }
        o.add("vf", vf);
        return o;
    }
}
