/* The shared set-up of the core's unit tests (test_task.c, test_queue.c, test_runtime.c); see core_test.h. */
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
#include "tt_internal.h"

tt_trace trace;

int core_test_setup(void **state) {
    (void)state;
    tt_runtime_shutdown();
    tt_loop_reset();
    tt_test_hooks_install(0);
    tt_trace_init(&trace);
    tt_runtime_config c = {0};
    c.skip_domain_check = 1;
    assert_int_equal(tt_runtime_configure(&c), 0);
    tt_loop_clear_log();
    return 0;
}

int core_test_teardown(void **state) {
    (void)state;
    tt_runtime_shutdown();
    tt_loop_reset();
    tt_trace_free(&trace);
    return 0;
}

tt_socket_task connect_url(const char *url) {
    tt_connect_socket_options o = {0};
    o.url = url;
    o.success = tt_trace_success;
    o.fail = tt_trace_fail;
    o.complete = tt_trace_complete;
    o.user_data = &trace;
    tt_socket_task t = tt_connect_socket(&o);
    if (t.id) tt_trace_attach(&trace, t);
    return t;
}

void send_text(tt_socket_task t, const char *s) {
    tt_send_options o = {0};
    o.type = TT_DATA_TEXT;
    o.data = s;
    o.length = strlen(s);
    o.success = tt_trace_success;
    o.fail = tt_trace_fail;
    o.user_data = &trace;
    tt_socket_task_send(t, &o);
}

void close_task(tt_socket_task t, int code, const char *reason) {
    tt_close_options o = {0};
    o.code = code;
    o.reason = reason;
    o.success = tt_trace_success;
    o.fail = tt_trace_fail;
    o.user_data = &trace;
    tt_socket_task_close(t, &o);
}

/* Compares the trace with a printf-style expectation (task ids differ between tests: they are never reused). */
void assert_trace(const char *fmt, ...) {
    char expect[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(expect, sizeof expect, fmt, ap);
    va_end(ap);
    assert_string_equal(trace.text ? trace.text : "", expect);
}

/* 1 when the loopback log contains the formatted line. */
int log_has(const char *fmt, uint32_t id) {
    char line[256];
    snprintf(line, sizeof line, fmt, id);
    return strstr(tt_loop_log(), line) != NULL;
}

/* Polls until nothing more happens (bounded). */
void settle(void) {
    for (int i = 0; i < 50; i++)
        if (tt_runtime_poll(0) == 0 && tt_runtime_poll(0) == 0) return;
}
