/* Unit tests for src/frame.c: header parsing and writing, server-frame rules, masking, Close payloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"
#include "tt_internal.h"

/* Parses buf whole, then checks that every shorter prefix asks for more bytes. */
static int parse_all_prefixes(const uint8_t *buf, size_t len, tt__frame_header *h) {
    int rc = tt__frame_parse_header(buf, len, h);
    if (rc > 0)
        for (size_t k = 0; k < (size_t)rc; k++) {
            tt__frame_header tmp;
            assert_int_equal(tt__frame_parse_header(buf, k, &tmp), TT_EAGAIN);
        }
    return rc;
}

/* RFC 6455 section 5.7: a single-frame unmasked and masked text message "Hello". */
static void test_rfc_hello_examples(void **state) {
    (void)state;
    static const uint8_t unmasked[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    static const uint8_t masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    tt__frame_header h;
    assert_int_equal(parse_all_prefixes(unmasked, sizeof unmasked, &h), 2);
    assert_int_equal(h.fin, 1);
    assert_int_equal(h.rsv, 0);
    assert_int_equal(h.opcode, TT__OP_TEXT);
    assert_int_equal(h.masked, 0);
    assert_int_equal(h.payload_length, 5);
    assert_int_equal(h.header_length, 2);
    assert_memory_equal(unmasked + 2, "Hello", 5);
    tt__violation why = TT__VIOLATION_NONE;
    assert_int_equal(tt__frame_check_server(&h, 0, &why), 0);

    assert_int_equal(parse_all_prefixes(masked, sizeof masked, &h), 6);
    assert_int_equal(h.masked, 1);
    assert_memory_equal(h.mask, masked + 2, 4);
    uint8_t plain[5];
    tt__mask(plain, masked + 6, 5, h.mask, 0);
    assert_memory_equal(plain, "Hello", 5);
    assert_int_equal(tt__frame_check_server(&h, 0, &why), TT_EFRAME);
    assert_int_equal(why, TT__VIOLATION_MASKED_FRAME);

    /* Our writer produces exactly the RFC's masked frame. */
    uint8_t out[TT__FRAME_HEADER_MAX + 5];
    size_t n = tt__frame_write_header(out, 1, 0, TT__OP_TEXT, 5, masked + 2);
    assert_int_equal(n, 6);
    tt__mask(out + n, (const uint8_t *)"Hello", 5, masked + 2, 0);
    assert_memory_equal(out, masked, sizeof masked);
}

/* RFC 6455 section 5.7: the fragmented "Hel" + "lo", ping, and the 16- and 64-bit length examples. */
static void test_rfc_other_examples(void **state) {
    (void)state;
    static const uint8_t frag1[] = {0x01, 0x03, 0x48, 0x65, 0x6c}, frag2[] = {0x80, 0x02, 0x6c, 0x6f};
    static const uint8_t ping[] = {0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    static const uint8_t len256[] = {0x82, 0x7E, 0x01, 0x00};
    static const uint8_t len64k[] = {0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0};
    tt__frame_header h;
    assert_int_equal(parse_all_prefixes(frag1, sizeof frag1, &h), 2);
    assert_true(h.fin == 0 && h.opcode == TT__OP_TEXT && h.payload_length == 3);
    assert_int_equal(parse_all_prefixes(frag2, sizeof frag2, &h), 2);
    assert_true(h.fin == 1 && h.opcode == TT__OP_CONTINUATION && h.payload_length == 2);
    assert_int_equal(parse_all_prefixes(ping, sizeof ping, &h), 2);
    assert_true(h.fin == 1 && h.opcode == TT__OP_PING && h.payload_length == 5);
    assert_int_equal(parse_all_prefixes(len256, sizeof len256, &h), 4);
    assert_true(h.opcode == TT__OP_BINARY && h.payload_length == 256 && h.header_length == 4);
    assert_int_equal(parse_all_prefixes(len64k, sizeof len64k, &h), 10);
    assert_true(h.payload_length == 65536 && h.header_length == 10);
}

static void test_length_encodings_and_limits(void **state) {
    (void)state;
    tt__frame_header h;
    static const uint8_t l125[] = {0x82, 125}, l126[] = {0x82, 126, 0, 126}, lmax16[] = {0x82, 126, 0xFF, 0xFF};
    static const uint8_t lmax63[] = {0x82, 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    static const uint8_t lmax31[] = {0x82, 127, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF}; /* 2^31 - 1 */
    static const uint8_t l2_31[] = {0x82, 127, 0, 0, 0, 0, 0x80, 0, 0, 0};
    static const uint8_t l2_31_masked[] = {0x89, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0}; /* 2^32, mask key not yet here */
    static const uint8_t top_bit[] = {0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t nonminimal[] = {0x82, 126, 0x00, 0x05}; /* Chromium fails it, so do we */
    static const uint8_t nonminimal125[] = {0x82, 126, 0x00, 125};
    static const uint8_t nonminimal64[] = {0x82, 127, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    static const uint8_t minimal64[] = {0x82, 127, 0, 0, 0, 0, 0, 1, 0x00, 0x00};
    static const uint8_t masked64[] = {0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 200, 1, 2, 3, 4};
    assert_int_equal(parse_all_prefixes(l125, 2, &h), 2);
    assert_int_equal(h.payload_length, 125);
    assert_int_equal(parse_all_prefixes(l126, 4, &h), 4);
    assert_int_equal(h.payload_length, 126);
    assert_int_equal(parse_all_prefixes(lmax16, 4, &h), 4);
    assert_int_equal(h.payload_length, 65535);
    /* Chromium's limit: 2^31 - 1 is a frame like any other; more is refused from the length alone. */
    assert_int_equal(parse_all_prefixes(lmax31, 10, &h), 10);
    assert_true(h.payload_length == UINT64_C(0x7FFFFFFF));
    assert_int_equal(tt__frame_parse_header(l2_31, sizeof l2_31, &h), TT_ETOOBIG);
    assert_int_equal(tt__frame_parse_header(l2_31, 9, &h), TT_EAGAIN);
    assert_int_equal(tt__frame_parse_header(l2_31_masked, sizeof l2_31_masked, &h), TT_ETOOBIG);
    assert_int_equal(tt__frame_parse_header(lmax63, sizeof lmax63, &h), TT_ETOOBIG);
    assert_int_equal(tt__frame_parse_header(top_bit, sizeof top_bit, &h), TT_EFRAME);
    assert_int_equal(tt__frame_parse_header(top_bit, 9, &h), TT_EAGAIN);
    assert_int_equal(tt__frame_parse_header(nonminimal, 3, &h), TT_EAGAIN);
    assert_int_equal(tt__frame_parse_header(nonminimal, sizeof nonminimal, &h), TT_EFRAME);
    assert_int_equal(tt__frame_parse_header(nonminimal125, sizeof nonminimal125, &h), TT_EFRAME);
    assert_int_equal(tt__frame_parse_header(nonminimal64, sizeof nonminimal64, &h), TT_EFRAME);
    static const uint8_t nonminimal64_masked[] = {0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0, 5}; /* no key needed */
    assert_int_equal(tt__frame_parse_header(nonminimal64_masked, sizeof nonminimal64_masked, &h), TT_EFRAME);
    assert_int_equal(parse_all_prefixes(minimal64, 10, &h), 10);
    assert_int_equal(h.payload_length, 65536);
    assert_int_equal(parse_all_prefixes(masked64, sizeof masked64, &h), 14);
    assert_int_equal(h.payload_length, 65736);
    assert_memory_equal(h.mask, "\x01\x02\x03\x04", 4);
}

typedef struct check_case {
    uint8_t b0, b1;
    int rsv1_allowed;
    int expect;
    tt__violation why;
} check_case;

static const check_case check_cases[] = {
    {0x83, 0x00, 0, TT_EFRAME, TT__VIOLATION_RESERVED_OPCODE},
    {0x84, 0x00, 0, TT_EFRAME, TT__VIOLATION_RESERVED_OPCODE},
    {0x87, 0x00, 0, TT_EFRAME, TT__VIOLATION_RESERVED_OPCODE},
    {0x8B, 0x00, 0, TT_EFRAME, TT__VIOLATION_RESERVED_OPCODE},
    {0x8F, 0x00, 0, TT_EFRAME, TT__VIOLATION_RESERVED_OPCODE},
    {0xC1, 0x00, 0, TT_EFRAME, TT__VIOLATION_RESERVED_BITS},
    {0xA1, 0x00, 0, TT_EFRAME, TT__VIOLATION_RESERVED_BITS},
    {0x91, 0x00, 0, TT_EFRAME, TT__VIOLATION_RESERVED_BITS},
    {0xA1, 0x00, 1, TT_EFRAME, TT__VIOLATION_RESERVED_BITS},
    {0xC1, 0x00, 1, 0, TT__VIOLATION_NONE},
    {0x09, 0x00, 0, TT_EFRAME, TT__VIOLATION_FRAGMENTED_CONTROL},
    {0x08, 0x00, 0, TT_EFRAME, TT__VIOLATION_FRAGMENTED_CONTROL},
    {0x89, 0x7E, 0, TT_EFRAME, TT__VIOLATION_CONTROL_TOO_LONG},
    {0x88, 0x7E, 0, TT_EFRAME, TT__VIOLATION_CONTROL_TOO_LONG},
    {0x8A, 0x7F, 0, TT_EFRAME, TT__VIOLATION_CONTROL_TOO_LONG},
    {0x82, 0x80, 0, TT_EFRAME, TT__VIOLATION_MASKED_FRAME},
    {0x8A, 0x7D, 0, 0, TT__VIOLATION_NONE},
    {0x00, 0x05, 0, 0, TT__VIOLATION_NONE},
    {0x02, 0x7E, 0, 0, TT__VIOLATION_NONE},
};

static void test_server_frame_checks(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof check_cases / sizeof check_cases[0]; i++) {
        const check_case *c = &check_cases[i];
        uint8_t buf[TT__FRAME_HEADER_MAX] = {c->b0, c->b1, 0, 0x7E, 0, 0, 0, 0, 0, 0x7E, 0, 0, 0, 0};
        if ((c->b1 & 0x7F) == 127) buf[3] = 0, buf[7] = 1; /* 65662 bytes: minimal and below 2^31 */
        tt__frame_header h;
        assert_true(tt__frame_parse_header(buf, sizeof buf, &h) > 0);
        tt__violation why = TT__VIOLATION_NONE;
        int rc = tt__frame_check_server(&h, c->rsv1_allowed, &why);
        if (rc != c->expect) fail_msg("case %zu: got %d want %d", i, rc, c->expect);
        assert_int_equal(why, c->why);
    }
}

static void test_write_header_all_lengths(void **state) {
    (void)state;
    static const uint8_t mask[4] = {0xA1, 0xB2, 0xC3, 0xD4};
    static const uint64_t lengths[] = {0, 1, 125, 126, 65535, 65536, UINT64_C(0x7FFFFFFF)};
    static const size_t header_lengths[] = {6, 6, 6, 8, 8, 14, 14};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        uint8_t out[TT__FRAME_HEADER_MAX];
        size_t n = tt__frame_write_header(out, 1, 0, TT__OP_BINARY, lengths[i], mask);
        assert_int_equal(n, header_lengths[i]);
        tt__frame_header h;
        assert_int_equal(parse_all_prefixes(out, n, &h), (int)n);
        assert_true(h.payload_length == lengths[i]);
        assert_true(h.fin == 1 && h.masked == 1 && h.opcode == TT__OP_BINARY && h.rsv == 0);
        assert_memory_equal(h.mask, mask, 4);
    }
    uint8_t out[TT__FRAME_HEADER_MAX];
    /* A client may send more than a client accepts (the 2^31 - 1 limit is on received frames). */
    assert_int_equal(tt__frame_write_header(out, 1, 0, TT__OP_BINARY, UINT64_C(0x123456789A), mask), 14);
    static const uint8_t big[] = {0x82, 0xFF, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0x9A, 0xA1, 0xB2, 0xC3, 0xD4};
    assert_memory_equal(out, big, sizeof big);
    assert_int_equal(tt__frame_write_header(out, 0, 4, TT__OP_TEXT, 300, mask), 8);
    static const uint8_t want[] = {0x41, 0xFE, 0x01, 0x2C, 0xA1, 0xB2, 0xC3, 0xD4};
    assert_memory_equal(out, want, sizeof want);
}

/* Word-wise masking agrees with the byte-wise definition at every alignment, offset and length. */
static void test_mask_every_alignment_and_offset(void **state) {
    (void)state;
    static const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
    uint8_t src[80], dst[96], expect[80];
    for (size_t i = 0; i < sizeof src; i++) src[i] = (uint8_t)(i * 37 + 11);
    for (size_t align = 0; align < 8; align++)
        for (size_t offset = 0; offset < 9; offset++)
            for (size_t len = 0; len <= 70; len++) {
                for (size_t i = 0; i < len; i++) expect[i] = src[i] ^ mask[(offset + i) % 4];
                memset(dst, 0xEE, sizeof dst);
                tt__mask(dst + align, src, len, mask, offset);
                assert_memory_equal(dst + align, expect, len);
                assert_int_equal(dst[align + len], 0xEE); /* nothing written past the end */
                if (align) assert_int_equal(dst[align - 1], 0xEE);
            }
    /* In place, continued across two calls. */
    uint8_t buf[33];
    memcpy(buf, src, sizeof buf);
    tt__mask(buf, buf, 13, mask, 0);
    tt__mask(buf + 13, buf + 13, 20, mask, 13);
    for (size_t i = 0; i < sizeof buf; i++) assert_int_equal(buf[i], src[i] ^ mask[i % 4]);
}

typedef struct close_case {
    const char *payload;
    size_t len;
    int expect;
    int code;
} close_case;

/* clang-format off */
#define C(lit, expect, code) {lit, sizeof(lit) - 1, expect, code}
static const close_case close_cases[] = {
    C("", 0, 1005),
    C("\x03\xE8", 0, 1000),
    C("\x03\xE9" "bye", 0, 1001),
    C("\x03\xEA", 0, 1002),
    C("\x03\xEB", 0, 1003),
    C("\x03\xEF", 0, 1007),
    C("\x03\xF6", 0, 1014),
    C("\x0B\xB8", 0, 3000),
    C("\x13\x87" "\xE2\x82\xAC", 0, 4999),
    C("\x03", TT_EFRAME, 0),
    /* Codes RFC 6455 forbids on the wire are still reported verbatim, as Chromium does. */
    C("\x00\x00", 0, 0),
    C("\x03\xE7" "bad", 0, 999),
    C("\x03\xEC", 0, 1004),
    C("\x03\xF8", 0, 1016),
    C("\x0B\xB7", 0, 2999),
    C("\x13\x88", 0, 5000),
    C("\xFF\xFF", 0, 65535),
    /* Only the codes that mean "no Close" fail. */
    C("\x03\xED", TT_EFRAME, 0),       /* 1005 */
    C("\x03\xEE", TT_EFRAME, 0),       /* 1006 */
    C("\x03\xF7", TT_EFRAME, 0),       /* 1015 */
    C("\x03\xE8\xFF", TT_EUTF8, 0),
    C("\x03\xE8" "ok\xC0\xAF", TT_EUTF8, 0),
    C("\x03\xE8" "\xE2\x82", TT_EUTF8, 0), /* truncated at the end of the reason */
};
#undef C
/* clang-format on */

static void test_close_payloads(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof close_cases / sizeof close_cases[0]; i++) {
        const close_case *c = &close_cases[i];
        int code = -1;
        const char *reason = NULL;
        tt__violation why = TT__VIOLATION_NONE;
        size_t reason_len = 99;
        int rc = tt__close_payload_parse((const uint8_t *)c->payload, c->len, &code, &reason, &reason_len, &why);
        if (rc != c->expect) fail_msg("close case %zu: got %d want %d", i, rc, c->expect);
        if (rc == 0) {
            assert_int_equal(code, c->code);
            assert_int_equal(reason_len, c->len > 2 ? c->len - 2 : 0);
            if (c->len > 2) assert_ptr_equal(reason, c->payload + 2); /* zero-copy */
        } else {
            assert_int_not_equal(why, TT__VIOLATION_NONE);
        }
    }
}

static void test_close_code_wire_valid(void **state) {
    (void)state;
    for (int code = -1; code < 70000; code++) {
        int want = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
        assert_int_equal(tt__close_code_wire_valid(code), want);
    }
    assert_false(tt__close_code_wire_valid(1005));
    assert_false(tt__close_code_wire_valid(1006));
    assert_true(tt__close_code_wire_valid(4000));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_hello_examples),
        cmocka_unit_test(test_rfc_other_examples),
        cmocka_unit_test(test_length_encodings_and_limits),
        cmocka_unit_test(test_server_frame_checks),
        cmocka_unit_test(test_write_header_all_lengths),
        cmocka_unit_test(test_mask_every_alignment_and_offset),
        cmocka_unit_test(test_close_payloads),
        cmocka_unit_test(test_close_code_wire_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
