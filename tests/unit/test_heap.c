/* Unit tests of src/heap.c: the timer heap shared by the core and the native transport. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "heap.h"
#include "tt_internal.h"

#define COUNT 1000

typedef struct item {
    tt__heap_node node;
    int in; /* the reference's view: in the heap */
    uint64_t deadline;
    uint64_t order; /* the reference's insertion order */
} item;

/* A small deterministic generator, so a failure can be replayed. */
static uint32_t rng_state = 12345;
static uint32_t rng(void) {
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

/* The reference: the earliest item in, by (deadline, order), found by a linear scan. */
static item *reference_min(item *items, size_t n) {
    item *best = NULL;
    for (size_t i = 0; i < n; i++) {
        item *it = &items[i];
        if (!it->in) continue;
        if (best == NULL || it->deadline < best->deadline ||
            (it->deadline == best->deadline && it->order < best->order))
            best = it;
    }
    return best;
}

static void check_min(tt__heap *heap, item *items, size_t n) {
    item *want = reference_min(items, n);
    tt__heap_node *got = tt__heap_min(heap);
    if (want == NULL) {
        assert_null(got);
        return;
    }
    assert_ptr_equal(got, &want->node);
}

/* Random inserts, re-inserts, removals of any node and pops of the minimum, checked against the scan. */
static void test_random_against_reference(void **state) {
    (void)state;
    static item items[COUNT];
    memset(items, 0, sizeof items);
    tt__heap heap = {0};
    assert_int_equal(tt__heap_reserve(&heap, COUNT), 0);
    uint64_t order = 0;
    size_t in = 0;
    for (int step = 0; step < 30000; step++) {
        item *it = &items[rng() % COUNT];
        uint32_t op = rng() % 10;
        if (op < 5) { /* insert or move; few distinct deadlines, so ties are common */
            it->deadline = rng() % 64;
            it->order = order++;
            if (!it->in) in++;
            it->in = 1;
            tt__heap_insert(&heap, &it->node, it->deadline);
        } else if (op < 8) { /* remove any node, in the heap or not */
            if (it->in) in--;
            it->in = 0;
            tt__heap_remove(&heap, &it->node);
        } else { /* pop the minimum */
            item *m = reference_min(items, COUNT);
            if (m) {
                tt__heap_remove(&heap, tt__heap_min(&heap));
                m->in = 0;
                in--;
            }
        }
        assert_int_equal(heap.count, in);
        assert_int_equal(tt__heap_contains(&it->node), it->in);
        check_min(&heap, items, COUNT);
    }
    tt__heap_free(&heap);
}

/* Draining the heap yields every node sorted by deadline, and equal deadlines in insertion order. */
static void test_drain_is_sorted_and_stable(void **state) {
    (void)state;
    static item items[COUNT];
    memset(items, 0, sizeof items);
    tt__heap heap = {0};
    assert_int_equal(tt__heap_reserve(&heap, COUNT), 0);
    for (size_t i = 0; i < COUNT; i++) {
        items[i].order = i;
        tt__heap_insert(&heap, &items[i].node, rng() % 16);
    }
    uint64_t last_deadline = 0;
    size_t last_index = 0;
    for (size_t n = 0; n < COUNT; n++) {
        tt__heap_node *m = tt__heap_min(&heap);
        assert_non_null(m);
        item *it = TT__HEAP_OWNER(m, item, node);
        size_t index = (size_t)(it - items);
        assert_true(m->deadline >= last_deadline);
        if (n > 0 && m->deadline == last_deadline) assert_true(index > last_index);
        last_deadline = m->deadline;
        last_index = index;
        tt__heap_remove(&heap, m);
        assert_false(tt__heap_contains(m));
    }
    assert_null(tt__heap_min(&heap));
    tt__heap_free(&heap);
}

/* Reserving is where memory can run out; a failed reserve leaves the heap as it was. */
static void test_reserve_failure_keeps_heap(void **state) {
    (void)state;
    tt__heap heap = {0};
    item a = {0};
    assert_int_equal(tt__heap_reserve(&heap, 1), 0);
    tt__heap_insert(&heap, &a.node, 7);
    size_t cap = heap.capacity;
    tt__alloc_set_fail_after(1);
    assert_int_equal(tt__heap_reserve(&heap, cap + 1), TT_ENOMEM);
    tt__alloc_set_fail_after(0);
    assert_int_equal(heap.capacity, cap);
    assert_ptr_equal(tt__heap_min(&heap), &a.node);
    long live = tt__alloc_live();
    tt__heap_free(&heap);
    assert_int_equal(tt__alloc_live(), live - 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_reference),
        cmocka_unit_test(test_drain_is_sorted_and_stable),
        cmocka_unit_test(test_reserve_failure_keeps_heap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
