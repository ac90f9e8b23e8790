/*
 * A scriptable transport for unit tests of the core. It records every down-call as a line in a log
 * (tt_loop_log) and lets a test make up-calls by hand, or, in auto mode, behaves like a polite echo
 * server: the next poll opens the connection (choosing the first offered subprotocol), echoes each
 * message, and answers a close with the same code and reason, cleanly.
 * Its poll advances the fixed test clock by the wait it is given, so timeouts run without sleeping.
 */
#ifndef TT_LOOPBACK_TRANSPORT_H
#define TT_LOOPBACK_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ttsocket.h"

/* Forgets every connection and clears the log; auto mode off; no failure injection. */
void tt_loop_reset(void);
void tt_loop_set_auto(int on);
/* The next tt__transport_open returns this TT_E* code (once). */
void tt_loop_fail_next_open(int code);
/* tt__transport_send returns this code from now on (0 = succeed). */
void tt_loop_set_send_result(int code);
/* tt__transport_init returns this code from now on (0 = succeed). */
void tt_loop_set_init_result(int code);

/* The log: one line per down-call, e.g. "open 1 wss://a.example/ protocols=chat headers=1",
 * "send 1 text 5 hello", "close 1 1000 bye", "abort 1", "init", "shutdown". Lines separated by '\n'. */
const char *tt_loop_log(void);
void tt_loop_clear_log(void);

/* Live connections (opened, not aborted, not ended by an up-call). */
size_t tt_loop_live(void);

/* Manual up-calls, which also mark the connection ended where transport.h says the transport frees it. */
void tt_loop_open(uint32_t id, const char *protocol, const char *extensions);
void tt_loop_message(uint32_t id, tt_data_type type, const void *data, size_t length);
void tt_loop_fail(uint32_t id, int error, const char *detail);
void tt_loop_close(uint32_t id, int code, const char *reason, int was_clean);

/* The TT_CAP_* bits tt__transport_capabilities() reports (0 after tt_loop_reset). */
void tt_loop_set_capabilities(uint32_t caps);
/* The counters the core lent to a live connection (NULL when none): a test adds to the wire fields. */
tt_task_stats *tt_loop_stats(uint32_t id);
/* Manual up-calls for the profile (a tt__phase) and the 101 head (parsed as the native transport does;
 * returns the parser's result, and makes no up-call when it failed). */
void tt_loop_phase(uint32_t id, int phase);
int tt_loop_response_head(uint32_t id, const char *head);

/* Buffered amount reported for every live connection. */
void tt_loop_set_buffered(size_t n);
/* How many times tt__transport_schedule was asked, and the last delay. */
unsigned long tt_loop_schedule_count(void);
int64_t tt_loop_last_schedule(void);

#endif
