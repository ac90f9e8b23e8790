/*
 * Fuzz target: the session of src/ws.c with permessage-deflate negotiated (src/deflate.c over zlib).
 * Built by build.sh with src/deflate.c and -lz instead of src/deflate_none.c (every fuzz_*_deflate.c).
 *
 * Input layout:
 *   byte 0   options: bits 0-2 max_message_size (index into a table), bit 3 compose mode (see below),
 *            bit 4 the 101 is fed in its own chunks, bit 5 free-form extension parameters (byte 3 on)
 *   byte 1   parameters: bit 0 server_no_context_takeover, bit 1 client_no_context_takeover,
 *            bit 2 server_max_window_bits present, bit 3 client_max_window_bits present,
 *            bit 4 the server answers the extension twice (must be refused)
 *   byte 2   window bits: 8 + (b & 7) for the server, 8 + ((b >> 4) & 7) for the client
 *   [bit 5]  one length byte n (0-63) and n bytes appended verbatim after "permessage-deflate"
 *            (CR, LF and NUL become spaces): the extension parser gets arbitrary parameters
 *   byte     nsched (0-31), then nsched schedule bytes as in fuzz_session.c: bits 0-4 chunk size,
 *            bits 5-7 action before the chunk (4 send text, 5 send binary, 6 close, 7 consume output)
 *   rest     raw server bytes after the 101 (compose off), or records (compose on):
 *              flags, length (0-255), payload[length]
 *              flags bits 0-1 kind: 0 start of a message (bit 2: text), 1 continuation, 2 ping, 3 close
 *                    bit 3 FIN, bit 4 compress the message (start only), bit 5 corrupt the compressed bytes
 *            The harness compresses with its own zlib stream (the negotiated server window and
 *            context takeover), strips the 00 00 ff ff tail of the message's last fragment and writes
 *            unmasked frames: the fuzzer reaches valid compressed messages without finding DEFLATE.
 *
 * Invariants (on top of the generic session ones, see fuzz_session.c):
 * - on_open reports exactly the extension value the server sent; the request offered Chromium's offer;
 * - in compose mode every delivered message equals the next composed message byte for byte; when the
 *   composed stream is well formed (no corruption, text valid UTF-8, within the size limit, sensible
 *   fragmentation) every composed message arrives and nothing fails;
 * - every message we send goes out as one final frame with RSV1 whose payload inflates (zlib, with
 *   00 00 ff ff appended) to exactly what we sent;
 * - the same bytes in one piece give the same events and error; everything allocated is freed. Our own
 *   Close decides whether a peer's Close is held behind a burst of messages (after ours it never is), so
 *   the whole run makes it too, at the stream offset run 1 made it: the bytes before it in one piece,
 *   then the rest.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz_session_common.h"

static const size_t max_sizes[8] = {0, 1, 16, 125, 200, 1000, 65536, 300000};

/* ---- Events ------------------------------------------------------------------------------------- */

#define MAX_EXPECT 256

typedef struct expected_msg {
    tt_data_type type;
    uint8_t *data;
    size_t len;
} expected_msg;

typedef struct session_run {
    fuzz_events ev;              /* first, so the callbacks' user data is also a fuzz_events */
    const char *want_extensions; /* the value the 101 carried */
    /* Compose mode: the messages the server stream carries, in order. */
    const expected_msg *expect;
    int expect_count;
    int exact_upto; /* messages before this index must match byte for byte (later ones may be corrupted) */
} session_run;

static void on_open(void *ud, const char *protocol, const char *extensions) {
    session_run *r = ud;
    FUZZ_CHECK(r->ev.in_recv && r->ev.opens == 0, "on_open outside recv or twice");
    FUZZ_CHECK(protocol && extensions && protocol[0] == '\0', "protocol/extensions");
    if (r->want_extensions)
        FUZZ_CHECK(strcmp(extensions, r->want_extensions) == 0, "extensions \"%s\", the server said \"%s\"", extensions,
                   r->want_extensions);
    fuzz_record_open(&r->ev, extensions);
}

static void on_message(void *ud, tt_data_type type, const uint8_t *data, size_t length) {
    session_run *r = ud;
    fuzz_check_message(&r->ev, type, data, length);
    int i = r->ev.messages;
    if (r->expect) {
        FUZZ_CHECK(i < r->expect_count, "message %d was never composed", i);
        const expected_msg *e = &r->expect[i];
        FUZZ_CHECK(e->type == type, "message %d has the wrong type", i);
        if (i < r->exact_upto)
            FUZZ_CHECK(e->len == length && (length == 0 || memcmp(e->data, data, length) == 0),
                       "message %d differs from the composed one (%zu vs %zu bytes)", i, length, e->len);
    }
    fuzz_record_message(&r->ev, type, data, length);
}

static void on_peer_close(void *ud, int code, const char *reason, size_t reason_length) {
    session_run *r = ud;
    fuzz_check_peer_close(&r->ev, code, reason, reason_length);
    fuzz_record_peer_close(&r->ev, code, reason, reason_length);
}

/* ---- Our output: parsed, compressed frames inflated and compared with what we sent --------------- */

typedef struct out_check {
    fuzz_output out;
    int deflate_on;
    z_stream inflate;
    int inflate_ready;
} out_check;

/* Inflates one compressed message payload (our frame) with the tail appended. */
static uint8_t *inflate_ours(out_check *o, const uint8_t *p, size_t n, size_t *out_len) {
    if (!o->inflate_ready) {
        memset(&o->inflate, 0, sizeof o->inflate);
        FUZZ_CHECK(inflateInit2(&o->inflate, -15) == Z_OK, "inflateInit2");
        o->inflate_ready = 1;
    }
    size_t in_len = n + 4;
    uint8_t *in = malloc(in_len);
    memcpy(in, p, n);
    memcpy(in + n, "\x00\x00\xff\xff", 4);
    size_t cap = 512, len = 0;
    uint8_t *out = malloc(cap);
    o->inflate.next_in = in;
    o->inflate.avail_in = (uInt)in_len;
    for (;;) {
        if (len == cap) out = realloc(out, cap *= 2);
        o->inflate.next_out = out + len;
        o->inflate.avail_out = (uInt)(cap - len);
        int zr = inflate(&o->inflate, Z_SYNC_FLUSH);
        len = cap - o->inflate.avail_out;
        FUZZ_CHECK(zr == Z_OK || zr == Z_BUF_ERROR, "our compressed frame does not inflate: %d", zr);
        if (o->inflate.avail_in == 0 && o->inflate.avail_out > 0) break;
    }
    free(in);
    *out_len = len;
    return out;
}

static void out_parse(out_check *o) {
    size_t pos;
    size_t request_len;
    if (!fuzz_output_request(&o->out, &pos, &request_len)) return;
    if (request_len)
        FUZZ_CHECK(memmem(o->out.pending.p, request_len, "\r\nSec-WebSocket-Extensions: " TT__DEFLATE_OFFER "\r\n",
                          strlen("\r\nSec-WebSocket-Extensions: " TT__DEFLATE_OFFER "\r\n")) != NULL,
                   "the request does not offer permessage-deflate");
    tt__frame_header h;
    uint8_t *payload;
    while (fuzz_output_frame(&o->out, &pos, &h, &payload)) {
        FUZZ_CHECK(h.masked && h.fin, "output frame not masked/final");
        size_t n = (size_t)h.payload_length;
        if (h.opcode == TT__OP_CLOSE || h.opcode == TT__OP_PONG) {
            FUZZ_CHECK(h.rsv == 0, "RSV on a control frame");
            if (h.opcode == TT__OP_CLOSE) fuzz_output_close(&o->out, payload, n);
            else fuzz_output_pong(n);
        } else {
            FUZZ_CHECK(h.opcode == TT__OP_TEXT || h.opcode == TT__OP_BINARY, "output opcode %u", h.opcode);
            FUZZ_CHECK(h.rsv == (o->deflate_on ? 4u : 0u), "data frame rsv %u, deflate %d", h.rsv, o->deflate_on);
            size_t plain_len = n;
            uint8_t *plain = o->deflate_on ? inflate_ours(o, payload, n, &plain_len) : NULL;
            fuzz_output_data(&o->out, h.opcode, plain ? plain : payload, plain_len);
            free(plain);
        }
    }
    fuzz_output_compact(&o->out, pos);
}

static void out_free(out_check *o) {
    fuzz_output_free(&o->out);
    if (o->inflate_ready) inflateEnd(&o->inflate);
}

/* Consumes up to want bytes of output, checking the accounting (bufferedAmount counts uncompressed bytes). */
static void consume(tt__ws *ws, out_check *o, size_t want) {
    fuzz_output_take(ws, &o->out, want, o->deflate_on);
    out_parse(o);
}

/* ---- The server side: the 101 and composed frames ---------------------------------------------- */

static tt__ws *session_open(session_run *r, size_t max_message_size) {
    memset(r, 0, sizeof *r);
    tt__ws_options o = {.offer_deflate = 1,
                        .callbacks = {.on_open = on_open, .on_message = on_message, .on_peer_close = on_peer_close}};
    return fuzz_session_start(&r->ev, &o, max_message_size);
}

/* Builds a valid 101 accepting extensions, which it names twice when twice is set. */
static size_t make_101(tt__ws *ws, char *buf, size_t cap, const char *extensions, int twice) {
    char accept[29];
    fuzz_accept_for_request(ws, accept);
    int n = snprintf(buf, cap, FUZZ_101_HEAD "Sec-WebSocket-Extensions: %s\r\n%s%s%s\r\n", accept, extensions,
                     twice ? "Sec-WebSocket-Extensions: " : "", twice ? extensions : "", twice ? "\r\n" : "");
    FUZZ_CHECK(n > 0 && (size_t)n < cap, "101 too long");
    return (size_t)n;
}

static void put_frame(fuzz_buf *g, unsigned fin, unsigned rsv, unsigned opcode, const uint8_t *p, size_t n) {
    uint8_t h[10]; /* a server frame: unmasked (tt__frame_write_header writes client frames) */
    size_t hl = 2;
    h[0] = (uint8_t)((fin ? 0x80 : 0) | (rsv << 4) | opcode);
    if (n <= 125) {
        h[1] = (uint8_t)n;
    } else {
        h[1] = 126; /* payloads here stay below 64 KiB */
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        hl = 4;
    }
    fuzz_buf_put(g, h, hl);
    fuzz_buf_put(g, p, n);
}

/* Compresses one fragment with a sync flush; the tail 00 00 ff ff is removed on the message's last. */
static void server_deflate(z_stream *z, const uint8_t *p, size_t n, int last, fuzz_buf *out) {
    out->len = 0;
    uint8_t tmp[1024];
    z->next_in = (Bytef *)p;
    z->avail_in = (uInt)n;
    do {
        z->next_out = tmp;
        z->avail_out = sizeof tmp;
        int zr = deflate(z, Z_SYNC_FLUSH);
        FUZZ_CHECK(zr == Z_OK || zr == Z_BUF_ERROR, "server deflate %d", zr);
        fuzz_buf_put(out, tmp, sizeof tmp - z->avail_out);
    } while (z->avail_out == 0);
    /* A flush right after a flush emits nothing (zlib answers Z_BUF_ERROR). The receiver appends
     * 00 00 ff ff, which is only a block together with the header bits before it: a message's last
     * fragment must then carry the single byte 00 (an empty stored block's header), as Chromium sends
     * for an empty message (RFC 7692 section 7.2.3.6). */
    if (last && out->len == 0) {
        fuzz_buf_put(out, "", 1);
    } else if (last) {
        FUZZ_CHECK(out->len >= 4 && memcmp(out->p + out->len - 4, "\x00\x00\xff\xff", 4) == 0, "no sync tail");
        out->len -= 4;
    }
}

/*
 * Turns records into frames (see the layout above). Fills expected messages; returns 1 when the
 * stream is well formed (everything composed must then arrive and nothing may fail).
 */
static int compose(const uint8_t *in, size_t n, int server_bits, int server_nct, size_t limit, fuzz_buf *stream,
                   expected_msg *expect, int *expect_count, int *exact_upto) {
    fuzz_reader rd = {in, n};
    z_stream z;
    memset(&z, 0, sizeof z);
    int bits = server_bits < 9 ? 9 : server_bits;
    FUZZ_CHECK(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY) == Z_OK,
               "deflateInit2");
    fuzz_buf comp = {0}, msg = {0};
    int clean = 1, in_msg = 0, msg_compressed = 0, msg_text = 0, closed = 0;
    *expect_count = 0;
    *exact_upto = MAX_EXPECT;
    while (rd.n >= 2 && *expect_count < MAX_EXPECT) {
        uint8_t flags = fuzz_u8(&rd);
        size_t len;
        const uint8_t *p = fuzz_bytes(&rd, fuzz_u8(&rd), &len);
        unsigned kind = flags & 3, fin = (flags >> 3) & 1;
        int corrupt = (flags >> 5) & 1;
        if (closed) clean = 0; /* anything after the Close fails the connection */
        if (kind >= 2) {       /* control: at most 125 bytes, never fragmented */
            if (len > 125) len = 125;
            if (kind == 3) {
                if (len == 1) len = 0; /* a 1-byte Close payload is a protocol error */
                if (len >= 2) {
                    int code = (p[0] << 8) | p[1];
                    if (code == 1005 || code == 1006 || code == 1015 || !ref_utf8_valid(p + 2, len - 2)) clean = 0;
                }
                closed = 1;
            }
            put_frame(stream, 1, 0, kind == 2 ? TT__OP_PING : TT__OP_CLOSE, p, len);
            continue;
        }
        if (kind == 0) {
            if (in_msg) clean = 0; /* a new message inside a fragmented one */
            in_msg = 1;
            msg_compressed = (flags >> 4) & 1;
            msg_text = (flags >> 2) & 1;
            msg.len = 0;
            if (msg_compressed && server_nct) deflateReset(&z);
        } else if (!in_msg) {
            clean = 0; /* a continuation without a message */
        }
        fuzz_buf_put(&msg, p, len);
        const uint8_t *wire = p;
        size_t wire_len = len;
        if (in_msg && msg_compressed) {
            server_deflate(&z, p, len, fin, &comp);
            wire = comp.p;
            wire_len = comp.len;
            if (corrupt && wire_len) {
                comp.p[len % wire_len] ^= (uint8_t)(0x55 | flags);
                clean = 0;
                /* Corrupted DEFLATE may still inflate, to other bytes: from here on only types are known. */
                if (*exact_upto > *expect_count) *exact_upto = *expect_count;
            }
        }
        put_frame(stream, fin, kind == 0 && msg_compressed ? 4 : 0,
                  kind == 0 ? (msg_text ? TT__OP_TEXT : TT__OP_BINARY) : TT__OP_CONTINUATION, wire, wire_len);
        if (in_msg && fin) {
            in_msg = 0;
            if (msg_text && !ref_utf8_valid(msg.p, msg.len)) clean = 0;
            if (limit && msg.len > limit) clean = 0;
            expected_msg *e = &expect[(*expect_count)++];
            e->type = msg_text ? TT_DATA_TEXT : TT_DATA_BINARY;
            e->len = msg.len;
            e->data = malloc(msg.len ? msg.len : 1);
            if (msg.len) memcpy(e->data, msg.p, msg.len);
        }
    }
    if (in_msg) { /* an unfinished message: its bytes so far are checked as they arrive */
        ref_utf8 u;
        memset(&u, 0, sizeof u);
        ref_utf8_feed(&u, msg.p, msg.len);
        if ((msg_text && u.failed) || (limit && msg.len > limit)) clean = 0;
    }
    deflateEnd(&z);
    free(comp.p);
    free(msg.p);
    return clean;
}

/* ---- One input ---------------------------------------------------------------------------------- */

static int recv_checked(session_run *r, const uint8_t *p, size_t n) {
    tt__ws *ws = r->ev.ws;
    tt__ws_state before = tt__ws_get_state(ws);
    int failed_code = tt__ws_error(ws);
    r->ev.in_recv = 1;
    int rc = tt__ws_recv(ws, p, n);
    r->ev.in_recv = 0;
    tt__ws_state after = tt__ws_get_state(ws);
    if (before == TT__WS_FAILED) FUZZ_CHECK(after == TT__WS_FAILED && rc == failed_code, "FAILED answered %d", rc);
    else if (before == TT__WS_CLOSED)
        FUZZ_CHECK((after == TT__WS_CLOSED && rc == 0) ||
                       (after == TT__WS_FAILED && (rc == TT_EFRAME || rc == TT_ECLOSED)),
                   "CLOSED moved");
    else FUZZ_CHECK(after == TT__WS_FAILED || after >= before, "state went %d -> %d", before, after);
    fuzz_check_recv_code(ws, rc, after);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_reader rd = {data, size};
    if (size < 4) return 0;
    uint8_t opt = fuzz_u8(&rd), prm = fuzz_u8(&rd), wb = fuzz_u8(&rd);
    size_t max_message_size = max_sizes[opt & 7];
    int composing = (opt >> 3) & 1, split_101 = (opt >> 4) & 1, free_params = (opt >> 5) & 1;
    int server_nct = prm & 1, client_nct = (prm >> 1) & 1, twice = (prm >> 4) & 1;
    int server_bits = (prm & 4) ? 8 + (wb & 7) : 15;
    char ext[160];
    size_t el = (size_t)snprintf(ext, sizeof ext, "permessage-deflate");
    if (free_params) {
        size_t n;
        const uint8_t *p = fuzz_bytes(&rd, fuzz_u8(&rd) & 63, &n);
        for (size_t i = 0; i < n; i++) ext[el++] = (p[i] == '\r' || p[i] == '\n' || p[i] == 0) ? ' ' : (char)p[i];
        ext[el] = '\0';
        /* The session reports the value trimmed: compare only what is certain. */
        while (el > 0 && (ext[el - 1] == ' ' || ext[el - 1] == '\t')) ext[--el] = '\0';
        server_nct = strstr(ext, "server_no_context_takeover") != NULL;
        server_bits = 15; /* unknown to the oracle: compose mode stays exact (prefix) but not "clean" */
    } else {
        if (server_nct) el += (size_t)snprintf(ext + el, sizeof ext - el, "; server_no_context_takeover");
        if (client_nct) el += (size_t)snprintf(ext + el, sizeof ext - el, "; client_no_context_takeover");
        if (prm & 4) el += (size_t)snprintf(ext + el, sizeof ext - el, "; server_max_window_bits=%d", server_bits);
        if (prm & 8)
            el += (size_t)snprintf(ext + el, sizeof ext - el, "; client_max_window_bits=%d", 8 + ((wb >> 4) & 7));
    }
    size_t nsched = fuzz_u8(&rd) & 31;
    size_t got;
    const uint8_t *sched = fuzz_bytes(&rd, nsched, &got);
    nsched = got;

    long live_before = tt__alloc_live();
    expected_msg expect[MAX_EXPECT];
    int expect_count = 0, clean = 0, exact_upto = 0;
    fuzz_buf body = {0};
    if (composing) {
        clean =
            compose(rd.p, rd.n, server_bits, server_nct, max_message_size, &body, expect, &expect_count, &exact_upto);
        if (free_params || twice) clean = 0;
    } else {
        fuzz_buf_put(&body, rd.p, rd.n);
    }

    /* ---- Run 1: chunked, with actions between chunks. */
    session_run r;
    out_check oc;
    memset(&oc, 0, sizeof oc);
    oc.deflate_on = 1; /* every 101 accepts permessage-deflate: a session that opened compresses */
    tt__ws *ws = session_open(&r, max_message_size);
    r.want_extensions = twice ? NULL : ext;
    if (composing) {
        r.expect = expect;
        r.expect_count = expect_count;
        r.exact_upto = exact_upto;
    }
    char head[512];
    size_t head_len = make_101(ws, head, sizeof head, ext, twice);
    fuzz_buf stream = {0};
    fuzz_buf_put(&stream, head, head_len);
    fuzz_buf_put(&stream, body.p, body.len);
    size_t pos = 0, k = 0;
    int rc = 0;
    size_t close_pos = SIZE_MAX; /* where our Close succeeded, for run 2 */
    int close_code = 0;
    size_t close_reason_len = 0;
    uint8_t payload[300];
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)('a' + (i * i) % 26);
    while (pos < stream.len) {
        size_t want;
        uint8_t s = fuzz_schedule_next(sched, nsched, &k, &want);
        unsigned action = s >> 5;
        tt__ws_state st = tt__ws_get_state(ws);
        switch (action) {
        case 4:
        case 5: /* compressed, so bufferedAmount does not grow by the length */
            fuzz_send_action(ws, &oc.out, s, payload, sizeof payload, 0);
            break;
        case 6: {
            int crc = tt__ws_close(ws, 1000 + (s & 1), "bye", (s & 4) ? 3 : 0);
            if (st != TT__WS_OPEN) FUZZ_CHECK(crc == TT_ESTATE, "close in state %d returned %d", st, crc);
            else FUZZ_CHECK(crc == 0, "close: rc %d", crc);
            if (crc == 0) {
                close_pos = pos;
                close_code = 1000 + (s & 1);
                close_reason_len = (s & 4) ? 3 : 0;
            }
            break;
        }
        case 7: consume(ws, &oc, (size_t)(s & 31) * 7); break;
        default: break;
        }
        if (!split_101 && pos == 0) want = head_len + (want < body.len ? want : body.len);
        if (want > stream.len - pos) want = stream.len - pos;
        rc = recv_checked(&r, stream.p + pos, want);
        pos += want;
        if (rc) break;
    }
    consume(ws, &oc, (size_t)-1);
    fuzz_output_check_all_sent(&oc.out);
    if (clean) {
        FUZZ_CHECK(rc == 0 && tt__ws_error(ws) == 0, "well-formed composed stream failed: %d %s", tt__ws_error(ws),
                   tt__ws_error_detail(ws));
        FUZZ_CHECK(r.ev.opens == 1 && r.ev.messages == expect_count, "%d of %d composed messages arrived",
                   r.ev.messages, expect_count);
    }
    fuzz_result chunked = fuzz_result_of(ws, &r.ev);
    tt__ws_free(ws);
    out_free(&oc);

    /* ---- Run 2: the same bytes in one piece, split only where run 1 made its Close, made there too. */
    session_run w;
    ws = session_open(&w, max_message_size);
    w.want_extensions = r.want_extensions;
    if (composing) {
        w.expect = expect;
        w.expect_count = expect_count;
        w.exact_upto = exact_upto;
    }
    size_t before_close = close_pos < stream.len ? close_pos : stream.len;
    int wrc = before_close ? recv_checked(&w, stream.p, before_close) : 0;
    if (wrc == 0 && close_pos != SIZE_MAX) {
        int crc = tt__ws_close(ws, close_code, "bye", close_reason_len);
        FUZZ_CHECK(crc == 0, "our Close at offset %zu succeeded in pieces but returned %d whole", close_pos, crc);
    }
    if (wrc == 0 && stream.len > before_close) recv_checked(&w, stream.p + before_close, stream.len - before_close);
    fuzz_result whole = fuzz_result_of(ws, &w.ev);
    tt__ws_free(ws);
    free(stream.p);
    free(body.p);
    for (int i = 0; i < expect_count; i++) free(expect[i].data);

    fuzz_check_same_result(&chunked, &whole);
    FUZZ_CHECK(tt__alloc_live() == live_before, "leak: %ld blocks live, %ld before", tt__alloc_live(), live_before);
    return 0;
}
