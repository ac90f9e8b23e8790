/*
 * Fuzz target: the frame codec (src/frame.c).
 *
 * Input: byte 0 holds flags (bit 0: RSV1 allowed) and a mask offset seed; bytes 1-4 a mask key; the rest
 * is parsed as a frame header, then handed to tt__close_payload_parse and to tt__mask. Properties:
 * - tt__frame_parse_header returns EAGAIN for every prefix shorter than the header, fills the header
 *   from exactly the bytes it claims, and only fails (EFRAME) for a 64-bit length with its top bit set
 *   or a length that is not minimally encoded (Chromium fails both), or (ETOOBIG) for one above 2^31 - 1;
 * - a header written by tt__frame_write_header parses back to the same fields, minimally encoded;
 * - tt__frame_check_server agrees with the RFC 6455 rules restated here;
 * - tt__close_payload_parse agrees with Chromium's close-code rules (only 1005, 1006, 1015 fail) and a
 *   reference UTF-8 checker;
 * - tt__mask equals the byte-wise definition at any offset, undoes itself, works in place, and masking
 *   in two pieces with a carried offset equals masking at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz_common.h"
#include "tt_internal.h"

static void check_header(const uint8_t *buf, size_t len) {
    tt__frame_header h;
    memset(&h, 0xAA, sizeof h);
    int rc = tt__frame_parse_header(buf, len, &h);
    if (rc == TT_EAGAIN) {
        size_t need = 2;
        if (len >= 2) need += ((buf[1] & 0x7F) == 126 ? 2 : (buf[1] & 0x7F) == 127 ? 8 : 0) + (buf[1] & 0x80 ? 4 : 0);
        FUZZ_CHECK(len < need, "EAGAIN with %zu of %zu header bytes", len, need);
        return;
    }
    if (rc == TT_EFRAME) {
        int top = len >= 10 && (buf[1] & 0x7F) == 127 && (buf[2] & 0x80);
        int short16 = len >= 4 && (buf[1] & 0x7F) == 126 && buf[2] == 0 && buf[3] < 126;
        int short64 =
            len >= 10 && (buf[1] & 0x7F) == 127 && !buf[2] && !buf[3] && !buf[4] && !buf[5] && !buf[6] && !buf[7];
        FUZZ_CHECK(top || short16 || short64, "EFRAME for a legal length");
        return;
    }
    if (rc == TT_ETOOBIG) { /* Chromium's limit: a 64-bit length above 2^31 - 1 (top bit clear) */
        int beyond = len >= 10 && (buf[1] & 0x7F) == 127 && !(buf[2] & 0x80) &&
                     (buf[2] || buf[3] || buf[4] || buf[5] || (buf[6] & 0x80));
        FUZZ_CHECK(beyond, "ETOOBIG for a length Chromium takes");
        return;
    }
    FUZZ_CHECK(rc >= 2 && rc <= TT__FRAME_HEADER_MAX && (size_t)rc <= len && (size_t)rc == h.header_length,
               "header length %d", rc);
    FUZZ_CHECK(h.fin == (unsigned)(buf[0] >> 7) && h.rsv == (unsigned)((buf[0] >> 4) & 7) &&
                   h.opcode == (unsigned)(buf[0] & 15) && h.masked == (unsigned)(buf[1] >> 7),
               "first two bytes misread");
    uint64_t plen = buf[1] & 0x7F;
    size_t pos = 2;
    if (plen == 126) plen = ((uint64_t)buf[2] << 8) | buf[3], pos = 4;
    else if (plen == 127) {
        plen = 0;
        for (int i = 2; i < 10; i++) plen = (plen << 8) | buf[i];
        pos = 10;
    }
    FUZZ_CHECK(h.payload_length == plen, "length %llu vs %llu", (unsigned long long)h.payload_length,
               (unsigned long long)plen);
    FUZZ_CHECK(plen >> 63 == 0, "length with the top bit set accepted");
    FUZZ_CHECK(plen <= TT__FRAME_PAYLOAD_MAX, "a length above 2^31 - 1 accepted");
    FUZZ_CHECK(pos == 2 || (pos == 4 && plen >= 126) || (pos == 10 && plen > 0xFFFF), "non-minimal length accepted");
    if (h.masked) FUZZ_CHECK(memcmp(h.mask, buf + pos, 4) == 0 && pos + 4 == (size_t)rc, "mask key misread");
    else FUZZ_CHECK(pos == (size_t)rc, "unmasked header length");
    /* Every shorter prefix is incomplete. */
    for (size_t k = 0; k < (size_t)rc; k++) {
        tt__frame_header g;
        FUZZ_CHECK(tt__frame_parse_header(buf, k, &g) == TT_EAGAIN, "prefix %zu of %d not EAGAIN", k, rc);
    }

    /* Rewrite with the writer (always masked, minimal) and read it back. */
    uint8_t out[TT__FRAME_HEADER_MAX + 2];
    uint8_t key[4] = {buf[0], buf[1], 0x5A, 0xC3};
    size_t n = tt__frame_write_header(out, h.fin, h.rsv, h.opcode, h.payload_length, key);
    size_t minimal = 2 + (plen <= 125 ? 0 : plen <= 0xFFFF ? 2 : 8) + 4;
    FUZZ_CHECK(n == minimal, "writer used %zu bytes, minimal is %zu", n, minimal);
    tt__frame_header g;
    FUZZ_CHECK(tt__frame_parse_header(out, n, &g) == (int)n, "written header does not parse");
    FUZZ_CHECK(g.fin == h.fin && g.rsv == h.rsv && g.opcode == h.opcode && g.masked == 1 &&
                   g.payload_length == h.payload_length && memcmp(g.mask, key, 4) == 0,
               "written header reads back differently");

    /* Server-side rules, restated. */
    for (int allowed = 0; allowed <= 1; allowed++) {
        tt__violation why = TT__VIOLATION_NONE;
        int crc = tt__frame_check_server(&h, allowed, &why);
        int known = h.opcode <= 2 || (h.opcode >= 8 && h.opcode <= 10);
        int control = h.opcode >= 8;
        int bad = h.masked || !known || (h.rsv & (allowed ? 3u : 7u)) != 0 || (control && !h.fin) ||
                  (control && h.payload_length > 125);
        FUZZ_CHECK(crc == (bad ? TT_EFRAME : 0), "check_server %d, expected bad=%d (op %u rsv %u fin %u)", crc, bad,
                   h.opcode, h.rsv, h.fin);
        if (bad) FUZZ_CHECK(tt__violation_detail(why)[0], "no detail");
    }
}

/* What a client accepts from the server, as Chromium does: any code but the three meaning "no Close". */
static int peer_code_ok(int c) { return c >= 0 && c <= 65535 && c != 1005 && c != 1006 && c != 1015; }

static int code_ok(int c) {
    if (c < 1000 || c >= 5000) return 0;
    if (c >= 1016 && c < 3000) return 0;
    return c != 1004 && c != 1005 && c != 1006 && c != 1015;
}

static void check_close(const uint8_t *p, size_t len) {
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, p, len);
    int code = -1;
    const char *reason = NULL;
    tt__violation why = TT__VIOLATION_NONE;
    size_t reason_len = 99999;
    int rc = tt__close_payload_parse(copy, len, &code, &reason, &reason_len, &why);
    int want;
    if (len == 0) want = 0;
    else if (len == 1) want = TT_EFRAME;
    else if (!peer_code_ok((copy[0] << 8) | copy[1])) want = TT_EFRAME;
    else if (!ref_utf8_valid(copy + 2, len - 2)) want = TT_EUTF8;
    else want = 0;
    FUZZ_CHECK(rc == want, "close payload: rc %d, expected %d", rc, want);
    FUZZ_CHECK(tt__close_code_wire_valid(len >= 2 ? (copy[0] << 8) | copy[1] : 0) ==
                   code_ok(len >= 2 ? (copy[0] << 8) | copy[1] : 0),
               "wire validity");
    if (rc == 0 && len == 0) FUZZ_CHECK(code == 1005 && reason_len == 0 && reason, "empty Close");
    if (rc == 0 && len >= 2)
        FUZZ_CHECK(code == ((copy[0] << 8) | copy[1]) && reason == (const char *)copy + 2 && reason_len == len - 2,
                   "close fields");
    if (rc) FUZZ_CHECK(tt__violation_detail(why)[0], "no detail");
    free(copy);
}

static void check_mask(const uint8_t *src, size_t len, const uint8_t key[4], size_t offset, size_t cut) {
    uint8_t *a = malloc(len ? len : 1), *b = malloc(len ? len : 1), *c = malloc(len ? len : 1);
    tt__mask(a, src, len, key, offset);
    for (size_t i = 0; i < len; i++)
        FUZZ_CHECK(a[i] == (uint8_t)(src[i] ^ key[(offset + i) % 4]), "mask byte %zu at offset %zu", i, offset);
    tt__mask(b, a, len, key, offset);
    FUZZ_CHECK(len == 0 || memcmp(b, src, len) == 0, "mask twice is not identity");
    memcpy(c, src, len);
    tt__mask(c, c, len, key, offset); /* in place */
    FUZZ_CHECK(len == 0 || memcmp(c, a, len) == 0, "in-place masking differs");
    if (cut > len) cut = len;
    memcpy(c, src, len);
    tt__mask(c, c, cut, key, offset);
    tt__mask(c + cut, c + cut, len - cut, key, offset + cut);
    FUZZ_CHECK(len == 0 || memcmp(c, a, len) == 0, "masking in two pieces differs (cut %zu)", cut);
    free(a);
    free(b);
    free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 5) return 0;
    uint8_t flags = data[0];
    uint8_t key[4];
    memcpy(key, data + 1, 4);
    const uint8_t *rest = data + 5;
    size_t len = size - 5;
    uint8_t *buf = malloc(len ? len : 1);
    memcpy(buf, rest, len);
    check_header(buf, len);
    (void)flags;
    check_close(buf, len);
    static const size_t offsets[] = {0, 1, 2, 3, 5, 7, 4096 + 3, (size_t)-1, (size_t)-2, (size_t)-3};
    size_t offset = offsets[flags % (sizeof offsets / sizeof offsets[0])] + (flags >> 4);
    check_mask(buf, len, key, offset, len ? (size_t)key[0] % (len + 1) : 0);
    /* Odd start addresses too: the word-wise loop must not care about alignment. */
    if (len > 1) check_mask(buf + 1, len - 1, key, offset + 1, (size_t)key[1] % len);
    free(buf);
    return 0;
}
