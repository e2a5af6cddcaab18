#!/usr/bin/env bash
# Fuzzing: builds the cargo-fuzz targets of fuzz/ (nightly, address
# sanitizer, optimised with debug assertions) and runs each for a while on
# its corpus (fuzz/corpus/<target>/). Not part of the test command; see
# docs/security.md, "Fuzzing", for the targets and the longer runs' figures.
#
#   bash scripts/fuzz.sh                        # every target, 30 s each
#   bash scripts/fuzz.sh --seconds 600 uri_template stdio_framing
#
# Options:
#   --seconds N   how long each target runs (default 30)
#   --jobs N      libFuzzer workers per target (default 1)
#   TARGET...     which targets (default: all of `cargo fuzz list`)
#
# Needs a nightly toolchain (`cargo +nightly`). cargo-fuzz is installed once
# into ${AGENTWIRE_CACHE:-$HOME/.cache/agentwire}/cargo-fuzz. Builds go to
# $AGENTWIRE_CACHE/fuzz-target (FUZZ_TARGET_DIR overrides it). New inputs
# found while running go to a scratch corpus, not into the repository; a
# crash is written to fuzz/artifacts/<target>/ and stops the script with
# the command that reproduces it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

CARGO_FUZZ_VERSION=0.13.1
cache="${AGENTWIRE_CACHE:-$HOME/.cache/agentwire}"
target_dir="${FUZZ_TARGET_DIR:-$cache/fuzz-target}"
seconds=30
jobs=1
targets=()
while (($#)); do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
        -*) echo "fuzz: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done

log() { printf 'fuzz: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

cargo +nightly --version >/dev/null 2>&1 || die "a nightly toolchain is needed: rustup toolchain install nightly"

bin="$cache/cargo-fuzz/bin"
if ! [[ -x "$bin/cargo-fuzz" ]] || ! "$bin/cargo-fuzz" --version | grep -q " $CARGO_FUZZ_VERSION\$"; then
    log "installing cargo-fuzz $CARGO_FUZZ_VERSION into $cache/cargo-fuzz"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --root "$cache/cargo-fuzz"
fi
export PATH="$bin:$PATH"

((${#targets[@]})) || mapfile -t targets < <(cargo fuzz list)

log "building ${targets[*]}"
for target in "${targets[@]}"; do
    cargo +nightly fuzz build -O --debug-assertions --target-dir "$target_dir" "$target"
done

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in "${targets[@]}"; do
    log "$target: ${seconds}s"
    mkdir -p "$scratch/$target"
    # The repository's corpus is read, new finds go to the scratch one
    # (the first directory is the one libFuzzer writes to).
    parallel=()
    ((jobs > 1)) && parallel=(-jobs="$jobs" -workers="$jobs")
    if ! cargo +nightly fuzz run -O --debug-assertions --target-dir "$target_dir" "$target" \
        "$scratch/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" "${parallel[@]}" -print_final_stats=1 \
        -max_len=8192 -timeout=10 -rss_limit_mb=2048 2>"$scratch/$target.log"; then
        tail -n 40 "$scratch/$target.log" >&2
        die "$target failed; reproduce with: cargo +nightly fuzz run -O --debug-assertions $target fuzz/artifacts/$target/<file>"
    fi
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb)|cov: ' \
        "$scratch/$target.log" | tail -n 5 >&2 || true
done
log "every target ran without a crash"
