/*
 * The libwebsockets 4.1.6 (Debian) client, written the way lws wants to be used: sends happen from the
 * CLIENT_WRITEABLE callback (as many as the socket takes in one callback; lws issues one send() per
 * lws_write()), receives are counted in CLIENT_RECEIVE. See bench_common.h for the command line.
 */
#include "bench_common.h"

#include <libwebsockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

typedef struct lconn {
    struct lws *wsi;
    int open;
    uint64_t msgs;
    int pending; /* messages to send when writable */
    uint64_t t_sent;
} lconn;

static bench_args A;
static uint8_t *buf; /* LWS_PRE + payload; lws masks client payloads in place */
static int opened, failed, lat_mode;
static uint64_t *lat_ns;
static int lat_i, lat_total;

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    lconn *c = lws_get_opaque_user_data(wsi);
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
        int one = 1;
        setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->open = 1;
        opened++;
        break;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (failed++ < 3) fprintf(stderr, "client_lws: connection error: %s\n", in ? (char *)in : "");
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c && c->open) failed++;
        if (c) c->open = 0;
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!lws_is_final_fragment(wsi)) break;
        c->msgs++;
        if (lat_mode) {
            if (lat_i >= A.warmup_count) lat_ns[lat_i - A.warmup_count] = bench_now_ns() - c->t_sent;
            lat_i++;
            if (lat_i >= lat_total) break;
        }
        c->pending++;
        lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        while (c->pending > 0 && !lws_partial_buffered(wsi)) {
            c->t_sent = bench_now_ns();
            if (lws_write(wsi, buf + LWS_PRE, (size_t)A.size, LWS_WRITE_BINARY) < 0) return -1;
            c->pending--;
        }
        if (c->pending) lws_callback_on_writable(wsi);
        break;
    default: break;
    }
    return 0;
}

static struct lws_protocols protocols[] = {
    {"bench", callback, 0, 256 * 1024, 0, NULL, 16u << 20},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static struct lws_context *ctx;

static void connect_one(lconn *c) {
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = ctx;
    ci.address = A.host;
    ci.port = A.port;
    ci.path = "/";
    ci.host = A.host;
    ci.origin = A.host;
    ci.ssl_connection = A.secure ? LCCSCF_USE_SSL : 0;
    ci.protocol = NULL;
    ci.local_protocol_name = "bench";
    ci.opaque_user_data = c;
    ci.pwsi = &c->wsi;
    if (!lws_client_connect_via_info(&ci)) failed++;
}

static int wait_open(int n, double limit_s) {
    double deadline = bench_now_s() + limit_s;
    while (opened < n && !failed && bench_now_s() < deadline) lws_service(ctx, 0);
    return opened == n && !failed ? 0 : 1;
}

int main(int argc, char **argv) {
    A = bench_parse(argc, argv);
    bench_raise_nofile();
    lws_set_log_level(LLL_ERR, NULL);
    buf = calloc(1, LWS_PRE + (size_t)A.size + 1);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.client_ssl_ca_filepath = A.ca;
    info.pt_serv_buf_size = 256 * 1024;
    size_t rss0 = bench_rss();
    ctx = lws_create_context(&info);
    if (!ctx) return 1;
    lconn *cs = calloc((size_t)A.conns, sizeof *cs);

    if (strcmp(A.mode, "idle") == 0) {
        lws_service(ctx, 0);
        rss0 = bench_rss();
        double t = bench_now_s();
        /* Started all at once, lws fails thousands of them ("Unable to connect"): keep at most 256
         * connecting at a time. */
        int started = 0;
        double deadline = t + 120;
        while (opened < A.conns && !failed && bench_now_s() < deadline) {
            while (started < A.conns && started - opened < 256) connect_one(&cs[started++]);
            lws_service(ctx, 0);
        }
        int rc = opened == A.conns && !failed ? 0 : 1;
        double open_s = bench_now_s() - t;
        if (rc) {
            fprintf(stderr, "client_lws: %d of %d open, %d failed\n", opened, A.conns, failed);
            return 1;
        }
        bench_print_idle(A.conns, open_s, rss0, bench_rss());
        return 0;
    }

    lat_mode = strcmp(A.mode, "lat") == 0;
    int n = lat_mode ? 1 : A.conns;
    for (int i = 0; i < n; i++) connect_one(&cs[i]);
    if (wait_open(n, 30)) {
        fprintf(stderr, "client_lws: connections did not open\n");
        return 1;
    }
    if (lat_mode) {
        lat_total = A.warmup_count + A.count;
        lat_ns = calloc((size_t)A.count, sizeof *lat_ns);
        cs[0].pending = 1;
        lws_callback_on_writable(cs[0].wsi);
        double deadline = bench_now_s() + 60;
        while (lat_i < lat_total && !failed && bench_now_s() < deadline) lws_service(ctx, 0);
        if (lat_i < lat_total) return 1;
        bench_print_latency(lat_ns, (size_t)A.count);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        cs[i].pending = A.window;
        lws_callback_on_writable(cs[i].wsi);
    }
    double t0 = bench_now_s() + A.warmup;
    while (bench_now_s() < t0 && !failed) lws_service(ctx, 0);
    uint64_t base = 0;
    for (int i = 0; i < n; i++) base += cs[i].msgs;
    t0 = bench_now_s();
    bench_cpu_mark();
    double t1 = t0 + A.secs, now;
    while ((now = bench_now_s()) < t1 && !failed) lws_service(ctx, 0);
    if (failed) return 1;
    uint64_t total = 0;
    for (int i = 0; i < n; i++) total += cs[i].msgs;
    bench_print_tput(total - base, (total - base) * (uint64_t)A.size, now - t0);
    return 0;
}
