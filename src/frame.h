/*
 * The RFC 6455 frame codec: a pure header parser and a header writer with masking. No allocation,
 * no state beyond what the caller passes.
 */
#ifndef TT_FRAME_H
#define TT_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "violation.h"

enum {
    TT__OP_CONTINUATION = 0x0,
    TT__OP_TEXT = 0x1,
    TT__OP_BINARY = 0x2,
    TT__OP_CLOSE = 0x8,
    TT__OP_PING = 0x9,
    TT__OP_PONG = 0xA
};

/* The longest frame header: 2 + 8 (length) + 4 (mask). */
#define TT__FRAME_HEADER_MAX 14

/* The longest payload a received frame may announce: 2^31 - 1 bytes, Chromium's limit (INT32_MAX). */
#define TT__FRAME_PAYLOAD_MAX 0x7FFFFFFFu

typedef struct tt__frame_header {
    unsigned fin;    /* 1 when this is the final fragment */
    unsigned rsv;    /* the three RSV bits as a number 0-7 (RSV1 = 4) */
    unsigned opcode; /* 0x0 - 0xF */
    unsigned masked; /* 1 when a masking key is present */
    uint8_t mask[4];
    uint64_t payload_length;
    size_t header_length; /* 2 - 14 */
} tt__frame_header;

/*
 * Parses one frame header from buf[0..len). Returns one of:
 *   > 0          the header length; *out is filled.
 *   TT_EAGAIN    more bytes are needed.
 *   TT_EFRAME    a 64-bit length with its top bit set, or a length not in its minimal encoding (a 16-bit
 *                length below 126, a 64-bit one below 65536): Chromium fails the connection for both.
 *   TT_ETOOBIG   a 64-bit length above TT__FRAME_PAYLOAD_MAX: Chromium's parser refuses it
 *                (ERR_MSG_TOO_BIG) and the channel is dropped, not failed.
 * The length is judged once its bytes are there, before the masking key has arrived. Semantic checks
 * (reserved opcodes, RSV bits, control frame rules, masking direction) are the caller's: see
 * tt__frame_check_server().
 */
int tt__frame_parse_header(const uint8_t *buf, size_t len, tt__frame_header *out);

/*
 * Checks a header received by a client: unmasked, known opcode, control frames final and <= 125 bytes,
 * RSV bits zero except RSV1 when rsv1_allowed (permessage-deflate on a first data frame). Returns 0 or
 * TT_EFRAME with *why naming the rule broken.
 */
int tt__frame_check_server(const tt__frame_header *h, int rsv1_allowed, tt__violation *why);

/*
 * Writes a masked client frame header (minimal length encoding) into out, which must hold
 * TT__FRAME_HEADER_MAX bytes. rsv is the RSV bits as in tt__frame_header. Returns the bytes written.
 */
size_t tt__frame_write_header(uint8_t *out, unsigned fin, unsigned rsv, unsigned opcode, uint64_t payload_length,
                              const uint8_t mask[4]);

/*
 * dst[i] = src[i] ^ mask[(offset + i) % 4] for i in [0, len). dst may equal src. Word-wise inside.
 */
void tt__mask(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t mask[4], size_t offset);

#if defined(__GNUC__) || defined(__clang__)
/* Two 64-bit lanes: SSE2 / NEON / wasm simd128 registers where the target has them, pairs of plain
 * 64-bit operations elsewhere. The same code either way, so the fallback below is only for other
 * compilers. */
typedef uint64_t tt__mask_v16 __attribute__((vector_size(16)));
#    define TT__MASK_V16 1
#endif

/*
 * tt__mask from a payload's first byte (offset 0). Inline, because every queued frame is masked with it
 * and for a game's usual 64-byte message a call costs about as much as the masking itself.
 */
static inline void tt__mask_frame(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t mask[4]) {
    /* The key repeats every 4 bytes, so a word of it lines up with every 4- or 8-byte step. The 8-byte
     * word holds the 4-byte one twice, which reads the same in either byte order. memcpy keeps unaligned
     * words legal and compiles to plain loads and stores; dst may equal src (in place), and every block
     * is loaded before it is stored. */
    uint32_t k4;
    memcpy(&k4, mask, 4);
    uint64_t k = (uint64_t)k4 << 32 | k4;
    size_t i = 0;
#ifdef TT__MASK_V16
    if (len >= 16) {
        /* 64 bytes per step in four independent 16-byte blocks, then 16 at a time: about 1.2-1.9x the
         * 8-byte loop from 64 B up (GCC 12 on x86-64, whose own vectorizer needs alias checks here). */
        tt__mask_v16 kv = {k, k};
        for (; i + 64 <= len; i += 64) {
            tt__mask_v16 a, b, c, d;
            memcpy(&a, src + i, 16);
            memcpy(&b, src + i + 16, 16);
            memcpy(&c, src + i + 32, 16);
            memcpy(&d, src + i + 48, 16);
            a ^= kv;
            b ^= kv;
            c ^= kv;
            d ^= kv;
            memcpy(dst + i, &a, 16);
            memcpy(dst + i + 16, &b, 16);
            memcpy(dst + i + 32, &c, 16);
            memcpy(dst + i + 48, &d, 16);
        }
        for (; i + 16 <= len; i += 16) {
            tt__mask_v16 a;
            memcpy(&a, src + i, 16);
            a ^= kv;
            memcpy(dst + i, &a, 16);
        }
    }
#endif
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, src + i, 8);
        w ^= k;
        memcpy(dst + i, &w, 8);
    }
    for (; i < len; i++) dst[i] = src[i] ^ mask[i & 3];
}

/*
 * Parses a Close frame payload. A 0-byte payload gives code 1005 and "". A 1-byte payload, the codes
 * 1005, 1006 and 1015 (which only stand for "no Close"), or a reason that is not valid UTF-8 returns
 * TT_EFRAME (or TT_EUTF8 for the reason) with *why set. Every other code (0-65535), also one RFC 6455
 * does not allow on the wire, is returned as it came, as Chromium reports and echoes it. On success
 * *reason points into payload.
 */
int tt__close_payload_parse(const uint8_t *payload, size_t len, int *code, const char **reason, size_t *reason_len,
                            tt__violation *why);

/* 1 when RFC 6455 allows code in a Close frame (1000-1003, 1007-1014, 3000-4999). */
int tt__close_code_wire_valid(int code);

#endif
