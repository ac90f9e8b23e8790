/*
 * The npm package's allocator (web/package/heap_alloc.c), linked as the package links it (-sMALLOC=none)
 * and run under Node by tests/web/heap_alloc.test.mjs: once with a growing heap, once with Emscripten's
 * default fixed 16 MiB heap. Prints one line per check and exits non-zero at the first failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <emscripten/heap.h>

#define CHECK(cond)                                                \
    do {                                                           \
        if (!(cond)) {                                             \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                               \
        }                                                          \
    } while (0)

#define BLOCKS 400
#define MIB (1024u * 1024u)

static uint32_t rng = 12345;
static uint32_t next_random(void) {
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* Every call goes through these: the compiler may drop a malloc/free pair whose block it can see unused,
 * and take a result it only compares with NULL to be non-NULL. */
static void *(*volatile alloc)(size_t) = malloc;
static void *(*volatile alloc_zeroed)(size_t, size_t) = calloc;

static uintptr_t brk_now(void) { return (uintptr_t)sbrk(0); }

/* Every block keeps the bytes written into it while others come and go, and is 8-byte aligned. */
static void check_blocks_do_not_overlap(void) {
    static unsigned char *p[BLOCKS];
    static size_t n[BLOCKS];
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < BLOCKS; i++) {
            if (p[i] != NULL && next_random() % 2) {
                for (size_t k = 0; k < n[i]; k++) CHECK(p[i][k] == (unsigned char)(i + k));
                free(p[i]);
                p[i] = NULL;
            }
            if (p[i] == NULL) {
                n[i] = next_random() % (next_random() % 8 == 0 ? 70000 : 300);
                p[i] = alloc(n[i]);
                CHECK(p[i] != NULL);
                CHECK((uintptr_t)p[i] % 8 == 0);
                for (size_t k = 0; k < n[i]; k++) p[i][k] = (unsigned char)(i + k);
            }
        }
    }
    /* Odd blocks downwards, then even ones upwards: merges with the block after and the block before. */
    for (int j = 0; j < BLOCKS; j++) {
        int i = j < BLOCKS / 2 ? BLOCKS - 1 - 2 * j : 2 * (j - BLOCKS / 2);
        for (size_t k = 0; k < n[i]; k++) CHECK(p[i][k] == (unsigned char)(i + k));
        free(p[i]);
        p[i] = NULL;
    }
}

/* Freed neighbours merge: after everything above was freed, one block as large as all of it together
 * fits without moving the break. (Nothing is printed before: stdio could keep a block.) */
static void check_free_blocks_merge(uintptr_t base) {
    uintptr_t top = brk_now();
    size_t all = (size_t)(top - base) - 64;
    void *p = alloc(all);
    CHECK(p != NULL);
    CHECK(brk_now() == top);
    free(p);
    printf("ok blocks keep their bytes; freed blocks merge (%zu bytes reused)\n", all);
}

/* A block larger than any free one, when the highest free block ends at the break, grows that block
 * rather than leaving it behind: here everything is free (one block up to the break), and a block 1 MiB
 * larger than the whole heap moves the break by about 1 MiB, not by the whole size. */
static void check_top_block_extends(uintptr_t base) {
    uintptr_t top = brk_now();
    size_t size = (size_t)(top - base) + MIB;
    void *a = alloc(size);
    CHECK(a != NULL);
    CHECK(brk_now() - top <= MIB + 64);
    free(a);
    printf("ok the top free block grows in place\n");
}

static void check_calloc(void) {
    unsigned char *p = alloc(4096);
    CHECK(p != NULL);
    memset(p, 0xAB, 4096);
    free(p);
    unsigned char *z = alloc_zeroed(512, 8);
    CHECK(z != NULL);
    for (int i = 0; i < 4096; i++) CHECK(z[i] == 0);
    free(z);
    CHECK(alloc_zeroed(SIZE_MAX / 2, 4) == NULL);
    CHECK(alloc(SIZE_MAX) == NULL);
    CHECK(alloc(SIZE_MAX - 4) == NULL);
    free(NULL);
    void *zero = alloc(0);
    CHECK(zero != NULL);
    free(zero);
    printf("ok calloc zeroes; impossible sizes give NULL\n");
}

/* 32 MiB: a growing heap grows; a fixed 16 MiB heap answers NULL and the heap goes on working. */
static void check_large(int grows) {
    size_t before = emscripten_get_heap_size();
    unsigned char *big = alloc(32 * MIB);
    if (grows) {
        CHECK(big != NULL);
        CHECK(emscripten_get_heap_size() > before);
        big[32 * MIB - 1] = 1;
        free(big);
        /* Two halves fit where the big block was. */
        uintptr_t top = brk_now();
        void *h1 = alloc(16 * MIB - 64), *h2 = alloc(16 * MIB - 64);
        CHECK(h1 != NULL && h2 != NULL);
        CHECK(brk_now() == top);
        free(h1);
        free(h2);
        printf("ok a growing heap grows for 32 MiB and reuses it\n");
    } else {
        CHECK(big == NULL);
        CHECK(emscripten_get_heap_size() == before);
        void *small = alloc(1000);
        CHECK(small != NULL);
        free(small);
        printf("ok a fixed heap answers NULL for 32 MiB and goes on\n");
    }
}

int main(int argc, char **argv) {
    int grows = argc > 1 && strcmp(argv[1], "grow") == 0;
    uintptr_t base = brk_now();
    CHECK(base % 8 == 0);
    check_blocks_do_not_overlap();
    check_free_blocks_merge(base);
    check_calloc();
    check_top_block_extends(base);
    check_large(grows);
    printf("done\n");
    return 0;
}
