//! `icount-check`: compares this run's instruction counts (gungraun's JSON lines) and
//! allocation counts (`icount-allocs`) with `bench/icount/baseline.json`, prints a table and
//! fails when an instruction count moves beyond its case's limit in either direction (±2 %
//! pure CPU, ±5 % hashing or tokio) or an allocation count or peak differs at all.
//!
//! With `--update WHY` it writes the new counts into the baseline with a history entry instead,
//! and regenerates the report (`bench/ICOUNT.md`) from it. `scripts/icount` runs it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{Value, json};
use tarsplane_icount::{Case, cases};

#[derive(Debug)]
struct Args {
    callgrind: PathBuf,
    allocs: PathBuf,
    baseline: PathBuf,
    report: PathBuf,
    update: Option<String>,
}

fn args() -> Result<Args, String> {
    let mut map = BTreeMap::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        map.insert(flag, value);
    }
    let mut take = |k: &str| map.remove(k);
    let path = |v: Option<String>, k: &str| v.map(PathBuf::from).ok_or(format!("{k} is required"));
    let args = Args {
        callgrind: path(take("--callgrind"), "--callgrind")?,
        allocs: path(take("--allocs"), "--allocs")?,
        baseline: path(take("--baseline"), "--baseline")?,
        report: path(take("--report"), "--report")?,
        update: take("--update"),
    };
    match map.keys().next() {
        Some(unknown) => Err(format!(
            "unknown option {unknown} (--callgrind --allocs --baseline --report --update)"
        )),
        None => Ok(args),
    }
}

/// This run's numbers of one case.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    ir: u64,
    allocations: u64,
    peak_bytes: u64,
}

fn read_lines(path: &PathBuf) -> Result<Vec<Value>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{}: {e}", path.display())))
        .collect()
}

/// The counts of this run by case name.
fn measured(args: &Args) -> Result<BTreeMap<String, Counts>, String> {
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    for line in read_lines(&args.callgrind)? {
        let id = line["id"]
            .as_str()
            .ok_or("a gungraun summary without an id")?;
        // Schema 7: profiles[tool = Callgrind].data.total.metrics.Ir.values.new
        let ir = line["profiles"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["tool"] == "Callgrind"))
            .and_then(|p| p["data"]["total"]["metrics"]["Ir"]["values"]["new"].as_u64())
            .ok_or_else(|| {
                format!("no callgrind Ir for {id} (gungraun summary schema changed?)")
            })?;
        counts.entry(id.to_owned()).or_default().ir = ir;
    }
    for line in read_lines(&args.allocs)? {
        let name = line["name"]
            .as_str()
            .ok_or("an allocation line without a name")?;
        let entry = counts.entry(name.to_owned()).or_default();
        entry.allocations = line["allocations"].as_u64().unwrap_or(u64::MAX);
        entry.peak_bytes = line["peak_bytes"].as_u64().unwrap_or(u64::MAX);
    }
    Ok(counts)
}

fn version(cmd: &str, arg: &str) -> String {
    std::process::Command::new(cmd)
        .arg(arg)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| format!("{cmd}: not found"), |s| s.trim().to_owned())
}

fn versions() -> Value {
    json!({
        "rustc": version("rustc", "--version"),
        "valgrind": version("valgrind", "--version"),
        "gungraun": version("gungraun-runner", "--version"),
        "profile": "icount",
    })
}

#[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
fn per_op(total: u64, ops: u64) -> f64 {
    total as f64 / ops.max(1) as f64
}

#[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
fn change_percent(old: u64, new: u64) -> f64 {
    if old == 0 {
        return if new == 0 { 0.0 } else { f64::INFINITY };
    }
    (new as f64 - old as f64) / old as f64 * 100.0
}

/// One row: the case, the baseline's counts, this run's, and what is wrong with them.
struct Row<'a> {
    case: &'a Case,
    old: Option<Counts>,
    new: Option<Counts>,
    problems: Vec<String>,
}

fn compare<'a>(all: &'a [Case], baseline: &Value, now: &BTreeMap<String, Counts>) -> Vec<Row<'a>> {
    all.iter()
        .map(|case| {
            let old = baseline["cases"].get(case.name).map(|b| Counts {
                ir: b["ir"].as_u64().unwrap_or(0),
                allocations: b["allocations"].as_u64().unwrap_or(0),
                peak_bytes: b["peak_bytes"].as_u64().unwrap_or(0),
            });
            let new = now.get(case.name).copied().filter(|c| c.ir > 0);
            let mut problems = Vec::new();
            match (old, new) {
                (None, _) => problems.push("not in the baseline".into()),
                (_, None) => problems.push("not measured (missing in benches/icount.rs?)".into()),
                (Some(old), Some(new)) => {
                    let moved = change_percent(old.ir, new.ir);
                    if moved.abs() > case.limit.percent() {
                        problems.push(format!(
                            "instructions {moved:+.2} % (limit ±{} %)",
                            case.limit.percent()
                        ));
                    }
                    if old.allocations != new.allocations {
                        problems.push("allocations changed".into());
                    }
                    if old.peak_bytes != new.peak_bytes {
                        problems.push("peak bytes changed".into());
                    }
                }
            }
            Row {
                case,
                old,
                new,
                problems,
            }
        })
        .collect()
}

fn table(rows: &[Row<'_>]) -> String {
    let mut out = format!(
        "{:<38} {:>13} {:>13} {:>8} {:>6} {:>17} {:>17}  {}\n",
        "case",
        "Ir/op base",
        "Ir/op now",
        "change",
        "limit",
        "allocs/op b→n",
        "peak B b→n",
        "status"
    );
    for row in rows {
        let ops = row.case.ops;
        let cell = |c: Option<Counts>, f: fn(Counts) -> u64| {
            c.map_or_else(|| "-".to_owned(), |c| format!("{:.1}", per_op(f(c), ops)))
        };
        let change = match (row.old, row.new) {
            (Some(o), Some(n)) => format!("{:+.2}%", change_percent(o.ir, n.ir)),
            _ => "-".into(),
        };
        let status = if row.problems.is_empty() {
            "ok".to_owned()
        } else {
            format!("FAIL: {}", row.problems.join("; "))
        };
        let _ = writeln!(
            out,
            "{:<38} {:>13} {:>13} {:>8} {:>5}% {:>17} {:>17}  {status}",
            row.case.name,
            cell(row.old, |c| c.ir),
            cell(row.new, |c| c.ir),
            change,
            row.case.limit.percent(),
            format!(
                "{}→{}",
                cell(row.old, |c| c.allocations),
                cell(row.new, |c| c.allocations)
            ),
            format!(
                "{}→{}",
                row.old.map_or("-".into(), |c| c.peak_bytes.to_string()),
                row.new.map_or("-".into(), |c| c.peak_bytes.to_string())
            ),
        );
    }
    out
}

/// The baseline with this run's counts and a history entry saying why they changed.
fn updated(all: &[Case], rows: &[Row<'_>], baseline: &Value, why: &str) -> Value {
    let mut cases_json = serde_json::Map::new();
    let mut changes = Vec::new();
    for row in rows {
        let Some(new) = row.new else { continue };
        cases_json.insert(
            row.case.name.into(),
            json!({
                "what": row.case.what,
                "ops": row.case.ops,
                "limit": row.case.limit.name(),
                "ir": new.ir,
                "allocations": new.allocations,
                "peak_bytes": new.peak_bytes,
            }),
        );
        let moved = row.old.is_none_or(|o| {
            o.ir != new.ir || o.allocations != new.allocations || o.peak_bytes != new.peak_bytes
        });
        if moved {
            changes.push(json!({
                "case": row.case.name,
                "ir_per_op": [row.old.map(|o| per_op(o.ir, row.case.ops)), per_op(new.ir, row.case.ops)],
                "allocations_per_op": [row.old.map(|o| per_op(o.allocations, row.case.ops)), per_op(new.allocations, row.case.ops)],
            }));
        }
    }
    debug_assert_eq!(cases_json.len(), all.len());
    let mut history = baseline["history"].as_array().cloned().unwrap_or_default();
    history.push(json!({
        "date": jiff::Timestamp::now().strftime("%Y-%m-%d").to_string(),
        "why": why,
        "versions": versions(),
        "changes": changes,
    }));
    json!({ "versions": versions(), "cases": cases_json, "history": history })
}

fn report(baseline: &Value) -> String {
    let mut out = String::from(
        "# Instruction counts\n\n\
         Generated by `scripts/icount --update WHY` from `bench/icount/baseline.json`; do not edit.\n\
         Every test run (`scripts/test`) measures these cases under callgrind and a counting\n\
         allocator and fails when an instruction count moves beyond its limit in either\n\
         direction or an allocation count or peak changes (`bench/icount/`).\n\n",
    );
    let v = &baseline["versions"];
    let _ = writeln!(
        out,
        "Measured with {}, {}, {}, cargo profile `{}`.\n",
        v["rustc"].as_str().unwrap_or("?"),
        v["valgrind"].as_str().unwrap_or("?"),
        v["gungraun"].as_str().unwrap_or("?"),
        v["profile"].as_str().unwrap_or("?")
    );
    out.push_str("| case | one operation | instructions / op | limit | allocations / op | peak bytes / op |\n|---|---|---:|---:|---:|---:|\n");
    for case in cases() {
        let b = &baseline["cases"][case.name];
        let total = |k: &str| b[k].as_u64().unwrap_or(0);
        let _ = writeln!(
            out,
            "| `{}` | {} | {:.0} | ±{} % | {:.2} | {} |",
            case.name,
            case.what,
            per_op(total("ir"), case.ops),
            case.limit.percent(),
            per_op(total("allocations"), case.ops),
            total("peak_bytes")
        );
    }
    out.push_str("\n## History\n\nNewest first; each entry lists the cases whose counts moved.\n");
    for entry in baseline["history"].as_array().into_iter().flatten().rev() {
        let _ = writeln!(
            out,
            "\n### {} — {}\n",
            entry["date"].as_str().unwrap_or("?"),
            entry["why"].as_str().unwrap_or("")
        );
        let changes = entry["changes"].as_array().cloned().unwrap_or_default();
        if changes.is_empty() {
            out.push_str("No count moved.\n");
        }
        for change in changes {
            let ir = &change["ir_per_op"];
            let _ = writeln!(
                out,
                "- `{}`: instructions / op {} → {:.0}",
                change["case"].as_str().unwrap_or("?"),
                ir[0].as_f64().map_or("new".into(), |v| format!("{v:.0}")),
                ir[1].as_f64().unwrap_or(0.0)
            );
        }
    }
    out
}

fn run() -> Result<bool, String> {
    let args = args()?;
    let all = cases();
    let baseline: Value = match std::fs::read_to_string(&args.baseline) {
        Ok(text) => {
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", args.baseline.display()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && args.update.is_some() => json!({}),
        Err(e) => return Err(format!("{}: {e}", args.baseline.display())),
    };
    let now = measured(&args)?;
    let rows = compare(&all, &baseline, &now);
    println!("{}", table(&rows));
    if let Some(why) = &args.update {
        if rows.iter().any(|r| r.new.is_none()) {
            return Err("a case was not measured; not updating the baseline".into());
        }
        let next = updated(&all, &rows, &baseline, why);
        let text = serde_json::to_string_pretty(&next).map_err(|e| e.to_string())? + "\n";
        std::fs::write(&args.baseline, text)
            .map_err(|e| format!("{}: {e}", args.baseline.display()))?;
        std::fs::write(&args.report, report(&next))
            .map_err(|e| format!("{}: {e}", args.report.display()))?;
        println!(
            "icount: baseline and {} updated; commit them with the change that moved them",
            args.report.display()
        );
        return Ok(true);
    }
    let failed = rows.iter().filter(|r| !r.problems.is_empty()).count();
    if failed > 0 {
        let (then, now) = (&baseline["versions"], versions());
        println!("icount: {failed} case(s) moved beyond their limits.");
        if *then != now {
            println!("  The tools differ from the baseline's: {then} now {now}");
            println!(
                "  (a toolchain, valgrind or gungraun change is re-baselined in its own commit)"
            );
        }
        println!(
            "  If the change is intended: scripts/icount --update \"why\" and commit bench/icount/baseline.json and bench/ICOUNT.md with it."
        );
        return Ok(false);
    }
    println!("icount: all {} cases within their limits", rows.len());
    Ok(true)
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("icount-check: {e}");
            ExitCode::from(2)
        }
    }
}
