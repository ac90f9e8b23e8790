/* Unit tests of src/list.h: the intrusive list every queue of the library is built on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "list.h"

typedef struct item {
    int value;
    tt__list node;
} item;

/* Collects the values of `head` in order into out[]; returns how many there were. */
static int values(tt__list *head, int *out, int cap) {
    int n = 0;
    TT__LIST_FOREACH(it, head) {
        assert_true(n < cap);
        out[n++] = TT__LIST_ENTRY(it, item, node)->value;
    }
    return n;
}

static void test_empty_and_unlinked(void **state) {
    (void)state;
    tt__list head;
    tt__list_init(&head);
    item a = {.value = 1};
    assert_true(tt__list_empty(&head));
    assert_null(tt__list_first(&head));
    assert_false(tt__list_linked(&a.node));
    tt__list_remove(&a.node); /* removing an unlinked node changes nothing */
    assert_false(tt__list_linked(&a.node));
}

static void test_order_and_removal(void **state) {
    (void)state;
    tt__list head;
    tt__list_init(&head);
    item it[4] = {{.value = 0}, {.value = 1}, {.value = 2}, {.value = 3}};
    tt__list_push_back(&head, &it[1].node);
    tt__list_push_back(&head, &it[2].node);
    tt__list_push_front(&head, &it[0].node);
    tt__list_insert_after(&it[2].node, &it[3].node);
    int got[8];
    assert_int_equal(values(&head, got, 8), 4);
    for (int i = 0; i < 4; i++) assert_int_equal(got[i], i);
    assert_ptr_equal(TT__LIST_ENTRY(tt__list_first(&head), item, node), &it[0]);

    tt__list_remove(&it[2].node); /* the middle */
    tt__list_remove(&it[0].node); /* the first */
    tt__list_remove(&it[3].node); /* the last */
    assert_false(tt__list_linked(&it[2].node));
    assert_int_equal(values(&head, got, 8), 1);
    assert_int_equal(got[0], 1);
    tt__list_remove(&it[1].node);
    assert_true(tt__list_empty(&head));
}

static void test_remove_while_iterating(void **state) {
    (void)state;
    tt__list head;
    tt__list_init(&head);
    item it[6];
    for (int i = 0; i < 6; i++) {
        it[i] = (item){.value = i};
        tt__list_push_back(&head, &it[i].node);
    }
    TT__LIST_FOREACH_SAFE(n, nx, &head) {
        if (TT__LIST_ENTRY(n, item, node)->value % 2 == 0) tt__list_remove(n);
    }
    int got[8];
    assert_int_equal(values(&head, got, 8), 3);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 3);
    assert_int_equal(got[2], 5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_unlinked),
        cmocka_unit_test(test_order_and_removal),
        cmocka_unit_test(test_remove_while_iterating),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
