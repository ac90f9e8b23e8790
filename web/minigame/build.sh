#!/usr/bin/env bash
# make minigame: the mini-game template (web/minigame) with the web package, bundled as CommonJS (a
# container's game.js cannot import ES modules and has no import.meta.url), into a project directory.
# Usage: web/minigame/build.sh <package dir (build/web/web/package)> <output dir>
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pkg="$1"
out="$2"
esbuild="$root/tests/node_modules/.bin/esbuild"
[ -x "$esbuild" ] || { echo "minigame: esbuild missing (run tests/deps.sh)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/ttsocket"
# import.meta.url is only read when no locateFile is given; game.js always gives one.
"$esbuild" "$pkg/index.js" --bundle --format=cjs --platform=neutral --target=es2017 --minify \
  --log-level=error --outfile="$out/ttsocket/ttsocket.js"
cp "$pkg/ttsocket.wasm" "$out/ttsocket/ttsocket.wasm"
cp "$here/game.js" "$here/config.js" "$here/game.json" "$here/project.config.json" "$out/"
echo "minigame: $out (open it in the Douyin or WeChat developer tools)"
