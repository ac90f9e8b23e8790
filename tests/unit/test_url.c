/* Unit tests for src/url.c: WebSocket URL parsing and the Host header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tt_internal.h"
#include "url.h"

/* Every accepted URL with what a WHATWG parser (Node's URL, Chromium's) makes of it: URL.href. */
typedef struct good_case {
    const char *url;
    int secure;
    const char *host; /* canonical */
    int ipv6;
    uint16_t port;
    int port_explicit;
    const char *href;
    const char *host_header;
} good_case;

static const good_case good_cases[] = {
    {"ws://example.com", 0, "example.com", 0, 80, 0, "ws://example.com/", "example.com"},
    {"wss://example.com/", 1, "example.com", 0, 443, 0, "wss://example.com/", "example.com"},
    {"WSS://Example.COM/chat?room=1&x=%20", 1, "example.com", 0, 443, 0, "wss://example.com/chat?room=1&x=%20",
     "example.com"},
    {"ws://h:8080/a/b", 0, "h", 0, 8080, 1, "ws://h:8080/a/b", "h:8080"},
    {"wss://h:443/", 1, "h", 0, 443, 1, "wss://h/", "h"},
    {"ws://h:443", 0, "h", 0, 443, 1, "ws://h:443/", "h:443"},
    {"wss://h:80", 1, "h", 0, 80, 1, "wss://h:80/", "h:80"},
    {"ws://h:65535/", 0, "h", 0, 65535, 1, "ws://h:65535/", "h:65535"},
    {"ws://h:1", 0, "h", 0, 1, 1, "ws://h:1/", "h:1"},
    {"ws://h:/x", 0, "h", 0, 80, 0, "ws://h/x", "h"},
    {"ws://h:00081/", 0, "h", 0, 81, 1, "ws://h:81/", "h:81"},
    {"ws://127.0.0.1:3000", 0, "127.0.0.1", 0, 3000, 1, "ws://127.0.0.1:3000/", "127.0.0.1:3000"},
    {"ws://0.0.0.0/", 0, "0.0.0.0", 0, 80, 0, "ws://0.0.0.0/", "0.0.0.0"},
    {"ws://255.255.255.255/", 0, "255.255.255.255", 0, 80, 0, "ws://255.255.255.255/", "255.255.255.255"},
    {"ws://h?q=1", 0, "h", 0, 80, 0, "ws://h/?q=1", "h"},
    {"ws://h/?", 0, "h", 0, 80, 0, "ws://h/?", "h"},
    {"ws://h?", 0, "h", 0, 80, 0, "ws://h/?", "h"},
    /* A trailing dot stays: it is part of the host a browser connects to. */
    {"wss://good.example./", 1, "good.example.", 0, 443, 0, "wss://good.example./", "good.example."},
    {"wss://Good.Example.:8443/", 1, "good.example.", 0, 8443, 1, "wss://good.example.:8443/", "good.example.:8443"},
    /* Names: '-' and '_' anywhere, digits anywhere but at the start of the last label. */
    {"ws://a-b_c.1x.example/", 0, "a-b_c.1x.example", 0, 80, 0, "ws://a-b_c.1x.example/", "a-b_c.1x.example"},
    {"ws://163.com/", 0, "163.com", 0, 80, 0, "ws://163.com/", "163.com"},
    /* IPv6: written back compressed, lower case, the IPv4 tail in hex (RFC 5952, WHATWG). */
    {"ws://[::1]:9000/ws", 0, "::1", 1, 9000, 1, "ws://[::1]:9000/ws", "[::1]:9000"},
    {"wss://[2001:DB8::7]/", 1, "2001:db8::7", 1, 443, 0, "wss://[2001:db8::7]/", "[2001:db8::7]"},
    {"ws://[::ffff:192.0.2.1]", 0, "::ffff:c000:201", 1, 80, 0, "ws://[::ffff:c000:201]/", "[::ffff:c000:201]"},
    {"ws://[0:0:0:0:0:0:0:1]/", 0, "::1", 1, 80, 0, "ws://[::1]/", "[::1]"},
    {"ws://[0000:0000:0000:0000:0000:0000:0000:0000]/", 0, "::", 1, 80, 0, "ws://[::]/", "[::]"},
    {"ws://[1:0:0:2:0:0:0:3]/", 0, "1:0:0:2::3", 1, 80, 0, "ws://[1:0:0:2::3]/", "[1:0:0:2::3]"},
    {"ws://[1:0:0:0:2:0:0:3]/", 0, "1::2:0:0:3", 1, 80, 0, "ws://[1::2:0:0:3]/", "[1::2:0:0:3]"},
    {"ws://[1:0:1:0:1:0:1:0]/", 0, "1:0:1:0:1:0:1:0", 1, 80, 0, "ws://[1:0:1:0:1:0:1:0]/", "[1:0:1:0:1:0:1:0]"},
    {"ws://[1::]/", 0, "1::", 1, 80, 0, "ws://[1::]/", "[1::]"},
    {"ws://[::1.2.3.4]/", 0, "::102:304", 1, 80, 0, "ws://[::102:304]/", "[::102:304]"},
    {"ws://[0001:02:3::]/", 0, "1:2:3::", 1, 80, 0, "ws://[1:2:3::]/", "[1:2:3::]"},
    /* Path and query: bytes a browser encodes are encoded the same way; '%' escapes are kept as they are. */
    {"ws://h/\xC3\xA9?\xC3\xA9", 0, "h", 0, 80, 0, "ws://h/%C3%A9?%C3%A9", "h"},
    {"ws://h/a\"<>`{}b?c\"<>'d", 0, "h", 0, 80, 0, "ws://h/a%22%3C%3E%60%7B%7Db?c%22%3C%3E%27d", "h"},
    {"ws://h/?`{}^|", 0, "h", 0, 80, 0, "ws://h/?`{}^|", "h"},
    {"ws://h/%41%2e%zz%", 0, "h", 0, 80, 0, "ws://h/%41%2e%zz%", "h"},
    {"ws://h/a.b/..c/.../%2e%2e%2e", 0, "h", 0, 80, 0, "ws://h/a.b/..c/.../%2e%2e%2e", "h"},
    {"ws://h/?/./../", 0, "h", 0, 80, 0, "ws://h/?/./../", "h"},
    {"ws://h//x/@:!$&()*+,;=~[]", 0, "h", 0, 80, 0, "ws://h//x/@:!$&()*+,;=~[]", "h"},
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
    /* tt: wss only (ws in development mode); a browser would map these. */
    {"http://h/", TT_ESCHEME},
    {"HTTPS://h/", TT_ESCHEME},
    {"ws:h/", TT_EURL},
    {"ws:/h/", TT_EURL},
    {"ws:///h/", TT_EURL},
    {"ws:\\\\h/", TT_EURL},
    {"ws://", TT_EURL},
    {"ws:///path", TT_EURL},
    {"ws://:80/", TT_EURL},
    {"ws://h/#frag", TT_EURL},
    {"ws://h#", TT_EURL},
    /* A browser strips or removes these; the core refuses them. */
    {"ws://h/a b", TT_EURL},
    {"ws://h/\x01", TT_EURL},
    {"ws://h/\x7f", TT_EURL},
    {"ws://h\t/", TT_EURL},
    {"ws://h/a\tb", TT_EURL},
    {"ws://h/a\nb", TT_EURL},
    {"ws://h/\r", TT_EURL},
    {" ws://h/", TT_ESCHEME},
    {"ws://h/ ", TT_EURL},
    {"ws://h/\x1f", TT_EURL},
    /* Backslash: a browser reads it as '/', which moves the end of the host. */
    {"wss://evil.example\\@good.example/", TT_EURL},
    {"ws://ho\\st/", TT_EURL},
    {"ws://h/a\\b", TT_EURL},
    {"ws://h/?a\\b", TT_EURL},
    /* Userinfo: refused (Chromium would send it as Basic credentials after a 401). */
    {"ws://user@h/", TT_EURL},
    {"ws://user:pa:ss@host.test:81/p", TT_EURL},
    {"ws://a@b@host/", TT_EURL},
    {"ws://@h/", TT_EURL},
    {"ws://user@/", TT_EURL},
    /* Ports. */
    {"ws://h:0/", TT_EURL},
    {"ws://h:65536/", TT_EURL},
    {"ws://h:99999999999/", TT_EURL},
    {"ws://h:8a/", TT_EURL},
    {"ws://h:-1/", TT_EURL},
    {"ws://h:+80/", TT_EURL},
    {"ws://h:80:81/", TT_EURL},
    /* IPv6. */
    {"ws://[::1/", TT_EURL},
    {"ws://[]/", TT_EURL},
    {"ws://[::1]x/", TT_EURL},
    {"ws://[1.2.3.4]/", TT_EURL},
    {"ws://[::g]/", TT_EURL},
    {"ws://[:1]/", TT_EURL},
    {"ws://[1:]/", TT_EURL},
    {"ws://[1::2::3]/", TT_EURL},
    {"ws://[1:2:3:4:5:6:7]/", TT_EURL},
    {"ws://[1:2:3:4:5:6:7:8:9]/", TT_EURL},
    {"ws://[1:2:3:4:5:6:7::8]/", TT_EURL},
    {"ws://[12345::]/", TT_EURL},
    {"ws://[::1.2.3]/", TT_EURL},
    {"ws://[::1.2.3.4.5]/", TT_EURL},
    {"ws://[::01.2.3.4]/", TT_EURL},
    {"ws://[::256.2.3.4]/", TT_EURL},
    {"ws://[1:2:3:4:5:6:7:1.2.3.4]/", TT_EURL},
    {"ws://[::1%25eth0]/", TT_EURL},
    /* IPv4 numbers in forms a browser rewrites (127.0.0.1 each), and hosts it reads as failed numbers. */
    {"ws://0x7f.1/", TT_EURL},
    {"ws://127.1/", TT_EURL},
    {"ws://2130706433/", TT_EURL},
    {"ws://0177.0.0.1/", TT_EURL},
    {"ws://010.0.0.1/", TT_EURL},
    {"ws://127.0.0.01/", TT_EURL},
    {"ws://127.0.0.1./", TT_EURL},
    {"ws://256.0.0.1/", TT_EURL},
    {"ws://1.2.3.4.5/", TT_EURL},
    {"ws://a.123/", TT_EURL},
    {"ws://foo.0x/", TT_EURL},
    {"ws://foo.0x7f/", TT_EURL},
    {"ws://foo.1/", TT_EURL},
    {"ws://x.0xg/", TT_EURL}, /* a name to a browser, but any last label starting with a digit is refused */
    /* Names. */
    {"ws://good.example../", TT_EURL},
    {"ws://.good.example/", TT_EURL},
    {"ws://a..b/", TT_EURL},
    {"ws://./", TT_EURL},
    {"ws://xn--abc.example/", TT_EURL},
    {"ws://a.XN--fiqs8s/", TT_EURL},
    {"ws://ho<st/", TT_EURL},
    {"ws://ho%41st/", TT_EURL},
    {"ws://h%2e/", TT_EURL},
    {"ws://h\xc3\xa9/", TT_EURL},
    {"ws://h[1]/", TT_EURL},
    {"ws://a*b/", TT_EURL},
    {"ws://a!b/", TT_EURL},
    {"ws://a~b/", TT_EURL},
    /* Paths a browser rewrites: dot segments, and '^' '|' (encoded by Chromium, not by WHATWG). */
    {"ws://h/.", TT_EURL},
    {"ws://h/..", TT_EURL},
    {"ws://h/a/./b", TT_EURL},
    {"ws://h/a/../b", TT_EURL},
    {"ws://h/a/%2e/b", TT_EURL},
    {"ws://h/a/%2E%2e/b", TT_EURL},
    {"ws://h/a/.%2e", TT_EURL},
    {"ws://h/..?q", TT_EURL},
    {"ws://h/a^b", TT_EURL},
    {"ws://h/a|b", TT_EURL},
    /* Invalid UTF-8 anywhere. */
    {"ws://h/\xC3", TT_EURL},
    {"ws://h/?\xFF", TT_EURL},
    {"ws://h/\xED\xA0\x80", TT_EURL},
};

static void test_good_urls(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof good_cases / sizeof good_cases[0]; i++) {
        const good_case *g = &good_cases[i];
        tt__url u;
        int rc = tt__url_parse(g->url, strlen(g->url), &u);
        if (rc != 0) fail_msg("\"%s\": refused with %d", g->url, rc);
        assert_int_equal(u.secure, g->secure);
        char text[256];
        size_t n = tt__url_host(&u, text, sizeof text);
        assert_int_equal(n, strlen(g->host));
        assert_memory_equal(text, g->host, n);
        assert_int_equal(u.host_is_ipv6, g->ipv6);
        assert_int_equal(u.port, g->port);
        assert_int_equal(u.port_explicit, g->port_explicit);
        n = tt__url_href(&u, text, sizeof text);
        text[n < sizeof text ? n : sizeof text - 1] = '\0';
        if (strcmp(text, g->href) != 0) fail_msg("\"%s\": href %s, want %s", g->url, text, g->href);
        char hh[64];
        int k = tt__url_host_header(&u, hh, sizeof hh);
        assert_int_equal(k, (int)strlen(g->host_header));
        assert_string_equal(hh, g->host_header);
        /* The canonical URL is its own canonical form. */
        tt__url again;
        assert_int_equal(tt__url_parse(g->href, strlen(g->href), &again), 0);
        n = tt__url_href(&again, text, sizeof text);
        assert_int_equal(n, strlen(g->href));
        assert_memory_equal(text, g->href, n);
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

/* The writers count everything and write only what fits, without a NUL. */
static void test_writers_bounded(void **state) {
    (void)state;
    const char *s = "wss://Host.Test:8443/p\xC3\xA9?q";
    tt__url u;
    assert_int_equal(tt__url_parse(s, strlen(s), &u), 0);
    char buf[64];
    memset(buf, '#', sizeof buf);
    assert_int_equal(tt__url_href(&u, NULL, 0), 30);
    assert_int_equal(tt__url_href(&u, buf, 10), 30);
    assert_memory_equal(buf, "wss://host#", 11);
    assert_int_equal(tt__url_target(&u, buf, sizeof buf), 10);
    assert_memory_equal(buf, "/p%C3%A9?q", 10);
    assert_int_equal(tt__url_authority(&u, buf, sizeof buf), 14);
    assert_memory_equal(buf, "host.test:8443", 14);
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
        cmocka_unit_test(test_writers_bounded),
        cmocka_unit_test(test_host_header_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
