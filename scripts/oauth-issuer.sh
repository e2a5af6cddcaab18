#!/usr/bin/env bash
# Installs the test OAuth issuer (npm oauth2-mock-server, pinned, and a Node
# recent enough for it) into the agentwire cache, where the Rust and Python
# authorization tests find it. With `run`, also starts it in the foreground
# (scripts/lib/oauth-issuer.mjs: one JSON line with the issuer's URL, then
# serving until stdin closes).
#
#   bash scripts/oauth-issuer.sh [run]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${AGENTWIRE_CACHE:-$HOME/.cache/agentwire}"
log_name="oauth-issuer"
# shellcheck source=lib/node.sh
source "$root/scripts/lib/node.sh"

# Keep in step with OAUTH_MOCK_SERVER in runtime/tests/support/issuer.rs.
OAUTH_MOCK_SERVER_VERSION=9.3.0

ensure_node
dir="$(ensure_npm_package oauth2-mock-server "$OAUTH_MOCK_SERVER_VERSION")"
# The tests look for this node first, so they need no PATH of their own.
printf '%s\n' "$(command -v node)" >"$dir/node-path"
log "issuer installed in $dir (node: $(cat "$dir/node-path"))"

if [[ "${1:-}" == "run" ]]; then
    exec node "$root/scripts/lib/oauth-issuer.mjs" "$dir"
fi
