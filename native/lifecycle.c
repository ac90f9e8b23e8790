/*
 * The lifecycle of a native connection: its states, the events that move it, and the one way it ends.
 *
 *   state       what happens                                   the timer     leaves on
 *   RESOLVING   a worker thread looks the host up              -             lookup done -> CONNECTING
 *   CONNECTING  attempts race (connect.c, Happy Eyeballs)      next attempt  an attempt connects -> TLS
 *                                                                            (wss://) or HANDSHAKE (ws://)
 *   TLS         the TLS handshake                              -             handshake done -> HANDSHAKE
 *   HANDSHAKE   our request goes out, the 101 is awaited       trim          101 accepted -> OPEN
 *   OPEN        messages flow                                  trim          our Close accepted or the
 *                                                                            peer's Close -> CLOSING
 *   CLOSING     the Close exchange                             close         both Closes exchanged and
 *                                                                            ours written -> LINGERING;
 *                                                                            timer -> end 1006
 *   LINGERING   the server gets TT__LINGER_MS to close TCP     linger        FIN or timer -> clean end
 *   ENDED       the outcome is parked, the socket closed       -             next pass -> report -> DONE
 *   DONE        released; a husk until the end of the pass     -             freed
 *
 * An IP literal skips RESOLVING. Besides the events above, every state before ENDED can end: a failure
 * (no address, every attempt refused, a TLS or protocol error, bytes after the closing handshake) or a
 * lost stream (the table below); tt__transport_abort() releases at once without an up-call. Every end
 * goes through tt__conn_end() with one outcome (tt__outcome): a failure (onError, then onClose 1006) or
 * an end without an error event (onClose with a code and was_clean). Up-calls are made only from a pass of tt__transport_poll() with
 * no down-call on the stack; an outcome found anywhere else (a refused connect() inside
 * tt__transport_open(), a broken pipe while flushing from tt__transport_send(), fork) is parked: the
 * connection goes to ENDED with its socket closed, and the next pass reports it. The first outcome
 * wins. Reporting releases the connection *before* the final up-call; a connection released while the
 * loop may still hold pointers to it (an event later in the same epoll batch, an abort from inside an
 * up-call) stays an inert husk (DONE) until the end of the pass.
 *
 * How a lost stream ends (tt__conn_lost, as Chromium reports it):
 *                        peer's Close seen          opening handshake               otherwise
 *   FIN (EOF)            peer's code, clean         fail: closed before response    1006, not clean
 *   read error (RST...)  peer's code, not clean     fail: the error (TLS or I/O)    1006, not clean
 *   write error          1006, not clean            fail: the error (I/O)           1006, not clean
 * Once open Chromium reports a drop without an error event; it fires onerror only when it fails the
 * connection itself. Only a FIN ends a closing handshake cleanly.
 */
#define _GNU_SOURCE
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "handshake.h"
#include "tt_internal.h"

/* ---- Ending ------------------------------------------------------------------------------------ */

/* Up-calls into the core are made only from a pass of tt__transport_poll(), never from inside a call the
 * core made into the transport. */
static int upcalls_allowed(void) { return tt__loop.in_poll && tt__loop.downcall_depth == 0; }

/* Lets go of the network: timer, attempts (and their endpoint locks), TLS session, socket. Idempotent. */
static void close_network(tt__conn *c) {
    tt__conn_timer_stop(c);
    tt__attempts_free(c);
    if (c->ssl) tt__tls_free(c->ssl);
    c->ssl = NULL;
    if (c->fd >= 0) close(c->fd); /* also removes it from the epoll set */
    c->fd = -1;
    c->events = 0;
}

/* Parks o and lets go of the network at once; the struct waits for the next pass to report o. */
static void park(tt__conn *c, const tt__outcome *o) {
    c->parked = *o;
    c->parked.detail = o->error ? tt__strdup(o->detail ? o->detail : "") : NULL;
    c->state = TT__ST_ENDED;
    close_network(c);
}

/*
 * The final up-call: released first, then onError or onClose. The detail or the peer's reason is copied
 * to this call's stack first, since releasing frees both.
 */
static void report(tt__conn *c, const tt__outcome *o) {
    uint32_t id = c->id;
    tt__outcome out = *o;
    char text[TT__DETAIL_MAX];
    size_t len = 0;
    if (out.error) {
        snprintf(text, sizeof text, "%s", out.detail ? out.detail : "");
    } else {
        if (out.code != TT_CLOSE_ABNORMAL && c->peer_reason) {
            len = c->peer_reason_len;
            memcpy(text, c->peer_reason, len);
        }
        text[len] = '\0';
    }
    tt__conn_release(c);
    tt__loop.upcalls++;
    if (out.error) tt__core_on_fail(id, out.error, text);
    else tt__core_on_close(id, out.code, text, len, out.clean);
}

/* The first outcome wins: a connection that ended already reports (or keeps) its parked one. */
void tt__conn_end(tt__conn *c, const tt__outcome *o) {
    if (c->state == TT__ST_DONE) return;
    if (upcalls_allowed()) {
        report(c, c->state == TT__ST_ENDED ? &c->parked : o);
        return;
    }
    if (c->state != TT__ST_ENDED) park(c, o);
    tt__loop_mark_dirty(c);
}

void tt__conn_fail(tt__conn *c, int error, const char *detail) {
    tt__outcome o = {error, TT_CLOSE_ABNORMAL, 0, detail};
    tt__conn_end(c, &o);
}

void tt__conn_finish(tt__conn *c, int code, int clean) {
    tt__outcome o = {0, (uint16_t)code, (uint8_t)(clean != 0), NULL};
    tt__conn_end(c, &o);
}

int tt__conn_peer_close_seen(const tt__conn *c) {
    return c->state == TT__ST_LINGERING || (c->ws && tt__ws_peer_closed(c->ws));
}

/* The core still sees OPEN until onClose, so sends and closes are accepted and quietly dropped then, as
 * a browser does in CLOSING. */
int tt__conn_peer_closing(const tt__conn *c) {
    return c->state == TT__ST_LINGERING || (tt__conn_speaks_ws(c) && tt__ws_get_state(c->ws) == TT__WS_CLOSED);
}

void tt__conn_lost(tt__conn *c, tt__loss how, const char *detail) {
    if (c->state == TT__ST_HANDSHAKE) {
        if (how == TT__LOST_EOF)
            tt__conn_fail(c, TT_EHANDSHAKE, "handshake: connection closed before the server's response");
        else tt__conn_fail(c, how == TT__LOST_READ_ERROR && c->ssl ? TT_ETLS : TT_EIO, detail);
    } else if (how != TT__LOST_WRITE_ERROR && tt__conn_peer_close_seen(c)) {
        tt__conn_finish(c, c->peer_code, how == TT__LOST_EOF);
    } else {
        tt__conn_finish(c, TT_CLOSE_ABNORMAL, 0);
    }
}

/* ---- Transitions ------------------------------------------------------------------------------- */

void tt__conn_enter_closing(tt__conn *c) {
    c->state = TT__ST_CLOSING;
    tt__conn_timer_start(c, (uint64_t)tt__core_config()->close_timeout_ms);
}

void tt__conn_enter_linger(tt__conn *c) {
    if (!tt__conn_speaks_ws(c)) return;
    c->state = TT__ST_LINGERING;
    c->io_wait &= (uint8_t)~TT__WAIT_OUT;
    /* No TLS close_notify: the WebSocket closing handshake already ended the stream. A server that closes
     * TCP as soon as it reads our Close would otherwise find the alert unread and answer with a reset,
     * which turns a clean end into a not-clean one (seen about once in ten runs of the fault driver). */
    /* The engine has nothing left to do; its memory goes now. */
    tt__ws_free(c->ws);
    c->ws = NULL;
    tt__conn_timer_start(c, TT__LINGER_MS);
    tt__loop_interest(c, 0);
}

/* ---- Release ----------------------------------------------------------------------------------- */

/* The resources of a connection that is over; idempotent. */
static void free_resources(tt__conn *c) {
    tt__loop_unqueue(c);
    close_network(c);
    if (c->resolve) tt__resolver_cancel(c->resolve);
    c->resolve = NULL;
    if (c->addrs) freeaddrinfo(c->addrs);
    c->addrs = c->next_addr = NULL;
    tt__free(c->host);
    tt__free((char *)c->parked.detail); /* the parked copy is ours (see tt__outcome) */
    tt__free(c->peer_reason);
    tt__free(c->connect_error);
    c->host = c->peer_reason = c->connect_error = NULL;
    c->parked.detail = NULL;
}

void tt__conn_release(tt__conn *c) {
    if (c->state != TT__ST_DONE) {
        c->state = TT__ST_DONE;
        tt__loop.live_count--;
        tt__list_remove(&c->all_node);
        free_resources(c);
    }
    if (c->busy) return; /* the engine is on the stack; the reader finishes the job */
    if (c->ws) tt__ws_free(c->ws);
    c->ws = NULL;
    if (tt__loop.in_poll) tt__list_push_back(&tt__loop.graveyard, &c->all_node);
    else tt__free(c);
}

void tt__native_free_graveyard(void) {
    for (tt__list *n; (n = tt__list_first(&tt__loop.attempt_graveyard)) != NULL;) {
        tt__list_remove(n);
        tt__free(TT__LIST_ENTRY(n, tt__attempt, node));
    }
    for (tt__list *n; (n = tt__list_first(&tt__loop.graveyard)) != NULL;) {
        tt__list_remove(n);
        tt__free(TT__LIST_ENTRY(n, tt__conn, all_node));
    }
}

/* ---- Engine events (made from inside tt__ws_recv, so always within a pass) ----------------------- */

static void ws_on_open(void *ud, const char *protocol, const char *extensions) {
    tt__conn *c = ud;
    if (c->state == TT__ST_DONE) return;
    if (c->state == TT__ST_HANDSHAKE) c->state = TT__ST_OPEN;
    if (c->won) tt__attempt_free(c->won); /* the opening handshake is over: the endpoint's next may start */
    tt__core_on_phase(c->id, TT__PHASE_RESPONSE_END);
    tt__loop.upcalls++;
    tt__core_on_open(c->id, protocol ? protocol : "", extensions ? extensions : "");
}

static void ws_on_response_head(void *ud, const char *head, size_t length) {
    tt__conn *c = ud;
    if (c->state == TT__ST_DONE) return;
    tt_header *fields;
    size_t count;
    if (tt__handshake_header_fields(head, length, &fields, &count) != 0) {
        tt__conn_fail(c, TT_ENOMEM, "out of memory"); /* the engine then finds the connection released */
        return;
    }
    tt__core_on_response_header(c->id, fields, count);
}

static void ws_on_message(void *ud, tt_data_type type, const uint8_t *data, size_t length) {
    tt__conn *c = ud;
    if (c->state == TT__ST_DONE) return;
    tt__loop.upcalls++;
    tt__core_on_message(c->id, type, data, length);
}

static void ws_on_peer_close(void *ud, int code, const char *reason, size_t reason_length) {
    tt__conn *c = ud;
    if (c->state == TT__ST_DONE) return;
    c->peer_code = (uint16_t)code;
    tt__free(c->peer_reason);
    c->peer_reason = NULL;
    c->peer_reason_len = 0;
    if (reason_length > TT__CLOSE_REASON_MAX) reason_length = TT__CLOSE_REASON_MAX;
    if (reason_length > 0) {
        c->peer_reason = tt__strndup(reason, reason_length);
        if (c->peer_reason) c->peer_reason_len = (uint16_t)reason_length;
    }
    /* Our answer must get out in bounded time even if the server stops reading. */
    if (c->state == TT__ST_HANDSHAKE || c->state == TT__ST_OPEN) tt__conn_enter_closing(c);
}

void tt__conn_engine_callbacks(tt__ws_callbacks *cb) {
    cb->on_open = ws_on_open;
    cb->on_message = ws_on_message;
    cb->on_peer_close = ws_on_peer_close;
    cb->on_response_head = ws_on_response_head;
}
