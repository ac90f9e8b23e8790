#!/usr/bin/env bash
# Installs what ttsocket's build, tests, demo and benchmarks need, from Debian packages and npm only.
# Idempotent and quiet when everything is present. Usage: tests/deps.sh
# (The second web toolchain, Debian 13's Emscripten, lives in a cached root made by tests/web/trixie-emscripten.sh
# with debootstrap and the trixie keys of debian-archive-keyring.)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

debs=(build-essential cmake pkg-config clang llvm-14 lld-14 libclang-rt-14-dev libclang-rt-14-dev-wasm32
      libssl-dev zlib1g-dev libcmocka-dev openssl ca-certificates
      emscripten wasi-libc nodejs python3 python3-websockets
      chromium libwebsockets-dev valgrind abigail-tools dpkg-dev file debootstrap debian-archive-keyring clang-format-14)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The machine's Node.js may come with its own npm; Debian's npm package is only for a Debian nodejs.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm peers and drivers, pinned by the committed lockfile.
stamp="$here/node_modules/.tt-lock-stamp"
if [ ! -f "$stamp" ] || ! cmp -s "$here/package-lock.json" "$stamp"; then
  echo "deps: npm ci in tests/"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$here/package-lock.json" "$stamp"
fi
