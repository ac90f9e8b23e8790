/*
 * The parity scenario driver: one scenario per run, the same C for the native build (argv) and the web
 * build (Module.callMain(argv) in Chromium). It connects, runs the client actions, and prints the event
 * trace in tests/support/trace.h's format, one line per callback, as the callbacks arrive:
 *
 *   success connectSocket:ok id=1
 *   complete connectSocket:ok
 *   open protocol= extensions= state=1
 *   message text 5 hello state=1
 *   close 1000 done clean=1 state=3
 *   end
 *
 * plus "detail=<onError's detail>" after each error line (tt-only, like the result lines), plus, with --print-text, a "text <payload>" line after each text message (bytes below 0x20, 0x7f and
 * '\' as \xHH), and "deadline state=<readyState>" when the driver-side deadline ends the run before
 * onClose. Every run ends with "end": after onClose and a 100 ms grace period (so a stray callback after
 * onClose would show), or at the deadline. At the deadline the driver stops recording and exits; exiting
 * closes the connection without another frame, so the server's wire log stays comparable.
 *
 *   driver <url> [--protocol=P]... [--timeout=MS] [--deadline=MS] [--print-text] [--at-connect] [--task2=URL]
 *          [action]...
 *
 * --task2=URL connects a second task right after the first (no protocols, no timeout, no actions); every
 * line then starts with "#1 " or "#2 " and the run ends when both are closed.
 *
 * Actions, run in order from onOpen (with --at-connect: right after tt_connect_socket returns):
 *   --send-text=STR  --send-text-hex=HEX  --send-text-pattern-text=N  --send-text-pattern-period=N:P
 *                                                                       a text message
 *   --send-binary-hex=HEX  --send-binary-pattern-bin=N                  a binary message
 *   --wait              wait for one more onMessage (messages that arrived earlier count)
 *   --close=CODE:REASON tt_socket_task_close (CODE 0 = the tt default)
 *   --shutdown          tt_runtime_shutdown
 * --max-message-size=N sets tt_runtime_config.max_message_size.
 * Patterns (the same bytes as tests/parity/scenarios.mjs): text byte i = 'a' + (i*7)%26,
 * binary byte i = (i*131+7) & 255, period text byte i = 'a' + (((i % P) * 2654435761 mod 2^32) >> 16) % 26.
 *
 * The event listeners format their lines exactly like tests/support/trace.c (whose listeners are static,
 * and the driver must act inside the callbacks); results go through tt_trace_success/fail/complete.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "ttsocket.h"

#ifdef __EMSCRIPTEN__
#    include <emscripten/emscripten.h>
#else
#    include <time.h>
#endif

#define GRACE_MS 100
#define MAX_ACTIONS 64
#define MAX_PROTOCOLS 16

typedef enum action_kind { ACT_SEND, ACT_WAIT, ACT_CLOSE, ACT_SHUTDOWN } action_kind;

typedef struct action {
    action_kind kind;
    tt_data_type type;
    unsigned char *data;
    size_t length;
    int code;
    char *reason;
} action;

/* One connection per ctx: the scenario's own, and with --task2 a second one started right after it. */
typedef struct task_ctx {
    tt_socket_task task;
    const char *prefix; /* NULL with one task, "#1 " / "#2 " with two */
    int closed;
} task_ctx;

static tt_trace trace;
static size_t printed;
static tt_socket_task task; /* the scenario's task: actions apply to it */
static task_ctx ctxs[2];
static int ctx_count = 1, closed_count;
static const char *task2_url;
static action actions[MAX_ACTIONS];
static int action_count, next_action, waiting;
static unsigned long unconsumed_messages;
static int print_text, at_connect, stopped, closed, finished;
static int deadline_ms = 4000, timeout_ms;
static size_t max_message_size;
static const char *protocols[MAX_PROTOCOLS];
static size_t protocol_count;

static void flush_trace(void) {
    if (trace.length > printed) {
        fwrite(trace.text + printed, 1, trace.length - printed, stdout);
        printed = trace.length;
    }
    fflush(stdout);
}

static void fatal(const char *what, const char *arg) {
    fprintf(stderr, "driver: %s: %s\n", what, arg);
    exit(2);
}

/* ---- Finishing ------------------------------------------------------------------------------------- */

static void end_run(void) {
    if (finished) return;
    finished = 1;
    flush_trace();
    fputs("end\n", stdout);
    fflush(stdout);
#ifdef __EMSCRIPTEN__
    emscripten_force_exit(0);
#endif
}

static void on_deadline(void) {
    if (closed || finished) return;
    for (int i = 0; i < ctx_count; i++) {
        if (ctxs[i].closed) continue;
        trace.prefix = ctxs[i].prefix;
        tt_trace_addf(&trace, "deadline state=%d", (int)tt_socket_task_ready_state(ctxs[i].task));
    }
    stopped = 1;
    end_run();
}

#ifdef __EMSCRIPTEN__
static void grace_over(void *ud) {
    (void)ud;
    end_run();
}
static void deadline_timer(void *ud) {
    (void)ud;
    on_deadline();
}
#endif

static void mark_closed(task_ctx *c) {
    if (c->closed) return;
    c->closed = 1;
    if (++closed_count < ctx_count) return;
    closed = 1;
#ifdef __EMSCRIPTEN__
    emscripten_async_call(grace_over, NULL, GRACE_MS);
#endif
}

/* ---- Results ---------------------------------------------------------------------------------------- */

/* user_data of every result and listener is the task_ctx; lines get its prefix. */
static void r_success(const tt_result *r, void *ud) {
    if (stopped) return;
    trace.prefix = ((task_ctx *)ud)->prefix;
    tt_trace_success(r, &trace);
    flush_trace();
}

static void r_fail(const tt_result *r, void *ud) {
    task_ctx *c = ud;
    if (stopped) return;
    trace.prefix = c->prefix;
    tt_trace_fail(r, &trace);
    flush_trace();
    /* A refused connectSocket delivers no event: that task is over. */
    if (c->task.id == 0 && strncmp(r->err_msg, "connectSocket:", 14) == 0) mark_closed(c);
}

static void r_complete(const tt_result *r, void *ud) {
    if (stopped) return;
    trace.prefix = ((task_ctx *)ud)->prefix;
    tt_trace_complete(r, &trace);
    flush_trace();
}

/* ---- Actions ---------------------------------------------------------------------------------------- */

static void run_actions(void) {
    waiting = 0;
    while (next_action < action_count && !stopped) {
        action *a = &actions[next_action];
        if (a->kind == ACT_WAIT) {
            if (unconsumed_messages == 0) {
                waiting = 1;
                return;
            }
            unconsumed_messages--;
        } else if (a->kind == ACT_SEND) {
            tt_send_options o = {0};
            o.type = a->type;
            o.data = a->data;
            o.length = a->length;
            o.success = r_success;
            o.fail = r_fail;
            o.complete = r_complete;
            o.user_data = &ctxs[0];
            tt_socket_task_send(task, &o);
        } else if (a->kind == ACT_SHUTDOWN) {
            next_action++;
            tt_runtime_shutdown(); /* delivers onError + onClose 1006 before it returns */
            continue;
        } else {
            tt_close_options o = {0};
            o.code = a->code;
            o.reason = a->reason;
            o.success = r_success;
            o.fail = r_fail;
            o.complete = r_complete;
            o.user_data = &ctxs[0];
            tt_socket_task_close(task, &o);
        }
        next_action++;
    }
}

/* ---- Event listeners (trace.c's line formats) --------------------------------------------------------- */

static void add_text_line(const unsigned char *p, size_t n) {
    size_t cap = n * 4 + 8, k = 0;
    char *s = malloc(cap);
    if (s == NULL) abort();
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\') k += (size_t)snprintf(s + k, cap - k, "\\x%02x", p[i]);
        else s[k++] = (char)p[i];
    }
    s[k] = '\0';
    /* tt_trace_addf caps a line at 511 bytes; long payloads are printed in pieces. */
    for (size_t off = 0; off < k || off == 0; off += 400) {
        tt_trace_addf(&trace, "text %.400s", s + off);
        if (k == 0) break;
    }
    free(s);
}

static void on_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    if (stopped) return;
    trace.prefix = ((task_ctx *)ud)->prefix;
    trace.opens++;
    tt_trace_addf(&trace, "open protocol=%s extensions=%s state=%d", e->protocol, e->extensions,
                  (int)tt_socket_task_ready_state(t));
    flush_trace();
    if (ud == &ctxs[0]) run_actions();
    flush_trace();
}

static void on_message(tt_socket_task t, const tt_message_event *e, void *ud) {
    if (stopped) return;
    trace.prefix = ((task_ctx *)ud)->prefix;
    trace.messages++;
    int state = (int)tt_socket_task_ready_state(t);
    int printable = e->type == TT_DATA_TEXT && e->length <= 32 && memchr(e->data, '\n', e->length) == NULL &&
                    memchr(e->data, '\0', e->length) == NULL;
    if (printable)
        tt_trace_addf(&trace, "message text %zu %.*s state=%d", e->length, (int)e->length, (const char *)e->data,
                      state);
    else
        tt_trace_addf(&trace, "message %s %zu fnv=0x%08x state=%d", e->type == TT_DATA_TEXT ? "text" : "binary",
                      e->length, tt_trace_hash(e->data, e->length), state);
    if (print_text && e->type == TT_DATA_TEXT) add_text_line(e->data, e->length);
    flush_trace();
    if (ud != &ctxs[0]) return;
    unconsumed_messages++;
    if (waiting) run_actions();
    flush_trace();
}

static void on_error(tt_socket_task t, const tt_error_event *e, void *ud) {
    if (stopped) return;
    trace.prefix = ((task_ctx *)ud)->prefix;
    trace.errors++;
    tt_trace_addf(&trace, "error %s state=%d", e->err_msg, (int)tt_socket_task_ready_state(t));
    /* A tt-only line: details the core decides must be the same on both builds (run.mjs compares them;
     * only a network failure's detail is the native build's own, see the README's parity exceptions). */
    tt_trace_addf(&trace, "detail=%s", e->detail ? e->detail : "(null)");
    flush_trace();
}

static void on_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    if (stopped) return;
    trace.prefix = ((task_ctx *)ud)->prefix;
    trace.closes++;
    trace.last_close_code = e->code;
    tt_trace_addf(&trace, "close %d %s clean=%d state=%d", e->code, e->reason, e->was_clean,
                  (int)tt_socket_task_ready_state(t));
    flush_trace();
    mark_closed(ud);
}

/* ---- Arguments --------------------------------------------------------------------------------------- */

static char *copy_string(const char *s) {
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p == NULL) abort();
    memcpy(p, s, n + 1);
    return p;
}

static unsigned char *parse_hex(const char *s, size_t *n) {
    size_t len = strlen(s);
    if (len % 2) fatal("odd hex length", s);
    unsigned char *p = malloc(len / 2 + 1);
    if (p == NULL) abort();
    for (size_t i = 0; i < len / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) fatal("bad hex", s);
        p[i] = (unsigned char)v;
    }
    *n = len / 2;
    return p;
}

static unsigned char *pattern(size_t n, int text) {
    unsigned char *p = malloc(n + 1);
    if (p == NULL) abort();
    for (size_t i = 0; i < n; i++)
        p[i] = text ? (unsigned char)('a' + (i * 7) % 26) : (unsigned char)((i * 131 + 7) & 0xff);
    return p;
}

/* n letters repeating every period bytes (tests/parity/scenarios.mjs periodText). */
static unsigned char *period_text(size_t n, size_t period) {
    unsigned char *p = malloc(n + 1);
    if (p == NULL || period == 0) abort();
    for (size_t i = 0; i < n; i++) {
        uint32_t h = (uint32_t)(i % period) * 2654435761u;
        p[i] = (unsigned char)('a' + (h >> 16) % 26);
    }
    return p;
}

static const char *opt(const char *arg, const char *name) {
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 ? arg + n : NULL;
}

static void parse_args(int argc, char **argv) {
    const char *v;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        action *act = action_count < MAX_ACTIONS ? &actions[action_count] : NULL;
        if ((v = opt(a, "--protocol="))) {
            if (protocol_count == MAX_PROTOCOLS) fatal("too many protocols", a);
            protocols[protocol_count++] = v;
            continue;
        }
        if ((v = opt(a, "--timeout="))) {
            timeout_ms = atoi(v);
            continue;
        }
        if ((v = opt(a, "--deadline="))) {
            deadline_ms = atoi(v);
            continue;
        }
        if ((v = opt(a, "--max-message-size="))) {
            max_message_size = (size_t)strtoull(v, NULL, 10);
            continue;
        }
        if (!strcmp(a, "--print-text")) {
            print_text = 1;
            continue;
        }
        if (!strcmp(a, "--at-connect")) {
            at_connect = 1;
            continue;
        }
        if ((v = opt(a, "--task2="))) {
            task2_url = v;
            continue;
        }
        if (act == NULL) fatal("too many actions", a);
        memset(act, 0, sizeof *act);
        if (!strcmp(a, "--wait")) {
            act->kind = ACT_WAIT;
        } else if (!strcmp(a, "--shutdown")) {
            act->kind = ACT_SHUTDOWN;
        } else if ((v = opt(a, "--close="))) {
            act->kind = ACT_CLOSE;
            act->code = atoi(v);
            const char *colon = strchr(v, ':');
            act->reason = copy_string(colon ? colon + 1 : "");
        } else if ((v = opt(a, "--send-text="))) {
            act->kind = ACT_SEND;
            act->type = TT_DATA_TEXT;
            act->length = strlen(v);
            act->data = (unsigned char *)copy_string(v);
        } else if ((v = opt(a, "--send-text-hex=")) || (v = opt(a, "--send-binary-hex="))) {
            act->kind = ACT_SEND;
            act->type = a[7] == 't' ? TT_DATA_TEXT : TT_DATA_BINARY;
            act->data = parse_hex(v, &act->length);
        } else if ((v = opt(a, "--send-text-pattern-text=")) || (v = opt(a, "--send-binary-pattern-bin="))) {
            act->kind = ACT_SEND;
            act->type = a[7] == 't' ? TT_DATA_TEXT : TT_DATA_BINARY;
            act->length = (size_t)strtoull(v, NULL, 10);
            act->data = pattern(act->length, act->type == TT_DATA_TEXT);
        } else if ((v = opt(a, "--send-text-pattern-period="))) {
            const char *colon = strchr(v, ':');
            if (colon == NULL) fatal("expected N:PERIOD", a);
            act->kind = ACT_SEND;
            act->type = TT_DATA_TEXT;
            act->length = (size_t)strtoull(v, NULL, 10);
            act->data = period_text(act->length, (size_t)strtoull(colon + 1, NULL, 10));
        } else {
            fatal("unknown argument", a);
        }
        action_count++;
    }
}

/* ---- Main ---------------------------------------------------------------------------------------------- */

#ifndef __EMSCRIPTEN__
static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
#endif

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: driver <url> [--protocol=P]... [--timeout=MS] [--deadline=MS] [--print-text] "
                        "[actions]...\n");
        return 2;
    }
    parse_args(argc, argv);
    tt_trace_init(&trace);

    tt_runtime_config cfg = {0};
    cfg.skip_domain_check = 1;
    cfg.max_message_size = max_message_size;
    if (tt_runtime_configure(&cfg) != 0) fatal("tt_runtime_configure failed", "");

    if (task2_url) {
        ctx_count = 2;
        ctxs[0].prefix = "#1 ";
        ctxs[1].prefix = "#2 ";
    }
    for (int i = 0; i < ctx_count; i++) {
        tt_connect_socket_options o = {0};
        o.url = i == 0 ? argv[1] : task2_url;
        if (i == 0) { /* the second task offers nothing and has no timeout */
            o.protocols = protocols;
            o.protocol_count = protocol_count;
            o.timeout_ms = timeout_ms;
        }
        o.success = r_success;
        o.fail = r_fail;
        o.complete = r_complete;
        o.user_data = &ctxs[i];
        ctxs[i].task = tt_connect_socket(&o);
        tt_socket_task_on_open(ctxs[i].task, on_open, &ctxs[i]);
        tt_socket_task_on_message(ctxs[i].task, on_message, &ctxs[i]);
        tt_socket_task_on_error(ctxs[i].task, on_error, &ctxs[i]);
        tt_socket_task_on_close(ctxs[i].task, on_close, &ctxs[i]);
    }
    task = ctxs[0].task;
    if (at_connect) run_actions();

#ifdef __EMSCRIPTEN__
    emscripten_async_call(deadline_timer, NULL, deadline_ms);
    emscripten_exit_with_live_runtime();
    return 0;
#else
    long long start = now_ms(), closed_at = -1;
    while (!finished) {
        long long now = now_ms();
        if (closed) {
            if (closed_at < 0) closed_at = now;
            if (now - closed_at >= GRACE_MS) break;
        } else if (now - start >= deadline_ms) {
            on_deadline();
            break;
        }
        long long left = closed ? closed_at + GRACE_MS - now : start + deadline_ms - now;
        if (left > 50) left = 50;
        if (left < 1) left = 1;
        int n = tt_runtime_poll((int)left);
        if (n < 0 && n != TT_ETIMEOUT) {
            fprintf(stderr, "driver: tt_runtime_poll: %s\n", tt_strerror(n));
            break;
        }
    }
    if (!stopped) {
        end_run();
        tt_runtime_shutdown(); /* nothing is live after onClose: must deliver nothing */
        if (trace.length > printed) {
            fputs("after-shutdown:\n", stdout);
            flush_trace();
        }
    }
    for (int i = 0; i < action_count; i++) {
        free(actions[i].data);
        free(actions[i].reason);
    }
    tt_trace_free(&trace);
    /* A deliberately broken driver, to see run.mjs fail a run that crashes after its trace is complete. */
    if (getenv("TT_PARITY_DRIVER_CRASH")) abort();
    return 0;
#endif
}
