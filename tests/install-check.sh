#!/usr/bin/env bash
# Install check: installs the native build into a temporary prefix (or checks an existing install, see
# TT_INSTALL_PREFIX below) and builds programs outside the source tree against it, through pkg-config
# only and through find_package(ttsocket), each linked to the shared and to the static library.
#   1. cmake --preset native (if build/native is not configured yet) && cmake --build --preset native
#   2. cmake --install build/native --prefix TMP
#   3. TMP has include/ttsocket.h, LIBDIR/libttsocket.a, LIBDIR/libttsocket.so.MAJOR.MINOR.PATCH with
#      the symlinks libttsocket.so.MAJOR (the SONAME) and libttsocket.so, LIBDIR/pkgconfig/ttsocket.pc
#      and LIBDIR/cmake/ttsocket/ttsocketConfig.cmake (LIBDIR is the build's CMAKE_INSTALL_LIBDIR, "lib")
#   4. a tiny C program (tests/packaging/app/main.c: tt_version, tt_strerror, tt_connect_socket with
#      bad options) compiled and
#      linked with nothing but `PKG_CONFIG_PATH=TMP/LIBDIR/pkgconfig pkg-config --cflags --libs
#      ttsocket`: it must need libttsocket.so.MAJOR (and nothing of OpenSSL or zlib directly), and runs
#   4b. the same with `cc -static ... $(pkg-config --cflags --libs --static ttsocket)`: a static
#      executable (libttsocket.a, OpenSSL and zlib archives), and runs
#   5. the same program as a CMake project: find_package(ttsocket) + ttsocket::ttsocket (needs the shared
#      library) and + ttsocket::ttsocket_static (does not), both run
# With TT_INSTALL_PREFIX=DIR and TT_INSTALL_LIBDIR=LIBDIR (the .deb test: the packages unpacked by dpkg)
# steps 1-2 are skipped and DIR is checked instead.
# Prints one line "install-check: PASS ..." or "install-check: FAIL ..." (with the failing step's log
# before it) and exits non-zero on failure. The temporary directory is always removed.
# Usage: tests/install-check.sh   (from anywhere; `make install-check` builds first)
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build/native"
jobs="$(nproc 2>/dev/null || echo 2)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/tt-install-check.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
log="$tmp/step.log"
prefix="$tmp/prefix"
passed=()

fail() {
  if [ -s "$log" ]; then
    echo "---- log of the failing step ----"
    tail -n 60 "$log"
    echo "---------------------------------"
  fi
  echo "install-check: FAIL: $*"
  exit 1
}
# run DESCRIPTION CMD...: runs CMD with its output in $log; fails the check if CMD fails.
run() {
  local what="$1"; shift
  if ! "$@" >"$log" 2>&1; then fail "$what"; fi
}

cd "$root" || fail "cannot cd to $root"
for tool in cmake pkg-config "${CC:-cc}"; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (run tests/deps.sh)"
done

if [ -n "${TT_INSTALL_PREFIX:-}" ]; then
  prefix="$TT_INSTALL_PREFIX"
  libdir="${TT_INSTALL_LIBDIR:-lib}"
else
  # 1. Configure (first time only) and build.
  if [ ! -f "$build/CMakeCache.txt" ]; then
    run "cmake --preset native" cmake --preset native
  fi
  run "cmake --build --preset native" cmake --build --preset native -j"$jobs"

  # 2. Install into the temporary prefix.
  run "cmake --install build/native --prefix $prefix" cmake --install "$build" --prefix "$prefix"
  libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' "$build/CMakeCache.txt" | head -n1)
  libdir="${libdir:-lib}"
fi

# 3. The installed files: header, both libraries with the SONAME symlinks, .pc, CMake package.
case "$libdir" in /*) fail "CMAKE_INSTALL_LIBDIR is absolute ($libdir): the install cannot be relocated" ;; esac
: >"$log"
listing() { (cd "$prefix" && find . \( -type f -o -type l \) | sort) >"$log"; }
for f in include/ttsocket.h "$libdir/libttsocket.a" "$libdir/pkgconfig/ttsocket.pc" \
         "$libdir/cmake/ttsocket/ttsocketConfig.cmake"; do
  [ -f "$prefix/$f" ] || { listing; fail "not installed: $f"; }
done
version=$(sed -n 's/^#define TT_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\).*/\2/p' "$prefix/include/ttsocket.h" | paste -sd.)
major="${version%%.*}"
real="$prefix/$libdir/libttsocket.so.$version"
[ -f "$real" ] && [ ! -L "$real" ] || { listing; fail "not installed: $libdir/libttsocket.so.$version"; }
for l in "libttsocket.so.$major" libttsocket.so; do
  [ -L "$prefix/$libdir/$l" ] && [ "$(readlink -f "$prefix/$libdir/$l")" = "$(readlink -f "$real")" ] ||
    { listing; fail "$libdir/$l is not a symlink to libttsocket.so.$version"; }
done
soname=$(readelf -d "$real" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libttsocket.so.$major" ] || fail "SONAME of libttsocket.so.$version is '$soname', not libttsocket.so.$major"
passed+=("files(so.$version,a)")

# needed PROGRAM: the shared libraries PROGRAM names (DT_NEEDED), one a line.
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
# expect_shared PROGRAM / expect_static PROGRAM: how the program was linked to ttsocket.
expect_shared() {
  needed "$1" >"$log"
  grep -qx "libttsocket.so.$major" "$log" || fail "$1 does not need libttsocket.so.$major"
}
expect_static() {
  needed "$1" >"$log"
  ! grep -q "libttsocket" "$log" || fail "$1 needs the shared library although linked statically"
}

# The outside program: only the public header and the installed library.
mkdir -p "$tmp/app"
cp "$root/tests/packaging/app/main.c" "$tmp/app/main.c" || fail "cannot copy tests/packaging/app/main.c"

# 4. pkg-config only.
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
pc_args=(--cflags --libs)
if ! pc_flags=$(pkg-config "${pc_args[@]}" ttsocket 2>"$log"); then
  fail "pkg-config ${pc_args[*]} ttsocket"
fi
pc_version=$(pkg-config --modversion ttsocket 2>/dev/null || true)
pc_includedir=$(pkg-config --variable=includedir ttsocket 2>/dev/null || true)
pc_libdir=$(pkg-config --variable=libdir ttsocket 2>/dev/null || true)
echo "pkg-config ${pc_args[*]} ttsocket: $pc_flags" >"$log"
echo "includedir=$pc_includedir libdir=$pc_libdir" >>"$log"
# The .pc must point into the prefix it was installed to (e.g. prefix=${pcfiledir}/../..), not at
# the configure-time CMAKE_INSTALL_PREFIX: otherwise this would build against another install.
same_dir() { [ -n "$1" ] && [ -d "$1" ] && [ "$(cd "$1" && pwd -P)" = "$(cd "$2" && pwd -P)" ]; }
same_dir "$pc_includedir" "$prefix/include" ||
  fail "ttsocket.pc's includedir ($pc_includedir) is not the install prefix's ($prefix/include): the .pc is not relocatable"
same_dir "$pc_libdir" "$prefix/$libdir" ||
  fail "ttsocket.pc's libdir ($pc_libdir) is not the install prefix's ($prefix/$libdir): the .pc is not relocatable"
# shellcheck disable=SC2086  # pkg-config's output is a list of words
run "compile and link with pkg-config (${CC:-cc} main.c $pc_flags)" \
  "${CC:-cc}" -std=c11 -Wall -Wextra -Werror -o "$tmp/app/app-pkgconfig" "$tmp/app/main.c" $pc_flags
expect_shared "$tmp/app/app-pkgconfig"
run "run the pkg-config program" env LD_LIBRARY_PATH="$prefix/$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$tmp/app/app-pkgconfig"
pc_out=$(cat "$log")
passed+=("pkg-config${pc_version:+($pc_version)}")

# 4b. pkg-config --static: a static executable, libttsocket.a and its dependencies' archives.
if ! pc_static=$(pkg-config --cflags --libs --static ttsocket 2>"$log"); then
  fail "pkg-config --cflags --libs --static ttsocket"
fi
# shellcheck disable=SC2086
run "compile and link with pkg-config --static (${CC:-cc} -static main.c $pc_static)" \
  "${CC:-cc}" -std=c11 -Wall -Wextra -Werror -static -o "$tmp/app/app-static" "$tmp/app/main.c" $pc_static
expect_static "$tmp/app/app-static"
run "run the pkg-config --static program" "$tmp/app/app-static"
passed+=("pkg-config--static")

# 5. find_package(ttsocket) + ttsocket::ttsocket.
mkdir -p "$tmp/cmake-app"
cp "$tmp/app/main.c" "$tmp/cmake-app/main.c"
cat >"$tmp/cmake-app/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(tt_install_check_app LANGUAGES C)
find_package(ttsocket REQUIRED)
add_executable(app main.c)
set_target_properties(app PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
target_link_libraries(app ttsocket::ttsocket)
add_executable(app_static main.c)
set_target_properties(app_static PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
target_link_libraries(app_static ttsocket::ttsocket_static)
CM
run "configure a find_package(ttsocket) project" \
  cmake -S "$tmp/cmake-app" -B "$tmp/cmake-app/build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="-Wall -Wextra -Werror"
found=$(sed -n 's/^ttsocket_DIR:[A-Z]*=//p' "$tmp/cmake-app/build/CMakeCache.txt")
same_dir "$found" "$prefix/$libdir/cmake/ttsocket" ||
  fail "find_package(ttsocket) found $found, not the one installed in $prefix"
run "build the find_package(ttsocket) project" cmake --build "$tmp/cmake-app/build"
expect_shared "$tmp/cmake-app/build/app"
expect_static "$tmp/cmake-app/build/app_static"
run "run the find_package(ttsocket) program (ttsocket::ttsocket)" "$tmp/cmake-app/build/app"
run "run the find_package(ttsocket) program (ttsocket::ttsocket_static)" "$tmp/cmake-app/build/app_static"
passed+=("find_package(shared,static)")

echo "$pc_out"
echo "install-check: PASS (${passed[*]})"
