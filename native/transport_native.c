/*
 * The native transport: non-blocking TCP (IPv4 and IPv6) with epoll, OpenSSL for wss://, and the I/O-free
 * engine of src/ws.c for everything WebSocket. The native files only move bytes and report what happened
 * on the wire; every behaviour the game sees is decided by the core (src/task.c). This file is the
 * transport interface (src/transport.h); conn.h says which file answers which question, and lifecycle.c
 * holds the state diagram of a connection.
 *
 * fork(): the child shares its parent's sockets and epoll instance, so it must never read, write or
 * change the interest of one of them. The first call into the transport after fork() in the child
 * therefore starts over (leave_parent): a new epoll instance, and every inherited connection failed
 * without a byte sent (its socket closed in the child only; the parent's stays open and registered),
 * reported at the next pass as onError "connection failed" with detail "fork: ..." + onClose 1006.
 */
#define _GNU_SOURCE
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "deflate.h"
#include "tt_internal.h"

/*
 * The send buffer limit: tt__transport_send() returns TT_EBUFFER when the bytes not yet written to the
 * socket (frames already queued plus the new message) would exceed 64 MiB, the same as the default
 * incoming message limit. The core then fails the connection, as a browser does when its buffer is full.
 * tt_runtime_config.max_buffered_amount replaces it when set (tests use a small one).
 */
#define TT__SEND_BUFFER_LIMIT ((size_t)64u * 1024u * 1024u)
/* Output beyond this is written from tt__transport_send() at once instead of at the next pass; a message
 * this large that finds the output empty goes out a chunk at a time (tt__conn_send_stream()). */
#define TT__EAGER_FLUSH (256u * 1024u)

static int limits_raised;
static volatile int forked_child; /* set in a child by the pthread_atfork handler */

/* ---- fork -------------------------------------------------------------------------------------- */

static void on_fork_child(void) { forked_child = 1; }

/* In a forked child: a new epoll instance, and every inherited connection failed without touching it. */
static void leave_parent(void) {
    if (!forked_child) return;
    forked_child = 0;
    if (tt__loop.epfd >= 0) close(tt__loop.epfd); /* the child's reference only: the parent's lives on */
    (void)tt__loop_open();
    TT__LIST_FOREACH(n, &tt__loop.all) {
        tt__conn *c = TT__LIST_ENTRY(n, tt__conn, all_node);
        c->events = 0; /* the socket was registered with the parent's instance, not this one */
        TT__LIST_FOREACH(m, &c->attempts) TT__LIST_ENTRY(m, tt__attempt, node)->events = 0;
        tt__conn_fail(c, TT_EIO, "fork: the connection belongs to the parent process");
    }
}

/* ---- Setup ------------------------------------------------------------------------------------- */

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
    if (tt__loop.epfd >= 0) return 0;
    static int atfork_done;
    if (!atfork_done && pthread_atfork(NULL, NULL, on_fork_child) == 0) atfork_done = 1;
    tt__native_install_hooks();
    raise_fd_limit();
    tt__loop.read_buf = tt__malloc(TT__READ_BUFFER_SIZE);
    if (tt__loop.read_buf == NULL) return TT_ENOMEM;
    if (tt__loop_open() != 0) {
        tt__free(tt__loop.read_buf);
        tt__loop.read_buf = NULL;
        return TT_EIO;
    }
    return 0;
}

void tt__transport_shutdown(void) {
    leave_parent();
    for (tt__list *n; (n = tt__list_first(&tt__loop.all)) != NULL;)
        tt__conn_release(TT__LIST_ENTRY(n, tt__conn, all_node));
    tt__native_free_graveyard();
    tt__heap_free(&tt__loop.timers);
    /* Free lookups that already finished; ones still in flight are dropped when they complete. */
    (void)tt__resolver_collect(tt__connect_resolved);
    if (tt__loop.epfd >= 0) close(tt__loop.epfd);
    tt__loop.epfd = -1;
    tt__free(tt__loop.read_buf);
    tt__loop.read_buf = NULL;
    tt__free(tt__loop.write_buf);
    tt__loop.write_buf = NULL;
    tt__tls_shutdown();
}

/* ---- Opening ----------------------------------------------------------------------------------- */

/* A new connection with its engine, listed as live; NULL when out of memory. */
static tt__conn *conn_new(const tt__open_params *params) {
    const tt__url *url = params->parsed;
    const tt_runtime_config *cfg = tt__core_config();
    tt__conn *c = tt__calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    c->io_kind = TT__IO_CONN;
    c->state = TT__ST_RESOLVING;
    c->id = params->id;
    c->fd = -1;
    c->secure = (uint8_t)(url->secure != 0);
    c->port = url->port;
    c->peer_code = TT_CLOSE_NO_STATUS;
    tt__list_init(&c->attempts);
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
    tt__conn_engine_callbacks(&o.callbacks);
    o.user_data = c;
    o.stats = params->stats;
    c->ws = c->host ? tt__ws_new(&o) : NULL;
    if (c->ws == NULL) {
        tt__free(c->host);
        tt__free(c);
        return NULL;
    }
    tt__list_push_front(&tt__loop.all, &c->all_node);
    tt__loop.live_count++;
    return c;
}

static int open_conn(const tt__open_params *params, tt__conn **conn) {
    if (tt__loop.epfd < 0) return TT_EIO;
    if (tt__heap_reserve(&tt__loop.timers, tt__loop.live_count + 1) != 0) return TT_ENOMEM;
    tt__conn *c = conn_new(params);
    if (c == NULL) return TT_ENOMEM;
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
        tt__connect_start(c, numeric);                  /* a failure here is parked until the next pass */
    } else {
        c->resolve = tt__resolver_start(c->host, strlen(c->host), c->port, c);
        if (c->resolve == NULL) {
            tt__conn_release(c);
            return TT_ENOMEM;
        }
    }
    *conn = c;
    return 0;
}

int tt__transport_open(const tt__open_params *params, tt__conn **conn) {
    leave_parent();
    tt__loop.downcall_depth++;
    int rc = open_conn(params, conn);
    tt__loop.downcall_depth--;
    return rc;
}

/* ---- Sending and closing ----------------------------------------------------------------------- */

static int send_message(tt__conn *conn, tt_data_type type, const void *data, size_t length) {
    /* Open at both levels (the usual case, one test) rules out each of the cases below. */
    if (conn->state != TT__ST_OPEN || tt__ws_get_state(conn->ws) != TT__WS_OPEN) {
        if (conn->state == TT__ST_DONE) return TT_ESTATE;
        if (conn->state == TT__ST_ENDED || tt__conn_peer_closing(conn)) {
            conn->dropped_bytes += length; /* the browser counts dropped data in bufferedAmount */
            return 0;
        }
        if (!tt__conn_speaks_ws(conn)) return TT_ESTATE;
    }
    size_t pending = 0;
    (void)tt__ws_output(conn->ws, &pending);
    size_t limit =
        tt__core_config()->max_buffered_amount ? tt__core_config()->max_buffered_amount : TT__SEND_BUFFER_LIMIT;
    if (length > limit || pending > limit - length) return TT_EBUFFER;
    if (length >= TT__EAGER_FLUSH) { /* straight out unless something is queued (TT_EAGAIN then) */
        int rc = tt__conn_send_stream(conn, type, data, length);
        if (rc != TT_EAGAIN) {
            if (rc == 0) tt__loop_mark_dirty(conn);
            return rc;
        }
    }
    int rc = tt__ws_send(conn->ws, type, data, length);
    if (rc != 0) return rc;
    tt__loop_mark_dirty(conn);
    if (pending + length >= TT__EAGER_FLUSH && !(conn->io_wait & TT__WAIT_OUT)) tt__conn_flush(conn);
    return 0;
}

int tt__transport_send(tt__conn *conn, tt_data_type type, const void *data, size_t length) {
    leave_parent();
    tt__loop.downcall_depth++;
    int rc = send_message(conn, type, data, length);
    tt__loop.downcall_depth--;
    return rc;
}

int tt__transport_close(tt__conn *conn, int code, const char *reason, size_t reason_length) {
    leave_parent();
    if (conn->state == TT__ST_DONE) return TT_ESTATE;
    if (conn->state == TT__ST_ENDED || tt__conn_peer_closing(conn)) return 0; /* the outcome is on its way */
    if (!tt__conn_speaks_ws(conn)) return TT_ESTATE;
    int rc = tt__ws_close(conn->ws, code, reason, reason_length);
    if (rc != 0) return rc;
    tt__conn_enter_closing(conn);
    tt__loop_mark_dirty(conn);
    return 0;
}

void tt__transport_abort(tt__conn *conn) {
    leave_parent();
    if (conn == NULL || conn->state == TT__ST_DONE) return;
    tt__conn_release(conn);
}

size_t tt__transport_buffered_amount(const tt__conn *conn) {
    if (conn == NULL) return 0;
    return conn->dropped_bytes + (conn->ws ? tt__ws_buffered_amount(conn->ws) : 0);
}

/* ---- The loop ---------------------------------------------------------------------------------- */

int tt__transport_poll(int timeout_ms) {
    leave_parent();
    if (tt__loop.epfd < 0) return 0;
    return tt__loop_pass(timeout_ms);
}

int tt__transport_can_block(void) { return 1; }

/* One backend only (native sockets): the mini-game and browser backends exist only in the web build. */
const char *tt__transport_backend(int backend) {
    return backend == TT_BACKEND_AUTO || backend == TT_BACKEND_NATIVE ? "native" : NULL;
}

void tt__transport_schedule(int64_t delay_ms) { (void)delay_ms; }

/* ---- Introspection ----------------------------------------------------------------------------- */

size_t tt__native_memory(void) {
    size_t total = 0;
    TT__LIST_FOREACH(n, &tt__loop.all) {
        const tt__conn *c = TT__LIST_ENTRY(n, tt__conn, all_node);
        total += sizeof *c;
        if (c->ws) total += tt__ws_memory(c->ws);
        if (c->host) total += strlen(c->host) + 1;
        if (c->peer_reason) total += c->peer_reason_len + 1u;
    }
    return total;
}

size_t tt__native_connection_count(void) { return tt__loop.live_count; }
