/*
 * Shared helpers of the C benchmark programs in tests/bench (clients and servers): clock, argument
 * parsing, RSS, percentiles and the one-line JSON result every client prints.
 *
 * Every client takes the same command line:
 *   CLIENT tput URL [conns=1] [size=64] [window=128] [secs=2] [warmup=0.5]
 *       each connection keeps `window` messages of `size` bytes in flight (one new message per echo);
 *       prints {"msgs":N,"bytes":B,"secs":S,"end":EPOCH_S} counted over `secs` after `warmup`
 *   CLIENT lat URL [count=20000] [warmup=2000] [size=1]
 *       one message in flight; prints {"n":N,"p50_us":..,"p99_us":..,"mean_us":..}
 *   CLIENT idle URL [conns=10000]
 *       opens `conns` connections, waits until all are open; prints
 *       {"conns":N,"open_s":T,"rss_delta":B,"per_conn":B}
 * URL is ws://127.0.0.1:PORT/ or wss://127.0.0.1:PORT/ (raw TCP clients take tcp://127.0.0.1:PORT).
 * ca=FILE names the CA for wss. Exit status 0 only when the run completed.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline double bench_now_s(void) { return (double)bench_now_ns() / 1e9; }

typedef struct bench_args {
    const char *mode; /* tput, lat, idle */
    const char *url;
    int conns, size, window, count, warmup_count;
    double secs, warmup;
    const char *ca;
    int deflate;   /* ttsocket: offer permessage-deflate */
    int callbacks; /* ttsocket: every send passes success and complete callbacks, as games often do */
    char host[64];
    int port, secure;
} bench_args;

static inline void bench_usage(const char *prog) {
    fprintf(stderr,
            "usage: %s tput|lat|idle URL [conns=N] [size=N] [window=N] [secs=S] [warmup=S] "
            "[count=N] [warmupcount=N] [ca=FILE] [deflate=0|1] [callbacks=0|1]\n",
            prog);
    exit(2);
}

/* Parses argv as documented at the top; exits with status 2 on a malformed command line. */
static inline bench_args bench_parse(int argc, char **argv) {
    bench_args a;
    memset(&a, 0, sizeof a);
    if (argc < 3) bench_usage(argv[0]);
    a.mode = argv[1];
    a.url = argv[2];
    int idle = strcmp(a.mode, "idle") == 0;
    a.conns = idle ? 10000 : 1;
    a.size = strcmp(a.mode, "lat") == 0 ? 1 : 64;
    a.window = 128;
    a.secs = 2;
    a.warmup = 0.5;
    a.count = 20000;
    a.warmup_count = 2000;
    for (int i = 3; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) bench_usage(argv[0]);
        size_t kl = (size_t)(eq - argv[i]);
        const char *v = eq + 1;
#define KEY(k) (kl == strlen(k) && strncmp(argv[i], k, kl) == 0)
        if (KEY("conns")) a.conns = atoi(v);
        else if (KEY("size")) a.size = atoi(v);
        else if (KEY("window")) a.window = atoi(v);
        else if (KEY("secs")) a.secs = atof(v);
        else if (KEY("warmup")) a.warmup = atof(v);
        else if (KEY("count")) a.count = atoi(v);
        else if (KEY("warmupcount")) a.warmup_count = atoi(v);
        else if (KEY("ca")) a.ca = v;
        else if (KEY("deflate")) a.deflate = atoi(v);
        else if (KEY("callbacks")) a.callbacks = atoi(v);
        else bench_usage(argv[0]);
#undef KEY
    }
    if (strcmp(a.mode, "tput") && strcmp(a.mode, "lat") && strcmp(a.mode, "idle")) bench_usage(argv[0]);
    if (a.conns < 1 || a.size < 0 || a.window < 1 || a.secs <= 0 || a.count < 1) bench_usage(argv[0]);
    /* scheme://host:port/... */
    const char *p = strstr(a.url, "://");
    if (!p) bench_usage(argv[0]);
    a.secure = strncmp(a.url, "wss", 3) == 0;
    p += 3;
    const char *colon = strchr(p, ':');
    if (!colon || (size_t)(colon - p) >= sizeof a.host) bench_usage(argv[0]);
    memcpy(a.host, p, (size_t)(colon - p));
    a.port = atoi(colon + 1);
    return a;
}

/* Resident set size of this process in bytes (from /proc/self/statm). */
static inline size_t bench_rss(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, res = 0;
    if (fscanf(f, "%lu %lu", &size, &res) != 2) res = 0;
    fclose(f);
    return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

static inline void bench_raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int bench_cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts samples (ns) and prints the latency result line. */
static inline void bench_print_latency(uint64_t *ns, size_t n) {
    qsort(ns, n, sizeof *ns, bench_cmp_u64);
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += (double)ns[i];
    size_t i50 = n / 2, i99 = (n * 99) / 100;
    if (i99 >= n) i99 = n - 1;
    printf("{\"n\":%zu,\"p50_us\":%.3f,\"p99_us\":%.3f,\"mean_us\":%.3f}\n", n, ns[i50] / 1e3, ns[i99] / 1e3,
           n ? sum / (double)n / 1e3 : 0.0);
    fflush(stdout);
}

/* CPU seconds (user + system) this process has used so far, from getrusage(). */
static inline double bench_cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* The process CPU time when the measurement began: clients call bench_cpu_mark() when they take t0. */
static double bench_cpu_at_mark;
static inline void bench_cpu_mark(void) { bench_cpu_at_mark = bench_cpu_s(); }

/* end: wall-clock time (epoch seconds) at the end of the measurement, so the driver can tell how busy
 * the server was during exactly those `secs`. cpu_s: the client's own CPU time (user + system) during
 * those `secs` (since bench_cpu_mark()), which gives CPU per message without sampling /proc. */
static inline void bench_print_tput(uint64_t msgs, uint64_t bytes, double secs) {
    double cpu = bench_cpu_s() - bench_cpu_at_mark;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    printf("{\"msgs\":%llu,\"bytes\":%llu,\"secs\":%.6f,\"end\":%.6f,\"cpu_s\":%.6f}\n", (unsigned long long)msgs,
           (unsigned long long)bytes, secs, (double)ts.tv_sec + ts.tv_nsec / 1e9, cpu);
    fflush(stdout);
}

static inline void bench_print_idle(int conns, double open_s, size_t rss_before, size_t rss_after) {
    long long delta = (long long)rss_after - (long long)rss_before;
    printf("{\"conns\":%d,\"open_s\":%.6f,\"rss_delta\":%lld,\"per_conn\":%.1f}\n", conns, open_s, delta,
           (double)delta / conns);
    fflush(stdout);
}

#endif
