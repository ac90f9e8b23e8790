/*
 * Unit tests of src/violation.c: every protocol violation row sends the close code and reason Chromium
 * sends for it (tests/parity/reference/chromium.json), whatever the row's detail sentence says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ttsocket.h"
#include "violation.h"

/* The wire half of each row, written out by hand: a Close reason changes only when this table does. */
static const struct {
    int close_code;
    const char *reason;
} expected_wire[TT__VIOLATION_COUNT] = {
    [TT__VIOLATION_MASKED_FRAME] = {1002, "Masked frame from server"},
    [TT__VIOLATION_RESERVED_OPCODE] = {1002, "Unknown opcode"},
    [TT__VIOLATION_RESERVED_BITS] = {1002, "Invalid reserved bit"},
    [TT__VIOLATION_FRAGMENTED_CONTROL] = {1002, "WebSocket Protocol Error"},
    [TT__VIOLATION_CONTROL_TOO_LONG] = {1002, "WebSocket Protocol Error"},
    [TT__VIOLATION_LENGTH_ENCODING] = {1002, "WebSocket Protocol Error"},
    [TT__VIOLATION_RSV1_ON_CONTROL] = {1002, "Invalid reserved bit"},
    [TT__VIOLATION_RSV1_ON_CONTINUATION] = {1002, "WebSocket Protocol Error"},
    [TT__VIOLATION_UNEXPECTED_CONTINUATION] = {1002, "Unexpected continuation"},
    [TT__VIOLATION_UNFINISHED_MESSAGE] = {1002, "Previous data frame unfinished"},
    [TT__VIOLATION_INVALID_COMPRESSED] = {1002, "WebSocket Protocol Error"},
    [TT__VIOLATION_TEXT_UTF8] = {1002, "Invalid UTF-8 in text frame"},
    [TT__VIOLATION_TEXT_UTF8_TRUNCATED] = {1002, "Invalid UTF-8 in text frame"},
    [TT__VIOLATION_CLOSE_ONE_BYTE] = {1002, ""},
    [TT__VIOLATION_CLOSE_INVALID_CODE] = {1002, ""},
    [TT__VIOLATION_CLOSE_REASON_UTF8] = {1002, "Invalid UTF-8 in Close frame"},
    [TT__VIOLATION_MESSAGE_TOO_BIG] = {1009, ""},
};

static void test_every_row_sends_chromiums_close(void **state) {
    (void)state;
    for (int v = 1; v < TT__VIOLATION_COUNT; v++) {
        if (expected_wire[v].reason == NULL) fail_msg("row %d has no expected Close: add it to expected_wire", v);
        assert_int_equal(tt__violation_close_code((tt__violation)v), expected_wire[v].close_code);
        assert_string_equal(tt__violation_close_reason((tt__violation)v), expected_wire[v].reason);
        /* A Close reason is at most 123 bytes. */
        assert_true(strlen(tt__violation_close_reason((tt__violation)v)) <= 123);
    }
}

/* Every row has its own detail sentence, so a game can tell the failures apart in onError. */
static void test_details_unique_and_named(void **state) {
    (void)state;
    for (int a = 1; a < TT__VIOLATION_COUNT; a++) {
        const char *d = tt__violation_detail((tt__violation)a);
        assert_true(strlen(d) > 0);
        /* "<layer>: <what>", except the size limit's sentence, which the core also gives on the web build
         * (where no frame layer exists) and so names the setting instead. */
        if (a != TT__VIOLATION_MESSAGE_TOO_BIG) assert_non_null(strchr(d, ':'));
        for (int b = a + 1; b < TT__VIOLATION_COUNT; b++)
            assert_string_not_equal(d, tt__violation_detail((tt__violation)b));
    }
}

/* No row, an unknown value: no Close code, nothing to say. */
static void test_none_and_out_of_range(void **state) {
    (void)state;
    const tt__violation outside[] = {TT__VIOLATION_NONE, (tt__violation)TT__VIOLATION_COUNT, (tt__violation)-1};
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        assert_int_equal(tt__violation_close_code(outside[i]), 0);
        assert_string_equal(tt__violation_detail(outside[i]), "");
        assert_string_equal(tt__violation_close_reason(outside[i]), "");
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row_sends_chromiums_close),
        cmocka_unit_test(test_details_unique_and_named),
        cmocka_unit_test(test_none_and_out_of_range),
    };
    return cmocka_run_group_tests_name("violation", tests, NULL, NULL);
}
