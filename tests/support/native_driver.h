/*
 * Helpers shared by the native test drivers that talk to real peers (tests/integration/it_driver.c and
 * the drivers under tests/hardening): a monotonic clock, connecting with one set of callbacks,
 * remembering the tasks a test started so that teardown can detach them, polling until a condition
 * holds, and comparing a tt_trace with a list of fnmatch patterns. Everything here uses only the public
 * API.
 */
#ifndef TT_NATIVE_DRIVER_H
#define TT_NATIVE_DRIVER_H

#include <stdint.h>

#include "trace.h"
#include "ttsocket.h"

/* Milliseconds on the monotonic clock. */
uint64_t tt_now_ms(void);

/* A connect's result callbacks and a task's four listeners; NULL members are left out. */
typedef struct tt_task_callbacks {
    tt_result_cb success, fail, complete;
    tt_open_cb open;
    tt_message_cb message;
    tt_error_cb error;
    tt_close_cb close;
} tt_task_callbacks;

/* The callbacks of tt_trace (tt_trace_success, ..., tt_trace_on_close), for user_data = a tt_trace. */
extern const tt_task_callbacks tt_trace_callbacks;

/*
 * Connects with the options o, whose result callbacks and user_data are replaced by those of cb and by
 * user_data, and installs cb's listeners on the new task with the same user_data.
 */
tt_socket_task tt_connect_with(tt_connect_socket_options o, const tt_task_callbacks *cb, void *user_data);

/*
 * Remembers a task started by the current test (up to 512; later ones are not remembered). In teardown,
 * tt_tasks_detach_all() removes the listeners of all of them and forgets them, so that a failed test,
 * whose records lived on its stack, is never called back by the runtime's shutdown.
 */
void tt_tasks_track(tt_socket_task task);
void tt_tasks_detach_all(void);

/*
 * Polls the runtime (poll_ms at a time) until done(arg) returns non-zero. Returns 0 then,
 * TT_POLL_TIMED_OUT when limit_ms passed first, or the negative result of tt_runtime_poll when it failed
 * (which it prints).
 */
#define TT_POLL_TIMED_OUT 1
int tt_poll_until(int (*done)(void *arg), void *arg, unsigned limit_ms, int poll_ms);

/*
 * Returns 0 when the lines of t match the NULL-terminated list of fnmatch patterns one for one;
 * otherwise prints the expected patterns and the recorded lines to stderr and returns -1.
 */
int tt_trace_match(const tt_trace *t, const char *const *patterns);

#endif
