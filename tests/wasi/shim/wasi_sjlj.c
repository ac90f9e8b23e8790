/* Runtime support for LLVM 14's WebAssembly setjmp/longjmp lowering (-mllvm -wasm-enable-sjlj),
 * written for ttsocket's wasm32-wasi test build. The lowering pass turns
 *   setjmp(env)      into  table = saveSetjmp(env, label, table, size); size = getTempRet0();
 *   longjmp(env, v)  into  __wasm_longjmp(env, v)
 * and, in each function that called setjmp, catches the C longjmp exception (tag 1), reads the id
 * stored in env and asks testSetjmp whether that setjmp belongs to the current invocation. The
 * table is a malloc'd array of (id, label) pairs terminated by id 0, allocated with 4 usable entries
 * by the caller and freed by it; we grow it with realloc when full. Single-threaded only. */
#include <stdint.h>
#include <stdlib.h>

#ifndef __wasm_exception_handling__
#    error "compile with -mexception-handling -mllvm -wasm-enable-sjlj"
#endif

struct tt_sjlj_entry {
    uint32_t id;
    uint32_t label;
};

static uint32_t tt_sjlj_next_id;
static uint32_t tt_sjlj_temp_ret;
static struct {
    void *env;
    int val;
} tt_sjlj_arg;

uint32_t getTempRet0(void) { return tt_sjlj_temp_ret; }
void setTempRet0(uint32_t value) { tt_sjlj_temp_ret = value; }

void *saveSetjmp(void *env, uint32_t label, void *table_ptr, uint32_t size) {
    struct tt_sjlj_entry *table = table_ptr;
    uint32_t id = ++tt_sjlj_next_id;
    if (id == 0) id = ++tt_sjlj_next_id; /* 0 marks the end of a table */
    *(uint32_t *)env = id;
    uint32_t i = 0;
    while (i < size && table[i].id != 0) i++;
    if (i == size) {
        uint32_t grown = size ? size * 2 : 4;
        struct tt_sjlj_entry *t = realloc(table, sizeof *t * (grown + 1));
        if (!t) abort();
        table = t;
        size = grown;
    }
    table[i].id = id;
    table[i].label = label;
    table[i + 1].id = 0;
    tt_sjlj_temp_ret = size;
    return table;
}

uint32_t testSetjmp(uint32_t id, void *table_ptr, uint32_t size) {
    const struct tt_sjlj_entry *table = table_ptr;
    for (uint32_t i = 0; i < size && table[i].id != 0; i++)
        if (table[i].id == id) return table[i].label;
    return 0;
}

void __wasm_longjmp(void *env, int val) {
    tt_sjlj_arg.env = env;
    tt_sjlj_arg.val = val != 0 ? val : 1;  /* longjmp(env, 0) makes setjmp return 1 */
    __builtin_wasm_throw(1, &tt_sjlj_arg); /* tag 1: C longjmp */
}
