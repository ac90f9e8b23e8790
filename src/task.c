/*
 * The core: the public API, the task table, the state machine, timers and the dispatch queue.
 *
 * Every behaviour a game can observe is decided here, once, for both builds: validation, errMsg strings,
 * the order of callbacks, readyState, close codes. Transports (src/transport.h) only move bytes and
 * report what happened on the wire through the tt__core_* up-calls.
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

#include "errmsg.h"
#include "heap.h"
#include "stats.h"
#include "transport.h"
#include "tt_internal.h"
#include "utf8.h"
#include "validate.h"

#define TT__DEFAULT_CONNECT_TIMEOUT_MS 60000
#define TT__DEFAULT_CLOSE_TIMEOUT_MS 60000
#define TT__DEFAULT_MAX_MESSAGE ((size_t)64 * 1024 * 1024)
/* The last socketTaskId: ids are 32-bit, start at 1 and are never reused, so this many tasks can exist. */
#define TT__TASK_ID_MAX UINT32_MAX

/* ---- Types ------------------------------------------------------------------------------------- */

typedef struct tt__task tt__task;
struct tt__task {
    uint32_t id;
    tt_ready_state state; /* what the game sees */
    tt__conn *conn;       /* NULL once the transport has let go of the connection */
    int transport_open;   /* the transport reported open (the connect timer is disarmed) */
    int final_queued;     /* onError/onClose are queued: nothing more is queued for this task */
    int abort_pending;    /* the core failed the task while the transport was busy: abort later */
    tt__heap_node timer;  /* the connect timeout, while in rt.timers */
    tt__task *abort_next;
    tt_open_cb on_open;
    void *on_open_ud;
    tt_message_cb on_message;
    void *on_message_ud;
    tt_close_cb on_close;
    void *on_close_ud;
    tt_error_cb on_error;
    void *on_error_ud;
    tt__observe obs; /* profile, response header and counters (stats.c) */
};

typedef enum tt__event_kind { TT__EV_RESULT, TT__EV_OPEN, TT__EV_MESSAGE, TT__EV_ERROR, TT__EV_CLOSE } tt__event_kind;

typedef struct tt__event tt__event;
struct tt__event {
    tt__event *next;
    tt__event_kind kind;
    uint32_t task_id;
    /* TT__EV_RESULT */
    tt__msg msg;
    uint32_t result_id;
    tt_result_cb cb, complete;
    void *user_data;
    /* events */
    int code;      /* close code, or the TT_E* code of an error */
    int was_clean; /* onClose: the flag; onError: 1 when the detail could not be copied */
    tt_data_type type;
    char *data; /* owned: message payload, close reason, protocol */
    size_t length;
    char *data2; /* owned: extensions, or the error detail */
};

/* ---- Runtime state ----------------------------------------------------------------------------- */

static struct {
    /* The task table: open addressing on id, linear probing, power-of-two capacity. */
    tt__task **slots;
    size_t capacity;
    size_t count;
    uint64_t next_id; /* past TT__TASK_ID_MAX once every id was issued */

    tt__event *head, *tail; /* the dispatch queue */
    tt__event *free_events; /* recycled nodes, so steady traffic does not allocate */
    size_t free_event_count;

    tt__heap timers;  /* connect deadlines (room reserved for every task) */
    tt__task *aborts; /* tasks whose transport abort waits for the transport to return */

    int callback_depth;  /* > 0 while a game callback runs */
    int transport_depth; /* > 0 while inside tt__transport_poll or an up-call */
    int transport_ready;
    int shutdown_pending;    /* tt_runtime_shutdown was called from inside a callback */
    unsigned long delivered; /* callbacks delivered, ever */

    tt_runtime_config config; /* defaults applied; strings owned */
    char **domains;
    char *ca_file;

    int results_first;       /* a queued entry is being delivered: results go ahead of the rest */
    tt__event *results_last; /* the last result put ahead during that delivery */
    tt__event *delivering;   /* the queued entry being delivered (for tt__core_recover) */
} rt = {.next_id = 1,
        .config = {.connect_timeout_ms = TT__DEFAULT_CONNECT_TIMEOUT_MS,
                   .max_message_size = TT__DEFAULT_MAX_MESSAGE,
                   .close_timeout_ms = TT__DEFAULT_CLOSE_TIMEOUT_MS}};

static void dispatch_pending_shutdown(void);

/* The statistics of every task already gone, for tt_runtime_stats(). */
static tt_task_stats finished_stats;

static int wire_counted(void) { return (tt__transport_capabilities() & TT_CAP_WIRE_STATS) != 0; }

/* The task's end is when its final event was queued: time open stops counting there. */
static void mark_end(tt__task *t) {
    if (t->obs.end == TT_PROFILE_UNKNOWN) t->obs.end = (int64_t)tt__now_ms();
}

/* ---- Task table -------------------------------------------------------------------------------- */

static size_t slot_of(uint32_t id, size_t capacity) {
    /* Fibonacci hashing spreads consecutive ids over the table. */
    return (size_t)((id * 2654435769u) & (uint32_t)(capacity - 1));
}

static tt__task *task_find(uint32_t id) {
    if (id == 0 || rt.capacity == 0) return NULL;
    for (size_t i = slot_of(id, rt.capacity), n = 0; n < rt.capacity; i = (i + 1) & (rt.capacity - 1), n++) {
        tt__task *t = rt.slots[i];
        if (t == NULL) return NULL;
        if (t->id == id) return t;
    }
    return NULL;
}

static void table_place(tt__task **slots, size_t capacity, tt__task *t) {
    size_t i = slot_of(t->id, capacity);
    while (slots[i] != NULL) i = (i + 1) & (capacity - 1);
    slots[i] = t;
}

static int table_insert(tt__task *t) {
    if ((rt.count + 1) * 4 > rt.capacity * 3) { /* keep the load under 3/4 */
        size_t cap = rt.capacity ? rt.capacity * 2 : 16;
        tt__task **slots = tt__calloc(cap, sizeof *slots);
        if (slots == NULL) return TT_ENOMEM;
        for (size_t i = 0; i < rt.capacity; i++)
            if (rt.slots[i]) table_place(slots, cap, rt.slots[i]);
        tt__free(rt.slots);
        rt.slots = slots;
        rt.capacity = cap;
    }
    table_place(rt.slots, rt.capacity, t);
    rt.count++;
    return 0;
}

/* Removes t, re-placing the rest of its probe run so later lookups still find them. */
static void table_remove(tt__task *t) {
    size_t i = slot_of(t->id, rt.capacity);
    while (rt.slots[i] != t) i = (i + 1) & (rt.capacity - 1);
    rt.slots[i] = NULL;
    rt.count--;
    for (size_t j = (i + 1) & (rt.capacity - 1); rt.slots[j] != NULL; j = (j + 1) & (rt.capacity - 1)) {
        tt__task *moved = rt.slots[j];
        rt.slots[j] = NULL;
        table_place(rt.slots, rt.capacity, moved);
    }
}

/* ---- Timers ------------------------------------------------------------------------------------ */

static void timer_remove(tt__task *t) { tt__heap_remove(&rt.timers, &t->timer); }

/* Room for the task's timer is reserved when the task is created (tt_connect_socket), so this cannot fail. */
static void timer_add(tt__task *t, uint64_t deadline) { tt__heap_insert(&rt.timers, &t->timer, deadline); }

static tt__task *timer_first(void) {
    tt__heap_node *n = tt__heap_min(&rt.timers);
    return n ? TT__HEAP_OWNER(n, tt__task, timer) : NULL;
}

int64_t tt__core_next_timer_ms(void) {
    tt__task *t = timer_first();
    if (t == NULL) return -1;
    uint64_t now = tt__now_ms();
    return t->timer.deadline > now ? (int64_t)(t->timer.deadline - now) : 0;
}

/* ---- Queue ------------------------------------------------------------------------------------- */

/*
 * A few static nodes stand in when malloc fails, so that a result or a task's final onError/onClose is
 * not lost to a passing out-of-memory condition.
 */
#define TT__RESERVE_EVENTS 8
static tt__event reserve_events[TT__RESERVE_EVENTS];
static unsigned reserve_used; /* bit i set = reserve_events[i] in use */

static int is_reserve(const tt__event *ev) {
    return ev >= &reserve_events[0] && ev < &reserve_events[TT__RESERVE_EVENTS];
}

static tt__event *event_new(tt__event_kind kind, uint32_t task_id) {
    tt__event *ev = rt.free_events;
    if (ev) {
        rt.free_events = ev->next;
        rt.free_event_count--;
    } else if ((ev = tt__malloc(sizeof *ev)) == NULL) {
        for (unsigned i = 0; i < TT__RESERVE_EVENTS && ev == NULL; i++)
            if (!(reserve_used & (1u << i))) {
                reserve_used |= 1u << i;
                ev = &reserve_events[i];
            }
        if (ev == NULL) return NULL;
    }
    memset(ev, 0, sizeof *ev);
    ev->kind = kind;
    ev->task_id = task_id;
    return ev;
}

static void event_free(tt__event *ev) {
    tt__free(ev->data);
    tt__free(ev->data2);
    ev->data = ev->data2 = NULL;
    if (is_reserve(ev)) {
        reserve_used &= ~(1u << (unsigned)(ev - reserve_events));
    } else if (rt.free_event_count < 64) {
        ev->next = rt.free_events;
        rt.free_events = ev;
        rt.free_event_count++;
    } else {
        tt__free(ev);
    }
}

static void event_push(tt__event *ev) {
    ev->next = NULL;
    if (rt.tail) rt.tail->next = ev;
    else rt.head = ev;
    rt.tail = ev;
    /* The web build has no poll loop of the game's: ask its event loop to come back. */
    tt__transport_schedule(0);
}

/*
 * Puts a result right behind those already put ahead during the current delivery, in front of every
 * entry that was queued before: the results of a call made in a callback come right after that callback,
 * as they do when the callback was delivered directly (and in the browser, where each event is its own
 * task).
 */
static void event_push_ahead(tt__event *ev) {
    if (rt.results_last) {
        ev->next = rt.results_last->next;
        rt.results_last->next = ev;
    } else {
        ev->next = rt.head;
        rt.head = ev;
    }
    if (ev->next == NULL) rt.tail = ev;
    rt.results_last = ev;
    tt__transport_schedule(0);
}

/* Queues success-or-fail plus complete as one entry, so nothing can come between them. */
static void queue_result(tt__msg msg, uint32_t result_id, tt_result_cb cb, tt_result_cb complete, void *ud) {
    if (cb == NULL && complete == NULL) return;
    tt__event *ev = event_new(TT__EV_RESULT, 0);
    if (ev == NULL) return; /* out of memory: a result nobody can be told about is dropped */
    ev->msg = msg;
    ev->result_id = result_id;
    ev->cb = cb;
    ev->complete = complete;
    ev->user_data = ud;
    if (rt.results_first) event_push_ahead(ev);
    else event_push(ev);
}

void tt__queue_no_memory(int msg, tt_result_cb fail, tt_result_cb complete, void *user_data) {
    queue_result((tt__msg)msg, 0, fail, complete, user_data);
}

/* Queues the end of a failed task: onError, then onClose 1006 / not clean. */
static void queue_failure(tt__task *t, int error, const char *detail) {
    if (t->final_queued) return;
    t->final_queued = 1;
    mark_end(t);
    timer_remove(t);
    tt__event *err = event_new(TT__EV_ERROR, t->id);
    tt__event *cls = event_new(TT__EV_CLOSE, t->id);
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
        event_push(err);
    }
    cls->code = TT_CLOSE_ABNORMAL;
    cls->was_clean = 0;
    event_push(cls);
}

/* ---- Delivery ---------------------------------------------------------------------------------- */

static tt__msg error_msg_for(int error) {
    switch (error) {
    case TT_ETIMEOUT: return TT__MSG_ERROR_TIMEOUT;
    case TT_ETOOBIG: return TT__MSG_ERROR_TOO_BIG;
    case TT_EBUFFER: return TT__MSG_ERROR_BUFFER_FULL;
    case TT_ECLOSED: return TT__MSG_ERROR_SHUTDOWN;
    default: return TT__MSG_ERROR_CONNECTION;
    }
}

/* Adds a task's counters to the runtime's sum of finished tasks and frees what it observed. */
static void task_retire(tt__task *t) {
    tt_task_stats s;
    mark_end(t);
    tt__observe_stats(&t->obs, 0, 1, &s); /* ended: no clock needed; raw: unknowns are marked on output */
    tt__stats_add(&finished_stats, &s);
    tt__observe_drop_header(&t->obs);
}

static void task_free(tt__task *t) {
    timer_remove(t);
    table_remove(t);
    task_retire(t);
    tt__free(t);
}

static void deliver_open(tt__task *t, const char *protocol, const char *extensions) {
    if (t->state != TT_CONNECTING) return; /* close() while CONNECTING already failed it */
    t->state = TT_OPEN;
    if (t->on_open) {
        tt_open_profile profile;
        tt__observe_profile(&t->obs, &profile);
        tt_open_event e = {protocol ? protocol : "", extensions ? extensions : "", t->obs.header, t->obs.header_count,
                           &profile};
        rt.delivered++;
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
    rt.delivered++;
    t->on_message((tt_socket_task){t->id}, &e, t->on_message_ud);
}

/* Delivers one queued entry. The task may be freed by it (onClose is always the last). */
static void deliver(tt__event *ev) {
    tt__errmsg_text msg; /* the err_msg lent to the callbacks below */
    if (ev->kind == TT__EV_RESULT) {
        tt_result r = {tt__errmsg(ev->msg, &msg), ev->result_id};
        if (ev->cb) {
            rt.delivered++;
            ev->cb(&r, ev->user_data);
        }
        if (ev->complete) {
            rt.delivered++;
            ev->complete(&r, ev->user_data);
        }
        return;
    }
    tt__task *t = task_find(ev->task_id);
    if (t == NULL) return;
    tt_socket_task handle = {t->id};
    switch (ev->kind) {
    case TT__EV_OPEN: deliver_open(t, ev->data, ev->data2); break;
    case TT__EV_MESSAGE: deliver_message(t, ev->type, ev->data ? ev->data : "", ev->length); break;
    case TT__EV_ERROR:
        t->state = TT_CLOSED;
        if (t->on_error) {
            const char *detail = ev->data2 ? ev->data2 : ev->was_clean ? tt_strerror(ev->code) : "";
            tt_error_event e = {tt__errmsg(error_msg_for(ev->code), &msg), detail};
            rt.delivered++;
            t->on_error(handle, &e, t->on_error_ud);
        }
        break;
    case TT__EV_CLOSE:
        t->state = TT_CLOSED;
        if (t->on_close) {
            tt_close_event e = {ev->code, ev->data ? ev->data : "", ev->was_clean};
            rt.delivered++;
            t->on_close(handle, &e, t->on_close_ud);
        }
        /* Look it up again: nothing in the callback can free it, but be exact about ownership. */
        t = task_find(ev->task_id);
        if (t) task_free(t);
        break;
    default: break;
    }
}

/*
 * Delivers queued entries from the head, in order, as long as there are any and, with results_only,
 * the head is a result (see dispatch_results()).
 */
static void deliver_queued(int results_only) {
    rt.callback_depth++;
    while (rt.head && (!results_only || rt.head->kind == TT__EV_RESULT)) {
        tt__event *ev = rt.head;
        rt.head = ev->next;
        if (rt.head == NULL) rt.tail = NULL;
        rt.results_first = 1;
        /* An onError's onClose is next in the queue and nothing may come between them: results go after it. */
        int pair =
            ev->kind == TT__EV_ERROR && rt.head && rt.head->kind == TT__EV_CLOSE && rt.head->task_id == ev->task_id;
        rt.results_last = pair ? rt.head : NULL;
        rt.delivering = ev;
        deliver(ev);
        rt.delivering = NULL;
        rt.results_first = 0;
        rt.results_last = NULL;
        event_free(ev);
    }
    rt.callback_depth--;
}

static int dispatch_queue(void) {
    unsigned long before = rt.delivered;
    deliver_queued(0);
    dispatch_pending_shutdown();
    return (int)(rt.delivered - before);
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
    if (rt.head != NULL && rt.callback_depth == 0) deliver_queued(1);
}

/* Direct delivery is allowed when it cannot overtake anything or run inside a game callback. */
static int can_deliver_now(void) { return rt.head == NULL && rt.callback_depth == 0; }

/* ---- Failing a task from the core -------------------------------------------------------------- */

/* Drops the transport connection now, or once the transport has returned if it is busy. */
static void drop_connection(tt__task *t) {
    if (t->conn == NULL) return;
    if (rt.transport_depth > 0) {
        if (!t->abort_pending) {
            t->abort_pending = 1;
            t->abort_next = rt.aborts;
            rt.aborts = t;
        }
        return;
    }
    tt__conn *c = t->conn;
    t->conn = NULL;
    tt__transport_abort(c);
}

static void fail_task(tt__task *t, int error, const char *detail) {
    drop_connection(t);
    queue_failure(t, error, detail);
}

static void run_pending_aborts(void) {
    while (rt.aborts && rt.transport_depth == 0) {
        tt__task *t = rt.aborts;
        rt.aborts = t->abort_next;
        t->abort_next = NULL;
        if (!t->abort_pending) continue;
        t->abort_pending = 0;
        if (t->conn) {
            tt__conn *c = t->conn;
            t->conn = NULL;
            tt__transport_abort(c);
        }
    }
}

static void transport_enter(void) { rt.transport_depth++; }
static void transport_leave(void) {
    rt.transport_depth--;
    if (rt.transport_depth == 0) run_pending_aborts();
}

void tt__core_recover(void) {
    if (rt.callback_depth == 0 && rt.transport_depth == 0) return;
    tt__event *ev = rt.delivering;
    rt.delivering = NULL;
    rt.callback_depth = 0;
    rt.transport_depth = 0;
    rt.results_first = 0;
    rt.results_last = NULL;
    if (ev) {
        /* Finish what deliver() would have done after the callback: onClose is a task's last event. */
        tt__task *t = ev->kind == TT__EV_CLOSE ? task_find(ev->task_id) : NULL;
        if (t) task_free(t);
        event_free(ev);
    }
    run_pending_aborts();
    dispatch_pending_shutdown();
    if (rt.head) tt__transport_schedule(0);
}

static void run_timers(void) {
    tt__task *t = timer_first();
    if (t == NULL) return;
    uint64_t now = tt__now_ms();
    for (; t && t->timer.deadline <= now; t = timer_first()) {
        timer_remove(t);
        fail_task(t, TT_ETIMEOUT, "connect: timed out");
    }
}

static void schedule_timer(void) {
    int64_t ms = tt__core_next_timer_ms();
    if (ms >= 0) tt__transport_schedule(ms);
}

/* ---- Up-calls ---------------------------------------------------------------------------------- */

/* An up-call for a task the core has already failed (or that is gone) changes nothing. */
static tt__task *upcall_task(uint32_t id) {
    tt__task *t = task_find(id);
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
    transport_enter();
    t->transport_open = 1;
    t->obs.times.open = (int64_t)tt__now_ms();
    timer_remove(t);
    tt__event *ev = event_new(TT__EV_OPEN, id);
    if (ev) {
        ev->data = tt__strdup(protocol ? protocol : "");
        ev->data2 = tt__strdup(extensions ? extensions : "");
    }
    if (ev == NULL || ev->data == NULL || ev->data2 == NULL) {
        if (ev) event_free(ev);
        fail_task(t, TT_ENOMEM, "out of memory");
    } else {
        event_push(ev);
    }
    transport_leave();
    dispatch_pending_shutdown();
}

void tt__core_on_message(uint32_t id, tt_data_type type, const void *data, size_t length) {
    tt__task *t = upcall_task(id);
    if (t == NULL) return;
    TT__COUNT(t->obs.stats.messages_received, 1);
    TT__COUNT(t->obs.stats.bytes_received, length);
    transport_enter();
    if (length > rt.config.max_message_size) {
        /* The native engine refuses this from the frame header; the web build only learns it here. */
        fail_task(t, TT_ETOOBIG, TT__DETAIL_TOO_BIG);
    } else if (can_deliver_now()) {
        rt.callback_depth++;
        deliver_message(t, type, data, length);
        rt.callback_depth--;
        dispatch_results();
    } else if (t->state == TT_CONNECTING || t->state == TT_OPEN) {
        /* CONNECTING: an onOpen is still queued ahead of it. CLOSING/CLOSED would drop it anyway. */
        tt__event *ev = event_new(TT__EV_MESSAGE, id);
        char *copy = ev ? tt__malloc(length + 1) : NULL;
        if (copy == NULL) {
            if (ev) event_free(ev);
            fail_task(t, TT_ENOMEM, "out of memory");
        } else {
            if (length) memcpy(copy, data, length);
            copy[length] = '\0';
            ev->type = type;
            ev->data = copy;
            ev->length = length;
            event_push(ev);
        }
    }
    transport_leave();
    dispatch_pending_shutdown();
}

/* The transport has freed the connection; forget it, including any abort still waiting for it. */
static tt__task *upcall_end(uint32_t id) {
    tt__task *t = task_find(id);
    if (t == NULL) return NULL;
    t->conn = NULL;
    t->abort_pending = 0;
    if (t->final_queued) return NULL;
    return t;
}

void tt__core_on_fail(uint32_t id, int error, const char *detail) {
    tt__task *t = upcall_end(id);
    if (t == NULL) return;
    queue_failure(t, error, detail);
}

void tt__core_on_close(uint32_t id, int code, const char *reason, size_t reason_length, int was_clean) {
    tt__task *t = upcall_end(id);
    if (t == NULL) return;
    t->final_queued = 1;
    mark_end(t);
    timer_remove(t);
    tt__event *ev = event_new(TT__EV_CLOSE, id);
    char *copy = ev ? tt__strndup(reason ? reason : "", reason ? reason_length : 0) : NULL;
    if (copy == NULL) {
        if (ev) event_free(ev);
        t->final_queued = 0;
        queue_failure(t, TT_ENOMEM, "out of memory");
        return;
    }
    ev->code = code;
    ev->was_clean = was_clean ? 1 : 0;
    ev->data = copy;
    ev->length = reason_length;
    event_push(ev);
}

void tt__core_on_phase(uint32_t id, tt__phase phase) {
    tt__task *t = task_find(id);
    if (t && !t->final_queued) tt__observe_phase(&t->obs, phase, tt__now_ms());
}

void tt__core_on_host_phase(uint32_t id, tt__phase phase, int64_t ms) {
    tt__task *t = task_find(id);
    if (t && !t->final_queued) tt__observe_host_phase(&t->obs, phase, ms);
}

void tt__core_on_response_header(uint32_t id, tt_header *fields, size_t count) {
    tt__task *t = upcall_task(id);
    if (t == NULL) tt__free(fields);
    else tt__observe_take_header(&t->obs, fields, count);
}

int tt__core_service(void) {
    if (rt.callback_depth > 0) return 0;
    run_timers();
    int n = dispatch_queue();
    schedule_timer();
    return n;
}

const tt_runtime_config *tt__core_config(void) { return &rt.config; }

void tt__core_set_next_task_id(uint64_t id) { rt.next_id = id; }

/* ---- Public API: connect ----------------------------------------------------------------------- */

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

/* Same order of checks as the browser's constructor (URL, then protocols), then tt's own rules. */
static int connect_validate(const tt_connect_socket_options *o, tt__url *url) {
    int rc = tt__validate_url(o->url, (const char *const *)rt.domains, rt.config.socket_domain_count,
                              rt.config.skip_domain_check, url);
    if (rc == 0) rc = tt__validate_protocols(o->protocols, o->protocol_count);
    if (rc == 0) rc = tt__validate_headers(o->header, o->header_count);
    if (rc == 0 && o->timeout_ms < 0) rc = TT_ETIMEOUTARG;
    if (rc == 0 && rt.config.max_connections > 0 && rt.count >= (size_t)rt.config.max_connections) rc = TT_ELIMIT;
    return rc;
}

tt_socket_task tt_connect_socket(const tt_connect_socket_options *o) {
    tt_socket_task none = {0};
    if (o == NULL) return none;
    tt__url url;
    int rc = connect_validate(o, &url);
    if (rc == 0 && rt.next_id > TT__TASK_ID_MAX) {
        /* Every id was issued once: reusing one could make a game's stale handle reach a new task. */
        queue_result(TT__MSG_CONNECT_IDS_EXHAUSTED, 0, o->fail, o->complete, o->user_data);
        return none;
    }
    if (rc == 0 && !rt.transport_ready) {
        rc = tt__transport_init();
        if (rc == 0) rt.transport_ready = 1;
        else rc = TT_ENOMEM;
    }
    tt__task *t = NULL;
    if (rc == 0) {
        t = tt__calloc(1, sizeof *t);
        if (t == NULL) rc = TT_ENOMEM;
    }
    if (rc == 0) {
        t->id = (uint32_t)rt.next_id;
        rc = tt__heap_reserve(&rt.timers, rt.count + 1);
        if (rc == 0) rc = table_insert(t);
        if (rc != 0) tt__free(t);
    }
    if (rc != 0) {
        queue_result(connect_msg_for(rc), 0, o->fail, o->complete, o->user_data);
        return none;
    }
    rt.next_id++;
    t->state = TT_CONNECTING;
    tt__observe_init(&t->obs, tt__now_ms());
    queue_result(TT__MSG_CONNECT_OK, t->id, o->success, o->complete, o->user_data);

    int timeout = o->timeout_ms > 0 ? o->timeout_ms : rt.config.connect_timeout_ms;
    tt__open_params p = {
        t->id,   o->url,           &url, o->header, o->header_count, o->protocols, o->protocol_count, &t->obs.stats,
        timeout, rt.config.backend};
    tt__conn *conn = NULL;
    transport_enter();
    rc = tt__transport_open(&p, &conn);
    transport_leave();
    if (rc != 0) {
        /* Like a browser that cannot reach the host: the task exists, then fails. */
        queue_failure(t, rc, tt_strerror(rc));
    } else {
        t->conn = conn;
        timer_add(t, tt__now_ms() + (uint64_t)timeout);
        schedule_timer();
    }
    return (tt_socket_task){t->id};
}

/* ---- Public API: send and close ---------------------------------------------------------------- */

static tt__task *task_for_call(tt_socket_task task, int *unknown_id) {
    tt__task *t = task_find(task.id);
    *unknown_id = (t == NULL && (task.id == 0 || (uint64_t)task.id >= rt.next_id));
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
            queue_result(TT__MSG_SEND_NOT_CONNECTED, 0, o->fail, o->complete, o->user_data);
            fail_task(t, TT_EBUFFER, "send buffer limit exceeded");
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
    queue_result(msg, 0, msg == TT__MSG_SEND_OK ? o->success : o->fail, o->complete, o->user_data);
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
    queue_result(msg, 0, msg == TT__MSG_CLOSE_OK ? o->success : o->fail, o->complete, o->user_data);
    if (msg != TT__MSG_CLOSE_OK) return;
    /* The result is queued first: close() returns before any event it causes. */
    if (t->state == TT_CONNECTING) {
        /* The browser fails a connection that is closed before it opened: error, then close 1006. */
        t->state = TT_CLOSING;
        fail_task(t, TT_ECONNECT, "closed before the connection was established");
    } else {
        t->state = TT_CLOSING;
        if (t->conn && !t->final_queued) {
            rc = tt__transport_close(t->conn, code, o->reason ? o->reason : "", reason_len);
            if (rc != 0) fail_task(t, rc, tt_strerror(rc));
        }
    }
}

/* ---- Public API: listeners and getters --------------------------------------------------------- */

static tt__task *listener_task(tt_socket_task task) { return task_find(task.id); }

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
    tt__task *t = task_find(task.id);
    return t ? t->state : TT_CLOSED;
}

size_t tt_socket_task_buffered_amount(tt_socket_task task) {
    tt__task *t = task_find(task.id);
    if (t == NULL) return 0;
    return t->conn ? tt__transport_buffered_amount(t->conn) : 0;
}

/* ---- Public API: what a game can see ----------------------------------------------------------- */

int tt_socket_task_stats(tt_socket_task task, tt_task_stats *stats, size_t stats_size) {
    if (stats == NULL) return TT_EINVAL;
    tt__task *t = task_find(task.id);
    if (t == NULL) return TT_ENOTASK;
    tt_task_stats s;
    tt__observe_stats(&t->obs, tt__now_ms(), wire_counted(), &s);
    return tt__stats_copy_out(&s, stats, stats_size);
}

int tt_runtime_stats(tt_task_stats *stats, size_t stats_size) {
    tt_task_stats sum = finished_stats, s;
    uint64_t now = tt__now_ms();
    for (size_t i = 0; i < rt.capacity; i++) {
        if (rt.slots[i] == NULL) continue;
        tt__observe_stats(&rt.slots[i]->obs, now, 1, &s);
        tt__stats_add(&sum, &s);
    }
    if (!wire_counted()) tt__stats_wire_unknown(&sum); /* also before the first task */
    return tt__stats_copy_out(&sum, stats, stats_size);
}

uint32_t tt_runtime_capabilities(void) { return tt__transport_capabilities(); }

/* ---- Public API: runtime ----------------------------------------------------------------------- */

static void config_free(void) {
    for (size_t i = 0; rt.domains && i < rt.config.socket_domain_count; i++) tt__free(rt.domains[i]);
    tt__free(rt.domains);
    tt__free(rt.ca_file);
    rt.domains = NULL;
    rt.ca_file = NULL;
    memset(&rt.config, 0, sizeof rt.config);
    rt.config.connect_timeout_ms = TT__DEFAULT_CONNECT_TIMEOUT_MS;
    rt.config.close_timeout_ms = TT__DEFAULT_CLOSE_TIMEOUT_MS;
    rt.config.max_message_size = TT__DEFAULT_MAX_MESSAGE;
}

int tt_runtime_configure(const tt_runtime_config *c) {
    if (c == NULL) return TT_EINVAL;
    if (c->connect_timeout_ms < 0 || c->max_connections < 0 || c->close_timeout_ms < 0 ||
        (c->socket_domain_count > 0 && c->socket_domains == NULL) || tt__transport_backend(c->backend) == NULL)
        return TT_EINVAL;
    char **domains = NULL;
    char *ca = NULL;
    if (c->socket_domain_count > 0) {
        domains = tt__calloc(c->socket_domain_count, sizeof *domains);
        if (domains == NULL) return TT_ENOMEM;
    }
    for (size_t i = 0; i < c->socket_domain_count; i++) {
        if (c->socket_domains[i] == NULL || (domains[i] = tt__strdup(c->socket_domains[i])) == NULL) {
            for (size_t j = 0; j < i; j++) tt__free(domains[j]);
            tt__free(domains);
            return c->socket_domains[i] == NULL ? TT_EINVAL : TT_ENOMEM;
        }
    }
    if (c->ca_file && (ca = tt__strdup(c->ca_file)) == NULL) {
        for (size_t j = 0; j < c->socket_domain_count; j++) tt__free(domains[j]);
        tt__free(domains);
        return TT_ENOMEM;
    }
    config_free();
    rt.domains = domains;
    rt.ca_file = ca;
    rt.config = *c;
    rt.config.socket_domains = (const char *const *)domains;
    rt.config.ca_file = ca;
    if (rt.config.connect_timeout_ms == 0) rt.config.connect_timeout_ms = TT__DEFAULT_CONNECT_TIMEOUT_MS;
    if (rt.config.close_timeout_ms == 0) rt.config.close_timeout_ms = TT__DEFAULT_CLOSE_TIMEOUT_MS;
    if (rt.config.max_message_size == 0) rt.config.max_message_size = TT__DEFAULT_MAX_MESSAGE;
    return 0;
}

const char *tt_runtime_backend(void) {
    const char *name = tt__transport_backend(rt.config.backend);
    return name ? name : "none";
}

static int live_work(void) { return rt.count > 0 || rt.head != NULL; }

int tt_runtime_poll(int timeout_ms) {
    if (rt.callback_depth > 0) return TT_EINCALLBACK;
    if (timeout_ms < -1) return TT_EINVAL;
    unsigned long before = rt.delivered;
    uint64_t start = tt__now_ms();
    for (;;) {
        tt__core_service();
        int wait = 0; /* once something was delivered, the transport still gets a non-blocking pass */
        if (timeout_ms != 0 && rt.delivered == before && live_work()) {
            int64_t left = -1;
            if (timeout_ms > 0) {
                uint64_t spent = tt__now_ms() - start;
                left = spent >= (uint64_t)timeout_ms ? 0 : (int64_t)timeout_ms - (int64_t)spent;
            }
            int64_t timer = tt__core_next_timer_ms();
            if (timer >= 0 && (left < 0 || timer < left)) left = timer;
            wait = left > 0x7fffffff ? 0x7fffffff : (int)left;
        }
        if (rt.transport_ready) {
            transport_enter();
            int rc = tt__transport_poll(wait);
            transport_leave();
            if (rc < 0) return rc;
        }
        tt__core_service();
        /* An endless wait with nothing that could ever end it: say so, instead of returning 0 to a
         * `while (!done) tt_runtime_poll(-1);` loop that would then spin (a refused task, for one). */
        if (timeout_ms == -1 && rt.delivered == before && !live_work()) return TT_EIDLE;
        /* An endless wait that this transport cannot do (the browser's event loop delivers only after
         * we return): say so, rather than return 0 to a wait loop that would spin forever. */
        if (timeout_ms == -1 && rt.delivered == before && live_work() && !tt__transport_can_block())
            return TT_EWOULDBLOCK;
        if (rt.delivered != before || timeout_ms == 0 || !live_work() || !tt__transport_can_block() ||
            !rt.transport_ready)
            break;
        if (timeout_ms > 0 && tt__now_ms() - start >= (uint64_t)timeout_ms) break;
    }
    return (int)(rt.delivered - before);
}

static void shutdown_now(void) {
    /* Each round fails what is alive and delivers the results; callbacks may create tasks again,
     * so repeat a bounded number of times. */
    for (int round = 0; round < 16 && live_work(); round++) {
        for (size_t i = 0; i < rt.capacity; i++) {
            tt__task *t = rt.slots ? rt.slots[i] : NULL;
            if (t && !t->final_queued) fail_task(t, TT_ECLOSED, "runtime shut down");
        }
        run_pending_aborts();
        dispatch_queue();
    }
    /* Whatever is still here (a game that reconnects forever) is freed without callbacks. */
    while (rt.head) {
        tt__event *ev = rt.head;
        rt.head = ev->next;
        event_free(ev);
    }
    rt.tail = NULL;
    for (size_t i = 0; i < rt.capacity; i++) {
        tt__task *t = rt.slots ? rt.slots[i] : NULL;
        if (t && t->conn) tt__transport_abort(t->conn);
        if (t) task_retire(t);
        tt__free(t);
    }
    tt__free(rt.slots);
    rt.slots = NULL;
    rt.capacity = rt.count = 0;
    tt__heap_free(&rt.timers);
    rt.aborts = NULL;
    while (rt.free_events) {
        tt__event *ev = rt.free_events;
        rt.free_events = ev->next;
        tt__free(ev);
    }
    rt.free_event_count = 0;
    if (rt.transport_ready) tt__transport_shutdown();
    rt.transport_ready = 0;
    config_free();
}

static void dispatch_pending_shutdown(void) {
    if (rt.shutdown_pending && rt.callback_depth == 0 && rt.transport_depth == 0) {
        rt.shutdown_pending = 0;
        shutdown_now();
    }
}

void tt_runtime_shutdown(void) {
    if (rt.callback_depth > 0 || rt.transport_depth > 0) {
        /* Tearing everything down under a running callback would pull the floor from under it. */
        rt.shutdown_pending = 1;
        return;
    }
    shutdown_now();
}
