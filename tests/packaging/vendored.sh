#!/usr/bin/env bash
# Vendored use: tests/packaging/vendored/ is a game that adds ttsocket from source. It is configured,
# built and run three ways: natively with add_subdirectory(), natively with FetchContent (from a tarball
# of the working tree's files), and for the web with emcmake + add_subdirectory() (the program then runs
# under Node). The project's CMakeLists fails at configure time if ttsocket built tests, named a target
# outside ttsocket*/tt_*, clashed with the game's targets or changed the game's global settings.
# Usage: tests/packaging/vendored.sh   (about a minute on 2 cores)
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/tests/packaging/vendored"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/tt-vendored.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
jobs="$(nproc 2>/dev/null || echo 2)"
export NODE_PATH=/usr/share/nodejs
fail() { [ -s "$tmp/log" ] && tail -n 40 "$tmp/log"; echo "vendored: FAIL: $*"; exit 1; }
run() { local what="$1"; shift; "$@" >"$tmp/log" 2>&1 || fail "$what"; }

# The files git knows (tracked or new, not ignored), as a source tarball for FetchContent.
(cd "$root" && git ls-files -co --exclude-standard -z | grep -zv '^tests/\(node_modules\|abi\)/' |
  tar --null -T - --transform 's,^,ttsocket/,' -czf "$tmp/ttsocket.tar.gz") || fail "making the tarball"

native() {  # NAME CMAKE-ARGS...
  local name="$1"; shift
  run "configure ($name)" cmake -S "$here" -B "$tmp/$name" "$@"
  grep "vendored:" "$tmp/log" | sed "s/^-- /  ($name) /"
  run "build ($name)" cmake --build "$tmp/$name" -j"$jobs"
  run "run ($name)" "$tmp/$name/game"
  echo "  ($name) $(cat "$tmp/log")"
}
native add_subdirectory -DTT_SOURCE_DIR="$root"
native FetchContent -DTT_VENDOR_WITH_FETCHCONTENT=ON -DTT_TARBALL="$tmp/ttsocket.tar.gz"

run "configure (web, emcmake)" emcmake cmake -S "$here" -B "$tmp/web" -DTT_SOURCE_DIR="$root"
grep "vendored:" "$tmp/log" | sed "s/^-- /  (web) /"
run "build (web)" cmake --build "$tmp/web" -j"$jobs"
run "run (web, node)" node "$tmp/web/game.cjs"
echo "  (web) $(cat "$tmp/log")"
echo "vendored: PASS (add_subdirectory, FetchContent, emcmake)"
