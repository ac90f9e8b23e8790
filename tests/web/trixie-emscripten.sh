#!/usr/bin/env bash
# The second web toolchain: Debian 13 (trixie)'s Emscripten, set up the way a CI image would be. Debian 12
# cannot install it, so a minimal trixie root is made with debootstrap in a cache folder that outlives
# `make clean` (default /var/cache/ttsocket/trixie-emscripten, or $TT_TRIXIE_ROOT) and emscripten, cmake
# and make are installed in it from Debian's archive. It only compiles: what it builds is run by the host's
# Node and Chromium. Needs root (debootstrap and chroot); CI runs as root.
#
# Usage: tests/web/trixie-emscripten.sh setup          make the root if missing (quiet when ready)
#        tests/web/trixie-emscripten.sh run CMD ARGS   run CMD in the root, in the current directory, with
#                                                      the source tree bound at the same path
#        tests/web/trixie-emscripten.sh version        print the root's emcc version
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/../.." && pwd)"
root="${TT_TRIXIE_ROOT:-/var/cache/ttsocket/trixie-emscripten}"
# The host's mirror (Debian 12's /etc/apt/sources.list.d/debian.sources names the same one).
mirror="${TT_TRIXIE_MIRROR:-http://deb.debian.org/debian}"
packages=(emscripten cmake make pkgconf)
# The root is ready when this file holds what was asked for. A changed package list is installed into
# the existing root; a changed suite or mirror makes a new root.
want="trixie ${mirror} ${packages[*]}"
stamp="$root/.ttsocket-ready"

if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi

setup() {
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  command -v debootstrap >/dev/null || { echo "trixie-emscripten: debootstrap missing (run tests/deps.sh)" >&2; exit 1; }
  # One setup at a time; whoever waited finds the root ready.
  $sudo mkdir -p "$(dirname "$root")"
  exec 9>"$root.lock"
  flock 9
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  local start=$SECONDS tmp="$root.partial"
  if [ -f "$stamp" ] && [ "$(cut -d' ' -f1-2 "$stamp")" = "trixie ${mirror}" ]; then
    echo "trixie-emscripten: installing ${packages[*]} into $root"
    tmp="$root"
  else
    echo "trixie-emscripten: making a Debian 13 root with emscripten in $root (once; a minute or two)"
    $sudo rm -rf "$tmp"
    $sudo mkdir -p "$(dirname "$root")"
    $sudo debootstrap --variant=minbase trixie "$tmp" "$mirror" > "$root.log" 2>&1 ||
      { tail -20 "$root.log" >&2; exit 1; }
  fi
  in_root "$tmp" / sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends ${packages[*]} && apt-get clean" >> "$root.log" 2>&1 ||
    { tail -20 "$root.log" >&2; exit 1; }
  echo "$want" | $sudo tee "$tmp/.ttsocket-ready" >/dev/null
  if [ "$tmp" != "$root" ]; then
    $sudo rm -rf "$root"
    $sudo mv "$tmp" "$root"
  fi
  echo "trixie-emscripten: ready in $((SECONDS - start)) s ($(version))"
}

# in_root ROOT DIR CMD...: runs CMD inside ROOT in DIR, in a private mount namespace (the binds vanish with
# it, also when the command is killed): /proc, /dev, the host's DNS, and the source tree at its own path.
in_root() {
  local r="$1" dir="$2"; shift 2
  $sudo unshare --mount --propagation private /bin/sh -s "$r" "$src" "$dir" "$@" <<'EOF'
set -e
r="$1" src="$2" dir="$3"; shift 3
mount -t proc proc "$r/proc"
mount --rbind /dev "$r/dev"
cp /etc/resolv.conf "$r/etc/resolv.conf"
mkdir -p "$r$src"
mount --bind "$src" "$r$src"
exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  NODE_PATH=/usr/share/nodejs /bin/sh -c 'cd "$0" && exec "$@"' "$dir" "$@"
EOF
}

version() { in_root "$root" / emcc --version | head -1; }

case "${1:-}" in
  setup) setup ;;
  run) shift; setup; in_root "$root" "$PWD" "$@" ;;
  version) setup; version ;;
  *) echo "usage: $0 setup | run CMD [ARGS...] | version" >&2; exit 2 ;;
esac
