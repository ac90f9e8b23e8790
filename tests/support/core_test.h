/*
 * The shared set-up of the core's unit tests (tests/unit/test_task.c, test_queue.c, test_runtime.c): a
 * fresh runtime on the loopback transport with the fixed test hooks before each test, one event trace
 * (tests/support/trace.h) that the helpers below record into, and assertions on it.
 */
#ifndef TT_CORE_TEST_H
#define TT_CORE_TEST_H

#include <stdint.h>

#include "trace.h"
#include "ttsocket.h"

/* The trace every helper records into; core_test_setup empties it. */
extern tt_trace trace;

/* cmocka set-up and tear-down: the runtime shut down, the loopback reset, domain checks skipped. */
int core_test_setup(void **state);
int core_test_teardown(void **state);

/* tt_connect_socket / send (text) / close with every callback recording into the trace. */
tt_socket_task connect_url(const char *url);
void send_text(tt_socket_task t, const char *s);
void close_task(tt_socket_task t, int code, const char *reason);

/* Compares the trace with a printf-style expectation (task ids differ between tests: never reused). */
void assert_trace(const char *fmt, ...);
/* 1 when the loopback log contains the formatted line. */
int log_has(const char *fmt, uint32_t id);
/* Polls until nothing more happens (bounded). */
void settle(void);

#endif
