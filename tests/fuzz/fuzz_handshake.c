/*
 * Fuzz target: the opening-handshake response parser (tt__handshake_parse_response in src/handshake.c).
 *
 * Input: byte 0 chooses the offered subprotocols (bits 0-1: how many of "chat", "superchat",
 * "v2.json"), whether extensions were offered (bit 2); byte 1 chooses a split point; the rest is the
 * server's answer. The expected Sec-WebSocket-Accept is the RFC 6455 example value. Properties:
 * - the result is bytes-of-head, TT_EAGAIN or TT_EHANDSHAKE with a detail sentence, nothing else;
 * - a complete head ends with its first empty line (LF or CR LF line ends, CR/LF before the status line
 *   skipped, as Chromium reads it), has status 101, and the reported protocol/extensions point into
 *   the buffer; the protocol is one of those offered; extensions only when offered;
 * - TT_EAGAIN only for an unterminated head under 16 KiB;
 * - parsing a prefix first (as a caller does while bytes trickle in) and then the whole gives the
 *   whole's answer: a prefix that is already decided is decided the same way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "handshake.h"
#include "tt_internal.h"

#define EXPECTED_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

static const char *const all_protocols[] = {"chat", "superchat", "v2.json"};

typedef struct outcome {
    int rc;
    tt__handshake_response r;
    const char *detail;
} outcome;

static outcome parse(const char *buf, size_t len, size_t protocol_count, int ext) {
    outcome o;
    o.detail = NULL;
    o.rc = tt__handshake_parse_response(buf, len, EXPECTED_ACCEPT, all_protocols, protocol_count, ext, &o.r, &o.detail);
    return o;
}

/* Offset past the first "\n\n" or "\n\r\n" after the leading CR/LF bytes, 0 when none. */
static size_t ref_head_end(const char *buf, size_t len) {
    size_t i = 0;
    while (i < len && (buf[i] == '\r' || buf[i] == '\n')) i++;
    for (; i < len; i++) {
        if (buf[i] != '\n') continue;
        if (i + 1 < len && buf[i + 1] == '\n') return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') return i + 3;
    }
    return 0;
}
static int has_head_end(const char *buf, size_t len) { return ref_head_end(buf, len) != 0; }

static void check_outcome(const outcome *o, const char *buf, size_t len, size_t protocol_count, int ext) {
    if (o->rc > 0) {
        size_t head = (size_t)o->rc;
        FUZZ_CHECK(head <= len && head == ref_head_end(buf, len), "head %zu, expected %zu", head,
                   ref_head_end(buf, len));
        FUZZ_CHECK(o->r.status == 101, "status %d on success", o->r.status);
        if (o->r.protocol) {
            FUZZ_CHECK(o->r.protocol >= buf && o->r.protocol + o->r.protocol_len <= buf + head, "protocol outside");
            int offered = 0;
            for (size_t i = 0; i < protocol_count; i++)
                offered |= strlen(all_protocols[i]) == o->r.protocol_len &&
                           memcmp(all_protocols[i], o->r.protocol, o->r.protocol_len) == 0;
            FUZZ_CHECK(offered, "chose \"%.*s\", not offered", (int)o->r.protocol_len, o->r.protocol);
        } else {
            FUZZ_CHECK(protocol_count == 0, "no protocol chosen though %zu offered", protocol_count);
        }
        if (o->r.extensions) {
            FUZZ_CHECK(ext, "extensions accepted though none offered");
            FUZZ_CHECK(o->r.extensions >= buf && o->r.extensions + o->r.extensions_len <= buf + head,
                       "extensions outside");
        }
    } else if (o->rc == TT_EAGAIN) {
        FUZZ_CHECK(len < 16384, "EAGAIN with %zu bytes", len);
        FUZZ_CHECK(!has_head_end(buf, len), "EAGAIN though the head is complete");
    } else {
        FUZZ_CHECK(o->rc == TT_EHANDSHAKE, "unexpected rc %d", o->rc);
        FUZZ_CHECK(o->detail && o->detail[0], "failure without a detail");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t protocol_count = data[0] & 3;
    int ext = (data[0] >> 2) & 1;
    size_t len = size - 2;
    char *buf = malloc(len ? len : 1); /* exact size, so ASan catches over-reads */
    memcpy(buf, data + 2, len);

    outcome whole = parse(buf, len, protocol_count, ext);
    check_outcome(&whole, buf, len, protocol_count, ext);

    /* Two chunks: the prefix alone (its own exactly sized buffer), then everything. */
    size_t split = len ? (size_t)data[1] * len / 255 : 0;
    char *prefix = malloc(split ? split : 1);
    memcpy(prefix, buf, split);
    outcome first = parse(prefix, split, protocol_count, ext);
    check_outcome(&first, prefix, split, protocol_count, ext);
    if (first.rc != TT_EAGAIN) {
        FUZZ_CHECK(first.rc == whole.rc, "prefix of %zu decided %d, whole %d", split, first.rc, whole.rc);
        FUZZ_CHECK(first.r.status == whole.r.status, "status %d vs %d", first.r.status, whole.r.status);
        FUZZ_CHECK((first.detail == NULL) == (whole.detail == NULL) &&
                       (first.detail == NULL || strcmp(first.detail, whole.detail) == 0),
                   "detail \"%s\" vs \"%s\"", first.detail ? first.detail : "", whole.detail ? whole.detail : "");
        if (first.rc > 0) {
            FUZZ_CHECK(first.r.protocol_len == whole.r.protocol_len && first.r.extensions_len == whole.r.extensions_len,
                       "protocol/extensions differ");
        }
    } else {
        /* The caller calls again with the whole: nothing to compare but the whole's own checks. */
        outcome again = parse(buf, len, protocol_count, ext);
        FUZZ_CHECK(again.rc == whole.rc, "not deterministic");
    }
    free(prefix);
    free(buf);
    return 0;
}
