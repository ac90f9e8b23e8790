#!/usr/bin/env bash
# Proves the ABI check accepts the growth the header allows and can fail: first a copy of the sources
# where a new field takes the first reserved slot of tt_close_options must pass; then it builds libttsocket.so from a copy of the sources with one public field
# removed (the reserved tail of tt_close_options, so tt_close_options shrinks) and expects
# tests/packaging/abi-check.sh to reject it against the committed baseline; then raises the major version
# in the copy (a new SONAME) without refreshing the baseline and expects a rejection again; then
# refreshes a copy of the baseline and expects the check to pass, which is the documented procedure.
# Usage: tests/packaging/abi-selftest.sh   (about 20 s on 2 cores)
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/tt-abi-selftest.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
jobs="$(nproc 2>/dev/null || echo 2)"
fail() { echo "abi-selftest: FAIL: $*"; exit 1; }

# The library's sources only (tests and programs are off in the variant build).
src="$tmp/src"
mkdir -p "$src"
cp -r "$root/CMakeLists.txt" "$root/include" "$root/src" "$root/native" "$src/" || fail "cannot copy the sources"
# edit_close_options REPLACEMENT: rewrites the reserved tail of tt_close_options in the copy.
edit_close_options() {
  python3 - "$src/include/ttsocket.h" "$1" <<'PY' || fail "cannot edit the copy of ttsocket.h"
import re, sys
p, repl = sys.argv[1], sys.argv[2]
s = open(p).read()
t = re.sub(r'(\n    void \*user_data;\n)    void \*reserved\[(\d+)\];[^\n]*\n(\} tt_close_options;)',
           lambda m: m.group(1) + repl.replace('N-1', str(int(m.group(2)) - 1)) + m.group(3), s)
if t == s:
    sys.exit("the reserved tail of tt_close_options was not found")
open(p, 'w').write(t)
PY
}

build() {
  cmake -S "$src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTT_BUILD_TESTS=OFF \
    -DTT_BUILD_PROGRAMS=OFF >"$tmp/build.log" 2>&1 &&
  cmake --build "$tmp/build" --target ttsocket -j"$jobs" >>"$tmp/build.log" 2>&1 ||
    { tail -n 40 "$tmp/build.log"; fail "building the variant"; }
}
check() { TT_ABI_HEADERS="$src/include" "$root/tests/packaging/abi-check.sh" "$@" >"$tmp/check.log" 2>&1; }

# 0. A new field in the first reserved slot: compatible, accepted with the same SONAME.
cp "$src/include/ttsocket.h" "$tmp/ttsocket.h.orig"
edit_close_options $'    int new_flag;\n    void *reserved[N-1];\n'
build
lib=$(readlink -f "$tmp/build/libttsocket.so")
check "$lib" || { cat "$tmp/check.log"; fail "a field in a reserved slot was rejected"; }
grep -q "compatible ABI change" "$tmp/check.log" || { cat "$tmp/check.log"; fail "the new field was not reported"; }
echo "abi-selftest: a new field in a reserved slot is accepted"

# 1. A field removed (the reserved tail), same SONAME: rejected as incompatible.
cp "$tmp/ttsocket.h.orig" "$src/include/ttsocket.h"
edit_close_options ''
build
lib=$(readlink -f "$tmp/build/libttsocket.so")
if check "$lib"; then cat "$tmp/check.log"; fail "a removed field passed the ABI check"; fi
grep -q "INCOMPATIBLE ABI change" "$tmp/check.log" || { cat "$tmp/check.log"; fail "not reported as incompatible"; }
grep -q "tt_close_options" "$tmp/check.log" || { cat "$tmp/check.log"; fail "the report does not name tt_close_options"; }
echo "abi-selftest: a removed field is rejected (same SONAME)"

# 2. The same with a new major version (libttsocket.so.N+1) but the old baseline: rejected.
sed -i -E 's/^project\(ttsocket VERSION [0-9]+\.[0-9]+\.[0-9]+/project(ttsocket VERSION 99.0.0/' "$src/CMakeLists.txt"
build
lib=$(readlink -f "$tmp/build/libttsocket.so")
[ "$(basename "$lib")" = "libttsocket.so.99.0.0" ] || fail "the variant is $lib, not libttsocket.so.99.0.0"
if check "$lib"; then cat "$tmp/check.log"; fail "a new SONAME without a refreshed baseline passed"; fi
grep -q "baseline was not refreshed" "$tmp/check.log" || { cat "$tmp/check.log"; fail "not reported as a stale baseline"; }
echo "abi-selftest: a new SONAME with the old baseline is rejected"

# 3. New SONAME and refreshed baseline: accepted.
check --write "$lib" "$tmp/refreshed.abi" || { cat "$tmp/check.log"; fail "writing the baseline"; }
check "$lib" "$tmp/refreshed.abi" || { cat "$tmp/check.log"; fail "the refreshed baseline was rejected"; }
echo "abi-selftest: PASS (new SONAME + refreshed baseline accepted)"
