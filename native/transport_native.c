/*
 * The native transport: non-blocking TCP (IPv4 and IPv6) with epoll, OpenSSL for wss://, and the I/O-free
 * engine of src/ws.c for everything WebSocket. This file only moves bytes and reports what happened on
 * the wire; every behaviour the game sees is decided by the core (src/task.c).
 *
 * The life of a connection (phase):
 *   RESOLVING  a worker thread looks the host up (skipped for IP literals)
 *   CONNECTING connection attempts to the resolved addresses, raced as RFC 8305 (Happy Eyeballs v2)
 *              describes: the address list alternates between IPv6 and IPv4 (starting with the family
 *              the resolver put first), one attempt starts, and every TT__ATTEMPT_DELAY_MS without a
 *              success (or at once when an attempt fails) the next address gets its own attempt while
 *              the earlier ones go on. The first socket to connect wins and the others are closed. An
 *              attempt whose IP:port is locked by another connection waits for it (see "Endpoint
 *              locks") without holding up the next address. The tt connect timeout, kept by the core,
 *              bounds the whole phase.
 *   TLS        the TLS handshake (wss:// only)
 *   WS         bytes flow between the socket and the engine: opening handshake, messages, Close frames
 *   LINGER     both Close frames are exchanged and ours is written; like Chromium we let the server close
 *              TCP first, waiting at most TT__LINGER_MS, then report a clean close
 *
 * Memory: every connection reads into one shared buffer (TT__READ_BUFFER_SIZE) and hands slices to
 * tt__ws_recv(), so an idle ws:// connection holds only its struct and the engine's small state. Inside a
 * large payload (TT__DIRECT_MIN or more still to come) the bytes are read straight into the engine's
 * message buffer instead (tt__ws_recv_buffer()), saving a copy. Buffers the engine keeps while traffic
 * flows are given back by a trim timer once the connection has been quiet for TT__TRIM_MS.
 *
 * Writes are coalesced: tt__transport_send() and tt__transport_close() only queue into the engine and mark
 * the connection dirty; each dirty connection is flushed once per poll pass (or at once when its output
 * passes TT__EAGER_FLUSH bytes). A partial write arms EPOLLOUT until the output is drained.
 *
 * fork(): the child shares its parent's sockets and epoll instance, so it must never read, write or
 * change the interest of one of them. The first call into the transport after fork() in the child
 * therefore starts over (leave_parent): a new epoll instance, and every inherited connection failed
 * without a byte sent (its socket closed in the child only; the parent's stays open and registered),
 * reported at the next pass as onError "connection failed" with detail "fork: ..." + onClose 1006.
 *
 * Up-calls happen only inside tt__transport_poll(). A failure or an end found elsewhere (a refused
 * connect() inside tt__transport_open(), a broken pipe while flushing from tt__transport_send()) is
 * parked on the connection and reported at the start of the next pass. A connection is released *before* its final
 * up-call; a connection released while the loop may still hold pointers to it (an event later in the
 * same epoll batch, an abort from inside an up-call) is kept as an inert husk until the end of the pass.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "heap.h"
#include "deflate.h"
#include "handshake.h"
#include "native.h"
#include "transport.h"
#include "tt_internal.h"
#include "ws.h"

/* One buffer for every read of every connection. */
#define TT__READ_BUFFER_SIZE (128u * 1024u)
/*
 * The send buffer limit: tt__transport_send() returns TT_EBUFFER when the bytes not yet written to the
 * socket (frames already queued plus the new message) would exceed 64 MiB, the same as the default
 * incoming message limit. The core then fails the connection, as a browser does when its buffer is full.
 * tt_runtime_config.max_buffered_amount replaces it when set (tests use a small one).
 */
#define TT__SEND_BUFFER_LIMIT ((size_t)64u * 1024u * 1024u)
/* Output beyond this is written from tt__transport_send() at once instead of at the next pass. */
#define TT__EAGER_FLUSH (256u * 1024u)
/* A payload with at least this much still to come is read straight into the message buffer. */
#define TT__DIRECT_MIN (64u * 1024u)
/* Bytes read from one connection per pass before the others get their turn. */
#define TT__READ_BUDGET (1024u * 1024u)
/* After the closing handshake: how long the server gets to close TCP (Chromium waits 2 s). */
#define TT__LINGER_MS 2000
/* An open connection's spare large buffers (see tt__ws_trim()) go back at most this long after use. */
#define TT__TRIM_MS 1000
#define TT__MAX_EVENTS 256
/* RFC 8305 section 5: the Connection Attempt Delay, 250 ms recommended. */
#define TT__ATTEMPT_DELAY_MS 250
#define TT__DETAIL_MAX 320

enum { PH_RESOLVING, PH_CONNECTING, PH_TLS, PH_WS, PH_LINGER };
enum { TIMER_NONE, TIMER_CLOSE, TIMER_LINGER, TIMER_TRIM, TIMER_ATTEMPT };
/* What an epoll event's data points to: the first byte of a connection and of an attempt says which. */
enum { IO_CONN, IO_ATTEMPT };

typedef struct tt__attempt tt__attempt;

struct tt__conn {
    uint8_t io_kind; /* IO_CONN */
    uint32_t id;
    int fd;
    uint32_t events; /* epoll interest currently registered; 0 = not registered */
    uint8_t phase;
    uint8_t secure;
    uint8_t timer;      /* TIMER_* */
    uint8_t dirty;      /* on the dirty list */
    uint8_t dead;       /* released; an inert husk waiting for the end of the pass */
    uint8_t busy;       /* inside tt__ws_recv(): the engine must not be freed under it */
    uint8_t want_out;   /* output is pending and the socket said EAGAIN */
    uint8_t read_again; /* TLS holds decrypted bytes that epoll cannot signal */
    uint8_t tls_read_wants_write;
    uint8_t tls_write_wants_read;
    uint8_t ep_wake;         /* an attempt was handed its endpoint lock: it connects at the next pass */
    uint8_t request_written; /* the opening request's last byte is written (reported once) */
    uint16_t port;
    uint16_t peer_reason_len;
    uint16_t peer_code;    /* the peer's Close code, 0-65535 (1005 when it had none) */
    size_t dropped_bytes;  /* sent after the server's Close: dropped, still counted as buffered */
    int pending_error;     /* a failure parked for the next pass (TT_E*), 0 for none */
    uint8_t pending_close; /* an end without failure parked for the next pass (see conn_drop) */
    uint8_t pending_clean;
    uint16_t pending_code;
    char *pending_detail;
    tt__ws *ws;
    tt__ssl *ssl;
    char *host; /* for the lookup, SNI, verification and details; freed once open */
    char *peer_reason;
    struct addrinfo *addrs, *next_addr;
    tt__resolve_req *resolve;
    tt__heap_node timer_node; /* in `timers` while timer != TIMER_NONE */
    unsigned attempts;        /* addresses tried */
    tt__attempt *att_head;    /* attempts under way (connecting, or waiting for their endpoint lock) */
    tt__attempt *won;         /* the attempt that connected: it holds the endpoint lock until open */
    char *connect_error;      /* why the last attempt failed, for the detail when all have */
    tt__conn *all_prev, *all_next;
    tt__conn *dirty_prev, *dirty_next;
    tt__conn *grave_next; /* on the graveyard */
};

/* One connection attempt to one address (see CONNECTING above). */
struct tt__attempt {
    uint8_t io_kind;    /* IO_ATTEMPT */
    uint8_t ep_waiting; /* queued on ep, not its holder */
    uint8_t ep_wake;    /* ep was handed over: connect at the next pass */
    uint8_t dead;       /* given up; freed at the end of the pass */
    int fd;
    uint32_t events; /* epoll interest registered (EPOLLOUT while connecting) */
    tt__conn *conn;
    const struct addrinfo *ai;
    tt__attempt *prev, *next;       /* in conn->att_head, or the graveyard */
    struct tt__endpoint *ep;        /* the endpoint lock held or waited for, NULL when none */
    tt__attempt *ep_prev, *ep_next; /* neighbours in ep's queue of waiters */
};

/*
 * Endpoint locks. Like Chromium (RFC 6455 section 4.1, step 2), at most one connection per IP:port is
 * in its opening phase at a time: from connect() until the opening handshake has succeeded or the
 * connection is gone. Locks are taken by attempts: an attempt whose address is locked waits (no socket
 * yet) in FIFO order; the lock passes to the first waiter, which connects at the next pass. A waiting
 * attempt is an attempt under way, so the connection's next address still gets its turn after the
 * attempt delay: a black-holed address holds up only the attempts to that very address. The winning
 * attempt keeps its lock until the opening handshake is over. The tt timeout keeps running in the core
 * meanwhile. A lock exists only while it is held.
 */
typedef struct tt__endpoint {
    struct tt__endpoint *next;
    uint8_t key[1 + 2 + 16]; /* family, port, address */
    uint8_t key_len;
    tt__attempt *holder;
    tt__attempt *wait_head, *wait_tail;
} tt__endpoint;
static tt__endpoint *endpoints;

static int epfd = -1;
static uint8_t *read_buf;
static tt__conn *all_head;
static tt__heap timers;                /* every connection's timer (room reserved for each live connection) */
static tt__conn *graveyard;            /* husks released during a pass, chained through grave_next */
static tt__attempt *attempt_graveyard; /* attempts given up during a pass, chained through next */
static size_t live_count;
static int in_poll; /* inside tt__transport_poll() */
/*
 * Inside a down-call (open/send/close). The core delivers some callbacks straight from our up-calls, so
 * a game callback may call back into the transport while a pass is running; such nested calls must not
 * make up-calls of their own.
 */
static int downcall_depth;
static int upcalls;       /* made during the current pass */
static char resolver_tag; /* epoll data of the resolver's eventfd */
static char fmt_buf[TT__DETAIL_MAX];
static char upcall_buf[TT__DETAIL_MAX];
static int limits_raised;
static volatile int forked_child; /* set in a child by the pthread_atfork handler */

/* ---- Lists ------------------------------------------------------------------------------------ */

/*
 * Dirty lists: `dirty_list` collects connections that need a flush (or have a parked failure); a pass
 * moves it to `processing_list` and works through it, so connections marked meanwhile wait for the next
 * pass. c->dirty says which list holds c (0 none, 1 dirty, 2 processing), so a connection released in
 * the middle (by a game callback) unlinks itself from the right one.
 */
typedef struct conn_list {
    tt__conn *head, *tail;
} conn_list;
static conn_list dirty_list, processing_list;

static conn_list *list_of(const tt__conn *c) {
    return c->dirty == 1 ? &dirty_list : c->dirty == 2 ? &processing_list : NULL;
}

static void unlink_dirty(tt__conn *c) {
    conn_list *l = list_of(c);
    if (l == NULL) return;
    if (c->dirty_prev) c->dirty_prev->dirty_next = c->dirty_next;
    else l->head = c->dirty_next;
    if (c->dirty_next) c->dirty_next->dirty_prev = c->dirty_prev;
    else l->tail = c->dirty_prev;
    c->dirty_prev = c->dirty_next = NULL;
    c->dirty = 0;
}

static void mark_dirty(tt__conn *c) {
    if (c->dirty == 1 || c->dead) return;
    unlink_dirty(c); /* from the processing list: it goes to the back of the next round */
    c->dirty = 1;
    c->dirty_next = NULL;
    c->dirty_prev = dirty_list.tail;
    if (dirty_list.tail) dirty_list.tail->dirty_next = c;
    else dirty_list.head = c;
    dirty_list.tail = c;
}

static void timer_stop(tt__conn *c) {
    if (c->timer == TIMER_NONE) return;
    tt__heap_remove(&timers, &c->timer_node);
    c->timer = TIMER_NONE;
}

/* Room for one timer per live connection is reserved in open_conn(), so this cannot fail. */
static void timer_start(tt__conn *c, int kind, uint64_t delay_ms) {
    c->timer = (uint8_t)kind;
    tt__heap_insert(&timers, &c->timer_node, tt__now_ms() + delay_ms);
}

/* While the engine holds spare buffers, a timer gives them back: at most one reallocation a second while
 * large messages flow, none held long once the connection is quiet. */
static void arm_trim(tt__conn *c) {
    if (c->dead || c->phase != PH_WS || c->ws == NULL || c->timer != TIMER_NONE) return;
    if (tt__ws_has_spare(c->ws)) timer_start(c, TIMER_TRIM, TT__TRIM_MS);
}

/* ---- Endpoint locks --------------------------------------------------------------------------- */

static uint8_t endpoint_key(const struct addrinfo *ai, uint8_t *key) {
    key[0] = (uint8_t)ai->ai_family;
    if (ai->ai_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ai->ai_addr;
        memcpy(key + 1, &a->sin6_port, 2);
        memcpy(key + 3, &a->sin6_addr, 16);
        return 19;
    }
    const struct sockaddr_in *a = (const struct sockaddr_in *)ai->ai_addr;
    memcpy(key + 1, &a->sin_port, 2);
    memcpy(key + 3, &a->sin_addr, 4);
    return 7;
}

/* 1 when a holds (or now takes) the lock of its address's endpoint; 0 when it must wait (it is queued). */
static int ep_acquire(tt__attempt *a) {
    const struct addrinfo *ai = a->ai;
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) return 1;
    if (a->ep && !a->ep_waiting) return 1;
    uint8_t key[sizeof((tt__endpoint *)0)->key];
    uint8_t len = endpoint_key(ai, key);
    tt__endpoint *ep = endpoints;
    while (ep && !(ep->key_len == len && memcmp(ep->key, key, len) == 0)) ep = ep->next;
    if (ep == NULL) {
        ep = tt__calloc(1, sizeof *ep);
        if (ep == NULL) return 1; /* out of memory: connect without the lock rather than fail */
        memcpy(ep->key, key, len);
        ep->key_len = len;
        ep->next = endpoints;
        endpoints = ep;
    }
    a->ep = ep;
    if (ep->holder == NULL) {
        ep->holder = a;
        return 1;
    }
    a->ep_waiting = 1;
    a->ep_next = NULL;
    a->ep_prev = ep->wait_tail;
    if (ep->wait_tail) ep->wait_tail->ep_next = a;
    else ep->wait_head = a;
    ep->wait_tail = a;
    return 0;
}

static void mark_dirty(tt__conn *c);

/* Lets go of a's lock (or its place in the queue); the next waiter gets the lock. */
static void ep_release(tt__attempt *a) {
    tt__endpoint *ep = a->ep;
    if (ep == NULL) return;
    a->ep = NULL;
    if (a->ep_waiting) {
        a->ep_waiting = 0;
        if (a->ep_prev) a->ep_prev->ep_next = a->ep_next;
        else ep->wait_head = a->ep_next;
        if (a->ep_next) a->ep_next->ep_prev = a->ep_prev;
        else ep->wait_tail = a->ep_prev;
    } else if (ep->holder == a) {
        ep->holder = ep->wait_head;
        if (ep->holder) {
            tt__attempt *w = ep->holder;
            ep->wait_head = w->ep_next;
            if (ep->wait_head) ep->wait_head->ep_prev = NULL;
            else ep->wait_tail = NULL;
            w->ep_next = NULL;
            w->ep_waiting = 0;
            w->ep_wake = 1;
            w->conn->ep_wake = 1;
            mark_dirty(w->conn);
        }
    }
    a->ep_prev = a->ep_next = NULL;
    if (ep->holder == NULL && ep->wait_head == NULL) {
        tt__endpoint **pp = &endpoints;
        while (*pp != ep) pp = &(*pp)->next;
        *pp = ep->next;
        tt__free(ep);
    }
}

/* ---- Attempts --------------------------------------------------------------------------------- */

/* Gives an attempt up: socket closed, lock released; the struct goes now or at the end of the pass. */
static void attempt_free(tt__attempt *a) {
    tt__conn *c = a->conn;
    if (a->prev) a->prev->next = a->next;
    else if (c->att_head == a) c->att_head = a->next;
    if (a->next) a->next->prev = a->prev;
    a->prev = a->next = NULL;
    if (c->won == a) c->won = NULL;
    ep_release(a);
    if (a->fd >= 0) close(a->fd);
    a->fd = -1;
    a->dead = 1;
    if (in_poll) {
        a->next = attempt_graveyard;
        attempt_graveyard = a;
    } else {
        tt__free(a);
    }
}

/* Every attempt of c, and the lock its winner holds. */
static void attempts_free(tt__conn *c) {
    while (c->att_head) attempt_free(c->att_head);
    if (c->won) attempt_free(c->won);
}

/* ---- Release ---------------------------------------------------------------------------------- */

static void close_fd(tt__conn *c) {
    if (c->fd >= 0) {
        close(c->fd); /* also removes it from the epoll set */
        c->fd = -1;
    }
    c->events = 0;
}

/* Frees everything the connection holds. The struct itself goes now, or at the end of the pass. */
static void conn_release(tt__conn *c) {
    if (!c->dead) {
        c->dead = 1;
        live_count--;
        if (c->all_prev) c->all_prev->all_next = c->all_next;
        else all_head = c->all_next;
        if (c->all_next) c->all_next->all_prev = c->all_prev;
        c->all_prev = c->all_next = NULL;
        unlink_dirty(c);
        timer_stop(c);
        attempts_free(c);
        if (c->resolve) tt__resolver_cancel(c->resolve);
        c->resolve = NULL;
        if (c->ssl) tt__tls_free(c->ssl);
        c->ssl = NULL;
        close_fd(c);
        if (c->addrs) freeaddrinfo(c->addrs);
        c->addrs = c->next_addr = NULL;
        tt__free(c->host);
        tt__free(c->pending_detail);
        tt__free(c->peer_reason);
        tt__free(c->connect_error);
        c->host = c->pending_detail = c->peer_reason = c->connect_error = NULL;
    }
    if (c->busy) return; /* the engine is on the stack; the reader finishes the job */
    if (c->ws) tt__ws_free(c->ws);
    c->ws = NULL;
    if (in_poll) {
        c->grave_next = graveyard;
        graveyard = c;
    } else {
        tt__free(c);
    }
}

static void free_graveyard(void) {
    while (attempt_graveyard) {
        tt__attempt *a = attempt_graveyard;
        attempt_graveyard = a->next;
        tt__free(a);
    }
    while (graveyard) {
        tt__conn *c = graveyard;
        graveyard = c->grave_next;
        tt__free(c);
    }
}

/* ---- Final up-calls --------------------------------------------------------------------------- */

static void copy_detail(const char *detail) {
    if (detail == NULL) detail = "";
    if (detail != upcall_buf) snprintf(upcall_buf, sizeof upcall_buf, "%s", detail);
}

/* Up-calls into the core are made only from a pass of tt__transport_poll(), never from inside a call the
 * core made into the transport. */
static int upcalls_allowed(void) { return in_poll && downcall_depth == 0; }

/* A failure or an end is parked on the connection, waiting for the next pass to report it. */
static int parked(const tt__conn *c) { return c->pending_error != 0 || c->pending_close; }

/*
 * Fails the connection: released, then tt__core_on_fail(). Outside a pass the failure is parked (fd
 * closed at once) and reported by the next tt__transport_poll().
 */
static void conn_fail(tt__conn *c, int error, const char *detail) {
    if (c->dead) return;
    if (!upcalls_allowed()) {
        if (!parked(c)) {
            c->pending_error = error;
            c->pending_detail = tt__strdup(detail ? detail : "");
        }
        if (c->ssl) tt__tls_free(c->ssl);
        c->ssl = NULL;
        timer_stop(c);
        attempts_free(c);
        close_fd(c);
        mark_dirty(c);
        return;
    }
    uint32_t id = c->id;
    copy_detail(detail);
    conn_release(c);
    upcalls++;
    tt__core_on_fail(id, error, upcall_buf);
}

static void conn_finish(tt__conn *c, int code, int was_clean) {
    if (c->dead) return;
    uint32_t id = c->id;
    size_t len = 0;
    if (code != TT_CLOSE_ABNORMAL && c->peer_reason) {
        len = c->peer_reason_len;
        memcpy(upcall_buf, c->peer_reason, len);
    }
    upcall_buf[len] = '\0';
    conn_release(c);
    upcalls++;
    tt__core_on_close(id, code, upcall_buf, len, was_clean);
}

/*
 * The connection ended without a Close exchange completing cleanly: code 1006 (or the peer's code once
 * its Close arrived) and was_clean 0, and *no* error event. This is what Chromium reports when TCP
 * drops after the opening handshake (FIN, RST, a write error, EOF inside a frame): it fires onerror
 * only when it fails the connection itself. Outside a pass the end is parked like a failure.
 */
static void conn_drop(tt__conn *c, int code, int was_clean) {
    if (c->dead) return;
    if (!upcalls_allowed()) {
        if (!parked(c)) {
            c->pending_close = 1;
            c->pending_code = (uint16_t)code;
            c->pending_clean = (uint8_t)(was_clean != 0);
        }
        if (c->ssl) tt__tls_free(c->ssl);
        c->ssl = NULL;
        close_fd(c);
        mark_dirty(c);
        return;
    }
    conn_finish(c, code, was_clean);
}

/* ---- epoll interest ---------------------------------------------------------------------------- */

static void update_interest(tt__conn *c, uint32_t tls_want) {
    if (c->fd < 0 || c->dead) return;
    uint32_t ev = 0;
    switch (c->phase) {
    case PH_TLS: ev = tls_want; break;
    case PH_WS:
        ev = EPOLLIN;
        if (c->want_out || c->tls_read_wants_write) ev |= EPOLLOUT;
        break;
    case PH_LINGER: ev = EPOLLIN; break;
    default: break;
    }
    if (ev == c->events) return;
    struct epoll_event e;
    memset(&e, 0, sizeof e);
    e.events = ev;
    e.data.ptr = c;
    int op = c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(epfd, op, c->fd, &e) < 0) {
        snprintf(fmt_buf, sizeof fmt_buf, "epoll: %s", strerror(errno));
        conn_fail(c, TT_EIO, fmt_buf);
        return;
    }
    c->events = ev;
}

/* ---- Writing ----------------------------------------------------------------------------------- */

static void enter_linger(tt__conn *c);

/* Writes what the socket takes; > 0 bytes, TT__TLS_WANT_* or TT__TLS_ERROR (err[0..cap) says why). */
static long conn_write(tt__conn *c, const uint8_t *data, size_t len, char *err, size_t cap) {
    if (c->ssl) return tt__tls_write(c->ssl, data, len, err, cap);
    ssize_t n;
    do n = send(c->fd, data, len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n >= 0) return (long)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return TT__TLS_WANT_WRITE;
    snprintf(err, cap, "write: %s", strerror(errno));
    return TT__TLS_ERROR;
}

/* Writes the engine's output until it is empty or the socket is full. */
static void conn_flush(tt__conn *c) {
    if (c->dead || parked(c) || c->phase != PH_WS || c->fd < 0) return;
    c->tls_write_wants_read = 0;
    for (;;) {
        size_t len = 0;
        const uint8_t *out = tt__ws_output(c->ws, &len);
        if (len == 0) break;
        long n = conn_write(c, out, len, fmt_buf, sizeof fmt_buf);
        if (n > 0) {
            tt__ws_output_consume(c->ws, (size_t)n);
            continue;
        }
        if (n == TT__TLS_WANT_WRITE) {
            c->want_out = 1;
            update_interest(c, 0);
            return;
        }
        if (n == TT__TLS_WANT_READ) {
            c->tls_write_wants_read = 1; /* EPOLLIN is always armed in this phase */
            return;
        }
        /* The peer went away. During the opening handshake that fails the connection; once open, Chromium
         * drops the channel on a write error: close 1006, not clean, no error event. */
        if (tt__ws_get_state(c->ws) == TT__WS_HANDSHAKE) {
            conn_fail(c, TT_EIO, fmt_buf);
        } else {
            conn_drop(c, TT_CLOSE_ABNORMAL, 0);
        }
        return;
    }
    if (c->want_out) {
        c->want_out = 0;
        update_interest(c, 0);
    }
    if (!c->request_written) {
        c->request_written = 1;
        tt__core_on_phase(c->id, TT__PHASE_REQUEST_END);
    }
    if (tt__ws_get_state(c->ws) == TT__WS_CLOSED) enter_linger(c);
    else arm_trim(c);
}

/*
 * After an engine failure: one non-blocking attempt to put its Close frame on the wire. A write error
 * (the peer may well have reset already) is not what failed the connection, so its text goes nowhere.
 */
static void flush_best_effort(tt__conn *c) {
    if (c->fd < 0 || c->phase != PH_WS) return;
    size_t len = 0;
    const uint8_t *out = tt__ws_output(c->ws, &len);
    char ignored[TT__DETAIL_MAX];
    if (len > 0) (void)conn_write(c, out, len, ignored, sizeof ignored);
}

/* ---- Closing ----------------------------------------------------------------------------------- */

static void enter_linger(tt__conn *c) {
    if (c->dead || c->phase == PH_LINGER) return;
    c->phase = PH_LINGER;
    c->want_out = 0;
    /* No TLS close_notify: the WebSocket closing handshake already ended the stream. A server that closes
     * TCP as soon as it reads our Close would otherwise find the alert unread and answer with a reset,
     * which turns a clean end into a not-clean one (seen about once in ten runs of the fault driver). */
    /* The engine has nothing left to do; its memory goes now. */
    tt__ws_free(c->ws);
    c->ws = NULL;
    timer_start(c, TIMER_LINGER, TT__LINGER_MS);
    update_interest(c, 0);
}

/* ---- Reading ----------------------------------------------------------------------------------- */

/*
 * Reads into buf: > 0 bytes, or TT__TLS_WANT_* / EOF / ERROR (fmt_buf filled). *drained: the socket is
 * known to be empty after this read (a short recv(); for TLS also nothing left inside OpenSSL).
 */
static long conn_read(tt__conn *c, uint8_t *buf, size_t cap, int *drained) {
    if (c->ssl) return tt__tls_read(c->ssl, buf, cap, drained, fmt_buf, sizeof fmt_buf);
    ssize_t n;
    do n = recv(c->fd, buf, cap, 0);
    while (n < 0 && errno == EINTR);
    *drained = n >= 0 && (size_t)n < cap;
    if (n > 0) return (long)n;
    if (n == 0) return TT__TLS_EOF;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return TT__TLS_WANT_READ;
    snprintf(fmt_buf, sizeof fmt_buf, "read: %s", strerror(errno));
    return TT__TLS_ERROR;
}

static const char *error_prefix(int error) {
    switch (error) {
    case TT_EHANDSHAKE:
    case TT_EEXTENSION: return "handshake: ";
    case TT_ENOMEM:
    case TT_ETOOBIG: return ""; /* the core's own sentence, the same on every build */
    default: return "protocol: ";
    }
}

/*
 * The engine failed the connection: its Close goes out if it can, then onError names the engine's reason.
 * The sentence is made in this call's own buffer from the session's detail, so nothing the flush reports
 * can overwrite it.
 */
static void engine_fail(tt__conn *c) {
    int error = tt__ws_error(c->ws);
    if (error == 0) error = TT_EFRAME;
    const char *detail = tt__ws_error_detail(c->ws);
    const char *prefix = error_prefix(error);
    size_t plen = strlen(prefix);
    if (detail == NULL || *detail == '\0') detail = tt_strerror(error);
    if (plen && strncmp(detail, prefix, plen) == 0) prefix = "";
    char why[TT__DETAIL_MAX];
    snprintf(why, sizeof why, "%s%s", prefix, detail);
    flush_best_effort(c);
    conn_fail(c, error, why);
}

/* True once the peer's Close arrived: its code is what a drop reports from then on. */
static int peer_close_seen(const tt__conn *c) { return c->phase == PH_LINGER || tt__ws_peer_closed(c->ws); }

/*
 * The server closed TCP (FIN). After its Close that is the clean end of the closing handshake. During
 * the opening handshake it fails the connection (error + 1006). Once open, Chromium reports close 1006,
 * not clean, and no error event, also when the FIN cuts a frame or a fragmented message short or
 * answers our Close.
 */
static void on_eof(tt__conn *c) {
    if (peer_close_seen(c)) {
        conn_finish(c, c->peer_code, 1);
    } else if (tt__ws_get_state(c->ws) == TT__WS_HANDSHAKE) {
        conn_fail(c, TT_EHANDSHAKE, "handshake: connection closed before the server's response");
    } else {
        conn_finish(c, TT_CLOSE_ABNORMAL, 0);
    }
}

static void conn_readable(tt__conn *c) {
    size_t budget = TT__READ_BUDGET;
    c->read_again = 0;
    c->tls_read_wants_write = 0;
    for (;;) {
        /* Inside a large payload the bytes go straight to their place in the message (no copy). */
        size_t cap = TT__READ_BUFFER_SIZE;
        uint8_t *direct = c->phase == PH_WS && c->ws ? tt__ws_recv_buffer(c->ws, TT__DIRECT_MIN, &cap) : NULL;
        if (direct == NULL) cap = TT__READ_BUFFER_SIZE;
        int drained = 0;
        long n = conn_read(c, direct ? direct : read_buf, cap, &drained);
        if (n > 0) {
            if (c->phase == PH_LINGER) {
                /* Bytes after the closing handshake are a protocol violation; Chromium fails the
                 * connection (onError + onClose 1006) however the bytes were split across reads. */
                conn_fail(c, TT_EFRAME, "protocol: data after the closing handshake");
                return;
            }
            c->busy = 1;
            int rc = direct ? tt__ws_recv_direct(c->ws, (size_t)n) : tt__ws_recv(c->ws, read_buf, (size_t)n);
            c->busy = 0;
            if (c->dead) { /* aborted from inside an up-call */
                conn_release(c);
                return;
            }
            if (tt__ws_error(c->ws) == TT_ECLOSED) {
                /* A frame announcing 2^31 bytes or more: Chromium drops the channel without an error. */
                conn_drop(c, peer_close_seen(c) ? c->peer_code : TT_CLOSE_ABNORMAL, 0);
                return;
            }
            if (rc < 0 || tt__ws_get_state(c->ws) == TT__WS_FAILED) {
                engine_fail(c);
                return;
            }
            size_t pending = 0;
            (void)tt__ws_output(c->ws, &pending);
            if (pending) mark_dirty(c); /* pongs, the answer to a Close */
            if (tt__ws_get_state(c->ws) == TT__WS_CLOSED) {
                mark_dirty(c); /* flush, then linger */
                return;
            }
            if ((size_t)n >= budget) {
                if (c->ssl) {
                    c->read_again = 1;
                    mark_dirty(c);
                }
                return; /* plain sockets are level-triggered: epoll reports the rest */
            }
            budget -= (size_t)n;
            if (drained) return; /* level-triggered epoll reports what comes next */
            continue;
        }
        if (n == TT__TLS_WANT_READ) return;
        if (n == TT__TLS_WANT_WRITE) {
            c->tls_read_wants_write = 1;
            update_interest(c, 0);
            return;
        }
        if (n == TT__TLS_EOF) {
            on_eof(c);
            return;
        }
        /* A read error (RST, a TLS error). During the opening handshake it fails the connection. Once open,
         * Chromium drops the channel without an error event: 1006, or the peer's code once its Close
         * arrived, never clean (only a FIN ends a closing handshake cleanly). */
        if (peer_close_seen(c)) {
            conn_finish(c, c->peer_code, 0);
        } else if (tt__ws_get_state(c->ws) == TT__WS_HANDSHAKE) {
            conn_fail(c, c->ssl ? TT_ETLS : TT_EIO, fmt_buf);
        } else {
            conn_finish(c, TT_CLOSE_ABNORMAL, 0);
        }
        return;
    }
}

/*
 * After a pass of reads the game has had every message of it (delivered at once, or queued ahead of
 * anything read later): a Close the engine held behind them is answered now (tt__ws_delivered()).
 */
static void conn_pass_done(tt__conn *c) {
    if (c->dead || c->phase != PH_WS || c->ws == NULL) return;
    c->busy = 1;
    int rc = tt__ws_delivered(c->ws);
    c->busy = 0;
    if (rc < 0) engine_fail(c);
    else if (rc > 0) mark_dirty(c); /* flush the answer, then linger */
}

/* ---- Engine callbacks (made from inside tt__ws_recv, so always within a pass) ------------------- */

static void ws_on_open(void *ud, const char *protocol, const char *extensions) {
    tt__conn *c = ud;
    if (c->dead) return;
    if (c->won) attempt_free(c->won); /* the opening handshake is over: the endpoint's next may start */
    tt__core_on_phase(c->id, TT__PHASE_RESPONSE_END);
    upcalls++;
    tt__core_on_open(c->id, protocol ? protocol : "", extensions ? extensions : "");
}

static void ws_on_response_head(void *ud, const char *head, size_t length) {
    tt__conn *c = ud;
    if (c->dead) return;
    tt_header *fields;
    size_t count;
    if (tt__handshake_header_fields(head, length, &fields, &count) != 0) {
        conn_fail(c, TT_ENOMEM, "out of memory"); /* the engine then finds the connection dead */
        return;
    }
    tt__core_on_response_header(c->id, fields, count);
}

static void ws_on_message(void *ud, tt_data_type type, const uint8_t *data, size_t length) {
    tt__conn *c = ud;
    if (c->dead) return;
    upcalls++;
    tt__core_on_message(c->id, type, data, length);
}

static void ws_on_peer_close(void *ud, int code, const char *reason, size_t reason_length) {
    tt__conn *c = ud;
    if (c->dead) return;
    c->peer_code = (uint16_t)code;
    tt__free(c->peer_reason);
    c->peer_reason = NULL;
    c->peer_reason_len = 0;
    if (reason_length > 123) reason_length = 123;
    if (reason_length > 0) {
        c->peer_reason = tt__strndup(reason, reason_length);
        if (c->peer_reason) c->peer_reason_len = (uint16_t)reason_length;
    }
    /* Our answer must get out in bounded time even if the server stops reading. */
    if (c->timer == TIMER_NONE || c->timer == TIMER_TRIM)
        timer_start(c, TIMER_CLOSE, (uint64_t)tt__core_config()->close_timeout_ms);
}

/* ---- Connecting -------------------------------------------------------------------------------- */

static void format_address(const struct addrinfo *ai, char *out, size_t cap) {
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ai->ai_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ai->ai_addr;
        inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
        port = ntohs(sin->sin_port);
        snprintf(out, cap, "%s:%u", ip, port);
    } else if (ai->ai_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ai->ai_addr;
        inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip);
        port = ntohs(sin6->sin6_port);
        snprintf(out, cap, "[%s]:%u", ip, port);
    } else {
        snprintf(out, cap, "?");
    }
}

static void record_connect_error(tt__conn *c, const struct addrinfo *ai, int err) {
    char addr[INET6_ADDRSTRLEN + 16], text[160];
    format_address(ai, addr, sizeof addr);
    snprintf(text, sizeof text, "%s (%s)", strerror(err), addr);
    char *copy = tt__strdup(text);
    if (copy == NULL) return; /* keep the previous reason rather than none */
    tt__free(c->connect_error);
    c->connect_error = copy;
}

static void start_ws(tt__conn *c) {
    c->phase = PH_WS;
    tt__core_on_phase(c->id, TT__PHASE_REQUEST_START);
    /* Nothing below needs the name any more; an idle connection should not carry it. */
    tt__free(c->host);
    c->host = NULL;
    update_interest(c, 0);
    if (!c->dead) conn_flush(c); /* the opening handshake request */
}

static void tls_step(tt__conn *c) {
    int r = tt__tls_handshake(c->ssl, fmt_buf, sizeof fmt_buf);
    if (r == TT__TLS_DONE) {
        tt__core_on_phase(c->id, TT__PHASE_TLS_END);
        start_ws(c);
    } else if (r == TT__TLS_WANT_READ) update_interest(c, EPOLLIN);
    else if (r == TT__TLS_WANT_WRITE) update_interest(c, EPOLLOUT);
    else conn_fail(c, TT_ETLS, fmt_buf);
}

static void on_connected(tt__conn *c) {
    tt__core_on_phase(c->id, TT__PHASE_CONNECT_END);
    freeaddrinfo(c->addrs);
    c->addrs = c->next_addr = NULL;
    tt__free(c->connect_error); /* an earlier address's failure no longer matters */
    c->connect_error = NULL;
    if (!c->secure) {
        start_ws(c);
        return;
    }
    c->ssl = tt__tls_new(c->fd, c->host, tt__core_config()->ca_file, fmt_buf, sizeof fmt_buf);
    if (c->ssl == NULL) {
        conn_fail(c, TT_ETLS, fmt_buf);
        return;
    }
    c->phase = PH_TLS;
    tt__core_on_phase(c->id, TT__PHASE_TLS_START);
    tls_step(c);
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

static void connect_next(tt__conn *c);

/* No attempt is under way and no address is left: the connection fails with the last reason. */
static void connect_exhausted(tt__conn *c) {
    const char *why = c->connect_error ? c->connect_error : "no usable address";
    if (c->attempts > 1) {
        snprintf(fmt_buf, sizeof fmt_buf, "connect: %s; %u addresses tried", why, c->attempts);
    } else if (c->attempts == 1) {
        snprintf(fmt_buf, sizeof fmt_buf, "connect: %s", why);
    } else {
        snprintf(fmt_buf, sizeof fmt_buf, "connect: no address for %s", c->host ? c->host : "host");
    }
    conn_fail(c, TT_ECONNECT, fmt_buf);
}

/* The attempt connected: its socket becomes the connection's, every other attempt is given up. */
static void attempt_won(tt__attempt *a) {
    tt__conn *c = a->conn;
    if (a->prev) a->prev->next = a->next;
    else c->att_head = a->next;
    if (a->next) a->next->prev = a->prev;
    a->prev = a->next = NULL;
    c->won = a;
    a->ai = NULL; /* the address list goes in on_connected(); the lock needs only a->ep */
    while (c->att_head) attempt_free(c->att_head);
    timer_stop(c);
    c->fd = a->fd;
    a->fd = -1;
    c->events = 0;
    if (a->events) {
        /* The socket stays in the epoll set; from now on its events belong to the connection. */
        struct epoll_event e;
        memset(&e, 0, sizeof e);
        e.data.ptr = c;
        e.events = a->events;
        if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) == 0) c->events = a->events;
    }
    on_connected(c);
}

/* The attempt failed (err): the next address is tried at once; with none left, the last one out fails. */
static void attempt_failed(tt__attempt *a, int err) {
    tt__conn *c = a->conn;
    record_connect_error(c, a->ai, err);
    attempt_free(a);
    if (c->next_addr) connect_next(c);
    else if (c->att_head == NULL) connect_exhausted(c);
}

/* socket() and connect() for an attempt that holds its endpoint lock. */
static void attempt_connect(tt__attempt *a) {
    const struct addrinfo *ai = a->ai;
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
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
        attempt_failed(a, errno);
        return;
    }
    a->events = EPOLLOUT;
}

/*
 * Starts an attempt to the next address, and arms the attempt delay for the one after it. An attempt that
 * fails at once (no route, no socket) moves on to the next address at once.
 */
static void connect_next(tt__conn *c) {
    if (c->next_addr == NULL) return;
    struct addrinfo *ai = c->next_addr;
    c->next_addr = ai->ai_next;
    c->attempts++;
    tt__attempt *a = tt__calloc(1, sizeof *a);
    if (a == NULL) {
        conn_fail(c, TT_ENOMEM, "out of memory");
        return;
    }
    a->io_kind = IO_ATTEMPT;
    a->fd = -1;
    a->conn = c;
    a->ai = ai;
    a->next = c->att_head;
    if (c->att_head) c->att_head->prev = a;
    c->att_head = a;
    if (c->next_addr) timer_start(c, TIMER_ATTEMPT, TT__ATTEMPT_DELAY_MS);
    else timer_stop(c);
    if (ep_acquire(a)) attempt_connect(a); /* else another connection to this IP:port is opening */
}

/* An attempt's socket became writable: connected, or failed (SO_ERROR). */
static void attempt_event(tt__attempt *a) {
    if (a->dead || a->fd < 0 || a->conn->dead || parked(a->conn)) return;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err == 0) attempt_won(a);
    else attempt_failed(a, err);
}

/* Attempts that were handed their endpoint lock since the last pass connect now. */
static void attempts_wake(tt__conn *c) {
    c->ep_wake = 0;
    for (tt__attempt *a = c->att_head, *next; a && !c->dead && c->phase == PH_CONNECTING; a = next) {
        next = a->next;
        if (!a->ep_wake) continue;
        a->ep_wake = 0;
        attempt_connect(a);
    }
}

static void start_connecting(tt__conn *c, struct addrinfo *list) {
    c->addrs = c->next_addr = interleave_families(list);
    c->phase = PH_CONNECTING;
    tt__core_on_phase(c->id, TT__PHASE_CONNECT_START); /* the first attempt; later ones race it */
    connect_next(c);
}

static void on_resolved(void *user, int gai_error, struct addrinfo *result) {
    tt__conn *c = user;
    c->resolve = NULL;
    tt__core_on_phase(c->id, TT__PHASE_LOOKUP_END);
    if (gai_error != 0 || result == NULL) {
        if (result) freeaddrinfo(result);
        size_t len = c->host ? strlen(c->host) : 0;
        if (len > (size_t)TT__DNS_NAME_MAX + (len && c->host[len - 1] == '.'))
            snprintf(fmt_buf, sizeof fmt_buf, "resolve: host name too long (%zu bytes, at most %d)", len,
                     TT__DNS_NAME_MAX);
        else
            snprintf(fmt_buf, sizeof fmt_buf, "resolve: %s: %s", c->host ? c->host : "",
                     gai_error ? gai_strerror(gai_error) : "no address");
        conn_fail(c, TT_ERESOLVE, fmt_buf);
        return;
    }
    start_connecting(c, result);
}

/* ---- Events ------------------------------------------------------------------------------------ */

static void conn_event(tt__conn *c, uint32_t ev) {
    if (c->dead || parked(c)) return;
    switch (c->phase) {
    case PH_TLS: tls_step(c); break;
    case PH_WS:
        if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) || (c->tls_read_wants_write && (ev & EPOLLOUT))) conn_readable(c);
        conn_pass_done(c);
        if (!c->dead && ((ev & EPOLLOUT) || c->tls_write_wants_read)) conn_flush(c);
        if (!c->dead) arm_trim(c);
        break;
    case PH_LINGER: conn_readable(c); break;
    default: break;
    }
}

/* Parked failures, pending output and TLS bytes that epoll cannot see, once per pass. */
static void process_dirty(void) {
    processing_list = dirty_list;
    dirty_list.head = dirty_list.tail = NULL;
    for (tt__conn *c = processing_list.head; c; c = c->dirty_next) c->dirty = 2;
    tt__conn *c;
    while ((c = processing_list.head) != NULL) {
        unlink_dirty(c);
        if (c->dead) continue;
        if (c->pending_error) {
            snprintf(fmt_buf, sizeof fmt_buf, "%s", c->pending_detail ? c->pending_detail : "");
            conn_fail(c, c->pending_error, fmt_buf);
            continue;
        }
        if (c->pending_close) {
            conn_finish(c, c->pending_code, c->pending_clean);
            continue;
        }
        if (c->ep_wake) {
            attempts_wake(c); /* a no-op when another attempt has won meanwhile */
            if (c->dead) continue;
        }
        if (c->read_again && c->phase == PH_WS) {
            conn_readable(c);
            conn_pass_done(c);
            if (c->dead) continue;
        }
        conn_flush(c);
    }
}

static tt__conn *timer_first(void) {
    tt__heap_node *n = tt__heap_min(&timers);
    return n ? TT__HEAP_OWNER(n, tt__conn, timer_node) : NULL;
}

/* Every timer that is due, earliest first; each expiry removes its own timer, so nothing is walked twice. */
static void process_timers(void) {
    uint64_t now = tt__now_ms();
    tt__conn *c;
    while ((c = timer_first()) != NULL && c->timer_node.deadline <= now) {
        int kind = c->timer;
        timer_stop(c);
        if (kind == TIMER_ATTEMPT) {
            connect_next(c); /* the attempts under way go on; the next address joins them */
        } else if (kind == TIMER_TRIM) {
            if (c->phase == PH_WS && c->ws) tt__ws_trim(c->ws);
        } else if (kind == TIMER_LINGER) {
            /* The closing handshake completed but the server kept TCP open: Chromium closes it after
             * 2 s and reports a clean close (its CloseTimeout with the peer's Close received). */
            conn_finish(c, c->peer_code, 1);
        } else {
            /* The server never finished the closing handshake (Chromium: 1006, not clean). */
            conn_finish(c, TT_CLOSE_ABNORMAL, 0);
        }
    }
}

static int64_t next_timer_delay(void) {
    tt__conn *c = timer_first();
    if (c == NULL) return -1;
    uint64_t now = tt__now_ms();
    return c->timer_node.deadline <= now ? 0 : (int64_t)(c->timer_node.deadline - now);
}

/* ---- fork ------------------------------------------------------------------------------------ */

static void on_fork_child(void) { forked_child = 1; }

/* In a forked child: a new epoll instance, and every inherited connection failed without touching it. */
static void leave_parent(void) {
    if (!forked_child) return;
    forked_child = 0;
    if (epfd >= 0) close(epfd); /* the child's reference only: the parent's instance lives on */
    epfd = epoll_create1(EPOLL_CLOEXEC);
    int rfd = tt__resolver_fd();
    struct epoll_event e;
    memset(&e, 0, sizeof e);
    e.events = EPOLLIN;
    e.data.ptr = &resolver_tag;
    if (epfd >= 0 && rfd >= 0) (void)epoll_ctl(epfd, EPOLL_CTL_ADD, rfd, &e);
    for (tt__conn *c = all_head; c; c = c->all_next) {
        c->events = 0; /* the socket was registered with the parent's instance, not this one */
        for (tt__attempt *a = c->att_head; a; a = a->next) a->events = 0;
        conn_fail(c, TT_EIO, "fork: the connection belongs to the parent process");
    }
}

/* ---- The transport interface ------------------------------------------------------------------- */

static void raise_fd_limit(void) {
    if (limits_raised) return;
    limits_raised = 1;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

uint32_t tt__transport_capabilities(void) {
    uint32_t caps = TT_CAP_REQUEST_HEADERS | TT_CAP_CLOSE_1001 | TT_CAP_RESPONSE_HEADER | TT_CAP_PROFILE_NETWORK |
                    TT_CAP_SEND_BUFFER_LIMIT | TT_CAP_WIRE_STATS | TT_CAP_ERROR_DETAIL | TT_CAP_CA_FILE;
    if (tt__deflate_available()) caps |= TT_CAP_DEFLATE | TT_CAP_DEFLATE_OPTION;
    return caps;
}

int tt__transport_init(void) {
    leave_parent();
    if (epfd >= 0) return 0;
    static int atfork_done;
    if (!atfork_done && pthread_atfork(NULL, NULL, on_fork_child) == 0) atfork_done = 1;
    tt__native_install_hooks();
    raise_fd_limit();
    read_buf = tt__malloc(TT__READ_BUFFER_SIZE);
    if (read_buf == NULL) return TT_ENOMEM;
    epfd = epoll_create1(EPOLL_CLOEXEC);
    int rfd = tt__resolver_fd();
    struct epoll_event e;
    memset(&e, 0, sizeof e);
    e.events = EPOLLIN;
    e.data.ptr = &resolver_tag;
    if (epfd < 0 || rfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, rfd, &e) < 0) {
        if (epfd >= 0) close(epfd);
        epfd = -1;
        tt__free(read_buf);
        read_buf = NULL;
        return TT_EIO;
    }
    return 0;
}

void tt__transport_shutdown(void) {
    leave_parent();
    while (all_head) conn_release(all_head);
    free_graveyard();
    dirty_list.head = dirty_list.tail = NULL;
    processing_list.head = processing_list.tail = NULL;
    tt__heap_free(&timers);
    /* Free lookups that already finished; ones still in flight are dropped when they complete. */
    (void)tt__resolver_collect(on_resolved);
    if (epfd >= 0) close(epfd);
    epfd = -1;
    tt__free(read_buf);
    read_buf = NULL;
    tt__tls_shutdown();
}

static int open_conn(const tt__open_params *params, tt__conn **conn);

int tt__transport_open(const tt__open_params *params, tt__conn **conn) {
    leave_parent();
    downcall_depth++;
    int rc = open_conn(params, conn);
    downcall_depth--;
    return rc;
}

static int open_conn(const tt__open_params *params, tt__conn **conn) {
    if (epfd < 0) return TT_EIO;
    const tt__url *url = params->parsed;
    const tt_runtime_config *cfg = tt__core_config();
    if (tt__heap_reserve(&timers, live_count + 1) != 0) return TT_ENOMEM;
    tt__conn *c = tt__calloc(1, sizeof *c);
    if (c == NULL) return TT_ENOMEM;
    c->id = params->id;
    c->fd = -1;
    c->secure = (uint8_t)(url->secure != 0);
    c->port = url->port;
    c->peer_code = TT_CLOSE_NO_STATUS;
    /* The canonical host (lower case, IPv6 compressed): what a browser would connect to and check. */
    size_t host_len = tt__url_host(url, NULL, 0);
    c->host = tt__malloc(host_len + 1);
    if (c->host) {
        tt__url_host(url, c->host, host_len);
        c->host[host_len] = '\0';
    }

    tt__ws_options o;
    memset(&o, 0, sizeof o);
    o.url = url;
    o.headers = params->headers;
    o.header_count = params->header_count;
    o.protocols = params->protocols;
    o.protocol_count = params->protocol_count;
    o.max_message_size = cfg->max_message_size;
    o.offer_deflate = !cfg->disable_deflate;
    o.callbacks.on_open = ws_on_open;
    o.callbacks.on_message = ws_on_message;
    o.callbacks.on_peer_close = ws_on_peer_close;
    o.callbacks.on_response_head = ws_on_response_head;
    o.user_data = c;
    o.stats = params->stats;
    c->ws = c->host ? tt__ws_new(&o) : NULL;
    if (c->ws == NULL) {
        tt__free(c->host);
        tt__free(c);
        return TT_ENOMEM;
    }

    c->all_next = all_head;
    if (all_head) all_head->all_prev = c;
    all_head = c;
    live_count++;

    /* IP literals need no lookup; getaddrinfo() answers them without blocking. */
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)c->port);
    struct addrinfo hints, *numeric = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    tt__core_on_phase(c->id, TT__PHASE_LOOKUP_START);
    if (getaddrinfo(c->host, service, &hints, &numeric) == 0) {
        tt__core_on_phase(c->id, TT__PHASE_LOOKUP_END); /* an IP literal: no lookup, as a cached one */
        start_connecting(c, numeric);                   /* a failure here is parked until the next pass */
    } else {
        c->phase = PH_RESOLVING;
        c->resolve = tt__resolver_start(c->host, host_len, c->port, c);
        if (c->resolve == NULL) {
            conn_release(c);
            return TT_ENOMEM;
        }
    }
    *conn = c;
    return 0;
}

/*
 * True once the server's Close arrived (or the closing handshake is over). The core still sees OPEN until
 * onClose, so sends and closes are accepted and quietly dropped, as a browser does in CLOSING.
 */
static int peer_closing(const tt__conn *c) {
    return c->phase == PH_LINGER || (c->phase == PH_WS && tt__ws_get_state(c->ws) == TT__WS_CLOSED);
}

static int send_message(tt__conn *conn, tt_data_type type, const void *data, size_t length);

int tt__transport_send(tt__conn *conn, tt_data_type type, const void *data, size_t length) {
    leave_parent();
    downcall_depth++;
    int rc = send_message(conn, type, data, length);
    downcall_depth--;
    return rc;
}

static int send_message(tt__conn *conn, tt_data_type type, const void *data, size_t length) {
    if (conn->dead) return TT_ESTATE;
    if (parked(conn) || peer_closing(conn)) {
        conn->dropped_bytes += length; /* the browser counts dropped data in bufferedAmount */
        return 0;
    }
    if (conn->phase != PH_WS) return TT_ESTATE;
    size_t pending = 0;
    (void)tt__ws_output(conn->ws, &pending);
    size_t limit =
        tt__core_config()->max_buffered_amount ? tt__core_config()->max_buffered_amount : TT__SEND_BUFFER_LIMIT;
    if (length > limit || pending > limit - length) return TT_EBUFFER;
    int rc = tt__ws_send(conn->ws, type, data, length);
    if (rc != 0) return rc;
    mark_dirty(conn);
    if (pending + length >= TT__EAGER_FLUSH && !conn->want_out) conn_flush(conn);
    return 0;
}

int tt__transport_close(tt__conn *conn, int code, const char *reason, size_t reason_length) {
    leave_parent();
    if (conn->dead) return TT_ESTATE;
    if (parked(conn) || peer_closing(conn)) return 0; /* the outcome is already on its way */
    if (conn->phase != PH_WS) return TT_ESTATE;
    int rc = tt__ws_close(conn->ws, code, reason, reason_length);
    if (rc != 0) return rc;
    timer_start(conn, TIMER_CLOSE, (uint64_t)tt__core_config()->close_timeout_ms);
    mark_dirty(conn);
    return 0;
}

void tt__transport_abort(tt__conn *conn) {
    leave_parent();
    if (conn == NULL || conn->dead) return;
    conn_release(conn);
}

size_t tt__transport_buffered_amount(const tt__conn *conn) {
    if (conn == NULL) return 0;
    return conn->dropped_bytes + (conn->ws ? tt__ws_buffered_amount(conn->ws) : 0);
}

int tt__transport_poll(int timeout_ms) {
    leave_parent();
    if (epfd < 0) return 0;
    static struct epoll_event events[TT__MAX_EVENTS];
    in_poll = 1;
    upcalls = 0;
    process_dirty();

    int64_t wait = timeout_ms < 0 ? -1 : timeout_ms;
    if (upcalls > 0 || dirty_list.head) wait = 0;
    if (wait < 0 && live_count == 0) wait = 0; /* nothing could ever wake us */
    int64_t timer = next_timer_delay();
    if (timer >= 0 && (wait < 0 || timer < wait)) wait = timer;
    if (wait > INT_MAX) wait = INT_MAX;

    int n = epoll_wait(epfd, events, TT__MAX_EVENTS, (int)wait);
    if (n < 0 && errno != EINTR) {
        in_poll = 0;
        return TT_EIO;
    }
    for (int i = 0; i < n; i++) {
        if (events[i].data.ptr == &resolver_tag) {
            (void)tt__resolver_collect(on_resolved);
            continue;
        }
        if (*(const uint8_t *)events[i].data.ptr == IO_ATTEMPT) attempt_event(events[i].data.ptr);
        else conn_event(events[i].data.ptr, events[i].events);
    }
    process_dirty();
    process_timers();
    free_graveyard();
    in_poll = 0;
    return upcalls;
}

int tt__transport_can_block(void) { return 1; }

/* One backend only (native sockets): the mini-game and browser backends exist only in the web build. */
const char *tt__transport_backend(int backend) {
    return backend == TT_BACKEND_AUTO || backend == TT_BACKEND_NATIVE ? "native" : NULL;
}

void tt__transport_schedule(int64_t delay_ms) { (void)delay_ms; }

size_t tt__native_memory(void) {
    size_t total = 0;
    for (tt__conn *c = all_head; c; c = c->all_next) {
        total += sizeof *c;
        if (c->ws) total += tt__ws_memory(c->ws);
        if (c->host) total += strlen(c->host) + 1;
        if (c->peer_reason) total += c->peer_reason_len + 1u;
    }
    return total;
}

size_t tt__native_connection_count(void) { return live_count; }
