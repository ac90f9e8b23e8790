/* Unit tests of src/table.c: the task table (socketTaskId -> task), checked against a plain array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "tt_internal.h"

#define COUNT 2000

/* A small deterministic generator, so a failure can be replayed. */
static uint32_t rng_state = 777;
static uint32_t rng(void) {
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static void test_empty_table_finds_nothing(void **state) {
    (void)state;
    tt__table table = {0};
    assert_null(tt__table_find(&table, 1));
    assert_null(tt__table_find(&table, 0));
    tt__table_free(&table);
}

/*
 * Ids whose probe runs collide (same start slot), inserted, then removed from the middle of the run:
 * every id still in must stay reachable (a removal re-places the rest of its run), no removed id may be.
 */
static void test_removal_inside_a_probe_run(void **state) {
    (void)state;
    tt__table table = {0};
    static tt__task tasks[8];
    memset(tasks, 0, sizeof tasks);
    tt__task first = {.id = 1};
    assert_int_equal(tt__table_insert(&table, &first), 0); /* the table now has its first capacity */
    size_t start = tt__table_slot(5, table.capacity);
    size_t n = 0;
    for (uint32_t id = 5; n < 8; id++)
        if (tt__table_slot(id, table.capacity) == start) tasks[n++].id = id;
    for (size_t i = 0; i < 4; i++) assert_int_equal(tt__table_insert(&table, &tasks[i]), 0);
    tt__table_remove(&table, &tasks[1]);
    assert_null(tt__table_find(&table, tasks[1].id));
    for (size_t i = 0; i < 4; i++)
        if (i != 1) assert_ptr_equal(tt__table_find(&table, tasks[i].id), &tasks[i]);
    assert_ptr_equal(tt__table_find(&table, 1), &first);
    assert_int_equal(table.count, 4);
    tt__table_free(&table);
}

/* The task found last is remembered for the next lookup; once removed (or the table freed) it must not
 * be found through that memory. */
static void test_removed_task_not_found_again(void **state) {
    (void)state;
    tt__table table = {0};
    tt__task a = {.id = 3}, b = {.id = 4};
    assert_int_equal(tt__table_insert(&table, &a), 0);
    assert_int_equal(tt__table_insert(&table, &b), 0);
    assert_ptr_equal(tt__table_find(&table, 3), &a);
    assert_ptr_equal(tt__table_find(&table, 3), &a);
    tt__table_remove(&table, &a);
    assert_null(tt__table_find(&table, 3));
    assert_ptr_equal(tt__table_find(&table, 4), &b);
    tt__table_free(&table);
    assert_null(tt__table_find(&table, 4));
}

/* Random inserts (with growth) and removals; after each step every id in is found and a sample of the
 * ids out is not. */
static void test_random_against_reference(void **state) {
    (void)state;
    static tt__task tasks[COUNT];
    static int in[COUNT];
    memset(tasks, 0, sizeof tasks);
    memset(in, 0, sizeof in);
    for (size_t i = 0; i < COUNT; i++) tasks[i].id = (uint32_t)(i * 3 + 1); /* ids with gaps, as after failures */
    tt__table table = {0};
    size_t live = 0;
    for (int step = 0; step < 20000; step++) {
        size_t i = rng() % COUNT;
        if (in[i]) {
            tt__table_remove(&table, &tasks[i]);
            in[i] = 0;
            live--;
        } else {
            assert_int_equal(tt__table_insert(&table, &tasks[i]), 0);
            in[i] = 1;
            live++;
        }
        assert_int_equal(table.count, live);
        assert_true(table.count * 4 <= table.capacity * 3);
        size_t j = rng() % COUNT;
        assert_ptr_equal(tt__table_find(&table, tasks[j].id), in[j] ? &tasks[j] : NULL);
        assert_null(tt__table_find(&table, tasks[j].id + 1)); /* never issued */
    }
    for (size_t i = 0; i < COUNT; i++) assert_ptr_equal(tt__table_find(&table, tasks[i].id), in[i] ? &tasks[i] : NULL);
    tt__table_free(&table);
    assert_int_equal(table.capacity, 0);
}

/* A growth that cannot allocate leaves the table as it was, every task still found. */
static void test_growth_failure_keeps_table(void **state) {
    (void)state;
    static tt__task tasks[64];
    memset(tasks, 0, sizeof tasks);
    tt__table table = {0};
    size_t n = 0;
    size_t cap = 0;
    for (; n < 64; n++) {
        tasks[n].id = (uint32_t)(n + 1);
        if (n > 0 && (table.count + 1) * 4 > table.capacity * 3) break; /* the next insert grows */
        assert_int_equal(tt__table_insert(&table, &tasks[n]), 0);
        cap = table.capacity;
    }
    assert_true(n < 64);
    tt__alloc_set_fail_after(1);
    assert_int_equal(tt__table_insert(&table, &tasks[n]), TT_ENOMEM);
    tt__alloc_set_fail_after(0);
    assert_int_equal(table.capacity, cap);
    assert_int_equal(table.count, n);
    assert_null(tt__table_find(&table, tasks[n].id));
    for (size_t i = 0; i < n; i++) assert_ptr_equal(tt__table_find(&table, tasks[i].id), &tasks[i]);
    tt__table_free(&table);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_table_finds_nothing),    cmocka_unit_test(test_removal_inside_a_probe_run),
        cmocka_unit_test(test_removed_task_not_found_again), cmocka_unit_test(test_random_against_reference),
        cmocka_unit_test(test_growth_failure_keeps_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
