/*
 * Timer burst benchmark: N tasks whose timers all fall due in the same pass, to show that expiring them
 * costs O(n log n) and not O(n^2) (the core and the native transport share one timer heap, src/heap.c).
 *
 *   close   N tasks open to the peer's /deaf path (it never answers a Close). Half of them call close()
 *           at once, the other half LATER_MS later; the first half's close timeouts then fire together in
 *           one pass while the second half's are still pending (the native transport's timers; a list
 *           walked from its head after each expiry made this pass quadratic).
 *   connect N tasks to /hang (the peer never answers the upgrade request), each given a connect timeout
 *           that ends a little *earlier* than the previous task's (a sorted list inserted into from its
 *           tail walks all of it then); every one of them fires in one pass (the core's timers).
 *
 * For each N in TT_BURST_COUNTS (default "1000,10000") and each kind it prints one row: the time spent
 * starting the timers (the close() or tt_connect_socket() calls), the time of the pass (tt_runtime_poll)
 * in which the due timers expired and their onClose were delivered, and that time per expiry, in wall time
 * and in user-space CPU time (the library's own work; closing sockets is kernel time). Checked
 * (the exit status): every task ends with exactly one onClose 1006. Timing is printed, never judged: this
 * is a benchmark. Run it with `make bench-timers` (or tests/integration/run-peer.sh node).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "native_driver.h"
#include "ttsocket.h"

#define TIMEOUT_MS 1500
#define WAVE 500
#define LATER_MS 400

typedef struct burst_task {
    unsigned char opened, closes, code_ok;
} burst_task;

static int opened, closed;

static void on_open(tt_socket_task task, const tt_open_event *event, void *ud) {
    (void)task;
    (void)event;
    ((burst_task *)ud)->opened = 1;
    opened++;
}

static void on_close(tt_socket_task task, const tt_close_event *event, void *ud) {
    (void)task;
    burst_task *b = ud;
    b->closes++;
    b->code_ok = event->code == 1006;
    closed++;
}

static const tt_task_callbacks burst_callbacks = {.open = on_open, .close = on_close};

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* CPU time spent in user space (the library and the callbacks, not the kernel's socket work), in us. */
static double user_us(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec;
}

static void sleep_ms(unsigned ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Runs one burst; returns 0 when every task ended with exactly one onClose 1006. */
static int burst(const char *kind, int n) {
    int is_close = strcmp(kind, "close") == 0;
    char url[128];
    const char *port = getenv("TT_IT_PORT_WS");
    snprintf(url, sizeof url, "ws://127.0.0.1:%s/%s", port ? port : "0", is_close ? "deaf" : "hang");
    tt_runtime_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.skip_domain_check = 1;
    cfg.max_connections = n + 16;
    cfg.close_timeout_ms = TIMEOUT_MS;
    cfg.connect_timeout_ms = 600000;
    if (tt_runtime_configure(&cfg) != 0) return -1;
    burst_task *b = calloc((size_t)n, sizeof *b);
    tt_socket_task *tasks = calloc((size_t)n, sizeof *tasks);
    if (b == NULL || tasks == NULL) return -1;
    opened = closed = 0;
    uint64_t limit = tt_now_ms() + 120000;

    /* Open (close kind) or start (connect kind) in waves so the peer's accept backlog keeps up. The connect
     * timeouts are given per task and counted from the moment the last task started. */
    uint64_t due = tt_now_ms() + 3000 + (uint64_t)n / 5;
    int started = 0, expiring = n;
    double start_us = 0;
    while (started < n) {
        for (int k = 0; k < WAVE && started < n; k++, started++) {
            tt_connect_socket_options o;
            memset(&o, 0, sizeof o);
            o.url = url;
            /* Each due 1 ms before the previous one, all before `due + 1`. */
            if (!is_close) o.timeout_ms = (int)(due - tt_now_ms()) - started * 1000 / n;
            double s0 = now_us();
            tasks[started] = tt_connect_with(o, &burst_callbacks, &b[started]);
            start_us += now_us() - s0;
        }
        if (tt_runtime_poll(5) < 0 || tt_now_ms() > limit) return -1;
        if (is_close)
            while (opened < started && tt_now_ms() < limit) tt_runtime_poll(5);
    }
    if (is_close) {
        expiring = n / 2;
        double s0 = now_us();
        for (int i = 0; i < expiring; i++) tt_socket_task_close(tasks[i], &(tt_close_options){.code = 1000});
        start_us = now_us() - s0;
        due = tt_now_ms() + TIMEOUT_MS;
        while (tt_runtime_poll(0) > 0) {} /* the closeSocket results */
        sleep_ms(LATER_MS);
        s0 = now_us();
        for (int i = expiring; i < n; i++) tt_socket_task_close(tasks[i], &(tt_close_options){.code = 1000});
        start_us += now_us() - s0;
        while (tt_runtime_poll(0) > 0) {}
    }
    if (closed != 0 || tt_now_ms() >= due) {
        fprintf(stderr, "timer_burst: %s: starting took longer than the deadline\n", kind);
        return -1;
    }
    /* Let every deadline pass, then one pass expires them all and delivers every onClose. */
    sleep_ms((unsigned)(due - tt_now_ms()) + 200);
    double p0 = now_us(), u0 = user_us();
    if (tt_runtime_poll(0) < 0) return -1;
    double pass = now_us() - p0, user = user_us() - u0;
    int in_pass = closed;
    while (closed < n && tt_now_ms() < limit)
        if (tt_runtime_poll(10) < 0) return -1;
    int bad = in_pass != expiring;
    for (int i = 0; i < n; i++) bad += b[i].closes != 1 || !b[i].code_ok;
    printf("| %-7s | %6d | %6d | %8.1f | %8.1f | %6.2f | %8.1f | %6.2f |\n", kind, n, in_pass, start_us / 1000,
           pass / 1000, pass / (in_pass ? in_pass : 1), user / 1000, user / (in_pass ? in_pass : 1));
    fflush(stdout);
    tt_runtime_shutdown();
    free(b);
    free(tasks);
    return bad ? -1 : 0;
}

int main(void) {
    const char *counts = getenv("TT_BURST_COUNTS") ? getenv("TT_BURST_COUNTS") : "1000,10000";
    printf("| timers  |  tasks | due in the pass | start ms | pass ms | us per expiry | pass user-CPU ms | user us per "
           "expiry |\n");
    printf("|---------|--------|-----------------|----------|---------|---------------|------------------|-------------"
           "-------|\n");
    int rc = 0;
    for (const char *p = counts; *p;) {
        int n = atoi(p);
        if (n > 0 && (burst("close", n) != 0 || burst("connect", n) != 0)) {
            fprintf(stderr, "timer_burst: a task did not end with exactly one onClose 1006 (n=%d)\n", n);
            rc = 1;
        }
        p = strchr(p, ',') ? strchr(p, ',') + 1 : p + strlen(p);
    }
    return rc;
}
