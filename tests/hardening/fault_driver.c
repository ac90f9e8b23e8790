/*
 * Fault injection (issue #7): the native build against tests/hardening/fault_server.mjs, a server on raw
 * sockets that misbehaves on purpose (run by run-peer.sh, which exports TT_IT_PORT_FAULT, _TLSRESET and
 * _TLSEOF). Every test records each callback as one line and compares the whole sequence.
 *
 * Expected outcomes follow Chromium: a failure the client detects (protocol error, TLS, send buffer full)
 * is onError + onClose 1006; a TCP drop after the opening handshake is onClose 1006 without onError.
 */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ttsocket.h"

size_t tt__native_memory(void); /* native/native.h */

#define MAX_LINES 32

typedef struct rec {
    tt_socket_task task;
    char lines[MAX_LINES][256];
    int n, closed, opened, send_failed;
} rec;

static void add(rec *r, const char *fmt, ...) {
    if (r->n >= MAX_LINES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->lines[r->n++], sizeof r->lines[0], fmt, ap);
    va_end(ap);
}
static int rs(const rec *r) { return (int)tt_socket_task_ready_state(r->task); }
static void on_ok(const tt_result *res, void *ud) { add(ud, "success %s", res->err_msg); }
static void on_fail(const tt_result *res, void *ud) {
    add(ud, "fail %s", res->err_msg);
    ((rec *)ud)->closed = 1;
}
static void on_complete(const tt_result *res, void *ud) { add(ud, "complete %s", res->err_msg); }
static void on_send_fail(const tt_result *res, void *ud) {
    rec *r = ud;
    if (!r->send_failed++) add(r, "result %s", res->err_msg);
}
static void ev_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    (void)t; (void)e;
    ((rec *)ud)->opened = 1;
    add(ud, "open rs=%d", rs(ud));
}
static void ev_message(tt_socket_task t, const tt_message_event *e, void *ud) {
    (void)t;
    if (e->type == TT_DATA_TEXT) add(ud, "message text %.*s rs=%d", (int)e->length, (const char *)e->data, rs(ud));
    else add(ud, "message binary %zu rs=%d", e->length, rs(ud));
}
static void ev_error(tt_socket_task t, const tt_error_event *e, void *ud) {
    (void)t;
    add(ud, "error %s | %s rs=%d", e->err_msg, e->detail, rs(ud));
}
static void ev_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    (void)t;
    rec *r = ud;
    add(r, "close %d %s %s rs=%d", e->code, e->reason, e->was_clean ? "clean" : "not-clean", rs(r));
    r->closed = 1;
}

static tt_socket_task started[16];
static int nstarted;

static void start(rec *r, const char *url) {
    memset(r, 0, sizeof *r);
    tt_connect_socket_options o;
    memset(&o, 0, sizeof o);
    o.url = url;
    o.success = on_ok;
    o.fail = on_fail;
    o.complete = on_complete;
    o.user_data = r;
    r->task = tt_connect_socket(&o);
    if (nstarted < 16) started[nstarted++] = r->task;
    tt_socket_task_on_open(r->task, ev_open, r);
    tt_socket_task_on_message(r->task, ev_message, r);
    tt_socket_task_on_error(r->task, ev_error, r);
    tt_socket_task_on_close(r->task, ev_close, r);
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void run_until_closed(rec *r, unsigned limit_ms) {
    uint64_t end = now_ms() + limit_ms;
    while (!r->closed) {
        if (now_ms() > end) {
            fprintf(stderr, "timed out\n");
            fail();
        }
        assert_true(tt_runtime_poll(20) >= 0);
    }
    for (int i = 0; i < 5; i++) assert_true(tt_runtime_poll(2) >= 0); /* nothing may follow onClose */
}

static void expect_lines(const rec *r, const char *const *patterns) {
    int n = 0;
    while (patterns[n]) n++;
    int ok = n == r->n;
    for (int i = 0; ok && i < n; i++) ok = fnmatch(patterns[i], r->lines[i], 0) == 0;
    if (!ok) {
        fprintf(stderr, "  expected:\n");
        for (int i = 0; i < n; i++) fprintf(stderr, "    %2d: %s\n", i, patterns[i]);
        fprintf(stderr, "  got:\n");
        for (int i = 0; i < r->n; i++) fprintf(stderr, "    %2d: %s\n", i, r->lines[i]);
        fail();
    }
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
    for (int i = 0; i < nstarted; i++) {
        tt_socket_task_on_open(started[i], NULL, NULL);
        tt_socket_task_on_message(started[i], NULL, NULL);
        tt_socket_task_on_error(started[i], NULL, NULL);
        tt_socket_task_on_close(started[i], NULL, NULL);
    }
    nstarted = 0;
    tt_runtime_shutdown();
    return 0;
}

/* What the server saw the previous client send as its Close code ("none" when it sent none). */
static void expect_last_close(const char *code) {
    rec q;
    start(&q, url("ws", "FAULT", "/lastclose"));
    run_until_closed(&q, 10000);
    char m[64];
    snprintf(m, sizeof m, "message text %s rs=1", code);
    EXPECT(&q, "success connectSocket:ok", "complete connectSocket:ok", "open rs=1", m, "close 1000  clean rs=3");
}

/* ---- Tests ------------------------------------------------------------------------------------- */

/* Handshake and frames arrive one byte per TCP segment: every event is still right. */
static void test_one_byte_at_a_time(void **s) {
    (void)s;
    rec r;
    start(&r, url("ws", "FAULT", "/bytewise"));
    run_until_closed(&r, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open rs=1", "message text hello rs=1",
           "message binary 3 rs=1", "close 1000 bye clean rs=3");
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
    uint64_t end = now_ms() + 20000;
    while (!r.opened && !r.closed && now_ms() < end) assert_true(tt_runtime_poll(20) >= 0);
    assert_true(r.opened);
    size_t max_buffered = 0, max_memory = 0, sent = 0;
    while (!r.closed && !r.send_failed && now_ms() < end) {
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
    assert_true(max_buffered >= limit - chunk); /* it really filled up */
    assert_true(max_memory <= limit + 64 * 1024); /* the output buffer is bounded by the limit */
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open rs=1",
           "result sendSocketMessage:fail WebSocket is not connected",
           "error onSocketError: WebSocket send buffer full | * rs=3", "close 1006  not-clean rs=3");
}

/* A frame announcing 2^63 bytes (the top bit of the 64-bit length set) is a protocol error: 1002. */
static void test_length_2_63(void **s) {
    (void)s;
    rec r;
    start(&r, url("ws", "FAULT", "/huge63"));
    run_until_closed(&r, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open rs=1",
           "error onSocketError: WebSocket connection failed | *length* rs=3", "close 1006  not-clean rs=3");
    expect_last_close("1002");
}

/* 2^63 - 1 bytes: refused from the header, before any allocation, as too big (1009). */
static void test_length_2_63_minus_1(void **s) {
    (void)s;
    rec r;
    start(&r, url("ws", "FAULT", "/huge"));
    run_until_closed(&r, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open rs=1",
           "error onSocketError: WebSocket message too large | * rs=3", "close 1006  not-clean rs=3");
    expect_last_close("1009");
}

/* The server closes TCP in the middle of a frame: a drop, so 1006 without onError (Chromium). */
static void test_drop_mid_frame(void **s) {
    (void)s;
    rec r;
    start(&r, url("ws", "FAULT", "/dropmid"));
    run_until_closed(&r, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open rs=1", "close 1006  not-clean rs=3");
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

/* The server shuts down its write side and keeps reading: for the client that is a drop (1006). */
static void test_half_close(void **s) {
    (void)s;
    rec r;
    start(&r, url("ws", "FAULT", "/halfclose"));
    run_until_closed(&r, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open rs=1", "close 1006  not-clean rs=3");
}

/* Its Close, then FIN while it keeps reading: the client still answers with its Close; a clean end. */
static void test_half_close_after_close(void **s) {
    (void)s;
    rec r;
    start(&r, url("ws", "FAULT", "/halfclose-close"));
    run_until_closed(&r, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open rs=1", "close 1000 bye clean rs=3");
    expect_last_close("1000");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_byte_at_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_stops_reading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_length_2_63, setup, teardown),
        cmocka_unit_test_setup_teardown(test_length_2_63_minus_1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drop_mid_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_during_tls_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eof_during_tls_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_close_after_close, setup, teardown),
    };
    if (getenv("TT_IT_FILTER")) cmocka_set_test_filter(getenv("TT_IT_FILTER"));
    return cmocka_run_group_tests_name("hardening.fault", tests, NULL, NULL);
}
