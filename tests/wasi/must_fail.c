/*
 * A cmocka program that must fail: its first test's assertion is false. Under wasm32-wasi cmocka's
 * failure path is a longjmp through tests/wasi/shim (setjmp over Node's WASI, no native setjmp), and a
 * shim that swallowed the failure, or trapped instead of jumping back, would make every other wasi unit
 * run meaningless. tests/CMakeLists.txt runs it twice: once with WILL_FAIL (the run's exit status must
 * say failure), once checking the summary (one test failed by its assertion, the next one still ran).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

static void test_assertion_fails(void **state) {
    (void)state;
    int answer = 41;
    assert_int_equal(answer, 42);
    puts("after a failed assertion: not reached");
}

static void test_next_test_still_runs(void **state) {
    (void)state;
    puts("the next test ran");
    assert_true(1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assertion_fails),
        cmocka_unit_test(test_next_test_still_runs),
    };
    return cmocka_run_group_tests_name("must_fail", tests, NULL, NULL);
}
