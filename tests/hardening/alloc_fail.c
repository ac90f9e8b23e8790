/*
 * Allocation failure on the real native path: one connect -> echo -> close cycle against the
 * node peer (native transport, engine with permessage-deflate, core) is run once to count its
 * allocations, then again with allocation 1, 2, ... N failing in turn (tt__alloc_set_fail_after), over
 * ws:// and wss://. Every run must end cleanly:
 *   - either "connectSocket:fail out of memory" (and complete) and nothing else,
 *   - or "connectSocket:ok" (and complete), then at most onOpen, the echo, then exactly one onClose and
 *     nothing after it; a close that is not the clean 1000 "done" comes after an onError;
 * and after tt_runtime_shutdown() every block is freed (tt__alloc_live back to its baseline). Run by
 * run-peer.sh, which exports TT_IT_PORT_WS, TT_IT_PORT_WSS and TT_IT_CA.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "native_driver.h"
#include "tt_internal.h"
#include "ttsocket.h"

#define MAX_LINES 32
#define SEND_OOM "sendSocketMessage:fail out of memory"

typedef struct rec {
    tt_socket_task task;
    char lines[MAX_LINES][200];
    int n;
    int done; /* the last callback arrived: connect fail or onClose */
    int after_done;
} rec;

static void add(rec *r, const char *fmt, ...) {
    if (r->done) r->after_done++;
    if (r->n >= MAX_LINES) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->lines[r->n++], sizeof r->lines[0], fmt, ap);
    va_end(ap);
}

static void on_ok(const tt_result *res, void *ud) { add(ud, "ok %s", res->err_msg); }
static void on_fail(const tt_result *res, void *ud) {
    rec *r = ud;
    add(r, "fail %s", res->err_msg);
    r->done = 1;
}
static void on_complete(const tt_result *res, void *ud) {
    rec *r = ud;
    r->after_done = r->done ? r->after_done : 0; /* complete follows fail in the same callback pair */
    if (r->n < MAX_LINES) snprintf(r->lines[r->n++], sizeof r->lines[0], "complete %s", res->err_msg);
}
static void on_close_result(const tt_result *res, void *ud) { add(ud, "closeresult %s", res->err_msg); }

static void close_task(tt_socket_task t, rec *r) {
    tt_close_options o;
    memset(&o, 0, sizeof o);
    o.code = 1000;
    o.reason = "done";
    o.fail = on_close_result;
    o.user_data = r;
    tt_socket_task_close(t, &o);
}

/* A send refused for lack of memory is a clean outcome too: the game then closes. */
static void on_send_fail(const tt_result *res, void *ud) {
    rec *r = ud;
    add(r, "sendfail %s", res->err_msg);
    close_task(r->task, r);
}

static void ev_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    (void)e;
    add(ud, "open");
    tt_send_options o;
    memset(&o, 0, sizeof o);
    o.type = TT_DATA_TEXT;
    o.data = "hello, allocator";
    o.length = strlen(o.data);
    o.fail = on_send_fail;
    o.user_data = ud;
    tt_socket_task_send(t, &o);
}
static void ev_message(tt_socket_task t, const tt_message_event *e, void *ud) {
    add(ud, "message %.*s", (int)e->length, (const char *)e->data);
    close_task(t, ud);
}
static void ev_error(tt_socket_task t, const tt_error_event *e, void *ud) {
    (void)t;
    add(ud, "error %s | %s", e->err_msg, e->detail);
}
static void ev_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    (void)t;
    rec *r = ud;
    add(r, "close %d %s %s", e->code, e->reason, e->was_clean ? "clean" : "not-clean");
    r->done = 1;
}

static const tt_task_callbacks callbacks = {
    .success = on_ok,
    .fail = on_fail,
    .complete = on_complete,
    .open = ev_open,
    .message = ev_message,
    .error = ev_error,
    .close = ev_close,
};

/* One cycle; returns 0 when it ended within the time limit. configure_rc gets tt_runtime_configure's. */
static int cycle(const char *url, rec *r, int *configure_rc) {
    memset(r, 0, sizeof *r);
    tt_runtime_config c;
    memset(&c, 0, sizeof c);
    c.skip_domain_check = 1;
    c.ca_file = getenv("TT_IT_CA");
    *configure_rc = tt_runtime_configure(&c);
    if (*configure_rc != 0) return 0;
    r->task = tt_connect_with((tt_connect_socket_options){.url = url}, &callbacks, r);
    uint64_t end = tt_now_ms() + 10000;
    while (!r->done && tt_now_ms() < end) {
        int rc = tt_runtime_poll(20);
        if (rc < 0 && rc != TT_ENOMEM) {
            fprintf(stderr, "tt_runtime_poll: %d\n", rc);
            return -1;
        }
    }
    /* Let anything that would wrongly come after the last callback show up. */
    for (int i = 0; i < 3; i++) (void)tt_runtime_poll(5);
    return r->done ? 0 : -1;
}

static int check(const rec *r, int configure_rc, char *why, size_t cap) {
    if (configure_rc == TT_ENOMEM) return r->n == 0 ? 0 : (snprintf(why, cap, "events after configure failed"), 1);
    if (configure_rc != 0) return snprintf(why, cap, "configure: %d", configure_rc), 1;
    if (r->n == 0) return snprintf(why, cap, "no callback at all"), 1;
    if (r->after_done) return snprintf(why, cap, "%d callback(s) after the last one", r->after_done), 1;
    if (strncmp(r->lines[0], "fail ", 5) == 0) {
        if (strcmp(r->lines[0], "fail connectSocket:fail out of memory") != 0)
            return snprintf(why, cap, "fail text"), 1;
        if (r->n != 2 || strcmp(r->lines[1], "complete connectSocket:fail out of memory") != 0)
            return snprintf(why, cap, "fail not followed by exactly complete"), 1;
        return 0;
    }
    if (r->n < 3 || strcmp(r->lines[0], "ok connectSocket:ok") != 0 ||
        strcmp(r->lines[1], "complete connectSocket:ok") != 0)
        return snprintf(why, cap, "does not start with connectSocket:ok + complete"), 1;
    int closes = 0, errors = 0, error_before_close = 0;
    for (int i = 2; i < r->n; i++) {
        if (strncmp(r->lines[i], "close ", 6) == 0) {
            closes++;
            if (i != r->n - 1) return snprintf(why, cap, "onClose is not last"), 1;
            error_before_close = i > 0 && strncmp(r->lines[i - 1], "error ", 6) == 0;
        }
        if (strncmp(r->lines[i], "sendfail ", 9) == 0 && strcmp(r->lines[i], "sendfail " SEND_OOM) != 0)
            return snprintf(why, cap, "send failed with another errMsg: %s", r->lines[i] + 9), 1;
        /* The detail may be "": the core does not fail over a detail it cannot copy (src/queue.c). */
        if (strncmp(r->lines[i], "error onSocketError: ", 21) == 0) errors++;
        else if (strncmp(r->lines[i], "error ", 6) == 0) return snprintf(why, cap, "unknown onError errMsg"), 1;
    }
    if (closes != 1) return snprintf(why, cap, "%d onClose", closes), 1;
    const char *last = r->lines[r->n - 1];
    int clean = strcmp(last, "close 1000 done clean") == 0;
    if (!clean && !(errors == 1 && error_before_close)) return snprintf(why, cap, "a failed close without onError"), 1;
    if (clean && errors) return snprintf(why, cap, "onError before a clean close"), 1;
    return 0;
}

static void dump(const rec *r) {
    for (int i = 0; i < r->n; i++) fprintf(stderr, "      %s\n", r->lines[i]);
}

static int run(const char *label, const char *url) {
    rec r;
    int crc;
    long base = tt__alloc_live();
    tt__alloc_set_fail_after(0);
    if (cycle(url, &r, &crc) != 0 || check(&r, crc, (char[8]){0}, 8) != 0 ||
        strcmp(r.lines[r.n - 1], "close 1000 done clean") != 0) {
        fprintf(stderr, "%s: the cycle without failures does not work:\n", label);
        dump(&r);
        return 1;
    }
    unsigned long total = tt__alloc_count();
    tt_runtime_shutdown();
    if (tt__alloc_live() != base) {
        fprintf(stderr, "%s: %ld block(s) leaked by the plain cycle\n", label, tt__alloc_live() - base);
        return 1;
    }
    int failures = 0, oom_fail = 0, oom_open = 0, clean = 0, oom_send = 0;
    for (unsigned long k = 1; k <= total; k++) {
        tt__alloc_set_fail_after(k);
        char why[160] = "";
        int timed_out = cycle(url, &r, &crc) != 0;
        tt__alloc_set_fail_after(0);
        int bad = timed_out ? (snprintf(why, sizeof why, "no final callback within 10 s"), 1)
                            : check(&r, crc, why, sizeof why);
        tt_runtime_shutdown();
        long leaked = tt__alloc_live() - base;
        if (leaked)
            bad = 1,
            snprintf(why + strlen(why), sizeof why - strlen(why), "%s%ld block(s) leaked", *why ? "; " : "", leaked);
        if (bad) {
            failures++;
            fprintf(stderr, "%s: allocation %lu of %lu failing: %s\n", label, k, total, why);
            dump(&r);
            if (leaked) return 1; /* the baseline is gone: later runs would all report it */
        }
        if (getenv("TT_ALLOC_VERBOSE")) {
            fprintf(stderr, "%s %2lu:", label, k);
            for (int i = 0; i < r.n; i++) fprintf(stderr, " [%s]", r.lines[i]);
            fprintf(stderr, "%s\n", crc ? " [configure: out of memory]" : "");
        }
        for (int i = 0; i < r.n; i++) oom_send += strcmp(r.lines[i], "sendfail " SEND_OOM) == 0;
        if (crc == TT_ENOMEM || (r.n && strncmp(r.lines[0], "fail ", 5) == 0)) oom_fail++;
        else if (r.n && strcmp(r.lines[r.n - 1], "close 1000 done clean") == 0) clean++;
        else oom_open++;
    }
    printf("%s: %lu allocations per cycle; each failed in turn: %d refused at connect, %d failed after "
           "connectSocket:ok (onError + onClose), %d still clean, %d send(s) refused with \"" SEND_OOM "\"; %d bad\n",
           label, total, oom_fail, oom_open, clean, oom_send, failures);
    /* Some allocation of the send path must have failed and been reported to the game as such. */
    if (oom_send == 0) fprintf(stderr, "%s: no run reported \"" SEND_OOM "\"\n", label), failures++;
    return failures != 0;
}

int main(void) {
    const char *ws = getenv("TT_IT_PORT_WS"), *wss = getenv("TT_IT_PORT_WSS");
    if (ws == NULL || wss == NULL) {
        fprintf(stderr, "alloc_fail: run me through tests/integration/run-peer.sh node\n");
        return 2;
    }
    char url_ws[64], url_wss[64], url_deflate[64];
    snprintf(url_ws, sizeof url_ws, "ws://127.0.0.1:%s/echo", ws);
    snprintf(url_wss, sizeof url_wss, "wss://127.0.0.1:%s/echo", wss);
    snprintf(url_deflate, sizeof url_deflate, "wss://127.0.0.1:%s/echo-deflate", wss);
    int bad = run("ws://", url_ws);
    bad |= run("wss://", url_wss);
    bad |= run("wss:// + permessage-deflate", url_deflate);
    return bad;
}
