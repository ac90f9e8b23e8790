/*
 * The timer heap: one binary min-heap of deadlines, shared by the core (connect timeouts) and the native
 * transport (close, linger, trim and connection-attempt timers).
 *
 * The heap is an array of pointers to nodes embedded in the caller's objects (each node knows its own
 * slot), so the earliest deadline is found in O(1), and insertion and removal of any node take
 * O(log n). Equal deadlines expire in the order they were inserted (a sequence number breaks ties), so
 * callbacks keep a stable, predictable order. Insertion never allocates: the owner reserves room for
 * every node it may insert (tt__heap_reserve) when it creates the object that embeds the node, which is
 * where an out-of-memory condition can still be reported cleanly.
 */
#ifndef TT_HEAP_H
#define TT_HEAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct tt__heap_node {
    uint64_t deadline; /* absolute milliseconds */
    uint64_t seq;      /* insertion order, for ties */
    size_t slot;       /* 1 + its index in the heap's array; 0 when not in a heap */
} tt__heap_node;

typedef struct tt__heap {
    tt__heap_node **nodes;
    size_t count;
    size_t capacity;
    uint64_t next_seq;
} tt__heap;

/* Makes room for at least `count` nodes in total. Returns 0 or TT_ENOMEM (the heap is unchanged). */
int tt__heap_reserve(tt__heap *heap, size_t count);

/*
 * Inserts node with the given deadline; a node already in the heap is moved to its new deadline (and
 * counts as inserted now for ties). The caller has reserved room for it.
 */
void tt__heap_insert(tt__heap *heap, tt__heap_node *node, uint64_t deadline);

/* Removes node if it is in the heap; does nothing otherwise. */
void tt__heap_remove(tt__heap *heap, tt__heap_node *node);

/* The node with the earliest deadline, or NULL when the heap is empty. */
static inline tt__heap_node *tt__heap_min(const tt__heap *heap) { return heap->count ? heap->nodes[0] : NULL; }

static inline int tt__heap_contains(const tt__heap_node *node) { return node->slot != 0; }

/* Frees the array. Nodes still inside are simply forgotten (their slot is not cleared). */
void tt__heap_free(tt__heap *heap);

/* The struct that embeds a node, from a pointer to the node. */
#define TT__HEAP_OWNER(node, type, member) ((type *)(void *)((char *)(node)-offsetof(type, member)))

#endif
