/*
 * One line of the URL differential protocol (tests/url/whatwg.mjs reads it): what the core makes of one
 * input, for a WHATWG parser to check. Shared by tests/url/url_canon.c (the fixed corpus) and the
 * fuzz target tests/fuzz/fuzz_url_diff.c.
 *
 *   <input as hex> ' ' '-' <rc>                                  refused
 *   <input as hex> ' ' <secure> ' ' <port> ' ' <host as hex> ' ' <href as hex>    accepted
 */
#ifndef TT_URL_CANON_H
#define TT_URL_CANON_H

#include <stdio.h>
#include <stdlib.h>

#include "url.h"

static void url_canon_hex(FILE *f, const char *p, size_t n) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        fputc(hex[(unsigned char)p[i] >> 4], f);
        fputc(hex[(unsigned char)p[i] & 0xF], f);
    }
    if (n == 0) fputc('.', f); /* an empty field stays a field */
}

/* Parses s[0..n), writes its line to f and returns 1 when the core accepted it. */
static int url_canon_line(FILE *f, const char *s, size_t n) {
    tt__url u;
    int rc = tt__url_parse(s, n, &u);
    url_canon_hex(f, s, n);
    if (rc != 0) {
        fprintf(f, " -%d\n", -rc);
        return 0;
    }
    size_t host_len = tt__url_host(&u, NULL, 0), href_len = tt__url_href(&u, NULL, 0);
    char *host = malloc(host_len + 1), *href = malloc(href_len + 1);
    if (host == NULL || href == NULL) abort();
    tt__url_host(&u, host, host_len);
    tt__url_href(&u, href, href_len);
    fprintf(f, " %d %u ", u.secure, (unsigned)u.port);
    url_canon_hex(f, host, host_len);
    fputc(' ', f);
    url_canon_hex(f, href, href_len);
    fputc('\n', f);
    free(host);
    free(href);
    return 1;
}

#endif
