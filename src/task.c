/*
 * What a task does: the public SocketTask API (connect, send, close, listeners, getters) and the
 * transport's up-calls, which together are the task's state machine, plus the connect timeout.
 *
 * Every behaviour a game can observe is decided in the core, once, for both builds: validation, errMsg
 * strings, the order of callbacks, readyState, close codes. Transports (src/transport.h) only move bytes
 * and report what happened on the wire through the tt__core_* up-calls. When the game hears of a result
 * or an event is the dispatch queue's business (src/queue.c); the re-entrancy rules are in src/core.h.
 *
 * A task's life: CONNECTING from tt_connect_socket until its onOpen is delivered (OPEN), CLOSING from
 * close(), CLOSED from the delivery of its onError or onClose; final_queued marks that its last events
 * are queued, after which nothing more is queued for it; it is freed after its onClose.
 */
#include <string.h>

#include "core.h"
#include "tt_internal.h"
#include "utf8.h"
#include "validate.h"

/* ---- The task ----------------------------------------------------------------------------------- */

void tt__task_mark_end(tt__task *t) {
    if (t->obs.end == TT_PROFILE_UNKNOWN) t->obs.end = (int64_t)tt__now_ms();
}

void tt__task_retire(tt__task *t) {
    tt_task_stats s;
    tt__task_mark_end(t);
    tt__observe_stats(&t->obs, 0, 1, &s); /* ended: no clock needed; raw: unknowns are marked on output */
    tt__stats_add(&tt__rt.finished_stats, &s);
    tt__observe_drop_header(&t->obs);
}

void tt__task_free(tt__task *t) {
    tt__timer_remove(t);
    tt__table_remove(&tt__rt.tasks, t);
    tt__task_retire(t);
    tt__free(t);
}

void tt__fail_task(tt__task *t, int error, const char *detail) {
    tt__drop_connection(t);
    tt__queue_failure(t, error, detail);
}

void tt__core_set_next_task_id(uint64_t id) { tt__rt.next_id = id; }

/* ---- Connect timeouts --------------------------------------------------------------------------- */

void tt__timer_remove(tt__task *t) { tt__heap_remove(&tt__rt.timers, &t->timer); }

/* Room for the task's timer is reserved when the task is created (task_create), so this cannot fail. */
static void timer_add(tt__task *t, uint64_t deadline) { tt__heap_insert(&tt__rt.timers, &t->timer, deadline); }

static tt__task *timer_first(void) {
    tt__heap_node *n = tt__heap_min(&tt__rt.timers);
    return n ? TT__HEAP_OWNER(n, tt__task, timer) : NULL;
}

int64_t tt__core_next_timer_ms(void) {
    tt__task *t = timer_first();
    if (t == NULL) return -1;
    uint64_t now = tt__now_ms();
    return t->timer.deadline > now ? (int64_t)(t->timer.deadline - now) : 0;
}

void tt__timers_run(void) {
    tt__task *t = timer_first();
    if (t == NULL) return;
    uint64_t now = tt__now_ms();
    for (; t && t->timer.deadline <= now; t = timer_first()) {
        tt__timer_remove(t);
        tt__fail_task(t, TT_ETIMEOUT, "connect: timed out");
    }
}

void tt__timers_schedule(void) {
    int64_t ms = tt__core_next_timer_ms();
    if (ms >= 0) tt__transport_schedule(ms);
}

/* ---- Up-calls ---------------------------------------------------------------------------------- */

/* An up-call for a task the core has already failed (or that is gone) changes nothing. */
static tt__task *upcall_task(uint32_t id) {
    tt__task *t = tt__task_find(id);
    if (t == NULL || t->final_queued || t->conn == NULL) return NULL;
    return t;
}

/*
 * onOpen is always queued, never delivered from inside the up-call: the transport may be in the middle
 * of a chunk that also holds the server's first messages or its Close (the 101 and a Close in one
 * segment). The engine finishes that chunk first (queues the answer to the Close, reports the end), so
 * a close() or send() in the game's onOpen finds the connection as Chromium's onopen does: the server's
 * Close already answered, nothing more sent. It happens once per connection, so the copy costs nothing.
 */
void tt__core_on_open(uint32_t id, const char *protocol, const char *extensions) {
    tt__task *t = upcall_task(id);
    if (t == NULL) return;
    tt__transport_enter();
    t->obs.times.open = (int64_t)tt__now_ms();
    tt__timer_remove(t);
    if (tt__queue_open(id, protocol, extensions)) tt__fail_task(t, TT_ENOMEM, "out of memory");
    tt__transport_leave();
    tt__dispatch_pending_shutdown();
}

void tt__core_on_message(uint32_t id, tt_data_type type, const void *data, size_t length) {
    tt__task *t = upcall_task(id);
    if (t == NULL) return;
    TT__COUNT(t->obs.stats.messages_received, 1);
    TT__COUNT(t->obs.stats.bytes_received, length);
    tt__transport_enter();
    if (length > tt__rt.config.max_message_size) {
        /* The native engine refuses this from the frame header; the web build only learns it here. */
        tt__fail_task(t, TT_ETOOBIG, TT__DETAIL_TOO_BIG);
    } else if (tt__can_deliver_now()) {
        tt__deliver_message_now(t, type, data, length);
    } else if (t->state == TT_CONNECTING || t->state == TT_OPEN) {
        /* CONNECTING: an onOpen is still queued ahead of it. CLOSING/CLOSED would drop it anyway. */
        if (tt__queue_message(id, type, data, length)) tt__fail_task(t, TT_ENOMEM, "out of memory");
    }
    tt__transport_leave();
    tt__dispatch_pending_shutdown();
}

/* The transport has freed the connection; forget it, including any abort still waiting for it. */
static tt__task *upcall_end(uint32_t id) {
    tt__task *t = tt__task_find(id);
    if (t == NULL) return NULL;
    tt__forget_connection(t);
    if (t->final_queued) return NULL;
    return t;
}

void tt__core_on_fail(uint32_t id, int error, const char *detail) {
    tt__task *t = upcall_end(id);
    if (t == NULL) return;
    tt__queue_failure(t, error, detail);
}

void tt__core_on_close(uint32_t id, int code, const char *reason, size_t reason_length, int was_clean) {
    tt__task *t = upcall_end(id);
    if (t == NULL) return;
    if (tt__queue_close(id, code, reason, reason_length, was_clean)) {
        tt__queue_failure(t, TT_ENOMEM, "out of memory");
        return;
    }
    t->final_queued = 1;
    tt__task_mark_end(t);
    tt__timer_remove(t);
}

void tt__core_on_phase(uint32_t id, tt__phase phase) {
    tt__task *t = tt__task_find(id);
    if (t && !t->final_queued) tt__observe_phase(&t->obs, phase, tt__now_ms());
}

void tt__core_on_host_phase(uint32_t id, tt__phase phase, int64_t ms) {
    tt__task *t = tt__task_find(id);
    if (t && !t->final_queued) tt__observe_host_phase(&t->obs, phase, ms);
}

void tt__core_on_response_header(uint32_t id, tt_header *fields, size_t count) {
    tt__task *t = upcall_task(id);
    if (t == NULL) tt__free(fields);
    else tt__observe_take_header(&t->obs, fields, count);
}

/* ---- Public API: connect ------------------------------------------------------------------------ */

static tt__msg connect_msg_for(int rc) {
    switch (rc) {
    case TT_ESCHEME: return TT__MSG_CONNECT_INVALID_SCHEME;
    case TT_EINSECURE: return TT__MSG_CONNECT_NOT_WSS;
    case TT_EDOMAIN: return TT__MSG_CONNECT_DOMAIN;
    case TT_EHEADER: return TT__MSG_CONNECT_INVALID_HEADER;
    case TT_EFORBIDDENHEADER: return TT__MSG_CONNECT_FORBIDDEN_HEADER;
    case TT_EPROTOCOL: return TT__MSG_CONNECT_INVALID_PROTOCOL;
    case TT_EDUPPROTOCOL: return TT__MSG_CONNECT_DUPLICATE_PROTOCOL;
    case TT_ETIMEOUTARG: return TT__MSG_CONNECT_INVALID_TIMEOUT;
    case TT_ELIMIT: return TT__MSG_CONNECT_TOO_MANY;
    case TT_ENOMEM: return TT__MSG_CONNECT_NO_MEMORY;
    default: return TT__MSG_CONNECT_INVALID_URL;
    }
}

/* A new task in the table with the next id, room for its timer reserved. 0 or TT_ENOMEM. */
static int task_create(tt__task **out) {
    tt__task *t = tt__calloc(1, sizeof *t);
    if (t == NULL) return TT_ENOMEM;
    t->id = (uint32_t)tt__rt.next_id;
    int rc = tt__heap_reserve(&tt__rt.timers, tt__rt.tasks.count + 1);
    if (rc == 0) rc = tt__table_insert(&tt__rt.tasks, t);
    if (rc != 0) {
        tt__free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* Same order of checks as the browser's constructor (URL, then protocols), then tt's own rules. */
static int connect_validate(const tt_connect_socket_options *o, tt__url *url) {
    int rc = tt__validate_url(o->url, (const char *const *)tt__rt.domains, tt__rt.config.socket_domain_count,
                              tt__rt.config.skip_domain_check, url);
    if (rc == 0) rc = tt__validate_protocols(o->protocols, o->protocol_count);
    if (rc == 0) rc = tt__validate_headers(o->header, o->header_count);
    if (rc == 0 && o->timeout_ms < 0) rc = TT_ETIMEOUTARG;
    int max = tt__rt.config.max_connections;
    if (rc == 0 && max > 0 && tt__rt.tasks.count >= (size_t)max) rc = TT_ELIMIT;
    return rc;
}

tt_socket_task tt_connect_socket(const tt_connect_socket_options *o) {
    tt_socket_task none = {0};
    if (o == NULL) return none;
    tt__url url;
    int rc = connect_validate(o, &url);
    if (rc == 0 && tt__rt.next_id > TT__TASK_ID_MAX) {
        /* Every id was issued once: reusing one could make a game's stale handle reach a new task. */
        tt__queue_result(TT__MSG_CONNECT_IDS_EXHAUSTED, 0, o->fail, o->complete, o->user_data);
        return none;
    }
    if (rc == 0) rc = tt__runtime_transport_ready();
    tt__task *t = NULL;
    if (rc == 0) rc = task_create(&t);
    if (rc != 0) {
        tt__queue_result(connect_msg_for(rc), 0, o->fail, o->complete, o->user_data);
        return none;
    }
    tt__rt.next_id++;
    t->state = TT_CONNECTING;
    tt__observe_init(&t->obs, tt__now_ms());
    tt__queue_result(TT__MSG_CONNECT_OK, t->id, o->success, o->complete, o->user_data);

    int timeout = o->timeout_ms > 0 ? o->timeout_ms : tt__rt.config.connect_timeout_ms;
    tt__open_params p = {.id = t->id,
                         .url = o->url,
                         .parsed = &url,
                         .headers = o->header,
                         .header_count = o->header_count,
                         .protocols = o->protocols,
                         .protocol_count = o->protocol_count,
                         .stats = &t->obs.stats,
                         .timeout_ms = timeout,
                         .backend = tt__rt.config.backend};
    tt__conn *conn = NULL;
    tt__transport_enter();
    rc = tt__transport_open(&p, &conn);
    tt__transport_leave();
    if (rc != 0) {
        /* Like a browser that cannot reach the host: the task exists, then fails. */
        tt__queue_failure(t, rc, tt_strerror(rc));
    } else {
        t->conn = conn;
        timer_add(t, tt__now_ms() + (uint64_t)timeout);
        tt__timers_schedule();
    }
    return (tt_socket_task){t->id};
}

/* ---- Public API: send and close ---------------------------------------------------------------- */

static tt__task *task_for_call(tt_socket_task task, int *unknown_id) {
    tt__task *t = tt__task_find(task.id);
    *unknown_id = (t == NULL && (task.id == 0 || (uint64_t)task.id >= tt__rt.next_id));
    return t;
}

void tt_socket_task_send(tt_socket_task task, const tt_send_options *o) {
    if (o == NULL) return;
    int unknown;
    tt__task *t = task_for_call(task, &unknown);
    tt__msg msg = TT__MSG_SEND_OK;
    if (unknown) msg = TT__MSG_SEND_INVALID_TASK;
    else if ((o->data == NULL && o->length > 0) || (o->type != TT_DATA_TEXT && o->type != TT_DATA_BINARY))
        msg = TT__MSG_SEND_INVALID_DATA;
    else if (o->type == TT_DATA_TEXT && !tt__utf8_valid(o->data, o->length)) msg = TT__MSG_SEND_INVALID_UTF8;
    else if (t == NULL || t->state != TT_OPEN || t->conn == NULL || t->final_queued) {
        /* Not OPEN, or the connection is already gone (its failure is queued and the game sees it next).
         * tt refuses the send, so unlike the browser (which counts data sent in CLOSING/CLOSED) nothing
         * was handed to the connection and bufferedAmount does not change. */
        msg = TT__MSG_SEND_NOT_CONNECTED;
    } else {
        int rc = tt__transport_send(t->conn, o->type, o->length ? o->data : "", o->length);
        if (rc == TT_EBUFFER) {
            /* The browser closes a WebSocket whose send buffer overflows; so do we, after the result. */
            tt__queue_result(TT__MSG_SEND_NOT_CONNECTED, 0, o->fail, o->complete, o->user_data);
            tt__fail_task(t, TT_EBUFFER, "send buffer limit exceeded");
            return;
        }
        /* Anything but memory means the transport could not take it: the connection is gone (a
         * container backend whose host threw reports the failure right after). */
        if (rc != 0) {
            msg = rc == TT_ENOMEM ? TT__MSG_SEND_NO_MEMORY : TT__MSG_SEND_NOT_CONNECTED;
        } else {
            TT__COUNT(t->obs.stats.messages_sent, 1);
            TT__COUNT(t->obs.stats.bytes_sent, o->length);
        }
    }
    tt__queue_result(msg, 0, msg == TT__MSG_SEND_OK ? o->success : o->fail, o->complete, o->user_data);
}

void tt_socket_task_close(tt_socket_task task, const tt_close_options *o) {
    static const tt_close_options defaults;
    if (o == NULL) o = &defaults;
    int code = TT_CLOSE_NORMAL;
    size_t reason_len = 0;
    int unknown;
    tt__task *t = task_for_call(task, &unknown);
    tt__msg msg = TT__MSG_CLOSE_OK;
    int rc = tt__validate_close(o->code, o->reason, &code, &reason_len);
    if (rc == TT_ECLOSECODE) msg = TT__MSG_CLOSE_INVALID_CODE;
    else if (rc == TT_EREASON) msg = TT__MSG_CLOSE_REASON_TOO_LONG;
    else if (rc == TT_EUTF8) msg = TT__MSG_CLOSE_INVALID_REASON;
    else if (unknown) msg = TT__MSG_CLOSE_INVALID_TASK;
    else if (t == NULL || t->state == TT_CLOSING || t->state == TT_CLOSED) msg = TT__MSG_CLOSE_NOT_CONNECTED;
    tt__queue_result(msg, 0, msg == TT__MSG_CLOSE_OK ? o->success : o->fail, o->complete, o->user_data);
    if (msg != TT__MSG_CLOSE_OK) return;
    /* The result is queued first: close() returns before any event it causes. */
    if (t->state == TT_CONNECTING) {
        /* The browser fails a connection that is closed before it opened: error, then close 1006. */
        t->state = TT_CLOSING;
        tt__fail_task(t, TT_ECONNECT, "closed before the connection was established");
    } else {
        t->state = TT_CLOSING;
        if (t->conn && !t->final_queued) {
            rc = tt__transport_close(t->conn, code, o->reason ? o->reason : "", reason_len);
            if (rc != 0) tt__fail_task(t, rc, tt_strerror(rc));
        }
    }
}

/* ---- Public API: listeners and getters --------------------------------------------------------- */

static tt__task *listener_task(tt_socket_task task) { return tt__task_find(task.id); }

void tt_socket_task_on_open(tt_socket_task task, tt_open_cb cb, void *ud) {
    tt__task *t = listener_task(task);
    if (t) {
        t->on_open = cb;
        t->on_open_ud = ud;
    }
}
void tt_socket_task_on_message(tt_socket_task task, tt_message_cb cb, void *ud) {
    tt__task *t = listener_task(task);
    if (t) {
        t->on_message = cb;
        t->on_message_ud = ud;
    }
}
void tt_socket_task_on_close(tt_socket_task task, tt_close_cb cb, void *ud) {
    tt__task *t = listener_task(task);
    if (t) {
        t->on_close = cb;
        t->on_close_ud = ud;
    }
}
void tt_socket_task_on_error(tt_socket_task task, tt_error_cb cb, void *ud) {
    tt__task *t = listener_task(task);
    if (t) {
        t->on_error = cb;
        t->on_error_ud = ud;
    }
}

tt_ready_state tt_socket_task_ready_state(tt_socket_task task) {
    tt__task *t = tt__task_find(task.id);
    return t ? t->state : TT_CLOSED;
}

size_t tt_socket_task_buffered_amount(tt_socket_task task) {
    tt__task *t = tt__task_find(task.id);
    if (t == NULL) return 0;
    return t->conn ? tt__transport_buffered_amount(t->conn) : 0;
}

/* ---- Public API: what a game can see ----------------------------------------------------------- */

int tt_socket_task_stats(tt_socket_task task, tt_task_stats *stats, size_t stats_size) {
    if (stats == NULL) return TT_EINVAL;
    tt__task *t = tt__task_find(task.id);
    if (t == NULL) return TT_ENOTASK;
    tt_task_stats s;
    tt__observe_stats(&t->obs, tt__now_ms(), tt__runtime_wire_counted(), &s);
    return tt__stats_copy_out(&s, stats, stats_size);
}
