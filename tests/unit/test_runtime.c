/* Unit tests of src/runtime.c: tt_runtime_poll, shutdown and configuration, driven through the loopback
 * transport (tests/support/core_test.c). */
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

static int poll_result_in_callback;
static void poll_in_open(tt_socket_task task, const tt_open_event *e, void *ud) {
    (void)task;
    (void)e;
    (void)ud;
    poll_result_in_callback = tt_runtime_poll(0);
}

static void test_poll_inside_callback_refused(void **state) {
    (void)state;
    tt_connect_socket_options o = {0};
    o.url = "ws://a.example/";
    tt_socket_task t = tt_connect_socket(&o);
    tt_socket_task_on_open(t, poll_in_open, NULL);
    tt_loop_open(t.id, "", "");
    settle();
    /* Its own code, whose text names the mistake (not "WebSocket is not connected"). */
    assert_int_equal(poll_result_in_callback, TT_EINCALLBACK);
    assert_string_equal(tt_strerror(TT_EINCALLBACK), "not allowed inside a ttsocket callback");
}

/* With no task and nothing queued, an endless wait has nothing to wait for: TT_EIDLE, at once. A wait
 * with a limit, or none, still returns 0. */
static void test_poll_forever_with_nothing_live_is_idle(void **state) {
    (void)state;
    uint64_t start = tt_test_clock_now();
    assert_int_equal(tt_runtime_poll(-1), TT_EIDLE);
    assert_int_equal(tt_runtime_poll(0), 0);
    assert_int_equal(tt_runtime_poll(50), 0);
    assert_int_equal(tt_test_clock_now(), start);
    assert_string_equal(tt_strerror(TT_EIDLE), "nothing to wait for: no live task and no pending callback");
}

static int refused_done;
static void refused_on_close(tt_socket_task task, const tt_close_event *e, void *ud) {
    (void)task;
    (void)e;
    (void)ud;
    refused_done = 1;
}

/* The README's loop with options the runtime refuses: {0} comes back, listeners set on it do nothing, the
 * first poll delivers fail + complete and the next one says TT_EIDLE, so the loop ends instead of
 * spinning. */
static void test_refused_task_loop_ends(void **state) {
    (void)state;
    const char *domains[] = {"game.example.com"};
    tt_runtime_config c = {0};
    c.socket_domains = domains;
    c.socket_domain_count = 1;
    assert_int_equal(tt_runtime_configure(&c), 0);
    tt_socket_task t = connect_url("wss://elsewhere.example/ws");
    assert_int_equal(t.id, 0);
    refused_done = 0;
    tt_socket_task_on_close(t, refused_on_close, NULL);
    int rc = 0, rounds = 0;
    while (!refused_done && rounds < 1000 && (rc = tt_runtime_poll(-1)) >= 0) rounds++;
    assert_int_equal(rc, TT_EIDLE);
    assert_int_equal(rounds, 1);
    assert_int_equal(refused_done, 0);
    assert_trace("fail connectSocket:fail url not in domain list\n"
                 "complete connectSocket:fail url not in domain list\n");
}

/* After a task's onClose nothing is live: the next endless wait is TT_EIDLE, not a hang or a spin. */
static void test_poll_forever_after_the_last_close_is_idle(void **state) {
    (void)state;
    tt_loop_set_auto(1);
    tt_socket_task t = connect_url("ws://a.example/");
    settle();
    close_task(t, 1000, "");
    int rc, rounds = 0;
    while ((rc = tt_runtime_poll(-1)) > 0 && rounds < 100) rounds++;
    assert_int_equal(rc, TT_EIDLE);
    assert_int_equal(tt_socket_task_ready_state(t), TT_CLOSED);
    assert_true(strstr(trace.text, "close 1000  clean=1 state=3\n") != NULL);
}

static void test_shutdown_fails_live_tasks(void **state) {
    (void)state;
    tt_socket_task a = connect_url("ws://a.example/");
    tt_socket_task b = connect_url("ws://b.example/");
    tt_loop_open(b.id, "", "");
    settle();
    tt_trace_clear(&trace);
    tt_runtime_shutdown();
    assert_int_equal(trace.errors, 2);
    assert_int_equal(trace.closes, 2);
    assert_non_null(
        strstr(trace.text, "error onSocketError: runtime shut down state=3\nclose 1006  clean=0 state=3\n"));
    assert_int_equal(tt_socket_task_ready_state(a), TT_CLOSED);
    assert_int_equal(tt_loop_live(), 0);
    tt_runtime_shutdown(); /* twice is fine */
}

/* Inside onMessage: shut the runtime down, then connect again, noting what was delivered meanwhile. */
static unsigned long errors_at_call, closes_at_call;
static tt_socket_task created_in_callback;
static void shutdown_from_message(tt_socket_task task, const tt_message_event *e, void *ud) {
    tt_trace_on_message(task, e, ud);
    tt_runtime_shutdown();
    errors_at_call = trace.errors;
    closes_at_call = trace.closes;
    created_in_callback = connect_url("ws://c.example/");
}

/*
 * Inside a callback tt_runtime_shutdown() cannot deliver anything before it returns (no callback runs
 * inside another): it returns at once, and the shutdown happens when the callback has returned, before
 * tt_runtime_poll() returns. Every task alive then, also one created after the call, gets onError and
 * onClose 1006, and the configuration is forgotten.
 */
static void test_shutdown_inside_callback_takes_effect_when_it_returns(void **state) {
    (void)state;
    tt_loop_set_auto(1);
    tt_socket_task a = connect_url("ws://a.example/");
    tt_socket_task b = connect_url("ws://b.example/");
    settle();
    tt_socket_task_on_message(a, shutdown_from_message, &trace);
    send_text(a, "x");
    tt_trace_clear(&trace);
    errors_at_call = closes_at_call = 99;
    created_in_callback.id = 0;
    int delivered = tt_runtime_poll(0);
    assert_int_equal(errors_at_call, 0); /* nothing was delivered inside the call */
    assert_int_equal(closes_at_call, 0);
    assert_int_not_equal(created_in_callback.id, 0);
    /* Before tt_runtime_poll returned: the send's result and the message, then the three tasks ended. */
    assert_int_equal(trace.errors, 3);
    assert_int_equal(trace.closes, 3);
    assert_true(delivered >= 8);
    assert_non_null(
        strstr(trace.text, "error onSocketError: runtime shut down state=3\nclose 1006  clean=0 state=3\n"));
    assert_int_equal(tt_socket_task_ready_state(a), TT_CLOSED);
    assert_int_equal(tt_socket_task_ready_state(b), TT_CLOSED);
    assert_int_equal(tt_socket_task_ready_state(created_in_callback), TT_CLOSED);
    assert_int_equal(tt_loop_live(), 0);
    assert_int_equal(tt_runtime_poll(0), 0);
    /* The configuration is forgotten: ws:// is refused again outside development mode. */
    tt_trace_clear(&trace);
    assert_int_equal(connect_url("ws://a.example/").id, 0);
    settle();
    assert_non_null(strstr(trace.text, "connectSocket:fail url scheme must be wss"));
}

static void test_configure_rejects_bad_values(void **state) {
    (void)state;
    tt_runtime_config c = {0};
    c.connect_timeout_ms = -5;
    assert_int_equal(tt_runtime_configure(&c), TT_EINVAL);
    c.connect_timeout_ms = 0;
    c.socket_domain_count = 2;
    assert_int_equal(tt_runtime_configure(&c), TT_EINVAL);
    assert_int_equal(tt_runtime_configure(NULL), TT_EINVAL);
    assert_int_equal(tt_runtime_poll(-7), TT_EINVAL);
}

/* A build with one backend (native, here the loopback standing in for it) names it, accepts only it (or
 * auto), and refuses the web build's backends without changing the configuration. */
static void test_backend_config(void **state) {
    (void)state;
    assert_string_equal(tt_runtime_backend(), "native");
    tt_runtime_config c = {0};
    c.skip_domain_check = 1;
    c.backend = TT_BACKEND_NATIVE;
    assert_int_equal(tt_runtime_configure(&c), 0);
    assert_string_equal(tt_runtime_backend(), "native");
    for (int b = TT_BACKEND_BROWSER; b <= TT_BACKEND_WX + 1; b++) {
        c.backend = b;
        assert_int_equal(tt_runtime_configure(&c), TT_EINVAL);
    }
    c.backend = -1;
    assert_int_equal(tt_runtime_configure(&c), TT_EINVAL);
    assert_string_equal(tt_runtime_backend(), "native");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_poll_inside_callback_refused, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_poll_forever_with_nothing_live_is_idle, core_test_setup,
                                        core_test_teardown),
        cmocka_unit_test_setup_teardown(test_refused_task_loop_ends, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_poll_forever_after_the_last_close_is_idle, core_test_setup,
                                        core_test_teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_fails_live_tasks, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_inside_callback_takes_effect_when_it_returns, core_test_setup,
                                        core_test_teardown),
        cmocka_unit_test_setup_teardown(test_configure_rejects_bad_values, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_backend_config, core_test_setup, core_test_teardown),
    };
    return cmocka_run_group_tests_name("runtime", tests, NULL, NULL);
}
