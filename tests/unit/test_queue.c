/* Unit tests of src/queue.c: the order in which results and events reach the game, and direct delivery of
 * messages without a copy, driven through the loopback transport (tests/support/core_test.c). */
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

static void test_results_precede_events_queued_earlier(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    /* The transport opens before the game polls: the open must still follow connect's results. */
    tt_loop_open(t.id, "", "");
    tt_loop_message(t.id, TT_DATA_TEXT, "early", 5);
    assert_int_equal(trace.length, 0);
    settle();
    assert_trace("success connectSocket:ok id=%u\n"
                 "complete connectSocket:ok\n"
                 "open protocol= extensions= state=1\n"
                 "message text 5 early state=1\n",
                 t.id);
}

/* A send made inside onMessage reports after that callback has returned, before later events. */
static void send_in_message(tt_socket_task task, const tt_message_event *e, void *ud) {
    (void)e;
    tt_trace_addf(&trace, "in-message begin");
    send_text(task, "reply");
    tt_trace_addf(&trace, "in-message end");
    (void)ud;
}

static void test_callback_results_come_after_the_callback(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    tt_loop_open(t.id, "", "");
    settle();
    tt_socket_task_on_message(t, send_in_message, NULL);
    tt_trace_clear(&trace);
    tt_loop_message(t.id, TT_DATA_TEXT, "ping", 4);
    tt_loop_close(t.id, 1000, "", 1);
    settle();
    assert_string_equal(trace.text, "in-message begin\n"
                                    "in-message end\n"
                                    "success sendSocketMessage:ok\n"
                                    "close 1000  clean=1 state=3\n");
}

static void test_direct_delivery_does_not_allocate(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    tt_loop_open(t.id, "", "");
    settle();
    tt__alloc_reset_count();
    for (int i = 0; i < 100; i++) tt_loop_message(t.id, TT_DATA_BINARY, "abcdef", 6);
    assert_int_equal(tt__alloc_count(), 0);
    assert_int_equal(trace.messages, 100);
}

/*
 * A game that answers each message with a send carrying success/complete callbacks: the results come
 * right after the callback that caused them, before the next message of the same read, which is then
 * still delivered in place (no copy, no allocation once warm).
 */
static const void *echo_last_data;
static void echo_with_results(tt_socket_task task, const tt_message_event *e, void *ud) {
    tt_trace *tr = ud;
    tr->messages++;
    echo_last_data = e->data;
    tt_trace_addf(tr, "message %.*s", (int)e->length, (const char *)e->data);
    tt_send_options o = {0};
    o.type = TT_DATA_TEXT;
    o.data = e->data;
    o.length = e->length;
    o.success = tt_trace_success;
    o.complete = tt_trace_complete;
    o.user_data = tr;
    tt_socket_task_send(task, &o);
    tt_trace_addf(tr, "sent");
}

static tt_socket_task send_target;
static void send_from_on_error(tt_socket_task task, const tt_error_event *e, void *ud) {
    (void)task;
    (void)e;
    tt_trace *tr = ud;
    tr->errors++;
    tt_trace_addf(tr, "error");
    tt_send_options o = {0};
    o.type = TT_DATA_TEXT;
    o.data = "x";
    o.length = 1;
    o.success = tt_trace_success;
    o.complete = tt_trace_complete;
    o.user_data = tr;
    tt_socket_task_send(send_target, &o);
}

static void test_results_of_sends_from_on_message_do_not_force_copies(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    tt_loop_open(t.id, "", "");
    settle();
    tt_socket_task_on_message(t, echo_with_results, &trace);
    tt_trace_clear(&trace);
    static const char *const msgs[] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++) {
        tt_loop_message(t.id, TT_DATA_TEXT, msgs[i], strlen(msgs[i]));
        assert_ptr_equal(echo_last_data, msgs[i]); /* delivered in place, never queued behind a result */
    }
    assert_trace("message one\nsent\nsuccess sendSocketMessage:ok\ncomplete sendSocketMessage:ok\n"
                 "message two\nsent\nsuccess sendSocketMessage:ok\ncomplete sendSocketMessage:ok\n"
                 "message three\nsent\nsuccess sendSocketMessage:ok\ncomplete sendSocketMessage:ok\n");
    tt__alloc_reset_count();
    for (int i = 0; i < 100; i++) tt_loop_message(t.id, TT_DATA_TEXT, "four", 4);
    assert_int_equal(tt__alloc_count(), 0);
    assert_int_equal(trace.messages, 103);
    assert_int_equal(trace.results, 103);    /* successes (the trace counts completes apart) */
    assert_int_equal(tt_runtime_poll(0), 0); /* nothing was left in the queue */

    /*
     * Queued messages (here behind a queued onOpen, as when the 101 and the messages arrive in one read):
     * each send's results still come before the next message, not behind everything already queued.
     */
    tt_socket_task q = connect_url("ws://c.example/");
    settle();
    tt_socket_task_on_message(q, echo_with_results, &trace);
    tt_trace_clear(&trace);
    tt_loop_open(q.id, "", "");
    for (int i = 0; i < 3; i++) tt_loop_message(q.id, TT_DATA_TEXT, msgs[i], strlen(msgs[i]));
    settle();
    assert_trace("open protocol= extensions= state=1\n"
                 "message one\nsent\nsuccess sendSocketMessage:ok\ncomplete sendSocketMessage:ok\n"
                 "message two\nsent\nsuccess sendSocketMessage:ok\ncomplete sendSocketMessage:ok\n"
                 "message three\nsent\nsuccess sendSocketMessage:ok\ncomplete sendSocketMessage:ok\n");

    /* A call made in onError gets its results after that task's onClose: nothing comes between the two. */
    tt_socket_task v = connect_url("ws://d.example/");
    settle();
    send_target = q;
    tt_socket_task_on_error(v, send_from_on_error, &trace);
    tt_trace_clear(&trace);
    tt_loop_fail(v.id, TT_ECONNECT, "refused");
    settle();
    assert_trace("error\nclose 1006  clean=0 state=3\nsuccess sendSocketMessage:ok\ncomplete sendSocketMessage:ok\n");

    /* An error queued behind a result stops the early delivery: the order stays that of the queue. */
    tt_socket_task u = connect_url("ws://b.example/");
    settle();
    tt_trace_clear(&trace);
    tt_loop_fail(u.id, TT_ECONNECT, "refused");
    tt_loop_message(t.id, TT_DATA_TEXT, "five", 4);
    assert_ptr_not_equal(echo_last_data, NULL);
    settle();
    assert_non_null(strstr(trace.text, "close 1006"));
    const char *err = strstr(trace.text, "error ");
    const char *five = strstr(trace.text, "message five");
    assert_non_null(err);
    assert_non_null(five);
    assert_true(err < five);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_results_precede_events_queued_earlier, core_test_setup,
                                        core_test_teardown),
        cmocka_unit_test_setup_teardown(test_callback_results_come_after_the_callback, core_test_setup,
                                        core_test_teardown),
        cmocka_unit_test_setup_teardown(test_direct_delivery_does_not_allocate, core_test_setup, core_test_teardown),
        cmocka_unit_test_setup_teardown(test_results_of_sends_from_on_message_do_not_force_copies, core_test_setup,
                                        core_test_teardown),
    };
    return cmocka_run_group_tests_name("queue", tests, NULL, NULL);
}
