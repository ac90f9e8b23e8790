#!/usr/bin/env bash
# ABI check of libttsocket.so against the baseline committed in tests/abi/ttsocket.abi (abidw/abidiff from
# Debian's abigail-tools). The rule it enforces (README, "Versioning and ABI"):
#   - the library's ABI must equal the baseline's, or differ only compatibly (added functions, new fields
#     in reserved slots, judged by abi-classify.py);
#   - an incompatible change is allowed only together with a new SONAME (TT_SOVERSION, the major
#     version, raised) and a refreshed baseline, in the same commit: so the library must always match
#     the baseline's SONAME, and when the committed baseline itself changed, the change from its
#     previous version (git) must be compatible or come with a new SONAME.
# Usage: tests/packaging/abi-check.sh LIBTTSOCKET.so [BASELINE.abi]
#        tests/packaging/abi-check.sh --write LIBTTSOCKET.so [BASELINE.abi]   (refresh the baseline)
# Exits 0 when the ABI is acceptable, 1 otherwise (with abidiff's report).
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
write=0
if [ "${1:-}" = "--write" ]; then write=1; shift; fi
lib="${1:?usage: abi-check.sh [--write] LIBTTSOCKET.so [BASELINE.abi]}"
baseline="${2:-$root/tests/abi/ttsocket.abi}"
# The headers that define the public types live next to the library's sources (the variant builds of
# abi-selftest.sh use their own copy).
headers="${TT_ABI_HEADERS:-$root/include}"
for tool in abidw abidiff readelf; do
  command -v "$tool" >/dev/null || { echo "abi-check: FAIL: $tool not found (tests/deps.sh installs abigail-tools)"; exit 1; }
done
[ -f "$lib" ] || { echo "abi-check: FAIL: no such library: $lib"; exit 1; }
tmp="$(mktemp -d "${TMPDIR:-/tmp}/tt-abi.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# dump LIB OUT: the ABI of LIB as abixml, limited to the types of the public header; source paths are
# made relative so the file does not depend on where the tree was built.
dump() {
  abidw --headers-dir "$headers" --drop-private-types --no-corpus-path --no-comp-dir-path --no-show-locs \
    --type-id-style hash --out-file "$2.raw" "$1" || return 1
  sed -E "s@path='[^']*/(src|native|web|include)/@path='\1/@" "$2.raw" >"$2"
}
soname_of() { sed -n "1,3s/.*soname='\([^']*\)'.*/\1/p" "$1" | head -n1; }
# compare OLD NEW WHAT: abidiff; returns 0 (same), 4 (compatible change: an added function or a field
# in a reserved slot) or 8 (incompatible), with the report in $tmp/report. abidiff itself calls only
# removed symbols incompatible (status bit 8); abi-classify.py judges the type changes (bit 4).
compare() {
  abidiff "$1" "$2" >"$tmp/report" 2>&1
  local rc=$?
  if [ $((rc & 8)) -ne 0 ]; then return 8; fi
  if [ $((rc & 3)) -ne 0 ]; then echo "abi-check: FAIL: abidiff could not compare $3 (status $rc)"; cat "$tmp/report"; exit 1; fi
  if [ $((rc & 4)) -ne 0 ]; then
    "$root/tests/packaging/abi-classify.py" "$tmp/report" >>"$tmp/report" && return 4
    return 8
  fi
  return 0
}

dump "$lib" "$tmp/current.abi" || { echo "abi-check: FAIL: abidw could not read $lib"; exit 1; }
if [ $write -eq 1 ]; then
  mkdir -p "$(dirname "$baseline")"
  cp "$tmp/current.abi" "$baseline"
  echo "abi-check: baseline written: $baseline ($(soname_of "$baseline"))"
  exit 0
fi
[ -f "$baseline" ] || { echo "abi-check: FAIL: no baseline $baseline (make abi-baseline writes it)"; exit 1; }

status=0
base_soname=$(soname_of "$baseline")
cur_soname=$(soname_of "$tmp/current.abi")
if [ "$base_soname" != "$cur_soname" ]; then
  echo "abi-check: the SONAME changed from $base_soname to $cur_soname, but the baseline was not refreshed:"
  echo "  run 'make abi-baseline' and commit tests/abi/ttsocket.abi with the new SONAME"
  status=1
else
  compare "$baseline" "$tmp/current.abi" "the baseline and the library"
  case $? in
    0) echo "abi-check: the ABI of $cur_soname equals the baseline" ;;
    4) echo "abi-check: compatible ABI change against the baseline (refresh it with 'make abi-baseline' to record it):"
       sed 's/^/  /' "$tmp/report" ;;
    8) echo "abi-check: INCOMPATIBLE ABI change with the same SONAME ($cur_soname):"
       sed 's/^/  /' "$tmp/report"
       echo "  Either keep the ABI (new fields go into the reserved slots at the end of an options struct; see"
       echo "  include/ttsocket.h), or raise the major version (TT_SOVERSION) and refresh the baseline with"
       echo "  'make abi-baseline' in the same commit."
       status=1 ;;
  esac
fi

# The committed baseline against its previous version: a refresh that hides an incompatible change
# without a new SONAME is caught here (needs the git history; skipped in a tree without it).
rel="${baseline#"$root"/}"
prev=""
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1 && [ "$rel" != "$baseline" ]; then
  if ! git -C "$root" diff --quiet HEAD -- "$rel" 2>/dev/null; then
    prev="HEAD"   # refreshed in the working tree: compare with the committed one
  else
    last=$(git -C "$root" log -n1 --format=%H -- "$rel" 2>/dev/null)
    [ -n "$last" ] && prev="$last^"
  fi
fi
if [ -n "$prev" ] && git -C "$root" show "$prev:$rel" >"$tmp/previous.abi" 2>/dev/null; then
  prev_soname=$(soname_of "$tmp/previous.abi")
  if [ "$prev_soname" = "$base_soname" ]; then
    compare "$tmp/previous.abi" "$baseline" "the baseline and its previous version"
    if [ $? -eq 8 ]; then
      echo "abi-check: the baseline was refreshed over an INCOMPATIBLE change without a new SONAME ($base_soname):"
      sed 's/^/  /' "$tmp/report"
      echo "  raise the major version (TT_SOVERSION) in the same commit."
      status=1
    fi
  fi
fi

if [ $status -eq 0 ]; then echo "abi-check: PASS ($cur_soname)"; else echo "abi-check: FAIL ($lib)"; fi
exit $status
