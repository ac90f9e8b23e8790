/*
 * Integration tests of the native build against a real peer: the npm `ws` server or Python
 * `websockets`, started by run-peer.sh, which exports
 *   TT_IT_PEER        node | python
 *   TT_IT_CA          the test CA (PEM)
 *   TT_IT_CERTS       the directory of the TLS fixtures (gen-certs.sh)
 *   TT_IT_PORT_<NAME> the peer's ports: WS, WSS and (node) WS6, EXPIRED, WRONGHOST, UNKNOWNCA, NOTYET,
 *                     SELFSIGNED, CLIENTONLY, BADKU
 *
 * Every test records each callback of each task as one line, with the readyState seen inside the
 * callback, and compares the whole sequence with the expected one (fnmatch patterns, so error details
 * can be matched by their interesting part). Tests that need a feature only one peer has are skipped on
 * the other.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "native_driver.h"
#include "trace.h"
#include "ttsocket.h"

/* Internal introspection of the native transport (native/native.h). */
size_t tt__native_memory(void);
size_t tt__native_connection_count(void);

#define KiB 1024u
#define MiB (1024u * 1024u)

/* ---- Recording --------------------------------------------------------------------------------- */

/*
 * One task and its trace (tests/support/trace.h in the "rs" style), plus what the client does by itself.
 * The trace comes first, so a rec is also a valid user_data for tt_trace's own callbacks.
 */
typedef struct rec {
    tt_trace trace;
    tt_socket_task task;
    const char *send_on_open; /* text sent from onOpen */
    int close_after_messages; /* close(1000, "done") once this many messages arrived; 0 = never */
} rec;

static int state_of(const rec *r) { return (int)tt_socket_task_ready_state(r->task); }

static void close_task(rec *r, int code, const char *reason) {
    tt_close_options o;
    memset(&o, 0, sizeof o);
    o.code = code;
    o.reason = reason;
    o.success = tt_trace_result;
    o.fail = tt_trace_result;
    o.user_data = &r->trace;
    tt_socket_task_close(r->task, &o);
}

static void send_data(rec *r, tt_data_type type, const void *data, size_t len) {
    tt_send_options o;
    memset(&o, 0, sizeof o);
    o.type = type;
    o.data = data;
    o.length = len;
    o.fail = tt_trace_result; /* only failures are recorded: successes would interleave with events */
    o.user_data = &r->trace;
    tt_socket_task_send(r->task, &o);
}

static void ev_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    rec *r = ud;
    tt_trace_on_open(t, e, &r->trace);
    if (r->send_on_open) send_data(r, TT_DATA_TEXT, r->send_on_open, strlen(r->send_on_open));
}

static void ev_message(tt_socket_task t, const tt_message_event *e, void *ud) {
    rec *r = ud;
    tt_trace_on_message(t, e, &r->trace);
    /* Never assert inside a callback: cmocka's longjmp would leave the runtime inside a callback. */
    if (r->close_after_messages && r->trace.messages == (unsigned long)r->close_after_messages)
        close_task(r, 1000, "done");
}

/* The trace's callbacks, except that onOpen and onMessage also do what the rec asks for. */
static const tt_task_callbacks rec_callbacks = {
    .success = tt_trace_success,
    .fail = tt_trace_fail,
    .complete = tt_trace_complete,
    .open = ev_open,
    .message = ev_message,
    .error = tt_trace_on_error,
    .close = tt_trace_on_close,
};

/* Teardown detaches the listeners of every task started here (tt_tasks_track) before shutting down. */
static void start(rec *r, const char *url, const char *const *protocols, size_t nprotocols, int timeout_ms) {
    r->trace.style = TT_TRACE_STYLE_RS;
    tt_connect_socket_options o = {
        .url = url, .protocols = protocols, .protocol_count = nprotocols, .timeout_ms = timeout_ms};
    r->task = tt_connect_with(o, &rec_callbacks, r);
    tt_tasks_track(r->task);
}

static int is_closed(const rec *r) { return tt_trace_ended(&r->trace); }

typedef struct rec_set {
    rec *const *recs;
    int count;
} rec_set;

static int all_closed(void *arg) {
    const rec_set *set = arg;
    for (int i = 0; i < set->count; i++)
        if (!is_closed(set->recs[i])) return 0;
    return 1;
}

/* Polls until every task got its onClose (or its connect fail), at most limit_ms. */
static void run_until_closed(rec *const *recs, int count, unsigned limit_ms) {
    rec_set set = {recs, count};
    int rc = tt_poll_until(all_closed, &set, limit_ms, 50);
    if (rc == TT_POLL_TIMED_OUT) {
        int open = 0;
        for (int i = 0; i < count; i++) open += !is_closed(recs[i]);
        fprintf(stderr, "timed out with %d task(s) not closed\n", open);
    }
    assert_int_equal(rc, 0);
}

/* Polls until cond(r) holds, at most limit_ms. */
static void run_until(rec *r, int (*cond)(void *), unsigned limit_ms) {
    int rc = tt_poll_until(cond, r, limit_ms, 50);
    if (rc == TT_POLL_TIMED_OUT) fprintf(stderr, "timed out waiting\n");
    assert_int_equal(rc, 0);
}

static int is_open(void *r) { return ((rec *)r)->trace.opens || is_closed(r); }
static int has_message(void *r) { return ((rec *)r)->trace.messages || is_closed(r); }

/*
 * The recorded lines must match the NULL-terminated list of fnmatch patterns, one for one. The trace is
 * freed either way: every check of a task's events is its last use of the trace.
 */
static void expect_lines(rec *r, const char *const *patterns) {
    int rc = tt_trace_match(&r->trace, patterns);
    tt_trace_free(&r->trace);
    if (rc != 0) fail();
}
#define EXPECT(r, ...) expect_lines((r), (const char *const[]){__VA_ARGS__, NULL})

/* ---- Environment ------------------------------------------------------------------------------- */

static const char *peer(void) {
    const char *p = getenv("TT_IT_PEER");
    return p ? p : "node";
}
static int is_node(void) { return strcmp(peer(), "node") == 0; }

static int port_of(const char *name) {
    char var[64];
    snprintf(var, sizeof var, "TT_IT_PORT_%s", name);
    const char *v = getenv(var);
    return v ? atoi(v) : 0;
}

static char url_buf[8][512];
static int url_next;
/* A URL on the named listener: url("WS", "ws", "127.0.0.1", "/echo"). */
static const char *url_for(const char *listener, const char *scheme, const char *host, const char *path) {
    char *b = url_buf[url_next++ % 8];
    snprintf(b, sizeof url_buf[0], "%s://%s:%d%s", scheme, host, port_of(listener), path);
    return b;
}
#define WS(path) url_for("WS", "ws", "127.0.0.1", (path))
#define WSS(path) url_for("WSS", "wss", "127.0.0.1", (path))

/*
 * The compression interop runs (integration.*.deflate) set TT_IT_DEFLATE=1: permessage-deflate is offered
 * as by default, the echo tests use TT_IT_ECHO_PATH (a compressing echo) and expect the peer's answer
 * TT_IT_EXPECT_EXT in onOpen's extensions. Every other run keeps compression off so that the exact wire
 * checks of the other tests stay simple.
 */
static int deflate_mode(void) {
    const char *v = getenv("TT_IT_DEFLATE");
    return v != NULL && v[0] == '1';
}
static const char *echo_path(void) {
    const char *v = getenv("TT_IT_ECHO_PATH");
    return v && v[0] ? v : "/echo";
}
static const char *open_line(void) {
    static char line[256];
    const char *ext = getenv("TT_IT_EXPECT_EXT");
    snprintf(line, sizeof line, "open protocol= extensions=%s rs=1", ext ? ext : "");
    return line;
}

static void configure(int close_timeout_ms) {
    tt_runtime_config c;
    memset(&c, 0, sizeof c);
    c.skip_domain_check = 1;
    c.disable_deflate = !deflate_mode();
    c.ca_file = getenv("TT_IT_CA");
    c.close_timeout_ms = close_timeout_ms;
    c.max_message_size = 32 * MiB;
    assert_int_equal(tt_runtime_configure(&c), 0);
}

static int setup(void **state) {
    (void)state;
    configure(0);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    tt_tasks_detach_all();
    tt_runtime_shutdown();
    return 0;
}

#define SKIP_UNLESS_NODE() \
    do {                   \
        if (!is_node()) {  \
            skip();        \
        }                  \
    } while (0)

/* ---- One-connection cases ---------------------------------------------------------------------- */

/*
 * Most tests are one connection: where it goes, what the client does by itself, and the lines its trace
 * must hold. Such a test is an it_case: a constant named <test>_case, listed in main as CASE(<test>) and
 * run by run_case, or one built where some of it is known only at run time and run by run_it_case.
 */
#define OPENED "open protocol= extensions= rs=1"
#define CLOSED_DONE "result closeSocket:ok", "close 1000 done clean rs=3" /* after close_after_messages */
#define DROPPED "close 1006  not-clean rs=3"

typedef struct it_case {
    int node_only;                               /* skipped against Python websockets */
    const char *url;                             /* the whole URL, or NULL for url_for(listener, ...) */
    const char *listener, *scheme, *host, *path; /* url_for's; NULL means "WS", "ws", "127.0.0.1", "/echo" */
    const char *const *protocols;
    size_t protocol_count;
    int timeout_ms;
    const char *send_on_open;
    int close_after_messages;
    /* The connection must fail: onError "connection failed" with this detail (a pattern), then 1006. */
    const char *failure;
    const char *expect[6];  /* otherwise: the lines that follow connectSocket's success and complete */
    const char *last_close; /* then the Close code the peer saw from the client, as /lastclose reports it */
} it_case;

#define OR(value, fallback) ((value) ? (value) : (fallback))

static void run_it_case(const it_case *c) {
    if (c->node_only) SKIP_UNLESS_NODE();
    const char *url =
        c->url ? c->url
               : url_for(OR(c->listener, "WS"), OR(c->scheme, "ws"), OR(c->host, "127.0.0.1"), OR(c->path, "/echo"));
    rec r = {0};
    r.send_on_open = c->send_on_open;
    r.close_after_messages = c->close_after_messages;
    start(&r, url, c->protocols, c->protocol_count, c->timeout_ms);
    rec *all[] = {&r};
    run_until_closed(all, 1, 10000);
    const char *lines[3 + sizeof c->expect / sizeof c->expect[0]] = {"success connectSocket:ok",
                                                                     "complete connectSocket:ok"};
    size_t n = 2;
    char error[256];
    if (c->failure) {
        snprintf(error, sizeof error, "error onSocketError: WebSocket connection failed | %s rs=3", c->failure);
        lines[n++] = error;
        lines[n++] = DROPPED;
    }
    for (size_t i = 0; !c->failure && i < sizeof c->expect / sizeof c->expect[0] && c->expect[i]; i++)
        lines[n++] = c->expect[i];
    lines[n] = NULL;
    expect_lines(&r, lines);
    if (c->last_close) {
        char m[64];
        snprintf(m, sizeof m, "message text %zu %s rs=1", strlen(c->last_close), c->last_close);
        run_it_case(&(it_case){.path = "/lastclose", .close_after_messages = 1, .expect = {OPENED, m, CLOSED_DONE}});
    }
}

static void run_case(void **state) { run_it_case(*state); }
#define CASE(test) \
    { #test, run_case, setup, teardown, (void *)&test##_case }

/* The connection must fail: onError "connection failed" with this detail (a pattern), then close 1006. */
static void expect_failure(const char *url, const char *detail_pattern) {
    run_it_case(&(it_case){.url = url, .failure = detail_pattern});
}

/* ---- Payloads ---------------------------------------------------------------------------------- */

static const size_t sizes[] = {0, 1, 125, 126, 65535, 65536, 1 * MiB, 16 * MiB};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static uint8_t *payload(size_t n, int text) {
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = text ? (uint8_t)('a' + (i * 7 + i / 13) % 26) : (uint8_t)((i * 2654435761u) >> 13);
    return p;
}

/* Sends every size of the list at once, expects every echo back intact and in order, then closes with
 * 1000 "done". */
static void echo_sizes(const char *url, tt_data_type type, const size_t *list, size_t count) {
    assert_true(count <= 16);
    uint8_t *data[16];
    for (size_t i = 0; i < count; i++) data[i] = payload(list[i], type == TT_DATA_TEXT);
    rec r = {0};
    r.trace.expect = (const unsigned char *const *)data;
    r.trace.expect_len = list;
    r.trace.expect_count = count;
    r.close_after_messages = (int)count;
    start(&r, url, NULL, 0, 0);
    run_until(&r, is_open, 10000);
    assert_int_equal(state_of(&r), TT_OPEN);
    for (size_t i = 0; i < count; i++) send_data(&r, type, data[i], list[i]);
    rec *all[] = {&r};
    run_until_closed(all, 1, 60000);
    const char *t = type == TT_DATA_TEXT ? "text" : "binary";
    char m[16][96];
    const char *lines[16 + 6] = {"success connectSocket:ok", "complete connectSocket:ok", open_line()};
    size_t n = 3;
    for (size_t i = 0; i < count; i++) {
        snprintf(m[i], sizeof m[i], "message %s %zu same rs=1", t, list[i]);
        lines[n++] = m[i];
    }
    lines[n++] = "result closeSocket:ok";
    lines[n++] = "close 1000 done clean rs=3";
    lines[n] = NULL;
    expect_lines(&r, lines);
    assert_int_equal(tt_socket_task_buffered_amount(r.task), 0);
    for (size_t i = 0; i < count; i++) free(data[i]);
}

static void echo_all_sizes(const char *url, tt_data_type type) { echo_sizes(url, type, sizes, NSIZES); }

/*
 * Large payloads are read in place and the read after one is a short one (native/reader.c): small
 * messages right behind a large one, a payload that starts in such a short read and goes on in place,
 * payloads just above and below the in-place threshold, and a large one behind small ones.
 */
static const size_t mixed_sizes[] = {1 * MiB, 1, 125, 3000, 300000, 20000, 16383, 16385, 70000, 2 * MiB, 64, 1 * MiB};
#define NMIXED (sizeof mixed_sizes / sizeof mixed_sizes[0])

/* ---- Tests: messages --------------------------------------------------------------------------- */

static void test_echo_text_ws(void **s) {
    (void)s;
    echo_all_sizes(WS(echo_path()), TT_DATA_TEXT);
}
static void test_echo_binary_ws(void **s) {
    (void)s;
    echo_all_sizes(WS(echo_path()), TT_DATA_BINARY);
}
static void test_echo_mixed_ws(void **s) {
    (void)s;
    echo_sizes(WS(echo_path()), TT_DATA_BINARY, mixed_sizes, NMIXED);
}
static void test_echo_mixed_wss(void **s) {
    (void)s;
    echo_sizes(WSS(echo_path()), TT_DATA_TEXT, mixed_sizes, NMIXED);
}
static void test_echo_text_wss(void **s) {
    (void)s;
    echo_all_sizes(WSS(echo_path()), TT_DATA_TEXT);
}
static void test_echo_binary_wss(void **s) {
    (void)s;
    echo_all_sizes(WSS(echo_path()), TT_DATA_BINARY);
}

static void test_echo_utf8(void **s) {
    (void)s;
    static const char text[] = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x98\x80";
    char m[160];
    snprintf(m, sizeof m, "message text %zu %s rs=1", strlen(text), text);
    run_it_case(&(it_case){.url = WS(echo_path()),
                           .send_on_open = text,
                           .close_after_messages = 1,
                           .expect = {open_line(), m, CLOSED_DONE}});
}

static void fragmented(const char *url) {
    static const size_t fsizes[] = {0, 1, 5, 300, 70000};
    uint8_t *data[10];
    size_t lens[10];
    for (int i = 0; i < 10; i++) {
        lens[i] = fsizes[i % 5];
        data[i] = payload(lens[i], i < 5);
    }
    rec r = {0};
    r.trace.expect = (const unsigned char *const *)data;
    r.trace.expect_len = lens;
    r.trace.expect_count = 10;
    r.close_after_messages = 10;
    start(&r, url, NULL, 0, 0);
    run_until(&r, is_open, 10000);
    for (int i = 0; i < 10; i++) send_data(&r, i < 5 ? TT_DATA_TEXT : TT_DATA_BINARY, data[i], lens[i]);
    rec *all[] = {&r};
    run_until_closed(all, 1, 20000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "message text 0 same rs=1", "message text 1 same rs=1", "message text 5 same rs=1",
           "message text 300 same rs=1", "message text 70000 same rs=1", "message binary 0 same rs=1",
           "message binary 1 same rs=1", "message binary 5 same rs=1", "message binary 300 same rs=1",
           "message binary 70000 same rs=1", "result closeSocket:ok", "close 1000 done clean rs=3");
    for (int i = 0; i < 10; i++) free(data[i]);
}

static void test_fragmented_ws(void **s) {
    (void)s;
    fragmented(WS("/fragment"));
}
static void test_fragmented_wss(void **s) {
    (void)s;
    fragmented(WSS("/fragment"));
}

/* The server pings; it only sends "pong tt-ping" after it got our pong with the same payload. */
static const it_case test_server_ping_case = {
    .path = "/ping", .close_after_messages = 1, .expect = {OPENED, "message text 12 pong tt-ping rs=1", CLOSED_DONE}};

/* ---- Tests: closing ---------------------------------------------------------------------------- */

static const it_case test_server_close_code_reason_case = {.path = "/close?code=4001&reason=bye%20now",
                                                           .expect = {OPENED, "close 4001 bye now clean rs=3"}};

static const it_case test_server_close_no_code_case = {
    .node_only = 1, .path = "/close", .expect = {OPENED, "close 1005  clean rs=3"}};

static const it_case test_server_close_after_message_case = {
    .listener = "WSS",
    .scheme = "wss",
    .path = "/echo-close",
    .send_on_open = "close-me",
    .expect = {OPENED, "close 4002 server says bye clean rs=3"}};

/* Client close with each kind of code; both peers echo code and reason in their Close. */
static void test_client_close_codes(void **s) {
    (void)s;
    char long_reason[124];
    memset(long_reason, 'r', 123);
    long_reason[123] = '\0';
    static const int codes[] = {1000, 1001, 3000, 4999};
    const char *reasons[] = {"", "going away", "x", long_reason};
    for (int i = 0; i < 4; i++) {
        rec r = {0};
        start(&r, i % 2 ? WSS("/echo") : WS("/echo"), NULL, 0, 0);
        run_until(&r, is_open, 10000);
        close_task(&r, codes[i], reasons[i]);
        assert_int_equal(state_of(&r), TT_CLOSING);
        rec *all[] = {&r};
        run_until_closed(all, 1, 10000);
        char c[200];
        snprintf(c, sizeof c, "close %d %s clean rs=3", codes[i], reasons[i]);
        EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
               "result closeSocket:ok", c);
    }
}

/* The peer never answers our Close: after close_timeout_ms, close 1006 not clean (no error). */
static void test_close_timeout(void **s) {
    (void)s;
    SKIP_UNLESS_NODE();
    configure(300);
    rec r = {0};
    start(&r, WS("/deaf"), NULL, 0, 0);
    run_until(&r, is_open, 10000);
    uint64_t t0 = tt_now_ms();
    close_task(&r, 1000, "bye");
    rec *all[] = {&r};
    run_until_closed(all, 1, 10000);
    uint64_t took = tt_now_ms() - t0;
    assert_true(took >= 250 && took < 5000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "result closeSocket:ok", "close 1006  not-clean rs=3");
}

/* Chromium: a TCP drop after open without a Close is close 1006, not clean, and no error event. */
static const it_case test_server_drops_tcp_case = {.path = "/drop", .expect = {OPENED, DROPPED}};

/* The server closes TCP in the middle of a frame. Chromium: close 1006, not clean, no error event, also
 * when the FIN cuts a frame short. */
static const it_case test_eof_mid_message_case = {.node_only = 1, .path = "/partial", .expect = {OPENED, DROPPED}};

/* Like Chromium, the client told the server why with Close 1002 before dropping TCP. */
static const it_case test_invalid_utf8_from_server_case = {
    .node_only = 1,
    .path = "/badutf8",
    .expect = {OPENED, "error onSocketError: WebSocket connection failed | * rs=3", DROPPED},
    .last_close = "1002"};

static const it_case test_reserved_opcode_case = {
    .node_only = 1,
    .path = "/badframe",
    .expect = {OPENED, "error onSocketError: WebSocket connection failed | * rs=3", DROPPED}};

/* The runtime configured without deflate and the test CA, and with this message size limit. */
static void configure_plain(const char *ca_file, size_t max_message_size) {
    tt_runtime_config c;
    memset(&c, 0, sizeof c);
    c.skip_domain_check = 1;
    c.disable_deflate = 1;
    c.ca_file = ca_file;
    c.max_message_size = max_message_size;
    assert_int_equal(tt_runtime_configure(&c), 0);
}

static void test_message_too_large(void **s) {
    (void)s;
    SKIP_UNLESS_NODE();
    configure_plain(NULL, 1000);
    run_it_case(&(it_case){
        .path = "/big?n=1001",
        .expect = {OPENED, "error onSocketError: WebSocket message too large | message exceeds max_message_size rs=3",
                   DROPPED}});
}

/* More unsent data than the transport's 64 MiB send buffer limit fails the connection. */
static void test_send_buffer_full(void **s) {
    (void)s;
    size_t n = 64 * MiB + 1;
    uint8_t *big = calloc(1, n);
    assert_non_null(big);
    rec r = {0};
    start(&r, WS("/echo"), NULL, 0, 0);
    run_until(&r, is_open, 10000);
    send_data(&r, TT_DATA_BINARY, big, n);
    rec *all[] = {&r};
    run_until_closed(all, 1, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "result sendSocketMessage:fail WebSocket is not connected",
           "error onSocketError: WebSocket send buffer full | send buffer limit exceeded rs=3",
           "close 1006  not-clean rs=3");
    free(big);
}

/* ---- Tests: subprotocols ----------------------------------------------------------------------- */

static void test_subprotocol_chosen(void **s) {
    (void)s;
    static const char *const offered[] = {"x-unknown", "superchat"};
    /* ws chooses the first offered; websockets the first it speaks */
    run_it_case(&(it_case){
        .path = "/protocol?choose=first",
        .protocols = offered,
        .protocol_count = 2,
        .send_on_open = "hi",
        .close_after_messages = 1,
        .expect = {is_node() ? "open protocol=x-unknown extensions= rs=1" : "open protocol=superchat extensions= rs=1",
                   "message text 2 hi rs=1", CLOSED_DONE}});
}

static const it_case test_subprotocol_missing_case = {.path = "/protocol?choose=none",
                                                      .protocols = (const char *const[]){"nope"},
                                                      .protocol_count = 1,
                                                      .failure = "handshake: *subprotocol*"};

static const it_case test_subprotocol_not_offered_case = {.node_only = 1,
                                                          .path = "/protocol?choose=bogus",
                                                          .protocols = (const char *const[]){"chat"},
                                                          .protocol_count = 1,
                                                          .failure = "handshake: *subprotocol*not offered*"};

/*
 * A subprotocol the client did not ask for at all: the connection fails, as in Chromium. The ws server
 * cannot answer one the client did not offer, so the node peer's hand-made 101 does.
 */
static const it_case test_subprotocol_unrequested_case = {
    .node_only = 1,
    .path = "/unrequested-protocol",
    .failure = "handshake: server chose a subprotocol that was not offered"};

/*
 * Custom request headers go out as given (name case, order, value), and tt_connect_socket copies them: the
 * caller's buffers are overwritten right after the call, before anything is sent. The node peer answers
 * with the x-* headers it received.
 */
static void test_custom_headers_sent_as_given(void **s) {
    (void)s;
    SKIP_UNLESS_NODE();
    char n1[] = "X-Tt-One", v1[] = "first value", n2[] = "x-two", v2[] = "Two;  spaced value";
    tt_header headers[2] = {{n1, v1}, {n2, v2}};
    rec r = {0};
    r.trace.style = TT_TRACE_STYLE_RS;
    tt_connect_socket_options o = {.url = WS("/headers"), .header = headers, .header_count = 2};
    r.task = tt_connect_with(o, &rec_callbacks, &r);
    tt_tasks_track(r.task);
    memset(n1, 'Q', sizeof n1 - 1), memset(v1, 'q', sizeof v1 - 1);
    memset(n2, 'Q', sizeof n2 - 1), memset(v2, 'q', sizeof v2 - 1);
    headers[0].name = headers[1].name = "X-Changed";
    run_until(&r, has_message, 10000);
    close_task(&r, 1000, NULL);
    rec *all[] = {&r};
    run_until_closed(all, 1, 10000);
    EXPECT(&r, "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1",
           "message text 49 X-Tt-One: first value | x-two: Two;  spaced value rs=1", "result closeSocket:ok",
           "close 1000  clean rs=3");
}

/* ---- Tests: scale ------------------------------------------------------------------------------ */

static void test_hundred_tasks(void **s) {
    (void)s;
    enum { N = 100 };
    rec *r = calloc(N, sizeof *r);
    rec *all[N];
    char msgs[N][32];
    assert_non_null(r);
    for (int i = 0; i < N; i++) {
        snprintf(msgs[i], sizeof msgs[i], "task %d", i);
        r[i].send_on_open = msgs[i];
        r[i].close_after_messages = 1;
        all[i] = &r[i];
        start(&r[i], i % 4 == 3 ? WSS("/echo") : WS("/echo"), NULL, 0, 0);
    }
    run_until_closed(all, N, 30000);
    for (int i = 0; i < N; i++) {
        char m[96];
        snprintf(m, sizeof m, "message text %zu %s rs=1", strlen(msgs[i]), msgs[i]);
        EXPECT(&r[i], "success connectSocket:ok", "complete connectSocket:ok", "open protocol= extensions= rs=1", m,
               "result closeSocket:ok", "close 1000 done clean rs=3");
    }
    assert_int_equal(tt__native_connection_count(), 0);
    free(r);
}

static int got_message(void *r) { return ((rec *)r)->trace.messages > 0 || is_closed(r); }

/* Buffers kept for the next large message go back once the connection has been quiet for a second. */
static void test_spare_buffers_released(void **s) {
    (void)s;
    enum { N = 256 * 1024 };
    uint8_t *data = payload(N, 0);
    rec r = {0};
    start(&r, WS(echo_path()), NULL, 0, 0);
    run_until(&r, is_open, 10000);
    send_data(&r, TT_DATA_BINARY, data, N);
    run_until(&r, got_message, 10000);
    assert_int_equal(r.trace.messages, 1);
    size_t peak = tt__native_memory();
    uint64_t end = tt_now_ms() + 5000;
    while (tt__native_memory() + N > peak && tt_now_ms() < end) assert_true(tt_runtime_poll(50) >= 0);
    size_t after = tt__native_memory();
    fprintf(stderr, "  after a %d-byte echo: %zu bytes, %zu once quiet\n", N, peak, after);
    assert_true(after + N <= peak);
    if (deflate_mode() == 0) assert_true(after <= 4096);
    close_task(&r, 1000, NULL);
    rec *all[] = {&r};
    run_until_closed(all, 1, 10000);
    tt_trace_free(&r.trace);
    free(data);
}

/* Idle ws:// connections must stay within 4 KiB of user-space memory each (engine included). */
static void test_idle_memory(void **s) {
    (void)s;
    enum { N = 200 };
    rec *r = calloc(N, sizeof *r);
    rec *all[N];
    assert_non_null(r);
    for (int i = 0; i < N; i++) {
        all[i] = &r[i];
        start(&r[i], WS("/echo"), NULL, 0, 0);
    }
    for (int i = 0; i < N; i++) run_until(&r[i], is_open, 20000);
    for (int i = 0; i < 5; i++) assert_true(tt_runtime_poll(0) >= 0);
    size_t conns = tt__native_connection_count();
    size_t mem = tt__native_memory();
    fprintf(stderr, "  %zu idle connections: %zu bytes, %zu per connection\n", conns, mem, mem / conns);
    assert_int_equal(conns, N);
    assert_true(mem / conns <= 4096);
    for (int i = 0; i < N; i++) close_task(&r[i], 1000, NULL);
    run_until_closed(all, N, 20000);
    for (int i = 0; i < N; i++) {
        char last[256];
        tt_trace_line(&r[i].trace, -1, last, sizeof last);
        assert_string_equal(last, "close 1000  clean rs=3");
        tt_trace_free(&r[i].trace);
    }
    free(r);
}

/* ---- Tests: failures --------------------------------------------------------------------------- */

/*
 * A TCP socket bound to a free port of 127.0.0.1, listening (with a backlog that completes handshakes
 * nobody answers) or not (so connect() is refused, and no other process can take the port).
 */
static int loopback_socket(int listening, int *fd_out) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    if (listening) assert_int_equal(listen(fd, 8), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *fd_out = fd;
    return ntohs(a.sin_port);
}

static void test_refused(void **s) {
    (void)s;
    int fd;
    int port = loopback_socket(0, &fd);
    char url[64], detail[160];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", port);
    snprintf(detail, sizeof detail, "connect: Connection refused (127.0.0.1:%d)", port);
    expect_failure(url, detail);
    close(fd);
}

static const it_case test_unresolvable_case = {.url = "ws://no-such-host.invalid/",
                                               .failure = "resolve: no-such-host.invalid: *"};

/* A name longer than DNS allows fails like a name that does not resolve (a browser: error, close 1006),
 * with a detail that says why. */
static void test_host_name_too_long(void **s) {
    (void)s;
    char url[400], label[64];
    memset(label, 'a', 63);
    label[63] = '\0';
    snprintf(url, sizeof url, "ws://%s.%s.%s.%s.test/", label, label, label, label); /* 260 bytes */
    expect_failure(url, "resolve: host name too long (260 bytes, at most 253)");
}

/* A listener whose backlog completes the TCP handshake but which never reads or answers. */
static void test_handshake_timeout(void **s) {
    (void)s;
    int fd;
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", loopback_socket(1, &fd));
    uint64_t t0 = tt_now_ms();
    run_it_case(&(it_case){
        .url = url,
        .timeout_ms = 500,
        .expect = {"error onSocketError: WebSocket connection timed out | connect: timed out rs=3", DROPPED}});
    uint64_t took = tt_now_ms() - t0;
    assert_true(took >= 450 && took < 5000);
    close(fd);
}

/* The same against the peer: it reads the request and never answers (node only). */
static const it_case test_handshake_timeout_peer_case = {
    .node_only = 1,
    .path = "/hang",
    .timeout_ms = 500,
    .expect = {"error onSocketError: WebSocket connection timed out | connect: timed out rs=3", DROPPED}};

static const it_case test_status_404_case = {
    .node_only = 1, .path = "/status404", .failure = "handshake: unexpected status 404"};

static const it_case test_bad_accept_case = {.node_only = 1, .path = "/badaccept", .failure = "handshake: *Accept*"};

#define TLS_REFUSED(name, ...) static const it_case name##_case = {.node_only = 1, .scheme = "wss", __VA_ARGS__}

TLS_REFUSED(test_tls_expired, .listener = "EXPIRED",
            .failure = "tls: certificate verify failed: certificate has expired");
TLS_REFUSED(test_tls_wrong_ip, .listener = "WRONGHOST",
            .failure = "tls: certificate verify failed: IP address mismatch");
TLS_REFUSED(test_tls_wrong_host, .listener = "WRONGHOST", .host = "localhost",
            .failure = "tls: certificate verify failed: hostname mismatch");
TLS_REFUSED(test_tls_unknown_ca, .listener = "UNKNOWNCA",
            .failure = "tls: certificate verify failed: unable to get local issuer certificate");
TLS_REFUSED(test_tls_not_yet_valid, .listener = "NOTYET",
            .failure = "tls: certificate verify failed: certificate is not yet valid");
TLS_REFUSED(test_tls_self_signed, .listener = "SELFSIGNED",
            .failure = "tls: certificate verify failed: self?signed certificate");
/* A certificate for clients only (extendedKeyUsage=clientAuth) may not identify a server. */
TLS_REFUSED(test_tls_client_auth_only, .listener = "CLIENTONLY",
            .failure = "tls: certificate verify failed: uns* certificate purpose"); /* OpenSSL 3: unsuitable */
/* keyUsage=keyCertSign only: neither digitalSignature nor keyEncipherment, so no TLS server. */
TLS_REFUSED(test_tls_bad_key_usage, .listener = "BADKU",
            .failure = "tls: certificate verify failed: uns* certificate purpose"); /* OpenSSL 3: unsuitable */

/* A certificate that names the host only in its subject CN, with no subjectAltName: Chromium refuses it
 * (the CN fallback is gone since Chrome 58), and so must the native build, saying why. */
TLS_REFUSED(test_tls_cn_only, .listener = "CNONLY", .host = "localhost",
            .failure = "tls: certificate verify failed: hostname mismatch (the certificate has no "
                       "subjectAltName; its subject CN is not used)");

static void echo_once(const char *url);

/* ca_file naming the given fixture (in TT_IT_CERTS) instead of the test CA. */
static void configure_ca(const char *name) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", getenv("TT_IT_CERTS") ? getenv("TT_IT_CERTS") : ".", name);
    configure_plain(path, 0);
}

/* The refusals above are about the certificate, not the trust: the right ca_file makes them work. */
static void test_tls_self_signed_trusted(void **s) {
    (void)s;
    SKIP_UNLESS_NODE();
    configure_ca("selfsigned.pem");
    echo_once(url_for("SELFSIGNED", "wss", "127.0.0.1", "/echo"));
    /* ... and that ca_file trusts nothing else: the test CA's good certificate is refused now. */
    expect_failure(WSS("/echo"), "tls: certificate verify failed: unable to get local issuer certificate");
}

static void test_tls_unknown_ca_trusted(void **s) {
    (void)s;
    SKIP_UNLESS_NODE();
    configure_ca("other-ca.pem");
    echo_once(url_for("UNKNOWNCA", "wss", "127.0.0.1", "/echo"));
}

/* Without the test CA the good certificate is refused too: the CA really comes from ca_file. */
static void test_tls_without_ca_file(void **s) {
    (void)s;
    configure_plain(NULL, 0);
    expect_failure(WSS("/echo"), "tls: certificate verify failed: *");
}

/* ---- Tests: addresses -------------------------------------------------------------------------- */

static void echo_once(const char *url) {
    run_it_case(&(it_case){.url = url,
                           .send_on_open = "addr",
                           .close_after_messages = 1,
                           .expect = {OPENED, "message text 4 addr rs=1", CLOSED_DONE}});
}

/* "localhost" goes through the resolver; if it yields ::1 first, that refusal falls back to 127.0.0.1. */
static void test_localhost(void **s) {
    (void)s;
    echo_once(url_for("WS", "ws", "localhost", "/echo"));
}
static void test_localhost_wss(void **s) {
    (void)s;
    echo_once(url_for("WSS", "wss", "localhost", "/echo"));
}

/*
 * "localhost." is the absolute spelling of localhost: it passes the domain entry "localhost" (the same
 * rule on both builds), is looked up as localhost (a browser does the same), and the certificate for
 * DNS:localhost verifies because SNI and the verification use the name without the dot (RFC 6066). The
 * Host header keeps the dot, as Chromium sends it.
 */
static void test_trailing_dot_wss(void **s) {
    (void)s;
    SKIP_UNLESS_NODE();
    const char *domains[] = {"localhost"};
    tt_runtime_config c;
    memset(&c, 0, sizeof c);
    c.socket_domains = domains;
    c.socket_domain_count = 1;
    c.disable_deflate = 1;
    c.ca_file = getenv("TT_IT_CA");
    assert_int_equal(tt_runtime_configure(&c), 0);
    char want[96];
    snprintf(want, sizeof want, "message text * sni=localhost host=localhost.:%d rs=1", port_of("WSS"));
    run_it_case(&(it_case){.url = url_for("WSS", "wss", "localhost.", "/sni"),
                           .close_after_messages = 1,
                           .expect = {OPENED, want, CLOSED_DONE}});
}

/*
 * Over ::1. The node peer listens there when the machine has an IPv6 loopback; when it has none the test
 * fails rather than pass unseen, unless TT_IT_NO_IPV6=1 says so on purpose (then cmocka reports it as
 * SKIPPED, counted apart). The Python peer has no IPv6 listener: skipped there like other node-only tests.
 */
static void test_ipv6(void **s) {
    (void)s;
    SKIP_UNLESS_NODE();
    if (port_of("WS6") == 0) {
        if (getenv("TT_IT_NO_IPV6")) skip();
        fail_msg("the peer could not listen on [::1] (no IPv6 loopback?); set TT_IT_NO_IPV6=1 to skip knowingly");
    }
    echo_once(url_for("WS6", "ws", "[::1]", "/echo"));
}

/* ---- Scale: TT_IT_SCALE connections open at once (run as its own ctest entry) ------------------ */

typedef struct light {
    int opened, echoed, closed, clean, errors;
} light;
static int scale_opened, scale_closed;

static void light_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    (void)e;
    ((light *)ud)->opened++;
    scale_opened++;
    (void)t;
}
static void light_message(tt_socket_task t, const tt_message_event *e, void *ud) {
    light *l = ud;
    if (e->type == TT_DATA_TEXT && e->length == 4 && memcmp(e->data, "ping", 4) == 0) l->echoed++;
    tt_close_options o;
    memset(&o, 0, sizeof o);
    tt_socket_task_close(t, &o);
}
static void light_error(tt_socket_task t, const tt_error_event *e, void *ud) {
    (void)t;
    if (((light *)ud)->errors++ == 0 && scale_closed < 3) fprintf(stderr, "  error: %s (%s)\n", e->err_msg, e->detail);
}
static void light_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    (void)t;
    light *l = ud;
    l->closed++;
    l->clean += e->code == 1000 && e->was_clean;
    scale_closed++;
}

static const tt_task_callbacks light_callbacks = {
    .open = light_open, .message = light_message, .error = light_error, .close = light_close};

static void test_scale(void **s) {
    (void)s;
    const char *n_env = getenv("TT_IT_SCALE");
    if (n_env == NULL) skip();
    int n = atoi(n_env);
    light *l = calloc((size_t)n, sizeof *l);
    tt_socket_task *tasks = calloc((size_t)n, sizeof *tasks);
    assert_non_null(l);
    assert_non_null(tasks);
    scale_opened = scale_closed = 0;
    const char *url = WS("/echo");
    uint64_t t0 = tt_now_ms(), end = t0 + 90000;
    /* Open in waves so the peer's accept backlog keeps up; all of them stay open at once. */
    int started_n = 0;
    while (scale_opened < n) {
        while (started_n < n && started_n - scale_opened < 500) {
            tasks[started_n] =
                tt_connect_with((tt_connect_socket_options){.url = url}, &light_callbacks, &l[started_n]);
            assert_int_not_equal(tasks[started_n].id, 0);
            started_n++;
        }
        assert_true(tt_runtime_poll(10) >= 0);
        assert_int_equal(scale_closed, 0);
        assert_true(tt_now_ms() < end);
    }
    size_t conns = tt__native_connection_count(), mem = tt__native_memory();
    fprintf(stderr, "  %d connections open after %llu ms; %zu bytes of connection state (%zu each)\n", n,
            (unsigned long long)(tt_now_ms() - t0), mem, mem / conns);
    assert_int_equal(conns, (size_t)n);
    for (int i = 0; i < n; i++) {
        tt_send_options o;
        memset(&o, 0, sizeof o);
        o.type = TT_DATA_TEXT;
        o.data = "ping";
        o.length = 4;
        tt_socket_task_send(tasks[i], &o);
    }
    while (scale_closed < n) {
        assert_true(tt_runtime_poll(10) >= 0);
        assert_true(tt_now_ms() < end);
    }
    for (int i = 0; i < n; i++) {
        if (l[i].opened != 1 || l[i].echoed != 1 || l[i].closed != 1 || l[i].clean != 1 || l[i].errors != 0) {
            fprintf(stderr, "  task %d: opened %d echoed %d closed %d clean %d errors %d\n", i, l[i].opened,
                    l[i].echoed, l[i].closed, l[i].clean, l[i].errors);
            fail();
        }
    }
    fprintf(stderr, "  all %d echoed and closed cleanly after %llu ms\n", n, (unsigned long long)(tt_now_ms() - t0));
    free(l);
    free(tasks);
}

/* ---- What a game can see: open profile, response header, statistics ------------------------------ */

typedef struct observed {
    int opened, closed, errors;
    int close_on_open;
    tt_open_profile profile;
    size_t header_count;
    int has_upgrade, has_accept;
    int count_messages; /* /count: messages sent after "ready", before "count?" */
    size_t count_bytes; /* their payload bytes */
    char reply[160];
    tt_task_stats at_reply; /* the task's statistics when the server's count arrived */
    int stats_rc;
} observed;

static void obs_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    observed *o = ud;
    o->opened++;
    o->profile = *e->profile;
    o->header_count = e->header_count;
    for (size_t i = 0; i < e->header_count; i++) {
        const tt_header *h = &e->header[i];
        if (strcasecmp(h->name, "Upgrade") == 0 && strcasecmp(h->value, "websocket") == 0) o->has_upgrade = 1;
        if (strcasecmp(h->name, "Sec-WebSocket-Accept") == 0 && strlen(h->value) == 28) o->has_accept = 1;
    }
    if (o->close_on_open) tt_socket_task_close(t, NULL);
}

static void obs_send(tt_socket_task t, const char *text) {
    tt_send_options so = {.type = TT_DATA_TEXT, .data = text, .length = strlen(text)};
    tt_socket_task_send(t, &so);
}

static void obs_message(tt_socket_task t, const tt_message_event *e, void *ud) {
    observed *o = ud;
    if (e->length == 5 && memcmp(e->data, "ready", 5) == 0) {
        static const char *const words[] = {"a", "bb", "a longer message of the game", ""};
        for (int i = 0; i < o->count_messages; i++) {
            obs_send(t, words[i % 4]);
            o->count_bytes += strlen(words[i % 4]);
        }
        obs_send(t, "count?");
    } else if (e->length < sizeof o->reply && e->length > 3 && memcmp(e->data, "rx=", 3) == 0) {
        memcpy(o->reply, e->data, e->length);
        o->reply[e->length] = '\0';
        o->stats_rc = tt_socket_task_stats(t, &o->at_reply, sizeof o->at_reply);
        tt_socket_task_close(t, NULL);
    }
}

static void obs_error(tt_socket_task t, const tt_error_event *e, void *ud) {
    (void)t;
    (void)e;
    ((observed *)ud)->errors++;
}

static void obs_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    (void)t;
    (void)e;
    ((observed *)ud)->closed++;
}

static int obs_done(void *ud) { return ((observed *)ud)->closed > 0; }

static const tt_task_callbacks obs_callbacks = {
    .open = obs_open, .message = obs_message, .error = obs_error, .close = obs_close};

static void observe_run(const char *url, observed *o) {
    tt_socket_task t = tt_connect_with((tt_connect_socket_options){.url = url}, &obs_callbacks, o);
    tt_tasks_track(t);
    assert_int_equal(tt_poll_until(obs_done, o, 10000, 50), 0);
    assert_int_equal(o->errors, 0);
    assert_int_equal(o->opened, 1);
}

/* Every native profile field is known, the phases come in order and the durations are their spans. */
static void check_profile(const char *url) {
    observed o = {.close_on_open = 1};
    observe_run(url, &o);
    const tt_open_profile *p = &o.profile;
    const int64_t order[] = {p->fetch_start,
                             p->domain_lookup_start,
                             p->domain_lookup_end,
                             p->connect_start,
                             p->tcp_connect_end,
                             p->ssl_connection_start,
                             p->ssl_connection_end,
                             p->request_start,
                             p->request_end,
                             p->response_end,
                             p->open};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (order[i] < 0 || (i > 0 && order[i] < order[i - 1])) {
            fprintf(stderr, "%s: profile field %zu is %lld after %lld\n", url, i, (long long)order[i],
                    i ? (long long)order[i - 1] : 0LL);
            fail();
        }
    }
    assert_int_equal(p->connect_end, p->ssl_connection_end);
    assert_int_equal(p->rtt, p->connect_end - p->connect_start);
    assert_int_equal(p->handshake_cost, p->response_end - p->request_start);
    assert_int_equal(p->cost, p->open - p->fetch_start);
    /* The 101's own fields, as the server sent them. */
    assert_true(o.header_count >= 3);
    assert_true(o.has_upgrade);
    assert_true(o.has_accept);
}

static void test_open_profile_ws(void **s) {
    (void)s;
    check_profile(WS("/echo"));
}
static void test_open_profile_wss(void **s) {
    (void)s;
    check_profile(WSS("/echo"));
}
static void test_open_profile_localhost_wss(void **s) {
    (void)s;
    check_profile(url_for("WSS", "wss", "localhost", "/echo")); /* a real name lookup */
}

/* The task's counters against what the server counted on its socket. */
static void test_stats_match_server_counts(void **s) {
    (void)s;
    SKIP_UNLESS_NODE();
    observed o = {.count_messages = 25};
    observe_run(WS("/count"), &o);
    assert_int_equal(o.stats_rc, 0);
    unsigned long long rx = 0, tx = 0, messages = 0, bytes = 0;
    assert_int_equal(sscanf(o.reply, "rx=%llu tx=%llu messages=%llu bytes=%llu", &rx, &tx, &messages, &bytes), 4);
    const tt_task_stats *st = &o.at_reply;
    /* Everything the client wrote (the request, the pong, 26 messages) was read by the server. */
    assert_int_equal(st->wire_bytes_sent, rx);
    /* The client read all the server wrote before its count, plus the count's own frame. */
    assert_int_equal(st->wire_bytes_received, tx + 2 + strlen(o.reply));
    assert_int_equal(messages, (unsigned long long)o.count_messages + 1);
    assert_int_equal(st->messages_sent, messages);
    assert_int_equal(st->bytes_sent, bytes);
    assert_int_equal(bytes, o.count_bytes + strlen("count?"));
    assert_int_equal(st->messages_received, 2); /* "ready" and the count */
    assert_int_equal(st->bytes_received, 5 + strlen(o.reply));
    assert_int_equal(st->frames_sent, messages + 1); /* and the pong */
    assert_int_equal(st->frames_received, 3);        /* ping, "ready", the count */
    assert_int_equal(st->pings_received, 1);
    assert_int_equal(st->pongs_sent, 1);
    assert_int_equal(st->compressed_payload_sent, 0);
    /* The 26 sends of one callback wait together for the next write: the peak is at least the longest. */
    assert_true(st->peak_buffered_amount >= strlen("a longer message of the game") &&
                st->peak_buffered_amount <= bytes);
    assert_int_equal(st->tasks, 1);
    tt_task_stats all;
    assert_int_equal(tt_runtime_stats(&all, sizeof all), 0);
    assert_true(all.wire_bytes_sent >= st->wire_bytes_sent);
    assert_true(tt_runtime_capabilities() & TT_CAP_WIRE_STATS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_echo_text_ws, setup, teardown),
        cmocka_unit_test_setup_teardown(test_echo_binary_ws, setup, teardown),
        cmocka_unit_test_setup_teardown(test_echo_text_wss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_echo_mixed_ws, setup, teardown),
        cmocka_unit_test_setup_teardown(test_echo_mixed_wss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_echo_binary_wss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_echo_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fragmented_ws, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fragmented_wss, setup, teardown),
        CASE(test_server_ping),
        CASE(test_server_close_code_reason),
        CASE(test_server_close_no_code),
        CASE(test_server_close_after_message),
        cmocka_unit_test_setup_teardown(test_client_close_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_timeout, setup, teardown),
        CASE(test_server_drops_tcp),
        CASE(test_eof_mid_message),
        CASE(test_invalid_utf8_from_server),
        CASE(test_reserved_opcode),
        cmocka_unit_test_setup_teardown(test_message_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_buffer_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subprotocol_chosen, setup, teardown),
        CASE(test_subprotocol_missing),
        CASE(test_subprotocol_not_offered),
        CASE(test_subprotocol_unrequested),
        cmocka_unit_test_setup_teardown(test_custom_headers_sent_as_given, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hundred_tasks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spare_buffers_released, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
        CASE(test_unresolvable),
        cmocka_unit_test_setup_teardown(test_host_name_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_timeout, setup, teardown),
        CASE(test_handshake_timeout_peer),
        CASE(test_status_404),
        CASE(test_bad_accept),
        CASE(test_tls_expired),
        CASE(test_tls_wrong_ip),
        CASE(test_tls_wrong_host),
        CASE(test_tls_unknown_ca),
        cmocka_unit_test_setup_teardown(test_tls_without_ca_file, setup, teardown),
        CASE(test_tls_not_yet_valid),
        CASE(test_tls_self_signed),
        CASE(test_tls_client_auth_only),
        CASE(test_tls_bad_key_usage),
        CASE(test_tls_cn_only),
        cmocka_unit_test_setup_teardown(test_tls_self_signed_trusted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_unknown_ca_trusted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_localhost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_localhost_wss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trailing_dot_wss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_profile_ws, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_profile_wss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_profile_localhost_wss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_match_server_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scale, setup, teardown),
    };
    /* TT_IT_FILTER / TT_IT_SKIP: cmocka name patterns, for running a subset by hand. */
    if (getenv("TT_IT_FILTER")) cmocka_set_test_filter(getenv("TT_IT_FILTER"));
    if (getenv("TT_IT_SKIP")) cmocka_set_skip_filter(getenv("TT_IT_SKIP"));
    char name[64];
    snprintf(name, sizeof name, "integration.%s", peer());
    return cmocka_run_group_tests_name(name, tests, NULL, NULL);
}
