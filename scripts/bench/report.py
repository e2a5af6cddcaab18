"""Writes docs/benchmarks.md from the raw results of scripts/bench.sh.

Reads the JSON lines loadgen wrote (throughput, ready, sessions), criterion's
estimates, and facts about the machine; writes the tables, the ratios and the
targets. The standard library only, so the host Python runs it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

SERVERS = ["bare-rmcp", "agentwire", "agentwire-quiet", "fastmcp", "mcp-agent"]
SERVER_TITLES = {
    "bare-rmcp": "bare rmcp",
    "agentwire": "agentwire",
    "agentwire-quiet": "agentwire, `RUST_LOG=warn`",
    "fastmcp": "FastMCP",
    "mcp-agent": "mcp-agent",
}
TRANSPORTS = ["stdio", "http"]
TRANSPORT_TITLES = {"stdio": "stdio", "http": "streamable HTTP"}
CONCURRENCIES = [1, 32]

# The targets of issue 8.
TARGET_VS_BARE = 0.9
TARGET_VS_MCP_AGENT = 20.0
TARGET_STUB_NS = 1000.0
TARGET_READY_MS = 50.0
TARGET_IDLE_RSS_MB = 15.0


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                print(f"report: skipping a line that is not JSON in {path}", file=sys.stderr)
    return rows


def best_rounds(rows: list[dict]) -> dict[tuple[str, str, int], dict]:
    """The round with the highest throughput for each (server, transport, concurrency)."""
    best: dict[tuple[str, str, int], dict] = {}
    for row in rows:
        name, transport, concurrency, _round = row["label"].split("|")
        key = (name, transport, int(concurrency))
        current = best.get(key)
        if row.get("failed"):
            best.setdefault(key, row)
        elif current is None or current.get("failed") or row["callsPerSec"] > current["callsPerSec"]:
            best[key] = row
    return best


def all_rounds(rows: list[dict]) -> dict[tuple[str, str, int], list[float]]:
    rounds: dict[tuple[str, str, int], list[float]] = {}
    for row in rows:
        name, transport, concurrency, _round = row["label"].split("|")
        if not row.get("failed"):
            rounds.setdefault((name, transport, int(concurrency)), []).append(row["callsPerSec"])
    return rounds


def by_label(rows: list[dict]) -> dict[tuple[str, str], dict]:
    result = {}
    for row in rows:
        name, transport = row["label"].split("|")
        result[(name, transport)] = row
    return result


def criterion_estimates(root: Path) -> dict[str, dict]:
    """Criterion's estimates by benchmark id, in nanoseconds."""
    estimates = {}
    if not root.exists():
        return estimates
    for path in root.rglob("new/estimates.json"):
        benchmark = path.parent / "benchmark.json"
        try:
            full_id = json.loads(benchmark.read_text())["full_id"]
            data = json.loads(path.read_text())
        except (OSError, KeyError, json.JSONDecodeError):
            continue
        estimates[full_id] = {
            "median": data["median"]["point_estimate"],
            "mean": data["mean"]["point_estimate"],
            "low": data["mean"]["confidence_interval"]["lower_bound"],
            "high": data["mean"]["confidence_interval"]["upper_bound"],
        }
    return estimates


def command_output(args: list[str]) -> str | None:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=30, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def package_version(venv: str | None, package: str) -> str | None:
    if not venv:
        return None
    python = Path(venv) / "bin" / "python"
    if not python.exists():
        return None
    return command_output(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"]
    )


def lock_version(crate: str) -> str | None:
    lock = Path("Cargo.lock")
    if not lock.exists():
        return None
    match = re.search(rf'name = "{re.escape(crate)}"\nversion = "([^"]+)"', lock.read_text())
    return match.group(1) if match else None


def machine_facts(args: argparse.Namespace) -> list[tuple[str, str]]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
        load_text = " / ".join(load) + " (1, 5, 15 min, when the report was written)"
    except OSError:
        load_text = "unknown"
    fastmcp_mcp = package_version(args.fastmcp_venv, "mcp")
    mcp_agent_mcp = package_version(args.mcp_agent_venv, "mcp")
    facts = [
        ("date", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("commit", command_output(["git", "rev-parse", "--short", "HEAD"]) or "unknown"),
        ("CPU", f"{cpu}, {os.cpu_count()} logical cores"),
        ("memory", memory),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("load average", load_text),
        ("rustc", command_output(["rustc", "--version"]) or "unknown"),
        ("rmcp", lock_version("rmcp") or "unknown"),
        ("tokio", lock_version("tokio") or "unknown"),
        ("agentwire", lock_version("agentwire") or "unknown"),
        ("Python", platform.python_version() + " (host; the venvs use the same interpreter)"),
        (
            "FastMCP",
            f"fastmcp {package_version(args.fastmcp_venv, 'fastmcp') or 'not installed'}"
            + (f", mcp {fastmcp_mcp}" if fastmcp_mcp else ""),
        ),
        (
            "mcp-agent",
            f"mcp-agent {package_version(args.mcp_agent_venv, 'mcp-agent') or 'not installed'}"
            + (f", mcp {mcp_agent_mcp}" if mcp_agent_mcp else ""),
        ),
    ]
    return facts


def fmt_rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def fmt_us(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 10_000:
        return f"{value / 1000:,.1f} ms"
    return f"{value:,.0f} µs"


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def fmt_ns(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.2f} ms"
    if value >= 1_000:
        return f"{value / 1_000:.2f} µs"
    return f"{value:.0f} ns"


def fmt_mib(kib: float | None) -> str:
    return "—" if kib is None else f"{kib / 1024:.1f} MiB"


def mark(ok: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[ok]


def rate(best: dict, name: str, transport: str, concurrency: int) -> float | None:
    row = best.get((name, transport, concurrency))
    if row is None or row.get("failed"):
        return None
    return row["callsPerSec"]


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def write_report(args: argparse.Namespace) -> str:
    results = Path(args.results)
    throughput_rows = read_jsonl(results / "throughput.jsonl")
    best = best_rounds(throughput_rows)
    rounds = all_rounds(throughput_rows)
    ready = by_label(read_jsonl(results / "ready.jsonl"))
    sessions = by_label(read_jsonl(results / "sessions.jsonl"))
    micro = criterion_estimates(Path(args.criterion))
    servers = [s for s in SERVERS if any(k[0] == s for k in best)]

    lines: list[str] = []
    add = lines.append
    add("# Benchmarks")
    add("")
    add(
        "agentwire's `echo` agent against the same tool written directly on rmcp (the floor of what "
        "agentwire can cost), FastMCP and mcp-agent 0.2.6 (the Python peers), all driven by the same "
        "load generator in the same run. Written by `scripts/bench.sh`; do not edit by hand: run "
        "`bash scripts/bench.sh` to measure again."
    )
    add("")
    add("## Machine and versions")
    add("")
    add("| | |")
    add("|---|---|")
    for key, value in machine_facts(args):
        add(f"| {key} | {value} |")
    add("")
    add("## Method")
    add("")
    add(
        f"* **Load generator**: `examples/loadgen`, built on rmcp's client. One connection per cell; "
        f"N workers share it, each sending its next `tools/call` (`echo` with `{{\"message\":\"hello\"}}`) "
        f"as soon as the previous one is answered (a closed loop). Every cell runs {args.warmup} of "
        f"warm-up, then counts the calls answered within {args.duration}. Latency is per call, "
        "send to answer, on the client."
    )
    add(
        "* **Protocol**: the legacy `initialize` lifecycle (2025-11-25 where the server has it), "
        "because the Python peers speak nothing newer; over HTTP that is one session with its "
        "`Mcp-Session-Id`. rmcp's HTTP client opens a new TCP connection per POST (it disables "
        "connection reuse to avoid delayed-ACK stalls), for every server alike."
    )
    add(
        f"* **Rounds**: every cell ran {args.rounds} times, the servers interleaved round by round; "
        "the tables show the best round (noise from other processes only ever slows a run down), "
        "the spread column every round."
    )
    add(
        "* **Servers**: release builds; `bare-rmcp` (examples/bare-rmcp) implements `ServerHandler` "
        "by hand with the same HTTP configuration as agentwire (one endpoint for both protocol eras, "
        "in-memory sessions); `echo` (examples/echo) is an `#[agent]` served by `agentwire::main!()` "
        "with its default logging (`info,rmcp=warn` to stderr), and once more with `RUST_LOG=warn` to show what that logging costs. FastMCP and mcp-agent "
        "run `scripts/bench/*.py` in their own venvs, logging at warning/error level."
    )
    add(
        "* **Client and server share the machine**: loadgen and the server compete for the same "
        "cores, so absolute figures are lower than on a machine with cores to spare; the ratios "
        "compare like with like. The machine was not otherwise idle either (see the load average): "
        "the spread column shows how much a cell moved between rounds. loadgen's raw JSON also "
        "holds the server's CPU time per call (`serverCpuUsPerCall`, from `/proc`)."
    )
    add("")

    add("## Throughput and latency")
    add("")
    add("| transport | in flight | server | calls/s | p50 | p90 | p99 | errors | calls/s, every round |")
    add("|---|---:|---|---:|---:|---:|---:|---:|---|")
    for transport in TRANSPORTS:
        for concurrency in CONCURRENCIES:
            for name in servers:
                row = best.get((name, transport, concurrency))
                spread = ", ".join(f"{r:,.0f}" for r in rounds.get((name, transport, concurrency), []))
                if row is None:
                    continue
                if row.get("failed"):
                    add(
                        f"| {TRANSPORT_TITLES[transport]} | {concurrency} | {SERVER_TITLES[name]} "
                        f"| failed | | | | | {spread} |"
                    )
                    continue
                latency = row["latencyUs"]
                add(
                    f"| {TRANSPORT_TITLES[transport]} | {concurrency} | {SERVER_TITLES[name]} "
                    f"| {fmt_rate(row['callsPerSec'])} | {fmt_us(latency['p50'])} "
                    f"| {fmt_us(latency['p90'])} | {fmt_us(latency['p99'])} | {row['errors']} "
                    f"| {spread} |"
                )
    add("")

    add("## Ratios")
    add("")
    add("Throughput of agentwire divided by the other server's, best rounds.")
    add("")
    add(
        "| transport | in flight | agentwire / bare rmcp | agentwire / mcp-agent | agentwire / FastMCP "
        "| agentwire with `RUST_LOG=warn` / bare rmcp |"
    )
    add("|---|---:|---:|---:|---:|---:|")
    vs_bare: list[float | None] = []
    vs_mcp_agent: list[float | None] = []
    for transport in TRANSPORTS:
        for concurrency in CONCURRENCIES:
            ours = rate(best, "agentwire", transport, concurrency)
            r_bare = ratio(ours, rate(best, "bare-rmcp", transport, concurrency))
            r_agent = ratio(ours, rate(best, "mcp-agent", transport, concurrency))
            r_fast = ratio(ours, rate(best, "fastmcp", transport, concurrency))
            r_quiet = ratio(
                rate(best, "agentwire-quiet", transport, concurrency),
                rate(best, "bare-rmcp", transport, concurrency),
            )
            vs_bare.append(r_bare)
            vs_mcp_agent.append(r_agent)
            add(
                f"| {TRANSPORT_TITLES[transport]} | {concurrency} | {fmt_ratio(r_bare)} "
                f"| {fmt_ratio(r_agent)} | {fmt_ratio(r_fast)} | {fmt_ratio(r_quiet)} |"
            )
    add("")

    add("## Start-up and memory")
    add("")
    add(
        "*Ready* is the time from exec to the first answered `tools/call` (over stdio: spawn, "
        "handshake, call; over HTTP: spawn, the port accepting connections, handshake, call), the "
        "median of several starts. *Idle RSS* is the server's resident memory half a second after "
        f"that call. The last columns hold {args.sessions} legacy HTTP sessions open at once "
        "(one `initialize` handshake each, with its standalone SSE stream, as an idle client leaves it)."
    )
    add("")
    add(
        f"| server | ready, stdio | ready, HTTP | idle RSS, stdio | idle RSS, HTTP "
        f"| RSS with {args.sessions} sessions | per session | sessions opened |"
    )
    add("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in [n for n in SERVERS if (n, "stdio") in ready or (n, "http") in ready or (n, "http") in sessions]:
        stdio = ready.get((name, "stdio"), {})
        http = ready.get((name, "http"), {})
        held = sessions.get((name, "http"), {})

        def ready_ms(row: dict) -> str:
            if not row or row.get("failed"):
                return "failed" if row else "—"
            return f"{row['readyMs']:.1f} ms"

        def idle(row: dict) -> str:
            return fmt_mib(row.get("idleRssKib")) if row and not row.get("failed") else "—"

        per = held.get("kibPerSession")
        add(
            f"| {SERVER_TITLES[name]} | {ready_ms(stdio)} | {ready_ms(http)} | {idle(stdio)} "
            f"| {idle(http)} | {fmt_mib(held.get('rssWithSessionsKib'))} "
            f"| {'—' if per is None else f'{per:.0f} KiB'} "
            f"| {held.get('opened', '—')}{'' if not held.get('failed') else ' (' + str(held['failed']) + ' failed)'} |"
        )
    add("")

    add("## Microbenchmarks (criterion)")
    add("")
    add("`cargo bench -p agentwire --bench agents` (runtime/benches/agents.rs), no transport involved.")
    add("")
    add("| benchmark | what it measures | median | mean (95% interval) |")
    add("|---|---|---:|---:|")
    descriptions = {
        "stub_call/tracing_off": "one agent calling another through its generated stub (budget scope, cancellation, panic guard); no tracing subscriber",
        "stub_call/tracing_on": "the same, under a subscriber that records every span and event at TRACE level (formatted into a sink)",
        "server_call/leaf": "a whole in-process tool call via `AgentServer::call`: JSON arguments in, root budget, `CallToolResult` out",
        "registry/collect": "start-up: collecting the `#[agent]` registrations and building every tool (4 agents)",
        "schema/tool": "building one agent's MCP tool (input and output schema) with nested types, an enum and options",
    }
    for bench_id in sorted(micro, key=lambda k: (list(descriptions).index(k) if k in descriptions else 99, k)):
        e = micro[bench_id]
        add(
            f"| `{bench_id}` | {descriptions.get(bench_id, '')} | {fmt_ns(e['median'])} "
            f"| {fmt_ns(e['mean'])} ({fmt_ns(e['low'])} – {fmt_ns(e['high'])}) |"
        )
    if not micro:
        add("| — | criterion did not run | | |")
    add("")

    add("## Targets")
    add("")
    add("| target | where we stand | |")
    add("|---|---|---|")

    def all_at_least(values: list[float | None], threshold: float) -> bool | None:
        known = [v for v in values if v is not None]
        if not known:
            return None
        return len(known) == len(values) and all(v >= threshold for v in known)

    def listing(values: list[float | None]) -> str:
        cells = [f"{t} c={c}" for t in TRANSPORTS for c in CONCURRENCIES]
        return ", ".join(f"{cell}: {fmt_ratio(v)}" for cell, v in zip(cells, values))

    add(
        f"| agentwire ≥ {TARGET_VS_BARE}× bare rmcp throughput, both transports, both concurrencies "
        f"| {listing(vs_bare)} | {mark(all_at_least(vs_bare, TARGET_VS_BARE))} |"
    )
    add(
        f"| agentwire ≥ {TARGET_VS_MCP_AGENT:.0f}× mcp-agent's throughput "
        f"| {listing(vs_mcp_agent)} | {mark(all_at_least(vs_mcp_agent, TARGET_VS_MCP_AGENT))} |"
    )
    stub = micro.get("stub_call/tracing_off")
    add(
        f"| local stub call ≤ 1 µs with tracing off | {fmt_ns(stub['median']) if stub else '—'} "
        f"| {mark(None if stub is None else stub['median'] <= TARGET_STUB_NS)} |"
    )
    ready_values = [
        ready.get(("agentwire", t), {}).get("readyMs") for t in TRANSPORTS
    ]
    known_ready = [v for v in ready_values if v is not None]
    add(
        f"| ready ≤ {TARGET_READY_MS:.0f} ms "
        f"| {', '.join(f'{t}: {v:.1f} ms' for t, v in zip(TRANSPORTS, ready_values) if v is not None) or '—'} "
        f"| {mark(None if not known_ready else all(v <= TARGET_READY_MS for v in known_ready))} |"
    )
    rss_values = [
        ready.get(("agentwire", t), {}).get("idleRssKib") for t in TRANSPORTS
    ]
    known_rss = [v for v in rss_values if v is not None]
    add(
        f"| idle RSS ≤ {TARGET_IDLE_RSS_MB:.0f} MB "
        f"| {', '.join(f'{t}: {fmt_mib(v)}' for t, v in zip(TRANSPORTS, rss_values) if v is not None) or '—'} "
        f"| {mark(None if not known_rss else all(v * 1024 <= TARGET_IDLE_RSS_MB * 1_000_000 for v in known_rss))} |"
    )
    add("")

    durable = Path(args.durable) if args.durable else None
    if durable is not None and durable.exists() and durable.read_text().strip():
        add("## Durable workflows")
        add("")
        # The bench binary writes `##` sections; here they sit one level down.
        for line in durable.read_text().rstrip().splitlines():
            add("#" + line if line.startswith("## ") else line)
        add("")
        notes = Path(args.durable_notes)
        if notes.exists():
            add(notes.read_text().rstrip())
            add("")

    soak = Path(args.soak)
    if soak.exists():
        add(soak.read_text().rstrip())
        add("")

    analysis = Path(args.analysis)
    if analysis.exists():
        add(analysis.read_text().rstrip())
        add("")
    add("---")
    add(
        f"Total run time of `scripts/bench.sh`: {int(args.elapsed) // 60} min {int(args.elapsed) % 60} s. "
        "Raw results: `target/bench/*.jsonl` and `target/criterion/`."
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", required=True, help="the folder of loadgen's JSON lines")
    parser.add_argument("--criterion", required=True, help="criterion's output folder")
    parser.add_argument("--output", required=True, help="the Markdown file to write")
    parser.add_argument("--duration", default="?")
    parser.add_argument("--warmup", default="?")
    parser.add_argument("--rounds", default="?")
    parser.add_argument("--sessions", default="1000")
    parser.add_argument("--elapsed", type=float, default=0)
    parser.add_argument("--fastmcp-venv")
    parser.add_argument("--mcp-agent-venv")
    parser.add_argument("--durable", help="the Markdown tables of the durable bench")
    parser.add_argument(
        "--durable-notes",
        default=str(Path(__file__).with_name("durable-notes.md")),
        help="hand-written notes on the durable figures",
    )
    parser.add_argument(
        "--soak",
        default=str(Path(__file__).with_name("soak.md")),
        help="the figures of the last scripts/soak.sh run, written by hand",
    )
    parser.add_argument(
        "--analysis",
        default=str(Path(__file__).with_name("analysis.md")),
        help="hand-written findings appended to the report",
    )
    args = parser.parse_args()
    text = write_report(args)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text)


if __name__ == "__main__":
    main()
