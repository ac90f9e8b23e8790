#!/usr/bin/env bash
# Builds cmocka for wasm32-wasi from Debian's source package, at build time, into PREFIX:
#   PREFIX/lib/libcmocka.a  (cmocka.c + tests/wasi/shim/wasi_sjlj.c, the setjmp/longjmp runtime)
#   PREFIX/include/         (cmocka.h, cmocka_pbc.h)
# The source comes from `apt-get source cmocka` (Debian 12 "bookworm" main) run against a private
# sources list, lists directory and cache in a temporary directory, so the machine's own apt state is
# untouched. Nothing from cmocka is ever written into the repository outside PREFIX (under build/).
# Idempotent: returns at once when PREFIX/lib/libcmocka.a was built by this version of the script.
# Usage: tests/wasi/build-cmocka.sh PREFIX
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 PREFIX" >&2
  exit 2
fi
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$1"
prefix="$(cd "$1" && pwd)"
shim="$here/shim"

# The stamp ties the library to this script and the shim, so changing either rebuilds it.
stamp_want="$(cat "$0" "$shim/setjmp.h" "$shim/wasi_sjlj.c" | sha256sum | cut -d' ' -f1)"
if [ -f "$prefix/lib/libcmocka.a" ] && [ -f "$prefix/.tt-stamp" ] &&
   [ "$(cat "$prefix/.tt-stamp")" = "$stamp_want" ]; then
  exit 0
fi

die() { echo "build-cmocka: error: $*" >&2; exit 1; }

clang=$(command -v clang-14 || command -v clang || true)
ar=$(command -v llvm-ar-14 || command -v llvm-ar || true)
[ -n "$clang" ] || die "clang not found (apt-get install clang)"
[ -n "$ar" ] || die "llvm-ar not found (apt-get install llvm-14)"
[ -f /usr/lib/wasm32-wasi/libc.a ] || die "wasi-libc not installed (apt-get install wasi-libc)"
command -v apt-get >/dev/null || die "apt-get not found: cmocka's source comes from Debian"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tt-cmocka-wasm.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# The Debian mirror: $TT_DEBIAN_MIRROR, else the one this machine uses (deb822 .sources or one-line
# .list), else deb.debian.org.
mirror="${TT_DEBIAN_MIRROR:-}"
for f in /etc/apt/sources.list.d/*.sources; do
  if [ -n "$mirror" ] || [ ! -f "$f" ]; then continue; fi
  mirror=$(awk '
    /^[[:space:]]*$/ { if (uri != "" && suites ~ /(^|[[:space:]])bookworm([[:space:]]|$)/) { print uri; exit }
                       uri = ""; suites = ""; next }
    /^URIs:/   { uri = $2 }
    /^Suites:/ { $1 = ""; suites = $0 }
    END { if (uri != "" && suites ~ /(^|[[:space:]])bookworm([[:space:]]|$)/) print uri }' "$f" | head -n1)
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
           awk '$1 ~ /^deb(-src)?$/ && $0 ~ / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' |
           head -n1)
fi
mirror="${mirror:-http://deb.debian.org/debian}"

mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/apt.conf.d" "$tmp/src"
cat > "$tmp/sources.list" <<SRC
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main
SRC
# Keep the machine's apt settings (proxies, Check-Valid-Until for snapshot mirrors) except the
# hooks that `apt-get update` would run on the machine's own caches (AppStream, PackageKit).
for f in /etc/apt/apt.conf.d/*; do
  [ -f "$f" ] || continue
  grep -qE 'Invoke|DEP-11' "$f" || cp "$f" "$tmp/apt.conf.d/"
done
echo "Dir::Etc::Parts \"$tmp/apt.conf.d\";" > "$tmp/apt.conf"
apt_opts=(-o "Dir::Etc::SourceList=$tmp/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
          -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache"
          -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
          -o "APT::Sandbox::User=$(id -un)")

echo "build-cmocka: fetching Debian's cmocka source (bookworm, $mirror)"
if ! APT_CONFIG="$tmp/apt.conf" apt-get "${apt_opts[@]}" -qq --error-on=any update >"$tmp/update.log" 2>&1; then
  cat "$tmp/update.log" >&2
  die "apt-get update for the deb-src list failed (mirror $mirror): cannot fetch cmocka's source"
fi
if ! (cd "$tmp/src" && APT_CONFIG="$tmp/apt.conf" apt-get "${apt_opts[@]}" -q source cmocka) \
     >"$tmp/source.log" 2>&1; then
  cat "$tmp/source.log" >&2
  die "apt-get source cmocka failed: cannot build cmocka for wasm32-wasi"
fi
srcdir=$(find "$tmp/src" -mindepth 1 -maxdepth 1 -type d -name 'cmocka-*' | head -n1)
if [ -z "$srcdir" ]; then
  # dpkg-source missing: unpack the upstream tarball by hand.
  orig=$(find "$tmp/src" -maxdepth 1 -name 'cmocka_*.orig.tar.*' ! -name '*.asc' | head -n1)
  [ -n "$orig" ] || die "apt-get source cmocka left no source tree in $tmp/src"
  tar -C "$tmp/src" -xf "$orig"
  srcdir=$(find "$tmp/src" -mindepth 1 -maxdepth 1 -type d -name 'cmocka-*' | head -n1)
fi
if [ ! -f "$srcdir/src/cmocka.c" ] || [ ! -f "$srcdir/include/cmocka.h" ]; then
  die "unexpected cmocka source layout in $srcdir"
fi
version=$(basename "$srcdir"); version=${version#cmocka-}

# Same target flags as tests/wasi/wasi-toolchain.cmake. cmocka's config.h is replaced by -D flags:
# wasi-libc has malloc.h, inttypes.h, strings.h, clock_gettime(CLOCK_REALTIME) and, emulated,
# signal()/strsignal(); setjmp/longjmp come from the shim (no sigsetjmp: no signal masks). No
# thread-local storage (no threads).
cflags=(--target=wasm32-wasi --sysroot=/usr -nostdlibinc -isystem "$shim"
        -idirafter /usr/include/wasm32-wasi
        -mexception-handling -mllvm -wasm-enable-sjlj
        -D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_GETPID
        -O2 -g -std=gnu99 -w)
cmocka_defs=(-DHAVE_MALLOC_H -DHAVE_INTTYPES_H -DHAVE_SIGNAL_H -DHAVE_STRINGS_H -DHAVE_SETJMP_H
             -DHAVE_STRUCT_TIMESPEC -DHAVE_CLOCK_GETTIME -DHAVE_CLOCK_REALTIME -DHAVE_STRSIGNAL
             -DHAVE_SETJMP -DHAVE_LONGJMP -DHAVE_SIGNAL -DHAVE_VSNPRINTF -DHAVE_SNPRINTF
             -DWORDS_SIZEOF_VOID_P=4
             # wasi-libc's uintptr_t is unsigned long: keep cmocka.h from typedef'ing its own
             # (the toolchain file passes it to every compile that includes cmocka.h).
             -D_UINTPTR_T_DEFINED)
echo "build-cmocka: compiling cmocka $version for wasm32-wasi"
"$clang" "${cflags[@]}" "${cmocka_defs[@]}" -I"$srcdir/include" -c "$srcdir/src/cmocka.c" -o "$tmp/cmocka.o"
"$clang" "${cflags[@]}" -Wall -Wextra -c "$shim/wasi_sjlj.c" -o "$tmp/wasi_sjlj.o"

rm -f "$prefix/.tt-stamp" "$prefix/lib/libcmocka.a" "$prefix/include/cmocka.h" "$prefix/include/cmocka_pbc.h"
mkdir -p "$prefix/lib" "$prefix/include"
"$ar" rcs "$prefix/lib/libcmocka.a" "$tmp/cmocka.o" "$tmp/wasi_sjlj.o"
cp "$srcdir/include/cmocka.h" "$srcdir/include/cmocka_pbc.h" "$prefix/include/"
cp "$srcdir/COPYING" "$prefix/COPYING.cmocka"
echo "$version" > "$prefix/VERSION"
echo "$stamp_want" > "$prefix/.tt-stamp"
echo "build-cmocka: $prefix/lib/libcmocka.a (cmocka $version, wasm32-wasi)"
