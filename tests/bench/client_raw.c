/*
 * Reference clients without any WebSocket library (see bench_common.h for the command line). The URL's
 * scheme picks one of four:
 *
 *   tcp://HOST:PORT     the raw-TCP ceiling: the same message pattern as plain TCP records of `size`
 *                       bytes against server_raw (no framing at all); writes are batched: every
 *                       read answers all the records it completed with one send().
 *   tls://HOST:PORT     the same raw records over TLS, against `server_raw PORT --tls CERT KEY`: the
 *                       ceiling of an encrypted connection, to compare wss:// clients with.
 *   ws://HOST:PORT/     the server-capacity probe: a hand-rolled minimal WebSocket client (the opening
 *                       handshake is written by hand, its answer only checked for "101") that sends
 *                       pre-built masked frames (a constant non-zero key: no masking work here, the
 *                       usual unmasking work in the server) in large batches and
 *                       only skips over the echoes. It shows how much the echo server can take; it is
 *                       not a conforming client.
 *   wss://HOST:PORT/    the same probe over TLS, against server_lws's wss port.
 *
 * HOST is an IPv4 address or a name that resolves to one. For tls:// and wss:// the server's certificate
 * is verified against ca=FILE (the system's CAs without it) and must be issued for HOST: for an IP address
 * the certificate's IP entry is checked and no SNI is sent; for a name it is sent as SNI and checked
 * against the certificate's DNS names. The TLS handshake is done blocking (OpenSSL, TLS 1.2 or later,
 * its default ciphers); after it, tput runs the same non-blocking batched loop as the plain schemes with
 * SSL_read/SSL_write (partial writes enabled, read-ahead on, so that one recv() takes in several
 * records), and lat the same blocking round trips. idle mode works with all four schemes, although the
 * benchmarks use it only with ws://.
 *
 * Contents are zeros once unmasked: pending output is a byte count written from a static buffer of repeated
 * frames.
 */
#include "bench_common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <arpa/inet.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

typedef struct rconn {
    int fd;
    SSL *ssl;             /* tls://, wss://: the session (NULL for tcp://, ws://) */
    uint32_t ev;          /* tls: the epoll events registered */
    uint32_t wr_wait;     /* tls: 0, or what the unfinished SSL_write waits for (EPOLLIN/EPOLLOUT) */
    int rd_wants_write;   /* tls: the last SSL_read waits for the socket to be writable */
    int more;             /* tls: reading stopped at its budget while OpenSSL still holds input */
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
static int tls_mode; /* tls:// or wss:// */
static SSL_CTX *tls_ctx;
static size_t unit;       /* bytes per message on the wire from us: record or frame */
static uint8_t *stream;   /* a run of units to write from */
static size_t stream_len; /* a multiple of unit, >= 256 KiB */
static size_t msg_size;

/* The server's IPv4 address, resolved once. */
static struct in_addr server_addr(const bench_args *a) {
    static struct in_addr addr;
    static int resolved;
    if (resolved) return addr;
    if (inet_pton(AF_INET, a->host, &addr) != 1) {
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
        int e = getaddrinfo(a->host, NULL, &hints, &res);
        if (e != 0 || !res) {
            fprintf(stderr, "client_raw: cannot resolve %s: %s\n", a->host, gai_strerror(e));
            exit(1);
        }
        addr = ((const struct sockaddr_in *)res->ai_addr)->sin_addr;
        freeaddrinfo(res);
    }
    resolved = 1;
    return addr;
}

static int dial(const bench_args *a) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)a->port)};
    sa.sin_addr = server_addr(a);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("client_raw: connect");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* tls: the client context: peer verification against ca=FILE (or the system's CAs), TLS 1.2 or later. */
static SSL_CTX *tls_client_ctx(const bench_args *a) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
        ERR_print_errors_fp(stderr);
        exit(1);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if ((a->ca ? SSL_CTX_load_verify_locations(ctx, a->ca, NULL) : SSL_CTX_set_default_verify_paths(ctx)) != 1) {
        fprintf(stderr, "client_raw: cannot load the CA %s\n", a->ca ? a->ca : "(system default)");
        ERR_print_errors_fp(stderr);
        exit(1);
    }
    /* SSL_write may return after some records (the loop counts what went out); a write that has to be
     * retried may be retried from another address holding the same bytes. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(ctx, 1);
    return ctx;
}

/* tls: the blocking TLS handshake on a connected socket, verifying the certificate for the URL's host. */
static SSL *tls_connect(int fd, const bench_args *a) {
    SSL *ssl = SSL_new(tls_ctx);
    if (!ssl || SSL_set_fd(ssl, fd) != 1) {
        ERR_print_errors_fp(stderr);
        exit(1);
    }
    struct in_addr ip;
    int ok = inet_pton(AF_INET, a->host, &ip) == 1
                 ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), a->host) == 1
                 : SSL_set_tlsext_host_name(ssl, a->host) == 1 && SSL_set1_host(ssl, a->host) == 1;
    if (!ok) {
        ERR_print_errors_fp(stderr);
        exit(1);
    }
    if (SSL_connect(ssl) != 1) {
        long v = SSL_get_verify_result(ssl);
        fprintf(stderr, "client_raw: TLS handshake failed%s%s\n", v != X509_V_OK ? ": " : "",
                v != X509_V_OK ? X509_verify_cert_error_string(v) : "");
        ERR_print_errors_fp(stderr);
        exit(1);
    }
    return ssl;
}

/* Blocking I/O on a connection, through TLS when ssl is set (handshakes and lat). */
static int write_all(int fd, SSL *ssl, const uint8_t *p, size_t n) {
    while (n) {
        ssize_t w;
        if (ssl) {
            int r = SSL_write(ssl, p, n > INT_MAX ? INT_MAX : (int)n);
            w = r > 0 ? r : -1;
        } else {
            w = send(fd, p, n, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR) continue;
        }
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static ssize_t read_some(int fd, SSL *ssl, uint8_t *p, size_t n) {
    if (!ssl) return recv(fd, p, n, 0);
    int r = SSL_read(ssl, p, n > INT_MAX ? INT_MAX : (int)n);
    return r > 0 ? r : -1;
}

/* ws: the opening handshake, blocking; the answer is read up to its blank line. */
static void ws_handshake(int fd, SSL *ssl, const bench_args *a) {
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     a->host, a->port);
    if (write_all(fd, ssl, (const uint8_t *)req, (size_t)n) < 0) exit(1);
    char resp[4096];
    size_t have = 0;
    while (have < sizeof resp - 1) {
        /* byte by byte: nothing after the head is consumed (with TLS the rest stays in OpenSSL) */
        ssize_t r = read_some(fd, ssl, (uint8_t *)resp + have, 1);
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

/* A connection ready for messages: connected, TLS handshake done (tls, wss), WebSocket handshake done
 * (ws, wss). Exits on failure. */
static int open_conn(const bench_args *a, SSL **sslp) {
    int fd = dial(a);
    SSL *ssl = tls_mode ? tls_connect(fd, a) : NULL;
    if (ws_mode) ws_handshake(fd, ssl, a);
    *sslp = ssl;
    return fd;
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

static void tls_fail(const char *what) {
    fprintf(stderr, "client_raw: connection lost (%s)\n", what);
    ERR_print_errors_fp(stderr);
}

/* tls, tput: one turn of a connection after `events` (0: only c->more). Reads what has arrived (at most
 * about inbuf's size per turn, so that writing keeps pace), counts the echoes it completes, then writes
 * what is due. OpenSSL may hold input (a decrypted record, or read-ahead bytes) that the socket no longer
 * signals: c->more then asks for another turn without waiting. An SSL_write that could not finish is
 * retried with the same bytes at the same stream position and a length at least as large (out_pending
 * only grows meanwhile), as OpenSSL requires. Returns -1 when the connection failed. */
static int tls_service(int ep, rconn *c, uint32_t events) {
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->more || (c->rd_wants_write && (events & EPOLLOUT))) {
        c->more = c->rd_wants_write = 0;
        size_t got = 0;
        for (;;) {
            int r = SSL_read(c->ssl, inbuf, (int)sizeof inbuf);
            if (r > 0) {
                got += (size_t)r;
                c->out_pending += take_in(c, inbuf, (size_t)r) * unit;
                if (!SSL_has_pending(c->ssl)) break; /* the socket signals anything further */
                if (got >= sizeof inbuf) {
                    c->more = 1;
                    break;
                }
                continue;
            }
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ) break;
            if (e == SSL_ERROR_WANT_WRITE) {
                c->rd_wants_write = 1;
                break;
            }
            tls_fail(e == SSL_ERROR_ZERO_RETURN ? "closed" : "read");
            return -1;
        }
    }
    if (c->out_pending && (c->wr_wait != EPOLLOUT || (events & EPOLLOUT))) {
        c->wr_wait = 0;
        while (c->out_pending) {
            size_t off = (size_t)(c->out_pos % unit);
            size_t n = stream_len - off;
            if (n > c->out_pending) n = (size_t)c->out_pending;
            int w = SSL_write(c->ssl, stream + off, (int)n);
            if (w > 0) {
                c->out_pending -= (uint64_t)w;
                c->out_pos += (uint64_t)w;
                continue;
            }
            int e = SSL_get_error(c->ssl, w);
            if (e == SSL_ERROR_WANT_WRITE) c->wr_wait = EPOLLOUT;
            else if (e == SSL_ERROR_WANT_READ) c->wr_wait = EPOLLIN; /* EPOLLIN is always registered */
            else {
                tls_fail("write");
                return -1;
            }
            break;
        }
    }
    uint32_t want = EPOLLIN | (c->wr_wait == EPOLLOUT || c->rd_wants_write ? EPOLLOUT : 0);
    if (want != c->ev) {
        struct epoll_event e = {.events = want, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
        c->ev = want;
    }
    return 0;
}

static int run_tput(const bench_args *a) {
    rconn *cs = calloc((size_t)a->conns, sizeof *cs);
    int ep = epoll_create1(0);
    for (int i = 0; i < a->conns; i++) {
        cs[i].fd = open_conn(a, &cs[i].ssl);
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = &cs[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &e);
        cs[i].ev = EPOLLIN;
        cs[i].out_pending = (uint64_t)a->window * unit;
        if (cs[i].ssl) {
            fcntl(cs[i].fd, F_SETFL, fcntl(cs[i].fd, F_GETFL) | O_NONBLOCK);
            cs[i].more = 1; /* the WebSocket handshake may have left input in OpenSSL */
            if (tls_service(ep, &cs[i], 0) < 0) return 1;
        } else {
            if (pump_out(&cs[i]) < 0) return 1;
            /* The first window may not fit into the socket (1 MiB messages against an echo server that
             * stops reading while its own echo waits): the rest goes out when the socket is writable.
             * Without EPOLLOUT here the loop below never writes it, and both sides wait forever. */
            if (cs[i].out_pending) {
                struct epoll_event e = {.events = EPOLLIN | EPOLLOUT, .data.ptr = &cs[i]};
                epoll_ctl(ep, EPOLL_CTL_MOD, cs[i].fd, &e);
            }
        }
    }
    double start = bench_now_s(), t0 = start + a->warmup, t1 = t0 + a->secs;
    uint64_t base = 0;
    int measuring = 0, more = 0;
    static struct epoll_event evs[64];
    for (;;) {
        double now = bench_now_s();
        if (!measuring && now >= t0) {
            measuring = 1;
            base = 0;
            for (int i = 0; i < a->conns; i++) base += cs[i].msgs;
            t0 = now;
            bench_cpu_mark();
            t1 = now + a->secs;
        }
        if (measuring && now >= t1) {
            uint64_t total = 0;
            for (int i = 0; i < a->conns; i++) total += cs[i].msgs;
            bench_print_tput(total - base, (total - base) * (uint64_t)msg_size, now - t0);
            return 0;
        }
        int n = epoll_wait(ep, evs, 64, more ? 0 : 50);
        for (int i = 0; i < n; i++) {
            rconn *c = evs[i].data.ptr;
            if (c->ssl) {
                if (tls_service(ep, c, evs[i].events) < 0) return 1;
                continue;
            }
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
        if (tls_mode) {
            more = 0;
            for (int i = 0; i < a->conns; i++) {
                if (cs[i].more && tls_service(ep, &cs[i], 0) < 0) return 1;
                more |= cs[i].more;
            }
        }
    }
}

static int run_lat(const bench_args *a) {
    SSL *ssl;
    int fd = open_conn(a, &ssl);
    rconn c;
    memset(&c, 0, sizeof c);
    c.fd = fd;
    int total = a->warmup_count + a->count;
    uint64_t *ns = calloc((size_t)a->count, sizeof *ns);
    double deadline = bench_now_s() + 60;
    for (int i = 0; i < total && bench_now_s() < deadline; i++) {
        uint64_t t = bench_now_ns();
        if (write_all(fd, ssl, stream, unit) < 0) return 1;
        uint64_t want = c.msgs + 1;
        while (c.msgs < want) {
            ssize_t r = read_some(fd, ssl, inbuf, sizeof inbuf);
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
    SSL **ssls = tls_mode ? calloc((size_t)a->conns, sizeof *ssls) : NULL;
    for (int i = 0; i < a->conns; i++) {
        SSL *ssl;
        fds[i] = open_conn(a, &ssl);
        if (ssls) ssls[i] = ssl;
    }
    double open_s = bench_now_s() - t;
    bench_print_idle(a->conns, open_s, rss0, bench_rss());
    return 0;
}

int main(int argc, char **argv) {
    bench_args a = bench_parse(argc, argv);
    const char *u = a.url;
    if (strncmp(u, "tcp://", 6) == 0) ws_mode = 0, tls_mode = 0;
    else if (strncmp(u, "tls://", 6) == 0) ws_mode = 0, tls_mode = 1;
    else if (strncmp(u, "ws://", 5) == 0) ws_mode = 1, tls_mode = 0;
    else if (strncmp(u, "wss://", 6) == 0) ws_mode = 1, tls_mode = 1;
    else {
        fprintf(stderr, "client_raw: the URL must be tcp://, tls://, ws:// or wss://\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* OpenSSL's writes do not pass MSG_NOSIGNAL */
    if (tls_mode) tls_ctx = tls_client_ctx(&a);
    msg_size = (size_t)a.size;
    if (!ws_mode && msg_size == 0) msg_size = 1;
    build_stream();
    if (strcmp(a.mode, "tput") == 0) return run_tput(&a);
    if (strcmp(a.mode, "lat") == 0) return run_lat(&a);
    return run_idle(&a);
}
