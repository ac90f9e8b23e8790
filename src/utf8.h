/* An incremental, fail-fast UTF-8 validator (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
#ifndef TT_UTF8_H
#define TT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Zero-initialise to start. */
typedef struct tt__utf8 {
    uint32_t state;
} tt__utf8;

/*
 * Feeds n bytes. Returns 0 while everything fed so far is a valid prefix of UTF-8 (a sequence may be
 * unfinished), or TT_EUTF8 as soon as a byte makes that impossible: the check fails on the first bad
 * byte, not at the end of the message. Once failed, it stays failed.
 */
int tt__utf8_feed(tt__utf8 *v, const uint8_t *p, size_t n);

/* 1 when the bytes fed so far end on a character boundary (a message may end here). */
int tt__utf8_at_boundary(const tt__utf8 *v);

/* 1 when p[0..n) is complete, valid UTF-8. */
int tt__utf8_valid(const void *p, size_t n);

#endif
