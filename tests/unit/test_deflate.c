/*
 * Unit tests for permessage-deflate: src/deflate.c and its use by the session in src/ws.c. The test
 * plays the server with zlib used directly: it compresses what the server sends (raw DEFLATE, sync
 * flush, tail removed) and inflates what the client sends. Built only where zlib is (TT_WITH_DEFLATE).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "deflate.h"
#include "engine_test.h"
#include "frame.h"
#include "handshake.h"
#include "test_hooks.h"
#include "tt_internal.h"
#include "ws.h"

/* ---- Fixtures -------------------------------------------------------------------------------- */

/* Fixed hooks (counter "randomness" from 0, the test SHA-1), so the tests compare exact wire bytes. */
static int setup(void **state) {
    (void)state;
    tt_test_hooks_install(0);
    tt__alloc_set_fail_after(0);
    return 0;
}

#define MAX_MSGS 16
#define MSG_CAP 70000

typedef struct recorder {
    int opens;
    char extensions[256];
    int messages;
    tt_data_type types[MAX_MSGS];
    uint8_t *data[MAX_MSGS];
    size_t lengths[MAX_MSGS];
    int closes;
} recorder;

static void rec_open(void *ud, const char *protocol, const char *extensions) {
    recorder *r = ud;
    r->opens++;
    snprintf(r->extensions, sizeof r->extensions, "%s", extensions);
}

static void rec_message(void *ud, tt_data_type type, const uint8_t *data, size_t length) {
    recorder *r = ud;
    assert_true(r->messages < MAX_MSGS);
    r->types[r->messages] = type;
    r->lengths[r->messages] = length;
    r->data[r->messages] = malloc(length ? length : 1);
    if (length) memcpy(r->data[r->messages], data, length);
    r->messages++;
}

static void rec_close(void *ud, int code, const char *reason, size_t reason_length) {
    recorder *r = ud;
    r->closes++;
}

static void rec_free(recorder *r) {
    for (int i = 0; i < r->messages; i++) free(r->data[i]);
    r->messages = 0;
}

static size_t make_response(char *buf, size_t cap, const char *extensions) {
    return tt_test_response(buf, cap, "Sec-WebSocket-Extensions", extensions);
}

/* Counters the next session adds to (NULL: its own). */
static tt_task_stats *next_stats;

static tt__ws *session_new(recorder *r, size_t max_message_size) {
    static tt__url url;
    const char *s = "ws://example.test/game";
    assert_int_equal(tt__url_parse(s, strlen(s), &url), 0);
    memset(r, 0, sizeof *r);
    tt_test_hooks_install(0); /* the same mask keys and nonce for every session */
    tt__ws_options o;
    memset(&o, 0, sizeof o);
    o.url = &url;
    o.max_message_size = max_message_size;
    o.offer_deflate = 1;
    o.stats = next_stats;
    o.callbacks.on_open = rec_open;
    o.callbacks.on_message = rec_message;
    o.callbacks.on_peer_close = rec_close;
    o.user_data = r;
    return tt__ws_new(&o);
}

/* A session OPEN with the given Sec-WebSocket-Extensions answer, output drained. */
static tt__ws *session_open(recorder *r, const char *extensions, size_t max_message_size) {
    tt__ws *ws = session_new(r, max_message_size);
    assert_non_null(ws);
    tt_test_drain(ws); /* the request leaves before the answer comes, as on a real connection */
    char resp[512];
    size_t n = make_response(resp, sizeof resp, extensions);
    assert_int_equal(tt__ws_recv(ws, (const uint8_t *)resp, n), 0);
    assert_int_equal(tt__ws_get_state(ws), TT__WS_OPEN);
    return ws;
}

/* ---- The test's server side: zlib used directly -------------------------------------------- */

typedef struct server_z {
    z_stream z;
    int reset_each; /* server_no_context_takeover */
} server_z;

static void server_deflate_init(server_z *s, int bits, int reset_each) {
    memset(s, 0, sizeof *s);
    s->reset_each = reset_each;
    assert_int_equal(
        deflateInit2(&s->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -(bits < 9 ? 9 : bits), 8, Z_DEFAULT_STRATEGY), Z_OK);
}

/* Compresses one message as a server does: sync flush, 00 00 ff ff removed. Returns the length. */
static size_t server_compress(server_z *s, const void *in, size_t len, uint8_t *out, size_t cap) {
    s->z.next_in = (Bytef *)(uintptr_t)in;
    s->z.avail_in = (uInt)len;
    s->z.next_out = out;
    s->z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&s->z, Z_SYNC_FLUSH), Z_OK);
    assert_int_equal(s->z.avail_in, 0);
    assert_true(s->z.avail_out > 0);
    size_t n = cap - s->z.avail_out;
    assert_true(n >= 4);
    assert_memory_equal(out + n - 4, "\x00\x00\xff\xff", 4);
    if (s->reset_each) deflateReset(&s->z);
    return n - 4;
}

/* Writes an unmasked server frame header + payload; returns the bytes written. */
static size_t server_frame(uint8_t *out, unsigned fin, unsigned rsv, unsigned opcode, const uint8_t *p, size_t n) {
    size_t h = 2;
    out[0] = (uint8_t)((fin ? 0x80 : 0) | (rsv << 4) | opcode);
    if (n <= 125) {
        out[1] = (uint8_t)n;
    } else if (n <= 0xFFFF) {
        out[1] = 126;
        out[2] = (uint8_t)(n >> 8);
        out[3] = (uint8_t)n;
        h = 4;
    } else {
        out[1] = 127;
        for (int i = 0; i < 8; i++) out[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        h = 10;
    }
    if (n) memmove(out + h, p, n);
    return h + n;
}

/* Reads (and consumes) the next client frame, unmasking it. Returns the opcode or -1; *rsv gets the bits. */
static int take_client_frame(tt__ws *ws, uint8_t *payload, size_t cap, size_t *len, unsigned *rsv) {
    size_t avail;
    const uint8_t *out = tt__ws_output(ws, &avail);
    tt__frame_header h;
    if (avail == 0) return -1;
    int hl = tt__frame_parse_header(out, avail, &h);
    assert_true(hl > 0);
    assert_true(h.masked && h.fin);
    assert_true(avail >= (size_t)hl + h.payload_length);
    assert_true(h.payload_length <= cap);
    tt__mask(payload, out + hl, (size_t)h.payload_length, h.mask, 0);
    *len = (size_t)h.payload_length;
    *rsv = h.rsv;
    tt__ws_output_consume(ws, (size_t)hl + (size_t)h.payload_length);
    return (int)h.opcode;
}

/* The test's inflater for client messages: appends the tail and inflates everything. */
static size_t server_inflate(z_stream *z, const uint8_t *in, size_t len, uint8_t *out, size_t cap) {
    uint8_t buf[MSG_CAP + 4];
    assert_true(len <= MSG_CAP);
    memcpy(buf, in, len);
    memcpy(buf + len, "\x00\x00\xff\xff", 4);
    z->next_in = buf;
    z->avail_in = (uInt)(len + 4);
    z->next_out = out;
    z->avail_out = (uInt)cap;
    int rc = inflate(z, Z_SYNC_FLUSH);
    assert_true(rc == Z_OK || rc == Z_BUF_ERROR);
    assert_int_equal(z->avail_in, 0);
    return cap - z->avail_out;
}

/* Text that compresses well and refers back across messages. */
static size_t sample_text(char *out, size_t n, unsigned seed) {
    static const char *const words[] = {"player", "moved", "to", "tile", "score", "level", "up", "the", "game"};
    size_t len = 0;
    while (len < n) {
        const char *w = words[(seed = seed * 1103515245u + 12345u) >> 16 & 7];
        size_t wl = strlen(w);
        if (len + wl + 1 > n) break;
        memcpy(out + len, w, wl);
        len += wl;
        out[len++] = ' ';
    }
    return len;
}

/* ---- Negotiation through the session --------------------------------------------------------- */

static void test_session_negotiation(void **state) {
    (void)state;
    /* clang-format off */
    static const struct {
        const char *ext;
        const char *detail; /* NULL: opened, on_open saw ext */
    } cases[] = {
        {"permessage-deflate", NULL},
        {"permessage-deflate; client_max_window_bits=10; server_no_context_takeover", NULL},
        {"permessage-deflate;server_max_window_bits=\"8\"", NULL},
        {"permessage-deflate; client_max_window_bits", "extension: permessage-deflate client_max_window_bits must have a value"},
        {"permessage-deflate; server_max_window_bits=16", "extension: invalid permessage-deflate parameter server_max_window_bits"},
        {"permessage-deflate; foo", "extension: unexpected permessage-deflate parameter"},
        {"permessage-deflate, permessage-deflate", "extension: duplicate permessage-deflate response"},
        {"x-webkit-deflate-frame", "extension: the server chose an unsupported extension"},
        {"permessage-deflate;", "extension: Sec-WebSocket-Extensions rejected by the parser"},
    };
    /* clang-format on */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        recorder r;
        tt__ws *ws = session_new(&r, 0);
        tt_test_drain(ws);
        char resp[512];
        size_t n = make_response(resp, sizeof resp, cases[i].ext);
        int rc = tt__ws_recv(ws, (const uint8_t *)resp, n);
        if (cases[i].detail == NULL) {
            assert_int_equal(rc, 0);
            assert_int_equal(r.opens, 1);
            assert_string_equal(r.extensions, cases[i].ext); /* as sent, like Chromium's ws.extensions */
        } else {
            assert_int_equal(rc, TT_EEXTENSION);
            assert_int_equal(tt__ws_error(ws), TT_EEXTENSION);
            assert_string_equal(tt__ws_error_detail(ws), cases[i].detail);
            assert_int_equal(r.opens, 0);
            size_t len;
            tt__ws_output(ws, &len);
            assert_int_equal(len, 0); /* before the handshake completed: no Close frame */
        }
        tt__ws_free(ws);
    }
    /* Declined: no extension, and RSV1 is then a protocol error. */
    recorder r;
    tt__ws *ws = session_open(&r, NULL, 0);
    assert_string_equal(r.extensions, "");
    assert_int_equal(tt__ws_recv(ws, (const uint8_t *)"\xC1\x01x", 3), TT_EFRAME);
    assert_string_equal(tt__ws_error_detail(ws), "frame: reserved bits set without a negotiated extension");
    tt__ws_free(ws);
}

/* ---- Receiving ------------------------------------------------------------------------------- */

/* Builds a stream of compressed server messages; returns its length. want[] gets the plain texts. */
static size_t compressed_stream(uint8_t *s, size_t cap, int bits, int reset_each, char want[][2048], size_t *want_len,
                                int count) {
    server_z sz;
    server_deflate_init(&sz, bits, reset_each);
    size_t n = 0;
    for (int i = 0; i < count; i++) {
        want_len[i] = sample_text(want[i], 300 + 500 * (size_t)i, 7 + (unsigned)(i % 2)); /* repeats: back-references */
        uint8_t c[4096];
        size_t cn = server_compress(&sz, want[i], want_len[i], c, sizeof c);
        assert_true(n + cn + 14 <= cap);
        n += server_frame(s + n, 1, 4, i % 2 ? TT__OP_BINARY : TT__OP_TEXT, c, cn);
    }
    deflateEnd(&sz.z);
    return n;
}

static void check_messages(recorder *r, char want[][2048], const size_t *want_len, int count) {
    assert_int_equal(r->messages, count);
    for (int i = 0; i < count; i++) {
        assert_int_equal(r->types[i], i % 2 ? TT_DATA_BINARY : TT_DATA_TEXT);
        assert_int_equal(r->lengths[i], want_len[i]);
        assert_memory_equal(r->data[i], want[i], want_len[i]);
    }
}

static void test_receive_context_takeover_every_split(void **state) {
    (void)state;
    static uint8_t s[16384];
    static char want[4][2048];
    size_t want_len[4];
    size_t n = compressed_stream(s, sizeof s, 15, 0, want, want_len, 4);
    for (size_t a = 0; a <= n; a += (a < 64 ? 1 : 7)) {
        recorder r;
        tt__ws *ws = session_open(&r, "permessage-deflate", 0);
        assert_int_equal(tt__ws_recv(ws, s, a), 0);
        assert_int_equal(tt__ws_recv(ws, s + a, n - a), 0);
        check_messages(&r, want, want_len, 4);
        rec_free(&r);
        tt__ws_free(ws);
    }
    recorder r;
    tt__ws *ws = session_open(&r, "permessage-deflate", 0);
    for (size_t i = 0; i < n; i++) assert_int_equal(tt__ws_recv(ws, s + i, 1), 0);
    check_messages(&r, want, want_len, 4);
    rec_free(&r);
    tt__ws_free(ws);
    /* The stream does refer back across messages: an inflater reset per message cannot follow it. */
    ws = session_open(&r, "permessage-deflate; server_no_context_takeover", 0);
    assert_int_equal(tt__ws_recv(ws, s, n), TT_EFRAME);
    assert_true(r.messages >= 1 && r.messages < 4);
    rec_free(&r);
    tt__ws_free(ws);
}

/* Every server window size, with and without context takeover; 8 is compressed with 9 like zlib must. */
static void test_receive_window_bits(void **state) {
    (void)state;
    static uint8_t s[16384];
    static char want[4][2048];
    size_t want_len[4];
    for (int bits = 8; bits <= 15; bits++) {
        for (int reset = 0; reset < 2; reset++) {
            size_t n = compressed_stream(s, sizeof s, bits, reset, want, want_len, 4);
            char ext[128];
            snprintf(ext, sizeof ext, "permessage-deflate; server_max_window_bits=%d%s", bits,
                     reset ? "; server_no_context_takeover" : "");
            recorder r;
            tt__ws *ws = session_open(&r, ext, 0);
            assert_int_equal(tt__ws_recv(ws, s, n), 0);
            check_messages(&r, want, want_len, 4);
            rec_free(&r);
            tt__ws_free(ws);
        }
    }
}

/* A compressed message in three fragments with a ping between them; RSV1 only on the first. */
static void test_receive_fragmented(void **state) {
    (void)state;
    char text[2048];
    size_t tl = sample_text(text, sizeof text, 3);
    server_z sz;
    server_deflate_init(&sz, 15, 0);
    uint8_t c[2048];
    size_t cn = server_compress(&sz, text, tl, c, sizeof c);
    deflateEnd(&sz.z);
    assert_true(cn > 10);
    uint8_t s[4096];
    size_t n = 0, k1 = cn / 3, k2 = 2 * cn / 3;
    n += server_frame(s + n, 0, 4, TT__OP_TEXT, c, k1);
    n += server_frame(s + n, 1, 0, TT__OP_PING, (const uint8_t *)"p", 1);
    n += server_frame(s + n, 0, 0, TT__OP_CONTINUATION, c + k1, k2 - k1);
    n += server_frame(s + n, 1, 0, TT__OP_CONTINUATION, c + k2, cn - k2);
    for (size_t a = 0; a <= n; a++) {
        recorder r;
        tt__ws *ws = session_open(&r, "permessage-deflate", 0);
        assert_int_equal(tt__ws_recv(ws, s, a), 0);
        assert_int_equal(tt__ws_recv(ws, s + a, n - a), 0);
        assert_int_equal(r.messages, 1);
        assert_int_equal(r.lengths[0], tl);
        assert_memory_equal(r.data[0], text, tl);
        uint8_t p[64];
        size_t len;
        unsigned rsv;
        assert_int_equal(take_client_frame(ws, p, sizeof p, &len, &rsv), TT__OP_PONG);
        assert_int_equal(rsv, 0); /* control frames are never compressed */
        rec_free(&r);
        tt__ws_free(ws);
    }
}

/* Empty messages: Chromium's single 00 byte, a zero-length RSV1 frame, and zlib's own empty flush. */
static void test_receive_empty(void **state) {
    (void)state;
    server_z sz;
    server_deflate_init(&sz, 15, 0);
    uint8_t c[64];
    size_t cn = server_compress(&sz, "", 0, c, sizeof c);
    deflateEnd(&sz.z);
    uint8_t s[128];
    size_t n = 0;
    n += server_frame(s + n, 1, 4, TT__OP_TEXT, (const uint8_t *)"\x00", 1);
    n += server_frame(s + n, 1, 4, TT__OP_BINARY, c, cn);
    n += server_frame(s + n, 1, 4, TT__OP_TEXT, NULL, 0);
    recorder r;
    tt__ws *ws = session_open(&r, "permessage-deflate", 0);
    assert_int_equal(tt__ws_recv(ws, s, n), 0);
    assert_int_equal(r.messages, 3);
    for (int i = 0; i < 3; i++) assert_int_equal(r.lengths[i], 0);
    rec_free(&r);
    tt__ws_free(ws);
}

/* Messages the session must fail, with the Close it sends. */
static void test_receive_failures(void **state) {
    (void)state;
    server_z sz;
    server_deflate_init(&sz, 15, 0);
    uint8_t bad_utf8[64], ok[64];
    size_t on = server_compress(&sz, "fine", 4, ok, sizeof ok); /* the order the session receives them */
    size_t bn = server_compress(&sz, "ok \xC0\xAF", 5, bad_utf8, sizeof bad_utf8);
    deflateEnd(&sz.z);
    /* Compressed with a 32 KiB window: refers 2000 bytes back, beyond the 9 bits a server may declare. */
    server_z far;
    server_deflate_init(&far, 15, 0);
    char text[3000];
    memset(text, 'a', sizeof text);
    for (size_t i = 0; i < 1000; i++) text[i] = (char)('a' + (i * 7919) % 26);
    memcpy(text + 2000, text, 1000);
    uint8_t farc[4096];
    size_t fn = server_compress(&far, text, sizeof text, farc, sizeof farc);
    deflateEnd(&far.z);
    static const struct {
        const char *ext;
        int which; /* 0 bad UTF-8, 1 corrupt, 2 RSV1 on ping, 3 RSV1 on continuation */
        int err, close;
        const char *detail;
        const char *reason; /* in our Close, as Chromium words it */
    } cases[] = {
        {"permessage-deflate", 0, TT_EUTF8, 1002, "text: invalid UTF-8", "Invalid UTF-8 in text frame"},
        {"permessage-deflate", 1, TT_EFRAME, 1002, "permessage-deflate: invalid compressed data",
         "WebSocket Protocol Error"},
        {"permessage-deflate", 2, TT_EFRAME, 1002, "frame: RSV1 set on a control frame", "Invalid reserved bit"},
        {"permessage-deflate", 3, TT_EFRAME, 1002, "frame: RSV1 set on a continuation frame",
         "WebSocket Protocol Error"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t s[8192];
        size_t n = server_frame(s, 1, 4, TT__OP_BINARY, ok, on); /* a good message first */
        switch (cases[i].which) {
        case 0: n += server_frame(s + n, 1, 4, TT__OP_TEXT, bad_utf8, bn); break;
        case 1: n += server_frame(s + n, 1, 4, TT__OP_BINARY, (const uint8_t *)"\xff\xff\xff\xff", 4); break;
        case 2: n += server_frame(s + n, 1, 4, TT__OP_PING, NULL, 0); break;
        default:
            n += server_frame(s + n, 0, 4, TT__OP_TEXT, ok, 1);
            n += server_frame(s + n, 1, 4, TT__OP_CONTINUATION, ok + 1, on - 1);
            break;
        }
        for (int bytewise = 0; bytewise < 2; bytewise++) {
            recorder r;
            tt__ws *ws = session_open(&r, cases[i].ext, 0);
            int rc = 0;
            if (bytewise)
                for (size_t k = 0; k < n && rc == 0; k++) rc = tt__ws_recv(ws, s + k, 1);
            else rc = tt__ws_recv(ws, s, n);
            if (rc != cases[i].err) fail_msg("case %zu: rc %d", i, rc);
            assert_string_equal(tt__ws_error_detail(ws), cases[i].detail);
            uint8_t p[64];
            size_t len;
            unsigned rsv;
            assert_int_equal(take_client_frame(ws, p, sizeof p, &len, &rsv), TT__OP_CLOSE);
            assert_int_equal(len, 2 + strlen(cases[i].reason));
            assert_int_equal((p[0] << 8) | p[1], cases[i].close);
            assert_memory_equal(p + 2, cases[i].reason, len - 2);
            assert_true(tt__ws_memory(ws) < 1024); /* failed: message buffer and zlib streams are gone */
            rec_free(&r);
            tt__ws_free(ws);
        }
    }
    /*
     * A server that refers further back than the window it declared: zlib alone would resolve that only
     * when the bytes were produced in the same inflate() call, so the outcome would depend on how TCP
     * split the message. The session inflates with the largest window and delivers it whatever the split.
     */
    uint8_t s[8192];
    size_t n = server_frame(s, 1, 4, TT__OP_BINARY, farc, fn);
    for (size_t step = 1; step <= n; step = step < 8 ? step + 1 : step * 3) {
        recorder r;
        tt__ws *ws = session_open(&r, "permessage-deflate; server_max_window_bits=9", 0);
        for (size_t k = 0; k < n; k += step) assert_int_equal(tt__ws_recv(ws, s + k, k + step <= n ? step : n - k), 0);
        assert_int_equal(r.messages, 1);
        assert_int_equal(r.lengths[0], sizeof text);
        assert_memory_equal(r.data[0], text, sizeof text);
        rec_free(&r);
        tt__ws_free(ws);
    }
}

/* A zip bomb stops at max_message_size + 1 inflated bytes: exactly max passes, one more fails. */
static void test_zip_bomb_bounded(void **state) {
    (void)state;
    const size_t max = 65536;
    size_t sizes[] = {max, max + 1, 10u << 20};
    for (size_t i = 0; i < 3; i++) {
        uint8_t *zeros = calloc(1, sizes[i]);
        uint8_t *c = malloc(sizes[i] / 100 + 1024);
        server_z sz;
        server_deflate_init(&sz, 15, 0);
        size_t cn = server_compress(&sz, zeros, sizes[i], c, sizes[i] / 100 + 1024);
        deflateEnd(&sz.z);
        uint8_t *s = malloc(cn + 14);
        size_t n = server_frame(s, 1, 4, TT__OP_BINARY, c, cn);
        recorder r;
        tt__ws *ws = session_open(&r, "permessage-deflate", max);
        int rc = 0;
        size_t peak = 0;
        for (size_t k = 0; k < n && rc == 0; k += 512) {
            rc = tt__ws_recv(ws, s + k, n - k < 512 ? n - k : 512);
            if (tt__ws_memory(ws) > peak) peak = tt__ws_memory(ws);
        }
        if (i == 0) {
            assert_int_equal(rc, 0);
            assert_int_equal(r.messages, 1);
            assert_int_equal(r.lengths[0], max);
        } else {
            assert_int_equal(rc, TT_ETOOBIG);
            assert_int_equal(r.messages, 0);
            uint8_t p[64];
            size_t len;
            unsigned rsv;
            assert_int_equal(take_client_frame(ws, p, sizeof p, &len, &rsv), TT__OP_CLOSE);
            assert_memory_equal(p, "\x03\xF1", 2); /* 1009 */
        }
        /* The message buffer never passed max + 1; the rest is the struct and the inflater. */
        assert_true(peak < max + 1 + 64 * 1024);
        rec_free(&r);
        tt__ws_free(ws);
        free(s);
        free(c);
        free(zeros);
    }
}

/*
 * A compressed text message that is too big and holds invalid UTF-8: the error must not depend on how
 * the bytes were split (found by fuzz_session_deflate: fed whole it said "too big", fed in pieces "invalid
 * UTF-8"). Bad text before the limit is invalid UTF-8; bad text only after it is too big.
 */
static void test_too_big_and_bad_text_any_split(void **state) {
    (void)state;
    const size_t max = 1000;
    for (int bad_after = 0; bad_after < 2; bad_after++) {
        uint8_t text[3000];
        memset(text, 'a', sizeof text);
        text[bad_after ? 2000 : 600] = 0xFF;
        uint8_t c[4096], s[4200];
        server_z sz;
        server_deflate_init(&sz, 15, 0);
        size_t cn = server_compress(&sz, text, sizeof text, c, sizeof c);
        deflateEnd(&sz.z);
        size_t n = server_frame(s, 1, 4, TT__OP_TEXT, c, cn);
        for (size_t step = 1; step <= n; step = step < 8 ? step + 1 : n) {
            recorder r;
            tt__ws *ws = session_open(&r, "permessage-deflate", max);
            int rc = 0;
            for (size_t k = 0; k < n && rc == 0; k += step) rc = tt__ws_recv(ws, s + k, n - k < step ? n - k : step);
            assert_int_equal(rc, bad_after ? TT_ETOOBIG : TT_EUTF8);
            assert_int_equal(r.messages, 0);
            rec_free(&r);
            tt__ws_free(ws);
            if (step == n) break;
        }
    }
}

/* ---- Sending --------------------------------------------------------------------------------- */

static void check_sent(tt__ws *ws, z_stream *z, const void *want, size_t want_len, unsigned opcode) {
    static uint8_t p[MSG_CAP], plain[MSG_CAP];
    size_t len;
    unsigned rsv;
    assert_int_equal(take_client_frame(ws, p, sizeof p, &len, &rsv), (int)opcode);
    assert_int_equal(rsv, 4); /* RSV1: every message is compressed, as Chromium does */
    size_t pn = server_inflate(z, p, len, plain, sizeof plain);
    assert_int_equal(pn, want_len);
    assert_memory_equal(plain, want, want_len);
}

static void test_send_compressed(void **state) {
    (void)state;
    static const struct {
        const char *ext;
        int reset; /* the client must not take context over */
        int bits;
    } cases[] = {
        {"permessage-deflate", 0, 15},
        {"permessage-deflate; client_no_context_takeover", 1, 15},
        {"permessage-deflate; client_max_window_bits=8", 0, 8},
        {"permessage-deflate; client_max_window_bits=9; client_no_context_takeover", 1, 9},
        {"permessage-deflate; client_max_window_bits=12", 0, 12},
    };
    static char text[60000];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        recorder r;
        tt__ws *ws = session_open(&r, cases[i].ext, 0);
        z_stream z;
        memset(&z, 0, sizeof z);
        /* The peer inflates with exactly the window it granted: 8 works because we compress with 9. */
        assert_int_equal(inflateInit2(&z, -cases[i].bits), Z_OK);
        for (unsigned m = 0; m < 6; m++) {
            size_t len = sample_text(text, m == 5 ? sizeof text : 200 + 700 * m, m % 2);
            assert_int_equal(tt__ws_send(ws, m % 2 ? TT_DATA_BINARY : TT_DATA_TEXT, text, len), 0);
            assert_int_equal(tt__ws_buffered_amount(ws), len); /* application bytes, not wire bytes */
            check_sent(ws, &z, text, len, m % 2 ? TT__OP_BINARY : TT__OP_TEXT);
            assert_int_equal(tt__ws_buffered_amount(ws), 0);
            if (cases[i].reset) inflateReset(&z); /* proves the client kept no context */
        }
        inflateEnd(&z);
        rec_free(&r);
        tt__ws_free(ws);
    }
}

/* A compressed session never streams a message (tt__ws_stream_begin): every message is deflated into
 * the output, so the transport queues it with tt__ws_send(). */
static void test_no_stream_when_compressed(void **state) {
    (void)state;
    recorder r;
    tt__ws *ws = session_open(&r, "permessage-deflate", 0);
    tt__ws_stream s;
    assert_int_equal(tt__ws_stream_begin(ws, TT_DATA_BINARY, "abc", 3, &s), TT_EAGAIN);
    size_t out;
    tt__ws_output(ws, &out);
    assert_int_equal(out, 0);
    rec_free(&r);
    tt__ws_free(ws);
}

/* bufferedAmount stays at the message's length until its last compressed byte is written. */
static void test_send_buffered_amount(void **state) {
    (void)state;
    recorder r;
    tt__ws *ws = session_open(&r, "permessage-deflate", 0);
    char text[1000];
    size_t len = sample_text(text, sizeof text, 1);
    assert_int_equal(tt__ws_send(ws, TT_DATA_TEXT, text, len), 0);
    assert_int_equal(tt__ws_send(ws, TT_DATA_TEXT, "", 0), 0);
    size_t out;
    tt__ws_output(ws, &out);
    assert_int_equal(tt__ws_buffered_amount(ws), len);
    for (size_t k = 0; k + 1 < out - 7; k++) { /* the empty message's frame is the last 7 bytes */
        tt__ws_output_consume(ws, 1);
        if (tt__ws_buffered_amount(ws) == 0) fail_msg("released after %zu of %zu bytes", k + 1, out);
    }
    tt__ws_output_consume(ws, 1);
    assert_int_equal(tt__ws_buffered_amount(ws), 0);
    /* The empty message is Chromium's single 00 byte with RSV1. */
    uint8_t p[8];
    size_t plen;
    unsigned rsv;
    assert_int_equal(take_client_frame(ws, p, sizeof p, &plen, &rsv), TT__OP_TEXT);
    assert_int_equal(rsv, 4);
    assert_int_equal(plen, 1);
    assert_int_equal(p[0], 0);
    rec_free(&r);
    tt__ws_free(ws);
}

/* The compressor's continuation path: tiny output slices still give one valid stream. */
static void test_deflater_small_output(void **state) {
    (void)state;
    static char text[20000];
    size_t len = sample_text(text, sizeof text, 5);
    for (int bits = 8; bits <= 15; bits++) {
        tt__deflater *d = tt__deflater_new(bits, 0);
        assert_non_null(d);
        assert_true(tt__deflater_bound(d, len) >= len / 2);
        z_stream z;
        memset(&z, 0, sizeof z);
        assert_int_equal(inflateInit2(&z, -bits), Z_OK);
        for (int m = 0; m < 3; m++) {
            static uint8_t out[40000], plain[MSG_CAP];
            size_t n = 0, w;
            tt__deflater_begin(d, text, len);
            int rc;
            while ((rc = tt__deflater_run(d, out + n, 9, &w)) == 1) n += w;
            assert_int_equal(rc, 0);
            n += w;
            assert_memory_equal(out + n - 4, "\x00\x00\xff\xff", 4);
            assert_int_equal(server_inflate(&z, out, n - 4, plain, sizeof plain), len);
            assert_memory_equal(plain, text, len);
        }
        assert_true(tt__deflater_memory(d) > 100000); /* the whole zlib state is counted */
        inflateEnd(&z);
        tt__deflater_free(d);
    }
    /* Window sizes outside 8..15 are refused. */
    assert_null(tt__deflater_new(7, 0));
    assert_null(tt__inflater_new(16, 0));
}

/* ---- Memory ---------------------------------------------------------------------------------- */

/* No message, no zlib: an open idle deflate session costs what a plain one does. */
static void test_idle_memory(void **state) {
    (void)state;
    recorder r;
    tt__ws *plain = session_open(&r, NULL, 0);
    size_t base = tt__ws_memory(plain);
    tt__ws_free(plain);
    long live = tt__alloc_live();
    tt__ws *ws = session_open(&r, "permessage-deflate", 0);
    assert_int_equal(tt__ws_memory(ws), base);
    assert_int_equal(tt__alloc_live(), live + 1); /* the session struct only */
    /* With context takeover the streams stay once used ... */
    assert_int_equal(tt__ws_send(ws, TT_DATA_TEXT, "hello hello", 11), 0);
    tt_test_drain(ws);
    assert_true(tt__ws_memory(ws) > base + 200000);
    tt__ws_free(ws);
    /* ... without it they go as soon as the session is idle again. */
    ws = session_open(&r, "permessage-deflate; server_no_context_takeover; client_no_context_takeover", 0);
    assert_int_equal(tt__ws_memory(ws), base);
    server_z sz;
    server_deflate_init(&sz, 15, 1);
    uint8_t c[64], s[80];
    size_t cn = server_compress(&sz, "hello hello", 11, c, sizeof c);
    deflateEnd(&sz.z);
    size_t n = server_frame(s, 1, 4, TT__OP_TEXT, c, cn);
    assert_int_equal(tt__ws_recv(ws, s, n), 0);
    assert_int_equal(r.messages, 1);
    assert_int_equal(tt__ws_memory(ws), base);
    assert_int_equal(tt__ws_send(ws, TT_DATA_TEXT, "hello hello", 11), 0);
    assert_true(tt__ws_memory(ws) > base + 200000);
    tt_test_drain(ws);
    assert_true(tt__ws_memory(ws) < base + 1024); /* the compressor is gone; the small output buffer stays */
    tt__ws_trim(ws);                              /* until the transport's trim timer */
    assert_int_equal(tt__ws_memory(ws), base);
    rec_free(&r);
    tt__ws_free(ws);
    /* The peer's Close gives everything back even with context takeover. */
    ws = session_open(&r, "permessage-deflate", 0);
    assert_int_equal(tt__ws_send(ws, TT_DATA_TEXT, "x", 1), 0);
    assert_int_equal(tt__ws_recv(ws, (const uint8_t *)"\x88\x02\x03\xE8", 4), 0);
    tt_test_drain(ws);
    assert_int_equal(tt__ws_memory(ws), base);
    tt__ws_free(ws);
}

/* One compressed session's life: open, receive, send, receive, close. */
static int compressed_session_run(void) {
    static uint8_t stream[8192];
    static size_t stream_len;
    if (stream_len == 0) {
        static char want[4][2048];
        size_t want_len[4];
        stream_len = compressed_stream(stream, sizeof stream, 15, 0, want, want_len, 4);
    }
    recorder r;
    tt__ws *ws = session_new(&r, 0);
    if (ws == NULL) return TT_ENOMEM;
    char resp[512];
    size_t n = make_response(resp, sizeof resp, "permessage-deflate; client_max_window_bits=10");
    int rc = tt__ws_recv(ws, (const uint8_t *)resp, n);
    size_t half = stream_len / 2;
    if (rc == 0) rc = tt__ws_recv(ws, stream, half);
    if (rc == 0) rc = tt__ws_send(ws, TT_DATA_TEXT, "status: moved to tile 7, status: moved", 38);
    if (rc == 0) rc = tt__ws_send(ws, TT_DATA_BINARY, "", 0);
    if (rc == 0) rc = tt__ws_recv(ws, stream + half, stream_len - half);
    if (rc == 0) rc = tt__ws_close(ws, 1000, NULL, 0);
    if (rc == 0) assert_int_equal(r.messages, 4);
    rec_free(&r);
    tt__ws_free(ws);
    return rc;
}

/* Each allocation (zlib's included) failing in turn is a clean TT_ENOMEM with nothing leaked. */
static void test_allocation_failures(void **state) {
    (void)state;
    long live = tt__alloc_live();
    assert_int_equal(compressed_session_run(), 0);
    int succeeded = 0;
    unsigned long k;
    for (k = 1; k < 200 && !succeeded; k++) {
        tt__alloc_set_fail_after(k);
        int rc = compressed_session_run();
        tt__alloc_set_fail_after(0);
        if (rc == 0) succeeded = 1;
        else if (rc != TT_ENOMEM) fail_msg("allocation %lu: rc %d", k, rc);
        assert_int_equal(tt__alloc_live(), live);
    }
    assert_true(succeeded);
    assert_true(k > 8); /* handshake, zlib states, windows, buffers: many doors were tried */
}

/* Compression ratio inputs: payload bytes in and compressed bytes out, each way. */
static void test_compression_counters(void **state) {
    (void)state;
    tt_task_stats st;
    memset(&st, 0, sizeof st);
    next_stats = &st;
    recorder r;
    tt__ws *ws = session_open(&r, "permessage-deflate", 0);
    next_stats = NULL;
    char text[2000];
    size_t len = sample_text(text, sizeof text, 7);
    assert_int_equal(tt__ws_send(ws, TT_DATA_TEXT, text, len), 0);
    uint8_t payload[MSG_CAP];
    size_t plen;
    unsigned rsv;
    assert_int_equal(take_client_frame(ws, payload, sizeof payload, &plen, &rsv), TT__OP_TEXT);
    assert_int_equal(st.compressed_payload_sent, len);
    assert_int_equal(st.compressed_wire_sent, plen);
    assert_true(plen < len / 2);

    server_z sz;
    server_deflate_init(&sz, 15, 0);
    uint8_t z[4096], frame[4200];
    size_t zn = server_compress(&sz, text, len, z, sizeof z);
    size_t fn = server_frame(frame, 1, 4, TT__OP_TEXT, z, zn);
    assert_int_equal(tt__ws_recv(ws, frame, fn), 0);
    assert_int_equal(r.messages, 1);
    assert_int_equal(st.compressed_wire_received, zn);
    assert_int_equal(st.compressed_payload_received, len);
    deflateEnd(&sz.z);
    rec_free(&r);
    tt__ws_free(ws);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_session_negotiation, setup),
        cmocka_unit_test_setup(test_no_stream_when_compressed, setup),
        cmocka_unit_test_setup(test_receive_context_takeover_every_split, setup),
        cmocka_unit_test_setup(test_receive_window_bits, setup),
        cmocka_unit_test_setup(test_receive_fragmented, setup),
        cmocka_unit_test_setup(test_receive_empty, setup),
        cmocka_unit_test_setup(test_receive_failures, setup),
        cmocka_unit_test_setup(test_zip_bomb_bounded, setup),
        cmocka_unit_test_setup(test_too_big_and_bad_text_any_split, setup),
        cmocka_unit_test_setup(test_send_compressed, setup),
        cmocka_unit_test_setup(test_send_buffered_amount, setup),
        cmocka_unit_test_setup(test_deflater_small_output, setup),
        cmocka_unit_test_setup(test_idle_memory, setup),
        cmocka_unit_test_setup(test_allocation_failures, setup),
        cmocka_unit_test_setup(test_compression_counters, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
