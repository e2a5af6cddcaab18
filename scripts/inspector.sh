#!/usr/bin/env bash
# Interoperability: the MCP Inspector's CLI (npm @modelcontextprotocol/inspector,
# `--cli`) lists and calls tools, reads resources and renders prompts of
# examples/conformance, over stdio and over streamable HTTP.
#
#   bash scripts/inspector.sh
#
# scripts/conformance.sh runs it against the server it already started
# (AGENTWIRE_CONFORMANCE_BIN, AGENTWIRE_CONFORMANCE_URL); alone, it builds and
# serves the example itself. Needs Node >= 22.19, installed into the cache
# like scripts/conformance.sh does when the machine's node is older.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

INSPECTOR_VERSION=2.12.0

cache="${AGENTWIRE_CACHE:-$HOME/.cache/agentwire}"
log_name=inspector
# shellcheck source=lib/node.sh
source "$root/scripts/lib/node.sh"

ensure_node
inspector_dir="$(ensure_npm_package @modelcontextprotocol/inspector "$INSPECTOR_VERSION")"
inspector="$inspector_dir/node_modules/.bin/mcp-inspector"
[[ -x "$inspector" ]] || die "no mcp-inspector in $inspector_dir"

work="$(mktemp -d "${TMPDIR:-/tmp}/agentwire-inspector.XXXXXX")"
server_pid=""
cleanup() {
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bin="${AGENTWIRE_CONFORMANCE_BIN:-}"
[[ -n "$bin" ]] || bin="$(build_conformance_example)"
url="${AGENTWIRE_CONFORMANCE_URL:-}"
if [[ -z "$url" ]]; then
    start_server "$bin" "$work"
    url="$server_url"
fi
# The Inspector keeps a catalog of servers; keep it out of $HOME.
export MCP_CATALOG_PATH="$work/catalog.json"

failures=0

# check NAME JS-EXPRESSION -- INSPECTOR-ARGS...: runs the Inspector, parses
# its JSON answer as `r` and fails the check unless the expression is true.
check() {
    local name="$1" expression="$2"
    shift 3
    local out="$work/out.json" err="$work/err.txt"
    if ! timeout 120 "$inspector" --cli "$@" >"$out" 2>"$err"; then
        log "FAIL $name: the Inspector exited with an error"
        tail -n 20 "$err" >&2
        failures=$((failures + 1))
        return
    fi
    if node -e '
        const fs = require("fs");
        const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
        if (!(eval(process.argv[2]))) { console.error(JSON.stringify(r).slice(0, 2000)); process.exit(1); }
    ' "$out" "$expression"; then
        log "ok   $name"
    else
        log "FAIL $name: the answer does not satisfy: $expression"
        failures=$((failures + 1))
    fi
}

for transport in stdio http; do
    if [[ "$transport" == stdio ]]; then
        target=("$bin" serve --stdio)
    else
        target=("$url" --transport http)
    fi
    check "$transport: tools/list names every fixture tool" \
        'r.tools.some(t => t.name === "test_simple_text") && r.tools.some(t => t.name === "json_schema_2020_12_tool" && t.inputSchema.additionalProperties === false)' \
        -- "${target[@]}" --method tools/list
    check "$transport: tools/call answers with text" \
        'r.content[0].text === "This is a simple text response for testing."' \
        -- "${target[@]}" --method tools/call --tool-name test_simple_text
    check "$transport: tools/call passes arguments" \
        'r.content[0].text.includes("Ada")' \
        -- "${target[@]}" --method tools/call --tool-name json_schema_2020_12_tool --tool-arg name=Ada
    check "$transport: tools/call answers with an image" \
        'r.content[0].type === "image" && r.content[0].mimeType === "image/png"' \
        -- "${target[@]}" --method tools/call --tool-name test_image_content
    check "$transport: resources/read fills a URI template" \
        'JSON.parse(r.contents[0].text).data === "Data for ID: 7"' \
        -- "${target[@]}" --method resources/read --uri test://template/7/data
    check "$transport: resources/templates/list shows the template" \
        'r.resourceTemplates.some(t => t.uriTemplate === "test://template/{id}/data")' \
        -- "${target[@]}" --method resources/templates/list
    check "$transport: prompts/get substitutes arguments" \
        'r.messages[0].content.text === "Prompt with arguments: arg1='"'"'hello'"'"', arg2='"'"'world'"'"'"' \
        -- "${target[@]}" --method prompts/get --prompt-name test_prompt_with_arguments --prompt-args arg1=hello arg2=world
done

if [[ "$failures" != 0 ]]; then
    log "$failures Inspector check(s) failed"
    exit 1
fi
log "every Inspector check passed (stdio and HTTP)"
