/*
 * How a connection gets connected: from the lookup's result (RESOLVING) through the connection attempts
 * (CONNECTING) and the TLS handshake (TLS) to the start of the opening handshake (HANDSHAKE).
 *
 * Attempts race as RFC 8305 (Happy Eyeballs v2) describes: the address list alternates between IPv6
 * and IPv4 (starting with the family the resolver put first), one attempt starts, and every
 * TT__ATTEMPT_DELAY_MS without a success (or at once when an attempt fails) the next address gets its
 * own attempt while the earlier ones go on. The first socket to connect wins and the others are closed.
 * An attempt whose IP:port is locked by another connection waits for it (endpoint.c) without holding up
 * the next address. The tt connect timeout, kept by the core, bounds the whole phase.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "tt_internal.h"

/* RFC 8305 section 5: the Connection Attempt Delay, 250 ms recommended. */
#define TT__ATTEMPT_DELAY_MS 250

/* ---- Attempts ---------------------------------------------------------------------------------- */

void tt__attempt_free(tt__attempt *a) {
    tt__conn *c = a->conn;
    tt__list_remove(&a->node);
    if (c->won == a) c->won = NULL;
    tt__ep_release(a);
    if (a->fd >= 0) close(a->fd);
    a->fd = -1;
    a->state = TT__AT_DONE;
    if (tt__loop.in_poll) tt__list_push_back(&tt__loop.attempt_graveyard, &a->node);
    else tt__free(a);
}

/* Every attempt still racing. */
static void free_racing(tt__conn *c) {
    for (tt__list *n; (n = tt__list_first(&c->attempts)) != NULL;)
        tt__attempt_free(TT__LIST_ENTRY(n, tt__attempt, node));
}

void tt__attempts_free(tt__conn *c) {
    free_racing(c);
    if (c->won) tt__attempt_free(c->won);
}

static void format_address(const struct addrinfo *ai, char *out, size_t cap) {
    char ip[INET6_ADDRSTRLEN] = "?";
    if (ai->ai_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ai->ai_addr;
        inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(sin->sin_port));
    } else if (ai->ai_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ai->ai_addr;
        inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "[%s]:%u", ip, (unsigned)ntohs(sin6->sin6_port));
    } else {
        snprintf(out, cap, "?");
    }
}

/* Keeps why an attempt failed on its connection: the detail when every attempt has. */
static void record_connect_error(tt__conn *c, const struct addrinfo *ai, int err) {
    char addr[INET6_ADDRSTRLEN + 16], text[160];
    format_address(ai, addr, sizeof addr);
    snprintf(text, sizeof text, "%s (%s)", strerror(err), addr);
    char *copy = tt__strdup(text);
    if (copy == NULL) return; /* keep the previous reason rather than none */
    tt__free(c->connect_error);
    c->connect_error = copy;
}

/* No attempt is under way and no address is left: the connection fails with the last reason. */
static void connect_exhausted(tt__conn *c) {
    const char *why = c->connect_error ? c->connect_error : "no usable address";
    char detail[TT__DETAIL_MAX];
    if (c->attempts_made > 1) {
        snprintf(detail, sizeof detail, "connect: %s; %u addresses tried", why, c->attempts_made);
    } else if (c->attempts_made == 1) {
        snprintf(detail, sizeof detail, "connect: %s", why);
    } else {
        snprintf(detail, sizeof detail, "connect: no address for %s", c->host ? c->host : "host");
    }
    tt__conn_fail(c, TT_ECONNECT, detail);
}

static void on_connected(tt__conn *c);

/* The attempt connected: its socket becomes the connection's, every other attempt is given up. */
static void attempt_won(tt__attempt *a) {
    tt__conn *c = a->conn;
    tt__list_remove(&a->node);
    a->state = TT__AT_WON;
    c->won = a;
    a->ai = NULL; /* the address list goes in on_connected(); the lock needs only a->ep */
    free_racing(c);
    tt__conn_timer_stop(c);
    c->fd = a->fd;
    a->fd = -1;
    c->events = 0;
    if (a->events) {
        /* The socket stays in the epoll set; from now on its events belong to the connection. */
        struct epoll_event e;
        memset(&e, 0, sizeof e);
        e.data.ptr = c;
        e.events = a->events;
        if (epoll_ctl(tt__loop.epfd, EPOLL_CTL_MOD, c->fd, &e) == 0) c->events = a->events;
    }
    on_connected(c);
}

/* The attempt failed (err): the next address is tried at once; with none left, the last one out fails. */
static void attempt_failed(tt__attempt *a, int err) {
    tt__conn *c = a->conn;
    record_connect_error(c, a->ai, err);
    tt__attempt_free(a);
    if (c->next_addr) tt__connect_next(c);
    else if (tt__list_empty(&c->attempts)) connect_exhausted(c);
}

/* socket() and connect() for an attempt that holds its endpoint lock. */
static void attempt_connect(tt__attempt *a) {
    const struct addrinfo *ai = a->ai;
    a->state = TT__AT_CONNECTING;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) {
        attempt_failed(a, errno);
        return;
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    a->fd = fd;
    int r;
    do r = connect(fd, ai->ai_addr, ai->ai_addrlen);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
        attempt_won(a);
        return;
    }
    if (errno != EINPROGRESS) {
        attempt_failed(a, errno);
        return;
    }
    struct epoll_event e;
    memset(&e, 0, sizeof e);
    e.events = EPOLLOUT;
    e.data.ptr = a;
    if (epoll_ctl(tt__loop.epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
        attempt_failed(a, errno);
        return;
    }
    a->events = EPOLLOUT;
}

/*
 * Starts an attempt to the next address, and arms the attempt delay for the one after it. An attempt that
 * fails at once (no route, no socket) moves on to the next address at once.
 */
void tt__connect_next(tt__conn *c) {
    if (c->next_addr == NULL) return;
    struct addrinfo *ai = c->next_addr;
    c->next_addr = ai->ai_next;
    c->attempts_made++;
    tt__attempt *a = tt__calloc(1, sizeof *a);
    if (a == NULL) {
        tt__conn_fail(c, TT_ENOMEM, "out of memory");
        return;
    }
    a->io_kind = TT__IO_ATTEMPT;
    a->state = TT__AT_CONNECTING;
    a->fd = -1;
    a->conn = c;
    a->ai = ai;
    tt__list_push_front(&c->attempts, &a->node);
    if (c->next_addr) tt__conn_timer_start(c, TT__ATTEMPT_DELAY_MS);
    else tt__conn_timer_stop(c);
    if (tt__ep_acquire(a)) attempt_connect(a); /* else another connection to this IP:port is opening */
}

void tt__attempt_event(tt__attempt *a) {
    if (a->state != TT__AT_CONNECTING || a->fd < 0 || !tt__conn_live(a->conn)) return;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err == 0) attempt_won(a);
    else attempt_failed(a, err);
}

void tt__attempts_wake(tt__conn *c) {
    TT__LIST_FOREACH_SAFE(n, nx, &c->attempts) {
        if (c->state != TT__ST_CONNECTING) break;
        tt__attempt *a = TT__LIST_ENTRY(n, tt__attempt, node);
        if (a->state == TT__AT_WOKEN) attempt_connect(a);
    }
}

/*
 * RFC 8305 section 4: the resolver's order, but alternating between address families, starting with the
 * family of the first address. Relinks the list in place (freeaddrinfo still frees every node).
 */
static struct addrinfo *interleave_families(struct addrinfo *list) {
    if (list == NULL) return NULL;
    int first = list->ai_family;
    struct addrinfo *same = NULL, **same_end = &same, *other = NULL, **other_end = &other;
    for (struct addrinfo *ai = list, *next; ai; ai = next) {
        next = ai->ai_next;
        ai->ai_next = NULL;
        if (ai->ai_family == first) {
            *same_end = ai;
            same_end = &ai->ai_next;
        } else {
            *other_end = ai;
            other_end = &ai->ai_next;
        }
    }
    struct addrinfo *head = NULL, **end = &head;
    for (int turn = 0; same || other; turn ^= 1) {
        struct addrinfo **from = (turn == 0 && same) || other == NULL ? &same : &other;
        struct addrinfo *ai = *from;
        *from = ai->ai_next;
        ai->ai_next = NULL;
        *end = ai;
        end = &ai->ai_next;
    }
    return head;
}

void tt__connect_start(tt__conn *c, struct addrinfo *list) {
    c->addrs = c->next_addr = interleave_families(list);
    c->state = TT__ST_CONNECTING;
    tt__core_on_phase(c->id, TT__PHASE_CONNECT_START); /* the first attempt; later ones race it */
    tt__connect_next(c);
}

void tt__connect_resolved(void *user, int gai_error, struct addrinfo *result) {
    tt__conn *c = user;
    c->resolve = NULL;
    tt__core_on_phase(c->id, TT__PHASE_LOOKUP_END);
    if (gai_error == 0 && result != NULL) {
        tt__connect_start(c, result);
        return;
    }
    if (result) freeaddrinfo(result);
    char detail[TT__DETAIL_MAX];
    size_t len = c->host ? strlen(c->host) : 0;
    if (len > (size_t)TT__DNS_NAME_MAX + (len && c->host[len - 1] == '.'))
        snprintf(detail, sizeof detail, "resolve: host name too long (%zu bytes, at most %d)", len, TT__DNS_NAME_MAX);
    else
        snprintf(detail, sizeof detail, "resolve: %s: %s", c->host ? c->host : "",
                 gai_error ? gai_strerror(gai_error) : "no address");
    tt__conn_fail(c, TT_ERESOLVE, detail);
}

/* ---- After the connect: TLS, then the opening handshake ---------------------------------------- */

static void start_handshake(tt__conn *c) {
    c->state = TT__ST_HANDSHAKE;
    tt__core_on_phase(c->id, TT__PHASE_REQUEST_START);
    /* Nothing below needs the name any more; an idle connection should not carry it. */
    tt__free(c->host);
    c->host = NULL;
    tt__loop_interest(c, 0);
    tt__conn_flush(c); /* the opening handshake request */
}

void tt__connect_tls_step(tt__conn *c) {
    char detail[TT__DETAIL_MAX];
    int r = tt__tls_handshake(c->ssl, detail, sizeof detail);
    if (r == TT__TLS_DONE) {
        tt__core_on_phase(c->id, TT__PHASE_TLS_END);
        start_handshake(c);
    } else if (r == TT__TLS_WANT_READ) tt__loop_interest(c, EPOLLIN);
    else if (r == TT__TLS_WANT_WRITE) tt__loop_interest(c, EPOLLOUT);
    else tt__conn_fail(c, TT_ETLS, detail);
}

static void on_connected(tt__conn *c) {
    tt__core_on_phase(c->id, TT__PHASE_CONNECT_END);
    freeaddrinfo(c->addrs);
    c->addrs = c->next_addr = NULL;
    tt__free(c->connect_error); /* an earlier address's failure no longer matters */
    c->connect_error = NULL;
    if (!c->secure) {
        start_handshake(c);
        return;
    }
    char detail[TT__DETAIL_MAX];
    c->ssl = tt__tls_new(c->fd, c->host, tt__core_config()->ca_file, detail, sizeof detail);
    if (c->ssl == NULL) {
        tt__conn_fail(c, TT_ETLS, detail);
        return;
    }
    c->state = TT__ST_TLS;
    tt__core_on_phase(c->id, TT__PHASE_TLS_START);
    tt__connect_tls_step(c);
}
