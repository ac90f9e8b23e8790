/*
 * The open profile, the response header fields and the traffic counters of a task (see stats.h). The
 * core records raw moments and counts; this file turns them into what tt_open_profile and tt_task_stats
 * promise, so the meaning of each field is decided once for every backend.
 */
#include <string.h>

#include "stats.h"
#include "tt_internal.h"

/* tt__phase values are field indices of tt_open_profile. */
_Static_assert(offsetof(tt_open_profile, domain_lookup_start) == TT__PHASE_LOOKUP_START * sizeof(int64_t) &&
                   offsetof(tt_open_profile, tcp_connect_end) == TT__PHASE_CONNECT_END * sizeof(int64_t) &&
                   offsetof(tt_open_profile, ssl_connection_end) == TT__PHASE_TLS_END * sizeof(int64_t) &&
                   offsetof(tt_open_profile, request_start) == TT__PHASE_REQUEST_START * sizeof(int64_t) &&
                   offsetof(tt_open_profile, response_end) == TT__PHASE_RESPONSE_END * sizeof(int64_t),
               "tt__phase must name the fields of tt_open_profile");

void tt__observe_init(tt__observe *o, uint64_t now) {
    memset(o, 0, sizeof *o);
    /* All bits set is -1, TT_PROFILE_UNKNOWN, in every field. */
    memset(&o->times, 0xff, sizeof o->times);
    o->times.fetch_start = (int64_t)now;
    o->end = TT_PROFILE_UNKNOWN;
}

void tt__observe_drop_header(tt__observe *o) {
    tt__free(o->header);
    o->header = NULL;
    o->header_count = 0;
}

void tt__observe_phase(tt__observe *o, tt__phase phase, uint64_t now) { ((int64_t *)&o->times)[phase] = (int64_t)now; }

void tt__observe_host_phase(tt__observe *o, tt__phase phase, int64_t ms) {
    /* fetch_start and open are the core's own moments; cost always follows from them. */
    size_t open = offsetof(tt_open_profile, open) / sizeof(int64_t);
    if (ms < 0 || phase < TT__PHASE_LOOKUP_START || phase > TT__PHASE_HANDSHAKE_COST || (size_t)phase == open) return;
    int duration = phase == TT__PHASE_RTT || phase == TT__PHASE_HANDSHAKE_COST;
    ((int64_t *)&o->times)[phase] = duration ? ms : o->times.fetch_start + ms;
}

void tt__observe_take_header(tt__observe *o, tt_header *fields, size_t count) {
    tt__observe_drop_header(o);
    o->header = fields;
    o->header_count = fields ? count : 0;
}

/* ---- Profile ----------------------------------------------------------------------------------- */

/* Times are >= 0 on a monotonic clock: an unknown end point (negative) makes a span unknown, and so do a
 * host's times out of order (a span is never negative). */
static int64_t span(int64_t from, int64_t to) { return (from | to) < 0 || to < from ? TT_PROFILE_UNKNOWN : to - from; }

void tt__observe_profile(const tt__observe *o, tt_open_profile *p) {
    *p = o->times;
    /* ws:// has no TLS phase: it takes no time, right where TCP was established. */
    if (p->ssl_connection_start == TT_PROFILE_UNKNOWN && p->ssl_connection_end == TT_PROFILE_UNKNOWN &&
        p->request_start != TT_PROFILE_UNKNOWN)
        p->ssl_connection_start = p->ssl_connection_end = p->tcp_connect_end;
    /* A host that reports only its connectEnd (TLS included) has it in connect_end already. */
    if (p->ssl_connection_end != TT_PROFILE_UNKNOWN) p->connect_end = p->ssl_connection_end;
    /* The durations a host measured itself stand; the others follow from the times. */
    if (p->rtt == TT_PROFILE_UNKNOWN) p->rtt = span(p->connect_start, p->connect_end);
    if (p->handshake_cost == TT_PROFILE_UNKNOWN) p->handshake_cost = span(p->request_start, p->response_end);
    p->cost = span(p->fetch_start, p->open);
}

/* ---- Statistics -------------------------------------------------------------------------------- */

void tt__stats_wire_unknown(tt_task_stats *s) {
    /* The transport's fields run from wire_bytes_sent to peak_buffered_amount; all bits set is UINT64_MAX. */
    size_t from = offsetof(tt_task_stats, wire_bytes_sent);
    size_t to = offsetof(tt_task_stats, peak_buffered_amount) + sizeof s->peak_buffered_amount;
    memset((char *)s + from, 0xff, to - from);
}

void tt__observe_stats(const tt__observe *o, uint64_t now, int wire_known, tt_task_stats *s) {
    *s = o->stats;
    s->tasks = 1;
    s->open_ms = 0;
    int64_t open = o->times.open;
    if (open != TT_PROFILE_UNKNOWN) {
        int64_t until = o->end != TT_PROFILE_UNKNOWN ? o->end : (int64_t)now;
        s->open_ms = until > open ? (uint64_t)(until - open) : 0;
    }
    if (!wire_known) tt__stats_wire_unknown(s);
}

void tt__stats_add(tt_task_stats *sum, const tt_task_stats *add) {
    /* Every field is a uint64_t counter; peak_buffered_amount alone is a maximum. */
    uint64_t peak =
        sum->peak_buffered_amount > add->peak_buffered_amount ? sum->peak_buffered_amount : add->peak_buffered_amount;
    uint64_t *d = (uint64_t *)sum;
    const uint64_t *a = (const uint64_t *)add;
    for (size_t i = 0; i < sizeof *sum / sizeof(uint64_t); i++) d[i] += a[i];
    sum->peak_buffered_amount = peak;
}

int tt__stats_copy_out(const tt_task_stats *s, tt_task_stats *out, size_t size) {
    if (out == NULL || size < sizeof out->messages_sent) return TT_EINVAL;
    if (size > sizeof *s) {
        memset((char *)out + sizeof *s, 0, size - sizeof *s);
        size = sizeof *s;
    }
    memcpy(out, s, size);
    return 0;
}
