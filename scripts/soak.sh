#!/usr/bin/env bash
# Soak: many long-lived HTTP sessions calling tools for minutes, against the
# hello example (`greet`) and the durable example (one whole `report`
# workflow run per round: the call, then `workflows-resume`), while the
# server's resident memory is sampled. Reports RSS first/last/max, p50/p99
# per time window and the error count (docs/benchmarks.md, "Soak"). Not part
# of the test command.
#
#   bash scripts/soak.sh                      # both examples, 10 min each
#   bash scripts/soak.sh --duration 1m hello  # a short check of one
#
# Options:
#   --duration D        how long each soak runs (default 10m)
#   --sessions N        concurrent HTTP sessions (default 1000)
#   --hello-interval D  each hello session calls this often (default 2s)
#   --durable-interval D  each durable session starts a run this often
#                       (default 10s)
#   hello | durable     which examples (default both)
#
# Writes the raw reports (JSON and text) to $CARGO_TARGET_DIR/soak/ (or
# target/soak/). Servers listen on 127.0.0.1 only, on free ports, and are
# stopped on exit; the durable example's journal lives in a temporary
# directory removed on exit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

duration=10m
sessions=1000
hello_interval=2s
durable_interval=10s
examples=()
while (($#)); do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --sessions) sessions="$2"; shift 2 ;;
        --hello-interval) hello_interval="$2"; shift 2 ;;
        --durable-interval) durable_interval="$2"; shift 2 ;;
        hello | durable) examples+=("$1"); shift ;;
        -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "soak: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
((${#examples[@]})) || examples=(hello durable)

log() { printf 'soak: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

target_dir="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
release="$target_dir/release"
out="$target_dir/soak"
mkdir -p "$out"
scratch="$(mktemp -d)"

server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Many sessions: one socket each on both sides.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) > 3 * sessions)) || die "the open-file limit ($(ulimit -n)) is too low for $sessions sessions"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() {
    local port="$1" pid="$2" tries=0
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || return 1
        tries=$((tries + 1))
        ((tries < 1200)) || return 1
        sleep 0.05
    done
}

log "building loadgen and the examples (release)"
cargo build --release --quiet -p loadgen -p hello -p durable

soak() {
    local example="$1" port
    port="$(free_port)"
    local -a server loadgen_args
    case "$example" in
        hello)
            server=("$release/hello" serve --http "127.0.0.1:$port")
            loadgen_args=(--tool greet --args '{"name":"soak"}' --interval "$hello_interval")
            ;;
        durable)
            server=("$release/durable" serve --http "127.0.0.1:$port"
                --workflow-journal "$scratch/durable.journal")
            loadgen_args=(--tool report --args '{"topic":"soak"}' --interval "$durable_interval"
                --resume-payload '{"approved":true}')
            ;;
    esac
    # Warnings only: a log line per call would measure the terminal.
    (cd "$scratch" && RUST_LOG=warn exec "${server[@]}") 2>"$out/$example-server.log" &
    server_pid=$!
    wait_for_port "$port" "$server_pid" || die "the $example server did not start (see $out/$example-server.log)"
    log "$example: $sessions sessions for $duration (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
    "$release/loadgen" soak --url "http://127.0.0.1:$port/mcp" --sessions "$sessions" \
        --duration "$duration" --pid "$server_pid" --label "$example" --json \
        "${loadgen_args[@]}" >"$out/$example.json"
    log "$example: done (load after: $(cut -d' ' -f1-3 /proc/loadavg))"
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    python3 - "$out/$example.json" <<'EOF' | tee "$out/$example.txt"
import json, sys
r = json.load(open(sys.argv[1]))
mib = lambda k: "?" if k is None else f"{k / 1024:.1f}"
print(f"{r['label']}: {r['sessionsOpened']}/{r['sessionsRequested']} sessions, "
      f"{r['tool']} every {r['intervalSecs']:g}s each, {r['durationSecs']:.0f}s")
print(f"  calls {r['calls']} ok, {r['errors']} errors; p50 {r['latencyUs']['p50'] / 1000:.1f} ms, "
      f"p99 {r['latencyUs']['p99'] / 1000:.1f} ms, max {r['latencyUs']['max'] / 1000:.1f} ms")
print(f"  RSS MiB: first {mib(r['rssFirstKib'])}, last {mib(r['rssLastKib'])}, "
      f"max {mib(r['rssMaxKib'])}, min {mib(r['rssMinKib'])}")
for w in r["windows"]:
    print(f"  until {w['untilSecs']:5.0f}s: {w['calls']:7d} ok {w['errors']:4d} err  "
          f"p50 {w['latencyUs']['p50'] / 1000:7.1f} ms  p99 {w['latencyUs']['p99'] / 1000:7.1f} ms  "
          f"RSS {mib(w['rssKib'])} MiB")
for e in r["errorSamples"]:
    print(f"  error x{e['count']}: {e['message']}")
EOF
}

for example in "${examples[@]}"; do
    soak "$example"
done
log "reports in $out/"
