/* Unit tests for src/url.c: WebSocket URL parsing and the Host header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tt_internal.h"
#include "url.h"

typedef struct good_case {
    const char *url;
    int secure;
    const char *host;
    int ipv6;
    uint16_t port;
    int port_explicit;
    const char *path;
    const char *host_header;
} good_case;

static const good_case good_cases[] = {
    {"ws://example.com", 0, "example.com", 0, 80, 0, "/", "example.com"},
    {"wss://example.com/", 1, "example.com", 0, 443, 0, "/", "example.com"},
    {"WSS://Example.COM/chat?room=1&x=%20", 1, "Example.COM", 0, 443, 0, "/chat?room=1&x=%20", "Example.COM"},
    {"http://h:8080/a/b", 0, "h", 0, 8080, 1, "/a/b", "h:8080"},
    {"HTTPS://h:443/", 1, "h", 0, 443, 1, "/", "h"},
    {"ws://h:443", 0, "h", 0, 443, 1, "/", "h:443"},
    {"wss://h:80", 1, "h", 0, 80, 1, "/", "h:80"},
    {"ws://h:65535/", 0, "h", 0, 65535, 1, "/", "h:65535"},
    {"ws://h:1", 0, "h", 0, 1, 1, "/", "h:1"},
    {"ws://h:/x", 0, "h", 0, 80, 0, "/x", "h"},
    {"ws://[::1]:9000/ws", 0, "::1", 1, 9000, 1, "/ws", "[::1]:9000"},
    {"wss://[2001:db8::7]/", 1, "2001:db8::7", 1, 443, 0, "/", "[2001:db8::7]"},
    {"ws://[::ffff:192.0.2.1]", 0, "::ffff:192.0.2.1", 1, 80, 0, "/", "[::ffff:192.0.2.1]"},
    {"ws://user:pa:ss@host.test:81/p", 0, "host.test", 0, 81, 1, "/p", "host.test:81"},
    {"ws://a@b@host/", 0, "host", 0, 80, 0, "/", "host"},
    {"ws://127.0.0.1:3000", 0, "127.0.0.1", 0, 3000, 1, "/", "127.0.0.1:3000"},
    {"ws://h?q=1", 0, "h", 0, 80, 0, "?q=1", "h"},
    {"ws://h:00081/", 0, "h", 0, 81, 1, "/", "h:81"},
};

typedef struct bad_case {
    const char *url;
    int expect;
} bad_case;

static const bad_case bad_cases[] = {
    {"", TT_EURL},
    {"example.com", TT_EURL},
    {"ftp://example.com/", TT_ESCHEME},
    {"file:///etc/passwd", TT_ESCHEME},
    {"wsx://h/", TT_ESCHEME},
    {"w://h/", TT_ESCHEME},
    {"ws:h/", TT_EURL},
    {"ws:/h/", TT_EURL},
    {"ws://", TT_EURL},
    {"ws:///path", TT_EURL},
    {"ws://user@/", TT_EURL},
    {"ws://:80/", TT_EURL},
    {"ws://h/#frag", TT_EURL},
    {"ws://h#", TT_EURL},
    {"ws://h/a b", TT_EURL},
    {"ws://h/\x01", TT_EURL},
    {"ws://h/\x7f", TT_EURL},
    {"ws://h\t/", TT_EURL},
    {" ws://h/", TT_ESCHEME},
    {"ws://h:0/", TT_EURL},
    {"ws://h:65536/", TT_EURL},
    {"ws://h:99999999999/", TT_EURL},
    {"ws://h:8a/", TT_EURL},
    {"ws://h:-1/", TT_EURL},
    {"ws://h:+80/", TT_EURL},
    {"ws://h:80:81/", TT_EURL},
    {"ws://[::1/", TT_EURL},
    {"ws://[]/", TT_EURL},
    {"ws://[::1]x/", TT_EURL},
    {"ws://[1.2.3.4]/", TT_EURL},
    {"ws://[::g]/", TT_EURL},
    {"ws://ho<st/", TT_EURL},
    {"ws://ho%41st/", TT_EURL},
    {"ws://ho\\st/", TT_EURL},
    {"ws://h\xc3\xa9/", TT_EURL},
    {"ws://h[1]/", TT_EURL},
};

static void test_good_urls(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof good_cases / sizeof good_cases[0]; i++) {
        const good_case *g = &good_cases[i];
        tt__url u;
        assert_int_equal(tt__url_parse(g->url, strlen(g->url), &u), 0);
        assert_int_equal(u.secure, g->secure);
        assert_int_equal(u.host_len, strlen(g->host));
        assert_memory_equal(u.host, g->host, u.host_len);
        assert_int_equal(u.host_is_ipv6, g->ipv6);
        assert_int_equal(u.port, g->port);
        assert_int_equal(u.port_explicit, g->port_explicit);
        assert_int_equal(u.path_len, strlen(g->path));
        assert_memory_equal(u.path, g->path, u.path_len);
        char hh[64];
        int n = tt__url_host_header(&u, hh, sizeof hh);
        assert_int_equal(n, (int)strlen(g->host_header));
        assert_string_equal(hh, g->host_header);
    }
}

static void test_bad_urls(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        tt__url u;
        memset(&u, 0x5A, sizeof u);
        int rc = tt__url_parse(bad_cases[i].url, strlen(bad_cases[i].url), &u);
        if (rc != bad_cases[i].expect) fail_msg("\"%s\": got %d, want %d", bad_cases[i].url, rc, bad_cases[i].expect);
        assert_int_equal(u.port, 0x5A5A); /* nothing written on failure */
    }
}

/* The parser reads only s[0..len): a prefix of a longer string is parsed as itself. */
static void test_zero_copy_and_length_bound(void **state) {
    (void)state;
    const char *s = "wss://host.test/path#not-seen";
    tt__url u;
    assert_int_equal(tt__url_parse(s, 15, &u), 0); /* "wss://host.test" */
    assert_ptr_equal(u.host, s + 6);
    assert_int_equal(u.host_len, 9);
    assert_int_equal(u.path_len, 1);
    assert_int_equal(tt__url_parse(s, 20, &u), 0); /* "wss://host.test/path" */
    assert_ptr_equal(u.path, s + 15);
    assert_int_equal(u.path_len, 5);
    assert_int_equal(tt__url_parse(s, strlen(s), &u), TT_EURL);
    assert_int_equal(tt__url_parse("ws://a\0b/", 9, &u), TT_EURL); /* embedded NUL */
    assert_int_equal(tt__url_parse(NULL, 0, &u), TT_EURL);
}

static void test_host_header_capacity(void **state) {
    (void)state;
    tt__url u;
    assert_int_equal(tt__url_parse("ws://[::1]:8080/", 16, &u), 0);
    char buf[16];
    assert_int_equal(tt__url_host_header(&u, buf, 10), TT_EINVAL); /* "[::1]:8080" is 10 bytes + NUL */
    assert_int_equal(tt__url_host_header(&u, buf, 11), 10);
    assert_string_equal(buf, "[::1]:8080");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_urls),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_zero_copy_and_length_bound),
        cmocka_unit_test(test_host_header_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
