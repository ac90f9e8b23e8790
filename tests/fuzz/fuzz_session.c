/*
 * Fuzz target: the native receive path, the I/O-free session in src/ws.c, driven from bytes.
 *
 * Input layout:
 *   byte 0   options: bits 0-1 offered protocols (0-2 of "chat", "superchat"), bits 2-4 max_message_size
 *            (index into a table), bit 5: skip the valid 101 (the fuzz bytes are the whole answer),
 *            bit 6: the 101 names the offered protocol, bit 7: the 101 is spread over chunk boundaries
 *   byte 1   n: how many schedule bytes follow (0-31)
 *   n bytes  the schedule, used in turn: bits 0-4 choose the next chunk size, bits 5-7 an action done
 *            before feeding it (send text / send binary / close / consume part of the output / the game
 *            took the messages, tt__ws_delivered)
 *   rest     server bytes, after the valid 101 unless bit 5 of byte 0
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
 * - the Close hold (Chromium's rule, see ws.c; the session gets close_hold_bytes FUZZ_CLOSE_HOLD_BYTES
 *   instead of Chromium's 131000, so that small inputs reach it): a peer's Close is answered inside
 *   tt__ws_recv only when we had sent ours or at most that many message bytes were handed up since the
 *   last tt__ws_delivered(); otherwise tt__ws_delivered() answers it (returns 1: CLOSED, one
 *   on_peer_close, no message), and it returns 0 with nothing changed when no Close was held; both runs
 *   end with it;
 * - output: consumption never exceeds what tt__ws_output offers and shrinks it by exactly that much;
 *   bufferedAmount never exceeds the pending output and is 0 once drained; every byte the session hands
 *   out is a valid client stream (request, then masked final frames with legal opcodes, our messages
 *   byte for byte, at most one Close and nothing after it);
 * - the same server bytes fed in as few pieces as possible produce the same events and the same error.
 *   Two actions of run 1 decide whether a peer's Close is held (our own Close, after which it never is,
 *   and tt__ws_delivered(), which starts a new pass of reads), so run 2 repeats those two at the same
 *   stream offsets and reads everything between them in one piece; every other action (sends, output
 *   consumed) must not change what is received;
 * - everything allocated is freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_session_common.h"

static const char *const protocols[] = {"chat", "superchat"};
static const size_t max_sizes[8] = {0, 1, 16, 125, 126, 1000, 65536, 70000};

/* ---- What the callbacks saw ------------------------------------------------------------------- */

/* The hold threshold the sessions get (Chromium's 131000 would need inputs of that size). */
#define FUZZ_CLOSE_HOLD_BYTES ((size_t)40)

typedef struct session_run {
    fuzz_events ev; /* first, so the callbacks' user data is also a fuzz_events */
    int close_code;
    size_t handed;      /* message bytes since the last tt__ws_delivered() */
    size_t handed_held; /* ... when tt__ws_delivered() was called */
    int closed_by_us;   /* tt__ws_close() succeeded */
    int in_delivered;
} session_run;

static void on_open(void *ud, const char *protocol, const char *extensions) {
    session_run *r = ud;
    FUZZ_CHECK(r->ev.in_recv, "on_open outside tt__ws_recv");
    FUZZ_CHECK(r->ev.opens == 0 && r->ev.peer_closes == 0, "on_open twice or after peer close");
    FUZZ_CHECK(protocol && extensions, "NULL strings in on_open");
    fuzz_record_open(&r->ev, protocol);
}

static void on_message(void *ud, tt_data_type type, const uint8_t *data, size_t length) {
    session_run *r = ud;
    fuzz_check_message(&r->ev, type, data, length);
    fuzz_record_message(&r->ev, type, data, length);
    r->handed += length;
}

static void on_peer_close(void *ud, int code, const char *reason, size_t reason_length) {
    session_run *r = ud;
    fuzz_check_peer_close(&r->ev, code, reason, reason_length);
    FUZZ_CHECK(code != 1005 || reason_length == 0, "reason without a code");
    if (r->in_delivered)
        FUZZ_CHECK(r->handed_held > FUZZ_CLOSE_HOLD_BYTES, "a Close held behind %zu bytes", r->handed_held);
    else
        FUZZ_CHECK(r->closed_by_us || r->handed <= FUZZ_CLOSE_HOLD_BYTES, "Close answered behind %zu bytes", r->handed);
    r->close_code = code;
    fuzz_record_peer_close(&r->ev, code, reason, reason_length);
}

/* ---- The client stream the session writes, checked as it is consumed --------------------------- */

static void out_parse(fuzz_output *o) {
    size_t pos;
    size_t request_len;
    if (!fuzz_output_request(o, &pos, &request_len)) return;
    tt__frame_header h;
    uint8_t *payload;
    while (fuzz_output_frame(o, &pos, &h, &payload)) {
        FUZZ_CHECK(h.masked && h.fin && h.rsv == 0, "output frame not masked/final/plain");
        FUZZ_CHECK(h.opcode == TT__OP_TEXT || h.opcode == TT__OP_BINARY || h.opcode == TT__OP_CLOSE ||
                       h.opcode == TT__OP_PONG,
                   "output opcode %u", h.opcode);
        size_t n = (size_t)h.payload_length;
        if (h.opcode == TT__OP_CLOSE) fuzz_output_close(o, payload, n);
        else if (h.opcode == TT__OP_PONG) fuzz_output_pong(n);
        else fuzz_output_data(o, h.opcode, payload, n);
    }
    fuzz_output_compact(o, pos);
}

/* Consumes up to want bytes of output, checking the accounting. */
static void consume(tt__ws *ws, fuzz_output *o, size_t want) {
    fuzz_output_take(ws, o, want, 0);
    out_parse(o);
}

/* ---- Driving one session -------------------------------------------------------------------------- */

static tt__ws *session_open(session_run *r, size_t protocol_count, size_t max_message_size) {
    memset(r, 0, sizeof *r);
    tt__ws_options o = {.protocols = protocols,
                        .protocol_count = protocol_count,
                        .close_hold_bytes = FUZZ_CLOSE_HOLD_BYTES,
                        .callbacks = {.on_open = on_open, .on_message = on_message, .on_peer_close = on_peer_close}};
    return fuzz_session_start(&r->ev, &o, max_message_size);
}

static int state_rank(tt__ws_state s) { return (int)s; }

/*
 * One tt__ws_recv with every invariant around it. Returns the code. direct: the bytes were already copied
 * to the buffer tt__ws_recv_buffer() offered and go in through tt__ws_recv_direct(), as the native
 * transport reads large payloads.
 */
static int recv_checked(session_run *r, const uint8_t *p, size_t n, int direct) {
    fuzz_events *e = &r->ev;
    tt__ws_state before = tt__ws_get_state(e->ws);
    int was_failed_code = tt__ws_error(e->ws);
    int peer_closes = e->peer_closes, opens = e->opens, messages = e->messages;
    e->in_recv = 1;
    int rc = direct ? tt__ws_recv_direct(e->ws, n) : tt__ws_recv(e->ws, p, n);
    e->in_recv = 0;
    tt__ws_state after = tt__ws_get_state(e->ws);
    if (before == TT__WS_FAILED) {
        FUZZ_CHECK(after == TT__WS_FAILED && rc == was_failed_code, "FAILED session answered %d", rc);
        FUZZ_CHECK(e->opens == opens && e->messages == messages && e->peer_closes == peer_closes,
                   "callbacks after FAILED");
    } else if (before == TT__WS_CLOSED) {
        /* After the peer's Close a whole further frame header fails the connection (as Chromium does), or
         * drops it when it announces 2^31 bytes or more. */
        FUZZ_CHECK((after == TT__WS_CLOSED && rc == 0) ||
                       (after == TT__WS_FAILED && (rc == TT_EFRAME || rc == TT_ECLOSED)),
                   "CLOSED session changed (state %d rc %d)", after, rc);
        FUZZ_CHECK(e->opens == opens && e->messages == messages && e->peer_closes == peer_closes,
                   "callbacks after CLOSED");
    } else {
        FUZZ_CHECK(after == TT__WS_FAILED || state_rank(after) >= state_rank(before), "state went %d -> %d", before,
                   after);
    }
    if (peer_closes)
        FUZZ_CHECK(e->opens == opens && e->messages == messages && e->peer_closes == peer_closes,
                   "callbacks after on_peer_close");
    fuzz_check_recv_code(e->ws, rc, after);
    if (rc) {
        FUZZ_CHECK(tt__ws_recv(e->ws, p, n) == rc, "second recv after failure differs");
        FUZZ_CHECK(tt__ws_recv(e->ws, NULL, 0) == rc, "empty recv after failure differs");
    } else {
        FUZZ_CHECK(tt__ws_error(e->ws) == 0 && tt__ws_error_detail(e->ws)[0] == '\0', "error set while healthy");
    }
    if (e->peer_closes)
        FUZZ_CHECK(after == TT__WS_CLOSED || (after == TT__WS_FAILED &&
                                              (tt__ws_error(e->ws) == TT_EFRAME || tt__ws_error(e->ws) == TT_ECLOSED)),
                   "peer closed but state %d", after);
    FUZZ_CHECK(tt__ws_peer_closed(e->ws) == (e->peer_closes > 0), "peer_closed disagrees with on_peer_close");
    if (after == TT__WS_OPEN || after == TT__WS_CLOSE_SENT || after == TT__WS_CLOSED)
        FUZZ_CHECK(e->opens == 1, "state %d without on_open", after);
    return rc;
}

/* The transport's call after a pass of reads, with the hold invariants around it. */
static int delivered_checked(session_run *r) {
    fuzz_events *e = &r->ev;
    tt__ws_state before = tt__ws_get_state(e->ws);
    int peer_closes = e->peer_closes, opens = e->opens, messages = e->messages;
    r->handed_held = r->handed;
    r->in_delivered = 1;
    e->in_recv = 1; /* its on_peer_close is an engine callback like those from tt__ws_recv */
    int rc = tt__ws_delivered(e->ws);
    e->in_recv = 0;
    r->in_delivered = 0;
    r->handed = 0;
    tt__ws_state after = tt__ws_get_state(e->ws);
    FUZZ_CHECK(e->opens == opens && e->messages == messages, "tt__ws_delivered made a message");
    if (rc == 1) {
        FUZZ_CHECK((before == TT__WS_OPEN || before == TT__WS_CLOSE_SENT) && after == TT__WS_CLOSED &&
                       e->peer_closes == peer_closes + 1,
                   "held Close answered: state %d -> %d, closes %d -> %d", before, after, peer_closes, e->peer_closes);
    } else if (rc == 0) {
        FUZZ_CHECK(after == before && e->peer_closes == peer_closes, "nothing held, but state %d -> %d", before, after);
    } else {
        FUZZ_CHECK(rc == TT_ENOMEM && after == TT__WS_FAILED, "tt__ws_delivered: rc %d state %d", rc, after);
    }
    return rc;
}

/*
 * The actions of run 1 that change how a peer's Close is held, with the stream offset before which they
 * happened, for run 2 to repeat at the same offsets (see the header comment).
 */
typedef struct hold_action {
    size_t pos;
    int close_code; /* our Close with this code and reason_length; 0: tt__ws_delivered() */
    size_t reason_length;
} hold_action;

typedef struct hold_log {
    hold_action *a;
    size_t count;
} hold_log;

static void hold_log_add(hold_log *log, size_t pos, int close_code, size_t reason_length) {
    log->a[log->count++] = (hold_action){pos, close_code, reason_length};
}

/*
 * Run 2: the stream read in one piece between the offsets of log, each action repeated there. Our Close
 * must succeed as it did in run 1 (the session has seen the same bytes); returns the session's code.
 */
static int replay_whole(session_run *w, const uint8_t *stream, size_t stream_len, const hold_log *log) {
    size_t pos = 0;
    for (size_t i = 0; i <= log->count; i++) {
        size_t end = i < log->count ? log->a[i].pos : stream_len;
        if (end > pos) {
            int rc = recv_checked(w, stream + pos, end - pos, 0);
            if (rc) return rc;
            pos = end;
        }
        if (i == log->count) break;
        if (log->a[i].close_code) {
            int crc = tt__ws_close(w->ev.ws, log->a[i].close_code, "bye", log->a[i].reason_length);
            FUZZ_CHECK(crc == 0, "our Close at offset %zu succeeded in pieces but returned %d whole", pos, crc);
            w->closed_by_us = 1;
        } else if (delivered_checked(w) < 0) {
            return TT_ENOMEM;
        }
    }
    return delivered_checked(w) < 0 ? TT_ENOMEM : 0;
}

/* Builds a valid 101 for the request the session queued, naming protocol when it is not NULL. */
static size_t make_101(tt__ws *ws, char *buf, size_t cap, const char *protocol) {
    size_t len;
    const uint8_t *out = tt__ws_output(ws, &len);
    FUZZ_CHECK(out && len > 20 && memcmp(out, "GET / HTTP/1.1\r\nHost: a\r\n", 25) == 0, "request line");
    FUZZ_CHECK(memcmp(out + len - 4, "\r\n\r\n", 4) == 0, "request does not end with an empty line");
    char accept[29];
    fuzz_accept_for_request(ws, accept);
    int n = snprintf(buf, cap, FUZZ_101_HEAD "%s%s%s\r\n", accept, protocol ? "Sec-WebSocket-Protocol: " : "",
                     protocol ? protocol : "", protocol ? "\r\n" : "");
    return (size_t)n;
}

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
    fuzz_output oc;
    memset(&oc, 0, sizeof oc);
    tt__ws *ws = session_open(&r, protocol_count, max_message_size);
    char head[512];
    size_t head_len = raw ? 0 : make_101(ws, head, sizeof head, protocol);
    size_t stream_len = head_len + server_len;
    uint8_t *stream = malloc(stream_len ? stream_len : 1);
    memcpy(stream, head, head_len);
    memcpy(stream + head_len, server, server_len);

    /* Every pass of the loop reads at least one byte, so at most stream_len + 1 actions are logged. */
    hold_log log = {malloc((stream_len + 1) * sizeof *log.a), 0};
    size_t pos = 0, k = 0;
    int rc = 0;
    uint8_t payload[300];
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)('a' + i % 26);
    while (pos < stream_len) {
        size_t want;
        uint8_t s = fuzz_schedule_next(sched, nsched, &k, &want);
        unsigned action = s >> 5;
        tt__ws_state st = tt__ws_get_state(ws);
        switch (action) {
        case 4:
        case 5: /* send text / binary; length from the chunk-size bits; bufferedAmount grows by it */
            fuzz_send_action(ws, &oc, s, payload, sizeof payload, 1);
            break;
        case 6: { /* close */
            static const int codes[4] = {1000, 1001, 3000, 4999};
            int crc = tt__ws_close(ws, codes[s & 3], "bye", (s & 4) ? 3 : 0);
            if (st != TT__WS_OPEN) FUZZ_CHECK(crc == TT_ESTATE, "close in state %d returned %d", st, crc);
            else
                FUZZ_CHECK(crc == 0 && tt__ws_get_state(ws) == TT__WS_CLOSE_SENT, "close: rc %d state %d", crc,
                           tt__ws_get_state(ws));
            if (crc == 0) {
                r.closed_by_us = 1;
                hold_log_add(&log, pos, codes[s & 3], (s & 4) ? 3 : 0);
            }
            break;
        }
        case 3: /* the game took the messages */
            hold_log_add(&log, pos, 0, 0);
            if (delivered_checked(&r) < 0) rc = TT_ENOMEM;
            break;
        case 7: /* the transport writes some of the output */ consume(ws, &oc, (size_t)(s & 31) * 7); break;
        default: break;
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
        if (rc) break;
        rc = recv_checked(&r, stream + pos, want, direct);
        pos += want;
        if (rc) break;
    }
    if (!rc) (void)delivered_checked(&r);
    consume(ws, &oc, (size_t)-1);
    fuzz_output_check_all_sent(&oc);
    FUZZ_CHECK(tt__ws_memory(ws) > 0, "memory");
    fuzz_result chunked = fuzz_result_of(ws, &r.ev);
    tt__ws_free(ws);
    fuzz_output_free(&oc);

    /* ---- Run 2: the same server bytes in one piece between run 1's Close and tt__ws_delivered(). */
    session_run w;
    ws = session_open(&w, protocol_count, max_message_size);
    if (!raw) {
        char head2[512];
        size_t h2 = make_101(ws, head2, sizeof head2, protocol);
        FUZZ_CHECK(h2 == head_len && memcmp(head2, head, h2) == 0, "the 101 is not deterministic");
    }
    (void)replay_whole(&w, stream, stream_len, &log);
    fuzz_result whole = fuzz_result_of(ws, &w.ev);
    tt__ws_free(ws);
    free(stream);
    free(log.a);

    fuzz_check_same_result(&chunked, &whole);

    FUZZ_CHECK(tt__alloc_live() == live_before, "leak: %ld blocks live, %ld before", tt__alloc_live(), live_before);
    return 0;
}
