//! Generated inputs shared by the criterion benchmarks (`tarsplane-bench`), the examples that
//! write registry and config files, and the instruction-count cases: a registry of `n`
//! TEndpoints, `n` TConfigs, stat documents for the sink and log requests.

pub mod registry_fixture {
    //! Generated registries for the registry benchmarks: `n` TARS servers, each with two
    //! servants and three active pods, one of them `Test.HelloServer`.

    use std::fmt::Write as _;

    /// The id every benchmark looks up: three active endpoints.
    pub const LOOKUP_ID: &str = "Test.HelloServer.HelloObj";

    /// The TEndpoint of server `i` (0 is `test-helloserver`) as JSON.
    pub fn tendpoint(i: usize) -> serde_json::Value {
        let name = if i == 0 {
            "test-helloserver".to_owned()
        } else {
            format!("app{}-server{i}", i % 97)
        };
        serde_json::json!({
            "apiVersion": "k8s.tars.io/v1beta3",
            "kind": "TEndpoint",
            "metadata": {"name": name, "namespace": "tars"},
            "spec": {"tars": {"template": "tars.cpp", "profile": "", "servants": [
                {"name": "HelloObj", "port": 10000, "timeout": 3000},
                {"name": "AdminObj", "port": 10001},
            ]}},
            "status": {"pods": [
                {"name": format!("{name}-0"), "settingState": "Active", "presentState": "Active"},
                {"name": format!("{name}-1"), "settingState": "Active", "presentState": "Active"},
                {"name": format!("{name}-2"), "settingState": "Active", "presentState": "Active"},
            ]}
        })
    }

    /// `n` TEndpoints as a YAML file (JSON documents are YAML).
    pub fn yaml(n: usize) -> String {
        let mut out = String::new();
        for i in 0..n {
            let _ = writeln!(out, "---\n{}", tendpoint(i));
        }
        out
    }
}

pub mod config_fixture {
    //! Generated TConfigs for the config benchmarks: `n` objects over `n / 5` servers of app
    //! `Bench`, each server with four server-level files (`f0.conf`..`f3.conf`, ~200 bytes of
    //! `TC_Config` text) and a pod-level `f0.conf` for pod 1.

    use std::fmt::Write as _;

    /// The file every benchmark loads: server `Server7`, `f0.conf`, as pod 1.
    pub const SERVER: &str = "Server7";
    /// The file loaded.
    pub const FILE: &str = "f0.conf";
    /// The caller: pod 1 of `Bench.Server7`.
    pub const HOST: &str = "bench-server7-1.bench-server7";

    fn content(server: usize, file: usize, pod: bool) -> String {
        let mut text = format!("<bench>\n  server = Server{server}\n  file = f{file}.conf\n");
        if pod {
            text.push_str("  pod = 1\n");
        }
        for k in 0..5 {
            let _ = writeln!(text, "  key{k} = value {k} of a typical configuration line");
        }
        text.push_str("</bench>\n");
        text
    }

    /// TConfig `i` as JSON.
    pub fn tconfig(i: usize) -> serde_json::Value {
        let (server, slot) = (i / 5, i % 5);
        let (file, seq) = if slot == 4 { (0, "1") } else { (slot, "m") };
        serde_json::json!({
            "apiVersion": "k8s.tars.io/v1beta3",
            "kind": "TConfig",
            "metadata": {"name": format!("bench-server{server}-f{file}-{seq}"), "namespace": "tars"},
            "app": "Bench",
            "server": format!("Server{server}"),
            "configName": format!("f{file}.conf"),
            "podSeq": seq,
            "activated": true,
            "configContent": content(server, file, seq != "m"),
        })
    }

    /// `n` TConfigs as a YAML file (JSON documents are YAML).
    pub fn yaml(n: usize) -> String {
        let mut out = String::new();
        for i in 0..n {
            let _ = writeln!(out, "---\n{}", tconfig(i));
        }
        out
    }
}

pub mod sink_fixture {
    //! K8SFramework stat documents (framework facts §5.2) for the sink benchmarks.

    /// Appends stat document `i` (fields in the reference's order, values varying with `i`) to
    /// `batch`.
    ///
    /// # Errors
    /// Only when the batch refuses the document (never for these names).
    pub fn push_stat(batch: &mut sink::Batch, i: usize) -> sink::Result<()> {
        let n = i as i64;
        let id = sink::doc_id(&[b"10.0.0.1", b"20240328", b"0960", &i.to_le_bytes()]);
        batch.push(sink::Op::Index, "tars_stat_20240328", id.as_str(), |d| {
            d.str("source_id", "10.0.0.1")
                .int("f_timestamp", 1_711_620_000)
                .str("f_date", "20240328")
                .str("f_tflag", "0960")
                .str("master_name", "Test.HelloClient")
                .str("slave_name", "Test.HelloServer")
                .str("interface_name", "sayHello")
                .str("tars_version", "3.0.1")
                .str("master_ip", "10.1.2.3")
                .str("slave_ip", "10.1.2.4")
                .int("slave_port", 10_000 + n % 100)
                .int("return_value", 0)
                .int("succ_count", 1000 + n)
                .int("timeout_count", n % 3)
                .int("exce_count", n % 5)
                .int("total_count", 1000 + n + n % 3 + n % 5)
                .int("total_time", 52_341 + n)
                .str("interv_count", "100|900,200|80,500|20")
                .int("ave_time", 52)
                .int("maxrsp_time", 480)
                .int("minrsp_time", 1);
        })
    }
}

pub mod log_fixture {
    //! `loggerbyInfo` arguments for the log benchmarks.

    use tars_rpc::interfaces::log::{LogInfo, LoggerByInfoArgs};

    /// A daily `Bench.Server` `app` log with K8SFramework's usual options, carrying `n` copies of
    /// `line`.
    pub fn logger_by_info(line: &[u8], n: usize) -> LoggerByInfoArgs<'_> {
        LoggerByInfoArgs {
            info: LogInfo {
                appname: b"Bench",
                servername: b"Server",
                filename: b"app",
                format: b"%Y%m%d",
                setdivision: b"",
                has_sufix: true,
                has_app_name_prefix: true,
                has_square_bracket: false,
                concat_str: b"_",
                separ: b"|",
                log_type: b"day",
            },
            buffer: vec![line; n],
        }
    }
}

pub mod trace_fixture {
    //! Trace lines as the log service hands them to the trace pipeline (`node|app|server|`
    //! then the client's line), shaped like TarsGo's: 32-hex trace ids, 16-hex span ids,
    //! base64 JSON data. Trace `t` is a client calling `FrontObj.hello`, which calls
    //! `BackObj.world` once: two spans, each with its cs, sr, ss and cr line, eight lines.

    use std::fmt::Write as _;

    /// Lines per generated trace.
    pub const LINES_PER_TRACE: usize = 8;

    /// The eight lines of trace `t`, their times from `at_ms`, in arrival order (a server's
    /// `sr` before its own calls, the caller's `cr` last).
    pub fn trace_lines(t: usize, at_ms: i64) -> Vec<String> {
        let trace = format!(
            "f-{:032x}",
            (t as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
        );
        let root = format!(
            "{:016x}",
            (t as u64).wrapping_mul(0x2545_f491_4f6c_dd1d) | 1
        );
        let child = format!(
            "{:016x}",
            (t as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 2
        );
        let app = format!("App{}", t % 13);
        let client = format!("{app}.Client{}", t % 7);
        let front = format!("{app}.FrontServer");
        let back = format!("{app}.BackServer");
        let stamp = "2026-12-05 18:30:00";
        let mut lines = Vec::with_capacity(LINES_PER_TRACE);
        let mut line =
            |node: &str, server: &str, rest: std::fmt::Arguments<'_>, ms: i64, data: &str| {
                let (a, s) = server.split_once('.').unwrap_or((server, ""));
                let mut text = String::with_capacity(192);
                let _ = writeln!(
                    text,
                    "{node}|{a}|{s}|{stamp}|{trace}|{rest}|{}|0|{data}|",
                    at_ms + ms
                );
                lines.push(text);
            };
        let args = "eyJuYW1lIjoiY2FsbGVyIDAifQ==";
        let result = "eyIiOjAsImdyZWV0aW5nIjoiaGVsbG8gY2FsbGVyIDAifQ==";
        let node = |s: &str| {
            format!(
                "{}-0.{}",
                s.to_lowercase().replace('.', "-"),
                s.to_lowercase().replace('.', "-")
            )
        };
        let (cn, fnode, bnode) = (node(&client), node(&front), node(&back));
        line(
            &cn,
            &client,
            format_args!("{root}|{root}|cs|{client}|{front}.FrontObj|hello"),
            0,
            args,
        );
        line(
            &fnode,
            &front,
            format_args!("{root}|*|sr|{front}|{front}.FrontObj|hello"),
            1,
            args,
        );
        line(
            &fnode,
            &front,
            format_args!("{child}|{root}|cs|{front}|{back}.BackObj|world"),
            2,
            args,
        );
        line(
            &bnode,
            &back,
            format_args!("{child}|*|sr|{back}|{back}.BackObj|world"),
            3,
            args,
        );
        line(
            &bnode,
            &back,
            format_args!("{child}|*|ss|{back}|{back}.BackObj|world"),
            4,
            result,
        );
        line(
            &fnode,
            &front,
            format_args!("{child}|{root}|cr|{front}|{back}.BackObj|world"),
            5,
            result,
        );
        line(
            &fnode,
            &front,
            format_args!("{root}|*|ss|{front}|{front}.FrontObj|hello"),
            6,
            result,
        );
        line(
            &cn,
            &client,
            format_args!("{root}|{root}|cr|{client}|{front}.FrontObj|hello"),
            7,
            result,
        );
        lines
    }

    /// The lines of traces `0..n`, interleaved the way concurrent calls arrive: `width`
    /// traces in flight at a time, their lines alternating.
    pub fn interleaved(n: usize, width: usize, at_ms: i64) -> Vec<String> {
        let mut out = Vec::with_capacity(n * LINES_PER_TRACE);
        for group in (0..n).collect::<Vec<_>>().chunks(width.max(1)) {
            let traces: Vec<Vec<String>> = group.iter().map(|&t| trace_lines(t, at_ms)).collect();
            for i in 0..LINES_PER_TRACE {
                for lines in &traces {
                    out.push(lines[i].clone());
                }
            }
        }
        out
    }
}
