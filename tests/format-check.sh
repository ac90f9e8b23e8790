#!/usr/bin/env bash
# The tree follows its own formatter config: every C file (src/, native/, web/, include/, tests/) must be
# what clang-format makes of it with the top-level .clang-format. Run by `make test` (format-check).
# Usage: tests/format-check.sh          list the files that differ and show the diff; exit 1 if any does
#        tests/format-check.sh --fix    rewrite every file in place (then review and commit the result)
# EM_JS and EM_ASM bodies are JavaScript, which clang-format would break (=== becomes == =): keep them
# between /* clang-format off */ and /* clang-format on */, as web/demo/game.c does.
# The JavaScript is not checked: no formatter config reproduces its hand layout closely enough (prettier,
# tuned, would still rewrite about two thirds of its lines).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
fix=0
if [ "${1:-}" = "--fix" ]; then fix=1; shift; fi
[ $# -eq 0 ] || { echo "usage: tests/format-check.sh [--fix]"; exit 2; }

# clang-format 14 is Debian 12's; a different major version formats some constructs differently, so the
# check insists on the one the config was written for.
cf="${CLANG_FORMAT:-}"
if [ -z "$cf" ]; then
  for c in clang-format-14 clang-format; do command -v "$c" >/dev/null && { cf="$c"; break; }; done
fi
[ -n "$cf" ] || { echo "format-check: FAIL: clang-format not found (tests/deps.sh installs clang-format)"; exit 1; }
major=$("$cf" --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
[ "$major" = "14" ] || { echo "format-check: FAIL: $cf is version $major; the config is for clang-format 14"; exit 1; }

pending=()

mapfile -t files < <(git ls-files -- 'src/*.[ch]' 'native/*.[ch]' 'web/*.[ch]' 'include/*.h' 'tests/*.[ch]' |
  grep -v '/node_modules/')
if [ $fix -eq 1 ]; then
  "$cf" -i --style=file "${files[@]}" || exit 1
  echo "format-check: formatted ${#files[@]} files"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  skip=0
  for p in "${pending[@]}"; do [ "$f" = "$p" ] && skip=1; done
  [ $skip -eq 1 ] && continue
  if ! "$cf" --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "format-check: $f differs from clang-format's layout:"
    "$cf" --style=file "$f" | diff -u "$f" - | sed 's/^/  /' | head -40
    bad=$((bad + 1))
  fi
done
if [ $bad -ne 0 ]; then
  echo "format-check: FAIL: $bad file(s) differ (tests/format-check.sh --fix rewrites them)"
  exit 1
fi
echo "format-check: PASS (${#files[@]} files, ${#pending[@]} pending)"
