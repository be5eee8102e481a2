#!/usr/bin/env bash
# Builds the npm package into bindings-wasm/pkg/. Works on a fresh machine: installs the
# toolchain pieces that are missing (wasm32 target, wasm-bindgen-cli, binaryen's wasm-opt, esbuild)
# and skips what is already there.
#
#   bindings-wasm/build.sh          # release build, size-tuned
#
# The release module is built with a pinned nightly Rust (NIGHTLY below, installed here when
# missing: the minimal profile and rust-src): the standard library rebuilt from its sources
# (-Zbuild-std, its optimize_for_size feature) and panic = immediate-abort, so that a panic is
# a bare trap (`unreachable`) with none of the panic machinery (formatting, hook, locations)
# in the module: ~11 KB gzipped less. When that nightly cannot be installed, the stable build (rustup's
# wasm32 target, else Debian's rustc-web) is used, and the module is larger.
# CSMS_WASM_TOOLCHAIN=stable forces the stable build; =debian forces Debian's rustc-web.
#
# Environment: CARGO_TARGET_DIR is ignored; artifacts go to target/wasm (a separate dir so
# that rustup's and Debian's cargo never share artifacts).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
# Tests can point at another checkout of the workspace root (same crates) with CSMS_WORKSPACE.
WS="${CSMS_WORKSPACE:-$ROOT}"
TARGET_DIR="$ROOT/target/wasm"
TOOLS="$HERE/.tools"
log() { echo "build.sh: $*" >&2; }

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)
BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")
[ -n "$BINDGEN_VERSION" ] || { log "wasm-bindgen not found in Cargo.lock"; exit 1; }

# Size-tuned release profile for this build only (the workspace profile stays as it is).
# opt-level z: the module must stay within 100 KB gzipped; the signing path is written so
# that it does not depend on inlining (see core/src/signer).
export CARGO_PROFILE_RELEASE_OPT_LEVEL=${CSMS_WASM_OPT_LEVEL:-z}
export CARGO_PROFILE_RELEASE_LTO=true
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
export CARGO_PROFILE_RELEASE_PANIC=abort
export CARGO_PROFILE_RELEASE_STRIP=false
export CARGO_PROFILE_RELEASE_DEBUG=false
unset CARGO_TARGET_DIR
# Source paths in panic locations without the build machine's directories (shorter, and the
# same module from any checkout): the crates' registry directory and the workspace.
CARGO_DIR="${CARGO_HOME:-$HOME/.cargo}"
export RUSTFLAGS="--remap-path-prefix=$CARGO_DIR/registry/src/= --remap-path-prefix=$WS/="

# 1. The toolchain. The pinned nightly with std rebuilt from its sources (no wasm32 rust-std
# of its own is needed, nor downloadable for every nightly); the -Z flags reach only the
# module's build (MODULE_RUSTFLAGS), not `cargo install` below.
# CSMS_WASM_NIGHTLY names another (to try one; a name that cannot be installed tests the fallback).
NIGHTLY=${CSMS_WASM_NIGHTLY:-nightly-2026-05-19}
CARGO=(cargo)
STD_SPEED=()
MODULE_RUSTFLAGS="$RUSTFLAGS"
nightly_ready() {
    command -v rustup >/dev/null || return 1
    if ! rustup toolchain list 2>/dev/null | grep -q "^$NIGHTLY-"; then
        log "installing Rust $NIGHTLY (minimal profile)"
        rustup toolchain install "$NIGHTLY" --profile minimal >&2 || return 1
    fi
    if ! rustup component list --toolchain "$NIGHTLY" --installed 2>/dev/null | grep -qx rust-src; then
        log "adding rust-src to $NIGHTLY"
        rustup component add rust-src --toolchain "$NIGHTLY" >&2 || return 1
    fi
}
STABLE=
if [ -n "${CSMS_WASM_TOOLCHAIN:-}" ]; then
    STABLE=1
elif nightly_ready; then
    CARGO=(cargo "+$NIGHTLY" -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size)
    # immediate-abort: a panic is `unreachable` at once (no message, no hook, no unwinding
    # tables); location-detail=none: no source paths for the panics that remain in std.
    MODULE_RUSTFLAGS="$RUSTFLAGS -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"
    # MIR inlining, which rustc leaves off at opt-level z: the many small generic layers of
    # the hot path (`String::push_str` through `Vec`'s `extend`, ...) inlined before LLVM
    # sees them, where LLVM's size-tuned inliner keeps them as calls (V8 does not inline wasm
    # calls). buildRequest -10%, a call -6%, the module 631 bytes smaller gzipped (s28,
    # bench-ab.mjs both ways round); a hint threshold of 150 (default 100) another -2 to -3%
    # and -123 bytes; 200+ or a plain threshold of 100 add 7-8 KB.
    MODULE_RUSTFLAGS="$MODULE_RUSTFLAGS -Zinline-mir=yes -Zinline-mir-hint-threshold=150"
    # std rebuilt takes the profile's opt-level z, where rustup's is built at 3: at z,
    # buildRequest was ~20% slower (UTF-8 checks, string and formatting code of core); at 3
    # as before, and the module no larger after wasm-opt (131,221 bytes against 131,525).
    STD_SPEED=(core alloc std compiler_builtins)
else
    log "Rust $NIGHTLY cannot be installed: building with stable Rust (the module is ~11 KB gzipped larger, and a panic keeps its message)"
    STABLE=1
fi
# The stable build: rustup's wasm32 target, else Debian's rustc-web with std sources (build-std).
# CSMS_WASM_TOOLCHAIN=debian forces Debian's (to test it on a machine that has rustup's target).
if [ -n "$STABLE" ] && { [ "${CSMS_WASM_TOOLCHAIN:-}" = debian ] || ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; }; then
    if [ "${CSMS_WASM_TOOLCHAIN:-}" = debian ] || ! rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
        log "rustup cannot add wasm32-unknown-unknown; using Debian's rustc-web with -Zbuild-std"
        if [ ! -x /usr/bin/cargo ] || [ ! -d /usr/lib/rustlib/src/rust/library ]; then
            apt-get update >/dev/null && apt-get install -y rustc-web cargo-web rust-web-src >/dev/null
        fi
        LLD="$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld"
        export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$LLD"
        export RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
        CARGO=(/usr/bin/cargo -Zbuild-std=std,panic_abort)
    fi
fi

# 2. wasm-bindgen-cli, exactly the version of the wasm-bindgen crate.
BINDGEN="$(command -v wasm-bindgen || true)"
if [ -z "$BINDGEN" ] || [ "$("$BINDGEN" --version | awk '{print $2}')" != "$BINDGEN_VERSION" ]; then
    log "installing wasm-bindgen-cli $BINDGEN_VERSION"
    cargo install wasm-bindgen-cli --version "$BINDGEN_VERSION" --root "$TOOLS" >&2
    BINDGEN="$TOOLS/bin/wasm-bindgen"
fi

# 3. The module. Optimised for size but the standard library (above); SHA-256, the hot path of
# signing, is a block function of the core's own in this build (core/src/signer/sha256_simd.rs),
# written out so that it does not depend on the opt-level.
SPEED=()
for crate in "${STD_SPEED[@]}"; do SPEED+=(--config "profile.release.package.$crate.opt-level=3"); done
# CSMS_WASM_SPEED="crate=level ..." adds overrides (to try others); CSMS_WASM_RUSTFLAGS adds
# flags to the module's rustc (to try them: `-Zinline-mir=no`, ...).
# WebAssembly SIMD (Node 16.4+, Chrome 91+, Firefox 89+, Safari 16.4+, Deno, Bun, workerd):
# SHA-256's message schedule in vectors (core/src/signer/sha256_simd.rs: its block function
# ~16% faster than sha2's); the module also came out ~800 bytes smaller gzipped with it (s32).
MODULE_RUSTFLAGS="$MODULE_RUSTFLAGS -Ctarget-feature=+simd128 ${CSMS_WASM_RUSTFLAGS:-}"
for spec in ${CSMS_WASM_SPEED:-}; do SPEED+=(--config "profile.release.package.${spec%%=*}.opt-level=${spec#*=}"); done
(cd "$WS" && RUSTFLAGS="$MODULE_RUSTFLAGS" "${CARGO[@]}" build --release -p csms-wasm --target wasm32-unknown-unknown --target-dir "$TARGET_DIR" "${SPEED[@]}" >&2)
RAW="$TARGET_DIR/wasm32-unknown-unknown/release/csms_wasm.wasm"
OUT="$TARGET_DIR/bindgen"
rm -rf "$OUT"
"$BINDGEN" "$RAW" --target web --out-dir "$OUT" --out-name csms_wasm --no-typescript

# 4. wasm-opt -O3 (from the npm package binaryen) when available.
WASM="$OUT/csms_wasm_bg.wasm"
WASM_OPT="$(command -v wasm-opt || true)"
if [ -z "$WASM_OPT" ] && [ -x "$TOOLS/node_modules/.bin/wasm-opt" ]; then WASM_OPT="$TOOLS/node_modules/.bin/wasm-opt"; fi
if [ -z "$WASM_OPT" ] && command -v npm >/dev/null; then
    log "installing binaryen (wasm-opt) from npm into $TOOLS"
    mkdir -p "$TOOLS" && (cd "$TOOLS" && { [ -f package.json ] || echo '{"private":true}' > package.json; } \
        && npm install --no-audit --no-fund --silent binaryen >&2) || true
    [ -x "$TOOLS/node_modules/.bin/wasm-opt" ] && WASM_OPT="$TOOLS/node_modules/.bin/wasm-opt"
fi
if [ -n "$WASM_OPT" ]; then
    # -O3 until a pass finds nothing more (--converge): later passes still find a little.
    # -O3 rather than -Os: binaryen's -O3 inlines a little more and left this module 37 bytes
    # smaller gzipped, buildRequest 0.93-1.00x and a call 0.95-0.98x the time (s28,
    # bench-ab.mjs, four runs in both orders); -Os rather than -Oz before it: -Oz inlines
    # less and left the module ~140 bytes larger gzipped, at the same speed (s27-build).
    # --low-memory-unused: lets wasm-opt fold constant offsets into loads and stores, assuming
    # nothing lives in the first 1 KiB of memory. True of this module: rustc links the stack
    # first (it starts at 1 MiB and grows down, data and heap lie above it), so those bytes
    # are reached only by a stack already ~1 MiB deep, which has overflowed anyway (~400 bytes
    # gzipped).
    FEATURES=(--enable-simd --enable-bulk-memory --enable-sign-ext --enable-mutable-globals
              --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue)
    # Function names kept (--debuginfo) for the next step.
    "$WASM_OPT" -O3 --low-memory-unused --converge --debuginfo "${FEATURES[@]}" "$WASM" -o "$OUT/csms_wasm_named.wasm"
    # The functions grouped by crate and module (js/group-functions.mjs: ~800 bytes less
    # gzipped, the same code), one more -O3 round, then the names and other extras stripped.
    node "$HERE/js/group-functions.mjs" "$OUT/csms_wasm_named.wasm" "$OUT/csms_wasm_grouped.wasm"
    "$WASM_OPT" --reorder-functions-by-name -O3 --low-memory-unused --strip-debug --strip-producers --strip-target-features \
        "${FEATURES[@]}" "$OUT/csms_wasm_grouped.wasm" -o "$OUT/csms_wasm_opt.wasm"
    WASM="$OUT/csms_wasm_opt.wasm"
else
    log "wasm-opt not available: the module is not post-optimised"
fi

# 5. The package. esbuild (from npm, into $TOOLS) bundles its ES modules into one entry file
# plus the test entry's shared chunk: importing one file instead of ten is a third faster.
# npm_tool NAME VERSION VERSION_LINE: installs NAME@VERSION into $TOOLS unless its binary there
# already prints VERSION_LINE for --version; prints the binary's path.
npm_tool() {
    local bin="$TOOLS/node_modules/.bin/$1"
    if [ ! -x "$bin" ] || [ "$("$bin" --version)" != "$3" ]; then
        log "installing $1 $2 from npm into $TOOLS"
        mkdir -p "$TOOLS" && (cd "$TOOLS" && { [ -f package.json ] || echo '{"private":true}' > package.json; } \
            && npm install --no-audit --no-fund --silent "$1@$2" >&2)
    fi
    printf '%s' "$bin"
}
ESBUILD="$(npm_tool esbuild 0.24.2 0.24.2)"
# terser (from npm, pinned) then shortens the bundle's local names, keeping the names of
# functions and classes (stack frames still read `at runAttempts`): 1.8 KB less gzipped.
TERSER="$(npm_tool terser 5.51.4 "terser 5.51.4")"
CSMS_ESBUILD="$ESBUILD" CSMS_TERSER="$TERSER" node "$HERE/js/build-pkg.mjs" "$OUT" "$WASM" "$VERSION"
