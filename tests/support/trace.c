#include "trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tt_trace_init(tt_trace *t) { memset(t, 0, sizeof *t); }

void tt_trace_free(tt_trace *t) {
    free(t->text);
    memset(t, 0, sizeof *t);
}

void tt_trace_clear(tt_trace *t) {
    t->length = 0;
    if (t->text) t->text[0] = '\0';
    t->opens = t->messages = t->errors = t->closes = t->results = 0;
}

void tt_trace_addf(tt_trace *t, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof line) n = sizeof line - 1;
    size_t plen = t->prefix ? strlen(t->prefix) : 0;
    size_t need = t->length + plen + (size_t)n + 2;
    if (need > t->capacity) {
        size_t cap = t->capacity ? t->capacity * 2 : 1024;
        while (cap < need) cap *= 2;
        char *p = realloc(t->text, cap);
        if (p == NULL) abort();
        t->text = p;
        t->capacity = cap;
    }
    if (plen) memcpy(t->text + t->length, t->prefix, plen);
    memcpy(t->text + t->length + plen, line, (size_t)n);
    t->length += plen + (size_t)n;
    t->text[t->length++] = '\n';
    t->text[t->length] = '\0';
}

unsigned tt_trace_hash(const void *data, size_t length) {
    unsigned h = 2166136261u;
    const unsigned char *p = data;
    for (size_t i = 0; i < length; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static void on_open(tt_socket_task task, const tt_open_event *e, void *ud) {
    tt_trace *t = ud;
    t->opens++;
    tt_trace_addf(t, "open protocol=%s extensions=%s state=%d", e->protocol, e->extensions,
                  (int)tt_socket_task_ready_state(task));
}

static void on_message(tt_socket_task task, const tt_message_event *e, void *ud) {
    tt_trace *t = ud;
    t->messages++;
    int state = (int)tt_socket_task_ready_state(task);
    int printable = e->type == TT_DATA_TEXT && e->length <= 32 && memchr(e->data, '\n', e->length) == NULL &&
                    memchr(e->data, '\0', e->length) == NULL;
    if (printable)
        tt_trace_addf(t, "message text %zu %.*s state=%d", e->length, (int)e->length, (const char *)e->data, state);
    else
        tt_trace_addf(t, "message %s %zu fnv=0x%08x state=%d", e->type == TT_DATA_TEXT ? "text" : "binary",
                      e->length, tt_trace_hash(e->data, e->length), state);
}

static void on_error(tt_socket_task task, const tt_error_event *e, void *ud) {
    tt_trace *t = ud;
    t->errors++;
    tt_trace_addf(t, "error %s state=%d", e->err_msg, (int)tt_socket_task_ready_state(task));
}

static void on_close(tt_socket_task task, const tt_close_event *e, void *ud) {
    tt_trace *t = ud;
    t->closes++;
    t->last_close_code = e->code;
    tt_trace_addf(t, "close %d %s clean=%d state=%d", e->code, e->reason, e->was_clean,
                  (int)tt_socket_task_ready_state(task));
}

void tt_trace_attach(tt_trace *t, tt_socket_task task) {
    tt_socket_task_on_open(task, on_open, t);
    tt_socket_task_on_message(task, on_message, t);
    tt_socket_task_on_error(task, on_error, t);
    tt_socket_task_on_close(task, on_close, t);
}

void tt_trace_success(const tt_result *r, void *ud) {
    tt_trace *t = ud;
    t->results++;
    if (r->socket_task_id) tt_trace_addf(t, "success %s id=%u", r->err_msg, r->socket_task_id);
    else tt_trace_addf(t, "success %s", r->err_msg);
}

void tt_trace_fail(const tt_result *r, void *ud) {
    tt_trace *t = ud;
    t->results++;
    tt_trace_addf(t, "fail %s", r->err_msg);
}

void tt_trace_complete(const tt_result *r, void *ud) {
    tt_trace_addf((tt_trace *)ud, "complete %s", r->err_msg);
}
