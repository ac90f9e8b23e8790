/*
 * Unit tests for src/ws.c: the I/O-free session. Randomness is a counter and SHA-1 is the test one, so
 * the request, mask keys and frames are exact bytes. Every input stream is fed whole, byte by byte and
 * split at every boundary, and must produce the same events and output each time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

/* What the callbacks saw. */
typedef struct recorder {
    int opens;
    char protocol[32];
    int messages;
    tt_data_type types[16];
    uint8_t data[16][512];
    size_t lengths[16];
    uint32_t hashes[16]; /* FNV-1a of every message, whatever its length */
    const uint8_t *last_ptr;
    int closes;
    int close_code;
    char close_reason[128];
} recorder;

static void rec_open(void *ud, const char *protocol, const char *extensions) {
    recorder *r = ud;
    r->opens++;
    snprintf(r->protocol, sizeof r->protocol, "%s", protocol);
    assert_string_equal(extensions, "");
}

static void rec_message(void *ud, tt_data_type type, const uint8_t *data, size_t length) {
    recorder *r = ud;
    assert_true(r->messages < 16);
    r->types[r->messages] = type;
    r->lengths[r->messages] = length;
    if (length <= sizeof r->data[0]) memcpy(r->data[r->messages], data, length);
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < length; i++) h = (h ^ data[i]) * 16777619u;
    r->hashes[r->messages] = h;
    r->last_ptr = data;
    r->messages++;
}

static void rec_close(void *ud, int code, const char *reason, size_t reason_length) {
    recorder *r = ud;
    r->closes++;
    r->close_code = code;
    assert_true(reason_length < sizeof r->close_reason);
    memcpy(r->close_reason, reason, reason_length);
    r->close_reason[reason_length] = '\0';
}

static const char *const chat_protocols[] = {"chat", "superchat"};

/* stats: where the session counts (NULL: nowhere the test looks). */
static tt__ws *session_new_counted(recorder *r, size_t protocol_count, size_t max_message_size, tt_task_stats *stats) {
    static tt__url url;
    const char *s = "ws://example.test:8080/chat";
    assert_int_equal(tt__url_parse(s, strlen(s), &url), 0);
    memset(r, 0, sizeof *r);
    tt_test_hooks_install(0); /* the same mask keys and nonce for every session */
    tt__ws_options o;
    memset(&o, 0, sizeof o);
    o.url = &url;
    o.protocols = chat_protocols;
    o.protocol_count = protocol_count;
    o.max_message_size = max_message_size;
    o.callbacks.on_open = rec_open;
    o.callbacks.on_message = rec_message;
    o.callbacks.on_peer_close = rec_close;
    o.user_data = r;
    o.stats = stats;
    tt__ws *ws = tt__ws_new(&o);
    assert_non_null(ws);
    return ws;
}

static tt__ws *session_new(recorder *r, size_t protocol_count, size_t max_message_size) {
    return session_new_counted(r, protocol_count, max_message_size, NULL);
}

/* The key the counter hook produces (nonce 00 01 ... 0f) and the accept it calls for. */
static size_t make_response(char *buf, size_t cap, const char *protocol) {
    return tt_test_response(buf, cap, "Sec-WebSocket-Protocol", protocol);
}

/* A session that is OPEN with its output drained. */
static tt__ws *session_open_counted(recorder *r, size_t max_message_size, tt_task_stats *stats) {
    tt__ws *ws = session_new_counted(r, 0, max_message_size, stats);
    tt_test_drain(ws); /* the request leaves before the answer comes, as on a real connection */
    char resp[512];
    size_t n = make_response(resp, sizeof resp, NULL);
    assert_int_equal(tt__ws_recv(ws, (const uint8_t *)resp, n), 0);
    assert_int_equal(tt__ws_get_state(ws), TT__WS_OPEN);
    return ws;
}

static tt__ws *session_open(recorder *r, size_t max_message_size) {
    return session_open_counted(r, max_message_size, NULL);
}

/* Reads (and consumes) the next client frame from the output, unmasking it. Returns the opcode or -1. */
static int take_client_frame(tt__ws *ws, uint8_t *payload, size_t *len) {
    size_t avail;
    const uint8_t *out = tt__ws_output(ws, &avail);
    tt__frame_header h;
    if (avail == 0) return -1;
    int hl = tt__frame_parse_header(out, avail, &h);
    assert_true(hl > 0);
    assert_true(h.masked && h.fin && h.rsv == 0);
    assert_true(avail >= (size_t)hl + h.payload_length);
    tt__mask(payload, out + hl, (size_t)h.payload_length, h.mask, 0);
    *len = (size_t)h.payload_length;
    tt__ws_output_consume(ws, (size_t)hl + (size_t)h.payload_length);
    return (int)h.opcode;
}

/* Feeds a stream in the given pieces; stops at the first error and returns it. */
static int feed_split(tt__ws *ws, const uint8_t *p, size_t n, size_t split1, size_t split2) {
    size_t cuts[4] = {0, split1, split2, n};
    for (int i = 0; i < 3; i++) {
        int rc = tt__ws_recv(ws, p + cuts[i], cuts[i + 1] - cuts[i]);
        if (rc) return rc;
    }
    return 0;
}

static int feed_bytewise(tt__ws *ws, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int rc = tt__ws_recv(ws, p + i, 1);
        if (rc) return rc;
    }
    return 0;
}

/* ---- Handshake ------------------------------------------------------------------------------- */

static void test_request_exact_bytes(void **state) {
    (void)state;
    recorder r;
    tt__ws *ws = session_new(&r, 2, 0);
    static const char want[] = "GET /chat HTTP/1.1\r\nHost: example.test:8080\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\nSec-WebSocket-Key: " TT_TEST_KEY "\r\n"
                               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\n\r\n";
    size_t len;
    const uint8_t *out = tt__ws_output(ws, &len);
    assert_int_equal(len, sizeof want - 1);
    assert_memory_equal(out, want, len);
    assert_int_equal(tt__ws_get_state(ws), TT__WS_HANDSHAKE);
    assert_int_equal(tt__ws_buffered_amount(ws), 0); /* the request is not application data */
    assert_int_equal(tt__ws_send(ws, TT_DATA_TEXT, "x", 1), TT_ESTATE);
    assert_int_equal(tt__ws_close(ws, 1000, NULL, 0), TT_ESTATE);
    tt__ws_output_consume(ws, 10);
    out = tt__ws_output(ws, &len);
    assert_int_equal(len, sizeof want - 11);
    assert_memory_equal(out, want + 10, len);
    tt__ws_free(ws);
}

/* The 101 and the first frames in one stream, cut anywhere: one open, the protocol, the message. */
static void test_open_then_frames_any_split(void **state) {
    (void)state;
    uint8_t stream[512];
    size_t n = make_response((char *)stream, sizeof stream, "superchat");
    memcpy(stream + n, "\x81\x05Hello\x82\x00", 9);
    n += 9;
    for (size_t a = 0; a <= n; a++) {
        for (size_t b = a; b <= n; b += (a % 7 == 0) ? 1 : n) { /* all pairs for some a, one cut for the rest */
            recorder r;
            tt__ws *ws = session_new(&r, 2, 0);
            assert_int_equal(feed_split(ws, stream, n, a, b), 0);
            assert_int_equal(r.opens, 1);
            assert_string_equal(r.protocol, "superchat");
            assert_int_equal(r.messages, 2);
            assert_int_equal(r.types[0], TT_DATA_TEXT);
            assert_int_equal(r.lengths[0], 5);
            assert_memory_equal(r.data[0], "Hello", 5);
            assert_int_equal(r.types[1], TT_DATA_BINARY);
            assert_int_equal(r.lengths[1], 0);
            tt__ws_free(ws);
        }
    }
    recorder r;
    tt__ws *ws = session_new(&r, 2, 0);
    assert_int_equal(feed_bytewise(ws, stream, n), 0);
    assert_int_equal(r.opens, 1);
    assert_int_equal(r.messages, 2);
    tt__ws_free(ws);
}

/* Chromium reads bare-LF line ends, HTTP/1.0 and a lower-case "http/1.1"; so does the session, in any split. */
static void test_lenient_handshake_any_split(void **state) {
    (void)state;
    char crlf[512];
    size_t m = make_response(crlf, sizeof crlf, NULL);
    char lf[512];
    size_t n = 0;
    for (size_t i = 0; i < m; i++)
        if (crlf[i] != '\r') lf[n++] = crlf[i];
    static const char *const firsts[] = {"HTTP/1.0 101 Switching Protocols", "http/1.1 101 ok", "HTTP/1.1 101"};
    for (size_t v = 0; v <= sizeof firsts / sizeof firsts[0]; v++) {
        uint8_t stream[600];
        size_t len;
        if (v == 0) { /* bare LF everywhere */
            memcpy(stream, lf, n);
            len = n;
        } else { /* another status line, CR LF */
            const char *eol = strstr(crlf, "\r\n");
            size_t first = strlen(firsts[v - 1]);
            memcpy(stream, firsts[v - 1], first);
            memcpy(stream + first, eol, m - (size_t)(eol - crlf));
            len = first + m - (size_t)(eol - crlf);
        }
        memcpy(stream + len, "\x81\x02hi", 4);
        len += 4;
        for (size_t a = 0; a <= len; a++) {
            recorder r;
            tt__ws *ws = session_new(&r, 0, 0);
            tt_test_drain(ws);
            assert_int_equal(feed_split(ws, stream, len, a, a), 0);
            assert_int_equal(r.opens, 1);
            assert_int_equal(r.messages, 1);
            assert_memory_equal(r.data[0], "hi", 2);
            tt__ws_free(ws);
        }
        recorder r;
        tt__ws *ws = session_new(&r, 0, 0);
        tt_test_drain(ws);
        assert_int_equal(feed_bytewise(ws, stream, len), 0);
        assert_int_equal(r.opens, 1);
        assert_int_equal(r.messages, 1);
        tt__ws_free(ws);
    }
}

typedef struct bad_handshake {
    const char *response; /* NULL: a valid 101 whose Sec-WebSocket-Protocol is `protocol` */
    const char *protocol;
    size_t protocol_count;
    const char *detail;
} bad_handshake;

static void test_bad_handshakes(void **state) {
    (void)state;
    static const bad_handshake cases[] = {
        {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", NULL, 0, "handshake: unexpected status 404"},
        {"HTTP/1.1 418 Teapot\r\n\r\n", NULL, 0, "handshake: unexpected status 418"},
        {"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
         NULL, 0, "handshake: Sec-WebSocket-Accept mismatch"},
        {"HTTP/1.1 101 OK\nUpgrade: h2c\n\n", NULL, 0, "handshake: Upgrade is not websocket"},
        {NULL, NULL, 1, "handshake: server did not choose a subprotocol"},
        {NULL, "video", 2, "handshake: server chose a subprotocol that was not offered"},
        {NULL, "chat", 0, "handshake: server chose a subprotocol that was not offered"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char built[512];
        const char *text = cases[i].response;
        if (text == NULL) {
            make_response(built, sizeof built, cases[i].protocol);
            text = built;
        }
        const uint8_t *p = (const uint8_t *)text;
        size_t n = strlen(text);
        for (int mode = 0; mode < 2; mode++) {
            recorder r;
            tt__ws *ws = session_new(&r, cases[i].protocol_count, 0);
            tt_test_drain(ws);
            int rc = mode ? feed_bytewise(ws, p, n) : tt__ws_recv(ws, p, n);
            assert_int_equal(rc, TT_EHANDSHAKE);
            assert_int_equal(tt__ws_get_state(ws), TT__WS_FAILED);
            assert_int_equal(tt__ws_error(ws), TT_EHANDSHAKE);
            if (strcmp(tt__ws_error_detail(ws), cases[i].detail) != 0)
                fail_msg("case %zu: \"%s\"", i, tt__ws_error_detail(ws));
            size_t len;
            tt__ws_output(ws, &len);
            assert_int_equal(len, 0); /* no Close frame before the handshake completed */
            assert_int_equal(r.opens, 0);
            assert_int_equal(tt__ws_recv(ws, (const uint8_t *)"x", 1), TT_EHANDSHAKE); /* sticky */
            tt__ws_free(ws);
        }
    }
}

/* A head that never ends is refused at 16 KiB, however it is chunked. */
static void test_handshake_head_limit(void **state) {
    (void)state;
    static const char start[] = "HTTP/1.1 101 OK\r\nX-Fill: ";
    uint8_t filler[1000];
    memset(filler, 'a', sizeof filler);
    recorder r;
    tt__ws *ws = session_new(&r, 0, 0);
    assert_int_equal(tt__ws_recv(ws, (const uint8_t *)start, sizeof start - 1), 0);
    int rc = 0;
    size_t total = sizeof start - 1;
    while (rc == 0 && total < 20000) {
        rc = tt__ws_recv(ws, filler, sizeof filler);
        total += sizeof filler;
    }
    assert_int_equal(rc, TT_EHANDSHAKE);
    assert_true(total > 16384 && total <= 16384 + sizeof filler);
    assert_string_equal(tt__ws_error_detail(ws), "handshake: response head longer than 16 KiB");
    tt__ws_free(ws);
}

/* offer_deflate adds Chromium's offer where zlib is built in; elsewhere the request is unchanged. */
static void test_deflate_offer_follows_build(void **state) {
    (void)state;
    tt__url url;
    assert_int_equal(tt__url_parse("ws://h/", 7, &url), 0);
    tt__ws_options o;
    memset(&o, 0, sizeof o);
    o.url = &url;
    o.offer_deflate = 1;
    tt__ws *ws = tt__ws_new(&o);
    assert_non_null(ws);
    size_t len;
    const uint8_t *out = tt__ws_output(ws, &len);
    char req[512];
    assert_true(len < sizeof req);
    memcpy(req, out, len);
    req[len] = '\0';
    const char *offer = strstr(req, "\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
    if (tt__deflate_available()) assert_non_null(offer);
    else assert_null(strstr(req, "Sec-WebSocket-Extensions"));
    tt__ws_free(ws);
}

/* Each allocation of tt__ws_new failing in turn gives NULL and leaks nothing. */
static void test_new_allocation_failures(void **state) {
    (void)state;
    long live = tt__alloc_live();
    int succeeded = 0;
    for (unsigned long k = 1; k < 10 && !succeeded; k++) {
        recorder r;
        tt__url url;
        assert_int_equal(tt__url_parse("ws://h/", 7, &url), 0);
        tt__ws_options o;
        memset(&o, 0, sizeof o);
        o.url = &url;
        o.protocols = chat_protocols;
        o.protocol_count = 2;
        o.user_data = &r;
        tt__alloc_set_fail_after(k);
        tt__ws *ws = tt__ws_new(&o);
        tt__alloc_set_fail_after(0);
        if (ws) {
            succeeded = 1;
            tt__ws_free(ws);
        }
        assert_int_equal(tt__alloc_live(), live);
    }
    assert_true(succeeded);
}

/* ---- Frames ---------------------------------------------------------------------------------- */

/*
 * A busy stream: a text message in three fragments with a ping between them, a 300-byte binary
 * message (16-bit length), a pong (ignored), an empty text message, and the server's Close.
 */
static size_t busy_stream(uint8_t *s) {
    size_t n = 0;
#define PUT(lit) (memcpy(s + n, lit, sizeof(lit) - 1), n += sizeof(lit) - 1)
    PUT("\x01\x03"
        "Hel");
    PUT("\x89\x04"
        "ping");
    PUT("\x00\x02"
        "lo");
    PUT("\x80\x06"
        " \xE2\x82\xAC!!");
    PUT("\x82\x7E\x01\x2C");
    for (int i = 0; i < 300; i++) s[n++] = (uint8_t)i;
    PUT("\x8A\x01"
        "x");
    PUT("\x81\x00");
    PUT("\x88\x05"
        "\x03\xE8"
        "bye");
#undef PUT
    return n;
}

static void check_busy_result(tt__ws *ws, const recorder *r) {
    assert_int_equal(r->messages, 3);
    assert_int_equal(r->types[0], TT_DATA_TEXT);
    assert_int_equal(r->lengths[0], 11);
    assert_memory_equal(r->data[0], "Hello \xE2\x82\xAC!!", 11);
    assert_int_equal(r->types[1], TT_DATA_BINARY);
    assert_int_equal(r->lengths[1], 300);
    for (int i = 0; i < 300; i++) assert_int_equal(r->data[1][i], (uint8_t)i);
    assert_int_equal(r->types[2], TT_DATA_TEXT);
    assert_int_equal(r->lengths[2], 0);
    assert_int_equal(r->closes, 1);
    assert_int_equal(r->close_code, 1000);
    assert_string_equal(r->close_reason, "bye");
    assert_int_equal(tt__ws_get_state(ws), TT__WS_CLOSED);
    uint8_t payload[200];
    size_t len;
    assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_PONG);
    assert_int_equal(len, 4);
    assert_memory_equal(payload, "ping", 4);
    assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_CLOSE);
    assert_int_equal(len, 5); /* the code and reason echoed, as Chromium does */
    assert_memory_equal(payload,
                        "\x03\xE8"
                        "bye",
                        5);
    assert_int_equal(take_client_frame(ws, payload, &len), -1);
}

static void test_busy_stream_every_split(void **state) {
    (void)state;
    uint8_t s[600];
    size_t n = busy_stream(s);
    for (size_t a = 0; a <= n; a++) {
        recorder r;
        tt__ws *ws = session_open(&r, 0);
        assert_int_equal(feed_split(ws, s, n, a, a), 0);
        check_busy_result(ws, &r);
        assert_int_equal(r.messages, 3);
        tt__ws_free(ws);
    }
    for (size_t a = 0; a <= 40; a++)
        for (size_t b = a; b <= n; b += 3) {
            recorder r;
            tt__ws *ws = session_open(&r, 0);
            assert_int_equal(feed_split(ws, s, n, a, b), 0);
            check_busy_result(ws, &r);
            tt__ws_free(ws);
        }
    recorder r;
    tt__ws *ws = session_open(&r, 0);
    assert_int_equal(feed_bytewise(ws, s, n), 0);
    check_busy_result(ws, &r);
    tt__ws_free(ws);
}

/* An unfragmented frame whole inside the chunk is delivered from the chunk, with no allocation. */
static void test_zero_copy_hot_path(void **state) {
    (void)state;
    recorder r;
    tt__ws *ws = session_open(&r, 0);
    uint8_t chunk[3 * 1100];
    size_t n = 0;
    for (int m = 0; m < 3; m++) {
        chunk[n++] = 0x82;
        chunk[n++] = 126;
        chunk[n++] = 1000 >> 8;
        chunk[n++] = 1000 & 0xFF;
        memset(chunk + n, 'a' + m, 1000);
        n += 1000;
    }
    memcpy(chunk + n,
           "\x81\x03"
           "abc",
           5);
    n += 5;
    tt__alloc_reset_count();
    assert_int_equal(tt__ws_recv(ws, chunk, n), 0);
    assert_int_equal(tt__alloc_count(), 0);
    assert_int_equal(r.messages, 4);
    assert_ptr_equal(r.last_ptr, chunk + n - 3);
    assert_int_equal(r.lengths[0], 1000);
    tt__ws_free(ws);
}

/* Large buffers stay between messages while the session is open; tt__ws_trim() gives them back. */
static void test_large_buffers_kept_until_trim(void **state) {
    (void)state;
    recorder r;
    tt__ws *ws = session_open(&r, 0);
    size_t idle = tt__ws_memory(ws);
    assert_false(tt__ws_has_spare(ws));
    enum { N = 100000 };
    uint8_t *big = malloc(10 + N);
    big[0] = 0x82, big[1] = 127;
    memset(big + 2, 0, 8);
    big[7] = (N >> 16) & 0xFF, big[8] = (N >> 8) & 0xFF, big[9] = N & 0xFF;
    memset(big + 10, 7, N);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(tt__ws_recv(ws, big, 5000), 0);
        assert_int_equal(tt__ws_recv(ws, big + 5000, 10 + N - 5000), 0);
        assert_int_equal(r.lengths[round], N);
        assert_true(tt__ws_memory(ws) > N); /* kept for the next message */
        assert_true(tt__ws_has_spare(ws));
    }
    assert_int_equal(tt__ws_send(ws, TT_DATA_BINARY, big, N), 0);
    tt_test_drain(ws);
    assert_true(tt__ws_memory(ws) > 2 * N);
    tt__ws_trim(ws);
    assert_false(tt__ws_has_spare(ws));
    assert_int_equal(tt__ws_memory(ws), idle);
    free(big);
    tt__ws_free(ws);
}

/* An open, idle session is small, also after assembling a large split message. */
static void test_idle_memory_is_small(void **state) {
    (void)state;
    recorder r;
    tt__ws *ws = session_open(&r, 0);
    size_t idle = tt__ws_memory(ws);
    assert_true(idle < 1024);
    uint8_t big[4 + 5000];
    big[0] = 0x82, big[1] = 126, big[2] = 5000 >> 8, big[3] = 5000 & 0xFF;
    memset(big + 4, 7, 5000);
    assert_int_equal(tt__ws_recv(ws, big, 2000), 0);
    assert_true(tt__ws_memory(ws) > 5000); /* the message is being assembled */
    assert_int_equal(tt__ws_recv(ws, big + 2000, sizeof big - 2000), 0);
    assert_int_equal(r.lengths[0], 5000);
    assert_true(tt__ws_memory(ws) < 1024);
    assert_int_equal(tt__ws_send(ws, TT_DATA_BINARY, big, 3000), 0);
    assert_true(tt__ws_memory(ws) > 3000);
    tt_test_drain(ws);
    assert_true(tt__ws_has_spare(ws)); /* the output buffer stays for the next pass ... */
    tt__ws_trim(ws);                   /* ... until the transport's trim timer gives it back */
    assert_false(tt__ws_has_spare(ws));
    assert_int_equal(tt__ws_memory(ws), idle);
    tt__ws_free(ws);
}

/*
 * A message larger than max_message_size fails once its bytes pass the limit (Chromium waits for the data
 * of a frame it can take, so the header alone changes nothing), and no more than the limit is ever kept.
 */
static void test_too_big_as_bytes_arrive(void **state) {
    (void)state;
    recorder r;
    enum { LIMIT = 1 << 20 };
    tt__ws *ws = session_open(&r, LIMIT);
    size_t base = tt__ws_memory(ws);
    static const uint8_t huge[] = {0x82, 127, 0, 0, 0, 0, 0x40, 0, 0, 0}; /* 1 GiB */
    tt__alloc_reset_count();
    assert_int_equal(tt__ws_recv(ws, huge, sizeof huge), 0);
    assert_int_equal(tt__alloc_count(), 0); /* nothing is reserved for what only a header announced */
    assert_int_equal(tt__ws_get_state(ws), TT__WS_OPEN);
    static uint8_t chunk[64 * 1024];
    memset(chunk, 'x', sizeof chunk);
    for (size_t got = 0; got < LIMIT; got += sizeof chunk) {
        assert_int_equal(tt__ws_recv(ws, chunk, sizeof chunk), 0);
        assert_true(tt__ws_memory(ws) <= base + LIMIT + 1);
    }
    assert_int_equal(tt__ws_recv(ws, chunk, 1), TT_ETOOBIG); /* byte LIMIT + 1 */
    assert_int_equal(r.messages, 0);
    uint8_t payload[200];
    size_t len;
    assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_CLOSE);
    assert_memory_equal(payload, "\x03\xF1", 2);
    tt__ws_free(ws);

    /* The same through direct reads: the reservation never passes the limit by more than one byte. */
    ws = session_open(&r, LIMIT);
    assert_int_equal(tt__ws_recv(ws, huge, sizeof huge), 0);
    int rc = 0;
    for (size_t got = 0; rc == 0 && got <= LIMIT;) {
        size_t room = 0;
        uint8_t *at = tt__ws_recv_buffer(ws, 1, &room);
        assert_non_null(at);
        assert_true(got + room <= LIMIT + 1);
        memset(at, 'x', room);
        rc = tt__ws_recv_direct(ws, room);
        got += room;
    }
    assert_int_equal(rc, TT_ETOOBIG);
    assert_true(tt__ws_memory(ws) <= base + LIMIT + 1);
    tt__ws_free(ws);
}

/*
 * Chromium's frame parser takes at most 2^31 - 1 bytes. A header announcing 2^31 or more ends the
 * connection as a drop (TT_ECLOSED: no Close frame, no error event); 2^31 - 1 waits for the data, and
 * nothing is reserved for it before the data comes.
 */
static void test_frame_length_limit_2_31(void **state) {
    (void)state;
    recorder r;
    static const uint8_t len_2_31[] = {0x82, 127, 0, 0, 0, 0, 0x80, 0, 0, 0};
    static const uint8_t len_2_31_minus_1[] = {0x82, 127, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF};
    static const uint8_t ping_2_63_minus_1[] = {0x89, 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    const uint8_t *drops[] = {len_2_31, ping_2_63_minus_1};
    for (size_t i = 0; i < 2; i++)
        for (size_t split = 1; split <= 10; split++) {
            tt__ws *ws = session_open(&r, 0);
            tt__alloc_reset_count();
            assert_int_equal(feed_split(ws, drops[i], 10, split, split), TT_ECLOSED);
            assert_int_equal(tt__ws_get_state(ws), TT__WS_FAILED);
            assert_int_equal(tt__ws_error(ws), TT_ECLOSED);
            assert_int_equal(tt__ws_peer_closed(ws), 0);
            size_t pending;
            assert_null(tt__ws_output(ws, &pending)); /* no Close goes out */
            assert_int_equal(tt__alloc_count(), 0);
            tt__ws_free(ws);
        }

    /* 2^31 - 1 (and no max_message_size): the session waits; a message that does come is delivered. */
    tt__ws *ws = session_open(&r, 0);
    size_t base = tt__ws_memory(ws);
    tt__alloc_reset_count();
    assert_int_equal(tt__ws_recv(ws, len_2_31_minus_1, sizeof len_2_31_minus_1), 0);
    assert_int_equal(tt__alloc_count(), 0);
    assert_int_equal(tt__ws_get_state(ws), TT__WS_OPEN);
    assert_int_equal(tt__ws_memory(ws), base);
    size_t room = 0;
    assert_non_null(tt__ws_recv_buffer(ws, 1, &room)); /* a direct read reserves a bounded first step */
    assert_true(tt__ws_memory(ws) <= base + (1u << 20));
    tt__ws_free(ws);

    /* After the peer's Close the drop keeps the knowledge of that Close (its code is what is reported). */
    ws = session_open(&r, 0);
    static const uint8_t close_then_huge[] = {0x88, 0x02, 0x03, 0xE8, 0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0};
    assert_int_equal(tt__ws_recv(ws, close_then_huge, sizeof close_then_huge), TT_ECLOSED);
    assert_int_equal(r.closes, 1);
    assert_int_equal(tt__ws_peer_closed(ws), 1);
    assert_int_equal(tt__ws_error(ws), TT_ECLOSED);
    tt__ws_free(ws);
}

/* A ping frame with a 125-byte payload that numbers it (i in the first four bytes). */
static size_t make_ping(uint8_t *out, uint32_t i) {
    out[0] = 0x89;
    out[1] = 125;
    memset(out + 2, 'p', 125);
    memcpy(out + 2, &i, sizeof i);
    return 127;
}

/*
 * A server that pings and never reads: while the output is backed up only the latest ping's answer is
 * kept (RFC 6455 section 5.5.3), so 100,000 pings leave a bounded output, and the answer that finally
 * goes out is the one to the last ping. Nothing counts in bufferedAmount.
 */
static void test_ping_flood_keeps_output_bounded(void **state) {
    (void)state;
    recorder r;
    tt__ws *ws = session_open(&r, 0);
    size_t base = tt__ws_memory(ws);
    enum { PINGS = 100000 };
    static uint8_t batch[1000 * 127];
    for (uint32_t i = 0; i < PINGS;) {
        size_t n = 0;
        for (int k = 0; k < 1000; k++, i++) n += make_ping(batch + n, i);
        assert_int_equal(tt__ws_recv(ws, batch, n), 0);
        size_t pending;
        tt__ws_output(ws, &pending);
        assert_true(pending <= 64 * 1024 + 2 * (TT__FRAME_HEADER_MAX + 125));
        assert_true(tt__ws_memory(ws) <= base + 2 * 64 * 1024 + 1024);
    }
    assert_int_equal(tt__ws_buffered_amount(ws), 0);
    assert_int_equal(tt__ws_get_state(ws), TT__WS_OPEN);
    /* Draining: every frame is a pong, in ping order, the last one answering the last ping. */
    uint8_t payload[125];
    size_t len, pongs = 0;
    uint32_t last = 0, prev = 0;
    int op;
    while ((op = take_client_frame(ws, payload, &len)) != -1) {
        assert_int_equal(op, TT__OP_PONG);
        assert_int_equal(len, 125);
        memcpy(&last, payload, sizeof last);
        if (pongs++) assert_true(last > prev);
        prev = last;
    }
    assert_int_equal(last, PINGS - 1);
    assert_true(pongs < 1000);
    tt__ws_free(ws);
}

/*
 * While little is pending every ping gets its own pong, in order (as Chromium answers each one). A pong
 * that waits behind a backed-up output goes out before the next message and before the Close.
 */
static void test_pongs_in_order_and_before_later_frames(void **state) {
    (void)state;
    recorder r;
    tt__ws *ws = session_open(&r, 0);
    uint8_t ping[127];
    for (uint32_t i = 0; i < 64; i++) assert_int_equal(tt__ws_recv(ws, ping, make_ping(ping, i)), 0);
    uint8_t payload[70 * 1024];
    size_t len;
    for (uint32_t i = 0; i < 64; i++) {
        assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_PONG);
        uint32_t got;
        memcpy(&got, payload, sizeof got);
        assert_int_equal(got, i);
    }
    assert_int_equal(take_client_frame(ws, payload, &len), -1);

    static uint8_t big[66 * 1024];
    memset(big, 'b', sizeof big);
    assert_int_equal(tt__ws_send(ws, TT_DATA_BINARY, big, sizeof big), 0); /* the output is backed up */
    assert_int_equal(tt__ws_recv(ws, ping, make_ping(ping, 1000)), 0);
    assert_int_equal(tt__ws_recv(ws, ping, make_ping(ping, 1001)), 0);
    assert_int_equal(tt__ws_send(ws, TT_DATA_TEXT, "after", 5), 0);
    assert_int_equal(tt__ws_close(ws, 1000, "", 0), 0);
    assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_BINARY);
    assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_PONG);
    uint32_t got;
    memcpy(&got, payload, sizeof got);
    assert_int_equal(got, 1001);
    assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_TEXT);
    assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_CLOSE);
    assert_int_equal(take_client_frame(ws, payload, &len), -1);
    tt__ws_free(ws);

    /* The waiting pong also goes out on its own once the backlog drains. */
    ws = session_open(&r, 0);
    assert_int_equal(tt__ws_send(ws, TT_DATA_BINARY, big, sizeof big), 0);
    assert_int_equal(tt__ws_recv(ws, ping, make_ping(ping, 7)), 0);
    assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_BINARY);
    assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_PONG);
    memcpy(&got, payload, sizeof got);
    assert_int_equal(got, 7);
    tt__ws_free(ws);
}

/* ---- Sending --------------------------------------------------------------------------------- */

static void test_send_exact_bytes_and_buffered_amount(void **state) {
    (void)state;
    recorder r;
    tt__ws *ws = session_open(&r, 0);
    /* The nonce took bytes 00-0f; the pool continues with 10 11 12 13 for the first mask key. */
    assert_int_equal(tt__ws_send(ws, TT_DATA_TEXT, "Hello", 5), 0);
    assert_int_equal(tt__ws_send(ws, TT_DATA_BINARY, "\x01\x02\x03", 3), 0);
    static const uint8_t want[] = {0x81,       0x85,       0x10,       0x11,        0x12,        0x13,       'H' ^ 0x10,
                                   'e' ^ 0x11, 'l' ^ 0x12, 'l' ^ 0x13, 'o' ^ 0x10,  0x82,        0x83,       0x14,
                                   0x15,       0x16,       0x17,       0x01 ^ 0x14, 0x02 ^ 0x15, 0x03 ^ 0x16};
    size_t len;
    const uint8_t *out = tt__ws_output(ws, &len);
    assert_int_equal(len, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    assert_int_equal(tt__ws_buffered_amount(ws), 8);
    /* Consumption inside headers does not count; inside payloads it does, byte for byte. */
    static const size_t steps[] = {3, 3, 2, 4, 2, 3, 3};
    static const size_t expect[] = {8, 8, 6, 3, 3, 3, 0};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        tt__ws_output_consume(ws, steps[i]);
        assert_int_equal(tt__ws_buffered_amount(ws), expect[i]);
    }
    tt__ws_output(ws, &len);
    assert_int_equal(len, 0);
    tt__ws_free(ws);
}

static void test_send_large_lengths(void **state) {
    (void)state;
    recorder r;
    tt__ws *ws = session_open(&r, 0);
    static uint8_t data[70000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 31);
    static const size_t sizes[] = {125, 126, 65535, 65536, 70000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        assert_int_equal(tt__ws_send(ws, TT_DATA_BINARY, data, sizes[i]), 0);
    static uint8_t payload[70000];
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t len;
        assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_BINARY);
        assert_int_equal(len, sizes[i]);
        assert_memory_equal(payload, data, len);
    }
    assert_int_equal(tt__ws_buffered_amount(ws), 0);
    tt__ws_free(ws);
}

static void test_our_close_then_peer_close(void **state) {
    (void)state;
    recorder r;
    tt__ws *ws = session_open(&r, 0);
    assert_int_equal(tt__ws_close(ws, 4000, "done", 4), 0);
    assert_int_equal(tt__ws_get_state(ws), TT__WS_CLOSE_SENT);
    assert_int_equal(tt__ws_send(ws, TT_DATA_TEXT, "x", 1), TT_ESTATE);
    assert_int_equal(tt__ws_close(ws, 1000, NULL, 0), TT_ESTATE);
    uint8_t payload[200];
    size_t len;
    assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_CLOSE);
    assert_int_equal(len, 6);
    assert_memory_equal(payload,
                        "\x0F\xA0"
                        "done",
                        6);
    /* Messages still arrive until the peer's Close; a ping is no longer answered. */
    static const uint8_t in[] = {0x81, 0x02, 'h', 'i', 0x89, 0x00, 0x88, 0x00};
    assert_int_equal(tt__ws_recv(ws, in, sizeof in), 0);
    assert_int_equal(r.messages, 1);
    assert_int_equal(r.closes, 1);
    assert_int_equal(r.close_code, 1005);
    assert_int_equal(tt__ws_get_state(ws), TT__WS_CLOSED);
    assert_int_equal(take_client_frame(ws, payload, &len), -1);
    tt__ws_free(ws);
}

static void test_peer_close_without_code_echoes_empty(void **state) {
    (void)state;
    recorder r;
    tt__ws *ws = session_open(&r, 0);
    assert_int_equal(tt__ws_recv(ws, (const uint8_t *)"\x88\x00", 2), 0);
    assert_int_equal(r.close_code, 1005);
    uint8_t payload[200];
    size_t len;
    assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_CLOSE);
    assert_int_equal(len, 0);
    assert_int_equal(tt__ws_close(ws, 1000, NULL, 0), TT_ESTATE);
    tt__ws_free(ws);
}

/* Codes the RFC forbids on the wire (0, 999, 5000, 65535 ...) are reported and echoed verbatim, as Chromium does. */
static void test_peer_close_forbidden_code_echoed(void **state) {
    (void)state;
    static const int codes[] = {0, 999, 1004, 1016, 2999, 5000, 65535};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        recorder r;
        tt__ws *ws = session_open(&r, 0);
        uint8_t in[] = {0x88, 0x05, (uint8_t)(codes[i] >> 8), (uint8_t)codes[i], 'b', 'a', 'd'};
        assert_int_equal(tt__ws_recv(ws, in, sizeof in), 0);
        assert_int_equal(r.closes, 1);
        assert_int_equal(r.close_code, codes[i]);
        assert_int_equal(tt__ws_get_state(ws), TT__WS_CLOSED);
        uint8_t payload[200];
        size_t len;
        assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_CLOSE);
        assert_int_equal(len, 5);
        assert_memory_equal(payload, in + 2, 5);
        tt__ws_free(ws);
    }
}

/* ---- Failures -------------------------------------------------------------------------------- */

typedef struct bad_stream {
    const char *name;
    const char *bytes;
    size_t len;
    size_t max;         /* max_message_size */
    int expect;         /* error code */
    int close_code;     /* what we send before dropping */
    int messages;       /* messages delivered before the failure */
    const char *reason; /* the reason in our Close: Chromium's (tests/parity/reference/chromium.json) */
    tt__violation why;  /* the row of src/violation.h the failure is */
} bad_stream;

#define S(name, lit, max, expect, close, msgs, reason, why) \
    { name, lit, sizeof(lit) - 1, max, expect, close, msgs, reason, why }
static const bad_stream bad_streams[] = {
    S("masked server frame", "\x81\x81\x01\x02\x03\x04x", 0, TT_EFRAME, 1002, 0, "Masked frame from server",
      TT__VIOLATION_MASKED_FRAME),
    S("reserved opcode 3", "\x83\x00", 0, TT_EFRAME, 1002, 0, "Unknown opcode", TT__VIOLATION_RESERVED_OPCODE),
    S("reserved opcode B", "\x8B\x00", 0, TT_EFRAME, 1002, 0, "Unknown opcode", TT__VIOLATION_RESERVED_OPCODE),
    S("RSV1 without deflate", "\xC1\x01x", 0, TT_EFRAME, 1002, 0, "Invalid reserved bit", TT__VIOLATION_RESERVED_BITS),
    S("RSV3", "\x92\x00", 0, TT_EFRAME, 1002, 0, "Invalid reserved bit", TT__VIOLATION_RESERVED_BITS),
    S("fragmented ping", "\x09\x00", 0, TT_EFRAME, 1002, 0, "WebSocket Protocol Error",
      TT__VIOLATION_FRAGMENTED_CONTROL),
    S("long ping", "\x89\x7E\x00\x7E", 0, TT_EFRAME, 1002, 0, "WebSocket Protocol Error",
      TT__VIOLATION_CONTROL_TOO_LONG),
    S("64-bit length top bit", "\x82\x7F\x80\x00\x00\x00\x00\x00\x00\x01", 0, TT_EFRAME, 1002, 0,
      "WebSocket Protocol Error", TT__VIOLATION_LENGTH_ENCODING),
    S("16-bit length below 126",
      "\x81\x7E\x00\x05"
      "hello",
      0, TT_EFRAME, 1002, 0, "WebSocket Protocol Error", TT__VIOLATION_LENGTH_ENCODING),
    S("64-bit length below 65536",
      "\x81\x7F\x00\x00\x00\x00\x00\x00\x00\x05"
      "hello",
      0, TT_EFRAME, 1002, 0, "WebSocket Protocol Error", TT__VIOLATION_LENGTH_ENCODING),
    S("continuation without start", "\x80\x01x", 0, TT_EFRAME, 1002, 0, "Unexpected continuation",
      TT__VIOLATION_UNEXPECTED_CONTINUATION),
    S("text inside fragmented message",
      "\x01\x01"
      "a\x81\x01"
      "b",
      0, TT_EFRAME, 1002, 0, "Previous data frame unfinished", TT__VIOLATION_UNFINISHED_MESSAGE),
    S("binary inside fragmented message",
      "\x02\x01"
      "a\x89\x00\x02\x01"
      "b",
      0, TT_EFRAME, 1002, 0, "Previous data frame unfinished", TT__VIOLATION_UNFINISHED_MESSAGE),
    S("bad UTF-8 byte",
      "\x81\x03"
      "a\xFF"
      "b",
      0, TT_EUTF8, 1002, 0, "Invalid UTF-8 in text frame", TT__VIOLATION_TEXT_UTF8),
    S("surrogate", "\x81\x03\xED\xA0\x80", 0, TT_EUTF8, 1002, 0, "Invalid UTF-8 in text frame",
      TT__VIOLATION_TEXT_UTF8),
    S("UTF-8 split across fragments", "\x01\x01\xE2\x80\x02\x82\x41", 0, TT_EUTF8, 1002, 0,
      "Invalid UTF-8 in text frame", TT__VIOLATION_TEXT_UTF8),
    S("text ends inside a character",
      "\x81\x02"
      "a\xE2",
      0, TT_EUTF8, 1002, 0, "Invalid UTF-8 in text frame", TT__VIOLATION_TEXT_UTF8_TRUNCATED),
    S("fragments end inside a character", "\x01\x01\xE2\x80\x01\x82", 0, TT_EUTF8, 1002, 0,
      "Invalid UTF-8 in text frame", TT__VIOLATION_TEXT_UTF8_TRUNCATED),
    S("one-byte close", "\x88\x01\x03", 0, TT_EFRAME, 1002, 0, "", TT__VIOLATION_CLOSE_ONE_BYTE),
    S("close code 1005", "\x88\x02\x03\xED", 0, TT_EFRAME, 1002, 0, "", TT__VIOLATION_CLOSE_INVALID_CODE),
    S("close code 1006", "\x88\x02\x03\xEE", 0, TT_EFRAME, 1002, 0, "", TT__VIOLATION_CLOSE_INVALID_CODE),
    S("close code 1015", "\x88\x02\x03\xF7", 0, TT_EFRAME, 1002, 0, "", TT__VIOLATION_CLOSE_INVALID_CODE),
    S("close reason not UTF-8", "\x88\x03\x03\xE8\xC0", 0, TT_EUTF8, 1002, 0, "Invalid UTF-8 in Close frame",
      TT__VIOLATION_CLOSE_REASON_UTF8),
    S("single frame too big",
      "\x82\x05"
      "12345",
      4, TT_ETOOBIG, 1009, 0, "", TT__VIOLATION_MESSAGE_TOO_BIG),
    S("fragments too big together",
      "\x02\x03"
      "123\x80\x02"
      "45",
      4, TT_ETOOBIG, 1009, 0, "", TT__VIOLATION_MESSAGE_TOO_BIG),
    S("failure after a good message",
      "\x81\x02"
      "ok\x83\x00",
      0, TT_EFRAME, 1002, 1, "Unknown opcode", TT__VIOLATION_RESERVED_OPCODE),
};
#undef S

static void check_failed(tt__ws *ws, const bad_stream *b, const recorder *r, int rc) {
    if (rc != b->expect) fail_msg("%s: got %d, want %d", b->name, rc, b->expect);
    assert_int_equal(tt__ws_get_state(ws), TT__WS_FAILED);
    assert_int_equal(tt__ws_error(ws), b->expect);
    assert_string_equal(tt__ws_error_detail(ws), tt__violation_detail(b->why));
    assert_int_equal(r->messages, b->messages);
    uint8_t payload[200];
    size_t len;
    int op;
    while ((op = take_client_frame(ws, payload, &len)) == TT__OP_PONG) continue; /* answers to pings before */
    assert_int_equal(op, TT__OP_CLOSE);
    assert_int_equal(len, 2 + strlen(b->reason));
    assert_int_equal((payload[0] << 8) | payload[1], b->close_code);
    assert_memory_equal(payload + 2, b->reason, len - 2);
    /* The Close is the row's, byte for byte. */
    assert_int_equal(b->close_code, tt__violation_close_code(b->why));
    assert_string_equal(b->reason, tt__violation_close_reason(b->why));
    assert_int_equal(take_client_frame(ws, payload, &len), -1);
    /* Sticky: later input is not looked at. */
    assert_int_equal(tt__ws_recv(ws, (const uint8_t *)"\x81\x01x", 3), b->expect);
    assert_int_equal(tt__ws_send(ws, TT_DATA_TEXT, "x", 1), TT_ESTATE);
}

static void test_bad_streams_every_split(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bad_streams / sizeof bad_streams[0]; i++) {
        const bad_stream *b = &bad_streams[i];
        const uint8_t *p = (const uint8_t *)b->bytes;
        for (size_t a = 0; a <= b->len; a++) {
            recorder r;
            tt__ws *ws = session_open(&r, b->max);
            check_failed(ws, b, &r, feed_split(ws, p, b->len, a, a));
            tt__ws_free(ws);
        }
        recorder r;
        tt__ws *ws = session_open(&r, b->max);
        check_failed(ws, b, &r, feed_bytewise(ws, p, b->len));
        tt__ws_free(ws);
    }
}

/*
 * A frame after the peer's Close fails the connection without a second Close (Chromium: "Text frame
 * received after close"); a header still incomplete waits. Our echo of the Close is still there to flush.
 */
static void test_frame_after_peer_close(void **state) {
    (void)state;
    static const uint8_t s[] = {0x88, 0x07, 0x03, 0xE8, 'f', 'i', 'r', 's', 't', 0x81, 0x7E, 0x00, 0x80};
    for (size_t a = 0; a <= sizeof s; a++) {
        for (size_t b = a; b <= sizeof s; b++) {
            recorder r;
            tt__ws *ws = session_open(&r, 0);
            int rc = feed_split(ws, s, sizeof s, a, b);
            assert_int_equal(rc, TT_EFRAME);
            assert_int_equal(r.closes, 1);
            assert_string_equal(tt__ws_error_detail(ws), "frame: a frame after the peer's Close");
            uint8_t payload[200];
            size_t len;
            assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_CLOSE);
            assert_int_equal(len, 7);
            assert_memory_equal(payload,
                                "\x03\xE8"
                                "first",
                                7);
            assert_int_equal(take_client_frame(ws, payload, &len), -1);
            tt__ws_free(ws);
        }
    }
    recorder r;
    tt__ws *ws = session_open(&r, 0);
    assert_int_equal(tt__ws_recv(ws, s, 10), 0); /* one header byte: not a frame yet */
    assert_int_equal(tt__ws_get_state(ws), TT__WS_CLOSED);
    tt__ws_free(ws);
}

/* Invalid UTF-8 fails at the bad byte, before the rest of the frame has arrived. */
static void test_utf8_fails_fast(void **state) {
    (void)state;
    recorder r;
    tt__ws *ws = session_open(&r, 0);
    static const uint8_t head[] = {0x81, 0x7E, 0x10, 0x00, 'o', 'k', 0xC0};
    assert_int_equal(tt__ws_recv(ws, head, 6), 0);
    assert_int_equal(tt__ws_recv(ws, head + 6, 1), TT_EUTF8);
    assert_string_equal(tt__ws_error_detail(ws), "text: invalid UTF-8");
    tt__ws_free(ws);
}

/*
 * Direct reads: a large text message in two fragments, a two-byte character across a read boundary, fed
 * through tt__ws_recv_buffer()/tt__ws_recv_direct() wherever the engine offers its buffer and through
 * tt__ws_recv() elsewhere, is delivered exactly as when fed whole; the buffer is never offered past the end
 * of a frame, nor for control frames, nor below `min`; invalid UTF-8 fails at the same byte either way.
 */
static size_t feed_direct(tt__ws *ws, const uint8_t *p, size_t n, size_t step, size_t min, int *rc_out) {
    size_t at = 0, direct_bytes = 0;
    *rc_out = 0;
    while (at < n) {
        size_t room = 0, take;
        uint8_t *buf = tt__ws_recv_buffer(ws, min, &room);
        int rc;
        if (buf) {
            assert_true(room > 0);
            take = room < step ? room : step;
            if (take > n - at) take = n - at;
            memcpy(buf, p + at, take);
            rc = tt__ws_recv_direct(ws, take);
            direct_bytes += take;
        } else {
            assert_int_equal(room, 0);
            take = step < n - at ? step : n - at;
            rc = tt__ws_recv(ws, p + at, take);
        }
        at += take;
        if (rc) {
            *rc_out = rc;
            break;
        }
    }
    return direct_bytes;
}

static size_t big_text_stream(uint8_t *s, size_t first, size_t second, size_t char_at, int bad) {
    size_t n = 0;
    s[n++] = 0x01; /* text, not final */
    s[n++] = 127;
    for (int i = 0; i < 8; i++) s[n++] = (uint8_t)((uint64_t)first >> (56 - 8 * i));
    size_t payload0 = n;
    memset(s + n, 'x', first);
    n += first;
    s[n++] = 0x89; /* a ping between the fragments */
    s[n++] = 2;
    s[n++] = 'h';
    s[n++] = 'i';
    s[n++] = 0x80; /* continuation, final */
    s[n++] = 127;
    for (int i = 0; i < 8; i++) s[n++] = (uint8_t)((uint64_t)second >> (56 - 8 * i));
    memset(s + n, 'y', second);
    n += second;
    s[payload0 + char_at] = 0xC3; /* U+00E9 (or an invalid continuation) inside the first fragment */
    s[payload0 + char_at + 1] = bad ? 0x28 : 0xA9;
    s[n++] = 0x82; /* and a small binary message after it */
    s[n++] = 3;
    memcpy(s + n, "end", 3);
    return n + 3;
}

static void test_direct_reads(void **state) {
    (void)state;
    enum { FIRST = 200000, SECOND = 100002 };
    static uint8_t stream[FIRST + SECOND + 64];
    size_t n = big_text_stream(stream, FIRST, SECOND, 150000, 0);
    recorder whole, r;
    tt__ws *ws = session_open(&whole, 0);
    uint8_t probe[8];
    size_t room = 99;
    assert_null(tt__ws_recv_buffer(ws, 1, &room)); /* between frames */
    assert_int_equal(room, 0);
    assert_int_equal(tt__ws_recv(ws, stream, n), 0);
    tt__ws_free(ws);
    assert_int_equal(whole.messages, 2);
    assert_int_equal(whole.lengths[0], FIRST + SECOND);

    static const size_t steps[] = {1000, 4096, 65536, 150001, 1 << 20};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        ws = session_open(&r, 0);
        int rc;
        size_t direct = feed_direct(ws, stream, n, steps[i], 1000, &rc);
        assert_int_equal(rc, 0);
        if (steps[i] < n) assert_true(direct > 0); /* else it all came in one ordinary chunk */
        assert_true(direct <= FIRST + SECOND);
        assert_int_equal(r.messages, 2);
        assert_int_equal(r.types[0], TT_DATA_TEXT);
        assert_int_equal(r.lengths[0], FIRST + SECOND);
        assert_int_equal(r.hashes[0], whole.hashes[0]);
        assert_int_equal(r.lengths[1], 3);
        assert_memory_equal(r.data[1], "end", 3);
        assert_int_equal(take_client_frame(ws, probe, &room), TT__OP_PONG); /* the ping was answered */
        assert_int_equal(room, 2);
        assert_memory_equal(probe, "hi", 2);
        tt__ws_free(ws);
    }

    /* Never past the end of a frame; nothing when less than `min` is left; nothing for control frames. */
    ws = session_open(&r, 0);
    assert_int_equal(tt__ws_recv(ws, stream, 10 + 5), 0);
    assert_non_null(tt__ws_recv_buffer(ws, FIRST - 5, &room));
    assert_int_equal(room, FIRST - 5);
    assert_null(tt__ws_recv_buffer(ws, FIRST - 4, &room));
    static const uint8_t ping_head[] = {0x89, 0x7D};
    tt__ws *ws2 = session_open(&r, 0);
    assert_int_equal(tt__ws_recv(ws2, ping_head, 2), 0);
    assert_null(tt__ws_recv_buffer(ws2, 1, &room));
    tt__ws_free(ws2);
    tt__ws_free(ws);

    /* Invalid UTF-8 fails at the same byte, with the same detail, whichever way it came. */
    n = big_text_stream(stream, FIRST, SECOND, 150000, 1);
    ws = session_open(&r, 0);
    assert_int_equal(tt__ws_recv(ws, stream, 10 + 150001), 0);
    assert_int_equal(tt__ws_recv(ws, stream + 10 + 150001, 1), TT_EUTF8);
    tt__ws_free(ws);
    ws = session_open(&r, 0);
    assert_int_equal(tt__ws_recv(ws, stream, 10), 0);
    uint8_t *buf = tt__ws_recv_buffer(ws, 1, &room);
    assert_non_null(buf);
    memcpy(buf, stream + 10, 150001);
    assert_int_equal(tt__ws_recv_direct(ws, 150001), 0);
    buf = tt__ws_recv_buffer(ws, 1, &room);
    assert_non_null(buf);
    memcpy(buf, stream + 10 + 150001, 1);
    assert_int_equal(tt__ws_recv_direct(ws, 1), TT_EUTF8);
    assert_int_equal(tt__ws_get_state(ws), TT__WS_FAILED);
    assert_string_equal(tt__ws_error_detail(ws), "text: invalid UTF-8");
    assert_null(tt__ws_recv_buffer(ws, 1, &room));
    assert_int_equal(tt__ws_recv_direct(ws, 1), TT_EUTF8);
    assert_int_equal(r.messages, 0);
    tt__ws_free(ws);
}

/* Feeds a whole binary message of n bytes ('m') in one frame with a 64-bit length. */
static void feed_binary(tt__ws *ws, size_t n) {
    uint8_t h[10] = {0x82, 127};
    for (int i = 0; i < 8; i++) h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
    uint8_t *p = malloc(n);
    assert_non_null(p);
    memset(p, 'm', n);
    assert_int_equal(tt__ws_recv(ws, h, sizeof h), 0);
    assert_int_equal(tt__ws_recv(ws, p, n), 0);
    free(p);
}

/*
 * Chromium answers the server's Close only once the page took the messages before it: behind more than
 * 131000 message bytes handed up in one pass the Close waits for tt__ws_delivered(). Meanwhile a Ping is
 * answered, a Pong ignored and a message dropped; then the echo goes out and a later frame fails.
 */
static void test_peer_close_held_behind_messages(void **state) {
    (void)state;
    static const uint8_t tail[] = {0x88, 0x07, 0x03, 0xE8, 'f',  'i',  'r', 's', 't', 0x89,
                                   0x01, 'p',  0x8A, 0x00, 0x81, 0x04, 'l', 'a', 't', 'e'};
    recorder r;
    tt__ws *ws = session_open(&r, 0);
    feed_binary(ws, 131001);
    assert_int_equal(tt__ws_recv(ws, tail, sizeof tail), 0);
    assert_int_equal(r.messages, 1); /* "late" was dropped */
    assert_int_equal(r.closes, 0);
    assert_int_equal(tt__ws_get_state(ws), TT__WS_OPEN);
    uint8_t payload[200];
    size_t len;
    assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_PONG);
    assert_int_equal(len, 1);
    assert_int_equal(take_client_frame(ws, payload, &len), -1);
    assert_int_equal(tt__ws_delivered(ws), 1);
    assert_int_equal(r.closes, 1);
    assert_int_equal(r.close_code, 1000);
    assert_string_equal(r.close_reason, "first");
    assert_int_equal(tt__ws_get_state(ws), TT__WS_CLOSED);
    assert_int_equal(take_client_frame(ws, payload, &len), TT__OP_CLOSE);
    assert_memory_equal(payload,
                        "\x03\xE8"
                        "first",
                        7);
    assert_int_equal(tt__ws_delivered(ws), 0);
    assert_int_equal(tt__ws_recv(ws, tail + 9, 3), TT_EFRAME); /* a Ping now fails the connection */
    tt__ws_free(ws);

    /* 131000 bytes, or a delivery point between the message and the Close: answered at once. */
    for (int variant = 0; variant < 2; variant++) {
        ws = session_open(&r, 0);
        feed_binary(ws, variant ? 131001 : 131000);
        if (variant) assert_int_equal(tt__ws_delivered(ws), 0);
        assert_int_equal(tt__ws_recv(ws, tail, 12), TT_EFRAME);
        assert_int_equal(r.closes, 1);
        tt__ws_free(ws);
    }
}

/* Failing while our Close is already out sends no second Close. */
/* The counters the session adds to, and the head it hands out before on_open. */
static char seen_head[512];
static void rec_head(void *ud, const char *head, size_t length) {
    (void)ud;
    assert_true(length < sizeof seen_head);
    memcpy(seen_head, head, length);
    seen_head[length] = '\0';
}

/* ---- Streaming a large message (tt__ws_stream_*) ----------------------------------------------- */

/*
 * What the transport does with tt__ws_stream_*: the frame is filled `chunk` payload bytes at a time (the
 * first fill also holding the header) and the "network" takes each fill whole until it has taken
 * `taken` bytes in all, the last fill only partly; the rest is queued by tt__ws_stream_end(). The bytes
 * the network took go to wire[0..*wire_len).
 */
static void stream_send(tt__ws *ws, const uint8_t *data, size_t length, size_t chunk, size_t taken, uint8_t *wire,
                        size_t *wire_len) {
    tt__ws_stream s;
    assert_int_equal(tt__ws_stream_begin(ws, TT_DATA_BINARY, data, length, &s), 0);
    static uint8_t buf[TT__FRAME_HEADER_MAX + 8192];
    assert_true(chunk <= 8192);
    *wire_len = 0;
    for (size_t m; *wire_len < taken && (m = tt__ws_stream_fill(&s, buf, chunk + (s.done ? 0 : s.header_len))) > 0;) {
        size_t n = taken - *wire_len < m ? taken - *wire_len : m;
        memcpy(wire + *wire_len, buf, n);
        *wire_len += n;
        tt__ws_stream_sent(ws, &s, n);
    }
    tt__ws_stream_end(ws, &s);
}

/*
 * A streamed message is the frame tt__ws_send() would queue, byte for byte (the same mask draw), however
 * the network splits it: what the network did not take is left in the output exactly as if the frame had
 * been queued and that much of it written, with bufferedAmount, the counters and later frames the same.
 * Checked against a twin session that queues the same messages and writes the same byte counts.
 */
static void test_stream_is_the_queued_frame(void **state) {
    (void)state;
    enum { LEN = 70001, SMALL = 300 };
    static uint8_t data[LEN], wire[LEN + 64], want[LEN + 64], got[LEN + 64];
    for (size_t i = 0; i < LEN; i++) data[i] = (uint8_t)(i * 7 + 3);
    const size_t frame = 10 + 4 + LEN; /* a 64-bit length and the key */
    /* The network takes: nothing, part of the header, the header and part of a chunk, a chunk boundary plus
     * an odd count (the key rotated), all but one byte, everything. */
    static const size_t takes[] = {0, 5, 14 + 1000, 14 + 4093 + 4095, frame - 1, frame};
    for (size_t t = 0; t < sizeof takes / sizeof takes[0]; t++) {
        recorder ra, rb;
        tt_task_stats sa, sb;
        memset(&sa, 0, sizeof sa);
        memset(&sb, 0, sizeof sb);
        tt__ws *a = session_open(&ra, 0);
        tt__ws *b = session_open(&rb, 0);
        /* The twin: queued whole, then the same count written. Each session's draws start from the same
         * point of the counter randomness, so both frames get the same key. */
        tt_test_hooks_install(0);
        assert_int_equal(tt__ws_send(a, TT_DATA_BINARY, data, LEN), 0);
        size_t alen;
        const uint8_t *aout = tt__ws_output(a, &alen);
        assert_int_equal(alen, frame);
        memcpy(want, aout, frame);
        tt__ws_output_consume(a, takes[t]);

        size_t wlen;
        tt_test_hooks_install(0);
        stream_send(b, data, LEN, 4093, takes[t], wire, &wlen);
        assert_int_equal(wlen, takes[t]);
        size_t blen;
        const uint8_t *bout = tt__ws_output(b, &blen);
        assert_int_equal(blen, frame - takes[t]);
        memcpy(got, wire, wlen);
        if (blen) memcpy(got + wlen, bout, blen);
        assert_memory_equal(got, want, frame);
        assert_int_equal(tt__ws_buffered_amount(b), tt__ws_buffered_amount(a));

        /* Messages queued behind, then the output written in odd steps: the same counts all the way. */
        tt_test_hooks_install(0);
        assert_int_equal(tt__ws_send(a, TT_DATA_TEXT, data, 0), 0);
        assert_int_equal(tt__ws_send(a, TT_DATA_BINARY, data, SMALL), 0);
        tt_test_hooks_install(0);
        assert_int_equal(tt__ws_send(b, TT_DATA_TEXT, data, 0), 0);
        assert_int_equal(tt__ws_send(b, TT_DATA_BINARY, data, SMALL), 0);
        for (;;) {
            tt__ws_output(a, &alen);
            tt__ws_output(b, &blen);
            assert_int_equal(blen, alen);
            if (alen == 0) break;
            aout = tt__ws_output(a, &alen);
            bout = tt__ws_output(b, &blen);
            size_t step = alen < 4099 ? alen : 4099;
            assert_memory_equal(bout, aout, step);
            tt__ws_output_consume(a, step);
            tt__ws_output_consume(b, step);
            assert_int_equal(tt__ws_buffered_amount(b), tt__ws_buffered_amount(a));
        }
        assert_int_equal(tt__ws_buffered_amount(b), 0);
        tt__ws_free(a);
        tt__ws_free(b);
    }
}

/* The counters: one frame, its peak bufferedAmount (the whole message, as when it is queued), and the
 * wire bytes as the network takes them. */
static void test_stream_counters(void **state) {
    (void)state;
    static uint8_t data[5000], wire[5100];
    memset(data, 'd', sizeof data);
    tt_task_stats st;
    memset(&st, 0, sizeof st);
    recorder r;
    tt__ws *ws = session_open_counted(&r, 0, &st);
    uint64_t before = st.wire_bytes_sent;
    size_t wlen;
    stream_send(ws, data, sizeof data, 1024, 3000, wire, &wlen);
    assert_int_equal(st.frames_sent, 1);
    assert_int_equal(st.peak_buffered_amount, sizeof data);
    assert_int_equal(st.wire_bytes_sent - before, 3000);
    assert_int_equal(tt__ws_buffered_amount(ws), sizeof data - (3000 - 4 - 4)); /* a 16-bit length */
    tt_test_drain(ws);
    assert_int_equal(st.wire_bytes_sent - before, 4 + 4 + sizeof data);
    assert_int_equal(tt__ws_buffered_amount(ws), 0);
    tt__ws_free(ws);
}

/*
 * tt__ws_stream_begin() takes a message only when it can go out first: not behind queued output
 * (TT_EAGAIN: the transport queues it instead, which keeps the order), not after our Close (TT_ESTATE),
 * and with no memory for the rest it fails as tt__ws_send() does (TT_ENOMEM). A refusal draws no mask key
 * and counts nothing: the next frame is the one a session that never tried would send.
 */
static void test_stream_refusals(void **state) {
    (void)state;
    recorder r, rt;
    tt__ws_stream s;
    static uint8_t data[70 * 1024];
    memset(data, 'x', sizeof data);
    tt__ws *ws = session_open(&r, 0);
    tt__ws *twin = session_open(&rt, 0);
    assert_int_equal(tt__ws_send(ws, TT_DATA_TEXT, "first", 5), 0);
    assert_int_equal(tt__ws_send(twin, TT_DATA_TEXT, "first", 5), 0);
    tt_test_hooks_install(0); /* the draws of ws from here on: the same as the twin's below */
    assert_int_equal(tt__ws_stream_begin(ws, TT_DATA_BINARY, data, sizeof data, &s), TT_EAGAIN);
    assert_int_equal(tt__ws_buffered_amount(ws), 5);
    tt_test_drain(ws);
    tt_test_drain(twin);
    tt__ws_trim(ws); /* the next reservation allocates */
    tt__alloc_set_fail_after(1);
    assert_int_equal(tt__ws_stream_begin(ws, TT_DATA_BINARY, data, sizeof data, &s), TT_ENOMEM);
    tt__alloc_set_fail_after(0);
    assert_int_equal(tt__ws_buffered_amount(ws), 0);
    size_t len, tlen;
    tt__ws_output(ws, &len);
    assert_int_equal(len, 0);
    assert_int_equal(tt__ws_stream_begin(ws, TT_DATA_BINARY, data, sizeof data, &s), 0);
    tt__ws_stream_end(ws, &s); /* the network took nothing: the whole frame is queued */
    tt_test_hooks_install(0);
    assert_int_equal(tt__ws_send(twin, TT_DATA_BINARY, data, sizeof data), 0);
    const uint8_t *a = tt__ws_output(ws, &len), *b = tt__ws_output(twin, &tlen);
    assert_int_equal(len, tlen);
    assert_memory_equal(a, b, len);
    assert_int_equal(tt__ws_buffered_amount(ws), sizeof data);
    tt__ws_free(twin);
    tt_test_drain(ws);
    assert_int_equal(tt__ws_close(ws, 1000, "", 0), 0);
    assert_int_equal(tt__ws_stream_begin(ws, TT_DATA_BINARY, data, sizeof data, &s), TT_ESTATE);
    tt__ws_free(ws);
}

static void test_wire_counters_and_response_head(void **state) {
    (void)state;
    static tt__url url;
    const char *s = "ws://example.test:8080/chat";
    assert_int_equal(tt__url_parse(s, strlen(s), &url), 0);
    recorder r;
    memset(&r, 0, sizeof r);
    tt_task_stats st;
    memset(&st, 0, sizeof st);
    tt__ws_options o;
    memset(&o, 0, sizeof o);
    o.url = &url;
    o.callbacks.on_open = rec_open;
    o.callbacks.on_message = rec_message;
    o.callbacks.on_peer_close = rec_close;
    o.callbacks.on_response_head = rec_head;
    o.user_data = &r;
    o.stats = &st;
    tt__ws *ws = tt__ws_new(&o);
    assert_non_null(ws);
    size_t request_len;
    tt__ws_output(ws, &request_len);
    assert_int_equal(st.wire_bytes_sent, 0); /* queued is not written */
    tt__ws_output_consume(ws, 10);
    assert_int_equal(st.wire_bytes_sent, 10);
    tt__ws_output_consume(ws, request_len - 10);
    assert_int_equal(st.wire_bytes_sent, request_len);

    char resp[512];
    size_t n = make_response(resp, sizeof resp, NULL);
    /* The 101, a text frame "hi" and a ping "p", in one read. */
    uint8_t in[600];
    memcpy(in, resp, n);
    static const uint8_t frames[] = {0x81, 2, 'h', 'i', 0x89, 1, 'p'};
    memcpy(in + n, frames, sizeof frames);
    assert_int_equal(tt__ws_recv(ws, in, n + sizeof frames), 0);
    assert_int_equal(st.wire_bytes_received, n + sizeof frames);
    assert_int_equal(st.frames_received, 2);
    assert_int_equal(st.pings_received, 1);
    assert_int_equal(st.pongs_sent, 1);
    assert_int_equal(st.frames_sent, 1);
    /* The head as received, without its empty line, so a game sees exactly the server's fields. */
    char want[512];
    memcpy(want, resp, n - 4);
    want[n - 4] = '\0';
    assert_string_equal(seen_head, want);

    assert_int_equal(tt__ws_send(ws, TT_DATA_TEXT, "hello", 5), 0);
    assert_int_equal(st.frames_sent, 2);
    assert_int_equal(st.peak_buffered_amount, 5); /* bufferedAmount counts payload, not the pong */
    size_t pending;
    tt__ws_output(ws, &pending);
    assert_int_equal(pending, (2 + 4 + 1) + (2 + 4 + 5)); /* pong and text, masked */
    tt_test_drain(ws);
    assert_int_equal(st.wire_bytes_sent, request_len + pending);
    assert_int_equal(st.peak_buffered_amount, 5); /* a peak stays */
    assert_int_equal(st.compressed_payload_sent + st.compressed_wire_sent + st.compressed_wire_received +
                         st.compressed_payload_received,
                     0);
    tt__ws_free(ws);
}

static void test_failure_after_our_close_sends_nothing(void **state) {
    (void)state;
    recorder r;
    tt__ws *ws = session_open(&r, 0);
    assert_int_equal(tt__ws_close(ws, 1000, NULL, 0), 0);
    tt_test_drain(ws);
    assert_int_equal(tt__ws_recv(ws, (const uint8_t *)"\x83\x00", 2), TT_EFRAME);
    size_t len;
    tt__ws_output(ws, &len);
    assert_int_equal(len, 0);
    tt__ws_free(ws);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_request_exact_bytes, setup),
        cmocka_unit_test_setup(test_open_then_frames_any_split, setup),
        cmocka_unit_test_setup(test_lenient_handshake_any_split, setup),
        cmocka_unit_test_setup(test_bad_handshakes, setup),
        cmocka_unit_test_setup(test_handshake_head_limit, setup),
        cmocka_unit_test_setup(test_deflate_offer_follows_build, setup),
        cmocka_unit_test_setup(test_new_allocation_failures, setup),
        cmocka_unit_test_setup(test_busy_stream_every_split, setup),
        cmocka_unit_test_setup(test_zero_copy_hot_path, setup),
        cmocka_unit_test_setup(test_idle_memory_is_small, setup),
        cmocka_unit_test_setup(test_large_buffers_kept_until_trim, setup),
        cmocka_unit_test_setup(test_too_big_as_bytes_arrive, setup),
        cmocka_unit_test_setup(test_frame_length_limit_2_31, setup),
        cmocka_unit_test_setup(test_ping_flood_keeps_output_bounded, setup),
        cmocka_unit_test_setup(test_pongs_in_order_and_before_later_frames, setup),
        cmocka_unit_test_setup(test_send_exact_bytes_and_buffered_amount, setup),
        cmocka_unit_test_setup(test_send_large_lengths, setup),
        cmocka_unit_test_setup(test_our_close_then_peer_close, setup),
        cmocka_unit_test_setup(test_peer_close_without_code_echoes_empty, setup),
        cmocka_unit_test_setup(test_peer_close_forbidden_code_echoed, setup),
        cmocka_unit_test_setup(test_bad_streams_every_split, setup),
        cmocka_unit_test_setup(test_utf8_fails_fast, setup),
        cmocka_unit_test_setup(test_direct_reads, setup),
        cmocka_unit_test_setup(test_frame_after_peer_close, setup),
        cmocka_unit_test_setup(test_peer_close_held_behind_messages, setup),
        cmocka_unit_test_setup(test_failure_after_our_close_sends_nothing, setup),
        cmocka_unit_test_setup(test_wire_counters_and_response_head, setup),
        cmocka_unit_test_setup(test_stream_is_the_queued_frame, setup),
        cmocka_unit_test_setup(test_stream_counters, setup),
        cmocka_unit_test_setup(test_stream_refusals, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
