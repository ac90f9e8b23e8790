/*
 * The ttsocket native client under test (see bench_common.h for the command line). It uses only the
 * public API: every echo received in onMessage sends the next message from inside the callback, as a
 * game would, and the loop is tt_runtime_poll().
 */
#include "bench_common.h"

#include <ttsocket.h>

typedef struct bconn {
    tt_socket_task task;
    int open;
    uint64_t msgs;
    uint64_t lat_t0;
} bconn;

static bench_args A;
static uint8_t *payload;
static int opened, failed;
static uint64_t *lat_ns;
static int lat_i, lat_total;

static unsigned long results;
static void on_send_result(const tt_result *r, void *ud) {
    (void)r;
    (void)ud;
    results++;
}

/*
 * Every message goes with the same options, built once in main(). Built per message, the 88-byte struct
 * was zeroed with `rep stos`, which took about 15 ns of the client's 150 ns of CPU per 64 B message on 10
 * connections: the game's cost, not the library's. (Not kept per connection either: the idle row counts
 * the client's memory per connection.)
 */
static tt_send_options send_opts;

static void send_one(tt_socket_task t) { tt_socket_task_send(t, &send_opts); }

static void on_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    (void)t;
    (void)e;
    ((bconn *)ud)->open = 1;
    opened++;
}

static void on_error(tt_socket_task t, const tt_error_event *e, void *ud) {
    (void)t;
    (void)ud;
    if (failed++ < 3) fprintf(stderr, "client_tt: %s (%s)\n", e->err_msg, e->detail);
}

static void on_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    (void)t;
    (void)e;
    bconn *c = ud;
    if (c->open) failed++;
    c->open = 0;
}

/* TT_BENCH_COUNT_NOTHING: a deliberately broken client that counts no echo (bench-smoke must fail). */
static int count_nothing;

static void on_message_tput(tt_socket_task t, const tt_message_event *e, void *ud) {
    (void)e;
    if (count_nothing) return;
    ((bconn *)ud)->msgs++;
    send_one(t);
}

static void on_message_lat(tt_socket_task t, const tt_message_event *e, void *ud) {
    (void)e;
    bconn *c = ud;
    uint64_t now = bench_now_ns();
    if (lat_i >= A.warmup_count) lat_ns[lat_i - A.warmup_count] = now - c->lat_t0;
    lat_i++;
    c->msgs++;
    if (lat_i < lat_total) {
        c->lat_t0 = bench_now_ns();
        send_one(t);
    }
}

static tt_socket_task connect_one(bconn *c, tt_message_cb on_message) {
    tt_connect_socket_options o;
    memset(&o, 0, sizeof o);
    o.url = A.url;
    tt_socket_task t = tt_connect_socket(&o);
    c->task = t;
    tt_socket_task_on_open(t, on_open, c);
    tt_socket_task_on_error(t, on_error, c);
    tt_socket_task_on_close(t, on_close, c);
    if (on_message) tt_socket_task_on_message(t, on_message, c);
    return t;
}

/* Polls until every connection is open (or one failed); 0 on success. */
static int wait_open(int n, double limit_s) {
    double deadline = bench_now_s() + limit_s;
    while (opened < n && !failed && bench_now_s() < deadline) tt_runtime_poll(10);
    return opened == n && !failed ? 0 : 1;
}

int main(int argc, char **argv) {
    count_nothing = getenv("TT_BENCH_COUNT_NOTHING") != NULL;
    A = bench_parse(argc, argv);
    tt_runtime_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.skip_domain_check = 1;
    cfg.ca_file = A.ca;
    cfg.disable_deflate = !A.deflate;
    cfg.connect_timeout_ms = 120000;
    if (tt_runtime_configure(&cfg) != 0) return 1;
    payload = calloc(1, (size_t)A.size + 1);
    for (int i = 0; i < A.size; i++) payload[i] = (uint8_t)('a' + i % 26);
    send_opts.type = TT_DATA_BINARY;
    send_opts.data = payload;
    send_opts.length = (size_t)A.size;
    if (A.callbacks) {
        send_opts.success = on_send_result;
        send_opts.complete = on_send_result;
    }
    bconn *cs = calloc((size_t)A.conns, sizeof *cs);

    if (strcmp(A.mode, "idle") == 0) {
        tt_runtime_poll(0); /* runtime initialised before the baseline */
        size_t rss0 = bench_rss();
        double t = bench_now_s();
        for (int i = 0; i < A.conns; i++) connect_one(&cs[i], NULL);
        int rc = wait_open(A.conns, 120);
        double open_s = bench_now_s() - t;
        for (int i = 0; i < 3; i++) tt_runtime_poll(0);
        if (rc) {
            fprintf(stderr, "client_tt: %d of %d open, %d failed\n", opened, A.conns, failed);
            return 1;
        }
        bench_print_idle(A.conns, open_s, rss0, bench_rss());
        tt_runtime_shutdown();
        return 0;
    }

    int lat = strcmp(A.mode, "lat") == 0;
    for (int i = 0; i < (lat ? 1 : A.conns); i++) connect_one(&cs[i], lat ? on_message_lat : on_message_tput);
    if (wait_open(lat ? 1 : A.conns, 30)) {
        fprintf(stderr, "client_tt: connections did not open\n");
        return 1;
    }

    if (lat) {
        lat_total = A.warmup_count + A.count;
        lat_ns = calloc((size_t)A.count, sizeof *lat_ns);
        double deadline = bench_now_s() + 60;
        cs[0].lat_t0 = bench_now_ns();
        send_one(cs[0].task);
        while (lat_i < lat_total && !failed && bench_now_s() < deadline) tt_runtime_poll(-1);
        if (lat_i < lat_total) return 1;
        bench_print_latency(lat_ns, (size_t)A.count);
        tt_runtime_shutdown();
        return 0;
    }

    for (int i = 0; i < A.conns; i++)
        for (int k = 0; k < A.window; k++) send_one(cs[i].task);
    double t0 = bench_now_s() + A.warmup;
    while (bench_now_s() < t0 && !failed) tt_runtime_poll(5);
    uint64_t base = 0;
    for (int i = 0; i < A.conns; i++) base += cs[i].msgs;
    t0 = bench_now_s();
    bench_cpu_mark();
    double t1 = t0 + A.secs, now;
    while ((now = bench_now_s()) < t1 && !failed) tt_runtime_poll(5);
    if (failed) return 1;
    uint64_t total = 0;
    for (int i = 0; i < A.conns; i++) total += cs[i].msgs;
    bench_print_tput(total - base, (total - base) * (uint64_t)A.size, now - t0);
    tt_runtime_shutdown();
    return 0;
}
