/*
 * The raw-TCP ceiling's server: a single-threaded epoll echo server (no WebSocket). Every byte read is
 * written back; when the socket will not take it all, the rest waits in a per-connection buffer and
 * reading pauses until it is drained. Usage: server_raw PORT  (prints READY when listening; stops on
 * SIGTERM/SIGINT).
 */
#include "bench_common.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define BUF (256 * 1024)

typedef struct conn {
    int fd;
    uint8_t *pend; /* unwritten echo bytes */
    size_t pend_len, pend_cap;
} conn;

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static void drop(int ep, conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->pend);
    free(c);
}

static void set_events(int ep, conn *c, uint32_t ev) {
    struct epoll_event e = {.events = ev, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
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

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: server_raw PORT\n");
        return 2;
    }
    bench_raise_nofile();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
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
                    struct epoll_event e = {.events = EPOLLIN, .data.ptr = nc};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
                }
                continue;
            }
            if (evs[i].events & EPOLLOUT) {
                int r = flush_pending(c);
                if (r < 0) { drop(ep, c); continue; }
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
