/*
 * What a game can see about its connections, apart from the events themselves: the open profile, the
 * 101's header fields and the traffic counters. The core (src/task.c) owns one tt__observe per task and
 * calls these functions; transports only report moments (tt__core_on_phase) and the engine (src/ws.c)
 * bumps the wire counters it is handed. Nothing here touches I/O or reads a clock itself: every time is
 * passed in by the caller, which takes it from the injected clock.
 */
#ifndef TT_STATS_H
#define TT_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "ttsocket.h"

/* The moments a transport can report, in the order they happen on a connection. */
typedef enum tt__phase {
    TT__PHASE_LOOKUP_START,
    TT__PHASE_LOOKUP_END,
    TT__PHASE_CONNECT_START, /* reported again for each address tried: the last one wins */
    TT__PHASE_CONNECT_END,   /* TCP established */
    TT__PHASE_TLS_START,
    TT__PHASE_TLS_END,
    TT__PHASE_REQUEST_START, /* first byte of the Upgrade request written */
    TT__PHASE_REQUEST_END,   /* last byte written */
    TT__PHASE_RESPONSE_END,  /* the 101 was accepted */
    TT__PHASE_COUNT
} tt__phase;

/*
 * Counters the native engine keeps while it runs. The core owns them (inside its task) and lends the
 * transport a pointer, valid until the transport's final up-call or tt__transport_abort(); the engine
 * only adds to them, so the cost is one add per frame or chunk.
 */
typedef struct tt__wire_stats {
    uint64_t bytes_sent, bytes_received;
    uint64_t frames_sent, frames_received;
    uint64_t pings_received, pongs_sent;
    uint64_t deflate_in, deflate_out;  /* payload bytes given to the compressor, and what it made */
    uint64_t inflate_in, inflate_out;  /* compressed payload bytes received, and what they inflated to */
} tt__wire_stats;

/* Everything the core observes about one task. */
typedef struct tt__observe {
    int64_t phase[TT__PHASE_COUNT];    /* TT_PROFILE_UNKNOWN until reported */
    int64_t fetch_start, open, end;    /* end: the final event was queued (TT_PROFILE_UNKNOWN before) */
    uint64_t messages_sent, messages_received, bytes_sent, bytes_received;
    uint64_t peak_buffered;
    tt__wire_stats wire;
    tt_header *header;                 /* the 101's fields: one allocation with their strings */
    size_t header_count;
} tt__observe;

/* Starts observing a task created at `now`. */
void tt__observe_init(tt__observe *o, uint64_t now);
/* Frees the header fields (after onOpen, or with the task). */
void tt__observe_drop_header(tt__observe *o);
void tt__observe_phase(tt__observe *o, tt__phase phase, uint64_t now);

/*
 * Parses the header fields of an HTTP response head (status line first, CRLF or bare LF line ends, the
 * head may or may not include its empty line) into o->header, replacing what was there. Returns 0 or
 * TT_ENOMEM.
 */
int tt__observe_set_header(tt__observe *o, const char *head, size_t length);

/* The profile as the game sees it (see tt_open_profile for the meaning of every field). */
void tt__observe_profile(const tt__observe *o, tt_open_profile *p);

/* The task's statistics at `now`; wire_known is 0 when the backend does not count wire traffic. */
void tt__observe_stats(const tt__observe *o, uint64_t now, int wire_known, tt_task_stats *s);

/* Marks every wire counter TT_STATS_UNKNOWN (a backend that does not count them). */
void tt__stats_wire_unknown(tt_task_stats *s);

/* sum += add, field by field (peak: the higher one). TT_STATS_UNKNOWN stays unknown. */
void tt__stats_add(tt_task_stats *sum, const tt_task_stats *add);

/* Copies the first `size` bytes of s to out, zeroing any part of out beyond the struct. */
int tt__stats_copy_out(const tt_task_stats *s, tt_task_stats *out, size_t size);

#endif
