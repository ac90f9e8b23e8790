/* Unit tests of src/validate.c: domains, headers, subprotocols, close code and reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tt_internal.h"
#include "validate.h"

static void test_domain_match(void **state) {
    (void)state;
    struct {
        const char *host;
        int port;
        const char *domain;
        int match;
    } cases[] = {
        {"example.com", 443, "example.com", 1},
        {"EXAMPLE.COM", 443, "example.com", 1},
        {"example.com", 443, "Example.Com.", 1},
        {"example.com.", 443, "example.com", 1},
        {"example.com", 443, "wss://example.com", 1},
        {"example.com", 443, "wss://example.com/", 1},
        {"example.com", 8443, "example.com:8443", 1},
        {"example.com", 443, "example.com:8443", 0},
        {"example.com", 443, "example.com:", 0},
        {"example.com", 443, "example.com:x", 0},
        {"example.co", 443, "example.com", 0},
        {"a.example.com", 443, "example.com", 0},
        {"example.com", 443, "", 0},
        {"::1", 9000, "[::1]:9000", 1},
        {"::1", 9000, "[::1]", 1},
        {"::1", 9001, "[::1]:9000", 0},
        {"::1", 9000, "[::1", 0},
        /* IPv6 entries match in canonical form, whatever their spelling. */
        {"::1", 9000, "[0:0:0:0:0:0:0:1]:9000", 1},
        {"2001:db8::7", 443, "wss://[2001:DB8:0::7]", 1},
        {"::ffff:c000:201", 443, "[::ffff:192.0.2.1]", 1},
        {"::2", 443, "[::1]", 0},
        {"::1", 443, "[::1::]", 0},
        {"::1", 443, "[]", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = tt__domain_match(cases[i].host, strlen(cases[i].host), cases[i].port, cases[i].domain);
        if (got != cases[i].match) fail_msg("%s:%d vs %s: got %d", cases[i].host, cases[i].port, cases[i].domain, got);
    }
    assert_int_equal(tt__domain_match("a", 1, 80, NULL), 0);
}

static void test_validate_url(void **state) {
    (void)state;
    const char *domains[] = {"game.example"};
    tt__url u;
    assert_int_equal(tt__validate_url("wss://game.example/x", domains, 1, 0, &u), 0);
    assert_int_equal(u.secure, 1);
    assert_int_equal(u.port, 443);
    assert_int_equal(tt__validate_url("ws://game.example/x", domains, 1, 0, &u), TT_EINSECURE);
    assert_int_equal(tt__validate_url("wss://other.example/x", domains, 1, 0, &u), TT_EDOMAIN);
    assert_int_equal(tt__validate_url("wss://game.example/x", NULL, 0, 0, &u), TT_EDOMAIN);
    assert_int_equal(tt__validate_url("ws://anything/x", NULL, 0, 1, &u), 0);
    assert_int_equal(tt__validate_url("gopher://game.example/", domains, 1, 0, &u), TT_ESCHEME);
    assert_int_equal(tt__validate_url("https://game.example/x", domains, 1, 0, &u), TT_ESCHEME);
    assert_int_equal(tt__validate_url("http://game.example/x", domains, 1, 1, &u), TT_ESCHEME);
    /* The host a browser would connect to is evil.example: refused, not matched as game.example. */
    assert_int_equal(tt__validate_url("wss://evil.example\\@game.example/x", domains, 1, 0, &u), TT_EURL);
    assert_int_equal(tt__validate_url("wss://GAME.example./x", domains, 1, 0, &u), 0);
    assert_int_equal(tt__validate_url("", domains, 1, 1, &u), TT_EURL);
    assert_int_equal(tt__validate_url(NULL, domains, 1, 1, &u), TT_EURL);
}

static void test_headers(void **state) {
    (void)state;
    /* clang-format off */
    const char *forbidden[] = {"Referer", "referer", "Accept-Charset", "Accept-Encoding",
                               "Access-Control-Request-Headers", "Access-Control-Request-Method", "Connection",
                               "Content-Length", "Cookie", "Cookie2", "Date", "DNT", "Expect", "Host",
                               "Keep-Alive", "Origin", "Set-Cookie", "TE", "Trailer", "Transfer-Encoding",
                               "Upgrade", "Via", "Sec-WebSocket-Protocol", "sec-anything", "Proxy-Connection",
                               "proxy-x"};
    /* clang-format on */
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
        tt_header h = {forbidden[i], "v"};
        if (tt__validate_headers(&h, 1) != TT_EFORBIDDENHEADER) fail_msg("%s should be forbidden", forbidden[i]);
    }
    const char *allowed[] = {"X-Token", "Authorization", "User-Agent", "Accept",
                             "Sec",     "Proxy",         "Hostname",   "a!#$%&'*+-.^_`|~z"};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        tt_header h = {allowed[i], "value with spaces\tand tab \xe4\xb8\xad"};
        if (tt__validate_headers(&h, 1) != 0) fail_msg("%s should be allowed", allowed[i]);
    }
    /* clang-format off */
    struct { const char *name, *value; } bad[] = {
        {"", "v"}, {"a b", "v"}, {"a:b", "v"}, {"a\"b", "v"}, {"(a)", "v"}, {"a\x7f", "v"}, {"\xc3\xa4", "v"},
        {"X", "a\rb"}, {"X", "a\nb"}, {"X", "a\x01"}, {"X", "\x7f"}, {NULL, "v"}, {"X", NULL},
    };
    /* clang-format on */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tt_header h = {bad[i].name, bad[i].value};
        if (tt__validate_headers(&h, 1) != TT_EHEADER) fail_msg("bad header %zu accepted", i);
    }
    assert_int_equal(tt__validate_headers(NULL, 0), 0);
    assert_int_equal(tt__validate_headers(NULL, 1), TT_EHEADER);
    /* The first problem is reported, in order. */
    tt_header two[] = {{"X-Ok", "1"}, {"Cookie", "c"}};
    assert_int_equal(tt__validate_headers(two, 2), TT_EFORBIDDENHEADER);
}

static void test_protocols(void **state) {
    (void)state;
    const char *ok[] = {"chat", "v1.json", "x-A_b~"};
    assert_int_equal(tt__validate_protocols(ok, 3), 0);
    assert_int_equal(tt__validate_protocols(NULL, 0), 0);
    assert_int_equal(tt__validate_protocols(NULL, 2), TT_EPROTOCOL);
    const char *bad[][1] = {{""}, {"a b"}, {"a,b"}, {"a;b"}, {"\xc3\xa4"}, {"a/b"}, {"{x}"}, {NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (tt__validate_protocols(bad[i], 1) != TT_EPROTOCOL) fail_msg("bad protocol %zu accepted", i);
    const char *dup[] = {"a", "b", "a"};
    assert_int_equal(tt__validate_protocols(dup, 3), TT_EDUPPROTOCOL);
    /* Compared exactly, as browsers do. */
    const char *cased[] = {"Chat", "chat"};
    assert_int_equal(tt__validate_protocols(cased, 2), 0);
}

static void test_close(void **state) {
    (void)state;
    int code;
    size_t len;
    assert_int_equal(tt__validate_close(0, NULL, &code, &len), 0);
    assert_int_equal(code, 1000);
    assert_int_equal(len, 0);
    int good[] = {1000, 1001, 3000, 3999, 4000, 4999};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(tt__validate_close(good[i], "ok", &code, &len), 0);
        assert_int_equal(code, good[i]);
        assert_int_equal(len, 2);
    }
    int bad[] = {-1, 1, 999, 1002, 1003, 1004, 1005, 1006, 1007, 1011, 1015, 1016, 2000, 2999, 5000, 65535};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (tt__validate_close(bad[i], NULL, &code, &len) != TT_ECLOSECODE) fail_msg("code %d accepted", bad[i]);
    char reason[200];
    memset(reason, 'a', sizeof reason);
    reason[123] = '\0';
    assert_int_equal(tt__validate_close(1000, reason, &code, &len), 0);
    assert_int_equal(len, 123);
    reason[123] = 'a';
    reason[124] = '\0';
    assert_int_equal(tt__validate_close(1000, reason, &code, &len), TT_EREASON);
    /* 41 three-byte characters = 123 bytes; one more is too long. */
    char cjk[200] = "";
    for (int i = 0; i < 41; i++) strcat(cjk, "\xe4\xb8\xad");
    assert_int_equal(tt__validate_close(4000, cjk, &code, &len), 0);
    strcat(cjk, "\xe4\xb8\xad");
    assert_int_equal(tt__validate_close(4000, cjk, &code, &len), TT_EREASON);
    assert_int_equal(tt__validate_close(1000, "\xc0\xaf", &code, &len), TT_EUTF8);
    assert_int_equal(tt__validate_close(1000, "\xed\xa0\x80", &code, &len), TT_EUTF8);
    assert_int_equal(tt__validate_close(1000, "ab\xe4\xb8", &code, &len), TT_EUTF8);
    /* The code is checked first. */
    assert_int_equal(tt__validate_close(999, "\xff", &code, &len), TT_ECLOSECODE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain_match), cmocka_unit_test(test_validate_url), cmocka_unit_test(test_headers),
        cmocka_unit_test(test_protocols),    cmocka_unit_test(test_close),
    };
    return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
