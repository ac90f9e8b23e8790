/*
 * The runtime as a whole: its one record (tt__rt), the configuration, the dispatch point
 * (tt_runtime_poll, tt__core_service), shutdown and the statistics summed over every task.
 */
#include <string.h>

#include "core.h"
#include "tt_internal.h"

#define TT__DEFAULT_CONNECT_TIMEOUT_MS 60000
#define TT__DEFAULT_CLOSE_TIMEOUT_MS 60000
#define TT__DEFAULT_MAX_MESSAGE ((size_t)64 * 1024 * 1024)

tt__runtime tt__rt = {.next_id = 1,
                      .queue = {.events = {&tt__rt.queue.events, &tt__rt.queue.events}},
                      .re = {.aborts = {&tt__rt.re.aborts, &tt__rt.re.aborts}},
                      .config = {.connect_timeout_ms = TT__DEFAULT_CONNECT_TIMEOUT_MS,
                                 .max_message_size = TT__DEFAULT_MAX_MESSAGE,
                                 .close_timeout_ms = TT__DEFAULT_CLOSE_TIMEOUT_MS}};

int tt__runtime_wire_counted(void) { return (tt__transport_capabilities() & TT_CAP_WIRE_STATS) != 0; }

int tt__runtime_transport_ready(void) {
    if (tt__rt.transport_ready) return 0;
    if (tt__transport_init() != 0) return TT_ENOMEM;
    tt__rt.transport_ready = 1;
    return 0;
}

const tt_runtime_config *tt__core_config(void) { return &tt__rt.config; }

/* ---- Configuration ------------------------------------------------------------------------------ */

/* Frees a copied domain list; entries not copied yet are NULL. */
static void domains_free(char **domains, size_t count) {
    for (size_t i = 0; domains && i < count; i++) tt__free(domains[i]);
    tt__free(domains);
}

/* Fields left 0 take their defaults. */
static void config_defaults(tt_runtime_config *c) {
    if (c->connect_timeout_ms == 0) c->connect_timeout_ms = TT__DEFAULT_CONNECT_TIMEOUT_MS;
    if (c->close_timeout_ms == 0) c->close_timeout_ms = TT__DEFAULT_CLOSE_TIMEOUT_MS;
    if (c->max_message_size == 0) c->max_message_size = TT__DEFAULT_MAX_MESSAGE;
}

static void config_free(void) {
    domains_free(tt__rt.domains, tt__rt.config.socket_domain_count);
    tt__free(tt__rt.ca_file);
    tt__rt.domains = NULL;
    tt__rt.ca_file = NULL;
    memset(&tt__rt.config, 0, sizeof tt__rt.config);
    config_defaults(&tt__rt.config);
}

int tt_runtime_configure(const tt_runtime_config *c) {
    if (c == NULL) return TT_EINVAL;
    size_t n = c->socket_domain_count;
    if (c->connect_timeout_ms < 0 || c->max_connections < 0 || c->close_timeout_ms < 0 ||
        (n > 0 && c->socket_domains == NULL) || tt__transport_backend(c->backend) == NULL)
        return TT_EINVAL;
    char **domains = NULL;
    char *ca = NULL;
    if (n > 0 && (domains = tt__calloc(n, sizeof *domains)) == NULL) return TT_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (c->socket_domains[i] == NULL) rc = TT_EINVAL;
        else if ((domains[i] = tt__strdup(c->socket_domains[i])) == NULL) rc = TT_ENOMEM;
    }
    if (rc == 0 && c->ca_file && (ca = tt__strdup(c->ca_file)) == NULL) rc = TT_ENOMEM;
    if (rc != 0) {
        domains_free(domains, n);
        return rc;
    }
    config_free();
    tt__rt.domains = domains;
    tt__rt.ca_file = ca;
    tt__rt.config = *c;
    tt__rt.config.socket_domains = (const char *const *)domains;
    tt__rt.config.ca_file = ca;
    config_defaults(&tt__rt.config);
    return 0;
}

const char *tt_runtime_backend(void) {
    const char *name = tt__transport_backend(tt__rt.config.backend);
    return name ? name : "none";
}

/* ---- The dispatch point ------------------------------------------------------------------------- */

int tt__core_service(void) {
    if (tt__core_where() == TT__IN_CALLBACK) return 0; /* rule 1 */
    tt__timers_run();
    int n = tt__dispatch_queue();
    tt__timers_schedule();
    return n;
}

static int live_work(void) { return tt__rt.tasks.count > 0 || !tt__queue_empty(); }

int tt_runtime_poll(int timeout_ms) {
    if (tt__core_where() == TT__IN_CALLBACK) return TT_EINCALLBACK; /* rule 1 */
    if (timeout_ms < -1) return TT_EINVAL;
    unsigned long before = tt__rt.queue.delivered;
    uint64_t start = tt__now_ms();
    for (;;) {
        tt__core_service();
        int wait = 0; /* once something was delivered, the transport still gets a non-blocking pass */
        if (timeout_ms != 0 && tt__rt.queue.delivered == before && live_work()) {
            int64_t left = -1;
            if (timeout_ms > 0) {
                uint64_t spent = tt__now_ms() - start;
                left = spent >= (uint64_t)timeout_ms ? 0 : (int64_t)timeout_ms - (int64_t)spent;
            }
            int64_t timer = tt__core_next_timer_ms();
            if (timer >= 0 && (left < 0 || timer < left)) left = timer;
            wait = left > 0x7fffffff ? 0x7fffffff : (int)left;
        }
        if (tt__rt.transport_ready) {
            tt__transport_enter();
            int rc = tt__transport_poll(wait);
            tt__transport_leave();
            if (rc < 0) return rc;
        }
        tt__core_service();
        /* An endless wait with nothing that could ever end it: say so, instead of returning 0 to a
         * `while (!done) tt_runtime_poll(-1);` loop that would then spin (a refused task, for one). */
        if (timeout_ms == -1 && tt__rt.queue.delivered == before && !live_work()) return TT_EIDLE;
        /* An endless wait that this transport cannot do (the browser's event loop delivers only after
         * we return): say so, rather than return 0 to a wait loop that would spin forever. */
        if (timeout_ms == -1 && tt__rt.queue.delivered == before && live_work() && !tt__transport_can_block())
            return TT_EWOULDBLOCK;
        if (tt__rt.queue.delivered != before || timeout_ms == 0 || !live_work() || !tt__transport_can_block() ||
            !tt__rt.transport_ready)
            break;
        if (timeout_ms > 0 && tt__now_ms() - start >= (uint64_t)timeout_ms) break;
    }
    return (int)(tt__rt.queue.delivered - before);
}

/* ---- Shutdown ----------------------------------------------------------------------------------- */

void tt__shutdown_now(void) {
    /* Each round fails what is alive and delivers the results; callbacks may create tasks again,
     * so repeat a bounded number of times. */
    for (int round = 0; round < 16 && live_work(); round++) {
        for (size_t i = 0; i < tt__rt.tasks.capacity; i++) {
            tt__task *t = tt__rt.tasks.slots[i];
            if (t && !t->final_queued) tt__fail_task(t, TT_ECLOSED, "runtime shut down");
        }
        tt__run_pending_aborts();
        tt__dispatch_queue();
    }
    /* Whatever is still here (a game that reconnects forever) is freed without callbacks. */
    tt__queue_clear();
    for (size_t i = 0; i < tt__rt.tasks.capacity; i++) {
        tt__task *t = tt__rt.tasks.slots[i];
        if (t == NULL) continue;
        if (t->conn) tt__transport_abort(t->conn);
        tt__task_retire(t);
        tt__free(t);
    }
    tt__table_free(&tt__rt.tasks);
    tt__heap_free(&tt__rt.timers);
    tt__list_init(&tt__rt.re.aborts); /* QUIET, so empty already; the tasks it could name are gone */
    if (tt__rt.transport_ready) tt__transport_shutdown();
    tt__rt.transport_ready = 0;
    config_free();
}

void tt_runtime_shutdown(void) {
    if (tt__core_where() != TT__QUIET) {
        /* Tearing everything down under a running callback would pull the floor from under it. */
        tt__rt.re.shutdown_pending = 1;
        return;
    }
    tt__shutdown_now();
}

/* ---- Statistics and capabilities ---------------------------------------------------------------- */

int tt_runtime_stats(tt_task_stats *stats, size_t stats_size) {
    tt_task_stats sum = tt__rt.finished_stats, s;
    uint64_t now = tt__now_ms();
    for (size_t i = 0; i < tt__rt.tasks.capacity; i++) {
        if (tt__rt.tasks.slots[i] == NULL) continue;
        tt__observe_stats(&tt__rt.tasks.slots[i]->obs, now, 1, &s);
        tt__stats_add(&sum, &s);
    }
    if (!tt__runtime_wire_counted()) tt__stats_wire_unknown(&sum); /* also before the first task */
    return tt__stats_copy_out(&sum, stats, stats_size);
}

uint32_t tt_runtime_capabilities(void) { return tt__transport_capabilities(); }
