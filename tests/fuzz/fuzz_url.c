/*
 * Fuzz target: the URL parser (src/url.c) and the domain rules built on it (src/validate.c).
 *
 * Input: the URL bytes. Properties:
 * - tt__url_parse never reads outside the input and, on success, every pointer lies inside it (or is the
 *   static "/"), the host is non-empty and holds only bytes a host may hold, the port is set;
 * - tt__url_host_header refuses a buffer one byte too small and fills an exact one; the canonical URL
 *   (tt__url_href) is printable ASCII and parses back to itself, with the same host and port;
 * - tt__validate_url agrees with tt__url_parse plus the documented domain rules, for a fixed domain list;
 * - a host always matches a domain entry that spells it (any case, with "wss://", with its port).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "tt_internal.h"
#include "url.h"
#include "validate.h"

static const char *const domains[] = {
    "example.com", "wss://a.example:8443", "[::1]:9000", "B.Example.", "host/path", "x:", "[::2]",
};
#define DOMAIN_COUNT (sizeof domains / sizeof domains[0])

static int inside(const char *p, size_t n, const char *base, size_t len) { return p >= base && p + n <= base + len; }

/* The canonical host as a fresh NUL-terminated string. */
static char *canonical_host(const tt__url *u, size_t *len) {
    *len = tt__url_host(u, NULL, 0);
    char *h = malloc(*len + 1);
    FUZZ_CHECK(tt__url_host(u, h, *len) == *len, "host length changed between calls");
    h[*len] = '\0';
    return h;
}

static void check_parsed(const char *s, size_t len, const tt__url *u) {
    FUZZ_CHECK(u->host_len > 0 && inside(u->host, u->host_len, s, len), "host outside the input");
    FUZZ_CHECK(u->path_len > 0, "empty path");
    FUZZ_CHECK(inside(u->path, u->path_len, s, len) || (u->path_len == 1 && u->path[0] == '/'),
               "path outside the input");
    FUZZ_CHECK(u->path[0] == '/' || u->path[0] == '?', "path starts with 0x%02x", (unsigned char)u->path[0]);
    FUZZ_CHECK(u->port != 0, "port 0");
    if (!u->port_explicit) FUZZ_CHECK(u->port == (u->secure ? 443 : 80), "default port %u", u->port);
    for (size_t i = 0; i < u->host_len; i++) {
        unsigned char c = (unsigned char)u->host[i];
        const char *allowed = u->host_is_ipv6 ? "0123456789abcdefABCDEF:." : "-_.";
        int alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        FUZZ_CHECK((alnum && !u->host_is_ipv6) || (c && strchr(allowed, c)), "host byte 0x%02x", c);
    }
    for (size_t i = 0; i < u->path_len; i++) {
        unsigned char c = (unsigned char)u->path[i];
        FUZZ_CHECK(c > 0x20 && c != 0x7F && c != '#' && c != '\\', "path byte 0x%02x", c);
    }
    /* What a browser is given and what goes on the request line: printable ASCII only. */
    size_t n = tt__url_href(u, NULL, 0);
    char *href = malloc(n + 1);
    FUZZ_CHECK(tt__url_href(u, href, n) == n, "href length changed between calls");
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(href[i] > 0x20 && href[i] < 0x7F && href[i] != '\\', "href byte 0x%02x", (unsigned char)href[i]);
    free(href);
}

/* Host header: exact sizing; and the canonical URL parses back to itself (same host, port, target). */
static void check_host_header(const tt__url *u) {
    char small[1];
    size_t host_len;
    char *host = canonical_host(u, &host_len);
    size_t need = host_len + (u->host_is_ipv6 ? 2 : 0) + 7;
    char *buf = malloc(need);
    int n = tt__url_host_header(u, buf, need);
    FUZZ_CHECK(n > 0 && (size_t)n < need && strlen(buf) == (size_t)n, "host header length %d", n);
    char *exact = malloc((size_t)n + 1);
    FUZZ_CHECK(tt__url_host_header(u, exact, (size_t)n + 1) == n && memcmp(exact, buf, (size_t)n + 1) == 0,
               "host header with an exact buffer differs");
    FUZZ_CHECK(tt__url_host_header(u, exact, (size_t)n) == TT_EINVAL, "host header fits one byte short");
    FUZZ_CHECK(tt__url_host_header(u, small, 0) == TT_EINVAL, "host header fits in 0 bytes");
    FUZZ_CHECK(tt__url_authority(u, exact, (size_t)n) == (size_t)n && memcmp(exact, buf, (size_t)n) == 0,
               "authority differs from the Host header");
    free(exact);

    size_t total = tt__url_href(u, NULL, 0);
    char *re = malloc(total), *again = malloc(total);
    tt__url_href(u, re, total);
    tt__url v;
    int rc = tt__url_parse(re, total, &v);
    FUZZ_CHECK(rc == 0, "reparse of \"%.*s\" failed with %d", (int)total, re, rc);
    FUZZ_CHECK(v.secure == u->secure && v.port == u->port && v.host_is_ipv6 == u->host_is_ipv6,
               "reparse changed secure/port/ipv6");
    size_t host2_len;
    char *host2 = canonical_host(&v, &host2_len);
    FUZZ_CHECK(host2_len == host_len && memcmp(host2, host, host_len) == 0, "reparse changed the host");
    FUZZ_CHECK(tt__url_href(&v, again, total) == total && memcmp(again, re, total) == 0,
               "the canonical URL is not its own canonical form");
    free(host2);
    free(again);
    free(re);
    free(buf);
    free(host);
}

/* A domain entry that spells the host must match it, in any case and with the accepted decorations. */
static void check_domain_self_match(const tt__url *u) {
    size_t n;
    char *h = canonical_host(u, &n);
    char *d = malloc(n + 32);
    char *upper = malloc(n + 32);
    const char *fmt_plain = u->host_is_ipv6 ? "[%.*s]" : "%.*s";
    snprintf(d, n + 32, fmt_plain, (int)n, h);
    for (size_t i = 0; d[i]; i++) upper[i] = (d[i] >= 'a' && d[i] <= 'z') ? (char)(d[i] - 32) : d[i];
    upper[strlen(d)] = '\0';
    FUZZ_CHECK(tt__domain_match(h, n, u->port, d), "host does not match domain \"%s\"", d);
    FUZZ_CHECK(tt__domain_match(h, n, u->port, upper), "host does not match domain \"%s\"", upper);
    snprintf(d, n + 32, u->host_is_ipv6 ? "wss://[%.*s]:%u" : "wss://%.*s:%u", (int)n, h, u->port);
    FUZZ_CHECK(tt__domain_match(h, n, u->port, d), "host does not match domain \"%s\"", d);
    snprintf(d, n + 32, u->host_is_ipv6 ? "[%.*s]:%u" : "%.*s:%u", (int)n, h, u->port == 1 ? 2u : u->port - 1u);
    FUZZ_CHECK(!tt__domain_match(h, n, u->port, d), "host matches \"%s\" with another port", d);
    /* The host as written (any IPv6 spelling, any case) names the same entry. */
    snprintf(d, n + 32, u->host_is_ipv6 ? "[%.*s]" : "%.*s", (int)u->host_len, u->host);
    if (u->host_len + 3 < n + 32) FUZZ_CHECK(tt__domain_match(h, n, u->port, d), "written host \"%s\" differs", d);
    free(d);
    free(upper);
    free(h);
}

static void check_validate(const char *z, size_t zlen) {
    tt__url a, b;
    int parsed = zlen ? tt__url_parse(z, zlen, &a) : TT_EURL;
    int skip = tt__validate_url(z, domains, DOMAIN_COUNT, 1, &b);
    FUZZ_CHECK(skip == parsed, "validate(skip) %d vs parse %d", skip, parsed);
    int rc = tt__validate_url(z, domains, DOMAIN_COUNT, 0, &b);
    int want = parsed;
    if (want == 0 && !a.secure) want = TT_EINSECURE;
    if (want == 0) {
        want = TT_EDOMAIN;
        size_t n;
        char *h = canonical_host(&a, &n);
        for (size_t i = 0; i < DOMAIN_COUNT; i++)
            if (tt__domain_match(h, n, a.port, domains[i])) want = 0;
        free(h);
    }
    FUZZ_CHECK(rc == want, "validate %d, expected %d", rc, want);
    FUZZ_CHECK(tt__validate_url(z, NULL, 0, 0, &b) == (want == TT_EDOMAIN || want == 0 ? TT_EDOMAIN : want),
               "validate with no domains");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* A private copy, exactly sized, so ASan sees any read past the end. */
    char *s = malloc(size ? size : 1);
    if (size) memcpy(s, data, size);
    tt__url u;
    int rc = tt__url_parse(s, size, &u);
    FUZZ_CHECK(rc == 0 || rc == TT_EURL || rc == TT_ESCHEME, "parse returned %d", rc);
    if (rc == 0) {
        check_parsed(s, size, &u);
        check_host_header(&u);
        check_domain_self_match(&u);
    }
    /* The NUL-terminated API sees the input up to its first NUL. */
    char *z = malloc(size + 1);
    if (size) memcpy(z, data, size);
    z[size] = '\0';
    check_validate(z, strlen(z));
    /* And the input split in two as host + domain entry: tt__domain_match must never misbehave. */
    if (size > 1) {
        size_t cut = data[0] % size;
        tt__domain_match(s + cut, size - cut, data[size - 1] * 257, z + 1);
    }
    free(z);
    free(s);
    return 0;
}
