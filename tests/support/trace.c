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
    t->opens = t->messages = t->errors = t->closes = t->results = t->fails = 0;
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

/* True for the native drivers' style, which names the readyState "rs" and prints error details. */
static int rs_style(const tt_trace *t) { return t->style == TT_TRACE_STYLE_RS; }

void tt_trace_on_open(tt_socket_task task, const tt_open_event *e, void *ud) {
    tt_trace *t = ud;
    t->opens++;
    tt_trace_addf(t, "open protocol=%s extensions=%s %s=%d", e->protocol, e->extensions, rs_style(t) ? "rs" : "state",
                  (int)tt_socket_task_ready_state(task));
}

void tt_trace_on_message(tt_socket_task task, const tt_message_event *e, void *ud) {
    tt_trace *t = ud;
    size_t index = t->messages++;
    int state = (int)tt_socket_task_ready_state(task);
    const char *type = e->type == TT_DATA_TEXT ? "text" : "binary";
    const char *state_name = rs_style(t) ? "rs" : "state";
    if (t->expect && index < t->expect_count) {
        int same =
            e->length == t->expect_len[index] && (e->length == 0 || memcmp(e->data, t->expect[index], e->length) == 0);
        tt_trace_addf(t, "message %s %zu %s %s=%d", type, e->length, same ? "same" : "DIFFERENT", state_name, state);
        return;
    }
    if (rs_style(t)) {
        /* The native drivers print every text payload up to 200 bytes as it is. */
        if (e->type == TT_DATA_TEXT && e->length <= 200)
            tt_trace_addf(t, "message text %zu %.*s rs=%d", e->length, (int)e->length, (const char *)e->data, state);
        else tt_trace_addf(t, "message %s %zu rs=%d", type, e->length, state);
        return;
    }
    int printable = e->type == TT_DATA_TEXT && e->length <= 32 && memchr(e->data, '\n', e->length) == NULL &&
                    memchr(e->data, '\0', e->length) == NULL;
    if (printable)
        tt_trace_addf(t, "message text %zu %.*s state=%d", e->length, (int)e->length, (const char *)e->data, state);
    else
        tt_trace_addf(t, "message %s %zu fnv=0x%08x state=%d", type, e->length, tt_trace_hash(e->data, e->length),
                      state);
}

void tt_trace_on_error(tt_socket_task task, const tt_error_event *e, void *ud) {
    tt_trace *t = ud;
    t->errors++;
    int state = (int)tt_socket_task_ready_state(task);
    if (rs_style(t)) tt_trace_addf(t, "error %s | %s rs=%d", e->err_msg, e->detail, state);
    else tt_trace_addf(t, "error %s state=%d", e->err_msg, state);
}

void tt_trace_on_close(tt_socket_task task, const tt_close_event *e, void *ud) {
    tt_trace *t = ud;
    t->closes++;
    t->last_close_code = e->code;
    int state = (int)tt_socket_task_ready_state(task);
    if (rs_style(t))
        tt_trace_addf(t, "close %d %s %s rs=%d", e->code, e->reason, e->was_clean ? "clean" : "not-clean", state);
    else tt_trace_addf(t, "close %d %s clean=%d state=%d", e->code, e->reason, e->was_clean, state);
}

void tt_trace_attach(tt_trace *t, tt_socket_task task) {
    tt_socket_task_on_open(task, tt_trace_on_open, t);
    tt_socket_task_on_message(task, tt_trace_on_message, t);
    tt_socket_task_on_error(task, tt_trace_on_error, t);
    tt_socket_task_on_close(task, tt_trace_on_close, t);
}

void tt_trace_success(const tt_result *r, void *ud) {
    tt_trace *t = ud;
    t->results++;
    if (r->socket_task_id && !rs_style(t)) tt_trace_addf(t, "success %s id=%u", r->err_msg, r->socket_task_id);
    else tt_trace_addf(t, "success %s", r->err_msg);
}

void tt_trace_fail(const tt_result *r, void *ud) {
    tt_trace *t = ud;
    t->results++;
    t->fails++;
    tt_trace_addf(t, "fail %s", r->err_msg);
}

void tt_trace_complete(const tt_result *r, void *ud) { tt_trace_addf((tt_trace *)ud, "complete %s", r->err_msg); }

void tt_trace_result(const tt_result *r, void *ud) {
    tt_trace *t = ud;
    t->results++;
    tt_trace_addf(t, "result %s", r->err_msg);
}

int tt_trace_ended(const tt_trace *t) { return t->fails > 0 || t->closes > 0; }

size_t tt_trace_line_count(const tt_trace *t) {
    size_t n = 0;
    for (size_t i = 0; i < t->length; i++) n += t->text[i] == '\n';
    return n;
}

int tt_trace_line(const tt_trace *t, long i, char *buf, size_t cap) {
    long count = (long)tt_trace_line_count(t);
    if (cap) buf[0] = '\0';
    if (i < 0) i += count;
    if (i < 0 || i >= count) return -1;
    const char *p = t->text;
    for (long k = 0; k < i; k++) p = strchr(p, '\n') + 1;
    size_t len = (size_t)(strchr(p, '\n') - p);
    if (cap) {
        if (len >= cap) len = cap - 1;
        memcpy(buf, p, len);
        buf[len] = '\0';
    }
    return 0;
}
