#!/usr/bin/env bash
# agentwire's benchmarks, side by side with its peers, in one run:
#
#   * throughput and latency (loadgen, the same rmcp client for every server)
#     of the same `echo` tool served by bare rmcp, agentwire, FastMCP and
#     mcp-agent 0.2.6, over stdio and streamable HTTP, 1 and 32 calls in flight;
#   * time from exec to the first answered call, idle RSS, and RSS with 1,000
#     open legacy HTTP sessions;
#   * criterion microbenchmarks of the runtime (runtime/benches/agents.rs);
#   * durable workflow figures (runtime/benches/durable.rs): journaled steps
#     per second, and recovery time with 1,000 unfinished runs.
#
# It writes docs/benchmarks.md, and the raw JSON to target/bench/ (under
# $CARGO_TARGET_DIR when set). It is not
# part of the test command. About 10-15 minutes on 2 cores.
#
#   bash scripts/bench.sh
#
# Settings (environment):
#   BENCH_DURATION   measured time per cell (default 5s)
#   BENCH_WARMUP     warm-up before each cell (default 1s)
#   BENCH_ROUNDS     rounds of every cell, servers interleaved; the best round
#                    is reported, since noise only ever slows a run (default 3)
#   BENCH_SESSIONS   sessions opened for the memory figure (default 1000)
#   BENCH_PYTHON_PEERS=0  skip FastMCP and mcp-agent
#   BENCH_CRITERION=0     skip the criterion microbenchmarks
#   BENCH_DURABLE=0       skip the durable workflow figures
#   BENCH_OUT        the report to write (default docs/benchmarks.md)
#   PYTHON           the interpreter that creates the venvs (>= 3.10)
#
# The Python peers are installed into venvs of their own under
# $HOME/.cache/agentwire/ (bench-fastmcp, bench-mcp-agent), reused while they
# hold the pinned versions of scripts/bench/requirements-*.txt. Every server
# listens on 127.0.0.1 only, on a free port, and is stopped on exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

duration="${BENCH_DURATION:-5s}"
warmup="${BENCH_WARMUP:-1s}"
rounds="${BENCH_ROUNDS:-3}"
session_count="${BENCH_SESSIONS:-1000}"
python_peers="${BENCH_PYTHON_PEERS:-1}"
criterion="${BENCH_CRITERION:-1}"
durable="${BENCH_DURABLE:-1}"
report="${BENCH_OUT:-docs/benchmarks.md}"
cache="$HOME/.cache/agentwire"
target_dir="${CARGO_TARGET_DIR:-target}"
out="$target_dir/bench"
release="$target_dir/release"
loadgen="$release/loadgen"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- servers started by this script are stopped on exit -------------------
server_pids=()
stop_servers() {
    local pid
    for pid in "${server_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${server_pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    server_pids=()
}
trap stop_servers EXIT
trap 'exit 130' INT TERM

find_python() {
    local candidate
    for candidate in ${PYTHON:+"$PYTHON"} python3.12 python3.11 python3.10 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

host_python="$(find_python)" || die "Python >= 3.10 is needed (for the report and the peers); set PYTHON"

# A free TCP port on 127.0.0.1 (the kernel picks it; the server binds it next).
free_port() {
    "$host_python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits (at most 120 s) until 127.0.0.1:$1 accepts connections, failing early
# if process $2 exits.
wait_for_port() {
    local port="$1" pid="$2" tries=0
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || return 1
        tries=$((tries + 1))
        ((tries < 2400)) || return 1
        sleep 0.05
    done
}

# Creates or reuses the venv $1 with the requirements file $2.
setup_venv() {
    local venv="$1" requirements="$2" marker="$1/.agentwire-requirements.txt"
    if [[ -x "$venv/bin/python" && -f "$marker" ]] && cmp -s "$marker" "$requirements"; then
        return 0
    fi
    log "installing $(tr '\n' ' ' <"$requirements")into $venv"
    rm -rf "$venv"
    "$host_python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$marker"
}

# --- build ---------------------------------------------------------------
started_at=$(date +%s)
mkdir -p "$out"
rm -f "$out"/*.jsonl "$out"/*.log "$out"/durable.md
log "building the servers and loadgen (release)"
cargo build --release --locked -p loadgen -p echo -p bare-rmcp

# name, stdio command, HTTP command (with @PORT@ for the port)
server_names=(bare-rmcp agentwire)
declare -A stdio_cmd http_cmd
stdio_cmd[bare-rmcp]="$release/bare-rmcp --stdio"
http_cmd[bare-rmcp]="$release/bare-rmcp --http 127.0.0.1:@PORT@"
stdio_cmd[agentwire]="$release/echo serve --stdio"
http_cmd[agentwire]="$release/echo serve --http 127.0.0.1:@PORT@"

# agentwire again with RUST_LOG=warn: no per-call log line and no INFO spans,
# to show what logging costs (throughput cells only; same binary otherwise).
stdio_cmd[agentwire-quiet]="env RUST_LOG=warn $release/echo serve --stdio"
http_cmd[agentwire-quiet]="env RUST_LOG=warn $release/echo serve --http 127.0.0.1:@PORT@"

if [[ "$python_peers" == 1 ]]; then
    setup_venv "$cache/bench-fastmcp" scripts/bench/requirements-fastmcp.txt
    setup_venv "$cache/bench-mcp-agent" scripts/bench/requirements-mcp-agent.txt
    server_names+=(fastmcp mcp-agent)
    stdio_cmd[fastmcp]="$cache/bench-fastmcp/bin/python scripts/bench/fastmcp_echo.py --stdio"
    http_cmd[fastmcp]="$cache/bench-fastmcp/bin/python scripts/bench/fastmcp_echo.py --http 127.0.0.1:@PORT@"
    stdio_cmd[mcp-agent]="$cache/bench-mcp-agent/bin/python scripts/bench/mcp_agent_echo.py --stdio"
    http_cmd[mcp-agent]="$cache/bench-mcp-agent/bin/python scripts/bench/mcp_agent_echo.py --http 127.0.0.1:@PORT@"
fi

# The servers of the throughput cells, in the order they take turns.
throughput_servers=(bare-rmcp agentwire agentwire-quiet "${server_names[@]:2}")

# Starts the HTTP server $1 on a free port; sets started_port and started_pid.
start_http_server() {
    local name="$1" command
    started_port="$(free_port)"
    command="${http_cmd[$name]//@PORT@/$started_port}"
    # shellcheck disable=SC2086 # the command is split into words on purpose
    $command >"$out/$name-http.log" 2>&1 &
    started_pid=$!
    server_pids+=("$started_pid")
    wait_for_port "$started_port" "$started_pid" ||
        die "$name did not listen on port $started_port; see $out/$name-http.log"
}

# record FILE LABEL SUBCOMMAND ARGS...: runs `loadgen SUBCOMMAND ARGS...` and
# appends its JSON line to $out/FILE.jsonl, or a failure record.
record() {
    local file="$1" label="$2" subcommand="$3"
    shift 3
    local json
    if json="$("$loadgen" "$subcommand" --json --label "$label" "$@" 2>>"$out/loadgen.log")"; then
        printf '%s\n' "$json" >>"$out/$file.jsonl"
    else
        log "  $label failed (see $out/loadgen.log)"
        printf '{"label":"%s","failed":true}\n' "$label" >>"$out/$file.jsonl"
    fi
}

# --- throughput and latency ------------------------------------------------
log "throughput over stdio (${duration} per cell, ${rounds} rounds)"
for concurrency in 1 32; do
    for ((round = 1; round <= rounds; round++)); do
        for name in "${throughput_servers[@]}"; do
            log "  stdio c=$concurrency round $round: $name"
            # shellcheck disable=SC2086
            record throughput "$name|stdio|$concurrency|$round" run \
                --concurrency "$concurrency" --duration "$duration" --warmup "$warmup" \
                -- ${stdio_cmd[$name]}
        done
    done
done

log "throughput over streamable HTTP"
declare -A http_port http_pid
for name in "${throughput_servers[@]}"; do
    start_http_server "$name"
    http_port[$name]="$started_port"
    http_pid[$name]="$started_pid"
done
for concurrency in 1 32; do
    for ((round = 1; round <= rounds; round++)); do
        for name in "${throughput_servers[@]}"; do
            log "  http c=$concurrency round $round: $name"
            record throughput "$name|http|$concurrency|$round" run \
                --concurrency "$concurrency" --duration "$duration" --warmup "$warmup" \
                --url "http://127.0.0.1:${http_port[$name]}/mcp" --server-pid "${http_pid[$name]}"
        done
    done
done
stop_servers

# --- start-up and memory -----------------------------------------------------
log "time to ready and idle memory"
for name in "${server_names[@]}"; do
    repeat=10
    [[ "$name" == fastmcp || "$name" == mcp-agent ]] && repeat=3
    # shellcheck disable=SC2086
    record ready "$name|stdio" ready --repeat "$repeat" -- ${stdio_cmd[$name]}
    port="$(free_port)"
    # shellcheck disable=SC2086
    record ready "$name|http" ready --repeat "$repeat" --url "http://127.0.0.1:$port/mcp" \
        -- ${http_cmd[$name]//@PORT@/$port}
done

log "memory with $session_count open HTTP sessions"
for name in "${server_names[@]}"; do
    start_http_server "$name"
    sleep 1
    record sessions "$name|http" sessions --url "http://127.0.0.1:$started_port/mcp" \
        --count "$session_count" --pid "$started_pid"
    stop_servers
done

# --- microbenchmarks ------------------------------------------------------------
if [[ "$criterion" == 1 ]]; then
    log "criterion microbenchmarks (runtime/benches/agents.rs)"
    rm -rf "$target_dir/criterion"
    if ! cargo bench --locked -p agentwire --bench agents >"$out/criterion.log" 2>&1; then
        log "the criterion benchmarks failed (see $out/criterion.log); the report leaves them out"
    fi
fi

if [[ "$durable" == 1 ]]; then
    log "durable workflow figures (runtime/benches/durable.rs)"
    if ! cargo bench --locked -p agentwire --bench durable >"$out/durable.md" 2>"$out/durable.log"; then
        log "the durable benchmark failed (see $out/durable.log); the report leaves it out"
        rm -f "$out/durable.md"
    fi
fi

# --- the report ------------------------------------------------------------------
log "writing $report"
"$host_python" scripts/bench/report.py \
    --results "$out" \
    --criterion "$target_dir/criterion" \
    --durable "$out/durable.md" \
    --output "$report" \
    --duration "$duration" --warmup "$warmup" --rounds "$rounds" --sessions "$session_count" \
    --elapsed "$(($(date +%s) - started_at))" \
    ${cache:+--fastmcp-venv "$cache/bench-fastmcp"} \
    ${cache:+--mcp-agent-venv "$cache/bench-mcp-agent"}
log "done in $(($(date +%s) - started_at)) s"
