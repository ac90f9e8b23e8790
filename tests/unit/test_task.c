/* Unit tests of src/task.c: the SocketTask API surface, the state machine, timers and errMsg rows, driven
 * through the loopback transport with a fixed clock (the shared set-up is tests/support/core_test.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core_test.h"
#include "loopback_transport.h"
#include "test_hooks.h"
#include "trace.h"
#include "tt_internal.h"
#include "ttsocket.h"

static void test_full_lifecycle_order(void **state) {
    (void)state;
    tt_loop_set_auto(1);
    tt_socket_task t = connect_url("ws://a.example/chat");
    assert_int_not_equal(t.id, 0);
    /* Nothing is delivered inside the call. */
    assert_int_equal(trace.length, 0);
    assert_int_equal(tt_socket_task_ready_state(t), TT_CONNECTING);
    settle();
    send_text(t, "hello");
    settle();
    close_task(t, 0, "bye");
    assert_int_equal(tt_socket_task_ready_state(t), TT_CLOSING);
    settle();
    assert_trace("success connectSocket:ok id=%u\n"
                 "complete connectSocket:ok\n"
                 "open protocol= extensions= state=1\n"
                 "success sendSocketMessage:ok\n"
                 "message text 5 hello state=1\n"
                 "success closeSocket:ok\n"
                 "close 1000 bye clean=1 state=3\n",
                 t.id);
    assert_int_equal(tt_socket_task_ready_state(t), TT_CLOSED);
    char expect[512];
    snprintf(expect, sizeof expect,
             "init\n"
             "open %u ws://a.example/chat host=a.example port=80 protocols= headers=0\n"
             "send %u text 5 hello\n"
             "close %u 1000 bye\n",
             t.id, t.id, t.id);
    assert_string_equal(tt_loop_log(), expect);
}

static void test_ids_count_up_and_are_never_reused(void **state) {
    (void)state;
    tt_socket_task a = connect_url("ws://a.example/");
    tt_socket_task b = connect_url("ws://a.example/");
    assert_int_equal(b.id, a.id + 1);
    tt_runtime_shutdown();
    tt_runtime_config c = {0};
    c.skip_domain_check = 1;
    tt_runtime_configure(&c);
    tt_socket_task d = connect_url("ws://a.example/");
    assert_true(d.id > b.id);
}

/*
 * Ids are 32-bit and never reused: once the last one (2^32 - 1) is issued, tt_connect_socket fails with
 * its own errMsg instead of wrapping to 0 (which means "no task") and then to ids a stale handle may hold.
 */
static uint32_t id_before_exhaustion;

/* The next tests go on from where the ids were, also when the test failed half-way. */
static int teardown_ids(void **state) {
    tt__core_set_next_task_id((uint64_t)id_before_exhaustion + 1);
    return core_test_teardown(state);
}

static void test_task_ids_exhausted(void **state) {
    (void)state;
    tt_socket_task first = connect_url("ws://a.example/");
    assert_int_not_equal(first.id, 0);
    id_before_exhaustion = first.id;
    tt__core_set_next_task_id(UINT32_MAX - 1);
    tt_socket_task a = connect_url("ws://a.example/");
    tt_socket_task b = connect_url("ws://a.example/");
    assert_int_equal(a.id, UINT32_MAX - 1);
    assert_int_equal(b.id, UINT32_MAX);
    settle();
    tt_trace_clear(&trace);
    tt_socket_task c = connect_url("ws://a.example/");
    assert_int_equal(c.id, 0);
    settle();
    assert_string_equal(trace.text, "fail connectSocket:fail socketTaskId exhausted\n"
                                    "complete connectSocket:fail socketTaskId exhausted\n");
    /* The tasks that exist still work; a never-issued id stays invalid. */
    tt_loop_open(b.id, "", "");
    settle();
    tt_trace_clear(&trace);
    send_text(b, "last");
    send_text((tt_socket_task){0}, "none");
    settle();
    assert_string_equal(trace.text, "success sendSocketMessage:ok\n"
                                    "fail sendSocketMessage:fail invalid socketTaskId\n");
    /* A shutdown does not start the ids over. */
    tt_runtime_shutdown();
    tt_runtime_config cfg = {0};
    cfg.skip_domain_check = 1;
    assert_int_equal(tt_runtime_configure(&cfg), 0);
    assert_int_equal(connect_url("ws://a.example/").id, 0);
}

struct bad_connect {
    const char *url;
    const char *protocols[3];
    size_t protocol_count;
    tt_header headers[2];
    size_t header_count;
    int timeout_ms;
    const char *err_msg;
};

static const struct bad_connect bad_connects[] = {
    {"", {0}, 0, {{0}}, 0, 0, "connectSocket:fail invalid url"},
    {"not a url", {0}, 0, {{0}}, 0, 0, "connectSocket:fail invalid url"},
    {"ftp://a.example/", {0}, 0, {{0}}, 0, 0, "connectSocket:fail invalid url scheme"},
    {"ws://a.example/#frag", {0}, 0, {{0}}, 0, 0, "connectSocket:fail invalid url"},
    {"ws://a.example:0/", {0}, 0, {{0}}, 0, 0, "connectSocket:fail invalid url"},
    {"ws://a.example:65536/", {0}, 0, {{0}}, 0, 0, "connectSocket:fail invalid url"},
    {"ws:///path", {0}, 0, {{0}}, 0, 0, "connectSocket:fail invalid url"},
    {"ws://a.example/", {""}, 1, {{0}}, 0, 0, "connectSocket:fail invalid protocol"},
    {"ws://a.example/", {"a b"}, 1, {{0}}, 0, 0, "connectSocket:fail invalid protocol"},
    {"ws://a.example/", {"a,b"}, 1, {{0}}, 0, 0, "connectSocket:fail invalid protocol"},
    {"ws://a.example/", {"chat", "chat"}, 2, {{0}}, 0, 0, "connectSocket:fail duplicate protocol"},
    {"ws://a.example/", {0}, 0, {{"Referer", "http://x/"}}, 1, 0, "connectSocket:fail header not allowed"},
    {"ws://a.example/", {0}, 0, {{"cookie", "a=b"}}, 1, 0, "connectSocket:fail header not allowed"},
    {"ws://a.example/", {0}, 0, {{"Sec-WebSocket-Key", "x"}}, 1, 0, "connectSocket:fail header not allowed"},
    {"ws://a.example/", {0}, 0, {{"Proxy-Authorization", "x"}}, 1, 0, "connectSocket:fail header not allowed"},
    {"ws://a.example/", {0}, 0, {{"Host", "x"}}, 1, 0, "connectSocket:fail header not allowed"},
    {"ws://a.example/", {0}, 0, {{"Origin", "x"}}, 1, 0, "connectSocket:fail header not allowed"},
    {"ws://a.example/", {0}, 0, {{"Bad Name", "x"}}, 1, 0, "connectSocket:fail invalid header"},
    {"ws://a.example/", {0}, 0, {{"", "x"}}, 1, 0, "connectSocket:fail invalid header"},
    {"ws://a.example/", {0}, 0, {{"X-A:", "x"}}, 1, 0, "connectSocket:fail invalid header"},
    {"ws://a.example/", {0}, 0, {{"X-A", "a\r\nInjected: 1"}}, 1, 0, "connectSocket:fail invalid header"},
    {"ws://a.example/", {0}, 0, {{"X-A", NULL}}, 1, 0, "connectSocket:fail invalid header"},
    {"ws://a.example/", {0}, 0, {{0}}, 0, -1, "connectSocket:fail invalid timeout"},
};

static void test_bad_connect_options_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bad_connects / sizeof bad_connects[0]; i++) {
        const struct bad_connect *b = &bad_connects[i];
        tt_trace_clear(&trace);
        tt_loop_clear_log();
        tt_connect_socket_options o = {0};
        o.url = b->url;
        o.protocols = b->protocols;
        o.protocol_count = b->protocol_count;
        o.header = b->headers;
        o.header_count = b->header_count;
        o.timeout_ms = b->timeout_ms;
        o.success = tt_trace_success;
        o.fail = tt_trace_fail;
        o.complete = tt_trace_complete;
        o.user_data = &trace;
        tt_socket_task t = tt_connect_socket(&o);
        assert_int_equal(t.id, 0);
        settle();
        char expect[256];
        snprintf(expect, sizeof expect, "fail %s\ncomplete %s\n", b->err_msg, b->err_msg);
        if (strcmp(trace.text, expect) != 0) fail_msg("case %zu (%s): got\n%s", i, b->url, trace.text);
        /* Nothing reached the transport. */
        assert_null(strstr(tt_loop_log(), "open "));
    }
}

static void test_null_options_and_null_url(void **state) {
    (void)state;
    assert_int_equal(tt_connect_socket(NULL).id, 0);
    tt_connect_socket_options o = {0};
    o.fail = tt_trace_fail;
    o.user_data = &trace;
    assert_int_equal(tt_connect_socket(&o).id, 0);
    settle();
    assert_string_equal(trace.text, "fail connectSocket:fail invalid url\n");
}

static void test_domain_rules(void **state) {
    (void)state;
    const char *domains[] = {"example.com", "wss://Game.Example.org:8443", "[::1]:9000"};
    tt_runtime_config c = {0};
    c.socket_domains = domains;
    c.socket_domain_count = 3;
    assert_int_equal(tt_runtime_configure(&c), 0);
    struct {
        const char *url;
        const char *expect;
    } cases[] = {
        {"wss://EXAMPLE.com/x", "connectSocket:ok"},
        {"wss://example.com:1234/x", "connectSocket:ok"},
        {"https://example.com/x", "connectSocket:fail invalid url scheme"},
        {"ws://example.com/x", "connectSocket:fail url scheme must be wss"},
        {"http://example.com/x", "connectSocket:fail invalid url scheme"},
        /* A browser reads '\' as '/': the host would be evil.com, so the URL is refused. */
        {"wss://evil.com\\@example.com/", "connectSocket:fail invalid url"},
        {"wss://user:pw@example.com/", "connectSocket:fail invalid url"},
        /* The absolute spelling (trailing dot) names the same host, in either direction. */
        {"wss://example.com./x", "connectSocket:ok"},
        {"wss://game.example.org.:8443/", "connectSocket:ok"},
        {"wss://example.com../x", "connectSocket:fail invalid url"},
        {"wss://[0:0::1]:9000/", "connectSocket:ok"},
        {"wss://[::0.0.0.1]:9000/", "connectSocket:ok"},
        {"wss://evil.com/", "connectSocket:fail url not in domain list"},
        {"wss://example.com.evil.com/", "connectSocket:fail url not in domain list"},
        {"wss://sub.example.com/", "connectSocket:fail url not in domain list"},
        {"wss://game.example.org:8443/", "connectSocket:ok"},
        {"wss://game.example.org/", "connectSocket:fail url not in domain list"},
        {"wss://[::1]:9000/", "connectSocket:ok"},
        {"wss://[::1]:9001/", "connectSocket:fail url not in domain list"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tt_trace_clear(&trace);
        tt_connect_socket_options o = {0};
        o.url = cases[i].url;
        o.complete = tt_trace_complete;
        o.user_data = &trace;
        tt_connect_socket(&o);
        settle();
        char expect[128];
        snprintf(expect, sizeof expect, "complete %s\n", cases[i].expect);
        if (strcmp(trace.text, expect) != 0) fail_msg("%s: got %s", cases[i].url, trace.text);
    }
}

static void test_send_states(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    send_text(t, "too early");
    settle();
    assert_trace("success connectSocket:ok id=%u\n"
                 "complete connectSocket:ok\n"
                 "fail sendSocketMessage:fail WebSocket is not connected\n",
                 t.id);
    assert_int_equal(tt_socket_task_buffered_amount(t), 0);
    tt_loop_open(t.id, "", "");
    settle(); /* onOpen is always queued: the task is OPEN once it was delivered */
    tt_trace_clear(&trace);
    tt_loop_set_buffered(7); /* what the connection still holds from earlier sends */
    close_task(t, 1000, NULL);
    send_text(t, "late");
    settle();
    assert_string_equal(trace.text, "success closeSocket:ok\n"
                                    "fail sendSocketMessage:fail WebSocket is not connected\n");
    /* The refused send was never handed to the connection: bufferedAmount stays as it was. */
    assert_int_equal(tt_socket_task_buffered_amount(t), 7);
    assert_null(strstr(tt_loop_log(), "send "));
}

static void test_send_validation(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    tt_loop_open(t.id, "", "");
    settle();
    tt_trace_clear(&trace);
    tt_send_options o = {0};
    o.fail = tt_trace_fail;
    o.success = tt_trace_success;
    o.user_data = &trace;
    o.type = TT_DATA_TEXT;
    o.data = "\xc3\x28";
    o.length = 2;
    tt_socket_task_send(t, &o);
    o.data = NULL;
    o.length = 3;
    tt_socket_task_send(t, &o);
    o.type = (tt_data_type)7;
    o.data = "abc";
    tt_socket_task_send(t, &o);
    o.type = TT_DATA_BINARY;
    o.data = NULL;
    o.length = 0; /* an empty message is fine */
    tt_socket_task_send(t, &o);
    o.type = TT_DATA_TEXT;
    o.data = "a\0b";
    o.length = 3; /* U+0000 is valid text */
    tt_socket_task_send(t, &o);
    tt_socket_task_send((tt_socket_task){0}, &o);
    tt_socket_task_send((tt_socket_task){999}, &o);
    tt_socket_task_send(t, NULL); /* nothing to report to */
    settle();
    assert_string_equal(trace.text, "fail sendSocketMessage:fail invalid utf-8 text\n"
                                    "fail sendSocketMessage:fail invalid data\n"
                                    "fail sendSocketMessage:fail invalid data\n"
                                    "success sendSocketMessage:ok\n"
                                    "success sendSocketMessage:ok\n"
                                    "fail sendSocketMessage:fail invalid socketTaskId\n"
                                    "fail sendSocketMessage:fail invalid socketTaskId\n");
}

static void test_close_validation(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    tt_loop_open(t.id, "", "");
    settle();
    tt_trace_clear(&trace);
    char long_reason[125];
    memset(long_reason, 'r', 124);
    long_reason[124] = '\0';
    int bad_codes[] = {1, 999, 1002, 1004, 1005, 1006, 1015, 2999, 5000, -1};
    for (size_t i = 0; i < sizeof bad_codes / sizeof bad_codes[0]; i++) close_task(t, bad_codes[i], NULL);
    close_task(t, 1000, long_reason);
    close_task(t, 1000, "\xff");
    close_task((tt_socket_task){0}, 1000, NULL);
    close_task((tt_socket_task){77}, 1000, NULL);
    /* Code and reason are checked before the state, as the browser does. */
    close_task((tt_socket_task){77}, 5, NULL);
    settle();
    char expect[4096] = "";
    for (size_t i = 0; i < sizeof bad_codes / sizeof bad_codes[0]; i++)
        strcat(expect, "fail closeSocket:fail invalid code\n");
    strcat(expect, "fail closeSocket:fail reason too long\n"
                   "fail closeSocket:fail invalid utf-8 reason\n"
                   "fail closeSocket:fail invalid socketTaskId\n"
                   "fail closeSocket:fail invalid socketTaskId\n"
                   "fail closeSocket:fail invalid code\n");
    assert_string_equal(trace.text, expect);
    assert_int_equal(tt_socket_task_ready_state(t), TT_OPEN);
    /* 123 bytes of multi-byte UTF-8 is fine; the valid code classes pass. */
    long_reason[123] = '\0';
    tt_trace_clear(&trace);
    close_task(t, 4999, long_reason);
    close_task(t, 3000, NULL); /* already CLOSING */
    settle();
    assert_string_equal(trace.text, "success closeSocket:ok\nfail closeSocket:fail WebSocket is not connected\n");
}

static void test_close_while_connecting_fails_connection(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    close_task(t, 1000, "bye");
    assert_int_equal(tt_socket_task_ready_state(t), TT_CLOSING);
    /* A late open from the transport is ignored. */
    tt_loop_open(t.id, "", "");
    settle();
    assert_trace("success connectSocket:ok id=%u\n"
                 "complete connectSocket:ok\n"
                 "success closeSocket:ok\n"
                 "error onSocketError: WebSocket connection failed state=3\n"
                 "close 1006  clean=0 state=3\n",
                 t.id);
    assert_true(log_has("abort %u\n", t.id));
    assert_false(log_has("close %u ", t.id));
    assert_int_equal(tt_loop_live(), 0);
}

static void test_transport_failure_sequence_and_nothing_after(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    tt_loop_open(t.id, "p", "");
    tt_loop_fail(t.id, TT_ECONNECT, "connect: Connection refused");
    tt_loop_message(t.id, TT_DATA_TEXT, "late", 4);
    tt_loop_close(t.id, 1000, "late", 1);
    settle();
    assert_trace("success connectSocket:ok id=%u\n"
                 "complete connectSocket:ok\n"
                 "open protocol=p extensions= state=1\n"
                 "error onSocketError: WebSocket connection failed state=3\n"
                 "close 1006  clean=0 state=3\n",
                 t.id);
    assert_int_equal(trace.closes, 1);
    /* The finished handle is safe to use. */
    tt_trace_clear(&trace);
    send_text(t, "x");
    close_task(t, 0, NULL);
    settle();
    assert_string_equal(trace.text, "fail sendSocketMessage:fail WebSocket is not connected\n"
                                    "fail closeSocket:fail WebSocket is not connected\n");
    assert_int_equal(tt_socket_task_ready_state(t), TT_CLOSED);
    assert_int_equal(tt_socket_task_buffered_amount(t), 0);
}

static void test_open_failure_reported_after_success(void **state) {
    (void)state;
    tt_loop_fail_next_open(TT_ERESOLVE);
    tt_socket_task t = connect_url("ws://nowhere.invalid/");
    assert_int_not_equal(t.id, 0);
    settle();
    assert_trace("success connectSocket:ok id=%u\n"
                 "complete connectSocket:ok\n"
                 "error onSocketError: WebSocket connection failed state=3\n"
                 "close 1006  clean=0 state=3\n",
                 t.id);
}

static void test_connect_timeout(void **state) {
    (void)state;
    tt_connect_socket_options o = {0};
    o.url = "ws://a.example/";
    o.timeout_ms = 500;
    tt_socket_task t = tt_connect_socket(&o);
    tt_trace_attach(&trace, t);
    uint64_t start = tt_test_clock_now();
    assert_int_equal(tt_runtime_poll(100), 0);
    assert_int_equal(trace.length, 0);
    int n = tt_runtime_poll(-1);
    assert_int_equal(n, 2);
    assert_true(tt_test_clock_now() - start >= 500);
    assert_string_equal(trace.text, "error onSocketError: WebSocket connection timed out state=3\n"
                                    "close 1006  clean=0 state=3\n");
    assert_true(log_has("abort %u\n", t.id));
}

static void test_default_timeout_from_config_and_open_disarms(void **state) {
    (void)state;
    tt_runtime_config c = {0};
    c.skip_domain_check = 1;
    c.connect_timeout_ms = 2000;
    tt_runtime_configure(&c);
    tt_socket_task a = connect_url("ws://a.example/");
    tt_socket_task b = connect_url("ws://b.example/");
    tt_loop_open(a.id, "", "");
    tt_test_clock_advance(1999);
    settle();
    assert_int_equal(trace.errors, 0);
    tt_test_clock_advance(1);
    settle();
    assert_int_equal(trace.errors, 1);
    assert_int_equal(tt_socket_task_ready_state(a), TT_OPEN);
    assert_int_equal(tt_socket_task_ready_state(b), TT_CLOSED);
}

static void test_messages_dropped_after_close_called(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    tt_loop_open(t.id, "", "");
    settle();
    tt_trace_clear(&trace);
    tt_loop_message(t.id, TT_DATA_TEXT, "one", 3);
    close_task(t, 1000, NULL);
    tt_loop_message(t.id, TT_DATA_TEXT, "two", 3);
    tt_loop_close(t.id, 1000, "", 1);
    settle();
    assert_string_equal(trace.text, "message text 3 one state=1\n"
                                    "success closeSocket:ok\n"
                                    "close 1000  clean=1 state=3\n");
}

static void test_peer_close_codes_pass_through(void **state) {
    (void)state;
    int codes[] = {1000, 1001, 1005, 3000, 4999, 1011};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        tt_trace_clear(&trace);
        tt_socket_task t = connect_url("ws://a.example/");
        tt_loop_open(t.id, "", "");
        tt_loop_close(t.id, codes[i], codes[i] == 1005 ? "" : "why", 1);
        settle();
        assert_int_equal(trace.last_close_code, codes[i]);
        assert_int_equal(trace.closes, 1);
    }
}

static void test_max_connections(void **state) {
    (void)state;
    tt_runtime_config c = {0};
    c.skip_domain_check = 1;
    c.max_connections = 2;
    tt_runtime_configure(&c);
    tt_socket_task a = connect_url("ws://a.example/");
    connect_url("ws://a.example/");
    tt_socket_task x = connect_url("ws://a.example/");
    assert_int_equal(x.id, 0);
    settle();
    assert_non_null(strstr(trace.text, "fail connectSocket:fail exceed max task count\n"));
    /* Once a task has delivered its onClose it no longer counts. */
    tt_loop_fail(a.id, TT_ECONNECT, "");
    settle();
    tt_socket_task y = connect_url("ws://a.example/");
    assert_int_not_equal(y.id, 0);
}

static void test_message_too_large(void **state) {
    (void)state;
    tt_runtime_config c = {0};
    c.skip_domain_check = 1;
    c.max_message_size = 10;
    tt_runtime_configure(&c);
    tt_socket_task t = connect_url("ws://a.example/");
    tt_loop_open(t.id, "", "");
    settle();
    tt_trace_clear(&trace);
    tt_loop_message(t.id, TT_DATA_BINARY, "0123456789", 10);
    tt_loop_message(t.id, TT_DATA_BINARY, "0123456789A", 11);
    settle();
    assert_string_equal(trace.text, "message binary 10 fnv=0xf9808ff2 state=1\n"
                                    "error onSocketError: WebSocket message too large state=3\n"
                                    "close 1006  clean=0 state=3\n");
}

static void test_send_buffer_full_fails_connection(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    tt_loop_open(t.id, "", "");
    settle();
    tt_trace_clear(&trace);
    tt_loop_set_send_result(TT_EBUFFER);
    send_text(t, "x");
    settle();
    assert_string_equal(trace.text, "fail sendSocketMessage:fail WebSocket is not connected\n"
                                    "error onSocketError: WebSocket send buffer full state=3\n"
                                    "close 1006  clean=0 state=3\n");
}

static void test_buffered_amount_from_transport(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    tt_loop_open(t.id, "", "");
    tt_loop_set_buffered(1234);
    assert_int_equal(tt_socket_task_buffered_amount(t), 1234);
    assert_int_equal(tt_socket_task_buffered_amount((tt_socket_task){0}), 0);
}

static void test_listener_on_unknown_task_is_harmless(void **state) {
    (void)state;
    tt_socket_task_on_open((tt_socket_task){42}, NULL, NULL);
    tt_socket_task_on_close((tt_socket_task){0}, NULL, NULL);
    assert_int_equal(tt_socket_task_ready_state((tt_socket_task){42}), TT_CLOSED);
    assert_int_equal(tt_runtime_poll(0), 0);
}

static void test_many_tasks(void **state) {
    (void)state;
    tt_loop_set_auto(1);
    enum { N = 2000 };
    static tt_socket_task tasks[N];
    for (int i = 0; i < N; i++) tasks[i] = connect_url("ws://a.example/");
    settle();
    assert_int_equal(trace.opens, N);
    for (int i = 0; i < N; i += 2) close_task(tasks[i], 1000, NULL);
    settle();
    assert_int_equal(trace.closes, N / 2);
    for (int i = 1; i < N; i += 2) assert_int_equal(tt_socket_task_ready_state(tasks[i]), TT_OPEN);
}

/* One connect -> echo -> close cycle; returns the number of onClose events (0 when connect failed). */
static unsigned long run_cycle(void) {
    tt_trace_clear(&trace);
    tt_loop_set_auto(1);
    tt_socket_task t = connect_url("ws://a.example/");
    for (int i = 0; i < 10; i++) tt_runtime_poll(0);
    send_text(t, "hello");
    for (int i = 0; i < 10; i++) tt_runtime_poll(0);
    close_task(t, 1000, "bye");
    for (int i = 0; i < 10; i++) tt_runtime_poll(0);
    return trace.closes;
}

static void test_every_allocation_failure_is_clean(void **state) {
    (void)state;
    long live_before = tt__alloc_live();
    tt__alloc_set_fail_after(0);
    assert_int_equal(run_cycle(), 1);
    unsigned long total = tt__alloc_count();
    tt_runtime_shutdown();
    assert_true(total > 0);
    for (unsigned long n = 1; n <= total + 1; n++) {
        tt_runtime_config c = {0};
        c.skip_domain_check = 1;
        tt_runtime_configure(&c);
        tt__alloc_reset_count();
        tt__alloc_set_fail_after(n);
        unsigned long closes = run_cycle();
        tt__alloc_set_fail_after(0);
        /* Either the task never existed (fail result) or it ended with exactly one onClose. */
        if (trace.opens || strstr(trace.text, "connectSocket:ok")) {
            if (closes != 1) fail_msg("allocation %lu: %lu closes\n%s", n, closes, trace.text);
        } else {
            if (strstr(trace.text, "connectSocket:fail") == NULL)
                fail_msg("allocation %lu: no fail result\n%s", n, trace.text);
        }
        tt_runtime_shutdown();
        tt_loop_reset();
        assert_int_equal(tt__alloc_live(), live_before);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_lifecycle_order, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_ids_count_up_and_are_never_reused, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_task_ids_exhausted, core_test_setup, teardown_ids),
        cmocka_unit_test_setup_teardown(test_bad_connect_options_table, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_null_options_and_null_url, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_domain_rules, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_send_states, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_send_validation, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_close_validation, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_close_while_connecting_fails_connection, core_test_setup,
                                        core_test_teardown),
        cmocka_unit_test_setup_teardown(test_transport_failure_sequence_and_nothing_after, core_test_setup,
                                        core_test_teardown),
        cmocka_unit_test_setup_teardown(test_open_failure_reported_after_success, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_connect_timeout, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_default_timeout_from_config_and_open_disarms, core_test_setup,
                                        core_test_teardown),
        cmocka_unit_test_setup_teardown(test_messages_dropped_after_close_called, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_peer_close_codes_pass_through, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_max_connections, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_message_too_large, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_send_buffer_full_fails_connection, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_buffered_amount_from_transport, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_listener_on_unknown_task_is_harmless, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_many_tasks, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_every_allocation_failure_is_clean, core_test_setup, core_test_teardown),
    };
    return cmocka_run_group_tests_name("task", tests, NULL, NULL);
}
