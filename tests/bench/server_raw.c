/*
 * The raw-TCP ceiling's server: a single-threaded epoll echo server (no WebSocket). Every byte read is
 * written back; when the socket will not take it all, the rest waits in a per-connection buffer and
 * reading pauses until it is drained.
 *
 * Usage: server_raw PORT [--tls CERT KEY | --ws]   (listens on 127.0.0.1:PORT; prints READY when
 * listening; stops on SIGTERM/SIGINT)
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
 *
 * With --ws the echo speaks just enough WebSocket for a client to measure its own CPU against a server
 * that costs about what the raw-TCP echo costs (libwebsockets, the benchmarks' echo server, is the
 * bottleneck on several rows, and a client that waits for its server wakes up for smaller batches, so
 * its CPU per message says more about the server than about the client). It answers the opening
 * handshake (the request collected up to its blank line, Sec-WebSocket-Accept computed, no extension
 * accepted), then parses the client's frames as they stream in: each header is answered at once with the
 * unmasked server header, each payload chunk is unmasked and echoed as it arrives, all of one read in one
 * send(). Ping is answered with Pong, Pong is dropped, Close is echoed and the connection then closed. It
 * checks nothing else: it is a benchmark peer, not a conforming server.
 */
#include "bench_common.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#define BUF (256 * 1024)

/* WebSocket framing numbers (RFC 6455 section 5.2). */
enum {
    WS_FIN = 0x80,
    WS_OPCODE = 0x0f,
    WS_MASKED = 0x80,
    WS_LEN7 = 0x7f,
    WS_LEN16 = 126,
    WS_LEN64 = 127,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xa,
    WS_MAX_HEADER = 14,
    WS_REQUEST_MAX = 8192
};

/* --ws: where one connection stands. Before the upgrade `req` collects the request; afterwards `hdr`
 * collects a frame header that arrived split, and `left` counts the current frame's payload still due. */
typedef struct ws_state {
    int upgraded;
    int close_sent; /* a Close was echoed: the connection ends once it is out */
    size_t req_len;
    char req[WS_REQUEST_MAX];
    uint8_t hdr[WS_MAX_HEADER];
    unsigned hdr_len;
    uint64_t left;
    uint8_t mask[4];
    unsigned mask_pos;
    int in_payload;   /* the current frame's header has been answered */
    int drop_payload; /* a Pong: read, not echoed */
    uint8_t opcode;
} ws_state;

typedef struct conn {
    int fd;
    uint32_t ev;      /* the epoll events registered */
    SSL *ssl;         /* --tls: the session */
    int hs_done;      /* --tls: the handshake is complete */
    uint32_t wr_wait; /* --tls: what the unfinished SSL_write of pend waits for (EPOLLIN or EPOLLOUT) */
    uint8_t *pend;    /* unwritten echo bytes */
    size_t pend_len, pend_cap;
    ws_state *ws; /* --ws: the WebSocket side (NULL for plain and TLS echoes) */
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
    free(c->ws);
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

/* --ws: bytes of the frame header collected so far → the header's full length. */
static unsigned ws_header_need(const uint8_t *h, unsigned have) {
    if (have < 2) return 2;
    unsigned l = h[1] & WS_LEN7;
    return 2u + (l == WS_LEN16 ? 2u : l == WS_LEN64 ? 8u : 0u) + ((h[1] & WS_MASKED) ? 4u : 0u);
}

/* --ws: the unmasked server header for `len` payload bytes after first byte b0; returns its length. */
static size_t ws_put_header(uint8_t *o, uint8_t b0, uint64_t len) {
    o[0] = b0;
    if (len < WS_LEN16) {
        o[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xffff) {
        o[1] = WS_LEN16;
        o[2] = (uint8_t)(len >> 8);
        o[3] = (uint8_t)len;
        return 4;
    }
    o[1] = WS_LEN64;
    for (int k = 0; k < 8; k++) o[2 + k] = (uint8_t)(len >> (56 - 8 * k));
    return 10;
}

/* --ws: a complete header in w->hdr starts a frame; its answer's header goes to out (nothing for a Pong,
 * whose payload is dropped); returns the bytes written. */
static size_t ws_begin_frame(ws_state *w, uint8_t *out) {
    const uint8_t *h = w->hdr;
    unsigned l = h[1] & WS_LEN7, p = 2;
    uint64_t len = l;
    if (l == WS_LEN16) {
        len = (uint64_t)h[2] << 8 | h[3];
        p = 4;
    } else if (l == WS_LEN64) {
        len = 0;
        for (int k = 0; k < 8; k++) len = len << 8 | h[2 + k];
        p = 10;
    }
    if (h[1] & WS_MASKED) memcpy(w->mask, h + p, sizeof w->mask);
    else memset(w->mask, 0, sizeof w->mask);
    w->mask_pos = 0;
    w->left = len;
    w->in_payload = 1;
    w->opcode = h[0] & WS_OPCODE;
    w->drop_payload = w->opcode == WS_OP_PONG;
    if (w->drop_payload) return 0;
    return ws_put_header(out, w->opcode == WS_OP_PING ? (uint8_t)(WS_FIN | WS_OP_PONG) : h[0], len);
}

/* --ws: n payload bytes unmasked from in to out, eight at a time (the key repeats every four bytes, so an
 * eight-byte word of it rotated to the current position serves every step). */
static void ws_unmask(uint8_t *out, const uint8_t *in, size_t n, const uint8_t mask[4], unsigned pos) {
    uint8_t m8[8];
    for (unsigned j = 0; j < 8; j++) m8[j] = mask[(pos + j) & 3];
    uint64_t m;
    memcpy(&m, m8, sizeof m);
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        uint64_t x;
        memcpy(&x, in + j, sizeof x);
        x ^= m;
        memcpy(out + j, &x, sizeof x);
    }
    for (; j < n; j++) out[j] = in[j] ^ m8[j & 7];
}

/* --ws: frames streaming in (in[0..n)) → their echo in out; returns the bytes written. Stops after a Close. */
static size_t ws_frames(ws_state *w, const uint8_t *in, size_t n, uint8_t *out) {
    size_t i = 0, o = 0;
    while (i < n && !w->close_sent) {
        if (!w->in_payload) {
            unsigned need = ws_header_need(w->hdr, w->hdr_len);
            while (w->hdr_len < need && i < n) {
                w->hdr[w->hdr_len++] = in[i++];
                need = ws_header_need(w->hdr, w->hdr_len);
            }
            if (w->hdr_len < need) break;
            o += ws_begin_frame(w, out + o);
        }
        size_t k = w->left < n - i ? (size_t)w->left : n - i;
        if (!w->drop_payload) {
            ws_unmask(out + o, in + i, k, w->mask, w->mask_pos);
            o += k;
        }
        w->mask_pos = (unsigned)((w->mask_pos + k) & 3);
        i += k;
        w->left -= k;
        if (w->left == 0) {
            w->in_payload = 0;
            w->hdr_len = 0;
            w->close_sent = w->opcode == WS_OP_CLOSE;
        }
    }
    return o;
}

static const char WS_GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* --ws: the 101 answer to the complete request in w->req; returns its length, or 0 without a key. */
static size_t ws_accept(const ws_state *w, uint8_t *out) {
    static const char field[] = "\r\nSec-WebSocket-Key:";
    const char *k = NULL;
    for (const char *p = w->req; *p && !k; p++)
        if (strncasecmp(p, field, sizeof field - 1) == 0) k = p + sizeof field - 1;
    if (!k) return 0;
    k += strspn(k, " \t");
    size_t kl = strcspn(k, " \t\r\n");
    char src[128 + sizeof WS_GUID];
    if (kl > 128) return 0;
    memcpy(src, k, kl);
    memcpy(src + kl, WS_GUID, sizeof WS_GUID - 1);
    uint8_t dig[SHA_DIGEST_LENGTH];
    SHA1((const uint8_t *)src, kl + sizeof WS_GUID - 1, dig);
    char acc[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
    EVP_EncodeBlock((uint8_t *)acc, dig, SHA_DIGEST_LENGTH);
    return (size_t)sprintf((char *)out,
                           "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                           acc);
}

/* --ws: one read's bytes → what to send back (the 101 first, once the request is complete, then the
 * echoes); returns its length, or -1 to drop the connection (a request too long or without a key). */
static ssize_t ws_input(ws_state *w, const uint8_t *in, size_t n, uint8_t *out) {
    size_t o = 0;
    if (!w->upgraded) {
        size_t take = 0;
        while (take < n && !w->upgraded) {
            if (w->req_len + 1 >= WS_REQUEST_MAX) return -1;
            w->req[w->req_len++] = (char)in[take++];
            w->req[w->req_len] = 0;
            w->upgraded = w->req_len >= 4 && memcmp(w->req + w->req_len - 4, "\r\n\r\n", 4) == 0;
        }
        if (!w->upgraded) return 0;
        o = ws_accept(w, out);
        if (o == 0) return -1;
        in += take;
        n -= take;
    }
    return (ssize_t)(o + ws_frames(w, in, n, out + o));
}

/* A plain or --ws connection is readable: one recv(), its echo (the same bytes, or ws_input's answer)
 * sent at once; what the socket will not take waits in pend while reading pauses. Returns -1 to drop
 * the connection (also once a --ws Close has been echoed completely). */
static int plain_echo(int ep, conn *c, uint8_t *buf, uint8_t *out) {
    ssize_t r = recv(c->fd, buf, BUF, 0);
    if (r <= 0) return r < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
    const uint8_t *src = buf;
    if (c->ws) {
        r = ws_input(c->ws, buf, (size_t)r, out);
        if (r < 0) return -1;
        src = out;
    }
    size_t off = 0;
    while (off < (size_t)r) {
        ssize_t w = send(c->fd, src + off, (size_t)r - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            break;
        }
        off += (size_t)w;
    }
    if (off < (size_t)r) {
        if (errno != EAGAIN || queue_pending(c, src + off, (size_t)r - off) < 0) return -1;
        set_events(ep, c, EPOLLOUT);
        return 0;
    }
    return c->ws && c->ws->close_sent ? -1 : 0;
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
    int want_ws = argc == 3 && strcmp(argv[2], "--ws") == 0;
    if (argc < 2 || (want_tls && argc != 5) || (argc > 2 && !want_tls && !want_ws)) {
        fprintf(stderr, "usage: server_raw PORT [--tls CERT KEY | --ws]\n");
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
    static uint8_t out[BUF + WS_REQUEST_MAX]; /* --ws: a read's echo, headers and 101 included */
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
                    if (want_ws && !(nc->ws = calloc(1, sizeof *nc->ws))) {
                        close(fd);
                        free(nc);
                        continue;
                    }
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
                if (r < 0 || (r == 0 && c->ws && c->ws->close_sent)) drop(ep, c);
                else if (r == 0) set_events(ep, c, EPOLLIN);
                continue;
            }
            if (c->pend_len) continue;
            if (plain_echo(ep, c, buf, out) < 0) drop(ep, c);
        }
    }
    return 0;
}
