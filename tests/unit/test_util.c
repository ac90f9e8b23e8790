/* Unit tests of src/util.c and src/errmsg.c: the allocator door, hooks, base64, the error tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "errmsg.h"
#include "test_hooks.h"
#include "tt_internal.h"

static void test_base64_rfc4648_vectors(void **state) {
    (void)state;
    struct {
        const char *in, *out;
    } v[] = {{"", ""},
             {"f", "Zg=="},
             {"fo", "Zm8="},
             {"foo", "Zm9v"},
             {"foob", "Zm9vYg=="},
             {"fooba", "Zm9vYmE="},
             {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[16];
        size_t n = tt__base64_encode((const uint8_t *)v[i].in, strlen(v[i].in), out);
        assert_int_equal(n, strlen(v[i].out));
        assert_string_equal(out, v[i].out);
    }
    uint8_t all[3] = {0xff, 0xfe, 0xfd};
    char out[8];
    tt__base64_encode(all, 3, out);
    assert_string_equal(out, "//79");
}

static void test_allocator_failure_injection(void **state) {
    (void)state;
    long live = tt__alloc_live();
    tt__alloc_set_fail_after(3);
    void *a = tt__malloc(10);
    void *b = tt__calloc(2, 8);
    void *c = tt__malloc(10);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(c);
    assert_null(tt__strdup("x"));
    assert_null(tt__realloc(a, 100)); /* a stays valid */
    tt__alloc_set_fail_after(0);
    a = tt__realloc(a, 100);
    assert_non_null(a);
    assert_int_equal(tt__alloc_live(), live + 2);
    tt__free(a);
    tt__free(b);
    tt__free(NULL);
    assert_int_equal(tt__alloc_live(), live);
    char *s = tt__strndup("hello world", 5);
    assert_string_equal(s, "hello");
    tt__free(s);
}

static void test_random_pool_draws_from_hook_in_order(void **state) {
    (void)state;
    tt_test_hooks_install(10);
    uint8_t a[4], b[4], big[TT__RANDOM_POOL + 36];
    tt__random_bytes(a, 4);
    tt__random_bytes(b, 4);
    assert_int_equal(a[0], 10);
    assert_int_equal(a[3], 13);
    assert_int_equal(b[0], 14);
    tt__random_bytes(big, sizeof big); /* larger than the pool: straight from the hook */
    assert_int_equal(big[0], (uint8_t)(10 + TT__RANDOM_POOL));
    tt__random_bytes(b, 4); /* the pool goes on where it was */
    assert_int_equal(b[0], 18);
    tt_test_clock_set(5000);
    assert_int_equal(tt__now_ms(), 5000);
}

static void test_ascii_helpers(void **state) {
    (void)state;
    assert_true(tt__ascii_ieq("WebSocket", "websocket", 9));
    assert_false(tt__ascii_ieq("WebSocket", "websockeT!", 10));
    assert_true(tt__is_tchar('a'));
    assert_true(tt__is_tchar('~'));
    assert_false(tt__is_tchar(' '));
    assert_false(tt__is_tchar(','));
    assert_false(tt__is_tchar(0));
    assert_false(tt__is_tchar(0x80));
}

static void test_strerror_table(void **state) {
    (void)state;
    assert_string_equal(tt_strerror(0), "success");
    assert_string_equal(tt_strerror(TT_ENOMEM), "out of memory");
    assert_string_equal(tt_strerror(TT_EINSECURE), "wss:// is required outside development mode");
    assert_string_equal(tt_strerror(12345), "unknown error");
    /* Every code of the table, whatever its value (the table need not be dense). */
#define CHECK_CODE(name, value, text) assert_string_equal(tt_strerror(value), text);
    TT_ERRNO_MAP(CHECK_CODE)
#undef CHECK_CODE
    assert_string_equal(tt_strerror(TT__ERRNO_LAST - 1), "unknown error");
    /* TT__ERRNO_LAST is derived from the table: the lowest public code, and no engine-only code below it. */
    int lowest = 0;
#define TT__LOWEST(name, value, text) \
    if ((value) < lowest) lowest = (value);
    TT_ERRNO_MAP(TT__LOWEST)
    assert_int_equal(lowest, TT__ERRNO_LAST);
    TT__ERRNO_INTERNAL_MAP(TT__LOWEST)
#undef TT__LOWEST
    assert_int_equal(lowest, TT__ERRNO_LAST);
    /* Engine-only codes keep their values, and tt_strerror() still knows them. */
    assert_string_equal(tt_strerror(TT_EAGAIN), "more input is needed");
    assert_string_equal(tt_strerror(TT_EFRAME), "protocol violation in a frame");
    assert_string_equal(tt_version(), "0.1.0");
}

/* Every errMsg row is unique, follows "<api>:ok" / "<api>:fail <reason>" (or names onSocketError), and the
 * README's table lists exactly these rows. */
static void test_errmsg_table_shape_and_readme(void **state) {
    (void)state;
    static tt__errmsg_text texts[TT__MSG_COUNT + 1];
    for (int i = 0; i < TT__MSG_COUNT; i++) {
        const char *m = tt__errmsg((tt__msg)i, &texts[i]);
        int ok = strncmp(m, "connectSocket:", 14) == 0 || strncmp(m, "sendSocketMessage:", 18) == 0 ||
                 strncmp(m, "closeSocket:", 12) == 0 || strncmp(m, "onSocketError: ", 15) == 0;
        if (!ok) fail_msg("row %d has no api prefix: %s", i, m);
        if (strncmp(m, "onSocketError", 13) != 0) {
            const char *colon = strchr(m, ':');
            if (strcmp(colon, ":ok") != 0 && strncmp(colon, ":fail ", 6) != 0) fail_msg("row %d: %s", i, m);
        }
        for (int j = 0; j < i; j++) assert_string_not_equal(m, texts[j].text);
    }
    assert_string_equal(tt__errmsg((tt__msg)TT__MSG_COUNT, &texts[TT__MSG_COUNT]), "");

    /* The tests run with the project's top folder as working directory. */
    FILE *f = fopen("README.md", "r");
    if (f == NULL) {
        fail_msg("README.md not found from %s", "the test's working directory");
        return;
    }
    static char readme[256 * 1024];
    size_t n = fread(readme, 1, sizeof readme - 1, f);
    readme[n] = '\0';
    fclose(f);
    /* Both ways, within the "## errMsg table" section: every row of the README's table is a row of the
     * code's table (a stale README row fails), and every row of the code's table is in the README once. */
    char *section = strstr(readme, "\n## errMsg table\n");
    if (section == NULL) {
        fail_msg("README.md has no \"## errMsg table\" section");
        return;
    }
    section++;
    char *next = strstr(section, "\n## ");
    if (next) next[1] = '\0';
    int seen[TT__MSG_COUNT] = {0};
    int rows_in_readme = 0;
    for (const char *line = section; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, "| `", 3) != 0) continue;
        const char *end = strchr(line + 3, '`');
        if (end == NULL) fail_msg("README.md: unterminated errMsg cell");
        size_t len = (size_t)(end - (line + 3));
        int found = -1;
        for (int i = 0; i < TT__MSG_COUNT; i++)
            if (strlen(texts[i].text) == len && strncmp(line + 3, texts[i].text, len) == 0) found = i;
        if (found < 0) fail_msg("README.md's errMsg table has a row the code does not: %.*s", (int)len, line + 3);
        if (seen[found]++) fail_msg("README.md lists the errMsg %s twice", texts[found].text);
        rows_in_readme++;
    }
    for (int i = 0; i < TT__MSG_COUNT; i++)
        if (!seen[i]) fail_msg("README.md lacks the errMsg row `%s`", texts[i].text);
    assert_int_equal(rows_in_readme, TT__MSG_COUNT);
}

int main(void) {
    /* clang-format off */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_rfc4648_vectors),   cmocka_unit_test(test_allocator_failure_injection),
        cmocka_unit_test(test_random_pool_draws_from_hook_in_order), cmocka_unit_test(test_ascii_helpers),
        cmocka_unit_test(test_strerror_table),           cmocka_unit_test(test_errmsg_table_shape_and_readme),
    };
    /* clang-format on */
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
