/*
 * The core's private declarations: the task record, the queued event, and the one runtime record that
 * the core's files share (task table, dispatch queue, re-entrancy state, timers, configuration).
 *
 * Who answers what:
 *   src/table.c    where a task is: the task table (id -> task)
 *   src/queue.c    when the game hears of it: the dispatch queue, delivery and the re-entrancy rules below
 *   src/task.c     what a task does: the public SocketTask API, the up-calls (the state machine), timers
 *   src/runtime.c  the runtime as a whole: configuration, tt_runtime_poll, shutdown, runtime statistics
 *
 * Re-entrancy: one record (tt__reentry) says where the core is when a call arrives, and these rules,
 * stated here once, are what every file of the core follows:
 *   1. Game callbacks never nest. While one runs (IN_CALLBACK) tt_runtime_poll refuses with
 *      TT_EINCALLBACK and tt__core_service delivers nothing; calls the callback makes only queue.
 *   2. While the transport runs (IN_TRANSPORT: inside tt__transport_open, tt__transport_poll or an
 *      up-call) the core never calls tt__transport_abort: a task failed then joins the abort list, and the
 *      aborts run when the outermost transport call returns (tt__transport_leave).
 *   3. A message up-call is delivered at once, with borrowed data, only when the queue is empty and no
 *      callback runs (tt__can_deliver_now); else it is copied into the queue, so order is kept either way.
 *   4. While a queued entry is being delivered (delivering != NULL), the results of calls its callback
 *      makes go ahead of everything queued before, in call order (results_last), but never between an
 *      onError and the onClose that follows it.
 *   5. tt_runtime_shutdown inside a callback or the transport only sets shutdown_pending; the runtime
 *      shuts down at the next point where the core is QUIET (tt__dispatch_pending_shutdown).
 *   6. An exception that leaves a game callback (web build) is repaired by tt__core_recover: the record
 *      is reset to QUIET and the entry being delivered is finished.
 */
#ifndef TT_CORE_H
#define TT_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"
#include "heap.h"
#include "list.h"
#include "stats.h"
#include "transport.h"
#include "ttsocket.h"

/* ---- Records ------------------------------------------------------------------------------------ */

typedef struct tt__task {
    uint32_t id;
    tt_ready_state state; /* what the game sees */
    tt__conn *conn;       /* NULL once the transport has let go of the connection */
    int final_queued;     /* onError/onClose are queued: nothing more is queued for this task */
    tt__heap_node timer;  /* the connect timeout, while in the runtime's timer heap */
    tt__list abort_link;  /* linked while its transport abort waits for the transport to return */
    tt_open_cb on_open;
    void *on_open_ud;
    tt_message_cb on_message;
    void *on_message_ud;
    tt_close_cb on_close;
    void *on_close_ud;
    tt_error_cb on_error;
    void *on_error_ud;
    tt__observe obs; /* profile, response header and counters (stats.c) */
} tt__task;

typedef enum tt__event_kind { TT__EV_RESULT, TT__EV_OPEN, TT__EV_MESSAGE, TT__EV_ERROR, TT__EV_CLOSE } tt__event_kind;

typedef struct tt__event {
    tt__list link;                /* in the dispatch queue */
    struct tt__event *next_spare; /* in the spare nodes (see tt__queue) */
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
} tt__event;

/* The task table: open addressing on id, linear probing, power-of-two capacity. */
typedef struct tt__table {
    tt__task **slots;
    size_t capacity;
    size_t count;
    tt__task *last; /* the task found last (NULL once removed): up-calls and API calls come in runs per task */
} tt__table;

/* Where the core is (see the rules at the top of this file). */
typedef enum tt__where {
    TT__QUIET,        /* neither a game callback nor the transport runs: aborts and shutdown may run */
    TT__IN_TRANSPORT, /* inside the transport (and no game callback) */
    TT__IN_CALLBACK   /* a game callback runs (perhaps from inside the transport) */
} tt__where;

typedef struct tt__reentry {
    int callback_depth;      /* game callbacks running (0 or 1: they never nest, rule 1) */
    int transport_depth;     /* nested transport calls and up-calls (rule 2) */
    tt__event *delivering;   /* the queued entry being delivered, NULL between entries (rules 4 and 6) */
    tt__event *results_last; /* the last result put ahead during that delivery (rule 4) */
    int shutdown_pending;    /* tt_runtime_shutdown was called while not QUIET (rule 5) */
    tt__list aborts;         /* tasks whose tt__transport_abort waits (rule 2), by abort_link */
} tt__reentry;

/*
 * The dispatch queue and its spare nodes. The spares are a stack (pushed and popped at one end, never
 * removed from the middle or walked in order), so a singly linked chain is all they need.
 */
typedef struct tt__queue {
    tt__list events;  /* FIFO of tt__event, by link */
    tt__event *spare; /* recycled nodes, so steady traffic does not allocate */
    size_t spare_count;
    unsigned long delivered; /* callbacks delivered, ever */
} tt__queue;

typedef struct tt__runtime {
    tt__table tasks;
    tt__heap timers; /* connect deadlines (room reserved for every task) */
    int transport_ready;
    /* The fields with initial values, side by side (so the web build's data segment stays short). */
    uint64_t next_id; /* past TT__TASK_ID_MAX once every id was issued */
    tt__reentry re;
    tt__queue queue;
    tt_runtime_config config; /* defaults applied; strings owned */
    char **domains;
    char *ca_file;
    tt_task_stats finished_stats; /* the statistics of every task already gone, for tt_runtime_stats() */
} tt__runtime;

/* The one runtime of the process (runtime.c). */
extern tt__runtime tt__rt;

/* The last socketTaskId: ids are 32-bit, start at 1 and are never reused, so this many tasks can exist. */
#define TT__TASK_ID_MAX UINT32_MAX

/* ---- table.c ------------------------------------------------------------------------------------ */

/* The slot where id's probe run starts: Fibonacci hashing spreads consecutive ids over the table. */
static inline size_t tt__table_slot(uint32_t id, size_t capacity) {
    return (size_t)((id * 2654435769u) & (uint32_t)(capacity - 1));
}

/* The task with this id, or NULL. Inline: every up-call and API call starts with it. A message up-call
 * and the send its callback makes name the same task, as do the messages of one read, so the task found
 * last is checked before the probe. */
static inline tt__task *tt__table_find(tt__table *table, uint32_t id) {
    if (table->last != NULL && table->last->id == id) return table->last;
    size_t mask = table->capacity - 1;
    if (id == 0 || table->capacity == 0) return NULL;
    for (size_t i = tt__table_slot(id, table->capacity), n = 0; n < table->capacity; i = (i + 1) & mask, n++) {
        tt__task *t = table->slots[i];
        if (t == NULL) return NULL;
        if (t->id == id) return table->last = t;
    }
    return NULL;
}

/* Adds t (its id is set). 0 or TT_ENOMEM (the table is unchanged). */
int tt__table_insert(tt__table *table, tt__task *t);
void tt__table_remove(tt__table *table, tt__task *t);
void tt__table_free(tt__table *table);

static inline tt__task *tt__task_find(uint32_t id) { return tt__table_find(&tt__rt.tasks, id); }

/* ---- queue.c ------------------------------------------------------------------------------------ */

static inline tt__where tt__core_where(void) {
    if (tt__rt.re.callback_depth > 0) return TT__IN_CALLBACK;
    return tt__rt.re.transport_depth > 0 ? TT__IN_TRANSPORT : TT__QUIET;
}

static inline int tt__queue_empty(void) { return tt__list_empty(&tt__rt.queue.events); }

/* A new entry (recycled, allocated, or from the reserve when memory is short), zeroed; NULL when none. */
tt__event *tt__event_new(tt__event_kind kind, uint32_t task_id);
void tt__event_free(tt__event *ev);
/* Appends ev to the queue and asks the host to come back (the web build has no poll loop of the game's). */
void tt__event_push(tt__event *ev);
/* Queues success-or-fail plus complete as one entry (rule 4 decides where), so nothing comes between them;
 * nothing when both are NULL. */
void tt__queue_result(tt__msg msg, uint32_t result_id, tt_result_cb cb, tt_result_cb complete, void *ud);
/* Queue a task's onOpen, a copy of a message, or its onClose. 0 or TT_ENOMEM (nothing queued then). */
int tt__queue_open(uint32_t id, const char *protocol, const char *extensions);
int tt__queue_message(uint32_t id, tt_data_type type, const void *data, size_t length);
int tt__queue_close(uint32_t id, int code, const char *reason, size_t reason_length, int was_clean);
/* Queues the end of a failed task: onError, then onClose 1006 / not clean. */
void tt__queue_failure(tt__task *t, int error, const char *detail);
/* Frees every queued entry without delivering it, and the spare nodes. */
void tt__queue_clear(void);

/* Rule 3 allowed it: delivers a message up-call at once, then the results its callback queued. */
void tt__deliver_message_now(tt__task *t, tt_data_type type, const void *data, size_t length);
/* Delivers the whole queue in order; returns the callbacks delivered. */
int tt__dispatch_queue(void);
/* Rule 3: a message up-call may be delivered at once. */
static inline int tt__can_deliver_now(void) { return tt__queue_empty() && tt__core_where() != TT__IN_CALLBACK; }

/* Runs the aborts that waited, when the transport has returned. */
void tt__run_pending_aborts(void);
/* Rule 2: around every call into the transport and every up-call. */
static inline void tt__transport_enter(void) { tt__rt.re.transport_depth++; }
static inline void tt__transport_leave(void) {
    if (--tt__rt.re.transport_depth == 0 && !tt__list_empty(&tt__rt.re.aborts)) tt__run_pending_aborts();
}
/* Drops the task's connection now, or (rule 2) once the transport has returned. */
void tt__drop_connection(tt__task *t);
/* The transport has freed t's connection: forget it and any abort still waiting for it. */
void tt__forget_connection(tt__task *t);
/* Rule 5: shuts the runtime down now if that was asked for and the core is QUIET. */
void tt__shutdown_if_pending(void);
static inline void tt__dispatch_pending_shutdown(void) {
    if (tt__rt.re.shutdown_pending) tt__shutdown_if_pending();
}

/* ---- task.c ------------------------------------------------------------------------------------- */

/* Fails a task from the core: its connection is dropped and onError + onClose 1006 are queued. */
void tt__fail_task(tt__task *t, int error, const char *detail);
/* The task's end is when its final event was queued: time open stops counting there. */
void tt__task_mark_end(tt__task *t);
/* Frees a task after its onClose; tt__task_retire without freeing (shutdown). */
void tt__task_free(tt__task *t);
void tt__task_retire(tt__task *t);
void tt__timer_remove(tt__task *t);
/* Fails every task whose connect deadline has passed; asks the host to come back for the next one. */
void tt__timers_run(void);
void tt__timers_schedule(void);

/* ---- runtime.c ---------------------------------------------------------------------------------- */

/* The runtime's teardown (tt_runtime_shutdown when QUIET, or later by rule 5). */
void tt__shutdown_now(void);
/* Initialises the transport before the first open. 0 or TT_ENOMEM. */
int tt__runtime_transport_ready(void);
/* 1 when the transport counts the wire (TT_CAP_WIRE_STATS). */
int tt__runtime_wire_counted(void);

#endif
