/*
 * The open profile, the response header fields and the traffic counters of a task (see stats.h). The
 * core records raw moments and counts; this file turns them into what tt_open_profile and tt_task_stats
 * promise, so the meaning of each field is decided once for every backend.
 */
#include <string.h>

#include "stats.h"
#include "tt_internal.h"

void tt__observe_init(tt__observe *o, uint64_t now) {
    memset(o, 0, sizeof *o);
    for (int i = 0; i < TT__PHASE_COUNT; i++) o->phase[i] = TT_PROFILE_UNKNOWN;
    o->fetch_start = (int64_t)now;
    o->open = o->end = TT_PROFILE_UNKNOWN;
}

void tt__observe_drop_header(tt__observe *o) {
    tt__free(o->header);
    o->header = NULL;
    o->header_count = 0;
}

void tt__observe_phase(tt__observe *o, tt__phase phase, uint64_t now) {
    if ((unsigned)phase < TT__PHASE_COUNT) o->phase[phase] = (int64_t)now;
}

/* ---- Header fields ----------------------------------------------------------------------------- */

/* The next line of p[*at..n): returns its length without CR/LF and moves *at past its end. */
static size_t next_line(const char *p, size_t n, size_t *at, const char **line) {
    size_t i = *at;
    *line = p + i;
    while (i < n && p[i] != '\n') i++;
    size_t len = i - *at;
    if (len > 0 && (*line)[len - 1] == '\r') len--;
    *at = i < n ? i + 1 : n;
    return len;
}

static int is_ows(char c) { return c == ' ' || c == '\t'; }

/* Splits "name: value" (value trimmed of OWS); 0 when the line has no colon or an empty name. */
static int split_field(const char *line, size_t len, size_t *name_len, const char **value, size_t *value_len) {
    const char *colon = memchr(line, ':', len);
    if (colon == NULL || colon == line) return 0;
    *name_len = (size_t)(colon - line);
    const char *v = colon + 1, *end = line + len;
    while (v < end && is_ows(*v)) v++;
    while (end > v && is_ows(end[-1])) end--;
    *value = v;
    *value_len = (size_t)(end - v);
    return 1;
}

int tt__observe_set_header(tt__observe *o, const char *head, size_t length) {
    tt__observe_drop_header(o);
    /* First pass: count the fields and their bytes, so that one allocation holds everything. */
    size_t count = 0, bytes = 0, at = 0, nl, vl;
    const char *line, *value;
    (void)next_line(head, length, &at, &line); /* the status line */
    size_t fields_at = at;
    while (at < length) {
        size_t len = next_line(head, length, &at, &line);
        if (len == 0) break;
        if (!split_field(line, len, &nl, &value, &vl)) continue;
        count++;
        bytes += nl + vl + 2;
    }
    if (count == 0) return 0;
    tt_header *h = tt__malloc(count * sizeof *h + bytes);
    if (h == NULL) return TT_ENOMEM;
    char *text = (char *)(h + count);
    size_t k = 0;
    for (at = fields_at; at < length && k < count;) {
        size_t len = next_line(head, length, &at, &line);
        if (len == 0) break;
        if (!split_field(line, len, &nl, &value, &vl)) continue;
        h[k].name = text;
        memcpy(text, line, nl);
        text[nl] = '\0';
        text += nl + 1;
        h[k].value = text;
        memcpy(text, value, vl);
        text[vl] = '\0';
        text += vl + 1;
        k++;
    }
    o->header = h;
    o->header_count = count;
    return 0;
}

/* ---- Profile ----------------------------------------------------------------------------------- */

static int64_t span(int64_t from, int64_t to) {
    return from == TT_PROFILE_UNKNOWN || to == TT_PROFILE_UNKNOWN || to < from ? TT_PROFILE_UNKNOWN : to - from;
}

void tt__observe_profile(const tt__observe *o, tt_open_profile *p) {
    const int64_t *ph = o->phase;
    memset(p, 0, sizeof *p);
    p->fetch_start = o->fetch_start;
    p->domain_lookup_start = ph[TT__PHASE_LOOKUP_START];
    p->domain_lookup_end = ph[TT__PHASE_LOOKUP_END];
    p->connect_start = ph[TT__PHASE_CONNECT_START];
    p->tcp_connect_end = ph[TT__PHASE_CONNECT_END];
    p->ssl_connection_start = ph[TT__PHASE_TLS_START];
    p->ssl_connection_end = ph[TT__PHASE_TLS_END];
    /* ws:// has no TLS phase: it takes no time, right where TCP was established. */
    if (p->ssl_connection_start == TT_PROFILE_UNKNOWN && p->ssl_connection_end == TT_PROFILE_UNKNOWN &&
        ph[TT__PHASE_REQUEST_START] != TT_PROFILE_UNKNOWN)
        p->ssl_connection_start = p->ssl_connection_end = p->tcp_connect_end;
    p->connect_end = p->ssl_connection_end;
    p->request_start = ph[TT__PHASE_REQUEST_START];
    p->request_end = ph[TT__PHASE_REQUEST_END];
    p->response_end = ph[TT__PHASE_RESPONSE_END];
    p->open = o->open;
    p->rtt = span(p->connect_start, p->connect_end);
    p->handshake_cost = span(p->request_start, p->response_end);
    p->cost = span(p->fetch_start, p->open);
}

/* ---- Statistics -------------------------------------------------------------------------------- */

void tt__stats_wire_unknown(tt_task_stats *s) {
    s->wire_bytes_sent = s->wire_bytes_received = s->frames_sent = s->frames_received = TT_STATS_UNKNOWN;
    s->pings_received = s->pongs_sent = TT_STATS_UNKNOWN;
    s->compressed_payload_sent = s->compressed_wire_sent = TT_STATS_UNKNOWN;
    s->compressed_payload_received = s->compressed_wire_received = TT_STATS_UNKNOWN;
}

void tt__observe_stats(const tt__observe *o, uint64_t now, int wire_known, tt_task_stats *s) {
    memset(s, 0, sizeof *s);
    s->messages_sent = o->messages_sent;
    s->messages_received = o->messages_received;
    s->bytes_sent = o->bytes_sent;
    s->bytes_received = o->bytes_received;
    s->peak_buffered_amount = o->peak_buffered;
    s->tasks = 1;
    if (o->open != TT_PROFILE_UNKNOWN) {
        int64_t until = o->end != TT_PROFILE_UNKNOWN ? o->end : (int64_t)now;
        s->open_ms = until > o->open ? (uint64_t)(until - o->open) : 0;
    }
    const tt__wire_stats *w = &o->wire;
    if (!wire_known) {
        tt__stats_wire_unknown(s);
        return;
    }
    s->wire_bytes_sent = w->bytes_sent;
    s->wire_bytes_received = w->bytes_received;
    s->frames_sent = w->frames_sent;
    s->frames_received = w->frames_received;
    s->pings_received = w->pings_received;
    s->pongs_sent = w->pongs_sent;
    s->compressed_payload_sent = w->deflate_in;
    s->compressed_wire_sent = w->deflate_out;
    s->compressed_payload_received = w->inflate_out;
    s->compressed_wire_received = w->inflate_in;
}

static void add_counter(uint64_t *sum, uint64_t add) {
    if (*sum == TT_STATS_UNKNOWN || add == TT_STATS_UNKNOWN) *sum = TT_STATS_UNKNOWN;
    else *sum += add;
}

void tt__stats_add(tt_task_stats *sum, const tt_task_stats *add) {
    /* Every field is a uint64_t counter; peak_buffered_amount alone is a maximum. */
    uint64_t *d = (uint64_t *)sum;
    const uint64_t *a = (const uint64_t *)add;
    uint64_t peak = sum->peak_buffered_amount > add->peak_buffered_amount ? sum->peak_buffered_amount
                                                                          : add->peak_buffered_amount;
    for (size_t i = 0; i < sizeof *sum / sizeof(uint64_t); i++) add_counter(&d[i], a[i]);
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
