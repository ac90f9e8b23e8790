/*
 * Fault injection: the native build against tests/hardening/fault_server.mjs, a server on raw
 * sockets that misbehaves on purpose (run by run-peer.sh, which exports TT_IT_PORT_FAULT, _TLSRESET and
 * _TLSEOF). Every test records each callback as one line and compares the whole sequence.
 *
 * Expected outcomes follow Chromium: a failure the client detects (protocol error, TLS, send buffer full)
 * is onError + onClose 1006; a TCP drop after the opening handshake is onClose 1006 without onError.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "native_driver.h"
#include "trace.h"
#include "ttsocket.h"

size_t tt__native_memory(void); /* native/native.h */

/* One task and its trace (tests/support/trace.h, in the "rs" style of the native drivers). */
typedef struct rec {
    tt_trace trace;
    tt_socket_task task;
    int send_failed;
} rec;

/* Only the first failed send is recorded: the test keeps sending until it sees one. */
static void on_send_fail(const tt_result *res, void *ud) {
    rec *r = ud;
    if (!r->send_failed++) tt_trace_result(res, &r->trace);
}

static void start(rec *r, const char *url) {
    memset(r, 0, sizeof *r);
    r->trace.style = TT_TRACE_STYLE_RS;
    r->task = tt_connect_with((tt_connect_socket_options){.url = url}, &tt_trace_callbacks, &r->trace);
    tt_tasks_track(r->task);
}

static int ended(void *r) { return tt_trace_ended(&((rec *)r)->trace); }
static int opened_or_ended(void *r) { return ((rec *)r)->trace.opens || ended(r); }

static void run_until_closed(rec *r, unsigned limit_ms) {
    int rc = tt_poll_until(ended, r, limit_ms, 20);
    if (rc == TT_POLL_TIMED_OUT) fprintf(stderr, "timed out\n");
    assert_int_equal(rc, 0);
    for (int i = 0; i < 5; i++) assert_true(tt_runtime_poll(2) >= 0); /* nothing may follow onClose */
}

/* The trace must match the patterns; the trace is freed either way. */
static void expect_lines(rec *r, const char *const *patterns) {
    int rc = tt_trace_match(&r->trace, patterns);
    tt_trace_free(&r->trace);
    if (rc != 0) fail();
}
#define EXPECT(r, ...) expect_lines((r), (const char *const[]){__VA_ARGS__, NULL})

static char url_buf[4][128];
static int url_next;
static const char *url(const char *scheme, const char *listener, const char *path) {
    char var[64];
    snprintf(var, sizeof var, "TT_IT_PORT_%s", listener);
    const char *port = getenv(var);
    char *b = url_buf[url_next++ % 4];
    snprintf(b, sizeof url_buf[0], "%s://127.0.0.1:%s%s", scheme, port ? port : "9", path);
    return b;
}

static void configure(size_t max_buffered) {
    tt_runtime_config c;
    memset(&c, 0, sizeof c);
    c.skip_domain_check = 1;
    c.disable_deflate = 1;
    c.ca_file = getenv("TT_IT_CA");
    c.max_buffered_amount = max_buffered;
    assert_int_equal(tt_runtime_configure(&c), 0);
}

static int setup(void **s) {
    (void)s;
    configure(0);
    return 0;
}
static int teardown(void **s) {
    (void)s;
    tt_tasks_detach_all();
    tt_runtime_shutdown();
    return 0;
}

/* What the server saw the previous client send as its Close code ("none" when it sent none). */
static void expect_last_close(const char *code) {
    rec q;
    start(&q, url("ws", "FAULT", "/lastclose"));
    run_until_closed(&q, 10000);
    char m[64];
    snprintf(m, sizeof m, "message text %zu %s rs=1", strlen(code), code);
    EXPECT(&q, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1", m,
           "close 1000  clean rs=3");
}

/* ---- Tests ------------------------------------------------------------------------------------- */

/* Handshake and frames arrive one byte per TCP segment: every event is still right. */
static void test_one_byte_at_a_time(void **s) {
    (void)s;
    rec r;
    start(&r, url("ws", "FAULT", "/bytewise"));
    run_until_closed(&r, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "message text 5 hello rs=1", "message binary 3 rs=1", "close 1000 bye clean rs=3");
}

/*
 * The server stops reading. The client keeps sending 64 KiB messages: bufferedAmount grows (the kernel's
 * socket buffers fill first), never beyond the configured limit, and the message that would pass it
 * fails the connection like the browser: onError "send buffer full", onClose 1006.
 */
static void test_server_stops_reading(void **s) {
    (void)s;
    const size_t limit = 2u * 1024u * 1024u, chunk = 64u * 1024u;
    configure(limit);
    static uint8_t data[64 * 1024];
    memset(data, 'x', sizeof data);
    rec r;
    start(&r, url("ws", "FAULT", "/deaf"));
    uint64_t end = tt_now_ms() + 20000;
    assert_true(tt_poll_until(opened_or_ended, &r, 20000, 20) >= 0); /* a time-out fails just below */
    assert_true(r.trace.opens);
    size_t max_buffered = 0, max_memory = 0, sent = 0;
    while (!tt_trace_ended(&r.trace) && !r.send_failed && tt_now_ms() < end) {
        tt_send_options o;
        memset(&o, 0, sizeof o);
        o.type = TT_DATA_BINARY;
        o.data = data;
        o.length = chunk;
        o.fail = on_send_fail;
        o.user_data = &r;
        tt_socket_task_send(r.task, &o);
        sent += chunk;
        size_t b = tt_socket_task_buffered_amount(r.task);
        if (b > max_buffered) max_buffered = b;
        if (tt__native_memory() > max_memory) max_memory = tt__native_memory();
        assert_true(tt_runtime_poll(0) >= 0);
    }
    run_until_closed(&r, 10000);
    fprintf(stderr, "  sent %zu KiB; bufferedAmount peaked at %zu KiB (limit %zu KiB); connection state %zu KiB\n",
            sent / 1024, max_buffered / 1024, limit / 1024, max_memory / 1024);
    assert_true(max_buffered <= limit);
    assert_true(max_buffered >= limit - chunk);   /* it really filled up */
    assert_true(max_memory <= limit + 64 * 1024); /* the output buffer is bounded by the limit */
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "result sendSocketMessage:fail WebSocket is not connected",
           "error onSocketError: WebSocket send buffer full | send buffer limit exceeded rs=3",
           "close 1006  not-clean rs=3");
}

/* Opened and the server's text "flooded" arrived (or the task ended). */
static int flooded_or_ended(void *r) { return ((rec *)r)->trace.messages || ended(r); }

/*
 * The server sends 200,000 pings (25 MB of pongs to answer) and never reads. Like Chromium the client
 * stays open and reports nothing; unlike Chromium's unbounded queue, only the latest ping's answer waits
 * once the output is backed up, so the connection's memory stays small.
 */
static void test_ping_flood_without_reading(void **s) {
    (void)s;
    rec r;
    start(&r, url("ws", "FAULT", "/pingflood"));
    size_t max_memory = 0;
    uint64_t end = tt_now_ms() + 30000;
    while (!flooded_or_ended(&r) && tt_now_ms() < end) {
        assert_true(tt_runtime_poll(20) >= 0);
        if (tt__native_memory() > max_memory) max_memory = tt__native_memory();
    }
    fprintf(stderr, "  connection state peaked at %zu KiB\n", max_memory / 1024);
    assert_true(max_memory <= 512 * 1024);
    assert_int_equal(tt_socket_task_buffered_amount(r.task), 0);
    assert_int_equal(tt_socket_task_ready_state(r.task), TT_OPEN);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "message text 7 flooded rs=1");
}

/* A frame announcing 2^63 bytes (the top bit of the 64-bit length set) is a protocol error: 1002. */
static void test_length_2_63(void **s) {
    (void)s;
    rec r;
    start(&r, url("ws", "FAULT", "/huge63"));
    run_until_closed(&r, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "error onSocketError: WebSocket connection failed | *length* rs=3", "close 1006  not-clean rs=3");
    expect_last_close("1002");
}

/*
 * 2^63 - 1 bytes: more than Chromium's parser takes (2^31 - 1), so the connection is dropped as Chromium
 * drops it, from the header and before any allocation: onClose 1006 without onError, and no Close sent.
 */
static void test_length_2_63_minus_1(void **s) {
    (void)s;
    rec r;
    start(&r, url("ws", "FAULT", "/huge"));
    run_until_closed(&r, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "close 1006  not-clean rs=3");
    expect_last_close("none");
}

/* The server closes TCP in the middle of a frame: a drop, so 1006 without onError (Chromium). */
static void test_drop_mid_frame(void **s) {
    (void)s;
    rec r;
    start(&r, url("ws", "FAULT", "/dropmid"));
    run_until_closed(&r, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "close 1006  not-clean rs=3");
}

static void test_reset_during_tls_handshake(void **s) {
    (void)s;
    rec r;
    start(&r, url("wss", "TLSRESET", "/"));
    run_until_closed(&r, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok",
           "error onSocketError: WebSocket connection failed | tls*Connection reset by peer rs=3",
           "close 1006  not-clean rs=3");
}

static void test_eof_during_tls_handshake(void **s) {
    (void)s;
    rec r;
    start(&r, url("wss", "TLSEOF", "/"));
    run_until_closed(&r, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok",
           "error onSocketError: WebSocket connection failed | tls: connection closed during the TLS handshake rs=3",
           "close 1006  not-clean rs=3");
}

/*
 * wss: after the closing handshake the server closes TCP without a TLS close_notify. WebSocket frames
 * carry their own end, so (as in Chromium) this is the clean end of the handshake, not a TLS error.
 */
static void test_tls_eof_without_close_notify_after_close(void **s) {
    (void)s;
    rec r;
    start(&r, url("wss", "TLSNONOTIFY", "/"));
    run_until_closed(&r, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "close 1000 bye clean rs=3");
}

/* The server shuts down its write side and keeps reading: for the client that is a drop (1006). */
static void test_half_close(void **s) {
    (void)s;
    rec r;
    start(&r, url("ws", "FAULT", "/halfclose"));
    run_until_closed(&r, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "close 1006  not-clean rs=3");
}

/* Its Close, then FIN while it keeps reading: the client still answers with its Close; a clean end. */
static void test_half_close_after_close(void **s) {
    (void)s;
    rec r;
    start(&r, url("ws", "FAULT", "/halfclose-close"));
    run_until_closed(&r, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "close 1000 bye clean rs=3");
    expect_last_close("1000");
}

/* ---- A server in this process, for cases whose order on the wire must be exact -------------------- */

/* A listening socket on 127.0.0.1 with a kernel-chosen port; its connections get a receive buffer of
 * rcvbuf bytes (0: the kernel's own, which grows as the server reads). */
static int own_listen_rcvbuf(unsigned *port, int rcvbuf) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    if (rcvbuf) assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static int own_listen(unsigned *port) { return own_listen_rcvbuf(port, 0); }

/* 1 when fd has something to read (or to accept) right now. */
static int readable_now(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, 0) == 1;
}

/*
 * Accepts the client's connection and answers its opening handshake with a 101, running the client's
 * side with tt_runtime_poll() in between (bounded). Returns the connected socket.
 */
static int own_accept_and_answer(int lfd) {
    uint64_t end = tt_now_ms() + 10000;
    while (!readable_now(lfd) && tt_now_ms() < end) assert_true(tt_runtime_poll(5) >= 0);
    int fd = accept(lfd, NULL, NULL);
    assert_true(fd >= 0);
    char head[4096];
    size_t len = 0;
    head[0] = '\0';
    while (strstr(head, "\r\n\r\n") == NULL && tt_now_ms() < end) {
        assert_true(tt_runtime_poll(5) >= 0);
        if (!readable_now(fd)) continue;
        ssize_t n = recv(fd, head + len, sizeof head - 1 - len, 0);
        assert_true(n > 0);
        len += (size_t)n;
        head[len] = '\0';
    }
    const char *key = strcasestr(head, "Sec-WebSocket-Key:");
    assert_non_null(key);
    key += strlen("Sec-WebSocket-Key:");
    while (*key == ' ') key++;
    char material[128];
    size_t klen = strcspn(key, "\r\n");
    snprintf(material, sizeof material, "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)klen, key);
    unsigned char digest[SHA_DIGEST_LENGTH], accept_b64[64];
    SHA1((const unsigned char *)material, strlen(material), digest);
    EVP_EncodeBlock(accept_b64, digest, sizeof digest);
    char answer[256];
    int n = snprintf(answer, sizeof answer,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                     (const char *)accept_b64);
    assert_int_equal(send(fd, answer, (size_t)n, MSG_NOSIGNAL), n);
    return fd;
}

/* Closes fd with an RST instead of a FIN (SO_LINGER with a zero timeout). */
static void own_reset(int fd) {
    struct linger l = {1, 0};
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
    close(fd);
}

/* The server resets the connection (a drop) and the client runs until onClose. */
static void reset_and_run_until_closed(rec *r, int fd) {
    own_reset(fd);
    run_until_closed(r, 10000);
}

/*
 * Opens a task to a server of this process, and once it is open sends bytes[0..len) and resets the
 * connection before the client reads: the bytes and the RST are both in the client's socket when it
 * reads, so the read returns the bytes and whatever the client writes next meets the reset. Then runs
 * the client until onClose.
 */
static void own_send_then_reset(rec *r, const unsigned char *bytes, size_t len) {
    unsigned port = 0;
    int lfd = own_listen(&port);
    char u[64];
    snprintf(u, sizeof u, "ws://127.0.0.1:%u/", port);
    start(r, u);
    int fd = own_accept_and_answer(lfd);
    close(lfd);
    assert_int_equal(tt_poll_until(opened_or_ended, r, 10000, 5), 0);
    assert_int_equal(send(fd, bytes, len, MSG_NOSIGNAL), (ssize_t)len);
    reset_and_run_until_closed(r, fd);
}

/*
 * A protocol error whose Close cannot be written because the peer has reset the connection: onError's
 * detail names the protocol error, not the failed write (the Close meets the reset).
 */
static void test_protocol_error_detail_survives_reset(void **s) {
    (void)s;
    rec r;
    static const unsigned char masked[] = {0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2};
    own_send_then_reset(&r, masked, sizeof masked);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "error onSocketError: WebSocket connection failed | protocol: frame: the server sent a masked frame rs=3",
           "close 1006  not-clean rs=3");
}

/*
 * The server's Close, then a reset before the client's answer is written: the peer's Close has been seen
 * when the answer's write meets the reset. A write error ends an open connection as a drop, as in
 * Chromium: 1006, not clean, no error event, even after the peer's Close (a read error there would
 * report the peer's code instead).
 */
static void test_reset_before_close_answer(void **s) {
    (void)s;
    rec r;
    static const unsigned char close_1000_bye[] = {0x88, 0x05, 0x03, 0xe8, 'b', 'y', 'e'};
    own_send_then_reset(&r, close_1000_bye, sizeof close_1000_bye);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "close 1006  not-clean rs=3");
}

/* ---- Large messages: straight to the socket, or partly queued (native/writer.c) ---------------- */

/* Opens a task to a server of this process (see own_listen_rcvbuf) and returns the server's socket. */
static int own_open(rec *r, int rcvbuf) {
    unsigned port = 0;
    int lfd = own_listen_rcvbuf(&port, rcvbuf);
    char u[64];
    snprintf(u, sizeof u, "ws://127.0.0.1:%u/", port);
    start(r, u);
    int fd = own_accept_and_answer(lfd);
    close(lfd);
    assert_int_equal(tt_poll_until(opened_or_ended, r, 10000, 5), 0);
    assert_true(r->trace.opens);
    return fd;
}

/* The header of a client frame of 64 KiB or more: 2 bytes, the 8-byte length and the 4-byte mask key. */
enum { LONG_FRAME_HEADER = 2 + 8 + 4 };

static void fill_pattern(uint8_t *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i * 131u + seed + (i >> 12));
}

/* Sends one binary message whose results go to the trace. */
static void send_binary(rec *r, const uint8_t *data, size_t length) {
    tt_send_options o;
    memset(&o, 0, sizeof o);
    o.type = TT_DATA_BINARY;
    o.data = data;
    o.length = length;
    o.success = tt_trace_success;
    o.fail = tt_trace_fail;
    o.complete = tt_trace_complete;
    o.user_data = &r->trace;
    tt_socket_task_send(r->task, &o);
}

static tt_task_stats stats_of(const rec *r) {
    tt_task_stats st;
    assert_int_equal(tt_socket_task_stats(r->task, &st, sizeof st), 0);
    return st;
}

static uint64_t wire_sent(const rec *r) { return stats_of(r).wire_bytes_sent; }

/*
 * The server reads one client frame (running the client meanwhile, so that it writes what it had to
 * queue): a final binary frame of exactly `length` bytes, masked, whose payload unmasks to `want`.
 */
static void own_expect_frame(int fd, const uint8_t *want, size_t length) {
    static uint8_t buf[16 * 1024 * 1024 + 14];
    size_t header = length < 126 ? 2 : length < 65536 ? 4 : 10, need = header + 4 + length, got = 0;
    assert_true(need <= sizeof buf);
    uint64_t end = tt_now_ms() + 20000;
    while (got < need && tt_now_ms() < end) {
        ssize_t n = recv(fd, buf + got, need - got, MSG_DONTWAIT);
        if (n > 0) got += (size_t)n;
        else assert_true(tt_runtime_poll(1) >= 0);
    }
    assert_int_equal(got, need);
    assert_int_equal(buf[0], 0x82);
    assert_int_equal(buf[1] & 0x80, 0x80);
    uint64_t announced = buf[1] & 0x7f;
    if (header > 2) {
        announced = 0;
        for (size_t i = 2; i < header; i++) announced = announced << 8 | buf[i];
    }
    assert_int_equal(announced, length);
    const uint8_t *key = buf + header;
    for (size_t i = 0; i < length; i++) {
        if ((uint8_t)(buf[header + 4 + i] ^ key[i & 3]) != want[i]) fail_msg("payload byte %zu differs", i);
    }
}

/*
 * A 1 MiB message to a connection with nothing queued goes to the socket a chunk at a time (Linux on
 * loopback takes it all at once): bufferedAmount is 0 as soon as send returns, the wire counter has the
 * whole frame, the peak bufferedAmount is the message (as when it was queued whole), the server gets the
 * exact frame, and the send's results come at the next poll, success then complete.
 */
static void test_large_send_goes_straight_out(void **s) {
    (void)s;
    enum { LEN = 1024 * 1024 };
    static uint8_t data[LEN];
    fill_pattern(data, LEN, 1);
    rec r;
    int fd = own_open(&r, 0);
    uint64_t before = wire_sent(&r);
    unsigned long results = r.trace.results;
    send_binary(&r, data, LEN);
    assert_int_equal(r.trace.results, results); /* results are never delivered from inside send */
    assert_int_equal(wire_sent(&r) - before, LONG_FRAME_HEADER + LEN);
    assert_int_equal(tt_socket_task_buffered_amount(r.task), 0);
    own_expect_frame(fd, data, LEN);
    tt_task_stats st = stats_of(&r);
    assert_int_equal(st.peak_buffered_amount, LEN);
    assert_int_equal(st.frames_sent, 1);
    reset_and_run_until_closed(&r, fd); /* the end: a drop, as in test_drop_mid_frame */
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "success sendSocketMessage:ok", "complete sendSocketMessage:ok", "close 1006  not-clean rs=3");
}

/*
 * A 16 MiB message to a server that does not read: the socket takes part of it (the kernel's buffers
 * hold a few MiB at most) and the rest is queued. bufferedAmount is then exactly the payload the socket
 * did not take, a 300 KiB message sent behind it adds exactly its length, and once the server reads, both
 * frames arrive whole and in order and bufferedAmount goes back to 0.
 */
static void test_large_send_partly_refused(void **s) {
    (void)s;
    enum { BIG = 16 * 1024 * 1024, SMALL = 300 * 1024 };
    static uint8_t big[BIG], small[SMALL];
    fill_pattern(big, BIG, 2);
    fill_pattern(small, SMALL, 3);
    rec r;
    int fd = own_open(&r, 64 * 1024);
    uint64_t before = wire_sent(&r);
    send_binary(&r, big, BIG);
    uint64_t took = wire_sent(&r) - before;
    size_t buffered = tt_socket_task_buffered_amount(r.task);
    fprintf(stderr, "  the socket took %llu of %u bytes at once\n", (unsigned long long)took, LONG_FRAME_HEADER + BIG);
    assert_true(took > LONG_FRAME_HEADER && took < LONG_FRAME_HEADER + BIG);
    assert_int_equal(buffered, BIG - (took - LONG_FRAME_HEADER));
    send_binary(&r, small, SMALL);
    assert_int_equal(wire_sent(&r) - before, took); /* queued behind: nothing more was written */
    assert_int_equal(tt_socket_task_buffered_amount(r.task), buffered + SMALL);
    own_expect_frame(fd, big, BIG);
    own_expect_frame(fd, small, SMALL);
    assert_int_equal(tt_socket_task_buffered_amount(r.task), 0);
    tt_task_stats st = stats_of(&r);
    assert_int_equal(st.peak_buffered_amount, BIG);
    assert_int_equal(st.wire_bytes_sent - before, (LONG_FRAME_HEADER + BIG) + (LONG_FRAME_HEADER + SMALL));
    reset_and_run_until_closed(&r, fd); /* the end: a drop, as in test_drop_mid_frame */
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "success sendSocketMessage:ok", "complete sendSocketMessage:ok", "success sendSocketMessage:ok",
           "complete sendSocketMessage:ok", "close 1006  not-clean rs=3");
}

/*
 * A large message that meets a reset: the write error ends the connection as it does for queued output
 * (a drop: onClose 1006, not clean, no error event), after the send's own results.
 */
static void test_large_send_meets_reset(void **s) {
    (void)s;
    enum { LEN = 1024 * 1024 };
    static uint8_t data[LEN];
    fill_pattern(data, LEN, 4);
    rec r;
    int fd = own_open(&r, 0);
    own_reset(fd);
    send_binary(&r, data, LEN);
    run_until_closed(&r, 10000); /* the reset came first here */
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "success sendSocketMessage:ok", "complete sendSocketMessage:ok", "close 1006  not-clean rs=3");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_byte_at_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_stops_reading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ping_flood_without_reading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_length_2_63, setup, teardown),
        cmocka_unit_test_setup_teardown(test_length_2_63_minus_1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_mid_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_during_tls_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eof_during_tls_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_eof_without_close_notify_after_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_close_after_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_protocol_error_detail_survives_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_before_close_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_send_goes_straight_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_send_partly_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_send_meets_reset, setup, teardown),
    };
    if (getenv("TT_IT_FILTER")) cmocka_set_test_filter(getenv("TT_IT_FILTER"));
    return cmocka_run_group_tests_name("hardening.fault", tests, NULL, NULL);
}
