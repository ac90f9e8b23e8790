# CMake toolchain for wasm32-wasi (WASI preview 1) with Debian's clang 14, lld 14 and wasi-libc.
# Used by the `wasi` preset: builds the core + protocol engine (TT_TRANSPORT=none) and the cmocka
# unit tests; ctest runs them with Node's node:wasi (tests/wasi/run-wasi.mjs).
#
# Debian's wasi-libc puts its headers in /usr/include/wasm32-wasi and its libraries in
# /usr/lib/wasm32-wasi, i.e. the sysroot is /usr. Plain `--sysroot=/usr` would also put the host's
# /usr/include (glibc) and /usr/local/include on the search path, where a header missing from
# wasi-libc would silently be taken from glibc; -nostdlibinc drops those and the wasi-libc directory
# is added back after clang's own headers, in the order clang normally uses.
set(CMAKE_SYSTEM_NAME WASI)
set(CMAKE_SYSTEM_VERSION 1)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
# Platform/WASI.cmake (executable suffix .wasm, no shared libraries).
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")

set(TT_WASI_TRIPLE wasm32-wasi)
set(TT_WASI_SYSROOT /usr)
set(TT_WASI_SHIM_DIR "${CMAKE_CURRENT_LIST_DIR}/shim")

find_program(TT_WASI_CLANG NAMES clang-14 clang REQUIRED)
find_program(TT_WASI_AR NAMES llvm-ar-14 llvm-ar REQUIRED)
find_program(TT_WASI_RANLIB NAMES llvm-ranlib-14 llvm-ranlib REQUIRED)
set(CMAKE_C_COMPILER "${TT_WASI_CLANG}")
set(CMAKE_C_COMPILER_TARGET ${TT_WASI_TRIPLE})
set(CMAKE_AR "${TT_WASI_AR}" CACHE FILEPATH "llvm-ar (GNU ar cannot index wasm objects)")
set(CMAKE_RANLIB "${TT_WASI_RANLIB}" CACHE FILEPATH "llvm-ranlib")

# -mexception-handling + -wasm-enable-sjlj: LLVM lowers setjmp/longjmp to WebAssembly exceptions
# (cmocka needs them; tests/wasi/shim/setjmp.h and wasi_sjlj.c, which build-cmocka.sh puts into
# libcmocka.a). _WASI_EMULATED_*: signal(), clock() and getpid() from wasi-libc's emulation libs
# (cmocka installs signal handlers; they are never called, as wasm traps are not signals).
# _UINTPTR_T_DEFINED: wasi-libc's uintptr_t is unsigned long; without it cmocka.h typedefs its own
# as unsigned int and the two clash.
set(_tt_wasi_c_flags
  "--sysroot=${TT_WASI_SYSROOT} -nostdlibinc -isystem ${TT_WASI_SHIM_DIR}"
  "-idirafter ${TT_WASI_SYSROOT}/include/${TT_WASI_TRIPLE}"
  "-mexception-handling -mllvm -wasm-enable-sjlj"
  "-D_WASI_EMULATED_SIGNAL -D_WASI_EMULATED_PROCESS_CLOCKS -D_WASI_EMULATED_GETPID"
  "-D_UINTPTR_T_DEFINED"
  # CMake passes the C flags to the link step too, where the compile-only ones are unused.
  "-Wno-unused-command-line-argument")
string(JOIN " " _tt_wasi_c_flags ${_tt_wasi_c_flags})
set(CMAKE_C_FLAGS_INIT "${_tt_wasi_c_flags}")
# 8 MiB of stack (wasm-ld's default is 64 KiB), placed first so an overflow traps instead of
# silently overwriting data.
set(CMAKE_EXE_LINKER_FLAGS_INIT "--sysroot=${TT_WASI_SYSROOT} -Wl,-z,stack-size=8388608 -Wl,--stack-first")
set(CMAKE_C_STANDARD_LIBRARIES_INIT
  "-lwasi-emulated-signal -lwasi-emulated-process-clocks -lwasi-emulated-getpid")

set(CMAKE_EXECUTABLE_SUFFIX ".wasm")
set(CMAKE_EXECUTABLE_SUFFIX_C ".wasm")

# No threads, no dlopen, no shared libraries in WASI preview 1.
set(CMAKE_FIND_ROOT_PATH "${TT_WASI_SYSROOT}/lib/${TT_WASI_TRIPLE}" "${TT_WASI_SYSROOT}/include/${TT_WASI_TRIPLE}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# try_run() and executables run by ctest without an explicit runner go through Node's WASI.
find_program(TT_WASI_NODE NAMES node nodejs)
if(TT_WASI_NODE)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${TT_WASI_NODE};${CMAKE_CURRENT_LIST_DIR}/run-wasi.mjs")
endif()
