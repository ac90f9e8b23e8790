/*
 * The web test driver: one scenario per run, one trace line per callback on stdout, then "END".
 * Built twice (web/CMakeLists.txt): for Node (driver_node.cjs, run with --experimental-websocket) and for
 * the browser (driver_browser.mjs, run by callMain in Chromium). tests/web/scenarios.mjs holds the exact
 * traces expected from both.
 *
 *   driver <scenario> <url> [args...]
 *
 * Trace line: "T<id> <kind> rs=<readyState> ..." with, depending on the kind, errMsg=, code=, reason=,
 * clean=, type=, len=, hash= (FNV-1a 32 of the payload), protocol=, extensions=. Bytes outside printable
 * ASCII in strings are written as \xHH.
 *
 * Built with -pthread -sPROXY_TO_PTHREAD (driver_threads.js), main() runs on a worker: the driver first
 * prints where main() runs, and every callback checks that it runs on that same thread (a line
 * "WRONG THREAD" otherwise, which no expected trace has).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emscripten/emscripten.h>
#ifdef __EMSCRIPTEN_PTHREADS__
#    include <emscripten/threading.h>
#    include <pthread.h>
#endif

#include "ttsocket.h"

#define MAX_TASKS 256
#define FINISH_GRACE_MS 150

typedef struct task_ctx {
    tt_socket_task task;
    int index;
    int step; /* scenario-specific progress */
    int closed;
} task_ctx;

static task_ctx tasks[MAX_TASKS];
static int task_count, closed_count;
static const char *scenario;
static const char *url;
static int argc_g;
static char **argv_g;
static int finishing;

/* web/library_ttsocket.js's socket slots ever made (tests/web/slots.js, linked into the drivers only). */
extern int tt_test_socket_slots(void);

/* ---- Thread -------------------------------------------------------------------------------------- */

#ifdef __EMSCRIPTEN_PTHREADS__
static pthread_t game_thread;
static void thread_start(void) {
    game_thread = pthread_self();
    printf("main on %s\n", emscripten_is_main_browser_thread() ? "the main browser thread" : "a worker");
}
static void thread_check(void) {
    if (!pthread_equal(pthread_self(), game_thread)) printf("WRONG THREAD\n");
}
#else
static void thread_start(void) {}
static void thread_check(void) {}
#endif

/* ---- Trace ---------------------------------------------------------------------------------------- */

static uint32_t fnv1a(const void *data, size_t n) {
    const uint8_t *p = data;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static void put_escaped(const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p <= 0x7e && *p != '\\') putchar(*p);
        else printf("\\x%02x", *p);
    }
}

static const char *rs(tt_socket_task t) {
    static const char *names[] = {"CONNECTING", "OPEN", "CLOSING", "CLOSED"};
    tt_ready_state s = tt_socket_task_ready_state(t);
    return (unsigned)s < 4 ? names[s] : "?";
}

static void finish(void *ud) {
    (void)ud;
    printf("END\n");
    fflush(stdout);
    emscripten_force_exit(0);
}

static void maybe_finish(void) {
    if (finishing || closed_count < task_count) return;
    finishing = 1;
    /* A grace period so that a callback after onClose would show up in the trace. */
    emscripten_async_call(finish, NULL, FINISH_GRACE_MS);
}

static void on_result(const char *kind, const tt_result *r, task_ctx *c) {
    thread_check();
    printf("T%u %s rs=%s errMsg=", (unsigned)c->task.id, kind, rs(c->task));
    put_escaped(r->err_msg);
    if (r->socket_task_id) printf(" id=%u", (unsigned)r->socket_task_id);
    printf("\n");
}

static void connect_success(const tt_result *r, void *ud) { on_result("connect:success", r, ud); }
static void connect_fail(const tt_result *r, void *ud) { on_result("connect:fail", r, ud); }
static void connect_complete(const tt_result *r, void *ud) {
    on_result("connect:complete", r, ud);
    /* A refused connect has no task and no events: its complete is the last line it gives. */
    if (((task_ctx *)ud)->task.id == 0) maybe_finish();
}
static void send_success(const tt_result *r, void *ud) { on_result("send:success", r, ud); }
static void send_fail(const tt_result *r, void *ud) { on_result("send:fail", r, ud); }
static void send_complete(const tt_result *r, void *ud) { on_result("send:complete", r, ud); }
static void close_success(const tt_result *r, void *ud) { on_result("close:success", r, ud); }
static void close_fail(const tt_result *r, void *ud) { on_result("close:fail", r, ud); }
static void close_complete(const tt_result *r, void *ud) { on_result("close:complete", r, ud); }

/* ---- Scenario hooks -------------------------------------------------------------------------------- */

static void scenario_open(task_ctx *c);
static void scenario_message(task_ctx *c, const tt_message_event *m);
static void scenario_close(task_ctx *c);

/* "k" for a known profile time (>= 0), "u" for TT_PROFILE_UNKNOWN: the exact values vary, what a
 * backend can know does not. */
static const char *known(int64_t v) { return v == TT_PROFILE_UNKNOWN ? "u" : v >= 0 ? "k" : "BAD"; }

/* observe: what the web backend can tell about an open, and its capability bits. */
static void print_profile(tt_socket_task t, const tt_open_event *e) {
    const tt_open_profile *p = e->profile;
    printf("T%u profile fetch_start=%s domain_lookup=%s%s connect=%s%s ssl=%s%s connect_end=%s request=%s%s "
           "response_end=%s open=%s rtt=%s handshake_cost=%s cost=%s cost_is_open_minus_fetch=%d header=%s/%zu "
           "caps=0x%x\n",
           (unsigned)t.id, known(p->fetch_start), known(p->domain_lookup_start), known(p->domain_lookup_end),
           known(p->connect_start), known(p->tcp_connect_end), known(p->ssl_connection_start),
           known(p->ssl_connection_end), known(p->connect_end), known(p->request_start), known(p->request_end),
           known(p->response_end), known(p->open), known(p->rtt), known(p->handshake_cost), known(p->cost),
           p->cost == p->open - p->fetch_start, e->header ? "set" : "null", e->header_count,
           (unsigned)tt_runtime_capabilities());
}

/* observe: a profile field as ms after fetch_start (durations as they are), "u" when unknown. */
static void put_ms(const char *name, int64_t v, int64_t from) {
    if (v == TT_PROFILE_UNKNOWN) printf(" %s=u", name);
    else printf(" %s=%lld", name, (long long)(v - from));
}

/* observe: the response header's fields and the profile's values that do not depend on timing. */
static void print_open_details(tt_socket_task t, const tt_open_event *e) {
    const tt_open_profile *p = e->profile;
    for (size_t i = 0; i < e->header_count; i++) {
        printf("T%u header ", (unsigned)t.id);
        put_escaped(e->header[i].name);
        printf(": ");
        put_escaped(e->header[i].value);
        printf("\n");
    }
    printf("T%u profile_ms", (unsigned)t.id);
    put_ms("domain_lookup_start", p->domain_lookup_start, p->fetch_start);
    put_ms("domain_lookup_end", p->domain_lookup_end, p->fetch_start);
    put_ms("connect_start", p->connect_start, p->fetch_start);
    put_ms("tcp_connect_end", p->tcp_connect_end, p->fetch_start);
    put_ms("ssl_connection_start", p->ssl_connection_start, p->fetch_start);
    put_ms("ssl_connection_end", p->ssl_connection_end, p->fetch_start);
    put_ms("connect_end", p->connect_end, p->fetch_start);
    put_ms("request_start", p->request_start, p->fetch_start);
    put_ms("request_end", p->request_end, p->fetch_start);
    put_ms("response_end", p->response_end, p->fetch_start);
    put_ms("rtt", p->rtt, 0);
    put_ms("handshake_cost", p->handshake_cost, 0);
    printf("\n");
}

/* observe: the counters after one 3-byte echo; wire counts the browser does not expose. */
static void print_count(const char *name, uint64_t v) {
    if (v == TT_STATS_UNKNOWN) printf(" %s=unknown", name);
    else printf(" %s=%llu", name, (unsigned long long)v);
}

static void print_stats(tt_socket_task t) {
    tt_task_stats s;
    int rc = tt_socket_task_stats(t, &s, sizeof s);
    printf("T%u stats rc=%d", (unsigned)t.id, rc);
    print_count("messages_sent", s.messages_sent);
    print_count("messages_received", s.messages_received);
    print_count("bytes_sent", s.bytes_sent);
    print_count("bytes_received", s.bytes_received);
    print_count("wire_bytes_sent", s.wire_bytes_sent);
    print_count("wire_bytes_received", s.wire_bytes_received);
    print_count("frames_sent", s.frames_sent);
    print_count("frames_received", s.frames_received);
    print_count("pings_received", s.pings_received);
    print_count("pongs_sent", s.pongs_sent);
    print_count("compressed_payload_sent", s.compressed_payload_sent);
    print_count("compressed_wire_received", s.compressed_wire_received);
    print_count("tasks", s.tasks);
    printf("\n");
}

static void on_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    thread_check();
    printf("T%u open rs=%s protocol=", (unsigned)t.id, rs(t));
    put_escaped(e->protocol);
    printf(" extensions=");
    put_escaped(e->extensions);
    printf("\n");
    if (!strcmp(scenario, "observe")) {
        print_profile(t, e);
        print_open_details(t, e);
    }
    scenario_open(ud);
}

static void on_message(tt_socket_task t, const tt_message_event *m, void *ud) {
    thread_check();
    printf("T%u message rs=%s type=%s len=%zu hash=%08x\n", (unsigned)t.id, rs(t),
           m->type == TT_DATA_TEXT ? "text" : "binary", m->length, fnv1a(m->data, m->length));
    scenario_message(ud, m);
}

static void on_error(tt_socket_task t, const tt_error_event *e, void *ud) {
    (void)ud;
    thread_check();
    printf("T%u error rs=%s errMsg=", (unsigned)t.id, rs(t));
    put_escaped(e->err_msg);
    printf(" detail=");
    put_escaped(e->detail ? e->detail : "(null)");
    printf("\n");
}

static void on_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    task_ctx *c = ud;
    thread_check();
    printf("T%u close rs=%s code=%d reason=", (unsigned)t.id, rs(t), e->code);
    put_escaped(e->reason);
    printf(" clean=%d\n", e->was_clean);
    if (!c->closed) {
        c->closed = 1;
        closed_count++;
    }
    scenario_close(c);
    maybe_finish();
}

/* ---- Actions ---------------------------------------------------------------------------------------- */

static task_ctx *connect_task(const char *u, const char *protocols_csv, int timeout_ms) {
    if (task_count >= MAX_TASKS) abort();
    task_ctx *c = &tasks[task_count++];
    c->index = task_count - 1;
    const char *protos[8];
    size_t nproto = 0;
    char buf[256];
    if (protocols_csv && *protocols_csv) {
        snprintf(buf, sizeof buf, "%s", protocols_csv);
        for (char *tok = strtok(buf, ","); tok && nproto < 8; tok = strtok(NULL, ",")) protos[nproto++] = tok;
    }
    tt_connect_socket_options o = {0};
    o.url = u;
    o.protocols = protos;
    o.protocol_count = nproto;
    o.timeout_ms = timeout_ms;
    /* A request header a mini-game container passes on (a browser cannot send it). */
    static const tt_header game_header[] = {{"X-Game", "ttsocket"}};
    if (!strcmp(scenario, "client_close")) {
        o.header = game_header;
        o.header_count = 1;
    }
    o.success = connect_success;
    o.fail = connect_fail;
    o.complete = connect_complete;
    o.user_data = c;
    c->task = tt_connect_socket(&o);
    printf("T%u connect-returned rs=%s\n", (unsigned)c->task.id, rs(c->task));
    tt_socket_task_on_open(c->task, on_open, c);
    tt_socket_task_on_message(c->task, on_message, c);
    tt_socket_task_on_error(c->task, on_error, c);
    tt_socket_task_on_close(c->task, on_close, c);
    if (c->task.id == 0) {
        c->closed = 1; /* no event will ever come */
        closed_count++;
    }
    return c;
}

static void send_data(task_ctx *c, tt_data_type type, const void *data, size_t len) {
    tt_send_options o = {0};
    o.type = type;
    o.data = data;
    o.length = len;
    o.success = send_success;
    o.fail = send_fail;
    o.complete = send_complete;
    o.user_data = c;
    tt_socket_task_send(c->task, &o);
}

static void close_task(task_ctx *c, int code, const char *reason) {
    tt_close_options o = {0};
    o.code = code;
    o.reason = reason;
    o.success = close_success;
    o.fail = close_fail;
    o.complete = close_complete;
    o.user_data = c;
    tt_socket_task_close(c->task, &o);
}

/* Deterministic payloads; tests/web/scenarios.mjs generates the same bytes. */
static uint8_t *make_payload(tt_data_type type, size_t n) {
    uint8_t *p = malloc(n + 1);
    if (!p) abort();
    for (size_t i = 0; i < n; i++)
        p[i] = type == TT_DATA_TEXT ? (uint8_t)('a' + (i * 7) % 26) : (uint8_t)((i * 131 + 7) & 0xff);
    p[n] = 0;
    return p;
}

/* "#N" is N bytes of 'r'; anything else is taken as it is. */
static char *make_reason(const char *spec) {
    if (spec[0] == '#') {
        size_t n = (size_t)atoi(spec + 1);
        char *s = malloc(n + 1);
        memset(s, 'r', n);
        s[n] = 0;
        return s;
    }
    size_t n = strlen(spec);
    char *s = malloc(n + 1);
    memcpy(s, spec, n + 1);
    return s;
}

/* ---- Scenarios -------------------------------------------------------------------------------------- */

static size_t echo_sizes[32];
static int echo_count;
static tt_data_type echo_type;

static void echo_next(task_ctx *c) {
    if (c->step >= echo_count) {
        close_task(c, 1000, "done");
        return;
    }
    size_t n = echo_sizes[c->step];
    uint8_t *p = make_payload(echo_type, n);
    send_data(c, echo_type, p, n);
    free(p); /* the library copied it */
}

/* Text with U+0000 in it, and multi-byte characters around it. */
static const char nul_text[] = "a\0b\xc3\xa9\0\xe2\x9c\x93\0";
#define NUL_TEXT_LEN (sizeof nul_text - 1)

/* Text that starts with U+FEFF (a byte-order mark), sent and echoed, and a close reason that starts
 * with one: the bytes must arrive as they are (a default TextDecoder would drop the mark). */
static const char bom_text[] = "\xef\xbb\xbfhi";
static const char bom_reason[] = "\xef\xbb\xbf"
                                 "bye";

/* The number of tasks "sequential" connects, one after another. */
static int sequential_total;

static void shutdown_now(void *ud) {
    (void)ud;
    printf("shutdown\n");
    tt_runtime_shutdown();
    printf("shutdown-returned\n");
}

static void scenario_open(task_ctx *c) {
    if (!strcmp(scenario, "shutdown_open")) {
        emscripten_async_call(shutdown_now, NULL, 0);
    } else if (!strcmp(scenario, "too_big")) {
        uint8_t *p = make_payload(TT_DATA_BINARY, 2000);
        send_data(c, TT_DATA_BINARY, p, 2000);
        free(p);
    } else if (!strcmp(scenario, "echo")) {
        echo_next(c);
    } else if (!strcmp(scenario, "echo_nul")) {
        send_data(c, TT_DATA_TEXT, nul_text, NUL_TEXT_LEN);
    } else if (!strcmp(scenario, "observe")) {
        send_data(c, TT_DATA_TEXT, "abc", 3);
    } else if (!strcmp(scenario, "bom")) {
        send_data(c, TT_DATA_TEXT, bom_text, sizeof bom_text - 1);
        send_data(c, TT_DATA_BINARY, bom_text, sizeof bom_text - 1);
    } else if (!strcmp(scenario, "sequential")) {
        close_task(c, 1000, "");
    } else if (!strcmp(scenario, "client_close")) {
        int code = atoi(argv_g[3]);
        char *reason = make_reason(argc_g > 4 ? argv_g[4] : "");
        close_task(c, code, reason);
        free(reason);
    } else if (!strcmp(scenario, "close_invalid")) {
        static const int bad_codes[] = {999, 1004, 1005, 1006, 1015, 2999, 5000};
        for (size_t i = 0; i < sizeof bad_codes / sizeof bad_codes[0]; i++) close_task(c, bad_codes[i], "x");
        char *long_reason = make_reason("#124");
        close_task(c, 1000, long_reason);
        free(long_reason);
        close_task(c, 3000, "\xff"); /* not UTF-8 */
        /* The module is still alive and the task still OPEN: an echo proves it, then a valid close. */
        send_data(c, TT_DATA_TEXT, "still-open", 10);
    } else if (!strcmp(scenario, "send_before_open") || !strcmp(scenario, "poll_block")) {
        close_task(c, 0, NULL); /* all defaults: 1000, "" */
    } else if (!strcmp(scenario, "send_after_close")) {
        close_task(c, 1000, "bye");
        send_data(c, TT_DATA_BINARY, "late", 4);
        printf("T%u buffered=%zu\n", (unsigned)c->task.id, tt_socket_task_buffered_amount(c->task));
    } else if (!strcmp(scenario, "buffered")) {
        send_data(c, TT_DATA_TEXT, "hello", 5);
        printf("T%u buffered=%zu\n", (unsigned)c->task.id, tt_socket_task_buffered_amount(c->task));
    } else if (!strcmp(scenario, "big") && c->index == 1) {
        send_data(c, TT_DATA_TEXT, "hello", 5);
    } else if (!strcmp(scenario, "many")) {
        char msg[32];
        int n = snprintf(msg, sizeof msg, "hello %u", (unsigned)c->task.id);
        send_data(c, TT_DATA_TEXT, msg, (size_t)n);
    }
}

static void scenario_message(task_ctx *c, const tt_message_event *m) {
    if (!strcmp(scenario, "echo")) {
        c->step++;
        echo_next(c);
    } else if (!strcmp(scenario, "echo_nul")) {
        /* Only data[0 .. length) is the message: text is not NUL-terminated (ttsocket.h), so nothing past
         * it is read. */
        printf("T%u nul-text-equal=%d\n", (unsigned)c->task.id,
               m->length == NUL_TEXT_LEN && memcmp(m->data, nul_text, NUL_TEXT_LEN) == 0);
        close_task(c, 1000, "");
    } else if (!strcmp(scenario, "buffered")) {
        printf("T%u buffered=%zu\n", (unsigned)c->task.id, tt_socket_task_buffered_amount(c->task));
        close_task(c, 1000, "ok");
    } else if (!strcmp(scenario, "close_invalid") || !strcmp(scenario, "many") || !strcmp(scenario, "big")) {
        close_task(c, 1000, "ok");
    } else if (!strcmp(scenario, "observe")) {
        print_stats(c->task);
        close_task(c, 1000, "ok");
    } else if (!strcmp(scenario, "bom") && ++c->step == 2) {
        close_task(c, 4000, bom_reason);
    }
}

static void scenario_close(task_ctx *c) {
    (void)c;
    if (strcmp(scenario, "sequential") != 0) return;
    /* The next task is made only now: every socket before it has been closed and released. */
    if (task_count < sequential_total) connect_task(url, NULL, 0);
    else printf("socket slots made=%d\n", tt_test_socket_slots());
}

static void parse_sizes(const char *csv) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", csv);
    for (char *tok = strtok(buf, ","); tok && echo_count < 32; tok = strtok(NULL, ","))
        echo_sizes[echo_count++] = (size_t)strtoull(tok, NULL, 10);
}

int main(int argc, char **argv) {
    argc_g = argc;
    argv_g = argv;
    if (argc < 3) {
        fprintf(stderr, "usage: driver <scenario> <url> [args...]\n");
        return 2;
    }
    scenario = argv[1];
    url = argv[2];
    setvbuf(stdout, NULL, _IOLBF, 0);
    thread_start();

    tt_runtime_config cfg = {0};
    cfg.skip_domain_check = 1;
    if (!strcmp(scenario, "backend")) {
        /* backend <ignored>: the backend chosen by default, then what configure says to forcing each. */
        static const char *names[] = {"auto", "native", "browser", "tt", "wx"};
        printf("backend %s\n", tt_runtime_backend());
        for (int b = TT_BACKEND_NATIVE; b <= TT_BACKEND_WX; b++) {
            cfg.backend = b;
            int rc = tt_runtime_configure(&cfg);
            printf("force %s: rc=%d backend %s\n", names[b], rc, tt_runtime_backend());
        }
        finish(NULL);
        return 0;
    }
    /* client_close_quick: client_close with a close_timeout_ms of 500. */
    if (!strcmp(scenario, "client_close_quick")) {
        cfg.close_timeout_ms = 500;
        scenario = "client_close";
    }
    /* tt:<scenario>, wx:<scenario>, browser:<scenario>: the scenario with that backend forced. */
    if (!strncmp(scenario, "tt:", 3) || !strncmp(scenario, "wx:", 3) || !strncmp(scenario, "browser:", 8)) {
        cfg.backend = scenario[0] == 't' ? TT_BACKEND_TT : scenario[0] == 'w' ? TT_BACKEND_WX : TT_BACKEND_BROWSER;
        scenario = strchr(scenario, ':') + 1;
    }
    if (!strcmp(scenario, "too_big")) cfg.max_message_size = 1000; /* the echo of 2000 bytes is too big */
    if (tt_runtime_configure(&cfg) != 0) abort();

    if (!strcmp(scenario, "connect_wait")) {
        /* connect_wait <url> [protocols_csv] [timeout_ms] */
        connect_task(url, argc > 3 ? argv[3] : NULL, argc > 4 ? atoi(argv[4]) : 0);
    } else if (!strcmp(scenario, "echo")) {
        /* echo <url> text|binary <sizes_csv> */
        echo_type = !strcmp(argv[3], "binary") ? TT_DATA_BINARY : TT_DATA_TEXT;
        parse_sizes(argv[4]);
        connect_task(url, NULL, 0);
    } else if (!strcmp(scenario, "send_before_open")) {
        task_ctx *c = connect_task(url, NULL, 0);
        send_data(c, TT_DATA_TEXT, "early", 5);
    } else if (!strcmp(scenario, "close_connecting")) {
        task_ctx *c = connect_task(url, NULL, 0);
        close_task(c, 1000, "never-open");
    } else if (!strcmp(scenario, "poll_block")) {
        /* A native wait loop in the page: the first endless poll delivers the pending connect results,
         * the second has nothing to deliver while the task is CONNECTING and must not wait or spin. */
        connect_task(url, NULL, 0);
        for (int i = 0; i < 2; i++) {
            int rc = tt_runtime_poll(-1);
            printf("poll(-1) = %d%s%s\n", rc, rc < 0 ? " " : "", rc < 0 ? tt_strerror(rc) : "");
        }
    } else if (!strcmp(scenario, "big")) {
        /* big <url sending a big message> <echo url>: the second task must be unaffected */
        connect_task(url, NULL, 0);
        connect_task(argv[3], NULL, 0);
    } else if (!strcmp(scenario, "many")) {
        int n = atoi(argv[3]);
        for (int i = 0; i < n; i++) connect_task(url, NULL, 0);
    } else if (!strcmp(scenario, "sequential")) {
        /* sequential <url> <n>: n tasks, each opened, closed, then the next one */
        sequential_total = atoi(argv[3]);
        if (sequential_total > MAX_TASKS) sequential_total = MAX_TASKS;
        connect_task(url, NULL, 0);
    } else {
        /* bom, echo_nul, client_close, close_invalid, send_after_close, shutdown_open, too_big, observe */
        connect_task(url, NULL, 0);
    }
    emscripten_exit_with_live_runtime();
    return 0;
}
