/* setjmp.h for ttsocket's wasm32-wasi test build (wasi-libc ships no <setjmp.h>).
 *
 * setjmp/longjmp are lowered by LLVM itself when compiling with
 *   -mexception-handling -mllvm -wasm-enable-sjlj
 * (WebAssembly exception handling; Node 20 supports it). The compiler rewrites every setjmp call
 * and every longjmp call; the small runtime it then needs is in wasi_sjlj.c. Code that includes
 * this header and calls setjmp() must be compiled with those flags (tests/wasi/wasi-toolchain.cmake
 * adds them everywhere). The buffer is larger than needed: the lowering stores only a 32-bit id. */
#ifndef TT_WASI_SHIM_SETJMP_H
#define TT_WASI_SHIM_SETJMP_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    unsigned long long tt_slot[4];
} jmp_buf[1];
typedef jmp_buf sigjmp_buf;

int setjmp(jmp_buf env) __attribute__((returns_twice));
_Noreturn void longjmp(jmp_buf env, int val);
#define _setjmp(env) setjmp(env)
#define _longjmp(env, val) longjmp(env, val)
/* No signal masks in WASI: the sig* variants are the plain ones. */
#define sigsetjmp(env, savemask) setjmp(env)
#define siglongjmp(env, val) longjmp(env, val)

#ifdef __cplusplus
}
#endif
#endif
