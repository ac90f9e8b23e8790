#!/usr/bin/env bash
# make minigame: the mini-game template (web/minigame) with the demo client's Emscripten build (client.js, a
# CommonJS factory, and client.wasm: web/minigame/CMakeLists.txt) into a project directory.
# Usage: web/minigame/build.sh <the web build's minigame dir (build/web/web/minigame)> <output dir>
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
built="$1"
out="$2"
for f in client.js client.wasm; do
  [ -f "$built/$f" ] || { echo "minigame: $built/$f missing (build the target ttsocket_minigame_client)" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out/demo"
cp "$built/client.js" "$built/client.wasm" "$out/demo/"
cp "$here/game.js" "$here/config.js" "$here/game.json" "$here/project.config.json" "$out/"
echo "minigame: $out (open it in the Douyin or WeChat developer tools)"
