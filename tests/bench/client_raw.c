/*
 * Two reference clients without any WebSocket library (see bench_common.h for the command line):
 *
 *   tcp://127.0.0.1:PORT   the raw-TCP ceiling: the same message pattern as plain TCP records of `size`
 *                          bytes against server_raw (no framing at all); writes are batched: every
 *                          read answers all the records it completed with one send().
 *   ws://127.0.0.1:PORT    the server-capacity probe: a hand-rolled minimal WebSocket client (the opening
 *                          handshake is written by hand, its answer only checked for "101") that sends
 *                          pre-built masked frames (a constant non-zero key: no masking work here, the
 *                          usual unmasking work in the server) in large batches and
 *                          only skips over the echoes. It shows how much the echo server can take; it is
 *                          not a conforming client.
 *
 * Contents are zeros once unmasked: pending output is a byte count written from a static buffer of repeated
 * frames.
 */
#include "bench_common.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>

typedef struct rconn {
    int fd;
    uint64_t out_pending; /* bytes of the repeating send stream still to write */
    uint64_t out_pos;     /* position in the repeating stream (mod the unit) */
    uint64_t in_bytes;    /* raw: bytes received so far */
    /* ws: parser of the server's frames */
    uint8_t hdr[10];
    unsigned hdr_have, hdr_need;
    uint64_t payload_left;
    uint64_t msgs;
} rconn;

static int ws_mode;
static size_t unit;        /* bytes per message on the wire from us: record or frame */
static uint8_t *stream;    /* a run of units to write from */
static size_t stream_len;  /* a multiple of unit, >= 256 KiB */
static size_t msg_size;

static int dial(const bench_args *a) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)a->port)};
    inet_pton(AF_INET, a->host, &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("client_raw: connect");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* ws: the opening handshake, blocking; the answer is read up to its blank line. */
static void ws_handshake(int fd, const bench_args *a) {
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     a->host, a->port);
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) exit(1);
    char resp[4096];
    size_t have = 0;
    while (have < sizeof resp - 1) {
        ssize_t r = recv(fd, resp + have, 1, 0); /* byte by byte: nothing after the head is consumed */
        if (r <= 0) exit(1);
        have += (size_t)r;
        if (have >= 4 && memcmp(resp + have - 4, "\r\n\r\n", 4) == 0) break;
    }
    resp[have] = 0;
    if (strncmp(resp, "HTTP/1.1 101", 12) != 0) {
        fprintf(stderr, "client_raw: handshake refused: %.80s\n", resp);
        exit(1);
    }
}

static const uint8_t probe_key[4] = {0x5a, 0xc3, 0x96, 0x3f};

static size_t frame_header(uint8_t *h, size_t len) {
    h[0] = 0x82;
    size_t n;
    if (len < 126) {
        h[1] = (uint8_t)(0x80 | len);
        n = 2;
    } else if (len < 65536) {
        h[1] = 0x80 | 126;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        n = 4;
    } else {
        h[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++) h[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        n = 10;
    }
    /* A constant non-zero key: libwebsockets skips unmasking for an all-zero key, which would let the
     * probe measure a server that works less than it does for a real (randomly masked) client. The
     * payload is zeros, so the masked payload is the key repeated (written once, in build_stream). */
    memcpy(h + n, probe_key, 4);
    return n + 4;
}

static void build_stream(void) {
    uint8_t h[14];
    unit = ws_mode ? frame_header(h, msg_size) + msg_size : msg_size;
    if (unit == 0) unit = 1;
    size_t k = (256 * 1024 + unit - 1) / unit;
    stream_len = k * unit;
    stream = calloc(1, stream_len);
    if (ws_mode)
        for (size_t i = 0; i < k; i++) {
            uint8_t *f = stream + i * unit;
            size_t hl = frame_header(f, msg_size);
            for (size_t j = 0; j < msg_size; j++) f[hl + j] = probe_key[j & 3]; /* zeros, masked */
        }
}

/* Writes pending stream bytes until done or EAGAIN. Returns -1 on error. */
static int pump_out(rconn *c) {
    while (c->out_pending) {
        size_t off = (size_t)(c->out_pos % unit);
        size_t n = stream_len - off;
        if (n > c->out_pending) n = (size_t)c->out_pending;
        ssize_t w = send(c->fd, stream + off, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return 0;
            return -1;
        }
        c->out_pending -= (uint64_t)w;
        c->out_pos += (uint64_t)w;
    }
    return 0;
}

/* Accounts received bytes; returns the number of messages they completed. */
static uint64_t take_in(rconn *c, const uint8_t *p, size_t n) {
    if (!ws_mode) {
        uint64_t before = c->in_bytes / msg_size;
        c->in_bytes += n;
        uint64_t done = c->in_bytes / msg_size - before;
        c->msgs += done;
        return done;
    }
    uint64_t done = 0;
    while (n) {
        if (c->payload_left) {
            size_t t = c->payload_left < n ? (size_t)c->payload_left : n;
            c->payload_left -= t;
            p += t;
            n -= t;
            if (c->payload_left == 0) done++;
            continue;
        }
        c->hdr[c->hdr_have++] = *p++;
        n--;
        if (c->hdr_have == 2) {
            unsigned l = c->hdr[1] & 0x7f;
            c->hdr_need = l == 126 ? 4 : l == 127 ? 10 : 2;
        }
        if (c->hdr_have >= 2 && c->hdr_have == c->hdr_need) {
            unsigned l = c->hdr[1] & 0x7f;
            uint64_t len = l;
            if (l == 126) len = ((uint64_t)c->hdr[2] << 8) | c->hdr[3];
            if (l == 127) {
                len = 0;
                for (int i = 0; i < 8; i++) len = (len << 8) | c->hdr[2 + i];
            }
            c->hdr_have = 0;
            c->payload_left = len;
            if (len == 0) done++;
        }
    }
    c->msgs += done;
    return done;
}

static uint8_t inbuf[256 * 1024];

static int run_tput(const bench_args *a) {
    rconn *cs = calloc((size_t)a->conns, sizeof *cs);
    int ep = epoll_create1(0);
    for (int i = 0; i < a->conns; i++) {
        cs[i].fd = dial(a);
        if (ws_mode) ws_handshake(cs[i].fd, a);
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = &cs[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &e);
        cs[i].out_pending = (uint64_t)a->window * unit;
        if (pump_out(&cs[i]) < 0) return 1;
    }
    double start = bench_now_s(), t0 = start + a->warmup, t1 = t0 + a->secs;
    uint64_t base = 0;
    int measuring = 0;
    static struct epoll_event evs[64];
    for (;;) {
        double now = bench_now_s();
        if (!measuring && now >= t0) {
            measuring = 1;
            base = 0;
            for (int i = 0; i < a->conns; i++) base += cs[i].msgs;
            t0 = now;
            t1 = now + a->secs;
        }
        if (measuring && now >= t1) {
            uint64_t total = 0;
            for (int i = 0; i < a->conns; i++) total += cs[i].msgs;
            bench_print_tput(total - base, (total - base) * (uint64_t)msg_size, now - t0);
            return 0;
        }
        int n = epoll_wait(ep, evs, 64, 50);
        for (int i = 0; i < n; i++) {
            rconn *c = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT) {
                if (pump_out(c) < 0) return 1;
                if (!c->out_pending) {
                    struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
                }
            }
            if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            ssize_t r = recv(c->fd, inbuf, sizeof inbuf, MSG_DONTWAIT);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                fprintf(stderr, "client_raw: connection lost\n");
                return 1;
            }
            if (r < 0) continue;
            uint64_t done = take_in(c, inbuf, (size_t)r);
            if (done) {
                int had = c->out_pending != 0;
                c->out_pending += done * unit;
                if (!had) {
                    if (pump_out(c) < 0) return 1;
                    if (c->out_pending) {
                        struct epoll_event e = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
                        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
                    }
                }
            }
        }
    }
}

static int run_lat(const bench_args *a) {
    int fd = dial(a);
    if (ws_mode) ws_handshake(fd, a);
    rconn c;
    memset(&c, 0, sizeof c);
    c.fd = fd;
    int total = a->warmup_count + a->count;
    uint64_t *ns = calloc((size_t)a->count, sizeof *ns);
    double deadline = bench_now_s() + 60;
    for (int i = 0; i < total && bench_now_s() < deadline; i++) {
        uint64_t t = bench_now_ns();
        if (send(fd, stream, unit, MSG_NOSIGNAL) != (ssize_t)unit) return 1;
        uint64_t want = c.msgs + 1;
        while (c.msgs < want) {
            ssize_t r = recv(fd, inbuf, sizeof inbuf, 0);
            if (r <= 0) return 1;
            take_in(&c, inbuf, (size_t)r);
        }
        if (i >= a->warmup_count) ns[i - a->warmup_count] = bench_now_ns() - t;
    }
    bench_print_latency(ns, (size_t)a->count);
    return 0;
}

static int run_idle(const bench_args *a) {
    bench_raise_nofile();
    size_t rss0 = bench_rss();
    double t = bench_now_s();
    int *fds = calloc((size_t)a->conns, sizeof *fds);
    for (int i = 0; i < a->conns; i++) {
        fds[i] = dial(a);
        if (ws_mode) ws_handshake(fds[i], a);
    }
    double open_s = bench_now_s() - t;
    bench_print_idle(a->conns, open_s, rss0, bench_rss());
    return 0;
}

int main(int argc, char **argv) {
    bench_args a = bench_parse(argc, argv);
    if (a.secure) {
        fprintf(stderr, "client_raw: wss is not supported\n");
        return 2;
    }
    ws_mode = strncmp(a.url, "ws:", 3) == 0;
    msg_size = (size_t)a.size;
    if (!ws_mode && msg_size == 0) msg_size = 1;
    build_stream();
    if (strcmp(a.mode, "tput") == 0) return run_tput(&a);
    if (strcmp(a.mode, "lat") == 0) return run_lat(&a);
    return run_idle(&a);
}
