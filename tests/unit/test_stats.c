/* Unit tests of src/stats.c through the core: the open profile, the 101's header fields, task and
 * runtime statistics and the capability bits, driven by the loopback transport and the fixed test clock
 * (which starts at 1000 ms and moves only when told). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "loopback_transport.h"
#include "stats.h"
#include "test_hooks.h"
#include "transport.h"
#include "tt_internal.h"
#include "ttsocket.h"

/* What the onOpen listener saw, copied out of the borrowed event. */
static struct {
    int opens;
    tt_open_profile profile;
    size_t header_count;
    char header[8][2][64];
    int header_null;
} seen;

static void on_open(tt_socket_task task, const tt_open_event *e, void *ud) {
    (void)task;
    (void)ud;
    seen.opens++;
    seen.profile = *e->profile;
    seen.header_count = e->header_count;
    seen.header_null = e->header == NULL;
    for (size_t i = 0; i < e->header_count && i < 8; i++) {
        snprintf(seen.header[i][0], sizeof seen.header[i][0], "%s", e->header[i].name);
        snprintf(seen.header[i][1], sizeof seen.header[i][1], "%s", e->header[i].value);
    }
}

static int setup(void **state) {
    (void)state;
    tt_runtime_shutdown();
    tt_loop_reset();
    tt_test_hooks_install(0);
    memset(&seen, 0, sizeof seen);
    tt_runtime_config c = {0};
    c.skip_domain_check = 1;
    assert_int_equal(tt_runtime_configure(&c), 0);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    tt_runtime_shutdown();
    tt_loop_reset();
    return 0;
}

static tt_socket_task connect_url(const char *url) {
    tt_connect_socket_options o = {0};
    o.url = url;
    tt_socket_task t = tt_connect_socket(&o);
    assert_int_not_equal(t.id, 0);
    tt_socket_task_on_open(t, on_open, NULL);
    return t;
}

static void settle(void) {
    for (int i = 0; i < 50; i++)
        if (tt_runtime_poll(0) == 0 && tt_runtime_poll(0) == 0) return;
}

static void send_bytes(tt_socket_task t, size_t n) {
    static const char payload[64] = "0123456789012345678901234567890123456789012345678901234567890123";
    tt_send_options o = {0};
    o.type = TT_DATA_BINARY;
    o.data = payload;
    o.length = n;
    tt_socket_task_send(t, &o);
}

/* Reports one phase after advancing the clock by `step` ms. */
static void phase_after(tt_socket_task t, int phase, uint64_t step) {
    tt_test_clock_advance(step);
    tt_loop_phase(t.id, phase);
}

/* ---- Profile ----------------------------------------------------------------------------------- */

static void test_profile_every_phase_reported(void **state) {
    (void)state;
    tt_socket_task t = connect_url("wss://a.example/"); /* at 1000 */
    phase_after(t, TT__PHASE_LOOKUP_START, 1);          /* 1001 */
    phase_after(t, TT__PHASE_LOOKUP_END, 2);            /* 1003 */
    phase_after(t, TT__PHASE_CONNECT_START, 3);         /* 1006: a first address ... */
    phase_after(t, TT__PHASE_CONNECT_START, 4);         /* 1010: ... and the one that connected */
    phase_after(t, TT__PHASE_CONNECT_END, 5);           /* 1015 */
    phase_after(t, TT__PHASE_TLS_START, 6);             /* 1021 */
    phase_after(t, TT__PHASE_TLS_END, 7);               /* 1028 */
    phase_after(t, TT__PHASE_REQUEST_START, 8);         /* 1036 */
    phase_after(t, TT__PHASE_REQUEST_END, 9);           /* 1045 */
    phase_after(t, TT__PHASE_RESPONSE_END, 10);         /* 1055 */
    tt_test_clock_advance(11);                          /* 1066 */
    tt_loop_open(t.id, "", "");
    tt_test_clock_advance(100); /* delivery time is not a profile time */
    settle();
    assert_int_equal(seen.opens, 1);
    const tt_open_profile *p = &seen.profile;
    assert_int_equal(p->fetch_start, 1000);
    assert_int_equal(p->domain_lookup_start, 1001);
    assert_int_equal(p->domain_lookup_end, 1003);
    assert_int_equal(p->connect_start, 1010);
    assert_int_equal(p->tcp_connect_end, 1015);
    assert_int_equal(p->ssl_connection_start, 1021);
    assert_int_equal(p->ssl_connection_end, 1028);
    assert_int_equal(p->connect_end, 1028); /* WeChat: connected means TLS done too */
    assert_int_equal(p->request_start, 1036);
    assert_int_equal(p->request_end, 1045);
    assert_int_equal(p->response_end, 1055);
    assert_int_equal(p->open, 1066);
    assert_int_equal(p->rtt, 1028 - 1010); /* connect and TLS */
    assert_int_equal(p->handshake_cost, 1055 - 1036);
    assert_int_equal(p->cost, 1066 - 1000);
}

static void test_profile_without_tls_places_it_at_tcp_end(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    phase_after(t, TT__PHASE_LOOKUP_START, 0);
    phase_after(t, TT__PHASE_LOOKUP_END, 0);
    phase_after(t, TT__PHASE_CONNECT_START, 2);
    phase_after(t, TT__PHASE_CONNECT_END, 3);
    phase_after(t, TT__PHASE_REQUEST_START, 0);
    phase_after(t, TT__PHASE_REQUEST_END, 1);
    phase_after(t, TT__PHASE_RESPONSE_END, 4);
    tt_loop_open(t.id, "", "");
    settle();
    const tt_open_profile *p = &seen.profile;
    assert_int_equal(p->domain_lookup_start, 1000); /* an IP literal: no lookup, at fetch_start */
    assert_int_equal(p->domain_lookup_end, 1000);
    assert_int_equal(p->tcp_connect_end, 1005);
    assert_int_equal(p->ssl_connection_start, 1005);
    assert_int_equal(p->ssl_connection_end, 1005);
    assert_int_equal(p->connect_end, 1005);
    assert_int_equal(p->rtt, 3);
    assert_int_equal(p->handshake_cost, 5);
}

/* What the browser backend reports: nothing but the start and the open. */
static void test_profile_unreported_phases_are_unknown(void **state) {
    (void)state;
    tt_socket_task t = connect_url("wss://a.example/");
    tt_test_clock_advance(7);
    tt_loop_open(t.id, "", "");
    settle();
    const tt_open_profile *p = &seen.profile;
    assert_int_equal(p->fetch_start, 1000);
    assert_int_equal(p->open, 1007);
    assert_int_equal(p->cost, 7);
    const int64_t unknown[] = {p->domain_lookup_start,  p->domain_lookup_end,  p->connect_start, p->tcp_connect_end,
                               p->ssl_connection_start, p->ssl_connection_end, p->connect_end,   p->request_start,
                               p->request_end,          p->response_end,       p->rtt,           p->handshake_cost};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) assert_int_equal(unknown[i], TT_PROFILE_UNKNOWN);
    assert_true(seen.header_null);
    assert_int_equal(seen.header_count, 0);
}

/* A mini-game host's own profile: its moments placed after fetch_start, its durations as they are. */
static void test_profile_from_a_host(void **state) {
    (void)state;
    tt_socket_task t = connect_url("wss://a.example/"); /* at 1000 */
    tt__core_on_host_phase(t.id, TT__PHASE_LOOKUP_START, 1);
    tt__core_on_host_phase(t.id, TT__PHASE_LOOKUP_END, 3);
    tt__core_on_host_phase(t.id, TT__PHASE_CONNECT_START, 4);
    tt__core_on_host_phase(t.id, TT__PHASE_CONNECTED, 9); /* WeChat's connectEnd, TLS included */
    tt__core_on_host_phase(t.id, TT__PHASE_HANDSHAKE_COST, 6);
    /* Ignored: a negative value, and the core's own moments (fetch_start, open). */
    tt__core_on_host_phase(t.id, TT__PHASE_RTT, -5);
    tt__core_on_host_phase(t.id, (tt__phase)0, 50);
    tt__core_on_host_phase(t.id, (tt__phase)(offsetof(tt_open_profile, open) / sizeof(int64_t)), 50);
    tt_test_clock_advance(20);
    tt_loop_open(t.id, "", "");
    settle();
    const tt_open_profile *p = &seen.profile;
    assert_int_equal(p->fetch_start, 1000);
    assert_int_equal(p->domain_lookup_start, 1001);
    assert_int_equal(p->domain_lookup_end, 1003);
    assert_int_equal(p->connect_start, 1004);
    assert_int_equal(p->tcp_connect_end, TT_PROFILE_UNKNOWN); /* the host does not report TCP and TLS apart */
    assert_int_equal(p->ssl_connection_start, TT_PROFILE_UNKNOWN);
    assert_int_equal(p->ssl_connection_end, TT_PROFILE_UNKNOWN);
    assert_int_equal(p->connect_end, 1009);
    assert_int_equal(p->request_start, TT_PROFILE_UNKNOWN);
    assert_int_equal(p->response_end, TT_PROFILE_UNKNOWN);
    assert_int_equal(p->rtt, 5);            /* from the times */
    assert_int_equal(p->handshake_cost, 6); /* the host's own */
    assert_int_equal(p->open, 1020);
    assert_int_equal(p->cost, 20);
}

/* A host's rtt stands; times out of order give no negative span. */
static void test_profile_host_durations_and_disorder(void **state) {
    (void)state;
    tt_socket_task t = connect_url("wss://a.example/");
    tt__core_on_host_phase(t.id, TT__PHASE_CONNECT_START, 8);
    tt__core_on_host_phase(t.id, TT__PHASE_CONNECTED, 2);
    tt__core_on_host_phase(t.id, TT__PHASE_REQUEST_START, 9);
    tt__core_on_host_phase(t.id, TT__PHASE_RESPONSE_END, 4);
    tt_loop_open(t.id, "", "");
    settle();
    assert_int_equal(seen.profile.rtt, TT_PROFILE_UNKNOWN);
    assert_int_equal(seen.profile.handshake_cost, TT_PROFILE_UNKNOWN);

    memset(&seen, 0, sizeof seen);
    t = connect_url("wss://b.example/");
    tt__core_on_host_phase(t.id, TT__PHASE_CONNECT_START, 1);
    tt__core_on_host_phase(t.id, TT__PHASE_CONNECTED, 3);
    tt__core_on_host_phase(t.id, TT__PHASE_RTT, 7);
    tt_loop_open(t.id, "", "");
    settle();
    assert_int_equal(seen.profile.rtt, 7);
}

/* ---- Response header --------------------------------------------------------------------------- */

static void test_response_header_fields_in_order(void **state) {
    (void)state;
    /* A first open leaves its queue node for reuse, so that the count below sees only the header. */
    tt_loop_open(connect_url("ws://warm.example/").id, "", "");
    settle();
    tt_socket_task t = connect_url("ws://a.example/");
    long live_before = tt__alloc_live();
    assert_int_equal(tt_loop_response_head(t.id,
                                           "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                           "connection:Upgrade\r\nX-Empty:\r\nX-Spaced: \t a  b \t\r\nnot a field\r\n"),
                     0);
    tt_loop_open(t.id, "", "");
    settle();
    assert_int_equal(seen.header_count, 4);
    assert_string_equal(seen.header[0][0], "Upgrade");
    assert_string_equal(seen.header[0][1], "websocket");
    assert_string_equal(seen.header[1][0], "connection"); /* names as sent */
    assert_string_equal(seen.header[1][1], "Upgrade");
    assert_string_equal(seen.header[2][0], "X-Empty");
    assert_string_equal(seen.header[2][1], "");
    assert_string_equal(seen.header[3][0], "X-Spaced");
    assert_string_equal(seen.header[3][1], "a  b"); /* OWS trimmed at both ends only */
    /* Borrowed for the callback: an open task does not keep them. */
    assert_int_equal(tt__alloc_live(), live_before);
}

static void test_response_header_bare_lf_and_empty_line(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    assert_int_equal(tt_loop_response_head(t.id, "HTTP/1.1 101 OK\nA: 1\nB: 2\n\nC: after the head\n"), 0);
    tt_loop_open(t.id, "", "");
    settle();
    assert_int_equal(seen.header_count, 2);
    assert_string_equal(seen.header[1][0], "B");
    assert_string_equal(seen.header[1][1], "2");
}

/* Fields for a task the core already failed are freed, not kept. */
static void test_response_header_for_a_failed_task_is_freed(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    tt_socket_task_close(t, NULL); /* while CONNECTING: the core fails it */
    long live = tt__alloc_live();
    assert_int_equal(tt_loop_response_head(t.id, "HTTP/1.1 101 OK\r\nA: 1\r\n"), 0);
    assert_int_equal(tt__alloc_live(), live);
}

/* ---- Statistics -------------------------------------------------------------------------------- */

static void open_now(tt_socket_task t) {
    tt_loop_open(t.id, "", "");
    settle();
    assert_int_equal(tt_socket_task_ready_state(t), TT_OPEN);
}

static void test_task_stats_payload_and_time_open(void **state) {
    (void)state;
    tt_task_stats before;
    assert_int_equal(tt_runtime_stats(&before, sizeof before), 0);
    tt_socket_task t = connect_url("ws://a.example/");
    tt_test_clock_advance(5);
    open_now(t); /* open at 1005 */
    send_bytes(t, 10);
    send_bytes(t, 20);
    send_bytes(t, 0);
    tt_loop_message(t.id, TT_DATA_TEXT, "hello", 5);
    tt_loop_message(t.id, TT_DATA_BINARY, "abc", 3);
    settle();
    tt_test_clock_advance(30);
    tt_task_stats s;
    memset(&s, 0xee, sizeof s);
    assert_int_equal(tt_socket_task_stats(t, &s, sizeof s), 0);
    assert_int_equal(s.messages_sent, 3);
    assert_int_equal(s.bytes_sent, 30);
    assert_int_equal(s.messages_received, 2);
    assert_int_equal(s.bytes_received, 8);
    assert_int_equal(s.open_ms, 30);
    assert_int_equal(s.tasks, 1);
    /* The loopback claims no wire counting, as the browser: every field the transport keeps is marked. */
    assert_true(s.peak_buffered_amount == TT_STATS_UNKNOWN);
    assert_true(s.wire_bytes_sent == TT_STATS_UNKNOWN && s.wire_bytes_received == TT_STATS_UNKNOWN);
    assert_true(s.frames_sent == TT_STATS_UNKNOWN && s.frames_received == TT_STATS_UNKNOWN);
    assert_true(s.pings_received == TT_STATS_UNKNOWN && s.pongs_sent == TT_STATS_UNKNOWN);
    assert_true(s.compressed_payload_sent == TT_STATS_UNKNOWN && s.compressed_wire_received == TT_STATS_UNKNOWN);
    /* A refused send counts nothing. */
    tt_socket_task_close(t, NULL);
    send_bytes(t, 10);
    assert_int_equal(tt_socket_task_stats(t, &s, sizeof s), 0);
    assert_int_equal(s.messages_sent, 3);
    /* Time open stops at the end. */
    tt_test_clock_advance(10);
    tt_loop_close(t.id, 1000, "", 1);
    tt_test_clock_advance(50);
    settle();
    assert_int_equal(tt_socket_task_stats(t, &s, sizeof s), TT_ENOTASK); /* gone after onClose */
    assert_int_equal(tt_runtime_stats(&s, sizeof s), 0);
    assert_int_equal(s.open_ms - before.open_ms, 40);
}

static void test_task_stats_wire_counters_from_transport(void **state) {
    (void)state;
    tt_loop_set_capabilities(TT_CAP_WIRE_STATS);
    tt_socket_task t = connect_url("ws://a.example/");
    tt_task_stats *w = tt_loop_stats(t.id);
    assert_non_null(w);
    w->wire_bytes_sent = 200;
    w->wire_bytes_received = 150;
    w->frames_sent = 3;
    w->frames_received = 4;
    w->pings_received = 2;
    w->pongs_sent = 1;
    w->compressed_payload_sent = 1000;
    w->compressed_wire_sent = 100;
    w->compressed_wire_received = 50;
    w->compressed_payload_received = 500;
    w->peak_buffered_amount = 40;
    tt_task_stats s;
    assert_int_equal(tt_socket_task_stats(t, &s, sizeof s), 0);
    assert_int_equal(s.wire_bytes_sent, 200);
    assert_int_equal(s.wire_bytes_received, 150);
    assert_int_equal(s.frames_sent, 3);
    assert_int_equal(s.frames_received, 4);
    assert_int_equal(s.pings_received, 2);
    assert_int_equal(s.pongs_sent, 1);
    assert_int_equal(s.compressed_payload_sent, 1000);
    assert_int_equal(s.compressed_wire_sent, 100);
    assert_int_equal(s.compressed_payload_received, 500);
    assert_int_equal(s.compressed_wire_received, 50);
    assert_int_equal(s.peak_buffered_amount, 40);
    assert_int_equal(s.open_ms, 0); /* never opened */
    /* The runtime's peak is the highest of any task, not a sum. */
    tt_socket_task u = connect_url("ws://b.example/");
    tt_loop_stats(u.id)->peak_buffered_amount = 70;
    tt_loop_stats(t.id)->peak_buffered_amount = 60;
    tt_task_stats all;
    assert_int_equal(tt_runtime_stats(&all, sizeof all), 0);
    assert_int_equal(all.peak_buffered_amount, 70);
    assert_true(all.wire_bytes_sent >= 200);
}

static void test_stats_size_is_honoured(void **state) {
    (void)state;
    tt_socket_task t = connect_url("ws://a.example/");
    open_now(t);
    send_bytes(t, 7);
    /* An older caller's struct held only the first two fields: nothing beyond them is written. */
    uint64_t small[4] = {0, 0, 0xabad1dea, 0xabad1dea};
    assert_int_equal(tt_socket_task_stats(t, (tt_task_stats *)small, 2 * sizeof(uint64_t)), 0);
    assert_int_equal(small[0], 1);
    assert_int_equal(small[1], 0);
    assert_true(small[2] == 0xabad1dea && small[3] == 0xabad1dea);
    /* A newer caller's struct is longer: the part this library does not know reads zero. */
    unsigned char big[sizeof(tt_task_stats) + 16];
    memset(big, 0xff, sizeof big);
    assert_int_equal(tt_socket_task_stats(t, (tt_task_stats *)big, sizeof big), 0);
    for (size_t i = sizeof(tt_task_stats); i < sizeof big; i++) assert_int_equal(big[i], 0);
    tt_task_stats s;
    assert_int_equal(tt_socket_task_stats(t, &s, 4), TT_EINVAL);
    assert_int_equal(tt_socket_task_stats(t, NULL, sizeof s), TT_EINVAL);
    assert_int_equal(tt_runtime_stats(NULL, sizeof s), TT_EINVAL);
    assert_int_equal(tt_socket_task_stats((tt_socket_task){0}, &s, sizeof s), TT_ENOTASK);
}

static void test_runtime_stats_sum_live_and_finished(void **state) {
    (void)state;
    tt_task_stats before, s;
    assert_int_equal(tt_runtime_stats(&before, sizeof before), 0);
    tt_socket_task a = connect_url("ws://a.example/"), b = connect_url("ws://b.example/");
    open_now(a);
    open_now(b);
    send_bytes(a, 10);
    send_bytes(b, 20);
    send_bytes(b, 30);
    tt_loop_message(b.id, TT_DATA_BINARY, "xy", 2);
    settle();
    tt_test_clock_advance(10);
    tt_loop_close(a.id, 1000, "", 1); /* a finishes; b stays live */
    settle();
    assert_int_equal(tt_runtime_stats(&s, sizeof s), 0);
    assert_int_equal(s.tasks - before.tasks, 2);
    assert_int_equal(s.messages_sent - before.messages_sent, 3);
    assert_int_equal(s.bytes_sent - before.bytes_sent, 60);
    assert_int_equal(s.messages_received - before.messages_received, 1);
    assert_int_equal(s.bytes_received - before.bytes_received, 2);
    assert_true(s.peak_buffered_amount == TT_STATS_UNKNOWN);
    assert_int_equal(s.open_ms - before.open_ms, 20);
    assert_true(s.wire_bytes_sent == TT_STATS_UNKNOWN);
    /* Shutdown ends b; the sum stays. */
    tt_runtime_shutdown();
    assert_int_equal(tt_runtime_stats(&s, sizeof s), 0);
    assert_int_equal(s.tasks - before.tasks, 2);
    assert_int_equal(s.bytes_sent - before.bytes_sent, 60);
}

static void test_capabilities_come_from_the_transport(void **state) {
    (void)state;
    assert_int_equal(tt_runtime_capabilities(), 0);
    tt_loop_set_capabilities(TT_CAP_REQUEST_HEADERS | TT_CAP_DEFLATE);
    assert_int_equal(tt_runtime_capabilities(), TT_CAP_REQUEST_HEADERS | TT_CAP_DEFLATE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_profile_every_phase_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_without_tls_places_it_at_tcp_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_unreported_phases_are_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_from_a_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_host_durations_and_disorder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_header_fields_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_header_bare_lf_and_empty_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_response_header_for_a_failed_task_is_freed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_task_stats_payload_and_time_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_task_stats_wire_counters_from_transport, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_size_is_honoured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runtime_stats_sum_live_and_finished, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capabilities_come_from_the_transport, setup, teardown),
    };
    return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
