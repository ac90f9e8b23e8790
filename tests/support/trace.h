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
 */
#ifndef TT_TRACE_H
#define TT_TRACE_H

#include <stddef.h>

#include "ttsocket.h"

typedef struct tt_trace {
    char *text;
    size_t length, capacity;
    unsigned long opens, messages, errors, closes, results;
    int last_close_code;
    const char *prefix; /* optional, put before each line (e.g. "#3 ") */
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
/* 32-bit FNV-1a, for summarising payloads. */
unsigned tt_trace_hash(const void *data, size_t length);

#endif
