#!/usr/bin/env bash
# The tree follows its own formatter configs: every C file (src/, native/, web/, include/, tests/) must be
# what clang-format makes of it with the top-level .clang-format, and every tracked JavaScript/TypeScript
# file (.js, .mjs, .cjs, .ts, .mts outside node_modules) must pass ESLint's stylistic rules in
# tests/eslint.config.mjs (ESLint from tests/node_modules, installed by tests/deps.sh). Run by `make test`
# (format-check).
# Usage: tests/format-check.sh          list the files that differ (C: the diff; JS: each rule broken, by
#                                       line); exit 1 if any does
#        tests/format-check.sh --fix    rewrite every file in place (then review and commit the result)
# EM_JS and EM_ASM bodies are JavaScript, which clang-format would break (=== becomes == =): keep them
# between /* clang-format off */ and /* clang-format on */, as web/demo/game.c does.
# tests/eslint.config.mjs says why the JavaScript has rules rather than a reprinting formatter, and which
# file it leaves out (web/library_ttsocket.js: Emscripten and CMake substitutions, no JavaScript parser
# reads it).
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
mapfile -t jsfiles < <(git ls-files -- '*.js' '*.mjs' '*.cjs' '*.ts' '*.mts' | grep -v '/node_modules/')
eslint="$root/tests/node_modules/.bin/eslint"
[ -x "$eslint" ] || { echo "format-check: FAIL: $eslint not found (tests/deps.sh installs it)"; exit 1; }
# The config's ignores (not this list) leave files out; --no-warn-ignored keeps those quiet. The notice
# about the two deprecated rules the config uses on purpose (it says why) is dropped.
eslint_run() {
  "$eslint" --config tests/eslint.config.mjs --no-warn-ignored "$@" "${jsfiles[@]}" 2>&1 |
    grep -v '^\[@stylistic/eslint-plugin\]: You are using deprecated rule'
  return "${PIPESTATUS[0]}"
}

if [ $fix -eq 1 ]; then
  "$cf" -i --style=file "${files[@]}" || exit 1
  echo "format-check: formatted ${#files[@]} C files"
  # --fix rewrites what the rules can; whatever is left (if anything) is listed and fails the run.
  eslint_run --fix || { echo "format-check: FAIL: the JavaScript above needs fixing by hand"; exit 1; }
  echo "format-check: formatted ${#jsfiles[@]} JavaScript files (less the ones tests/eslint.config.mjs ignores)"
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
if ! out=$(eslint_run 2>&1); then
  echo "format-check: JavaScript differs from tests/eslint.config.mjs:"
  printf '%s\n' "$out" | sed 's/^/  /'
  n=$(printf '%s\n' "$out" | grep -c "^$root/")
  # ESLint itself failing (a broken config, a missing plugin) lists no file: still a failure.
  bad=$((bad + (n > 0 ? n : 1)))
fi
if [ $bad -ne 0 ]; then
  echo "format-check: FAIL: $bad file(s) differ (tests/format-check.sh --fix rewrites them)"
  exit 1
fi
echo "format-check: PASS (${#files[@]} C files, ${#pending[@]} pending; ${#jsfiles[@]} JavaScript files less the ones tests/eslint.config.mjs ignores)"
