#!/usr/bin/env bash
# Builds and runs the cargo-fuzz targets of csms-core (core/fuzz) for a short while each.
#
#   tests/fuzz.sh                    # every target, 20 s each
#   FUZZ_SECONDS=300 tests/fuzz.sh   # longer
#   tests/fuzz.sh sign               # some targets only
#   FUZZ_SANITIZER=none tests/fuzz.sh # skip AddressSanitizer
#
# Works on the stable toolchain: cargo-fuzz needs nightly flags (-Zsanitizer, ...), which
# RUSTC_BOOTSTRAP=1 unlocks. AddressSanitizer is used when its runtime is available and
# works; otherwise the targets are built with `--sanitizer none` (a Rust panic is still a
# crash). Prints one line per target, then `fuzz: N passed, M failed`; exits 1 on any failure.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ_DIR="$ROOT/core/fuzz"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-20}"
LOG_DIR="$FUZZ_DIR/target/fuzz-logs"
export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

say() { printf '%s\n' "$*"; }
die() { say "fuzz: $*" >&2; exit 1; }

# --- tools -----------------------------------------------------------------------------
command -v cargo >/dev/null || die "cargo is not installed"
if ! cargo fuzz --version >/dev/null 2>&1; then
    say "fuzz: installing cargo-fuzz"
    cargo install cargo-fuzz --locked >/dev/null 2>&1 || die "cargo install cargo-fuzz --locked failed"
fi
# libfuzzer-sys compiles libFuzzer (C++).
if ! command -v c++ >/dev/null && ! command -v clang++ >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "fuzz: installing a C++ compiler"
        { apt-get update && apt-get install -y --no-install-recommends g++; } >/dev/null 2>&1 ||
            die "could not install g++"
    else
        die "a C++ compiler (c++ or clang++) is needed to build libFuzzer"
    fi
fi

cd "$FUZZ_DIR" || die "no $FUZZ_DIR"
mkdir -p "$LOG_DIR"

if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    mapfile -t TARGETS < <(cargo fuzz list 2>/dev/null)
fi
[ "${#TARGETS[@]}" -gt 0 ] || die "no fuzz targets found in $FUZZ_DIR"

# --- build, choosing the sanitizer ---------------------------------------------------------
HOST="$(rustc -vV | sed -n 's/^host: //p')"
BIN_DIR="$FUZZ_DIR/target/$HOST/release"

# Whether a built target starts and runs one input (the sanitizer runtime initialises).
smoke() {
    local empty
    empty="$(mktemp -d)"
    "$BIN_DIR/${TARGETS[0]}" -runs=1 "$empty" >"$LOG_DIR/smoke.log" 2>&1
    local rc=$?
    rm -rf "$empty"
    return $rc
}

SAN=(--sanitizer none --target-dir "$FUZZ_DIR/target/no-sanitizer")
SAN_NAME=none
if [ "${FUZZ_SANITIZER:-}" = none ]; then
    say "fuzz: FUZZ_SANITIZER=none; using --sanitizer none"
elif ls "$(rustc --print sysroot)/lib/rustlib/$HOST/lib/"librustc-*_rt.asan.a >/dev/null 2>&1; then
    if cargo fuzz build -a >"$LOG_DIR/build-asan.log" 2>&1; then
        if smoke; then
            SAN=()
            SAN_NAME=address
        else
            say "fuzz: AddressSanitizer build does not run (see $LOG_DIR/smoke.log); using --sanitizer none"
        fi
    else
        say "fuzz: AddressSanitizer build failed (see $LOG_DIR/build-asan.log); using --sanitizer none"
    fi
else
    say "fuzz: no AddressSanitizer runtime in this toolchain; using --sanitizer none"
fi
if [ "$SAN_NAME" = none ]; then
    cargo fuzz build -a "${SAN[@]}" >"$LOG_DIR/build.log" 2>&1 || {
        tail -n 30 "$LOG_DIR/build.log" >&2
        die "build failed (see $LOG_DIR/build.log)"
    }
fi

# --- run ---------------------------------------------------------------------------------
passed=0
failed=0
for t in "${TARGETS[@]}"; do
    log="$LOG_DIR/$t.log"
    start=$(date +%s)
    # -timeout: an input running longer than 10 s counts as a hang (a failure).
    cargo fuzz run -a "${SAN[@]}" "$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -print_final_stats=1 >"$log" 2>&1
    rc=$?
    took=$(($(date +%s) - start))
    runs="$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)"
    corpus="$(find "$FUZZ_DIR/corpus/$t" -type f 2>/dev/null | wc -l)"
    if [ "$rc" = 0 ]; then
        passed=$((passed + 1))
        say "fuzz: $t: ok (${runs:-?} runs in ${took}s, corpus $corpus, sanitizer $SAN_NAME)"
    else
        failed=$((failed + 1))
        artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
        why="$(grep -m1 -E "panicked at|ERROR: (AddressSanitizer|libFuzzer)" "$log")"
        detail="$(grep -m1 -A1 "panicked at" "$log" | tail -n 1)"
        say "fuzz: $t: FAILED after ${took}s (exit $rc): ${why:-see log}${detail:+ -- $detail}"
        say "fuzz:   input: ${artifact:-none written}; log: $log"
        [ -n "$artifact" ] && say "fuzz:   reproduce: (cd core/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -a ${SAN[*]:+${SAN[*]} }$t ${artifact#"$FUZZ_DIR"/})"
    fi
done

say "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
