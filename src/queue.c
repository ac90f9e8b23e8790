/*
 * The dispatch queue: when and in what order the game hears of results and events, and the re-entrancy
 * rules (src/core.h) that keep that order while game callbacks and the transport call into each other.
 *
 * Delivery model. Results and events are appended to one FIFO queue and delivered from the dispatch
 * point (tt_runtime_poll, or tt__core_service from the web build's event loop), never inside the API call
 * that caused them. A message up-call that arrives while the queue is empty and no callback is running
 * is delivered at once with borrowed data (the hot path: no copy, no allocation per message); otherwise
 * it is copied into the queue, so order is kept either way. onOpen is always queued (tt__core_on_open).
 *
 * readyState follows the browser: it changes when the matching event is delivered (OPEN with onOpen,
 * CLOSED just before onError / onClose), except that close() moves the task to CLOSING at once.
 */
#include <string.h>

#include "core.h"
#include "tt_internal.h"

/* Spare nodes kept at most, beyond which freed nodes go back to the allocator. */
#define TT__SPARE_EVENTS_MAX 64

/* ---- Nodes -------------------------------------------------------------------------------------- */

/*
 * A few static nodes stand in when malloc fails, so that a result or a task's final onError/onClose is
 * not lost to a passing out-of-memory condition. They belong to the runtime (there is one per process).
 */
#define TT__RESERVE_EVENTS 8
static tt__event reserve_events[TT__RESERVE_EVENTS];
static unsigned reserve_used; /* bit i set = reserve_events[i] in use */

static int is_reserve(const tt__event *ev) {
    return ev >= &reserve_events[0] && ev < &reserve_events[TT__RESERVE_EVENTS];
}

static tt__event *event_alloc(void) {
    tt__queue *q = &tt__rt.queue;
    tt__event *spare = q->spare;
    if (spare) {
        q->spare = spare->next_spare;
        q->spare_count--;
        return spare;
    }
    tt__event *ev = tt__malloc(sizeof *ev);
    for (unsigned i = 0; i < TT__RESERVE_EVENTS && ev == NULL; i++)
        if (!(reserve_used & (1u << i))) {
            reserve_used |= 1u << i;
            ev = &reserve_events[i];
        }
    return ev;
}

tt__event *tt__event_new(tt__event_kind kind, uint32_t task_id) {
    tt__event *ev = event_alloc();
    if (ev == NULL) return NULL;
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->task_id = task_id;
    return ev;
}

void tt__event_free(tt__event *ev) {
    tt__queue *q = &tt__rt.queue;
    tt__free(ev->data);
    tt__free(ev->data2);
    ev->data = ev->data2 = NULL;
    if (is_reserve(ev)) {
        reserve_used &= ~(1u << (unsigned)(ev - reserve_events));
    } else if (q->spare_count < TT__SPARE_EVENTS_MAX) {
        ev->next_spare = q->spare;
        q->spare = ev;
        q->spare_count++;
    } else {
        tt__free(ev);
    }
}

void tt__queue_clear(void) {
    tt__queue *q = &tt__rt.queue;
    for (tt__list *n; (n = tt__list_first(&q->events)) != NULL;) {
        tt__list_remove(n);
        tt__event_free(TT__LIST_ENTRY(n, tt__event, link));
    }
    while (q->spare) {
        tt__event *ev = q->spare;
        q->spare = ev->next_spare;
        tt__free(ev);
    }
    q->spare_count = 0;
}

/* ---- Queueing ----------------------------------------------------------------------------------- */

void tt__event_push(tt__event *ev) {
    tt__list_push_back(&tt__rt.queue.events, &ev->link);
    tt__transport_schedule(0);
}

/*
 * Rule 4: puts a result right behind those already put ahead during the current delivery, in front of
 * every entry that was queued before: the results of a call made in a callback come right after that
 * callback, as they do when the callback was delivered directly (and in the browser, where each event is
 * its own task).
 */
static void event_push_ahead(tt__event *ev) {
    tt__reentry *re = &tt__rt.re;
    if (re->results_last) tt__list_insert_after(&re->results_last->link, &ev->link);
    else tt__list_push_front(&tt__rt.queue.events, &ev->link);
    re->results_last = ev;
    tt__transport_schedule(0);
}

void tt__queue_result(tt__msg msg, uint32_t result_id, tt_result_cb cb, tt_result_cb complete, void *ud) {
    if (cb == NULL && complete == NULL) return;
    tt__event *ev = tt__event_new(TT__EV_RESULT, 0);
    if (ev == NULL) return; /* out of memory: a result nobody can be told about is dropped */
    ev->msg = msg;
    ev->result_id = result_id;
    ev->cb = cb;
    ev->complete = complete;
    ev->user_data = ud;
    if (tt__rt.re.delivering) event_push_ahead(ev);
    else tt__event_push(ev);
}

void tt__queue_no_memory(int msg, tt_result_cb fail, tt_result_cb complete, void *user_data) {
    tt__queue_result((tt__msg)msg, 0, fail, complete, user_data);
}

void tt__queue_failure(tt__task *t, int error, const char *detail) {
    if (t->final_queued) return;
    t->final_queued = 1;
    tt__task_mark_end(t);
    tt__timer_remove(t);
    tt__event *err = tt__event_new(TT__EV_ERROR, t->id);
    tt__event *cls = tt__event_new(TT__EV_CLOSE, t->id);
    if (cls == NULL) {
        /* Without a node for onClose the task could never end: at worst, reuse the error node. */
        if (err == NULL) return;
        cls = err;
        err = NULL;
    }
    if (err) {
        err->code = error;
        /* A detail that cannot be copied is not worth failing over; say why in general terms instead. */
        if (detail && detail[0] && (err->data2 = tt__strdup(detail)) == NULL) err->was_clean = 1;
        tt__event_push(err);
    }
    cls->code = TT_CLOSE_ABNORMAL;
    cls->was_clean = 0;
    tt__event_push(cls);
}

int tt__queue_open(uint32_t id, const char *protocol, const char *extensions) {
    tt__event *ev = tt__event_new(TT__EV_OPEN, id);
    if (ev == NULL) return TT_ENOMEM;
    ev->data = tt__strdup(protocol ? protocol : "");
    ev->data2 = tt__strdup(extensions ? extensions : "");
    if (ev->data == NULL || ev->data2 == NULL) {
        tt__event_free(ev);
        return TT_ENOMEM;
    }
    tt__event_push(ev);
    return 0;
}

int tt__queue_message(uint32_t id, tt_data_type type, const void *data, size_t length) {
    tt__event *ev = tt__event_new(TT__EV_MESSAGE, id);
    char *copy = ev ? tt__malloc(length + 1) : NULL;
    if (copy == NULL) {
        if (ev) tt__event_free(ev);
        return TT_ENOMEM;
    }
    if (length) memcpy(copy, data, length);
    copy[length] = '\0';
    ev->type = type;
    ev->data = copy;
    ev->length = length;
    tt__event_push(ev);
    return 0;
}

int tt__queue_close(uint32_t id, int code, const char *reason, size_t reason_length, int was_clean) {
    tt__event *ev = tt__event_new(TT__EV_CLOSE, id);
    char *copy = ev ? tt__strndup(reason ? reason : "", reason ? reason_length : 0) : NULL;
    if (copy == NULL) {
        if (ev) tt__event_free(ev);
        return TT_ENOMEM;
    }
    ev->code = code;
    ev->was_clean = was_clean ? 1 : 0;
    ev->data = copy;
    ev->length = reason_length;
    tt__event_push(ev);
    return 0;
}

/* ---- Delivery ----------------------------------------------------------------------------------- */

static tt__msg error_msg_for(int error) {
    switch (error) {
    case TT_ETIMEOUT: return TT__MSG_ERROR_TIMEOUT;
    case TT_ETOOBIG: return TT__MSG_ERROR_TOO_BIG;
    case TT_EBUFFER: return TT__MSG_ERROR_BUFFER_FULL;
    case TT_ECLOSED: return TT__MSG_ERROR_SHUTDOWN;
    default: return TT__MSG_ERROR_CONNECTION;
    }
}

static void deliver_open(tt__task *t, const char *protocol, const char *extensions) {
    if (t->state != TT_CONNECTING) return; /* close() while CONNECTING already failed it */
    t->state = TT_OPEN;
    if (t->on_open) {
        tt_open_profile profile;
        tt__observe_profile(&t->obs, &profile);
        tt_open_event e = {protocol ? protocol : "", extensions ? extensions : "", t->obs.header, t->obs.header_count,
                           &profile};
        tt__rt.queue.delivered++;
        t->on_open((tt_socket_task){t->id}, &e, t->on_open_ud);
    }
    /* The header fields were borrowed for the callback only; an open task should not carry them. Nothing
     * in a callback frees its task (tasks go after onClose), so t is still valid. */
    tt__observe_drop_header(&t->obs);
}

static void deliver_message(tt__task *t, tt_data_type type, const void *data, size_t length) {
    /* The browser drops messages that arrive once close() was called. */
    if (t->state != TT_OPEN || t->on_message == NULL) return;
    tt_message_event e = {type, data, length};
    tt__rt.queue.delivered++;
    t->on_message((tt_socket_task){t->id}, &e, t->on_message_ud);
}

static void deliver_error(tt__task *t, const tt__event *ev) {
    t->state = TT_CLOSED;
    if (t->on_error == NULL) return;
    tt__errmsg_text msg; /* the err_msg lent to the callback */
    const char *detail = ev->data2 ? ev->data2 : ev->was_clean ? tt_strerror(ev->code) : "";
    tt_error_event e = {tt__errmsg(error_msg_for(ev->code), &msg), detail};
    tt__rt.queue.delivered++;
    t->on_error((tt_socket_task){t->id}, &e, t->on_error_ud);
}

/* onClose is a task's last event: the task is freed after it. */
static void deliver_close(tt__task *t, const tt__event *ev) {
    t->state = TT_CLOSED;
    if (t->on_close) {
        tt_close_event e = {ev->code, ev->data ? ev->data : "", ev->was_clean};
        tt__rt.queue.delivered++;
        t->on_close((tt_socket_task){t->id}, &e, t->on_close_ud);
    }
    /* Look it up again: nothing in the callback can free it, but be exact about ownership. */
    t = tt__task_find(ev->task_id);
    if (t) tt__task_free(t);
}

static void deliver_result(const tt__event *ev) {
    tt__errmsg_text msg; /* the err_msg lent to the callbacks */
    tt_result r = {tt__errmsg(ev->msg, &msg), ev->result_id};
    if (ev->cb) {
        tt__rt.queue.delivered++;
        ev->cb(&r, ev->user_data);
    }
    if (ev->complete) {
        tt__rt.queue.delivered++;
        ev->complete(&r, ev->user_data);
    }
}

/* Delivers one queued entry. The task may be freed by it (onClose is always the last). */
static void deliver(tt__event *ev) {
    if (ev->kind == TT__EV_RESULT) {
        deliver_result(ev);
        return;
    }
    tt__task *t = tt__task_find(ev->task_id);
    if (t == NULL) return;
    switch (ev->kind) {
    case TT__EV_OPEN: deliver_open(t, ev->data, ev->data2); break;
    case TT__EV_MESSAGE: deliver_message(t, ev->type, ev->data ? ev->data : "", ev->length); break;
    case TT__EV_ERROR: deliver_error(t, ev); break;
    case TT__EV_CLOSE: deliver_close(t, ev); break;
    default: break;
    }
}

static tt__event *queue_head(void) {
    tt__list *n = tt__list_first(&tt__rt.queue.events);
    return n ? TT__LIST_ENTRY(n, tt__event, link) : NULL;
}

/*
 * Delivers queued entries from the head, in order, as long as there are any and, with results_only,
 * the head is a result (see dispatch_results()).
 */
static void deliver_queued(int results_only) {
    tt__reentry *re = &tt__rt.re;
    re->callback_depth++;
    for (tt__event *ev; (ev = queue_head()) != NULL && (!results_only || ev->kind == TT__EV_RESULT);) {
        tt__list_remove(&ev->link);
        /* An onError's onClose is next in the queue and nothing may come between them: results go after it. */
        tt__event *next = queue_head();
        int pair = ev->kind == TT__EV_ERROR && next && next->kind == TT__EV_CLOSE && next->task_id == ev->task_id;
        re->results_last = pair ? next : NULL;
        re->delivering = ev;
        deliver(ev);
        re->delivering = NULL;
        re->results_last = NULL;
        tt__event_free(ev);
    }
    re->callback_depth--;
}

int tt__dispatch_queue(void) {
    unsigned long before = tt__rt.queue.delivered;
    deliver_queued(0);
    tt__dispatch_pending_shutdown();
    return (int)(tt__rt.queue.delivered - before);
}

/*
 * After a message delivered directly: the results its callback queued (a send's success and complete, a
 * close's) are delivered now, in order, still outside any API call, so the queue is empty again and the
 * next message of the same read is delivered directly too (no copy), with every send made meanwhile
 * leaving in the same write. Only results, and only from the head: anything else (an error or a close,
 * which may free a task, while the transport is still inside its read) waits for tt__core_service(), and
 * so does everything behind it.
 */
static void dispatch_results(void) {
    if (!tt__queue_empty() && tt__core_where() != TT__IN_CALLBACK) deliver_queued(1);
}

void tt__deliver_message_now(tt__task *t, tt_data_type type, const void *data, size_t length) {
    tt__rt.re.callback_depth++;
    deliver_message(t, type, data, length);
    tt__rt.re.callback_depth--;
    dispatch_results();
}

/* ---- Re-entrancy: aborts, shutdown, recovery ------------------------------------------------------ */

static void abort_now(tt__task *t) {
    tt__conn *c = t->conn;
    t->conn = NULL;
    tt__transport_abort(c);
}

void tt__drop_connection(tt__task *t) {
    if (t->conn == NULL) return;
    if (tt__rt.re.transport_depth > 0) {
        /* Any order will do (an abort makes no up-call); newest first is how they have always run. */
        if (!tt__list_linked(&t->abort_link)) tt__list_push_front(&tt__rt.re.aborts, &t->abort_link);
        return;
    }
    abort_now(t);
}

void tt__forget_connection(tt__task *t) {
    t->conn = NULL;
    tt__list_remove(&t->abort_link);
}

void tt__run_pending_aborts(void) {
    tt__list *n;
    while (tt__rt.re.transport_depth == 0 && (n = tt__list_first(&tt__rt.re.aborts)) != NULL) {
        tt__list_remove(n);
        tt__task *t = TT__LIST_ENTRY(n, tt__task, abort_link);
        if (t->conn) abort_now(t);
    }
}

void tt__shutdown_if_pending(void) {
    if (tt__rt.re.shutdown_pending && tt__core_where() == TT__QUIET) {
        tt__rt.re.shutdown_pending = 0;
        tt__shutdown_now();
    }
}

void tt__core_recover(void) {
    tt__reentry *re = &tt__rt.re;
    if (tt__core_where() == TT__QUIET) return;
    tt__event *ev = re->delivering;
    re->delivering = NULL;
    re->results_last = NULL;
    re->callback_depth = 0;
    re->transport_depth = 0;
    if (ev) {
        /* Finish what deliver() would have done after the callback: onClose is a task's last event. */
        tt__task *t = ev->kind == TT__EV_CLOSE ? tt__task_find(ev->task_id) : NULL;
        if (t) tt__task_free(t);
        tt__event_free(ev);
    }
    tt__run_pending_aborts();
    tt__dispatch_pending_shutdown();
    if (!tt__queue_empty()) tt__transport_schedule(0);
}
