#define _POSIX_C_SOURCE 200809L
#include "native_driver.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

uint64_t tt_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const tt_task_callbacks tt_trace_callbacks = {
    .success = tt_trace_success,
    .fail = tt_trace_fail,
    .complete = tt_trace_complete,
    .open = tt_trace_on_open,
    .message = tt_trace_on_message,
    .error = tt_trace_on_error,
    .close = tt_trace_on_close,
};

tt_socket_task tt_connect_with(tt_connect_socket_options o, const tt_task_callbacks *cb, void *user_data) {
    o.success = cb->success;
    o.fail = cb->fail;
    o.complete = cb->complete;
    o.user_data = user_data;
    tt_socket_task task = tt_connect_socket(&o);
    if (cb->open) tt_socket_task_on_open(task, cb->open, user_data);
    if (cb->message) tt_socket_task_on_message(task, cb->message, user_data);
    if (cb->error) tt_socket_task_on_error(task, cb->error, user_data);
    if (cb->close) tt_socket_task_on_close(task, cb->close, user_data);
    return task;
}

#define MAX_TRACKED 512
static tt_socket_task tracked[MAX_TRACKED];
static int tracked_count;

void tt_tasks_track(tt_socket_task task) {
    if (tracked_count < MAX_TRACKED) tracked[tracked_count++] = task;
}

void tt_tasks_detach_all(void) {
    for (int i = 0; i < tracked_count; i++) {
        tt_socket_task_on_open(tracked[i], NULL, NULL);
        tt_socket_task_on_message(tracked[i], NULL, NULL);
        tt_socket_task_on_error(tracked[i], NULL, NULL);
        tt_socket_task_on_close(tracked[i], NULL, NULL);
    }
    tracked_count = 0;
}

int tt_poll_until(int (*done)(void *arg), void *arg, unsigned limit_ms, int poll_ms) {
    uint64_t end = tt_now_ms() + limit_ms;
    while (!done(arg)) {
        if (tt_now_ms() > end) return TT_POLL_TIMED_OUT;
        int rc = tt_runtime_poll(poll_ms);
        if (rc < 0) {
            fprintf(stderr, "tt_runtime_poll: %d %s\n", rc, tt_strerror(rc));
            return rc;
        }
    }
    return 0;
}

int tt_trace_match(const tt_trace *t, const char *const *patterns) {
    size_t n = 0;
    while (patterns[n]) n++;
    size_t count = tt_trace_line_count(t);
    int ok = n == count;
    char line[512];
    for (size_t i = 0; ok && i < n; i++) {
        tt_trace_line(t, (long)i, line, sizeof line);
        ok = fnmatch(patterns[i], line, 0) == 0;
    }
    if (ok) return 0;
    fprintf(stderr, "  expected:\n");
    for (size_t i = 0; i < n; i++) fprintf(stderr, "    %2zu: %s\n", i, patterns[i]);
    fprintf(stderr, "  got:\n");
    for (size_t i = 0; i < count; i++) {
        tt_trace_line(t, (long)i, line, sizeof line);
        fprintf(stderr, "    %2zu: %s\n", i, line);
    }
    return -1;
}
