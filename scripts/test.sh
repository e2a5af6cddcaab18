#!/usr/bin/env bash
# Every test agentwire has, in the order that fails fastest: formatting, lints,
# the Rust tests (unit, integration with real MCP clients, doc tests, trybuild),
# a user's crate outside the workspace tested with agentwire::testing,
# then the Python MCP SDK against the example servers, then the official MCP
# conformance suite and the MCP Inspector against examples/conformance, and
# last the `temporal` feature against a Temporal dev server (scripts/temporal.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo doc (both crates, warnings are errors; the temporal feature has its own step below)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked -p agentwire -p agentwire-macros --features testing

step "the test OAuth issuer (npm oauth2-mock-server) for the authorization tests"
bash scripts/oauth-issuer.sh

step "cargo test (workspace)"
cargo test --workspace --locked

step "a crate outside the workspace tests its agents with agentwire::testing"
cargo fmt --manifest-path tests/outside-crate/Cargo.toml -- --check
cargo clippy --manifest-path tests/outside-crate/Cargo.toml --all-targets --locked -- -D warnings
cargo test --manifest-path tests/outside-crate/Cargo.toml --locked

step "Python MCP SDK against the hello and conformance servers"
bash scripts/python-tests.sh

step "MCP conformance suite and MCP Inspector against the conformance example"
bash scripts/conformance.sh

# Last, as it builds the Temporal SDK (minutes on a cold cache).
step "the temporal feature: lints, docs, the durable, conformance and chain examples on a Temporal dev server, replays of recorded histories"
AGENTWIRE_TEMPORAL_CLI="$(bash scripts/temporal.sh)"
export AGENTWIRE_TEMPORAL_CLI
cargo clippy -p agentwire -p durable -p conformance -p chain --features temporal --all-targets --locked -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked -p agentwire --features temporal
# The step activity's re-run of a run's code, against logs that fit it or not.
cargo test -p agentwire --features temporal --locked --lib workflow::temporal
# Each test starts its own dev server, worker(s) and MCP server: three at a
# time keep them within their deadlines on two busy cores.
cargo test -p durable --features temporal --locked --test temporal -- --test-threads 3
cargo test -p durable --features temporal --locked --test temporal_tls
cargo test -p conformance --features temporal --locked --test temporal
cargo test -p chain --features temporal --locked --test temporal
