/* native/bots/histogram.c: quantiles within the promised precision, the maximum, merging, huge values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "histogram.h"

#define PRECISION 0.035 /* 32 buckets per power of two: within about 3 % */

static histogram h, g;

static void near(double got, double want) {
    if (got < want * (1 - PRECISION) || got > want * (1 + PRECISION))
        fail_msg("got %.6f, want %.6f +- %.1f%%", got, want, PRECISION * 100);
}

static void empty_is_zero(void **s) {
    memset(&h, 0, sizeof h);
    assert_true(hist_quantile(&h, 0.5) == 0);
    assert_true(hist_quantile(&h, 0.99) == 0);
}

static void quantiles_of_a_uniform_spread(void **s) {
    memset(&h, 0, sizeof h);
    for (int i = 1; i <= 1000; i++) hist_add(&h, i); /* 1 .. 1000 ms */
    assert_int_equal(h.count, 1000);
    near(hist_quantile(&h, 0.5), 500);
    near(hist_quantile(&h, 0.9), 900);
    near(hist_quantile(&h, 0.99), 990);
    assert_true(h.max_ms == 1000);
    assert_true(hist_quantile(&h, 1.0) <= 1000);
}

static void microseconds_are_exact_below_the_linear_range(void **s) {
    memset(&h, 0, sizeof h);
    for (int i = 0; i < 10; i++) hist_add(&h, 0.010); /* 10 us */
    hist_add(&h, 0.050);
    near(hist_quantile(&h, 0.5), 0.0105);
    near(hist_quantile(&h, 1.0), 0.050);
}

static void merge_adds_counts_and_keeps_the_max(void **s) {
    memset(&h, 0, sizeof h);
    memset(&g, 0, sizeof g);
    for (int i = 0; i < 99; i++) hist_add(&h, 1);
    hist_add(&g, 250);
    hist_merge(&h, &g);
    assert_int_equal(h.count, 100);
    assert_true(h.max_ms == 250);
    near(hist_quantile(&h, 0.5), 1);
    near(hist_quantile(&h, 1.0), 250);
}

static void huge_and_negative_values_stay_in_range(void **s) {
    memset(&h, 0, sizeof h);
    hist_add(&h, 1e12); /* beyond the last octave: the last bucket */
    hist_add(&h, -5);   /* a clock step backwards: counted as 0 */
    assert_int_equal(h.count, 2);
    assert_true(hist_quantile(&h, 1.0) <= 1e12);
    assert_true(hist_quantile(&h, 0.0) < 0.001);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_is_zero),
        cmocka_unit_test(quantiles_of_a_uniform_spread),
        cmocka_unit_test(microseconds_are_exact_below_the_linear_range),
        cmocka_unit_test(merge_adds_counts_and_keeps_the_max),
        cmocka_unit_test(huge_and_negative_values_stay_in_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
