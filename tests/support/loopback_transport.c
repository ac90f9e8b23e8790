#include "loopback_transport.h"

#include <stdio.h>
#include <string.h>

#include "handshake.h"
#include "test_hooks.h"
#include "transport.h"
#include "tt_internal.h"

#define LOOP_MAX_CONNS 20000
#define LOOP_LOG_MAX (64 * 1024)

struct tt__conn {
    uint32_t id;
    int live;
    int opened;           /* auto mode has reported open */
    char protocol[64];    /* what auto mode will choose */
    int close_code;       /* auto mode: close requested */
    tt_task_stats *stats; /* the task's counters, lent by the core */
    char close_reason[128];
    struct pending {
        tt_data_type type;
        uint8_t *data;
        size_t length;
        struct pending *next;
    } * echo_head, *echo_tail;
};

static struct {
    tt__conn *conns[LOOP_MAX_CONNS];
    size_t count;
    int auto_mode;
    int fail_next_open;
    int send_result;
    int init_result;
    size_t buffered;
    char log[LOOP_LOG_MAX];
    size_t log_len;
    unsigned long schedules;
    int64_t last_schedule;
    uint32_t capabilities;
} loop;

static void logf_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static void logf_line(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(loop.log + loop.log_len, LOOP_LOG_MAX - loop.log_len, fmt, ap);
    va_end(ap);
    if (n > 0 && loop.log_len + (size_t)n + 1 < LOOP_LOG_MAX) {
        loop.log_len += (size_t)n;
        loop.log[loop.log_len++] = '\n';
        loop.log[loop.log_len] = '\0';
    }
}

static void conn_free(tt__conn *c) {
    while (c->echo_head) {
        struct pending *p = c->echo_head;
        c->echo_head = p->next;
        tt__free(p->data);
        tt__free(p);
    }
    for (size_t i = 0; i < loop.count; i++)
        if (loop.conns[i] == c) {
            loop.conns[i] = loop.conns[--loop.count];
            break;
        }
    tt__free(c);
}

static tt__conn *conn_by_id(uint32_t id) {
    for (size_t i = 0; i < loop.count; i++)
        if (loop.conns[i]->id == id) return loop.conns[i];
    return NULL;
}

void tt_loop_reset(void) {
    while (loop.count) conn_free(loop.conns[0]);
    loop.auto_mode = 0;
    loop.fail_next_open = 0;
    loop.send_result = 0;
    loop.init_result = 0;
    loop.buffered = 0;
    loop.schedules = 0;
    loop.last_schedule = -1;
    loop.capabilities = 0;
    tt_loop_clear_log();
}

void tt_loop_set_auto(int on) { loop.auto_mode = on; }
void tt_loop_fail_next_open(int code) { loop.fail_next_open = code; }
void tt_loop_set_send_result(int code) { loop.send_result = code; }
void tt_loop_set_init_result(int code) { loop.init_result = code; }
const char *tt_loop_log(void) { return loop.log; }
void tt_loop_clear_log(void) {
    loop.log_len = 0;
    loop.log[0] = '\0';
}
size_t tt_loop_live(void) { return loop.count; }
void tt_loop_set_buffered(size_t n) { loop.buffered = n; }
unsigned long tt_loop_schedule_count(void) { return loop.schedules; }
int64_t tt_loop_last_schedule(void) { return loop.last_schedule; }

/* ---- transport.h ------------------------------------------------------------------------------- */

int tt__transport_init(void) {
    logf_line("init");
    return loop.init_result;
}

void tt__transport_shutdown(void) {
    logf_line("shutdown");
    while (loop.count) conn_free(loop.conns[0]);
}

int tt__transport_open(const tt__open_params *p, tt__conn **out) {
    char protocols[256] = "";
    for (size_t i = 0; i < p->protocol_count; i++) {
        if (i) strncat(protocols, ",", sizeof protocols - strlen(protocols) - 1);
        strncat(protocols, p->protocols[i], sizeof protocols - strlen(protocols) - 1);
    }
    logf_line("open %u %s host=%.*s port=%u protocols=%s headers=%zu", p->id, p->url, (int)p->parsed->host_len,
              p->parsed->host, p->parsed->port, protocols, p->header_count);
    if (loop.fail_next_open) {
        int rc = loop.fail_next_open;
        loop.fail_next_open = 0;
        return rc;
    }
    if (loop.count == LOOP_MAX_CONNS) return TT_ENOMEM;
    tt__conn *c = tt__calloc(1, sizeof *c);
    if (c == NULL) return TT_ENOMEM;
    c->id = p->id;
    c->live = 1;
    c->stats = p->stats;
    if (p->protocol_count) snprintf(c->protocol, sizeof c->protocol, "%s", p->protocols[0]);
    loop.conns[loop.count++] = c;
    *out = c;
    return 0;
}

int tt__transport_send(tt__conn *c, tt_data_type type, const void *data, size_t length) {
    logf_line("send %u %s %zu %.*s", c->id, type == TT_DATA_TEXT ? "text" : "binary", length,
              type == TT_DATA_TEXT && length <= 32 ? (int)length : 0, (const char *)data);
    if (loop.send_result) return loop.send_result;
    if (loop.auto_mode) {
        struct pending *p = tt__calloc(1, sizeof *p);
        if (p == NULL) return TT_ENOMEM;
        p->data = tt__malloc(length + 1);
        if (p->data == NULL) {
            tt__free(p);
            return TT_ENOMEM;
        }
        memcpy(p->data, data, length);
        p->type = type;
        p->length = length;
        if (c->echo_tail) c->echo_tail->next = p;
        else c->echo_head = p;
        c->echo_tail = p;
    }
    return 0;
}

int tt__transport_close(tt__conn *c, int code, const char *reason, size_t reason_length) {
    logf_line("close %u %d %.*s", c->id, code, (int)reason_length, reason);
    c->close_code = code;
    snprintf(c->close_reason, sizeof c->close_reason, "%.*s", (int)reason_length, reason);
    return 0;
}

void tt__transport_abort(tt__conn *c) {
    logf_line("abort %u", c->id);
    conn_free(c);
}

size_t tt__transport_buffered_amount(const tt__conn *c) {
    (void)c;
    return loop.buffered;
}

/* In auto mode: one step per connection per poll, in connection order. */
int tt__transport_poll(int timeout_ms) {
    int did = 0;
    if (loop.auto_mode) {
        for (size_t i = 0; i < loop.count;) {
            tt__conn *c = loop.conns[i];
            uint32_t id = c->id;
            if (!c->opened) {
                c->opened = 1;
                did = 1;
                tt__core_on_open(id, c->protocol, "");
            } else if (c->echo_head) {
                struct pending *p = c->echo_head;
                c->echo_head = p->next;
                if (!c->echo_head) c->echo_tail = NULL;
                did = 1;
                tt__core_on_message(id, p->type, p->data, p->length);
                tt__free(p->data);
                tt__free(p);
            } else if (c->close_code) {
                int code = c->close_code;
                char reason[128];
                snprintf(reason, sizeof reason, "%s", c->close_reason);
                conn_free(c);
                did = 1;
                tt__core_on_close(id, code, reason, strlen(reason), 1);
                continue; /* conns[i] now holds another connection */
            }
            /* The up-call may have aborted this or other connections. */
            if (i < loop.count && loop.conns[i] == c) i++;
        }
    }
    if (!did && timeout_ms > 0) tt_test_clock_advance((uint64_t)timeout_ms);
    return 0;
}

int tt__transport_can_block(void) { return 1; }

/* Tests set the bits the loopback claims (tt_loop_set_capabilities); it counts nothing on the wire itself. */
uint32_t tt__transport_capabilities(void) { return loop.capabilities; }

/* One backend only (the loopback stands in for native sockets): the mini-game and browser backends
 * exist only in the web build. */
const char *tt__transport_backend(int backend) {
    return backend == TT_BACKEND_AUTO || backend == TT_BACKEND_NATIVE ? "native" : NULL;
}

void tt__transport_schedule(int64_t delay_ms) {
    loop.schedules++;
    loop.last_schedule = delay_ms;
}

/* ---- Manual up-calls --------------------------------------------------------------------------- */

void tt_loop_set_capabilities(uint32_t caps) { loop.capabilities = caps; }

tt_task_stats *tt_loop_stats(uint32_t id) {
    tt__conn *c = conn_by_id(id);
    return c ? c->stats : NULL;
}

void tt_loop_phase(uint32_t id, int phase) { tt__core_on_phase(id, (tt__phase)phase); }

int tt_loop_response_head(uint32_t id, const char *head) {
    tt_header *fields;
    size_t count;
    int rc = tt__handshake_header_fields(head, strlen(head), &fields, &count);
    if (rc == 0) tt__core_on_response_header(id, fields, count);
    return rc;
}

void tt_loop_open(uint32_t id, const char *protocol, const char *extensions) {
    tt__core_on_open(id, protocol, extensions);
}

void tt_loop_message(uint32_t id, tt_data_type type, const void *data, size_t length) {
    tt__core_on_message(id, type, data, length);
}

void tt_loop_fail(uint32_t id, int error, const char *detail) {
    tt__conn *c = conn_by_id(id);
    if (c) conn_free(c);
    tt__core_on_fail(id, error, detail);
}

void tt_loop_close(uint32_t id, int code, const char *reason, int was_clean) {
    tt__conn *c = conn_by_id(id);
    if (c) conn_free(c);
    tt__core_on_close(id, code, reason, strlen(reason), was_clean);
}
