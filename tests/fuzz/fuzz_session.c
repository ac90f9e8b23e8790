/*
 * Fuzz target: the native receive path, the I/O-free session in src/ws.c, driven from bytes.
 *
 * Input layout:
 *   byte 0   options: bits 0-1 offered protocols (0-2 of "chat", "superchat"), bits 2-4 max_message_size
 *            (index into a table), bit 5: skip the valid 101 (the fuzz bytes are the whole answer),
 *            bit 6: the 101 names the offered protocol, bit 7: the 101 is spread over chunk boundaries
 *   byte 1   n: how many schedule bytes follow (0-31)
 *   n bytes  the schedule, used in turn: bits 0-4 choose the next chunk size, bits 5-7 an action done
 *            before feeding it (send text / send binary / close / consume part of the output)
 *   rest     server bytes, after the valid 101 unless bit 5
 *
 * The session gets url ws://a/, a counter for randomness and the test SHA-1; the 101 carries the
 * accept computed from the key read back from the request the session queued. Invariants checked:
 * - the state only moves forward (HANDSHAKE < OPEN < CLOSE_SENT < CLOSED; FAILED from anywhere, and
 *   FAILED is final; from CLOSED only a frame after the peer's Close leads on, to FAILED with
 *   TT_EFRAME and no second Close); tt__ws_recv fails exactly when the state becomes FAILED, with a
 *   documented code, a detail, and the same code again on every later call;
 * - callbacks: at most one on_open, only from HANDSHAKE; messages only after on_open; text is valid
 *   UTF-8; no message exceeds max_message_size; at most one on_peer_close with a code Chromium accepts and a valid
 *   reason; nothing at all after on_peer_close;
 * - output: consumption never exceeds what tt__ws_output offers and shrinks it by exactly that much;
 *   bufferedAmount never exceeds the pending output and is 0 once drained; every byte the session hands
 *   out is a valid client stream (request, then masked final frames with legal opcodes, our messages
 *   byte for byte, at most one Close and nothing after it);
 * - the same server bytes fed in one piece without actions produce the same events and the same error;
 * - everything allocated is freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "fuzz_common.h"
#include "handshake.h"
#include "test_hooks.h"
#include "tt_internal.h"
#include "url.h"
#include "ws.h"

static const char *const protocols[] = {"chat", "superchat"};
static const size_t max_sizes[8] = {0, 1, 16, 125, 126, 1000, 65536, 70000};
static const size_t chunk_sizes[32] = {1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                       16, 17, 24, 31, 32, 33, 64, 100, 127, 128, 200, 256, 512, 1024, 4096, 1u << 20};

/* ---- What the callbacks saw ------------------------------------------------------------------- */

#define EVLOG_MAX 4096

typedef struct session_run {
    tt__ws *ws;
    size_t max_message_size;
    int opens, peer_closes, messages;
    int in_recv;
    /* A digest of the event sequence for the whole-vs-chunked comparison. */
    uint64_t digest;
    int close_code;
} session_run;

static uint64_t digest_mix(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static void on_open(void *ud, const char *protocol, const char *extensions) {
    session_run *r = ud;
    FUZZ_CHECK(r->in_recv, "on_open outside tt__ws_recv");
    FUZZ_CHECK(r->opens == 0 && r->peer_closes == 0, "on_open twice or after peer close");
    FUZZ_CHECK(protocol && extensions, "NULL strings in on_open");
    FUZZ_CHECK(tt__ws_get_state(r->ws) == TT__WS_OPEN, "state %d during on_open", tt__ws_get_state(r->ws));
    r->opens++;
    r->digest = digest_mix(r->digest, "O", 1);
    r->digest = digest_mix(r->digest, protocol, strlen(protocol) + 1);
}

static void on_message(void *ud, tt_data_type type, const uint8_t *data, size_t length) {
    session_run *r = ud;
    FUZZ_CHECK(r->in_recv, "on_message outside tt__ws_recv");
    FUZZ_CHECK(r->opens == 1, "message before on_open");
    FUZZ_CHECK(r->peer_closes == 0, "message after on_peer_close");
    FUZZ_CHECK(type == TT_DATA_TEXT || type == TT_DATA_BINARY, "type %d", type);
    FUZZ_CHECK(length == 0 || data != NULL, "NULL data");
    FUZZ_CHECK(r->max_message_size == 0 || length <= r->max_message_size, "message of %zu bytes, limit %zu", length,
               r->max_message_size);
    if (type == TT_DATA_TEXT) FUZZ_CHECK(ref_utf8_valid(data, length), "text message is not valid UTF-8");
    r->messages++;
    uint64_t len64 = length;
    r->digest = digest_mix(r->digest, type == TT_DATA_TEXT ? "T" : "B", 1);
    r->digest = digest_mix(r->digest, &len64, sizeof len64);
    r->digest = digest_mix(r->digest, data, length);
}

static void on_peer_close(void *ud, int code, const char *reason, size_t reason_length) {
    session_run *r = ud;
    FUZZ_CHECK(r->in_recv, "on_peer_close outside tt__ws_recv");
    FUZZ_CHECK(r->opens == 1, "peer close before on_open");
    FUZZ_CHECK(r->peer_closes == 0, "on_peer_close twice");
    FUZZ_CHECK(code >= 0 && code <= 65535 && code != 1006 && code != 1015, "peer close code %d", code);
    FUZZ_CHECK(code != 1005 || reason_length == 0, "reason without a code");
    FUZZ_CHECK(reason_length <= 123 && ref_utf8_valid((const uint8_t *)reason, reason_length), "bad reason");
    r->peer_closes++;
    r->close_code = code;
    r->digest = digest_mix(r->digest, "C", 1);
    r->digest = digest_mix(r->digest, &code, sizeof code);
    r->digest = digest_mix(r->digest, reason, reason_length);
}

/* ---- The client stream the session writes, checked as it is consumed --------------------------- */

typedef struct out_check {
    uint8_t *buf;   /* bytes consumed but not yet parsed */
    size_t len, cap;
    int request_done;
    int close_seen;
    /* Payloads we asked tt__ws_send to queue, in order, to compare with the frames. */
    struct sent {
        tt_data_type type;
        uint8_t *data;
        size_t length;
    } sent[64];
    size_t sent_count, sent_matched;
} out_check;

static void out_append(out_check *o, const uint8_t *p, size_t n) {
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + n) cap *= 2;
        o->buf = realloc(o->buf, cap);
        o->cap = cap;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void out_parse(out_check *o) {
    size_t pos = 0;
    if (!o->request_done) {
        for (size_t i = 0; i + 4 <= o->len; i++)
            if (memcmp(o->buf + i, "\r\n\r\n", 4) == 0) {
                pos = i + 4;
                o->request_done = 1;
                break;
            }
        if (!o->request_done) return;
    }
    for (;;) {
        tt__frame_header h;
        int rc = tt__frame_parse_header(o->buf + pos, o->len - pos, &h);
        if (rc == TT_EAGAIN) break;
        FUZZ_CHECK(rc > 0, "output frame header does not parse");
        if (o->len - pos - (size_t)rc < h.payload_length) break;
        FUZZ_CHECK(!o->close_seen, "a frame after our Close");
        FUZZ_CHECK(h.masked && h.fin && h.rsv == 0, "output frame not masked/final/plain");
        FUZZ_CHECK(h.opcode == TT__OP_TEXT || h.opcode == TT__OP_BINARY || h.opcode == TT__OP_CLOSE ||
                       h.opcode == TT__OP_PONG,
                   "output opcode %u", h.opcode);
        uint8_t *payload = o->buf + pos + rc;
        size_t n = (size_t)h.payload_length;
        tt__mask(payload, payload, n, h.mask, 0);
        if (h.opcode == TT__OP_CLOSE) {
            int code;
            const char *reason, *detail;
            size_t reason_len;
            FUZZ_CHECK(tt__close_payload_parse(payload, n, &code, &reason, &reason_len, &detail) == 0,
                       "our Close payload is invalid");
            o->close_seen = 1;
        } else if (h.opcode == TT__OP_PONG) {
            FUZZ_CHECK(n <= 125, "pong of %zu bytes", n);
        } else {
            FUZZ_CHECK(o->sent_matched < o->sent_count, "a data frame we never sent");
            struct sent *s = &o->sent[o->sent_matched++];
            FUZZ_CHECK(s->length == n && (n == 0 || memcmp(s->data, payload, n) == 0) &&
                           (h.opcode == TT__OP_TEXT) == (s->type == TT_DATA_TEXT),
                       "data frame differs from what we sent");
        }
        pos += (size_t)rc + n;
    }
    memmove(o->buf, o->buf + pos, o->len - pos);
    o->len -= pos;
}

static void out_free(out_check *o) {
    for (size_t i = 0; i < o->sent_count; i++) free(o->sent[i].data);
    free(o->buf);
}

/* Consumes up to want bytes of output, checking the accounting. */
static void consume(tt__ws *ws, out_check *o, size_t want) {
    size_t before;
    const uint8_t *p = tt__ws_output(ws, &before);
    FUZZ_CHECK((before == 0) == (p == NULL), "output pointer/length disagree");
    size_t n = want < before ? want : before;
    if (n) out_append(o, p, n);
    tt__ws_output_consume(ws, n);
    size_t after;
    tt__ws_output(ws, &after);
    FUZZ_CHECK(after == before - n, "consume %zu of %zu left %zu", n, before, after);
    FUZZ_CHECK(tt__ws_buffered_amount(ws) <= after, "bufferedAmount %zu > pending output %zu",
               tt__ws_buffered_amount(ws), after);
    if (after == 0) FUZZ_CHECK(tt__ws_buffered_amount(ws) == 0, "bufferedAmount with nothing pending");
    out_parse(o);
}

/* ---- Driving one session -------------------------------------------------------------------------- */

static tt__ws *session_open(session_run *r, size_t protocol_count, size_t max_message_size) {
    static tt__url url;
    static int url_ready;
    if (!url_ready) {
        FUZZ_CHECK(tt__url_parse("ws://a/", 7, &url) == 0, "url");
        url_ready = 1;
    }
    tt_test_hooks_install(0x42);
    memset(r, 0, sizeof *r);
    r->max_message_size = max_message_size;
    r->digest = 1469598103934665603ull;
    tt__ws_options o;
    memset(&o, 0, sizeof o);
    o.url = &url;
    o.protocols = protocols;
    o.protocol_count = protocol_count;
    o.max_message_size = max_message_size;
    o.callbacks.on_open = on_open;
    o.callbacks.on_message = on_message;
    o.callbacks.on_peer_close = on_peer_close;
    o.user_data = r;
    r->ws = tt__ws_new(&o);
    FUZZ_CHECK(r->ws != NULL, "tt__ws_new failed");
    FUZZ_CHECK(tt__ws_get_state(r->ws) == TT__WS_HANDSHAKE, "initial state");
    return r->ws;
}

static int state_rank(tt__ws_state s) { return (int)s; }

/*
 * One tt__ws_recv with every invariant around it. Returns the code. direct: the bytes were already copied
 * to the buffer tt__ws_recv_buffer() offered and go in through tt__ws_recv_direct(), as the native
 * transport reads large payloads.
 */
static int recv_checked(session_run *r, const uint8_t *p, size_t n, int direct) {
    tt__ws_state before = tt__ws_get_state(r->ws);
    int was_failed_code = tt__ws_error(r->ws);
    int peer_closes = r->peer_closes, opens = r->opens, messages = r->messages;
    r->in_recv = 1;
    int rc = direct ? tt__ws_recv_direct(r->ws, n) : tt__ws_recv(r->ws, p, n);
    r->in_recv = 0;
    tt__ws_state after = tt__ws_get_state(r->ws);
    if (before == TT__WS_FAILED) {
        FUZZ_CHECK(after == TT__WS_FAILED && rc == was_failed_code, "FAILED session answered %d", rc);
        FUZZ_CHECK(r->opens == opens && r->messages == messages && r->peer_closes == peer_closes,
                   "callbacks after FAILED");
    } else if (before == TT__WS_CLOSED) {
        /* After the peer's Close a whole further frame header fails the connection (as Chromium does). */
        FUZZ_CHECK((after == TT__WS_CLOSED && rc == 0) || (after == TT__WS_FAILED && rc == TT_EFRAME),
                   "CLOSED session changed (state %d rc %d)", after, rc);
        FUZZ_CHECK(r->opens == opens && r->messages == messages && r->peer_closes == peer_closes,
                   "callbacks after CLOSED");
    } else {
        FUZZ_CHECK(after == TT__WS_FAILED || state_rank(after) >= state_rank(before), "state went %d -> %d", before,
                   after);
    }
    if (peer_closes) FUZZ_CHECK(r->opens == opens && r->messages == messages && r->peer_closes == peer_closes,
                                "callbacks after on_peer_close");
    if (rc) {
        FUZZ_CHECK(after == TT__WS_FAILED && tt__ws_error(r->ws) == rc, "rc %d but state %d", rc, after);
        FUZZ_CHECK(rc == TT_EHANDSHAKE || rc == TT_EFRAME || rc == TT_EUTF8 || rc == TT_ETOOBIG ||
                       rc == TT_EEXTENSION || rc == TT_ENOMEM,
                   "undocumented recv code %d", rc);
        const char *d = tt__ws_error_detail(r->ws);
        FUZZ_CHECK(d && d[0], "failure without a detail");
        FUZZ_CHECK(tt__ws_recv(r->ws, p, n) == rc, "second recv after failure differs");
        FUZZ_CHECK(tt__ws_recv(r->ws, NULL, 0) == rc, "empty recv after failure differs");
    } else {
        FUZZ_CHECK(after != TT__WS_FAILED, "FAILED with rc 0");
        FUZZ_CHECK(tt__ws_error(r->ws) == 0 && tt__ws_error_detail(r->ws)[0] == '\0', "error set while healthy");
    }
    if (r->peer_closes)
        FUZZ_CHECK(after == TT__WS_CLOSED || (after == TT__WS_FAILED && tt__ws_error(r->ws) == TT_EFRAME),
                   "peer closed but state %d", after);
    if (after == TT__WS_OPEN || after == TT__WS_CLOSE_SENT || after == TT__WS_CLOSED)
        FUZZ_CHECK(r->opens == 1, "state %d without on_open", after);
    return rc;
}

/* Reads the Sec-WebSocket-Key from the request the session queued and builds a valid 101. */
static size_t make_101(tt__ws *ws, char *buf, size_t cap, const char *protocol) {
    size_t len;
    const uint8_t *out = tt__ws_output(ws, &len);
    FUZZ_CHECK(out && len > 20 && memcmp(out, "GET / HTTP/1.1\r\nHost: a\r\n", 25) == 0, "request line");
    FUZZ_CHECK(memcmp(out + len - 4, "\r\n\r\n", 4) == 0, "request does not end with an empty line");
    const char *field = "Sec-WebSocket-Key: ";
    const uint8_t *k = NULL;
    for (size_t i = 0; i + strlen(field) + 24 <= len; i++)
        if (memcmp(out + i, field, strlen(field)) == 0) {
            k = out + i + strlen(field);
            break;
        }
    FUZZ_CHECK(k != NULL && k[24] == '\r', "no key in the request");
    char key[25], accept[29];
    memcpy(key, k, 24);
    key[24] = '\0';
    tt__handshake_accept(key, accept);
    int n = snprintf(buf, cap,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n%s%s%s\r\n",
                     accept, protocol ? "Sec-WebSocket-Protocol: " : "", protocol ? protocol : "",
                     protocol ? "\r\n" : "");
    return (size_t)n;
}

typedef struct result {
    uint64_t digest;
    int rc;
    tt__ws_state state;
    int opens, messages, peer_closes;
} result;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    uint8_t opt = data[0];
    size_t nsched = data[1] & 31;
    if (size < 2 + nsched) return 0;
    const uint8_t *sched = data + 2;
    const uint8_t *server = data + 2 + nsched;
    size_t server_len = size - 2 - nsched;
    size_t protocol_count = opt & 3;
    if (protocol_count > 2) protocol_count = 2;
    size_t max_message_size = max_sizes[(opt >> 2) & 7];
    int raw = (opt >> 5) & 1;
    const char *protocol = ((opt >> 6) & 1) && protocol_count ? protocols[protocol_count - 1] : NULL;
    if (!protocol && protocol_count) protocol = protocols[0];

    long live_before = tt__alloc_live();

    /* ---- Run 1: chunked, with actions between chunks. */
    session_run r;
    out_check oc;
    memset(&oc, 0, sizeof oc);
    tt__ws *ws = session_open(&r, protocol_count, max_message_size);
    char head[512];
    size_t head_len = raw ? 0 : make_101(ws, head, sizeof head, protocol);
    size_t stream_len = head_len + server_len;
    uint8_t *stream = malloc(stream_len ? stream_len : 1);
    memcpy(stream, head, head_len);
    memcpy(stream + head_len, server, server_len);

    size_t pos = 0, k = 0;
    int rc = 0;
    uint8_t payload[300];
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)('a' + i % 26);
    while (pos < stream_len) {
        uint8_t s = nsched ? sched[k % nsched] : 31;
        k++;
        size_t want = chunk_sizes[s & 31];
        unsigned action = s >> 5;
        tt__ws_state st = tt__ws_get_state(ws);
        size_t buffered = tt__ws_buffered_amount(ws);
        switch (action) {
        case 4:
        case 5: { /* send text / binary; length from the chunk-size bits */
            if (oc.sent_count == 64) break; /* the fixture remembers 64 sends */
            size_t len = (s & 31) * 9 % sizeof payload;
            tt_data_type type = action == 4 ? TT_DATA_TEXT : TT_DATA_BINARY;
            int src = tt__ws_send(ws, type, payload, len);
            if (st != TT__WS_OPEN) {
                FUZZ_CHECK(src == TT_ESTATE, "send in state %d returned %d", st, src);
            } else {
                FUZZ_CHECK(src == 0, "send returned %d", src);
                FUZZ_CHECK(tt__ws_buffered_amount(ws) == buffered + len, "bufferedAmount did not grow by %zu", len);
                struct sent *e = &oc.sent[oc.sent_count++];
                e->type = type;
                e->length = len;
                e->data = malloc(len ? len : 1);
                memcpy(e->data, payload, len);
            }
            break;
        }
        case 6: { /* close */
            static const int codes[4] = {1000, 1001, 3000, 4999};
            int crc = tt__ws_close(ws, codes[s & 3], "bye", (s & 4) ? 3 : 0);
            if (st != TT__WS_OPEN) FUZZ_CHECK(crc == TT_ESTATE, "close in state %d returned %d", st, crc);
            else FUZZ_CHECK(crc == 0 && tt__ws_get_state(ws) == TT__WS_CLOSE_SENT, "close: rc %d state %d", crc,
                            tt__ws_get_state(ws));
            break;
        }
        case 7: /* the transport writes some of the output */
            consume(ws, &oc, (size_t)(s & 31) * 7);
            break;
        default:
            break;
        }
        if (!raw && (opt & 0x80) == 0 && pos == 0) want = head_len + (want < server_len ? want : server_len);
        if (want > stream_len - pos) want = stream_len - pos;
        int direct = 0;
        if (action == 1 || action == 2) { /* read into the engine's buffer when it offers one */
            size_t room = 0;
            uint8_t *dst = tt__ws_recv_buffer(ws, action == 1 ? 1 : 64, &room);
            FUZZ_CHECK((dst != NULL) == (room > 0), "recv buffer %p with room %zu", (void *)dst, room);
            if (dst) {
                if (want > room) want = room;
                memcpy(dst, stream + pos, want);
                direct = 1;
            }
        }
        rc = recv_checked(&r, stream + pos, want, direct);
        pos += want;
        if (rc) break;
    }
    consume(ws, &oc, (size_t)-1);
    FUZZ_CHECK(oc.sent_matched == oc.sent_count, "%zu of %zu sent messages reached the output", oc.sent_matched,
               oc.sent_count);
    FUZZ_CHECK(tt__ws_memory(ws) > 0, "memory");
    result chunked = {r.digest, tt__ws_error(ws), tt__ws_get_state(ws), r.opens, r.messages, r.peer_closes};
    tt__ws_free(ws);
    out_free(&oc);

    /* ---- Run 2: the same server bytes in one piece, no actions. */
    session_run w;
    ws = session_open(&w, protocol_count, max_message_size);
    if (!raw) {
        char head2[512];
        size_t h2 = make_101(ws, head2, sizeof head2, protocol);
        FUZZ_CHECK(h2 == head_len && memcmp(head2, head, h2) == 0, "the 101 is not deterministic");
    }
    if (stream_len) recv_checked(&w, stream, stream_len, 0);
    result whole = {w.digest, tt__ws_error(ws), tt__ws_get_state(ws), w.opens, w.messages, w.peer_closes};
    tt__ws_free(ws);
    free(stream);

    /* Actions never change what is received, except that a session we closed reads CLOSE_SENT. */
    FUZZ_CHECK(chunked.opens == whole.opens && chunked.messages == whole.messages &&
                   chunked.peer_closes == whole.peer_closes && chunked.digest == whole.digest,
               "events differ: chunked opens %d messages %d closes %d, whole %d %d %d", chunked.opens,
               chunked.messages, chunked.peer_closes, whole.opens, whole.messages, whole.peer_closes);
    FUZZ_CHECK(chunked.rc == whole.rc, "error differs: chunked %d, whole %d", chunked.rc, whole.rc);
    tt__ws_state cs = chunked.state == TT__WS_CLOSE_SENT ? TT__WS_OPEN : chunked.state;
    FUZZ_CHECK(cs == whole.state, "final state differs: chunked %d, whole %d", chunked.state, whole.state);

    FUZZ_CHECK(tt__alloc_live() == live_before, "leak: %ld blocks live, %ld before", tt__alloc_live(), live_before);
    return 0;
}
