#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/fuzz_<name>.c) into OUT (default build/fuzz) with clang,
# ASan and UBSan. Kept apart from the CMake presets on purpose: the normal builds never see these flags.
# The core sources are read from TT_CORE_SOURCES in the top-level CMakeLists.txt, so a module added
# there is fuzzed without touching this script. The loopback transport, fixed hooks and test SHA-1 from
# tests/support stand in for a real transport, exactly as in the unit tests.
# Targets named fuzz_*_deflate.c get src/deflate.c (permessage-deflate over the system zlib, -lz) in place
# of the src/deflate_none.c stub that TT_CORE_SOURCES lists.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/build/fuzz}
CC=${FUZZ_CC:-clang}
mkdir -p "$OUT/obj"

if ! command -v "$CC" >/dev/null; then
    echo "fuzz: $CC not found (libFuzzer needs clang)" >&2
    exit 1
fi

# src/*.c as listed in TT_CORE_SOURCES( ... ).
mapfile -t CORE < <(sed -n '/^set(TT_CORE_SOURCES/,/)/p' "$ROOT/CMakeLists.txt" | grep -o 'src/[A-Za-z0-9_]*\.c')
if [ "${#CORE[@]}" -eq 0 ]; then
    echo "fuzz: could not read TT_CORE_SOURCES from CMakeLists.txt" >&2
    exit 1
fi
SUPPORT=(tests/support/loopback_transport.c tests/support/test_hooks.c tests/support/sha1.c)

CFLAGS=(-std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter
        -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
        -I"$ROOT/include" -I"$ROOT/src" -I"$ROOT/tests/support" -I"$ROOT/tests/fuzz")
# FUZZ_EXTRA_CFLAGS, e.g. -fsanitize-recover=undefined to explore past a known UBSan finding with
# UBSAN_OPTIONS=halt_on_error=1:suppressions=tests/fuzz/known-ub.supp (use another OUT directory).
if [ -n "${FUZZ_EXTRA_CFLAGS:-}" ]; then read -r -a extra <<<"$FUZZ_EXTRA_CFLAGS"; CFLAGS+=("${extra[@]}"); fi

pids=()
wait_all() {
    local failed=0
    for p in "${pids[@]}"; do wait "$p" || failed=1; done
    pids=()
    if [ "$failed" -ne 0 ]; then echo "fuzz: build failed" >&2; exit 1; fi
}

# Objects are rebuilt when their source or any header is newer.
newest_header=$(ls -t "$ROOT"/include/*.h "$ROOT"/src/*.h "$ROOT"/tests/support/*.h "$ROOT"/tests/fuzz/*.h 2>/dev/null | head -1)
OBJS=()
for src in "${CORE[@]}" "${SUPPORT[@]}" src/deflate.c; do
    obj="$OUT/obj/$(echo "$src" | tr / _).o"
    if [ ! -f "$obj" ] || [ "$ROOT/$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then
        rm -f "$obj"
        "$CC" "${CFLAGS[@]}" -c "$ROOT/$src" -o "$obj" &
        pids+=($!)
    fi
    [ "$src" = src/deflate.c ] || OBJS+=("$obj")
done
wait_all
# The object list with the real compressor instead of the stub.
DEFLATE_OBJS=()
for o in "${OBJS[@]}"; do
    case "$o" in *src_deflate_none.c.o) DEFLATE_OBJS+=("$OUT/obj/src_deflate.c.o") ;; *) DEFLATE_OBJS+=("$o") ;; esac
done

for fz in "$ROOT"/tests/fuzz/fuzz_*.c; do
    name=$(basename "$fz" .c)
    bin="$OUT/$name"
    objs=("${OBJS[@]}")
    libs=()
    case "$name" in *_deflate) objs=("${DEFLATE_OBJS[@]}"); libs=(-lz) ;; esac
    if [ ! -f "$bin" ] || [ "$fz" -nt "$bin" ] || [ -n "$(find "${objs[@]}" -newer "$bin" 2>/dev/null)" ] ||
       [ "$newest_header" -nt "$bin" ]; then
        rm -f "$bin"
        "$CC" "${CFLAGS[@]}" -fsanitize=fuzzer "$fz" "${objs[@]}" "${libs[@]}" -o "$bin" &
        pids+=($!)
    fi
done
wait_all
for fz in "$ROOT"/tests/fuzz/fuzz_*.c; do
    [ -x "$OUT/$(basename "$fz" .c)" ] || { echo "fuzz: $(basename "$fz" .c) failed to build" >&2; exit 1; }
done
echo "fuzz: targets built in $OUT"
