/*
 * An event recorder for tests: attaches every listener to a task and appends one line per callback to
 * a growing text trace, so a test can compare the whole sequence at once:
 *   success connectSocket:ok id=1          fail connectSocket:fail invalid url
 *   complete connectSocket:ok
 *   open protocol=chat extensions= state=1
 *   message text 5 hello state=1           message binary 1024 fnv=0x1234abcd state=1
 *   error onSocketError: WebSocket connection failed state=3
 *   close 1000 bye clean=1 state=3
 * Text payloads up to 32 bytes are printed; longer ones and binary are summarised by length and hash.
 *
 * The native drivers that talk to real peers (tests/integration, tests/hardening) use the second style,
 * TT_TRACE_STYLE_RS, which also prints the error detail and names the readyState "rs":
 *   success connectSocket:ok               (no task id)
 *   open protocol=chat extensions= rs=1
 *   message text 5 hello rs=1              message binary 1024 rs=1       (text up to 200 bytes printed)
 *   message binary 70000 same rs=1         (when expected payloads are set: "same" or "DIFFERENT")
 *   error onSocketError: WebSocket connection failed | connect: Connection refused (127.0.0.1:9) rs=3
 *   close 1000 bye clean rs=3              close 1006  not-clean rs=3
 *   result closeSocket:ok                  (tt_trace_result, for close and send results)
 */
#ifndef TT_TRACE_H
#define TT_TRACE_H

#include <stddef.h>

#include "ttsocket.h"

/* How lines are written: the default (0) is the style shown first above. */
typedef enum tt_trace_style { TT_TRACE_STYLE_STATE = 0, TT_TRACE_STYLE_RS = 1 } tt_trace_style;

typedef struct tt_trace {
    char *text;
    size_t length, capacity;
    unsigned long opens, messages, errors, closes, results;
    int last_close_code;
    const char *prefix; /* optional, put before each line (e.g. "#3 ") */
    tt_trace_style style;
    unsigned long fails; /* connect results that were fail */
    /*
     * Optional expected payloads: when expect is set, message i (counted from 0) is compared with
     * expect[i] of expect_len[i] bytes, and its line says "same" or "DIFFERENT" instead of the payload.
     */
    const unsigned char *const *expect;
    const size_t *expect_len;
    size_t expect_count;
} tt_trace;

void tt_trace_init(tt_trace *t);
void tt_trace_free(tt_trace *t);
void tt_trace_clear(tt_trace *t);
/* Appends a line made by printf-style formatting. */
void tt_trace_addf(tt_trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Listens to every event of task. */
void tt_trace_attach(tt_trace *t, tt_socket_task task);
/* Callbacks to put in options structs, with user_data = the trace. */
void tt_trace_success(const tt_result *r, void *ud);
void tt_trace_fail(const tt_result *r, void *ud);
void tt_trace_complete(const tt_result *r, void *ud);
/* Appends "result <errMsg>" (for close and send results); counted in results. */
void tt_trace_result(const tt_result *r, void *ud);
/* The listeners tt_trace_attach installs, for drivers that wrap them to act after recording. */
void tt_trace_on_open(tt_socket_task task, const tt_open_event *e, void *ud);
void tt_trace_on_message(tt_socket_task task, const tt_message_event *e, void *ud);
void tt_trace_on_error(tt_socket_task task, const tt_error_event *e, void *ud);
void tt_trace_on_close(tt_socket_task task, const tt_close_event *e, void *ud);
/* True once the task got its last callback: a connect fail or onClose. */
int tt_trace_ended(const tt_trace *t);
/* The number of lines recorded. */
size_t tt_trace_line_count(const tt_trace *t);
/*
 * Copies line i (counted from 0; a negative i counts from the end, -1 being the last) without its
 * newline into buf. Returns 0, or -1 when there is no such line (buf then holds "").
 */
int tt_trace_line(const tt_trace *t, long i, char *buf, size_t cap);
/* 32-bit FNV-1a, for summarising payloads. */
unsigned tt_trace_hash(const void *data, size_t length);

#endif
