/*
 * The raw-TCP ceiling's server: a single-threaded epoll echo server (no WebSocket). Every byte read is
 * written back; when the socket will not take it all, the rest waits in a per-connection buffer and
 * reading pauses until it is drained.
 *
 * Usage: server_raw PORT [--tls CERT KEY]   (listens on 127.0.0.1:PORT; prints READY when listening;
 * stops on SIGTERM/SIGINT)
 *
 * Without --tls the echo is plain TCP (client_raw tcp://). With --tls every accepted connection is a TLS
 * server session (OpenSSL, TLS 1.2 or later with its default ciphers, so TLS 1.3 with AES-GCM as the
 * libwebsockets server negotiates; CERT is a PEM certificate chain, KEY its PEM private key), for
 * client_raw tls://. The sockets stay non-blocking: the event loop drives the handshake, then the echo
 * works as in plain mode with SSL_read/SSL_write: whatever SSL_read returns (up to the read buffer) is
 * written back with SSL_write, and the part that does not go out waits in the per-connection buffer
 * (SSL_write is retried with exactly those bytes, as OpenSSL requires) while reading pauses. An SSL_read
 * or SSL_write that needs the other direction (SSL_ERROR_WANT_READ/WANT_WRITE) waits for that event, and
 * input OpenSSL already holds (SSL_has_pending) is read without waiting for the socket. Read-ahead is on,
 * so that one recv() can take in several records.
 */
#include "bench_common.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define BUF (256 * 1024)

typedef struct conn {
    int fd;
    uint32_t ev;      /* the epoll events registered */
    SSL *ssl;         /* --tls: the session */
    int hs_done;      /* --tls: the handshake is complete */
    uint32_t wr_wait; /* --tls: what the unfinished SSL_write of pend waits for (EPOLLIN or EPOLLOUT) */
    uint8_t *pend;    /* unwritten echo bytes */
    size_t pend_len, pend_cap;
} conn;

static volatile sig_atomic_t stop;
static void on_signal(int s) {
    (void)s;
    stop = 1;
}

static void drop(int ep, conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    if (c->ssl) SSL_free(c->ssl);
    close(c->fd);
    free(c->pend);
    free(c);
}

static void set_events(int ep, conn *c, uint32_t ev) {
    if (ev == c->ev) return;
    struct epoll_event e = {.events = ev, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
    c->ev = ev;
}

/* Writes pending bytes; returns -1 on error, 1 if still pending, 0 when drained. */
static int flush_pending(conn *c) {
    size_t off = 0;
    while (off < c->pend_len) {
        ssize_t n = send(c->fd, c->pend + off, c->pend_len - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            return -1;
        }
        off += (size_t)n;
    }
    memmove(c->pend, c->pend + off, c->pend_len - off);
    c->pend_len -= off;
    return c->pend_len ? 1 : 0;
}

static int queue_pending(conn *c, const uint8_t *p, size_t n) {
    if (c->pend_len + n > c->pend_cap) {
        size_t cap = c->pend_cap ? c->pend_cap : 65536;
        while (cap < c->pend_len + n) cap *= 2;
        uint8_t *q = realloc(c->pend, cap);
        if (!q) return -1;
        c->pend = q;
        c->pend_cap = cap;
    }
    memcpy(c->pend + c->pend_len, p, n);
    c->pend_len += n;
    return 0;
}

/* --tls: SSL_write of p[0..n); returns the bytes written, stopping early (c->wr_wait set) when the socket
 * will not take more, or -1 on error. */
static ssize_t tls_write(conn *c, const uint8_t *p, size_t n) {
    size_t off = 0;
    c->wr_wait = 0;
    while (off < n) {
        size_t k = n - off;
        int w = SSL_write(c->ssl, p + off, k > INT_MAX ? INT_MAX : (int)k);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        int e = SSL_get_error(c->ssl, w);
        if (e == SSL_ERROR_WANT_WRITE) c->wr_wait = EPOLLOUT;
        else if (e == SSL_ERROR_WANT_READ) c->wr_wait = EPOLLIN;
        else return -1;
        break;
    }
    return (ssize_t)off;
}

/* --tls: retries the pending echo (the same bytes SSL_write stopped at, moved to the buffer's start);
 * returns -1 on error, 1 if still pending, 0 when drained. */
static int tls_flush_pending(conn *c) {
    ssize_t off = tls_write(c, c->pend, c->pend_len);
    if (off < 0) return -1;
    memmove(c->pend, c->pend + off, c->pend_len - (size_t)off);
    c->pend_len -= (size_t)off;
    return c->pend_len ? 1 : 0;
}

/* --tls: reads what has arrived (up to BUF at a time) and echoes it, again while OpenSSL still holds
 * input; stops when there is nothing more or the echo did not go out completely (the rest then waits in
 * pend and reading pauses). Sets the events to wait for. Returns -1 to drop the connection. */
static int tls_echo(int ep, conn *c, uint8_t *buf) {
    for (;;) {
        size_t got = 0;
        uint32_t rd_wait = 0;
        while (got < BUF) {
            int r = SSL_read(c->ssl, buf + got, (int)(BUF - got));
            if (r > 0) {
                got += (size_t)r;
                if (!SSL_has_pending(c->ssl)) break; /* the socket signals anything further */
                continue;
            }
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ) rd_wait = EPOLLIN;
            else if (e == SSL_ERROR_WANT_WRITE) rd_wait = EPOLLOUT;
            else return -1; /* closed or failed */
            break;
        }
        if (got) {
            ssize_t off = tls_write(c, buf, got);
            if (off < 0) return -1;
            if ((size_t)off < got) {
                if (queue_pending(c, buf + off, got - (size_t)off) < 0) return -1;
                set_events(ep, c, c->wr_wait);
                return 0;
            }
        }
        if (rd_wait || !SSL_has_pending(c->ssl)) {
            set_events(ep, c, EPOLLIN | (rd_wait == EPOLLOUT ? EPOLLOUT : 0));
            return 0;
        }
    }
}

/* --tls: one event on a connection: the handshake until it completes, then the pending echo, then
 * reading. Returns -1 to drop the connection. */
static int tls_event(int ep, conn *c, uint8_t *buf) {
    if (!c->hs_done) {
        int r = SSL_do_handshake(c->ssl);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ) set_events(ep, c, EPOLLIN);
            else if (e == SSL_ERROR_WANT_WRITE) set_events(ep, c, EPOLLOUT);
            else return -1;
            return 0;
        }
        c->hs_done = 1;
    }
    if (c->pend_len) {
        int r = tls_flush_pending(c);
        if (r < 0) return -1;
        if (r) {
            set_events(ep, c, c->wr_wait);
            return 0;
        }
    }
    return tls_echo(ep, c, buf);
}

static SSL_CTX *tls_server_ctx(const char *cert, const char *key) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        fprintf(stderr, "server_raw: cannot set up TLS with %s and %s\n", cert, key);
        ERR_print_errors_fp(stderr);
        exit(1);
    }
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(ctx, 1);
    return ctx;
}

int main(int argc, char **argv) {
    SSL_CTX *tls = NULL;
    int want_tls = argc >= 3 && strcmp(argv[2], "--tls") == 0;
    if (argc < 2 || (want_tls && argc != 5)) {
        fprintf(stderr, "usage: server_raw PORT [--tls CERT KEY]\n");
        return 2;
    }
    if (want_tls) tls = tls_server_ctx(argv[3], argv[4]);
    bench_raise_nofile();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4096) < 0) {
        perror("server_raw: bind/listen");
        return 1;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event le = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &le);
    static uint8_t buf[BUF];
    static struct epoll_event evs[256];
    printf("READY\n");
    fflush(stdout);
    while (!stop) {
        int n = epoll_wait(ep, evs, 256, 200);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c == NULL) {
                for (;;) {
                    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conn *nc = calloc(1, sizeof *nc);
                    nc->fd = fd;
                    nc->ev = EPOLLIN;
                    if (tls) {
                        nc->ssl = SSL_new(tls);
                        if (!nc->ssl || SSL_set_fd(nc->ssl, fd) != 1) {
                            if (nc->ssl) SSL_free(nc->ssl);
                            close(fd);
                            free(nc);
                            continue;
                        }
                        SSL_set_accept_state(nc->ssl);
                    }
                    struct epoll_event e = {.events = EPOLLIN, .data.ptr = nc};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
                }
                continue;
            }
            if (c->ssl) {
                if (tls_event(ep, c, buf) < 0) drop(ep, c);
                continue;
            }
            if (evs[i].events & EPOLLOUT) {
                int r = flush_pending(c);
                if (r < 0) {
                    drop(ep, c);
                    continue;
                }
                if (r == 0) set_events(ep, c, EPOLLIN);
                continue;
            }
            if (c->pend_len) continue;
            ssize_t r = recv(c->fd, buf, BUF, 0);
            if (r <= 0) {
                if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                drop(ep, c);
                continue;
            }
            size_t off = 0;
            while (off < (size_t)r) {
                ssize_t w = send(c->fd, buf + off, (size_t)r - off, MSG_NOSIGNAL);
                if (w < 0) {
                    if (errno == EINTR) continue;
                    break;
                }
                off += (size_t)w;
            }
            if (off < (size_t)r) {
                if (errno != EAGAIN || queue_pending(c, buf + off, (size_t)r - off) < 0) {
                    drop(ep, c);
                    continue;
                }
                set_events(ep, c, EPOLLOUT);
            }
        }
    }
    return 0;
}
