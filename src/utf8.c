/*
 * Incremental UTF-8 validation (RFC 3629, Unicode table 3-7).
 *
 * The state packs what the next byte must look like: how many continuation bytes are still owed, and
 * the range the *next* one must fall in. Only the first continuation after a lead byte has a narrowed
 * range (that is where overlongs, surrogates and code points above U+10FFFF are caught), so keeping that
 * one range is enough to fail on the very first bad byte even when a sequence spans several feeds.
 */
#include <string.h>

#include "tt_internal.h"
#include "utf8.h"

#define UTF8_FAILED 0xFFFFFFFFu

/* need in bits 0-7, lowest allowed next byte in bits 8-15, highest in bits 16-23. */
static uint32_t utf8_pack(uint32_t need, uint32_t lo, uint32_t hi) { return need | (lo << 8) | (hi << 16); }

/* The state after a lead byte, or UTF8_FAILED when b can never start a character. */
static uint32_t utf8_lead(uint8_t b) {
    if (b >= 0xC2 && b <= 0xDF) return utf8_pack(1, 0x80, 0xBF);
    if (b == 0xE0) return utf8_pack(2, 0xA0, 0xBF); /* no overlong 3-byte forms */
    if (b == 0xED) return utf8_pack(2, 0x80, 0x9F); /* no surrogates */
    if (b >= 0xE1 && b <= 0xEF) return utf8_pack(2, 0x80, 0xBF);
    if (b == 0xF0) return utf8_pack(3, 0x90, 0xBF); /* no overlong 4-byte forms */
    if (b >= 0xF1 && b <= 0xF3) return utf8_pack(3, 0x80, 0xBF);
    if (b == 0xF4) return utf8_pack(3, 0x80, 0x8F); /* nothing above U+10FFFF */
    return UTF8_FAILED;                             /* 0x80-0xC1 (stray continuation, overlong 2-byte) and 0xF5-0xFF */
}

/* Skips a run of ASCII eight bytes at a time: most text on the wire is ASCII. */
static size_t utf8_ascii_run(const uint8_t *p, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull) break;
    }
    while (i < n && p[i] < 0x80) i++;
    return i;
}

int tt__utf8_feed(tt__utf8 *v, const uint8_t *p, size_t n) {
    uint32_t s = v->state;
    size_t i = 0;
    if (s == UTF8_FAILED) return TT_EUTF8;
    while (i < n) {
        if (s == 0) {
            i += utf8_ascii_run(p + i, n - i);
            if (i == n) break;
            s = utf8_lead(p[i++]);
            if (s == UTF8_FAILED) break;
            continue;
        }
        uint32_t lo = (s >> 8) & 0xFF, hi = (s >> 16) & 0xFF, need = s & 0xFF;
        if (p[i] < lo || p[i] > hi) {
            s = UTF8_FAILED;
            break;
        }
        i++;
        s = need == 1 ? 0 : utf8_pack(need - 1, 0x80, 0xBF);
    }
    v->state = s;
    return s == UTF8_FAILED ? TT_EUTF8 : 0;
}

int tt__utf8_at_boundary(const tt__utf8 *v) { return v->state == 0; }

int tt__utf8_valid(const void *p, size_t n) {
    tt__utf8 v = {0};
    return tt__utf8_feed(&v, p, n) == 0 && tt__utf8_at_boundary(&v);
}
