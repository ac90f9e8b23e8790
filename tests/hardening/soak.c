/*
 * Soak: up to TT_SOAK_TASKS tasks (default 10,000), at most 200 at once, for at most
 * TT_SOAK_SECONDS (default 20) against soak_server.mjs, which gives every connection a random behaviour:
 * echo, valid and invalid Close codes, drops, resets, invalid frames, bad handshakes. The client sends
 * 0-3 messages and sometimes closes first. Checked:
 *   - every task that got connectSocket:ok gets exactly one onClose and nothing after it; onError, when
 *     it comes, comes right before onClose;
 *   - no task is still alive 15 s after the deadline (the connect and close timeouts are 5 s and 2 s, and
 *     the server ends every connection): a stuck connection fails the soak, even though the final
 *     tt_runtime_shutdown() would give it an onClose (TT_SOAK_HOLD=1 in the server's environment makes
 *     it keep some connections open forever, to see that);
 *   - no file descriptor leak: /proc/self/fd counted before the run and after tt_runtime_shutdown();
 *   - RSS after tt_runtime_shutdown() within RSS_TOLERANCE of the baseline (measured after a warm-up of
 *     the same kind, so the allocator's and OpenSSL's one-time growth is not counted).
 * Prints a summary: tasks, events, time, fds and RSS before/after.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "native_driver.h"
#include "ttsocket.h"

#define MAX_LIVE 200
/*
 * RSS tolerance: 4 MiB over the baseline (glibc keeps some freed memory; a leak of 1 KiB per task over
 * 10,000 tasks would be 10 MiB). Under AddressSanitizer freed memory sits in its quarantine, so RSS says
 * nothing there: the numbers are printed and LeakSanitizer does the checking.
 */
#if defined(__SANITIZE_ADDRESS__)
#    define TT_SOAK_ASAN 1
#elif defined(__has_feature)
#    if __has_feature(address_sanitizer)
#        define TT_SOAK_ASAN 1
#    endif
#endif
#ifndef TT_SOAK_ASAN
#    define TT_SOAK_ASAN 0
#endif
#define RSS_TOLERANCE_KIB (4 * 1024)

typedef struct task_state {
    tt_socket_task task;
    unsigned char ok, failed, opened, errors, closes, after_close, error_not_last;
    unsigned char sends_left, close_first;
} task_state;

static task_state *st;
static unsigned long events, messages, clean_closes, errors_total, codes_1006;
static int live;

static int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (d == NULL) return -1;
    while (readdir(d)) n++;
    closedir(d);
    return n - 3; /* ".", ".." and the directory's own fd */
}

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f == NULL) return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void note(task_state *t) {
    events++;
    if (t->closes) t->after_close++;
}

static void send_one(task_state *t) {
    static const char text[] = "soak client message";
    tt_send_options o;
    memset(&o, 0, sizeof o);
    o.type = rand() % 2 ? TT_DATA_TEXT : TT_DATA_BINARY;
    o.data = text;
    o.length = (size_t)(rand() % (int)sizeof text);
    tt_socket_task_send(t->task, &o);
}

static void client_close(task_state *t) {
    static const int codes[] = {1000, 1001, 3000, 4000, 4999};
    tt_close_options o;
    memset(&o, 0, sizeof o);
    o.code = codes[rand() % 5];
    o.reason = rand() % 2 ? "client" : NULL;
    tt_socket_task_close(t->task, &o);
}

static void on_ok(const tt_result *r, void *ud) {
    (void)r;
    note(ud);
    ((task_state *)ud)->ok = 1;
}
static void on_fail(const tt_result *r, void *ud) {
    (void)r;
    note(ud);
    ((task_state *)ud)->failed = 1;
    live--;
}
static void ev_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    (void)t;
    (void)e;
    task_state *s = ud;
    note(s);
    s->opened = 1;
    for (int i = 0; i < s->sends_left; i++) send_one(s);
    if (s->close_first) client_close(s);
}
static void ev_message(tt_socket_task t, const tt_message_event *e, void *ud) {
    (void)t;
    (void)e;
    note(ud);
    messages++;
}
static void ev_error(tt_socket_task t, const tt_error_event *e, void *ud) {
    (void)t;
    (void)e;
    task_state *s = ud;
    note(s);
    s->errors++;
    errors_total++;
}
static void ev_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    (void)t;
    task_state *s = ud;
    note(s);
    s->closes++;
    clean_closes += e->was_clean != 0;
    codes_1006 += e->code == 1006;
    live--;
}
/* onError must be the event right before onClose: any other event in between is recorded here. */
static void ev_message_check(tt_socket_task t, const tt_message_event *e, void *ud) {
    task_state *s = ud;
    if (s->errors) s->error_not_last++;
    ev_message(t, e, ud);
}

static const tt_task_callbacks callbacks = {
    .success = on_ok,
    .fail = on_fail,
    .open = ev_open,
    .message = ev_message_check,
    .error = ev_error,
    .close = ev_close,
};

static void configure(void) {
    tt_runtime_config c;
    memset(&c, 0, sizeof c);
    c.skip_domain_check = 1;
    c.connect_timeout_ms = 5000;
    c.close_timeout_ms = 2000;
    if (tt_runtime_configure(&c) != 0) exit(2);
}

/* Runs tasks first..first+n-1 until all ended or the deadline; returns the number started. */
static int run(const char *url, int first, int n, uint64_t deadline) {
    int next = first;
    while ((next < first + n && tt_now_ms() < deadline) || live > 0) {
        while (next < first + n && live < MAX_LIVE && tt_now_ms() < deadline) {
            task_state *s = &st[next++];
            s->sends_left = (unsigned char)(rand() % 4);
            s->close_first = rand() % 4 == 0;
            s->task = tt_connect_with((tt_connect_socket_options){.url = url}, &callbacks, s);
            live++;
        }
        if (tt_runtime_poll(10) < 0) return -1;
        if (tt_now_ms() > deadline + 15000) break; /* tasks still alive: shutdown fails them below */
    }
    return next - first;
}

int main(void) {
    const char *port = getenv("TT_IT_PORT_SOAK");
    if (port == NULL) {
        fprintf(stderr, "soak: run me through tests/integration/run-peer.sh tests/hardening/soak_server.mjs\n");
        return 2;
    }
    int total = getenv("TT_SOAK_TASKS") ? atoi(getenv("TT_SOAK_TASKS")) : 10000;
    int seconds = getenv("TT_SOAK_SECONDS") ? atoi(getenv("TT_SOAK_SECONDS")) : 20;
    unsigned seed = getenv("TT_SOAK_SEED") ? (unsigned)atoi(getenv("TT_SOAK_SEED")) : (unsigned)time(NULL);
    srand(seed);
    char url[64];
    snprintf(url, sizeof url, "ws://127.0.0.1:%s/soak", port);
    int warm = 300;
    st = calloc((size_t)(total + warm), sizeof *st);
    if (st == NULL) return 2;

    /* Warm-up: the same mix, so one-time growth (allocator arenas, the read buffer) is in the baseline. */
    configure();
    run(url, total, warm, tt_now_ms() + 5000);
    tt_runtime_shutdown();
    int fds_before = count_fds();
    long rss_before = rss_kib();
    events = messages = clean_closes = errors_total = codes_1006 = 0;

    uint64_t t0 = tt_now_ms();
    configure();
    int started = run(url, 0, total, t0 + (uint64_t)seconds * 1000u);
    long rss_peak = rss_kib();
    int live_at_end = live;
    int stuck = 0;
    for (int i = 0; i < started; i++) {
        task_state *s = &st[i];
        if (s->failed || s->closes) continue;
        if (stuck++ < 10) fprintf(stderr, "soak: task %d still alive after the deadline (opened %d)\n", i, s->opened);
    }
    tt_runtime_shutdown(); /* fails whatever is still alive: onError + onClose (stuck tasks were counted) */
    for (int i = 0; i < 3; i++) (void)tt_runtime_poll(0);
    unsigned long long took = tt_now_ms() - t0;
    int fds_after = count_fds();
    long rss_after = rss_kib();

    int bad = 0, opened = 0, failed_connect = 0;
    for (int i = 0; i < started; i++) {
        task_state *s = &st[i];
        opened += s->opened;
        failed_connect += s->failed;
        const char *why = NULL;
        if (s->failed) why = s->ok || s->closes ? "connect fail and events" : NULL;
        else if (!s->ok) why = "no connectSocket result";
        else if (s->closes != 1) why = s->closes ? "more than one onClose" : "no onClose";
        else if (s->after_close) why = "events after onClose";
        else if (s->errors > 1) why = "more than one onError";
        else if (s->error_not_last) why = "an event between onError and onClose";
        if (why) {
            if (bad++ < 10) fprintf(stderr, "soak: task %d: %s\n", i, why);
        }
    }
    printf("soak: %d tasks started in %llu ms (seed %u, limit %d s), %d opened, %d refused at connect, "
           "%d alive at the deadline; %lu events: %lu messages, %lu onError, %lu onClose clean, %lu onClose 1006\n",
           started, took, seed, seconds, opened, failed_connect, live_at_end, events, messages, errors_total,
           clean_closes, codes_1006);
    printf("soak: fds %d before, %d after; RSS %ld KiB before, %ld KiB at the end of the run, %ld KiB after "
           "shutdown (tolerance +%d KiB%s)\n",
           fds_before, fds_after, rss_before, rss_peak, rss_after, RSS_TOLERANCE_KIB,
           TT_SOAK_ASAN ? ", not checked under ASan" : "");
    if (bad) fprintf(stderr, "soak: %d task(s) with a wrong event sequence\n", bad);
    if (stuck) fprintf(stderr, "soak: %d task(s) stuck: alive 15 s after the deadline\n", stuck), bad++;
    if (fds_after != fds_before) fprintf(stderr, "soak: fd leak: %d -> %d\n", fds_before, fds_after), bad++;
    if (!TT_SOAK_ASAN && rss_after > rss_before + RSS_TOLERANCE_KIB)
        fprintf(stderr, "soak: RSS did not come back\n"), bad++;
    if (started < 1000) fprintf(stderr, "soak: only %d tasks started\n", started), bad++;
    free(st);
    return bad ? 1 : 0;
}
