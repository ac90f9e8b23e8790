/* Unit tests for src/utf8.c: the incremental, fail-fast UTF-8 validator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tt_internal.h"
#include "utf8.h"

/* A reference written differently from the DFA: decode the code point, then judge it. */
static int ref_valid(const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t b = p[i];
        size_t len;
        uint32_t cp;
        if (b < 0x80) {
            i++;
            continue;
        }
        if ((b & 0xE0) == 0xC0) {
            len = 2;
            cp = b & 0x1F;
        } else if ((b & 0xF0) == 0xE0) {
            len = 3;
            cp = b & 0x0F;
        } else if ((b & 0xF8) == 0xF0) {
            len = 4;
            cp = b & 0x07;
        } else return 0;
        if (i + len > n) return 0;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += len;
    }
    return 1;
}

typedef struct bad_case {
    const char *name;
    const char *bytes;
    size_t len;
    size_t bad_at; /* index of the first byte that makes the prefix invalid; len when only the end is bad */
} bad_case;

/* clang-format off */
#define B(name, lit, at) {name, lit, sizeof(lit) - 1, at}
static const bad_case bad_cases[] = {
    B("overlong 2-byte C0", "\xC0\x80", 0),
    B("overlong 2-byte C1", "a\xC1\xBF", 1),
    B("overlong 3-byte", "\xE0\x80\x80", 1),
    B("overlong 3-byte top", "\xE0\x9F\xBF", 1),
    B("overlong 4-byte", "\xF0\x80\x80\x80", 1),
    B("overlong 4-byte top", "\xF0\x8F\xBF\xBF", 1),
    B("surrogate D800", "\xED\xA0\x80", 1),
    B("surrogate DFFF", "ab\xED\xBF\xBF", 3),
    B("above U+10FFFF", "\xF4\x90\x80\x80", 1),
    B("lead F5", "\xF5\x80\x80\x80", 0),
    B("lead FF", "xyz\xFF", 3),
    B("lead FE", "\xFE", 0),
    B("stray continuation", "\x80", 0),
    B("continuation after ASCII run", "abcdefghijkl\xBF", 12),
    B("missing continuation", "\xCE\x41", 1),
    B("3-byte cut by ASCII", "\xE2\x82\x41", 2),
    B("4-byte cut by lead", "\xF0\x9F\x98\xF0", 3),
    B("truncated 2-byte at end", "\xCE", 1),
    B("truncated 3-byte at end", "\xE2\x82", 2),
    B("truncated 4-byte at end", "abc\xF0\x9F\x98", 6),
};
#undef B
/* clang-format on */

static void test_valid_samples(void **state) {
    (void)state;
    /* clang-format off */
    static const char *const ok[] = {
        "", "hello", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xEF\xBF\xBF", "\xED\x9F\xBF", "\xEE\x80\x80",
        "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5",
        "0123456789abcdef\xF0\x9F\x98\x80 tail after eight-byte steps"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) assert_true(tt__utf8_valid(ok[i], strlen(ok[i])));
    assert_true(tt__utf8_valid("a\0b", 3)); /* U+0000 is a character */
}

/* Whole, byte by byte, and split at every point: the failure is reported at the first bad byte. */
static void test_bad_cases_fail_at_first_bad_byte(void **state) {
    (void)state;
    for (size_t c = 0; c < sizeof bad_cases / sizeof bad_cases[0]; c++) {
        const bad_case *bc = &bad_cases[c];
        const uint8_t *p = (const uint8_t *)bc->bytes;
        assert_false(tt__utf8_valid(p, bc->len));
        assert_false(ref_valid(p, bc->len));

        tt__utf8 v = {0};
        for (size_t i = 0; i < bc->len; i++) {
            int rc = tt__utf8_feed(&v, p + i, 1);
            assert_int_equal(rc, i >= bc->bad_at ? TT_EUTF8 : 0);
        }
        if (bc->bad_at == bc->len) assert_false(tt__utf8_at_boundary(&v));

        for (size_t split = 0; split <= bc->len; split++) {
            tt__utf8 w = {0};
            int first = tt__utf8_feed(&w, p, split);
            assert_int_equal(first, split > bc->bad_at ? TT_EUTF8 : 0);
            int second = tt__utf8_feed(&w, p + split, bc->len - split);
            assert_int_equal(second, bc->bad_at < bc->len ? TT_EUTF8 : 0);
        }
    }
}

static void test_failed_stays_failed(void **state) {
    (void)state;
    tt__utf8 v = {0};
    assert_int_equal(tt__utf8_feed(&v, (const uint8_t *)"\xFF", 1), TT_EUTF8);
    assert_int_equal(tt__utf8_feed(&v, (const uint8_t *)"abc", 3), TT_EUTF8);
    assert_int_equal(tt__utf8_feed(&v, (const uint8_t *)"", 0), TT_EUTF8);
    assert_false(tt__utf8_at_boundary(&v));
}

/* Every position of a bad byte inside a long ASCII run, to cover the eight-byte fast path's edges. */
static void test_bad_byte_at_every_position_of_ascii_run(void **state) {
    (void)state;
    uint8_t buf[40];
    for (size_t pos = 0; pos < sizeof buf; pos++) {
        memset(buf, 'a', sizeof buf);
        buf[pos] = 0x80;
        tt__utf8 v = {0};
        assert_int_equal(tt__utf8_feed(&v, buf, pos), 0);
        assert_int_equal(tt__utf8_feed(&v, buf + pos, 1), TT_EUTF8);
        assert_false(tt__utf8_valid(buf, sizeof buf));
    }
}

/* Exhaustive agreement with the reference over all 1-, 2- and 3-byte inputs with a non-ASCII lead. */
static void test_exhaustive_against_reference(void **state) {
    (void)state;
    uint8_t b[4];
    for (unsigned a = 0; a < 256; a++) {
        b[0] = (uint8_t)a;
        assert_int_equal(tt__utf8_valid(b, 1), ref_valid(b, 1));
        for (unsigned c = 0; c < 256; c++) {
            b[1] = (uint8_t)c;
            assert_int_equal(tt__utf8_valid(b, 2), ref_valid(b, 2));
            if (a < 0xC0) continue;
            for (unsigned d = 0; d < 256; d++) {
                b[2] = (uint8_t)d;
                assert_int_equal(tt__utf8_valid(b, 3), ref_valid(b, 3));
            }
        }
    }
    /* 4-byte forms: every lead F0-F7 with every second byte and a sample of the rest. */
    for (unsigned a = 0xF0; a < 0xF8; a++)
        for (unsigned c = 0; c < 256; c++)
            for (unsigned d = 0x70; d < 0xC8; d += 7)
                for (unsigned e = 0x70; e < 0xC8; e += 5) {
                    b[0] = (uint8_t)a, b[1] = (uint8_t)c, b[2] = (uint8_t)d, b[3] = (uint8_t)e;
                    assert_int_equal(tt__utf8_valid(b, 4), ref_valid(b, 4));
                }
}

static void test_boundary_tracking(void **state) {
    (void)state;
    const uint8_t *euro = (const uint8_t *)"\xE2\x82\xAC";
    tt__utf8 v = {0};
    assert_true(tt__utf8_at_boundary(&v));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tt__utf8_feed(&v, euro + i, 1), 0);
        assert_int_equal(tt__utf8_at_boundary(&v), i == 2);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_samples),
        cmocka_unit_test(test_bad_cases_fail_at_first_bad_byte),
        cmocka_unit_test(test_failed_stays_failed),
        cmocka_unit_test(test_bad_byte_at_every_position_of_ascii_run),
        cmocka_unit_test(test_exhaustive_against_reference),
        cmocka_unit_test(test_boundary_tracking),
    };
    /* clang-format on */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
