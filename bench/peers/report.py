#!/usr/bin/env python3
"""The table and chart of `scripts/bench-peers` from its JSON lines (standard library only).

    bench/peers/report.py RESULTS.jsonl --table TABLE.md --chart CHART.svg

Codec lines: {"kind": "codec", "peer", "fixture", "op", "mb_per_s", ...}.
RPC lines:   {"kind": "rpc", "server", "call", "load", "round", "calls_per_s", "p50_us",
              "server_cpu_us_per_call", ...}; the median over rounds is reported.
"""

import argparse
import html
import json
import statistics
import sys

FIXTURES = ["stat-report-1000", "endpoints-100", "request-small"]
OPS = ["decode", "encode-fresh", "encode-reused"]
SERVERS = ["tarsplane", "tarsgo", "ceiling"]
SERVER_NAMES = {
    "tarsplane": "tarsplane up",
    "tarsgo": "TarsGo QueryF server",
    "ceiling": "tokio ceiling (decodes nothing)",
}
CALLS = ["ping", "find-object"]
LOADS = ["64x16", "16x1"]
COLOURS = {"tarsplane": "#1f6feb", "tarsgo": "#00a3a3", "ceiling": "#9a9a9a"}


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def codec_table(lines):
    mbs = {(l["peer"], l["fixture"], l["op"]): l["mb_per_s"] for l in lines if l["kind"] == "codec"}
    out = ["| fixture | operation | tarsplane MB/s | TarsGo MB/s | tarsplane / TarsGo |",
           "|---|---|---:|---:|---:|"]
    for fixture in FIXTURES:
        for op in OPS:
            ours, go = mbs.get(("tarsplane", fixture, op)), mbs.get(("tarsgo", fixture, op))
            ratio = f"{ours / go:.1f}x" if ours and go else "-"
            out.append(f"| {fixture} | {op} | {fmt(ours, 0)} | {fmt(go, 0)} | {ratio} |")
    return "\n".join(out), mbs


def fmt(value, digits):
    return "-" if value is None else f"{value:,.{digits}f}"


def rpc_medians(lines):
    runs = {}
    for l in lines:
        if l["kind"] == "rpc":
            runs.setdefault((l["server"], l["call"], l["load"]), []).append(l)
    medians = {}
    for key, rs in runs.items():
        def med(field):
            values = [r[field] for r in rs if r.get(field) is not None]
            return statistics.median(values) if values else None
        medians[key] = {
            "calls_per_s": med("calls_per_s"),
            "p50_us": med("p50_us"),
            "p99_us": med("p99_us"),
            "cpu": med("server_cpu_us_per_call"),
            "errors": sum(r.get("errors", 0) for r in rs),
            "rounds": len(rs),
        }
    return medians


def rpc_table(medians):
    out = ["| call | load (connections x depth) | server | calls/s | p50 / p99 µs | server CPU µs per call | calls/s vs tarsplane |",
           "|---|---|---|---:|---:|---:|---:|"]
    for call in CALLS:
        for load_ in LOADS:
            ours = medians.get(("tarsplane", call, load_), {}).get("calls_per_s")
            for server in SERVERS:
                m = medians.get((server, call, load_))
                if not m:
                    continue
                ratio = f"{m['calls_per_s'] / ours:.2f}" if ours and m["calls_per_s"] else "-"
                errors = f" ({m['errors']} errors)" if m["errors"] else ""
                out.append(
                    f"| {call} | {load_} | {SERVER_NAMES[server]} | {fmt(m['calls_per_s'], 0)}{errors} | "
                    f"{fmt(m['p50_us'], 0)} / {fmt(m['p99_us'], 0)} | {fmt(m['cpu'], 2)} | {ratio} |")
    return "\n".join(out)


def latency_bar(medians):
    """The RPC issue's closed-loop bar: at 16x1, tarsplane's p50 within 10 % of the ceiling's."""
    lines = []
    for call in CALLS:
        ours = medians.get(("tarsplane", call, "16x1"), {}).get("p50_us")
        ceiling = medians.get(("ceiling", call, "16x1"), {}).get("p50_us")
        if ours and ceiling:
            ratio = ours / ceiling
            verdict = "within 10 %" if ratio <= 1.10 else "NOT within 10 %"
            lines.append(f"- `{call}` at 16 x 1: tarsplane p50 {ours:,.0f} µs, tokio ceiling "
                         f"{ceiling:,.0f} µs: {ratio:.2f}x, {verdict} of the ceiling.")
    return "\n".join(lines)


def bars(x0, y0, width, height, title, groups, series, values, unit):
    """One grouped bar panel as SVG elements."""
    top = max([v for v in values.values() if v] or [1])
    parts = [f'<text x="{x0 + width / 2}" y="{y0 - 12}" text-anchor="middle" font-size="14" '
             f'font-weight="bold">{html.escape(title)}</text>',
             f'<line x1="{x0}" y1="{y0 + height}" x2="{x0 + width}" y2="{y0 + height}" stroke="#333"/>']
    group_w = width / max(len(groups), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    for gi, group in enumerate(groups):
        gx = x0 + gi * group_w + group_w * 0.1
        for si, s in enumerate(series):
            v = values.get((s, group))
            if not v:
                continue
            h = height * v / top
            x = gx + si * bar_w
            parts.append(f'<rect x="{x:.1f}" y="{y0 + height - h:.1f}" width="{bar_w - 1:.1f}" '
                         f'height="{h:.1f}" fill="{COLOURS.get(s, "#555")}"><title>'
                         f'{html.escape(s)} {html.escape(group)}: {v:,.0f} {unit}</title></rect>')
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y0 + height - h - 3:.1f}" '
                         f'text-anchor="middle" font-size="8">{v:,.0f}</text>')
        parts.append(f'<text x="{gx + group_w * 0.4:.1f}" y="{y0 + height + 14}" '
                     f'text-anchor="middle" font-size="9">{html.escape(group)}</text>')
    return parts


def chart(mbs, medians, date):
    codec_groups = [f"{f.split('-')[0]} {o}" for f in FIXTURES for o in OPS]
    codec_values = {}
    for f in FIXTURES:
        for o in OPS:
            for peer in ["tarsplane", "tarsgo"]:
                codec_values[(peer, f"{f.split('-')[0]} {o}")] = mbs.get((peer, f, o))
    rpc_groups = [f"{c} {l}" for c in CALLS for l in LOADS]
    rpc_values = {(s, f"{c} {l}"): medians.get((s, c, l), {}).get("calls_per_s")
                  for s in SERVERS for c in CALLS for l in LOADS}
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="1100" height="420" '
             'font-family="sans-serif">', '<rect width="1100" height="420" fill="white"/>',
             f'<text x="550" y="22" text-anchor="middle" font-size="16">tarsplane, TarsGo and '
             f'the tokio ceiling in one run ({html.escape(date)})</text>']
    parts += bars(40, 70, 620, 280, "codec MB/s (higher is better)", codec_groups,
                  ["tarsplane", "tarsgo"], codec_values, "MB/s")
    parts += bars(720, 70, 340, 280, "RPC calls/s (higher is better)", rpc_groups, SERVERS,
                  rpc_values, "calls/s")
    for i, s in enumerate(SERVERS):
        x = 60 + i * 260
        parts.append(f'<rect x="{x}" y="392" width="12" height="12" fill="{COLOURS[s]}"/>')
        parts.append(f'<text x="{x + 18}" y="402" font-size="11">{html.escape(SERVER_NAMES[s])}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results")
    parser.add_argument("--table", required=True)
    parser.add_argument("--chart", required=True)
    parser.add_argument("--date", default="")
    args = parser.parse_args()
    lines = load(args.results)
    codec, mbs = codec_table(lines)
    medians = rpc_medians(lines)
    text = "\n\n".join(["### Codec (MB/s of payload, median of 5 timed runs)", codec,
                        "### RPC over loopback (`tars-load`, median over rounds)", rpc_table(medians),
                        latency_bar(medians)]) + "\n"
    with open(args.table, "w", encoding="utf-8") as f:
        f.write(text)
    with open(args.chart, "w", encoding="utf-8") as f:
        f.write(chart(mbs, medians, args.date))
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
