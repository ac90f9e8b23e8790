/* Unit tests of src/buf.c: the one growable byte buffer (the session's output, spans, message and head). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "tt_internal.h"

/* Appends the bytes start, start + 1, ... (mod 256): n of them. */
static void append_run(tt__buf *b, size_t n, uint8_t start) {
    uint8_t chunk[300];
    assert_true(n <= sizeof chunk);
    for (size_t i = 0; i < n; i++) chunk[i] = (uint8_t)(start + i);
    assert_int_equal(tt__buf_append(b, chunk, n), 0);
}

/* The pending bytes are the run start, start + 1, ... of length n. */
static void assert_pending_run(const tt__buf *b, size_t n, uint8_t start) {
    assert_int_equal(tt__buf_pending(b), n);
    for (size_t i = 0; i < n; i++) assert_int_equal(tt__buf_head(b)[i], (uint8_t)(start + i));
}

static void test_zeroed_is_empty_and_holds_nothing(void **state) {
    (void)state;
    tt__buf b = {0};
    assert_int_equal(tt__buf_pending(&b), 0);
    assert_int_equal(tt__buf_room(&b), 0);
    assert_int_equal(tt__buf_append(&b, NULL, 0), 0); /* nothing to add: no memory taken */
    assert_null(b.data);
    tt__buf_consume(&b, 5);
    assert_int_equal(b.pos, 0);
    assert_int_equal(b.len, 0);
    tt__buf_free(&b);
    assert_null(b.data);
}

static void test_append_first_size_and_doubling(void **state) {
    (void)state;
    tt__buf b = {0};
    append_run(&b, 10, 0);
    assert_int_equal(b.cap, TT__BUF_FIRST);
    append_run(&b, TT__BUF_FIRST - 10, 10); /* exactly full: no growth */
    assert_int_equal(b.cap, TT__BUF_FIRST);
    append_run(&b, 1, (uint8_t)TT__BUF_FIRST);
    assert_int_equal(b.cap, 2 * TT__BUF_FIRST);
    assert_pending_run(&b, TT__BUF_FIRST + 1, 0);
    tt__buf_free(&b);
}

static void test_consume_then_drained_starts_over(void **state) {
    (void)state;
    tt__buf b = {0};
    append_run(&b, 100, 0);
    tt__buf_consume(&b, 40);
    assert_pending_run(&b, 60, 40);
    tt__buf_consume(&b, 1000); /* more than pending: all of it */
    assert_int_equal(tt__buf_pending(&b), 0);
    assert_int_equal(b.pos, 0);
    assert_int_equal(b.len, 0);
    assert_non_null(b.data); /* the memory stays for the next bytes */
    assert_int_equal(b.cap, TT__BUF_FIRST);
    tt__buf_free(&b);
}

/* Room at the front left by consumed bytes is used before the buffer grows. */
static void test_reserve_compacts_before_growing(void **state) {
    (void)state;
    tt__buf b = {0};
    append_run(&b, 200, 0);
    tt__buf_consume(&b, 150);
    assert_int_equal(tt__buf_reserve(&b, 150), 0); /* 56 at the end, 150 more at the front */
    assert_int_equal(b.cap, TT__BUF_FIRST);
    assert_int_equal(b.pos, 0);
    assert_pending_run(&b, 50, 150);
    /* Not enough even after compaction: compacted, then grown, the bytes kept. */
    tt__buf_consume(&b, 10);
    assert_int_equal(tt__buf_reserve(&b, TT__BUF_FIRST), 0);
    assert_int_equal(b.pos, 0);
    assert_true(tt__buf_room(&b) >= TT__BUF_FIRST);
    assert_pending_run(&b, 40, 160);
    tt__buf_free(&b);
}

static void test_grow_policy(void **state) {
    (void)state;
    tt__buf b = {0};
    assert_int_equal(tt__buf_grow(&b, 100, SIZE_MAX), 0);
    assert_int_equal(b.cap, 100); /* nothing to double: what was asked */
    assert_int_equal(tt__buf_grow(&b, 50, SIZE_MAX), 0);
    assert_int_equal(b.cap, 100); /* enough already */
    assert_int_equal(tt__buf_grow(&b, 101, SIZE_MAX), 0);
    assert_int_equal(b.cap, 200); /* doubled */
    assert_int_equal(tt__buf_grow(&b, 201, 300), 0);
    assert_int_equal(b.cap, 300); /* doubling stops at the bound */
    assert_int_equal(tt__buf_grow(&b, 500, 400), 0);
    assert_int_equal(b.cap, 500); /* what is needed wins over the bound */
    assert_int_equal(tt__buf_grow(&b, 2000, SIZE_MAX), 0);
    assert_int_equal(b.cap, 2000); /* more than double was needed */
    tt__buf_free(&b);
}

/* Growth keeps bytes written past len but not yet counted (the session deflates into the room). */
static void test_grow_keeps_bytes_past_len(void **state) {
    (void)state;
    tt__buf b = {0};
    assert_int_equal(tt__buf_reserve(&b, 8), 0);
    memcpy(tt__buf_tail(&b) + 4, "room", 4);
    size_t cap = b.cap;
    assert_int_equal(tt__buf_grow(&b, cap + 1, SIZE_MAX), 0);
    assert_int_equal(b.cap, 2 * cap);
    assert_memory_equal(tt__buf_tail(&b) + 4, "room", 4);
    tt__buf_free(&b);
}

static void test_out_of_memory_changes_nothing(void **state) {
    (void)state;
    tt__buf b = {0};
    append_run(&b, TT__BUF_FIRST, 0);
    uint8_t *data = b.data;
    long live = tt__alloc_live();
    tt__alloc_set_fail_after(1);
    assert_int_equal(tt__buf_append(&b, "x", 1), TT_ENOMEM);
    assert_int_equal(tt__buf_grow(&b, b.cap + 1, SIZE_MAX), TT_ENOMEM);
    tt__alloc_set_fail_after(0);
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.cap, TT__BUF_FIRST);
    assert_pending_run(&b, TT__BUF_FIRST, 0);
    /* A count no allocation could hold is refused before any arithmetic can wrap. */
    assert_int_equal(tt__buf_reserve(&b, SIZE_MAX - 3), TT_ENOMEM);
    assert_pending_run(&b, TT__BUF_FIRST, 0);
    tt__buf_free(&b);
    assert_int_equal(tt__alloc_live(), live - 1);
    assert_int_equal(b.cap, 0);
}

/* A buffer of records: reserved, written and consumed a whole record at a time, in order. */
typedef struct record {
    uint64_t a, b;
} record;

static void test_records_in_order_across_compaction(void **state) {
    (void)state;
    tt__buf b = {0};
    uint64_t next_in = 0, next_out = 0;
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < round % 7 + 1; i++, next_in++) {
            assert_int_equal(tt__buf_reserve(&b, sizeof(record)), 0);
            record r = {next_in, ~next_in};
            memcpy(tt__buf_tail(&b), &r, sizeof r);
            b.len += sizeof r;
        }
        for (int i = 0; i < round % 5 + 1 && tt__buf_pending(&b); i++, next_out++) {
            record r;
            memcpy(&r, tt__buf_head(&b), sizeof r);
            assert_int_equal(r.a, next_out);
            assert_int_equal(r.b, ~next_out);
            tt__buf_consume(&b, sizeof r);
        }
    }
    assert_int_equal(tt__buf_pending(&b), (next_in - next_out) * sizeof(record));
    tt__buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zeroed_is_empty_and_holds_nothing),
        cmocka_unit_test(test_append_first_size_and_doubling),
        cmocka_unit_test(test_consume_then_drained_starts_over),
        cmocka_unit_test(test_reserve_compacts_before_growing),
        cmocka_unit_test(test_grow_policy),
        cmocka_unit_test(test_grow_keeps_bytes_past_len),
        cmocka_unit_test(test_out_of_memory_changes_nothing),
        cmocka_unit_test(test_records_in_order_across_compaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
