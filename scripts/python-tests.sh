#!/usr/bin/env bash
# Interoperability tests: the `hello` and `conformance` example servers
# driven by the official Python MCP SDK (PyPI `mcp`), over stdio and
# streamable HTTP, in both protocol eras (for `conformance`: elicitation and
# sampling answered by the SDK's callbacks, prompts, resources, completion).
#
#   bash scripts/python-tests.sh [extra pytest arguments]
#
# Needs Python >= 3.10 (with venv and pip) and the Rust toolchain. Packages
# go into a venv of their own, ${AGENTWIRE_VENV:-$HOME/.cache/agentwire/venv},
# which is reused while it still holds the pinned versions from
# examples/hello/tests/python/requirements.txt. Set PYTHON to choose the
# interpreter that creates the venv. The exit status is pytest's (non-zero
# when either directory fails).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

tests_dir="examples/hello/tests/python"
requirements="$tests_dir/requirements.txt"
venv="${AGENTWIRE_VENV:-$HOME/.cache/agentwire/venv}"
marker="$venv/.agentwire-requirements.txt"

log() { printf 'python-tests: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

find_python() {
    local candidate
    for candidate in ${PYTHON:+"$PYTHON"} python3.11 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

venv_python="$venv/bin/python"

if [[ ! -x "$venv_python" ]] || ! "$venv_python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    python="$(find_python)" || die "no Python >= 3.10 found (set PYTHON)"
    if [[ -e "$venv" && ! -f "$venv/pyvenv.cfg" && -n "$(ls -A "$venv" 2>/dev/null)" ]]; then
        die "$venv exists and is not a venv; remove it or set AGENTWIRE_VENV"
    fi
    log "creating venv $venv with $python"
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv --clear "$venv"
    rm -f "$marker"
fi

if ! cmp -s "$requirements" "$marker" ||
    ! "$venv_python" -c 'import mcp, pytest' >/dev/null 2>&1; then
    log "installing $(grep -v '^#' "$requirements" | xargs) into $venv"
    rm -f "$marker"
    "$venv_python" -m pip install --disable-pip-version-check --quiet -r "$requirements"
    cp "$requirements" "$marker"
fi

# The OAuth tests sign in against a real issuer (npm oauth2-mock-server).
bash scripts/oauth-issuer.sh

log "building hello and conformance"
cargo build -p hello -p conformance

target_dir="$(cargo metadata --format-version 1 --no-deps |
    "$venv_python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
HELLO_BIN="$target_dir/debug/hello"
[[ -x "$HELLO_BIN" ]] || die "no hello binary at $HELLO_BIN after cargo build"
CONFORMANCE_BIN="$target_dir/debug/conformance"
[[ -x "$CONFORMANCE_BIN" ]] || die "no conformance binary at $CONFORMANCE_BIN after cargo build"
export HELLO_BIN CONFORMANCE_BIN
log "HELLO_BIN=$HELLO_BIN CONFORMANCE_BIN=$CONFORMANCE_BIN"

export PYTHONDONTWRITEBYTECODE=1
# One pytest run per example: each directory has its own conftest.
status=0
"$venv_python" -m pytest -q "$tests_dir" "$@" || status=$?
"$venv_python" -m pytest -q "examples/conformance/tests/python" "$@" || status=$?
exit "$status"
