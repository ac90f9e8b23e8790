/* The timer heap (see heap.h): a binary min-heap over an array of node pointers. */
#include "heap.h"

#include <string.h>

#include "tt_internal.h"

static int earlier(const tt__heap_node *a, const tt__heap_node *b) {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void place(tt__heap *heap, size_t i, tt__heap_node *node) {
    heap->nodes[i] = node;
    node->slot = i + 1;
}

static void sift_up(tt__heap *heap, size_t i) {
    tt__heap_node *node = heap->nodes[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(node, heap->nodes[parent])) break;
        place(heap, i, heap->nodes[parent]);
        i = parent;
    }
    place(heap, i, node);
}

static void sift_down(tt__heap *heap, size_t i) {
    tt__heap_node *node = heap->nodes[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= heap->count) break;
        if (child + 1 < heap->count && earlier(heap->nodes[child + 1], heap->nodes[child])) child++;
        if (!earlier(heap->nodes[child], node)) break;
        place(heap, i, heap->nodes[child]);
        i = child;
    }
    place(heap, i, node);
}

int tt__heap_reserve(tt__heap *heap, size_t count) {
    if (count <= heap->capacity) return 0;
    size_t cap = heap->capacity ? heap->capacity : 16;
    while (cap < count) {
        if (cap > SIZE_MAX / 2 / sizeof *heap->nodes) return TT_ENOMEM;
        cap *= 2;
    }
    /* malloc and copy rather than realloc: the heap only grows, and the web package then links no
     * realloc (emmalloc's is about 800 bytes of wasm). */
    tt__heap_node **nodes = tt__malloc(cap * sizeof *nodes);
    if (nodes == NULL) return TT_ENOMEM;
    if (heap->count) memcpy(nodes, heap->nodes, heap->count * sizeof *nodes);
    tt__free(heap->nodes);
    heap->nodes = nodes;
    heap->capacity = cap;
    return 0;
}

void tt__heap_remove(tt__heap *heap, tt__heap_node *node) {
    if (node->slot == 0) return;
    size_t i = node->slot - 1;
    node->slot = 0;
    tt__heap_node *last = heap->nodes[--heap->count];
    if (i == heap->count) return;
    /* The last node fills the hole; it may belong above or below it. */
    place(heap, i, last);
    if (i > 0 && earlier(last, heap->nodes[(i - 1) / 2])) sift_up(heap, i);
    else sift_down(heap, i);
}

void tt__heap_insert(tt__heap *heap, tt__heap_node *node, uint64_t deadline) {
    tt__heap_remove(heap, node);
    node->deadline = deadline;
    node->seq = heap->next_seq++;
    place(heap, heap->count++, node);
    sift_up(heap, heap->count - 1);
}

void tt__heap_free(tt__heap *heap) {
    tt__free(heap->nodes);
    heap->nodes = NULL;
    heap->count = heap->capacity = 0;
}
