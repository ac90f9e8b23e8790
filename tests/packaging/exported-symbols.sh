#!/usr/bin/env bash
# Exported symbols of the shared library: every symbol libttsocket.so defines in its dynamic symbol table
# must be a public function of include/ttsocket.h (tt_ followed by a letter); internals (tt__*), the
# libraries it links (OpenSSL, zlib) and anything else must stay hidden. Each function the header
# declares must be exported, too. Prints the offending symbols and exits 1 otherwise.
# Usage: tests/packaging/exported-symbols.sh LIBTTSOCKET.so [ttsocket.h]
set -euo pipefail
lib="$1"
header="${2:-$(cd "$(dirname "$0")/../.." && pwd)/include/ttsocket.h}"
[ -f "$lib" ] || { echo "exported-symbols: FAIL: no such library: $lib"; exit 1; }

# Defined dynamic symbols (nm -D --defined-only prints "ADDRESS TYPE NAME[@VERSION]").
exported=$(nm -D --defined-only "$lib" | awk '{ sub(/@.*/, "", $3); print $3 }' | sort -u)
# The functions the header declares: "TT_EXTERN <type> <name>(".
declared=$(sed -n 's/^TT_EXTERN[^(]*[ *]\(tt_[a-z_0-9]*\)(.*/\1/p' "$header" | sort -u)
[ -n "$declared" ] || { echo "exported-symbols: FAIL: no TT_EXTERN functions found in $header"; exit 1; }

extra=$(comm -23 <(echo "$exported") <(echo "$declared"))
missing=$(comm -13 <(echo "$exported") <(echo "$declared"))
status=0
if [ -n "$extra" ]; then
  echo "exported-symbols: exported but not public API:"; echo "$extra" | sed 's/^/  /'; status=1
fi
if [ -n "$missing" ]; then
  echo "exported-symbols: declared in the header but not exported:"; echo "$missing" | sed 's/^/  /'; status=1
fi
n=$(echo "$exported" | wc -l)
if [ $status -eq 0 ]; then
  echo "exported-symbols: PASS ($n symbols, all tt_* functions of the header)"
else
  echo "exported-symbols: FAIL ($lib)"
fi
exit $status
