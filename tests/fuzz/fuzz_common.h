/*
 * Shared by the libFuzzer targets: a check macro that aborts with a sentence (so libFuzzer saves the
 * input and the report says which property broke), a little byte reader for structured inputs, and a
 * reference UTF-8 checker written independently of src/utf8.c for differential checks.
 */
#ifndef TT_FUZZ_COMMON_H
#define TT_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond, ...)                                                                       \
    do {                                                                                            \
        if (!(cond)) {                                                                              \
            fprintf(stderr, "\nFUZZ INVARIANT FAILED at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                                           \
            fprintf(stderr, "\n");                                                                  \
            abort();                                                                                \
        }                                                                                           \
    } while (0)

/* ---- Byte reader: takes values from the front of the input, zeros once it runs dry ---------------- */

typedef struct fuzz_reader {
    const uint8_t *p;
    size_t n;
} fuzz_reader;

static inline uint8_t fuzz_u8(fuzz_reader *r) {
    if (r->n == 0) return 0;
    r->n--;
    return *r->p++;
}

static inline uint16_t fuzz_u16(fuzz_reader *r) {
    uint16_t hi = fuzz_u8(r);
    return (uint16_t)((hi << 8) | fuzz_u8(r));
}

/* Up to max bytes (fewer when the input runs out); returns a pointer into the input. */
static inline const uint8_t *fuzz_bytes(fuzz_reader *r, size_t want, size_t *got) {
    if (want > r->n) want = r->n;
    const uint8_t *p = r->p;
    r->p += want;
    r->n -= want;
    *got = want;
    return p;
}

/* ---- Reference UTF-8 ------------------------------------------------------------------------------ */

/*
 * Decides prefix by prefix whether the bytes can still become valid UTF-8, from the definition rather
 * than from a transition table: a pending sequence of declared length L with some continuation bytes
 * seen can still complete iff the range of code points it could yet encode (missing bits all 0 .. all 1)
 * meets [smallest code point that needs L bytes, U+10FFFF] minus the surrogates.
 */
typedef struct ref_utf8 {
    uint32_t bits; /* payload bits collected so far */
    unsigned len;  /* declared sequence length, 0 when between characters */
    unsigned have; /* bytes of the sequence seen */
    int failed;
    size_t pos;     /* bytes fed */
    size_t fail_at; /* index of the first byte that made it impossible (valid once failed) */
} ref_utf8;

static inline int ref_utf8_range_ok(uint32_t lo, uint32_t hi, unsigned len) {
    static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (lo < min_for_len[len]) lo = min_for_len[len];
    if (hi > 0x10FFFF) hi = 0x10FFFF;
    if (lo > hi) return 0;
    /* [lo, hi] minus [D800, DFFF] is empty only when it lies inside the surrogates. */
    return !(lo >= 0xD800 && hi <= 0xDFFF);
}

static inline int ref_utf8_pending_ok(const ref_utf8 *r) {
    unsigned missing = 6 * (r->len - r->have);
    uint32_t lo = r->bits << missing, hi = (r->bits << missing) | ((1u << missing) - 1);
    return ref_utf8_range_ok(lo, hi, r->len);
}

static inline void ref_utf8_byte(ref_utf8 *r, uint8_t b) {
    size_t at = r->pos++;
    if (r->failed) return;
    int ok = 1;
    if (r->len == 0) {
        if (b < 0x80) return;
        if ((b & 0xE0) == 0xC0) r->len = 2, r->bits = b & 0x1F;
        else if ((b & 0xF0) == 0xE0) r->len = 3, r->bits = b & 0x0F;
        else if ((b & 0xF8) == 0xF0) r->len = 4, r->bits = b & 0x07;
        else ok = 0;
        r->have = 1;
        if (ok) ok = ref_utf8_pending_ok(r);
    } else if ((b & 0xC0) != 0x80) {
        ok = 0;
    } else {
        r->bits = (r->bits << 6) | (b & 0x3F);
        r->have++;
        ok = ref_utf8_pending_ok(r);
    }
    if (!ok) {
        r->failed = 1;
        r->fail_at = at;
        return;
    }
    if (r->len && r->have == r->len) r->len = r->have = 0, r->bits = 0;
}

static inline void ref_utf8_feed(ref_utf8 *r, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) ref_utf8_byte(r, p[i]);
}

/* 1 when p[0..n) is complete, valid UTF-8. */
static inline int ref_utf8_valid(const uint8_t *p, size_t n) {
    ref_utf8 r;
    memset(&r, 0, sizeof r);
    ref_utf8_feed(&r, p, n);
    return !r.failed && r.len == 0;
}

#endif
