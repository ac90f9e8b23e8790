/* The RFC 6455 frame codec (section 5). Pure functions: the session in ws.c owns all state. */
#include <string.h>

#include "frame.h"
#include "tt_internal.h"
#include "utf8.h"

int tt__frame_parse_header(const uint8_t *buf, size_t len, tt__frame_header *out) {
    if (len < 2) return TT_EAGAIN;
    unsigned masked = buf[1] >> 7;
    uint64_t plen = buf[1] & 0x7F;
    size_t pos = 2 + (plen == 126 ? 2 : plen == 127 ? 8 : 0);
    /* The length is judged as soon as its bytes are there, before the masking key, as Chromium does. */
    if (len < pos) return TT_EAGAIN;
    if (plen == 126) {
        plen = ((uint64_t)buf[2] << 8) | buf[3];
        /* Section 5.2: "the minimal number of bytes MUST be used"; Chromium fails a longer encoding. */
        if (plen < 126) return TT_EFRAME;
    } else if (plen == 127) {
        /* The most significant bit must be 0 (section 5.2): a "negative" length is a protocol error. */
        if (buf[2] & 0x80) return TT_EFRAME;
        plen = 0;
        for (size_t i = 2; i < 10; i++) plen = (plen << 8) | buf[i];
        if (plen <= 0xFFFF) return TT_EFRAME;
        if (plen > TT__FRAME_PAYLOAD_MAX) return TT_ETOOBIG;
    }
    size_t need = pos + (masked ? 4 : 0);
    if (len < need) return TT_EAGAIN;
    out->fin = buf[0] >> 7;
    out->rsv = (buf[0] >> 4) & 7;
    out->opcode = buf[0] & 0x0F;
    out->masked = masked;
    if (masked) memcpy(out->mask, buf + pos, 4);
    else memset(out->mask, 0, 4);
    out->payload_length = plen;
    out->header_length = need;
    return (int)need;
}

static int frame_opcode_known(unsigned op) { return op <= TT__OP_BINARY || (op >= TT__OP_CLOSE && op <= TT__OP_PONG); }

int tt__frame_check_server(const tt__frame_header *h, int rsv1_allowed, tt__violation *why) {
    tt__violation v = TT__VIOLATION_NONE;
    unsigned rsv_ok = rsv1_allowed ? 4u : 0u;
    if (h->masked) v = TT__VIOLATION_MASKED_FRAME;
    else if (!frame_opcode_known(h->opcode)) v = TT__VIOLATION_RESERVED_OPCODE;
    else if (h->rsv & ~rsv_ok) v = TT__VIOLATION_RESERVED_BITS;
    else if (h->opcode >= TT__OP_CLOSE && !h->fin) v = TT__VIOLATION_FRAGMENTED_CONTROL;
    else if (h->opcode >= TT__OP_CLOSE && h->payload_length > 125) v = TT__VIOLATION_CONTROL_TOO_LONG;
    if (v == TT__VIOLATION_NONE) return 0;
    if (why) *why = v;
    return TT_EFRAME;
}

size_t tt__frame_write_header(uint8_t *out, unsigned fin, unsigned rsv, unsigned opcode, uint64_t payload_length,
                              const uint8_t mask[4]) {
    size_t n = 2;
    out[0] = (uint8_t)((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0F));
    if (payload_length <= 125) {
        out[1] = (uint8_t)(0x80 | payload_length);
    } else if (payload_length <= 0xFFFF) {
        out[1] = 0x80 | 126;
        out[2] = (uint8_t)(payload_length >> 8);
        out[3] = (uint8_t)payload_length;
        n = 4;
    } else {
        out[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++) out[2 + i] = (uint8_t)(payload_length >> (56 - 8 * i));
        n = 10;
    }
    memcpy(out + n, mask, 4);
    return n + 4;
}

void tt__mask(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t mask[4], size_t offset) {
    uint8_t key[4];
    unsigned r = (unsigned)(offset & 3);
    for (unsigned j = 0; j < 4; j++) key[j] = mask[(r + j) & 3]; /* the key rotated to `offset` */
    tt__mask_frame(dst, src, len, key);
}

int tt__close_code_wire_valid(int code) {
    return (code >= TT_CLOSE_NORMAL && code <= TT_CLOSE_UNSUPPORTED_DATA) ||
           (code >= TT_CLOSE_INVALID_PAYLOAD && code <= TT_CLOSE_BAD_GATEWAY) ||
           (code >= TT_CLOSE_APP_MIN && code <= TT_CLOSE_APP_MAX);
}

int tt__close_payload_parse(const uint8_t *payload, size_t len, int *code, const char **reason, size_t *reason_len,
                            tt__violation *why) {
    if (len == 0) {
        *code = TT_CLOSE_NO_STATUS; /* reported, never sent */
        *reason = "";
        *reason_len = 0;
        return 0;
    }
    if (len == 1) {
        if (why) *why = TT__VIOLATION_CLOSE_ONE_BYTE;
        return TT_EFRAME;
    }
    int c = (payload[0] << 8) | payload[1];
    /* Chromium refuses only the three codes that stand for "no Close" (1005, 1006, 1015); any other,
     * even one RFC 6455 forbids on the wire, is reported as it came and echoed. */
    if (c == TT_CLOSE_NO_STATUS || c == TT_CLOSE_ABNORMAL || c == TT_CLOSE_TLS_HANDSHAKE) {
        if (why) *why = TT__VIOLATION_CLOSE_INVALID_CODE;
        return TT_EFRAME;
    }
    if (!tt__utf8_valid(payload + 2, len - 2)) {
        if (why) *why = TT__VIOLATION_CLOSE_REASON_UTF8;
        return TT_EUTF8;
    }
    *code = c;
    *reason = (const char *)payload + 2;
    *reason_len = len - 2;
    return 0;
}
