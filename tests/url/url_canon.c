/*
 * The core's URL parser as a filter for the differential test (tests/url/differential.mjs): reads one
 * input per line as hex (so any byte can be tested) and writes one protocol line per input
 * (url_canon.h). Exit status 0 unless the input is malformed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url_canon.h"

static int hex_digit(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

int main(void) {
    static char line[1 << 16], bytes[1 << 15];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strcspn(line, "\r\n"), k = 0;
        if (n % 2 != 0) {
            fprintf(stderr, "url_canon: odd hex line\n");
            return 2;
        }
        for (size_t i = 0; i < n; i += 2) {
            int hi = hex_digit(line[i]), lo = hex_digit(line[i + 1]);
            if (hi < 0 || lo < 0) {
                fprintf(stderr, "url_canon: bad hex\n");
                return 2;
            }
            bytes[k++] = (char)(hi * 16 + lo);
        }
        /* An exactly sized copy, so a sanitizer sees any read past the end. */
        char *copy = malloc(k ? k : 1);
        if (copy == NULL) return 2;
        memcpy(copy, bytes, k);
        url_canon_line(stdout, copy, k);
        free(copy);
    }
    return 0;
}
