/*
 * Shared by the session fuzz targets (fuzz_session.c and fuzz_session_deflate.c): the event record and
 * its digest, the checks every callback makes whatever the target, the log of our own output (bytes
 * consumed from tt__ws_output, parsed frame by frame and compared with what we asked to send), the
 * valid 101 built from the request's key, the send action of the schedule, and the comparison of the
 * chunked run with the whole one. Each target keeps the checks that are its own next to its callbacks.
 */
#ifndef TT_FUZZ_SESSION_COMMON_H
#define TT_FUZZ_SESSION_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz_common.h"
#include "handshake.h"
#include "test_hooks.h"
#include "tt_internal.h"
#include "url.h"
#include "ws.h"

/* Chunk sizes the schedule bits 0-4 choose from. */
static const size_t fuzz_chunk_sizes[32] = {1,  1,   2,   3,   4,   5,   6,   7,    8,    9,       10,
                                            11, 12,  13,  14,  15,  16,  17,  24,   31,   32,      33,
                                            64, 100, 127, 128, 200, 256, 512, 1024, 4096, 1u << 20};

/* ---- What the callbacks saw ------------------------------------------------------------------- */

/* The part of a run's record that every target keeps; a target's own record starts with it. */
typedef struct fuzz_events {
    tt__ws *ws;
    size_t max_message_size;
    int opens, peer_closes, messages;
    int in_recv;
    /* A digest of the event sequence for the whole-vs-chunked comparison. */
    uint64_t digest;
} fuzz_events;

#define FUZZ_DIGEST_SEED 1469598103934665603ull

static inline uint64_t digest_mix(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* Clears the record for a new session whose messages may be at most max_message_size bytes. */
static inline void fuzz_events_reset(fuzz_events *e, size_t max_message_size) {
    memset(e, 0, sizeof *e);
    e->max_message_size = max_message_size;
    e->digest = FUZZ_DIGEST_SEED;
}

/* on_open's common part: the session reads OPEN; counts the open and adds value (what the target
 * compares: the protocol or the extensions) to the digest. */
static inline void fuzz_record_open(fuzz_events *e, const char *value) {
    FUZZ_CHECK(tt__ws_get_state(e->ws) == TT__WS_OPEN, "state %d during on_open", tt__ws_get_state(e->ws));
    e->opens++;
    e->digest = digest_mix(e->digest, "O", 1);
    e->digest = digest_mix(e->digest, value, strlen(value) + 1);
}

/* Checks on_message may make of any session: order, type, size limit, and valid UTF-8 in text. */
static inline void fuzz_check_message(const fuzz_events *e, tt_data_type type, const uint8_t *data, size_t length) {
    FUZZ_CHECK(e->in_recv, "on_message outside tt__ws_recv");
    FUZZ_CHECK(e->opens == 1, "message before on_open");
    FUZZ_CHECK(e->peer_closes == 0, "message after on_peer_close");
    FUZZ_CHECK(type == TT_DATA_TEXT || type == TT_DATA_BINARY, "type %d", type);
    FUZZ_CHECK(length == 0 || data != NULL, "NULL data");
    FUZZ_CHECK(e->max_message_size == 0 || length <= e->max_message_size, "message of %zu bytes, limit %zu", length,
               e->max_message_size);
    if (type == TT_DATA_TEXT) FUZZ_CHECK(ref_utf8_valid(data, length), "text message is not valid UTF-8");
}

/* Counts one delivered message and adds it to the digest. */
static inline void fuzz_record_message(fuzz_events *e, tt_data_type type, const uint8_t *data, size_t length) {
    e->messages++;
    uint64_t len64 = length;
    e->digest = digest_mix(e->digest, type == TT_DATA_TEXT ? "T" : "B", 1);
    e->digest = digest_mix(e->digest, &len64, sizeof len64);
    e->digest = digest_mix(e->digest, data, length);
}

/* Checks on_peer_close may make of any session: order, a code Chromium accepts and a valid reason. */
static inline void fuzz_check_peer_close(const fuzz_events *e, int code, const char *reason, size_t reason_length) {
    FUZZ_CHECK(e->in_recv, "on_peer_close outside tt__ws_recv");
    FUZZ_CHECK(e->opens == 1, "peer close before on_open");
    FUZZ_CHECK(e->peer_closes == 0, "on_peer_close twice");
    FUZZ_CHECK(code >= 0 && code <= 65535 && code != 1006 && code != 1015, "peer close code %d", code);
    FUZZ_CHECK(reason_length <= 123 && ref_utf8_valid((const uint8_t *)reason, reason_length), "bad reason");
}

/* Counts the peer's Close and adds it to the digest. */
static inline void fuzz_record_peer_close(fuzz_events *e, int code, const char *reason, size_t reason_length) {
    e->peer_closes++;
    e->digest = digest_mix(e->digest, "C", 1);
    e->digest = digest_mix(e->digest, &code, sizeof code);
    e->digest = digest_mix(e->digest, reason, reason_length);
}

/* ---- Creating a session ------------------------------------------------------------------------ */

/*
 * Starts a run: clears the record e (the first member of the target's record, which the callbacks get
 * as user data) and creates the session for the options the target filled (callbacks, protocols,
 * deflate) with url ws://a/, max_message_size and the fixed test hooks (counter randomness, the test
 * SHA-1). Checks that the session exists and starts in HANDSHAKE.
 */
static inline tt__ws *fuzz_session_start(fuzz_events *e, tt__ws_options *o, size_t max_message_size) {
    static tt__url url;
    static int url_ready;
    if (!url_ready) {
        FUZZ_CHECK(tt__url_parse("ws://a/", 7, &url) == 0, "url");
        url_ready = 1;
    }
    tt_test_hooks_install(0x42);
    fuzz_events_reset(e, max_message_size);
    o->url = &url;
    o->max_message_size = max_message_size;
    o->user_data = e;
    e->ws = tt__ws_new(o);
    FUZZ_CHECK(e->ws != NULL, "tt__ws_new failed");
    FUZZ_CHECK(tt__ws_get_state(e->ws) == TT__WS_HANDSHAKE, "initial state");
    return e->ws;
}

/* The status line and fixed fields of a valid 101; the caller adds its own fields and the empty line. */
#define FUZZ_101_HEAD                                                                   \
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" \
    "Sec-WebSocket-Accept: %s\r\n"

/* Reads the Sec-WebSocket-Key from the request the session queued and computes the matching accept. */
static inline void fuzz_accept_for_request(tt__ws *ws, char accept[29]) {
    size_t len;
    const uint8_t *out = tt__ws_output(ws, &len);
    const char *field = "Sec-WebSocket-Key: ";
    const uint8_t *k = NULL;
    for (size_t i = 0; out && i + strlen(field) + 24 <= len; i++)
        if (memcmp(out + i, field, strlen(field)) == 0) {
            k = out + i + strlen(field);
            break;
        }
    FUZZ_CHECK(k != NULL && k[24] == '\r', "no key in the request");
    char key[25];
    memcpy(key, k, 24);
    key[24] = '\0';
    tt__handshake_accept(key, accept);
}

/* ---- A growing byte buffer ---------------------------------------------------------------------- */

typedef struct fuzz_buf {
    uint8_t *p;
    size_t len, cap;
} fuzz_buf;

static inline void fuzz_buf_put(fuzz_buf *g, const void *p, size_t n) {
    if (g->len + n > g->cap) {
        size_t cap = g->cap ? g->cap : 256;
        while (cap < g->len + n) cap *= 2;
        g->p = realloc(g->p, cap);
        g->cap = cap;
    }
    if (n) memcpy(g->p + g->len, p, n);
    g->len += n;
}

/* ---- The client stream the session writes, checked as it is consumed --------------------------- */

#define FUZZ_SENT_MAX 64

typedef struct fuzz_output {
    fuzz_buf pending; /* bytes consumed but not yet parsed */
    int request_done;
    int close_seen;
    /* Payloads we asked tt__ws_send to queue, in order, to compare with the frames. */
    struct fuzz_sent {
        tt_data_type type;
        uint8_t *data;
        size_t length;
    } sent[FUZZ_SENT_MAX];
    size_t sent_count, sent_matched;
} fuzz_output;

/*
 * Skips our request once it has arrived whole: 0 while it is incomplete; else 1 with *pos after it.
 * *request_len is the request's length up to and including its last field's CRLF the one time it
 * completes (so the caller can check it once), and 0 on later calls.
 */
static inline int fuzz_output_request(fuzz_output *o, size_t *pos, size_t *request_len) {
    *pos = 0;
    *request_len = 0;
    if (o->request_done) return 1;
    const uint8_t *b = o->pending.p;
    for (size_t i = 0; i + 4 <= o->pending.len; i++)
        if (memcmp(b + i, "\r\n\r\n", 4) == 0) {
            *pos = i + 4;
            *request_len = i + 2;
            o->request_done = 1;
            return 1;
        }
    return 0;
}

/*
 * The next whole frame of our output at *pos: 1 with its header and its payload unmasked in place, *pos
 * moved past it; 0 when it has not fully arrived. Checks that it parses and that no frame follows our
 * Close.
 */
static inline int fuzz_output_frame(fuzz_output *o, size_t *pos, tt__frame_header *h, uint8_t **payload) {
    uint8_t *b = o->pending.p;
    size_t len = o->pending.len;
    int rc = tt__frame_parse_header(b + *pos, len - *pos, h);
    if (rc == TT_EAGAIN) return 0;
    FUZZ_CHECK(rc > 0, "output frame header does not parse");
    if (len - *pos - (size_t)rc < h->payload_length) return 0;
    FUZZ_CHECK(!o->close_seen, "a frame after our Close");
    *payload = b + *pos + rc;
    tt__mask(*payload, *payload, (size_t)h->payload_length, h->mask, 0);
    *pos += (size_t)rc + (size_t)h->payload_length;
    return 1;
}

/* Our Close: its payload must parse; nothing may follow it. */
static inline void fuzz_output_close(fuzz_output *o, const uint8_t *payload, size_t n) {
    int code;
    const char *reason;
    tt__violation why;
    size_t reason_len;
    FUZZ_CHECK(tt__close_payload_parse(payload, n, &code, &reason, &reason_len, &why) == 0,
               "our Close payload is invalid");
    o->close_seen = 1;
}

/* Our pong: at most 125 bytes. */
static inline void fuzz_output_pong(size_t n) { FUZZ_CHECK(n <= 125, "pong of %zu bytes", n); }

/* A data frame of ours (its payload as sent, after any decompression): the next message we sent. */
static inline void fuzz_output_data(fuzz_output *o, unsigned opcode, const uint8_t *data, size_t n) {
    FUZZ_CHECK(o->sent_matched < o->sent_count, "a data frame we never sent");
    struct fuzz_sent *s = &o->sent[o->sent_matched++];
    FUZZ_CHECK(s->length == n && (n == 0 || memcmp(s->data, data, n) == 0) &&
                   (opcode == TT__OP_TEXT) == (s->type == TT_DATA_TEXT),
               "data frame differs from what we sent (%zu vs %zu bytes)", n, s->length);
}

/* Drops the bytes before pos (the frames parsed so far). */
static inline void fuzz_output_compact(fuzz_output *o, size_t pos) {
    memmove(o->pending.p, o->pending.p + pos, o->pending.len - pos);
    o->pending.len -= pos;
}

/* Remembers a message tt__ws_send accepted, to find it in the output. */
static inline void fuzz_output_expect(fuzz_output *o, tt_data_type type, const uint8_t *data, size_t len) {
    struct fuzz_sent *e = &o->sent[o->sent_count++];
    e->type = type;
    e->length = len;
    e->data = malloc(len ? len : 1);
    memcpy(e->data, data, len);
}

/* Once all output is consumed: every message we sent was found in it. */
static inline void fuzz_output_check_all_sent(const fuzz_output *o) {
    FUZZ_CHECK(o->sent_matched == o->sent_count, "%zu of %zu sent messages reached the output", o->sent_matched,
               o->sent_count);
}

static inline void fuzz_output_free(fuzz_output *o) {
    for (size_t i = 0; i < o->sent_count; i++) free(o->sent[i].data);
    free(o->pending.p);
}

/*
 * Takes up to want bytes of output into o, as the transport would, checking the accounting; the caller
 * parses them next. buffered_may_exceed: bufferedAmount counts payload bytes not yet compressed, so it
 * may exceed the pending output.
 */
static inline void fuzz_output_take(tt__ws *ws, fuzz_output *o, size_t want, int buffered_may_exceed) {
    size_t before;
    const uint8_t *p = tt__ws_output(ws, &before);
    FUZZ_CHECK((before == 0) == (p == NULL), "output pointer/length disagree");
    size_t n = want < before ? want : before;
    if (n) fuzz_buf_put(&o->pending, p, n);
    tt__ws_output_consume(ws, n);
    size_t after;
    tt__ws_output(ws, &after);
    FUZZ_CHECK(after == before - n, "consume %zu of %zu left %zu", n, before, after);
    FUZZ_CHECK(tt__ws_buffered_amount(ws) <= after || buffered_may_exceed, "bufferedAmount %zu > pending output %zu",
               tt__ws_buffered_amount(ws), after);
    if (after == 0) FUZZ_CHECK(tt__ws_buffered_amount(ws) == 0, "bufferedAmount with nothing pending");
}

/* ---- Driving one session -------------------------------------------------------------------------- */

/*
 * The next schedule byte (the schedule is used in turn; 31 when it is empty: the largest chunk, no
 * action) and, in *want, the chunk size its bits 0-4 choose. Bits 5-7 are the action.
 */
static inline uint8_t fuzz_schedule_next(const uint8_t *sched, size_t nsched, size_t *k, size_t *want) {
    uint8_t s = nsched ? sched[*k % nsched] : 31;
    (*k)++;
    *want = fuzz_chunk_sizes[s & 31];
    return s;
}

/*
 * Schedule actions 4 (text) and 5 (binary): sends payload[0 .. (s & 31) * 9 % payload_size) and
 * remembers it when the session is OPEN; otherwise the send must be refused with TT_ESTATE. With
 * check_buffered the send must grow bufferedAmount by exactly its length. The log holds FUZZ_SENT_MAX
 * sends; later ones are skipped.
 */
static inline void fuzz_send_action(tt__ws *ws, fuzz_output *o, uint8_t s, const uint8_t *payload, size_t payload_size,
                                    int check_buffered) {
    if (o->sent_count == FUZZ_SENT_MAX) return;
    tt__ws_state st = tt__ws_get_state(ws);
    size_t buffered = tt__ws_buffered_amount(ws);
    size_t len = (s & 31) * 9 % payload_size;
    tt_data_type type = (s >> 5) == 4 ? TT_DATA_TEXT : TT_DATA_BINARY;
    int src = tt__ws_send(ws, type, payload, len);
    if (st != TT__WS_OPEN) {
        FUZZ_CHECK(src == TT_ESTATE, "send in state %d returned %d", st, src);
    } else {
        FUZZ_CHECK(src == 0, "send returned %d", src);
        if (check_buffered)
            FUZZ_CHECK(tt__ws_buffered_amount(ws) == buffered + len, "bufferedAmount did not grow by %zu", len);
        fuzz_output_expect(o, type, payload, len);
    }
}

/* The recv code checks of any session: a code exactly when FAILED, a documented one, with a detail. */
static inline void fuzz_check_recv_code(tt__ws *ws, int rc, tt__ws_state after) {
    if (rc) {
        FUZZ_CHECK(after == TT__WS_FAILED && tt__ws_error(ws) == rc, "rc %d but state %d", rc, after);
        FUZZ_CHECK(rc == TT_EHANDSHAKE || rc == TT_EFRAME || rc == TT_EUTF8 || rc == TT_ETOOBIG ||
                       rc == TT_EEXTENSION || rc == TT_ENOMEM || rc == TT_ECLOSED,
                   "undocumented recv code %d", rc);
        const char *d = tt__ws_error_detail(ws);
        FUZZ_CHECK(d && d[0], "failure without a detail");
    } else {
        FUZZ_CHECK(after != TT__WS_FAILED, "FAILED with rc 0");
    }
}

/* ---- Chunked run against whole run ----------------------------------------------------------- */

typedef struct fuzz_result {
    uint64_t digest;
    int rc;
    tt__ws_state state;
    int opens, messages, peer_closes;
} fuzz_result;

static inline fuzz_result fuzz_result_of(tt__ws *ws, const fuzz_events *e) {
    fuzz_result r = {e->digest, tt__ws_error(ws), tt__ws_get_state(ws), e->opens, e->messages, e->peer_closes};
    return r;
}

/* Actions never change what is received, except that a session we closed reads CLOSE_SENT (in either
 * run: a target may repeat our Close in the whole run). */
static inline void fuzz_check_same_result(const fuzz_result *chunked, const fuzz_result *whole) {
    FUZZ_CHECK(chunked->opens == whole->opens && chunked->messages == whole->messages &&
                   chunked->peer_closes == whole->peer_closes && chunked->digest == whole->digest,
               "events differ: chunked opens %d messages %d closes %d, whole %d %d %d", chunked->opens,
               chunked->messages, chunked->peer_closes, whole->opens, whole->messages, whole->peer_closes);
    FUZZ_CHECK(chunked->rc == whole->rc, "error differs: chunked %d, whole %d", chunked->rc, whole->rc);
    tt__ws_state cs = chunked->state == TT__WS_CLOSE_SENT ? TT__WS_OPEN : chunked->state;
    tt__ws_state ws = whole->state == TT__WS_CLOSE_SENT ? TT__WS_OPEN : whole->state;
    FUZZ_CHECK(cs == ws, "final state differs: chunked %d, whole %d", chunked->state, whole->state);
}

#endif
