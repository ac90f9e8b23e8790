/*
 * What a game can see about its connections, apart from the events themselves: the open profile, the
 * 101's header fields and the traffic counters. The core (src/task.c) owns one tt__observe per task and
 * calls these functions; transports only report moments (tt__core_on_phase) and the engine (src/ws.c)
 * adds to the wire counters it is lent. Nothing here touches I/O or reads a clock itself: every time is
 * passed in by the caller, which takes it from the injected clock.
 */
#ifndef TT_STATS_H
#define TT_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "ttsocket.h"

/*
 * The moments a transport can report, in the order they happen on a connection. Each value is the index
 * of its field in tt_open_profile (whose fields are all int64_t), so recording one is a single store;
 * stats.c checks that they agree.
 */
typedef enum tt__phase {
    TT__PHASE_LOOKUP_START = 1, /* domain_lookup_start */
    TT__PHASE_LOOKUP_END = 2,
    TT__PHASE_CONNECT_START = 3, /* reported again for each address tried: the last one wins */
    TT__PHASE_CONNECT_END = 4,   /* tcp_connect_end: TCP established */
    TT__PHASE_TLS_START = 5,
    TT__PHASE_TLS_END = 6,
    TT__PHASE_REQUEST_START = 8, /* first byte of the Upgrade request written (7 is connect_end, derived) */
    TT__PHASE_REQUEST_END = 9,   /* last byte written */
    TT__PHASE_RESPONSE_END = 10, /* the 101 was accepted */
    /* Only a host that measured the opening itself reports these (tt__core_on_host_phase): */
    TT__PHASE_CONNECTED = 7,      /* connect_end: connected, TLS included, when TLS is not reported apart */
    TT__PHASE_RTT = 12,           /* rtt, a duration */
    TT__PHASE_HANDSHAKE_COST = 13 /* handshake_cost, a duration */
} tt__phase;

/*
 * Every counter update goes through TT__COUNT (add) or TT__COUNT_PEAK (keep the highest), so that one
 * switch removes them all: TT__STATS_OFF is defined only by the statistics benchmark's second build
 * (make bench-stats, tests/bench/stats_cost.py), which measures the client with and without the updates.
 * No other build defines it, and nothing else depends on it.
 */
#ifndef TT__STATS_OFF
#    define TT__COUNT(counter, n) ((void)((counter) += (n)))
#    define TT__COUNT_PEAK(peak, value) ((void)((peak) < (value) ? ((peak) = (value)) : 0))
#else
#    define TT__COUNT(counter, n) ((void)0)
#    define TT__COUNT_PEAK(peak, value) ((void)0)
#endif

/* Everything the core observes about one task. */
typedef struct tt__observe {
    tt_open_profile times; /* the moments recorded so far, TT_PROFILE_UNKNOWN until reported; the
                                          derived fields are filled by tt__observe_profile() */
    int64_t end;           /* the final event was queued (TT_PROFILE_UNKNOWN before) */
    /* The counters: the core adds messages and payload bytes; a transport that counts the wire adds the
     * rest (wire bytes, frames, pings, compression, the peak bufferedAmount) through a pointer the core
     * lends it (tt__open_params.stats), one add per frame or chunk. open_ms and tasks are filled when
     * read. */
    tt_task_stats stats;
    tt_header *header; /* the 101's fields: one allocation with their strings */
    size_t header_count;
} tt__observe;

/* Starts observing a task created at `now`. */
void tt__observe_init(tt__observe *o, uint64_t now);
/* Frees the header fields (after onOpen, or with the task). */
void tt__observe_drop_header(tt__observe *o);
void tt__observe_phase(tt__observe *o, tt__phase phase, uint64_t now);
/* A host's own measurement: a moment `ms` after fetch_start, or a duration of `ms` (rtt, handshake_cost). */
void tt__observe_host_phase(tt__observe *o, tt__phase phase, int64_t ms);

/* Takes over the 101's fields (one tt__malloc block, see tt__handshake_header_fields), replacing any. */
void tt__observe_take_header(tt__observe *o, tt_header *fields, size_t count);

/* The profile as the game sees it (see tt_open_profile for the meaning of every field). */
void tt__observe_profile(const tt__observe *o, tt_open_profile *p);

/* The task's statistics at `now`; wire_known is 0 when the backend does not count wire traffic. */
void tt__observe_stats(const tt__observe *o, uint64_t now, int wire_known, tt_task_stats *s);

/* Marks every counter the transport keeps TT_STATS_UNKNOWN (a backend that does not count the wire). */
void tt__stats_wire_unknown(tt_task_stats *s);

/* sum += add, field by field (peak: the higher one). Both hold raw counts: unknowns are marked on output. */
void tt__stats_add(tt_task_stats *sum, const tt_task_stats *add);

/* Copies the first `size` bytes of s to out, zeroing any part of out beyond the struct. */
int tt__stats_copy_out(const tt_task_stats *s, tt_task_stats *out, size_t size);

#endif
