/*
 * The npm package's malloc, free, calloc and sbrk. The package links -sMALLOC=none (web/CMakeLists.txt),
 * which leaves out Emscripten's allocator and its sbrk() both.
 *
 * Why its own: Emscripten's smallest allocator, emmalloc, was about 1.8 KB of the package's wasm, and the
 * package allocates little: task records, a few strings per connect, and the occasional message or send
 * that does not fit the JavaScript half's reused buffer. That needs first fit and coalescing, not size
 * classes or alignment beyond 8.
 *
 * Layout: every block starts with an 8-byte header whose first word is the block's size, header
 * included, a multiple of 8. Free blocks form one list sorted by address (the second word of the header
 * links to the next one), so free() merges a block with the free blocks right before and after it, and
 * memory freed by a large message serves the next large one. New memory is taken at the break (sbrk),
 * which grows the wasm memory when the module allows it; when it cannot, malloc() returns NULL and never
 * aborts. When the highest free block ends at the break, growing extends it instead of leaving it
 * behind. Memory is never given back: wasm memory cannot shrink.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <emscripten/heap.h>

/* Where the heap starts, after the data and the stack (set by the linker). */
extern unsigned char __heap_base;

/* Block alignment and header size: the wasm32 ABI's largest fundamental alignment. */
#define BLOCK_ALIGN 8u
/* The smallest block: a header, so that a free block can hold its size and its link. */
#define BLOCK_MIN BLOCK_ALIGN

typedef struct block {
    size_t size;        /* bytes, header included; a multiple of BLOCK_ALIGN */
    struct block *next; /* next free block by address (free blocks only) */
} block;

_Static_assert(sizeof(block) <= BLOCK_MIN, "a free block holds its size and its link");
_Static_assert(_Alignof(max_align_t) <= BLOCK_ALIGN, "malloc must return memory aligned for every type");

/* Free blocks, by increasing address. */
static block *free_list;

/* The block size that holds n bytes of payload, or 0 when that does not fit in a size_t. */
static size_t block_size_for(size_t n) {
    if (n > SIZE_MAX - 2 * BLOCK_ALIGN) return 0;
    return (n + BLOCK_ALIGN + BLOCK_ALIGN - 1) & ~(size_t)(BLOCK_ALIGN - 1);
}

/* The break: the end of the memory handed out so far (0 until first asked: then __heap_base, aligned). */
static uintptr_t heap_top;

/* Emscripten's sbrk() comes with its allocators, so the package has its own: the same contract (the old
 * break, or (void *)-1 with the break unchanged when the memory cannot grow; web/transport_web.c asks for
 * the break with sbrk(0)), growing the wasm memory when the module allows it, and keeping the break
 * aligned. The heap never shrinks: a negative increment fails. */
void *sbrk(intptr_t increment) {
    if (heap_top == 0) heap_top = ((uintptr_t)&__heap_base + BLOCK_ALIGN - 1) & ~(uintptr_t)(BLOCK_ALIGN - 1);
    uintptr_t old = heap_top, size = ((uintptr_t)increment + BLOCK_ALIGN - 1) & ~(uintptr_t)(BLOCK_ALIGN - 1);
    if (increment < 0 || size < (uintptr_t)increment || size > UINTPTR_MAX - old) return (void *)-1;
    /* (A module linked without memory growth aborts in emscripten_resize_heap: ask only below the max.) */
    if (old + size > emscripten_get_heap_size() &&
        (old + size > emscripten_get_heap_max() || !emscripten_resize_heap(old + size)))
        return (void *)-1;
    heap_top = old + size;
    return (void *)old;
}

/* size more bytes (a multiple of BLOCK_ALIGN) at the break; NULL when the memory cannot grow. */
static void *heap_grow(size_t size) {
    void *p = sbrk((intptr_t)size);
    return p == (void *)-1 ? NULL : p;
}

void *malloc(size_t n) {
    size_t need = block_size_for(n);
    if (need == 0) return NULL;
    block **link = &free_list, *b;
    for (; (b = *link) != NULL; link = &b->next) {
        if (b->size < need) {
            /* The highest free block ends at the break: grow it by what is missing. */
            if (b->next == NULL && (uintptr_t)b + b->size == heap_top) {
                if (heap_grow(need - b->size) == NULL) return NULL;
                b->size = need;
            } else {
                continue;
            }
        }
        if (b->size - need >= BLOCK_MIN) {
            /* Hand out the end of the block; the rest stays where it is in the list. */
            b->size -= need;
            b = (block *)((char *)b + b->size);
            b->size = need;
        } else {
            *link = b->next;
        }
        return (char *)b + BLOCK_ALIGN;
    }
    b = heap_grow(need);
    if (b == NULL) return NULL;
    b->size = need;
    return (char *)b + BLOCK_ALIGN;
}

void free(void *p) {
    if (p == NULL) return;
    block *b = (block *)((char *)p - BLOCK_ALIGN), *prev = NULL, *next = free_list;
    while (next != NULL && next < b) {
        prev = next;
        next = next->next;
    }
    if (next != NULL && (char *)b + b->size == (char *)next) {
        b->size += next->size;
        next = next->next;
    }
    b->next = next;
    if (prev != NULL && (char *)prev + prev->size == (char *)b) {
        prev->size += b->size;
        prev->next = next;
    } else if (prev != NULL) {
        prev->next = b;
    } else {
        free_list = b;
    }
}

void *calloc(size_t count, size_t size) {
    if (size != 0 && count > SIZE_MAX / size) return NULL;
    void *p = malloc(count * size);
    if (p != NULL) memset(p, 0, count * size);
    return p;
}
