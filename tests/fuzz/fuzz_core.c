/*
 * Fuzz target: the core (src/core.h) behind the public API, with the loopback transport of the unit
 * tests standing in for the network. The input is a little program: each step is an opcode byte and its
 * arguments, interpreted by run_step(). Steps call the API (connect with various URLs and options,
 * send, close, listeners, getters, configure), make transport up-calls (tt_loop_open / message / fail /
 * close), poll the runtime, move the clock, switch the loopback's auto (echo) mode, inject transport
 * failures, and arm a call to be made from inside the next callback (re-entrancy). Every run ends with
 * tt_runtime_shutdown().
 *
 * Invariants, checked by listeners on every task and by the result callbacks:
 * - no callback is ever made inside tt_connect_socket / tt_socket_task_send / tt_socket_task_close or
 *   the other non-dispatching calls;
 * - each call's success-or-fail comes once, immediately followed by its complete, by the end of the run;
 *   connectSocket success carries the task id, and comes before any event of that task;
 * - per task: onOpen at most once, before any onMessage, with readyState OPEN; onMessage only while
 *   OPEN and never larger than max_message_size; onError only immediately before that task's onClose;
 *   readyState CLOSED during onError and onClose; exactly one onClose per created task by the end of
 *   the run, and nothing after it;
 * - tt_runtime_poll returns the number of callbacks it delivered (TT_EINCALLBACK inside a callback);
 * - each send and close result carries the errMsg a small model of the call predicts from its arguments
 *   and the readyState before it (model_send, model_close: validation order as the README's errMsg table
 *   describes it; a send on an OPEN task may still find the connection gone or out of memory);
 * - after tt_runtime_shutdown nothing is live in the loopback and tt__alloc_live() is back where it began.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "loopback_transport.h"
#include "test_hooks.h"
#include "tt_internal.h"

#define MAX_TASKS 256
#define MAX_CALLS 512

/* ---- Bookkeeping -------------------------------------------------------------------------------- */

typedef struct task_rec {
    uint32_t id;
    int connect_result_seen;
    int opens, messages, errors, closes;
    int error_pending; /* onError delivered; the next callback must be this task's onClose */
} task_rec;

typedef struct call_rec {
    int kind;         /* 0 connect, 1 send, 2 close */
    uint32_t task_id; /* connect: the id returned (0 when refused) */
    int success, fail, complete;
    int last_was_result;   /* success/fail just delivered, complete must follow */
    const char *expect[3]; /* send / close: the errMsgs the model allows (NULL-padded); none: not checked */
} call_rec;

static struct {
    task_rec tasks[MAX_TASKS];
    size_t task_count;
    call_rec calls[MAX_CALLS];
    size_t call_count;
    int in_api; /* > 0 inside an API call that must not deliver anything */
    int in_callback;
    call_rec *expect_complete; /* a success/fail was delivered; its complete must come next */
    task_rec *expect_close;    /* an onError was delivered; this task's onClose must come next */
    unsigned long callbacks;   /* every callback, for checking poll's count */
    size_t max_message_size;
    int armed; /* an action to perform inside the next event callback */
    uint8_t armed_arg;
    int reentrant_budget;
    uint32_t first_id; /* the first id handed out in this run */
} S;

static task_rec *task_by_id(uint32_t id) {
    for (size_t i = 0; i < S.task_count; i++)
        if (S.tasks[i].id == id) return &S.tasks[i];
    return NULL;
}

/* Every callback starts here: nothing may be delivered inside an API call, and an expected
 * complete / onClose must not be overtaken. */
static void callback_enter(const char *what, call_rec *c, task_rec *t, int is_complete, int is_close) {
    FUZZ_CHECK(S.in_api == 0, "%s delivered inside an API call", what);
    if (S.expect_complete) {
        FUZZ_CHECK(is_complete && c == S.expect_complete, "%s came between a result and its complete", what);
        S.expect_complete = NULL;
    } else {
        FUZZ_CHECK(!is_complete, "complete without success/fail");
    }
    if (S.expect_close) {
        FUZZ_CHECK(is_close && t == S.expect_close, "%s came between onError and onClose of task %u", what,
                   S.expect_close->id);
        S.expect_close = NULL;
    }
    S.callbacks++;
}

static void do_armed(void);

/* ---- Result callbacks ------------------------------------------------------------------------------- */

static void result_cb(const tt_result *r, void *ud, int success) {
    call_rec *c = ud;
    callback_enter(success ? "success" : "fail", c, NULL, 0, 0);
    FUZZ_CHECK(r && r->err_msg && r->err_msg[0], "empty errMsg");
    FUZZ_CHECK(c->success + c->fail == 0, "result delivered twice");
    if (success) c->success++;
    else c->fail++;
    if (c->kind == 0) {
        if (success) {
            FUZZ_CHECK(c->task_id != 0 && r->socket_task_id == c->task_id, "connect success id %u, returned %u",
                       r->socket_task_id, c->task_id);
            task_rec *t = task_by_id(c->task_id);
            FUZZ_CHECK(t && t->opens + t->messages + t->errors + t->closes == 0, "connect result after an event");
            t->connect_result_seen = 1;
            FUZZ_CHECK(strcmp(r->err_msg, "connectSocket:ok") == 0, "connect success says %s", r->err_msg);
        } else {
            FUZZ_CHECK(c->task_id == 0, "connect fail for a task that was created (%u)", c->task_id);
            FUZZ_CHECK(strncmp(r->err_msg, "connectSocket:fail", 18) == 0, "connect fail says %s", r->err_msg);
        }
    } else {
        FUZZ_CHECK(r->socket_task_id == 0, "socket_task_id on a send/close result");
        const char *prefix = c->kind == 1 ? "sendSocketMessage:" : "closeSocket:";
        FUZZ_CHECK(strncmp(r->err_msg, prefix, strlen(prefix)) == 0, "result says %s", r->err_msg);
        FUZZ_CHECK(success == (strstr(r->err_msg, ":ok") != NULL), "%s delivered as %s", r->err_msg,
                   success ? "success" : "fail");
        if (c->expect[0]) {
            int allowed = 0;
            for (int i = 0; i < 3 && c->expect[i]; i++) allowed |= strcmp(r->err_msg, c->expect[i]) == 0;
            FUZZ_CHECK(allowed, "%s: the model expects %s", r->err_msg, c->expect[0]);
        }
    }
    S.expect_complete = c;
    do_armed();
}

static void on_success(const tt_result *r, void *ud) { result_cb(r, ud, 1); }
static void on_fail(const tt_result *r, void *ud) { result_cb(r, ud, 0); }
static void on_complete(const tt_result *r, void *ud) {
    call_rec *c = ud;
    callback_enter("complete", c, NULL, 1, 0);
    FUZZ_CHECK(c->success + c->fail == 1 && c->complete == 0, "complete out of order");
    c->complete++;
    do_armed();
}

/* ---- Event listeners -------------------------------------------------------------------------------- */

static task_rec *event_task(tt_socket_task task, void *ud, const char *what) {
    task_rec *t = ud;
    FUZZ_CHECK(t && t->id == task.id, "%s for task %u with the wrong user_data", what, task.id);
    FUZZ_CHECK(t->closes == 0, "%s after onClose of task %u", what, task.id);
    FUZZ_CHECK(t->connect_result_seen, "%s before connectSocket success of task %u", what, task.id);
    return t;
}

static void on_open(tt_socket_task task, const tt_open_event *e, void *ud) {
    task_rec *t = ud;
    callback_enter("onOpen", NULL, t, 0, 0);
    event_task(task, ud, "onOpen");
    FUZZ_CHECK(t->opens == 0 && t->messages == 0 && t->errors == 0, "onOpen twice or late");
    FUZZ_CHECK(e && e->protocol && e->extensions, "NULL open strings");
    FUZZ_CHECK(tt_socket_task_ready_state(task) == TT_OPEN, "readyState %d in onOpen",
               tt_socket_task_ready_state(task));
    t->opens++;
    do_armed();
}

static void on_message(tt_socket_task task, const tt_message_event *e, void *ud) {
    task_rec *t = ud;
    callback_enter("onMessage", NULL, t, 0, 0);
    event_task(task, ud, "onMessage");
    FUZZ_CHECK(t->opens == 1 && t->errors == 0, "onMessage before onOpen or after onError");
    FUZZ_CHECK(tt_socket_task_ready_state(task) == TT_OPEN, "readyState %d in onMessage",
               tt_socket_task_ready_state(task));
    FUZZ_CHECK(e->length <= S.max_message_size, "message of %zu bytes, limit %zu", e->length, S.max_message_size);
    FUZZ_CHECK(e->length == 0 || e->data, "NULL message data");
    t->messages++;
    do_armed();
}

static void on_error(tt_socket_task task, const tt_error_event *e, void *ud) {
    task_rec *t = ud;
    callback_enter("onError", NULL, t, 0, 0);
    event_task(task, ud, "onError");
    FUZZ_CHECK(t->errors == 0, "onError twice");
    FUZZ_CHECK(e && e->err_msg && e->err_msg[0] && e->detail, "error strings");
    FUZZ_CHECK(tt_socket_task_ready_state(task) == TT_CLOSED, "readyState %d in onError",
               tt_socket_task_ready_state(task));
    t->errors++;
    S.expect_close = t;
    do_armed();
}

static void on_close(tt_socket_task task, const tt_close_event *e, void *ud) {
    task_rec *t = ud;
    callback_enter("onClose", NULL, t, 0, 1);
    event_task(task, ud, "onClose");
    FUZZ_CHECK(tt_socket_task_ready_state(task) == TT_CLOSED, "readyState %d in onClose",
               tt_socket_task_ready_state(task));
    FUZZ_CHECK(e && e->reason, "NULL reason");
    if (t->errors)
        FUZZ_CHECK(e->code == 1006 && !e->was_clean, "close after error: %d clean %d", e->code, e->was_clean);
    t->closes++;
    do_armed();
}

/* ---- Calls --------------------------------------------------------------------------------------- */

static call_rec *call_new(int kind) {
    if (S.call_count == MAX_CALLS) return NULL;
    call_rec *c = &S.calls[S.call_count++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    return c;
}

/* clang-format off */
static const char *const urls[] = {
    "wss://a.example/",      "ws://a.example/",        "wss://b.example:8443/x?y", "wss://c.example/",
    "https://a.example/",    "ftp://a.example/",       "wss://",                   "wss://a.example/#frag",
    "wss://[::1]:9000/",     "WSS://A.EXAMPLE/chat",   "",                         "wss://a.example:0/",
};
/* clang-format on */
static const char *const domains[] = {"a.example", "wss://b.example:8443", "[::1]:9000"};
static const char *const protocol_pool[] = {"chat", "superchat", "chat", "bad token", ""};
static const tt_header header_pool[] = {
    {"X-Game", "1"}, {"Origin", "x"}, {"Bad Name", "v"}, {"X-Ok", "line\r\nbreak"}, {"sec-foo", "1"},
};

static uint32_t pick_task(uint8_t b) {
    /* Mostly tasks of this run; sometimes 0, an id never handed out, or one from an earlier run. */
    switch (b & 7) {
    case 0: return 0;
    case 1: return S.first_id ? S.first_id - 1 : 0;
    case 2: return 0x7fffffffu;
    default: return S.task_count ? S.tasks[(b >> 3) % S.task_count].id : S.first_id;
    }
}

static void api_connect(fuzz_reader *r) {
    if (S.task_count == MAX_TASKS) return;
    uint8_t sel = fuzz_u8(r), opt = fuzz_u8(r), hp = fuzz_u8(r);
    char custom[64];
    const char *url;
    if ((sel & 15) < sizeof urls / sizeof urls[0]) {
        url = urls[sel & 15];
    } else { /* a URL spelled by the input */
        size_t n;
        const uint8_t *p = fuzz_bytes(r, (sel >> 4) + 1, &n);
        memcpy(custom, "wss://", 6);
        memcpy(custom + 6, p, n);
        custom[6 + n] = '\0';
        url = custom;
    }
    const char *protos[4];
    size_t pc = opt & 3;
    for (size_t i = 0; i < pc; i++) protos[i] = protocol_pool[((opt >> 2) + i * 3 + (hp >> 4)) % 5];
    if ((opt & 0x30) != 0x30 && pc) { /* mostly valid, distinct tokens */
        static const char *const good[] = {"chat", "superchat", "v2"};
        for (size_t i = 0; i < pc; i++) protos[i] = good[i];
    }
    tt_header headers[2];
    size_t hc = hp & 1 ? ((hp >> 1) & 1) + 1 : 0;
    for (size_t i = 0; i < hc; i++) headers[i] = header_pool[((hp >> 2) + i) % 5];
    static const int timeouts[4] = {0, 10, 1000, -1};
    call_rec *c = call_new(0);
    tt_connect_socket_options o;
    memset(&o, 0, sizeof o);
    o.url = url;
    o.protocols = protos;
    o.protocol_count = pc;
    o.header = hc ? headers : NULL;
    o.header_count = hc;
    o.timeout_ms = timeouts[(opt >> 6) & 3];
    if (c) {
        o.success = on_success;
        o.fail = on_fail;
        o.complete = on_complete;
        o.user_data = c;
    }
    int null_options = (sel & 0xF0) == 0xF0 && (opt & 1);
    S.in_api++;
    tt_socket_task t = tt_connect_socket(null_options ? NULL : &o);
    S.in_api--;
    if (null_options) FUZZ_CHECK(t.id == 0, "connect(NULL) created a task");
    if (c && null_options) c->kind = 3; /* nothing is called */
    if (c) c->task_id = t.id;
    if (t.id == 0) return;
    FUZZ_CHECK(!task_by_id(t.id), "task id %u handed out twice", t.id);
    FUZZ_CHECK(S.task_count < MAX_TASKS, "too many tasks for the fixture");
    if (S.first_id == 0) S.first_id = t.id;
    task_rec *rec = &S.tasks[S.task_count++];
    memset(rec, 0, sizeof *rec);
    rec->id = t.id;
    FUZZ_CHECK(c != NULL, "a task was created by a call we did not record");
    S.in_api++;
    FUZZ_CHECK(tt_socket_task_ready_state(t) == TT_CONNECTING, "new task not CONNECTING");
    tt_socket_task_on_open(t, on_open, rec);
    tt_socket_task_on_message(t, on_message, rec);
    tt_socket_task_on_error(t, on_error, rec);
    tt_socket_task_on_close(t, on_close, rec);
    S.in_api--;
}

/* An id this process never handed out (pick_task's 0 and 0x7fffffff); every other id it picks was issued. */
static int never_issued(uint32_t id) { return id == 0 || id == 0x7fffffffu; }

/* The errMsgs a send may get, from its arguments and the readyState before the call. */
static void model_send(call_rec *c, uint32_t id, const tt_send_options *o, tt_ready_state before) {
    if (never_issued(id)) c->expect[0] = "sendSocketMessage:fail invalid socketTaskId";
    else if ((o->data == NULL && o->length > 0) || (o->type != TT_DATA_TEXT && o->type != TT_DATA_BINARY))
        c->expect[0] = "sendSocketMessage:fail invalid data";
    else if (o->type == TT_DATA_TEXT && !ref_utf8_valid(o->data, o->length))
        c->expect[0] = "sendSocketMessage:fail invalid utf-8 text";
    else if (before != TT_OPEN) c->expect[0] = "sendSocketMessage:fail WebSocket is not connected";
    else {
        c->expect[0] = "sendSocketMessage:ok";
        c->expect[1] = "sendSocketMessage:fail WebSocket is not connected"; /* gone, or the buffer full */
        c->expect[2] = "sendSocketMessage:fail out of memory";
    }
}

/* The errMsg a close gets: code, then reason length, then reason UTF-8, then the task, then its state. */
static void model_close(call_rec *c, uint32_t id, int code, const char *reason, tt_ready_state before) {
    size_t len = reason ? strlen(reason) : 0;
    if (code == 0) code = 1000;
    if (!(code == 1000 || code == 1001 || (code >= 3000 && code <= 4999)))
        c->expect[0] = "closeSocket:fail invalid code";
    else if (len > 123) c->expect[0] = "closeSocket:fail reason too long";
    else if (!ref_utf8_valid((const uint8_t *)reason, len)) c->expect[0] = "closeSocket:fail invalid utf-8 reason";
    else if (never_issued(id)) c->expect[0] = "closeSocket:fail invalid socketTaskId";
    else if (before == TT_CLOSING || before == TT_CLOSED) c->expect[0] = "closeSocket:fail WebSocket is not connected";
    else c->expect[0] = "closeSocket:ok";
}

static void api_send(fuzz_reader *r) {
    uint8_t sel = fuzz_u8(r), len = fuzz_u8(r);
    size_t n;
    const uint8_t *p = fuzz_bytes(r, len & 63, &n);
    tt_socket_task t = {pick_task(sel)};
    call_rec *c = call_new(1);
    tt_send_options o;
    memset(&o, 0, sizeof o);
    o.type = (sel >> 3) & 1 ? TT_DATA_BINARY : TT_DATA_TEXT;
    if ((len & 0xC0) == 0xC0) o.type = (tt_data_type)7; /* not a type */
    o.data = (len & 0xC0) == 0x80 ? NULL : p;
    o.length = n;
    if (c) {
        o.success = on_success;
        o.fail = on_fail;
        o.complete = on_complete;
        o.user_data = c;
    }
    S.in_api++;
    tt_ready_state before = tt_socket_task_ready_state(t);
    size_t buffered = tt_socket_task_buffered_amount(t);
    if (c) model_send(c, t.id, &o, before);
    tt_socket_task_send(t, (sel & 0xF0) == 0xF0 ? NULL : &o);
    if (before != TT_OPEN && task_by_id(t.id) && before != TT_CONNECTING && (sel & 0xF0) != 0xF0)
        FUZZ_CHECK(tt_socket_task_buffered_amount(t) >= buffered, "bufferedAmount shrank on a dropped send");
    S.in_api--;
    if ((sel & 0xF0) == 0xF0 && c) c->kind = 3; /* NULL options: nothing is called */
}

static void api_close(fuzz_reader *r) {
    uint8_t sel = fuzz_u8(r), how = fuzz_u8(r);
    static const int codes[8] = {0, 1000, 1001, 3000, 4999, 1005, 2999, 5000};
    int code = how & 8 ? (int)fuzz_u16(r) - 1000 : codes[how & 7];
    char reason[160];
    size_t n;
    const uint8_t *p = fuzz_bytes(r, (size_t)(how >> 4) * 9, &n);
    memcpy(reason, p, n);
    reason[n] = '\0';
    tt_socket_task t = {pick_task(sel)};
    call_rec *c = call_new(2);
    tt_close_options o;
    memset(&o, 0, sizeof o);
    o.code = code;
    o.reason = n ? reason : NULL;
    if (c) {
        o.success = on_success;
        o.fail = on_fail;
        o.complete = on_complete;
        o.user_data = c;
    }
    S.in_api++;
    if (c) model_close(c, t.id, code, o.reason, tt_socket_task_ready_state(t));
    tt_socket_task_close(t, (sel & 0xF0) == 0xF0 ? NULL : &o);
    S.in_api--;
    if ((sel & 0xF0) == 0xF0 && c) c->kind = 3; /* defaults: no callbacks expected */
}

static void api_configure(fuzz_reader *r) {
    uint8_t f = fuzz_u8(r);
    static const size_t max_sizes[4] = {0, 8, 100, 70000};
    tt_runtime_config c;
    memset(&c, 0, sizeof c);
    c.socket_domains = domains;
    c.socket_domain_count = (f & 1) ? 3 : 0;
    c.skip_domain_check = (f >> 1) & 1;
    c.max_connections = (f >> 2) & 3;
    c.connect_timeout_ms = (f & 0x10) ? 50 : 0;
    c.max_message_size = max_sizes[(f >> 5) & 3];
    if (f == 0xFF) c.connect_timeout_ms = -1; /* refused */
    S.in_api++;
    int rc = tt_runtime_configure(&c);
    S.in_api--;
    if (f == 0xFF) {
        FUZZ_CHECK(rc == TT_EINVAL, "negative timeout accepted");
    } else {
        FUZZ_CHECK(rc == 0, "configure returned %d", rc);
        /* Messages queued before a smaller limit may still be delivered: check against the largest. */
        size_t limit = c.max_message_size ? c.max_message_size : (size_t)64 * 1024 * 1024;
        if (limit > S.max_message_size || S.task_count == 0) S.max_message_size = limit;
    }
}

static void poll_checked(int timeout) {
    unsigned long before = S.callbacks;
    int n = tt_runtime_poll(timeout);
    FUZZ_CHECK(n >= 0, "poll returned %d", n);
    /* poll counts the callbacks it delivered, which are ours plus none. */
    FUZZ_CHECK((unsigned long)n == S.callbacks - before, "poll said %d callbacks, we saw %lu", n, S.callbacks - before);
}

/* An up-call for a task of this run (or a stray id). */
static void upcall(fuzz_reader *r, int which) {
    uint8_t sel = fuzz_u8(r), arg = fuzz_u8(r);
    uint32_t id = pick_task(sel);
    switch (which) {
    case 0: {
        static const char *const protocols[] = {"", "chat", "superchat"};
        tt_loop_open(id, protocols[arg % 3], (arg & 4) ? "permessage-deflate" : "");
        break;
    }
    case 1: {
        size_t n;
        const uint8_t *p = fuzz_bytes(r, (size_t)(arg & 0x7F), &n);
        tt_loop_message(id, (arg & 0x80) ? TT_DATA_BINARY : TT_DATA_TEXT, p, n);
        break;
    }
    case 2: {
        static const int errors[4] = {TT_ECONNECT, TT_ETLS, TT_EHANDSHAKE, TT_ETOOBIG};
        tt_loop_fail(id, errors[arg & 3], (arg & 4) ? "detail" : "");
        break;
    }
    default: {
        static const int codes[4] = {1000, 1005, 1006, 4000};
        tt_loop_close(id, codes[arg & 3], (arg & 4) ? "bye" : "", (arg >> 3) & 1);
        break;
    }
    }
}

/* The action armed for the next callback: API calls made from inside it. */
static void do_armed(void) {
    if (!S.armed || S.reentrant_budget <= 0) return;
    int what = S.armed;
    uint8_t arg = S.armed_arg;
    S.armed = 0;
    S.reentrant_budget--;
    S.in_callback++;
    uint8_t bytes[4] = {arg, (uint8_t)(arg * 7), 3, 'x'};
    fuzz_reader r = {bytes, sizeof bytes};
    switch (what) {
    case 1: api_send(&r); break;
    case 2: api_close(&r); break;
    case 3: api_connect(&r); break;
    case 4: FUZZ_CHECK(tt_runtime_poll(0) == TT_EINCALLBACK, "poll inside a callback"); break;
    case 5: tt_runtime_shutdown(); break;
    default: break;
    }
    S.in_callback--;
}

static int run_step(fuzz_reader *r) {
    uint8_t op = fuzz_u8(r);
    switch (op % 16) {
    case 0: api_configure(r); break;
    case 1:
    case 2: api_connect(r); break;
    case 3: api_send(r); break;
    case 4: api_close(r); break;
    case 5: upcall(r, 0); break;
    case 6: upcall(r, 1); break;
    case 7: upcall(r, 2); break;
    case 8: upcall(r, 3); break;
    case 9: {
        static const int timeouts[4] = {0, 0, 5, 100};
        poll_checked(timeouts[(op >> 4) & 3]);
        break;
    }
    case 10: tt_test_clock_advance((uint64_t)fuzz_u8(r) * 7); break;
    case 11: tt_loop_set_auto((op >> 4) & 1); break;
    case 12: {
        static const int codes[4] = {0, TT_ENOMEM, TT_EBUFFER, TT_ECONNECT};
        if (op & 0x10) tt_loop_fail_next_open(codes[(op >> 5) & 3] ? codes[(op >> 5) & 3] : TT_ECONNECT);
        else tt_loop_set_send_result(codes[(op >> 5) & 3]);
        break;
    }
    case 13:
        S.armed = 1 + ((op >> 4) % 5);
        S.armed_arg = fuzz_u8(r);
        break;
    case 14: {
        uint32_t id = pick_task(fuzz_u8(r));
        S.in_api++;
        tt_ready_state st = tt_socket_task_ready_state((tt_socket_task){id});
        task_rec *t = task_by_id(id);
        if (t == NULL || t->closes) FUZZ_CHECK(st == TT_CLOSED, "unknown or closed task reads %d", st);
        if (t == NULL) FUZZ_CHECK(tt_socket_task_buffered_amount((tt_socket_task){id}) == 0, "buffered of unknown");
        S.in_api--;
        break;
    }
    case 15:
        if (op & 0x10) {
            tt_runtime_shutdown(); /* forgets the configuration too */
            S.max_message_size = (size_t)64 * 1024 * 1024;
        } else tt_loop_set_buffered((size_t)(op >> 5) * 100);
        break;
    }
    return r->n > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    memset(&S, 0, sizeof S);
    S.max_message_size = 0; /* set by the first configure; the default otherwise */
    S.reentrant_budget = 8;
    tt_runtime_shutdown(); /* a clean slate even if a previous run stopped early */
    long live_before = tt__alloc_live();
    tt_test_hooks_install(7);
    tt_loop_reset();

    tt_runtime_config defaults;
    memset(&defaults, 0, sizeof defaults);
    defaults.skip_domain_check = 1; /* most runs want connections that get somewhere */
    FUZZ_CHECK(tt_runtime_configure(&defaults) == 0, "configure");
    S.max_message_size = (size_t)64 * 1024 * 1024;
    fuzz_reader r = {data, size};
    int steps = 0;
    while (r.n > 0 && steps++ < 200) run_step(&r);
    /* Drain what is queued, then end the run. */
    poll_checked(0);
    tt_runtime_shutdown();

    FUZZ_CHECK(S.expect_complete == NULL && S.expect_close == NULL, "run ended between paired callbacks");
    for (size_t i = 0; i < S.task_count; i++) {
        task_rec *t = &S.tasks[i];
        FUZZ_CHECK(t->connect_result_seen, "task %u never got connectSocket success", t->id);
        FUZZ_CHECK(t->closes == 1, "task %u got %d onClose", t->id, t->closes);
    }
    for (size_t i = 0; i < S.call_count; i++) {
        call_rec *c = &S.calls[i];
        if (c->kind == 3) continue;
        FUZZ_CHECK(c->success + c->fail == 1 && c->complete == 1, "call %zu (kind %d): success %d fail %d complete %d",
                   i, c->kind, c->success, c->fail, c->complete);
    }
    FUZZ_CHECK(tt_loop_live() == 0, "%zu loopback connections live after shutdown", tt_loop_live());
    tt_loop_reset();
    FUZZ_CHECK(tt__alloc_live() == live_before, "leak: %ld blocks live, %ld before", tt__alloc_live(), live_before);
    return 0;
}
