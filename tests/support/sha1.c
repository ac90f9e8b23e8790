/*
 * SHA-1 written from FIPS 180-4 (sections 4.1.1, 4.2.1, 5.1.1, 6.1.2). Only for tests: the native build
 * uses OpenSSL's. Speed does not matter here, clarity does.
 */
#include <string.h>

#include "sha1.h"

static uint32_t sha1_rotl(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

/* f_t and K_t of section 4.1.1 / 4.2.1, chosen by the round number. */
static uint32_t sha1_f(unsigned t, uint32_t b, uint32_t c, uint32_t d) {
    if (t < 20) return (b & c) ^ (~b & d);   /* Ch */
    if (t < 40 || t >= 60) return b ^ c ^ d; /* Parity */
    return (b & c) ^ (b & d) ^ (c & d);      /* Maj */
}

static uint32_t sha1_k(unsigned t) {
    static const uint32_t k[4] = {0x5a827999u, 0x6ed9eba1u, 0x8f1bbcdcu, 0xca62c1d6u};
    return k[t / 20];
}

/* Processes one 512-bit block (section 6.1.2). */
static void sha1_block(uint32_t h[5], const uint8_t block[64]) {
    uint32_t w[80];
    for (unsigned t = 0; t < 16; t++)
        w[t] = ((uint32_t)block[4 * t] << 24) | ((uint32_t)block[4 * t + 1] << 16) | ((uint32_t)block[4 * t + 2] << 8) |
               block[4 * t + 3];
    for (unsigned t = 16; t < 80; t++) w[t] = sha1_rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (unsigned t = 0; t < 80; t++) {
        uint32_t tmp = sha1_rotl(a, 5) + sha1_f(t, b, c, d) + e + sha1_k(t) + w[t];
        e = d;
        d = c;
        c = sha1_rotl(b, 30);
        b = a;
        a = tmp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void tt_test_sha1(void *ud, const uint8_t *data, size_t len, uint8_t out[20]) {
    (void)ud;
    uint32_t h[5] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u}; /* 5.3.1 */
    size_t i = 0;
    for (; i + 64 <= len; i += 64) sha1_block(h, data + i);
    /* Padding (5.1.1): a 1 bit, zeros, then the message length in bits as 64-bit big-endian. The tail
     * needs one more block when fewer than 9 bytes are left after it. */
    uint8_t tail[128];
    size_t rest = len - i;
    memset(tail, 0, sizeof tail);
    if (rest) memcpy(tail, data + i, rest);
    tail[rest] = 0x80;
    size_t tail_len = rest + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (unsigned k = 0; k < 8; k++) tail[tail_len - 1 - k] = (uint8_t)(bits >> (8 * k));
    sha1_block(h, tail);
    if (tail_len == 128) sha1_block(h, tail + 64);
    for (unsigned k = 0; k < 5; k++) {
        out[4 * k] = (uint8_t)(h[k] >> 24);
        out[4 * k + 1] = (uint8_t)(h[k] >> 16);
        out[4 * k + 2] = (uint8_t)(h[k] >> 8);
        out[4 * k + 3] = (uint8_t)h[k];
    }
}
