/*
 * When things happen: the epoll loop. One pass of tt__transport_poll() reports parked outcomes and
 * flushes dirty connections, waits for epoll (bounded by the earliest timer), dispatches the events by
 * the connection's state, flushes again, runs the due timers and frees the pass's husks.
 *
 * Writes are coalesced: tt__transport_send() and tt__transport_close() only queue into the engine and mark
 * the connection dirty; each dirty connection is flushed once per pass (or at once when its output
 * passes the eager-flush size). A partial write arms EPOLLOUT until the output is drained.
 *
 * Dirty lists: `dirty` collects connections that need a flush (or have a parked outcome, or an attempt
 * handed its endpoint lock); a pass moves it to `processing` and works through it, so connections
 * marked meanwhile wait for the next pass. c->queue says which list holds c, so that marking a
 * connection that is being processed sends it to the back of the next round.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "conn.h"
#include "tt_internal.h"

#define TT__MAX_EVENTS 256

#define TT__LIST_HEAD(l) \
    { &(l), &(l) }
tt__native_loop tt__loop = {
    .epfd = -1,
    .all = TT__LIST_HEAD(tt__loop.all),
    .dirty = TT__LIST_HEAD(tt__loop.dirty),
    .processing = TT__LIST_HEAD(tt__loop.processing),
    .graveyard = TT__LIST_HEAD(tt__loop.graveyard),
    .attempt_graveyard = TT__LIST_HEAD(tt__loop.attempt_graveyard),
    .endpoints = TT__LIST_HEAD(tt__loop.endpoints),
};

static char resolver_tag; /* epoll data of the resolver's eventfd */

int tt__loop_open(void) {
    tt__loop.epfd = epoll_create1(EPOLL_CLOEXEC);
    int rfd = tt__resolver_fd();
    struct epoll_event e;
    memset(&e, 0, sizeof e);
    e.events = EPOLLIN;
    e.data.ptr = &resolver_tag;
    if (tt__loop.epfd >= 0 && rfd >= 0 && epoll_ctl(tt__loop.epfd, EPOLL_CTL_ADD, rfd, &e) == 0) return 0;
    if (tt__loop.epfd >= 0) close(tt__loop.epfd);
    tt__loop.epfd = -1;
    return -1;
}

/* ---- epoll interest ---------------------------------------------------------------------------- */

void tt__loop_interest(tt__conn *c, uint32_t tls_want) {
    if (c->fd < 0 || !tt__conn_live(c)) return;
    uint32_t ev = 0;
    if (c->state == TT__ST_TLS) {
        ev = tls_want;
    } else if (tt__conn_speaks_ws(c)) {
        ev = EPOLLIN;
        if (c->io_wait & (TT__WAIT_OUT | TT__WAIT_READ_WANTS_WRITE)) ev |= EPOLLOUT;
    } else if (c->state == TT__ST_LINGERING) {
        ev = EPOLLIN;
    }
    if (ev == c->events) return;
    struct epoll_event e;
    memset(&e, 0, sizeof e);
    e.events = ev;
    e.data.ptr = c;
    int op = c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(tt__loop.epfd, op, c->fd, &e) < 0) {
        char detail[TT__DETAIL_MAX];
        snprintf(detail, sizeof detail, "epoll: %s", strerror(errno));
        tt__conn_fail(c, TT_EIO, detail);
        return;
    }
    c->events = ev;
}

/* ---- Dirty lists ------------------------------------------------------------------------------- */

void tt__loop_unqueue(tt__conn *c) {
    tt__list_remove(&c->dirty_node);
    c->queue = TT__QUEUE_NONE;
}

void tt__loop_mark_dirty(tt__conn *c) {
    if (c->queue == TT__QUEUE_NEXT || c->state == TT__ST_DONE) return;
    tt__loop_unqueue(c); /* from the processing list: it goes to the back of the next round */
    c->queue = TT__QUEUE_NEXT;
    tt__list_push_back(&tt__loop.dirty, &c->dirty_node);
}

/* ---- Timers ------------------------------------------------------------------------------------ */

void tt__conn_timer_stop(tt__conn *c) { tt__heap_remove(&tt__loop.timers, &c->timer_node); }

void tt__conn_timer_start(tt__conn *c, uint64_t delay_ms) {
    tt__heap_insert(&tt__loop.timers, &c->timer_node, tt__now_ms() + delay_ms);
}

/* While the engine holds spare buffers, a timer gives them back: at most one reallocation a second while
 * large messages flow, none held long once the connection is quiet. */
void tt__conn_timer_arm_trim(tt__conn *c) {
    if (c->state != TT__ST_HANDSHAKE && c->state != TT__ST_OPEN) return;
    if (c->ws == NULL || tt__heap_contains(&c->timer_node)) return;
    if (tt__ws_has_spare(c->ws)) tt__conn_timer_start(c, TT__TRIM_MS);
}

/* A connection's timer expired; what that means follows from its state. */
static void timer_expired(tt__conn *c) {
    switch (c->state) {
    case TT__ST_CONNECTING: tt__connect_next(c); break; /* the attempts under way go on; the next joins */
    case TT__ST_HANDSHAKE:
    case TT__ST_OPEN:
        if (c->ws) tt__ws_trim(c->ws);
        break;
    case TT__ST_CLOSING:
        /* The server never finished the closing handshake (Chromium: 1006, not clean). */
        tt__conn_finish(c, TT_CLOSE_ABNORMAL, 0);
        break;
    case TT__ST_LINGERING:
        /* The closing handshake completed but the server kept TCP open: Chromium closes it after 2 s and
         * reports a clean close (its CloseTimeout with the peer's Close received). */
        tt__conn_finish(c, c->peer_code, 1);
        break;
    default: break;
    }
}

static tt__conn *timer_first(void) {
    tt__heap_node *n = tt__heap_min(&tt__loop.timers);
    return n ? TT__HEAP_OWNER(n, tt__conn, timer_node) : NULL;
}

/* Every timer that is due, earliest first; each expiry removes its own timer, so nothing is walked twice. */
static void process_timers(void) {
    uint64_t now = tt__now_ms();
    tt__conn *c;
    while ((c = timer_first()) != NULL && c->timer_node.deadline <= now) {
        tt__conn_timer_stop(c);
        timer_expired(c);
    }
}

static int64_t next_timer_delay(void) {
    tt__conn *c = timer_first();
    if (c == NULL) return -1;
    uint64_t now = tt__now_ms();
    return c->timer_node.deadline <= now ? 0 : (int64_t)(c->timer_node.deadline - now);
}

/* ---- One pass ---------------------------------------------------------------------------------- */

/* Reads what came, lets the engine answer a held Close, writes what the socket now takes. */
static void ws_event(tt__conn *c, uint32_t ev) {
    if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) || ((c->io_wait & TT__WAIT_READ_WANTS_WRITE) && (ev & EPOLLOUT)))
        tt__conn_readable(c);
    tt__conn_pass_done(c);
    if (tt__conn_live(c) && ((ev & EPOLLOUT) || (c->io_wait & TT__WAIT_WRITE_WANTS_READ))) tt__conn_flush(c);
    if (tt__conn_live(c)) tt__conn_timer_arm_trim(c);
}

static void conn_event(tt__conn *c, uint32_t ev) {
    if (c->state == TT__ST_TLS) tt__connect_tls_step(c);
    else if (tt__conn_speaks_ws(c)) ws_event(c, ev);
    else if (c->state == TT__ST_LINGERING) tt__conn_readable(c);
}

/* Parked outcomes, pending output, woken attempts and TLS bytes that epoll cannot see, once per pass. */
static void process_dirty(void) {
    tt__list *processing = &tt__loop.processing;
    for (tt__list *n; (n = tt__list_first(&tt__loop.dirty)) != NULL;) {
        tt__list_remove(n);
        tt__list_push_back(processing, n);
        TT__LIST_ENTRY(n, tt__conn, dirty_node)->queue = TT__QUEUE_NOW;
    }
    for (tt__list *n; (n = tt__list_first(processing)) != NULL;) {
        tt__conn *c = TT__LIST_ENTRY(n, tt__conn, dirty_node);
        tt__loop_unqueue(c);
        if (c->state == TT__ST_ENDED) tt__conn_end(c, &c->parked);
        if (c->state == TT__ST_CONNECTING) tt__attempts_wake(c); /* a no-op when one has won meanwhile */
        if ((c->io_wait & TT__WAIT_READ_AGAIN) && tt__conn_speaks_ws(c)) {
            tt__conn_readable(c);
            tt__conn_pass_done(c);
        }
        tt__conn_flush(c);
    }
}

int tt__loop_pass(int timeout_ms) {
    static struct epoll_event events[TT__MAX_EVENTS];
    tt__loop.in_poll = 1;
    tt__loop.upcalls = 0;
    process_dirty();

    int64_t wait = timeout_ms < 0 ? -1 : timeout_ms;
    if (tt__loop.upcalls > 0 || !tt__list_empty(&tt__loop.dirty)) wait = 0;
    if (wait < 0 && tt__loop.live_count == 0) wait = 0; /* nothing could ever wake us */
    int64_t timer = next_timer_delay();
    if (timer >= 0 && (wait < 0 || timer < wait)) wait = timer;
    if (wait > INT_MAX) wait = INT_MAX;

    int n = epoll_wait(tt__loop.epfd, events, TT__MAX_EVENTS, (int)wait);
    if (n < 0 && errno != EINTR) {
        tt__loop.in_poll = 0;
        return TT_EIO;
    }
    for (int i = 0; i < n; i++) {
        void *p = events[i].data.ptr;
        if (p == &resolver_tag) (void)tt__resolver_collect(tt__connect_resolved);
        else if (*(const uint8_t *)p == TT__IO_ATTEMPT) tt__attempt_event(p);
        else if (tt__conn_live(p)) conn_event(p, events[i].events);
    }
    process_dirty();
    process_timers();
    tt__native_free_graveyard();
    tt__loop.in_poll = 0;
    return tt__loop.upcalls;
}
