#!/usr/bin/env bash
# The Debian packages as a user gets them: builds them (the `package` preset + cpack, as make package
# does), checks their names, contents, dependencies and shlibs, installs them with dpkg -i into a
# throw-away root, builds and runs outside programs against that root with tests/install-check.sh
# (plain pkg-config, pkg-config --static, find_package), runs the installed ttws, then purges the
# packages and checks that nothing of them is left.
#
# The throw-away root: dpkg --root=ROOT uses ROOT/var/lib/dpkg as its database, seeded with this
# machine's package status so Depends are checked against the packages really installed here (libssl3,
# zlib1g, libssl-dev, ...). Maintainer scripts run chrooted into ROOT: the runtime package's
# postinst/postrm call ldconfig, so ROOT gets /bin/sh (with the libraries it needs) and the static
# ldconfig from this machine. dpkg runs as root (through sudo when the test is not root, as
# tests/deps.sh does for apt-get).
# Usage: tests/packaging/deb.sh   (about 30 s on 2 cores)
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/tt-deb.XXXXXX")"
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
trap '$sudo rm -rf "$tmp"' EXIT
jobs="$(nproc 2>/dev/null || echo 2)"
log="$tmp/log"
fail() { [ -s "$log" ] && tail -n 40 "$log"; echo "deb: FAIL: $*"; exit 1; }
run() { local what="$1"; shift; "$@" >"$log" 2>&1 || fail "$what"; }
[ -z "$sudo" ] || sudo -n true 2>/dev/null || fail "needs root or sudo (dpkg --root runs maintainer scripts in a chroot)"
for tool in dpkg dpkg-deb dpkg-shlibdeps dpkg-architecture cpack file; do
  command -v "$tool" >/dev/null || fail "$tool not found (tests/deps.sh installs dpkg-dev and file)"
done

# 1. Build the packages.
cd "$root" || fail "cd $root"
run "cmake --preset package" cmake --preset package
run "cmake --build --preset package" cmake --build --preset package -j"$jobs"
rm -rf build/package/packages
run "cpack -G DEB" sh -c 'cd build/package && cpack -G DEB'
version=$(sed -n 's/^#define TT_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\).*/\2/p' include/ttsocket.h | paste -sd.)
major="${version%%.*}"
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
runtime="libttsocket$major"
debs=()
for p in "$runtime" libttsocket-dev ttws; do
  f="build/package/packages/${p}_${version}-1_${arch}.deb"
  [ -f "$f" ] || { ls build/package/packages >"$log" 2>&1; fail "no package $f"; }
  debs+=("$root/$f")
done
echo "deb: built ${debs[*]##*/}"

# 2. Contents, dependencies, shlibs.
contents() { dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's,^\./,/,; s,/$,,' | grep -v '^$'; }
field() { dpkg-deb -f "$1" "$2"; }
libdir="/usr/lib/$multiarch"
expect_files() {  # DEB FILE...: each FILE is in DEB
  local deb="$1"; shift
  contents "$deb" >"$log"
  for f in "$@"; do grep -qx "$f" "$log" || fail "${deb##*/} lacks $f"; done
}
expect_files "${debs[0]}" "$libdir/libttsocket.so.$version" "$libdir/libttsocket.so.$major"
contents "${debs[0]}" | grep -q "/include/\|\.a$\|libttsocket\.so$\|/bin/" && { contents "${debs[0]}" >"$log"; fail "$runtime holds development files or programs"; }
expect_files "${debs[1]}" /usr/include/ttsocket.h "$libdir/libttsocket.so" "$libdir/libttsocket.a" \
  "$libdir/pkgconfig/ttsocket.pc" "$libdir/cmake/ttsocket/ttsocketConfig.cmake"
expect_files "${debs[2]}" /usr/bin/ttws
deps_rt=$(field "${debs[0]}" Depends)
for d in libc6 libssl3 zlib1g; do
  [[ "$deps_rt" =~ (^|, )$d( |,|$) ]] || fail "$runtime Depends ($deps_rt) lacks $d"
done
[[ "$(field "${debs[1]}" Depends)" == *"$runtime (= $version-1)"* ]] || fail "libttsocket-dev does not depend on $runtime (= $version-1)"
for d in libssl-dev zlib1g-dev; do
  [[ "$(field "${debs[1]}" Depends)" == *"$d"* ]] || fail "libttsocket-dev does not depend on $d"
done
[[ "$(field "${debs[2]}" Depends)" == *"$runtime"* ]] || fail "ttws does not depend on $runtime"
shlibs=$(dpkg-deb -I "${debs[0]}" shlibs 2>&1)
[ "$shlibs" = "libttsocket $major $runtime (>= $version-1)" ] || fail "$runtime shlibs is '$shlibs'"
echo "deb: $runtime Depends: $deps_rt; shlibs: $shlibs"

# 3. A throw-away root with this machine's package database, /bin/sh and ldconfig.
r="$tmp/root"
mkdir -p "$r/var/lib/dpkg/updates" "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/triggers" "$r/tmp" "$r/etc"
cp /var/lib/dpkg/status "$r/var/lib/dpkg/status"
: >"$r/var/lib/dpkg/available"
copy_in() { mkdir -p "$r$(dirname "$1")" && cp -L "$1" "$r$1"; }
copy_in /bin/sh
copy_in "$(command -v ldconfig)"
for l in $(ldd /bin/sh | grep -o '/[^ ]*'); do copy_in "$l"; done
(cd "$r" && find . \( -type f -o -type l \) ! -path './var/lib/dpkg/*' | sort) >"$tmp/before"

run "dpkg --root ROOT -i (the three packages)" $sudo dpkg --root="$r" --force-not-root -i "${debs[@]}"
for p in "$runtime" libttsocket-dev ttws; do
  st=$(dpkg --root="$r" -s "$p" 2>/dev/null | sed -n 's/^Status: //p')
  [ "$st" = "install ok installed" ] || fail "$p is '$st' in the throw-away root"
done
echo "deb: installed into the throw-away root"

# 4. Outside programs against the installed packages; the installed ttws.
TT_INSTALL_PREFIX="$r/usr" TT_INSTALL_LIBDIR="lib/$multiarch" "$root/tests/install-check.sh" >"$log" 2>&1 ||
  fail "install-check against the packages"
tail -n 1 "$log" | sed 's/^install-check:/deb: install-check:/'
ttws_out=$(LD_LIBRARY_PATH="$r$libdir" "$r/usr/bin/ttws" --dev ws://127.0.0.1:1/ 2>&1 </dev/null)
ttws_rc=$?
echo "$ttws_out" >"$log"
[ $ttws_rc -eq 1 ] && grep -q "^error .*connect" "$log" && grep -q "^close 1006" "$log" ||
  fail "the installed ttws against a closed port (status $ttws_rc)"
echo "deb: the installed ttws runs ($(head -n1 "$log"))"

# 5. Purge; nothing of the packages may remain.
run "dpkg --root ROOT --purge" $sudo dpkg --root="$r" --force-not-root --purge ttws libttsocket-dev "$runtime"
(cd "$r" && find . \( -type f -o -type l \) ! -path './var/lib/dpkg/*' ! -path './etc/ld.so.cache' | sort) >"$tmp/after"
diff "$tmp/before" "$tmp/after" >"$log" || fail "files left after dpkg --purge"
leftover=$(find "$r/usr" -type d -empty -prune -o -path "$r/usr/lib/$multiarch" -prune -o -name '*ttsocket*' -print)
[ -z "$leftover" ] || { echo "$leftover" >"$log"; fail "ttsocket files left after dpkg --purge"; }
for p in "$runtime" libttsocket-dev ttws; do
  dpkg --root="$r" -s "$p" >/dev/null 2>&1 && fail "$p still known to dpkg after --purge"
done
echo "deb: PASS ($runtime, libttsocket-dev, ttws: built, installed, used, purged cleanly)"
