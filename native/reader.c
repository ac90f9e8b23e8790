/*
 * What happens to the bytes a socket delivers: they go to the engine (src/ws.c), which answers with
 * callbacks (lifecycle.c) and output (writer.c); an end of the stream or an error goes to
 * tt__conn_lost().
 *
 * Memory: every connection reads into one shared buffer (TT__READ_BUFFER_SIZE) and hands slices to
 * tt__ws_recv(), so an idle ws:// connection holds only its struct and the engine's small state. Inside
 * a large payload (TT__DIRECT_MIN or more still to come) the bytes are read straight into the engine's
 * message buffer instead (tt__ws_recv_buffer()), saving a copy; after such a payload the next read into
 * the shared buffer is a short one (TT__PEEK_SIZE), so that the following large payload is not copied.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "tt_internal.h"

/*
 * Reads into buf: > 0 bytes, or TT__TLS_WANT_* / EOF / ERROR (err[0..cap) says why). *drained: the
 * socket is known to be empty after this read (a short recv(); for TLS also nothing left inside OpenSSL).
 */
static long conn_read(tt__conn *c, uint8_t *buf, size_t cap, int *drained, char *err, size_t err_cap) {
    if (c->ssl) return tt__tls_read(c->ssl, buf, cap, drained, err, err_cap);
    ssize_t n;
    do n = recv(c->fd, buf, cap, 0);
    while (n < 0 && errno == EINTR);
    *drained = n >= 0 && (size_t)n < cap;
    if (n > 0) return (long)n;
    if (n == 0) return TT__TLS_EOF;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return TT__TLS_WANT_READ;
    snprintf(err, err_cap, "read: %s", strerror(errno));
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
    tt__conn_flush_best_effort(c);
    tt__conn_fail(c, error, why);
}

/*
 * n bytes arrived (in the shared buffer, or in place when direct): hands them to the engine. Returns 1
 * when the connection can read on, 0 when this read ended its turn (or the connection).
 */
static int deliver(tt__conn *c, long n, int direct) {
    if (c->state == TT__ST_LINGERING) {
        /* Bytes after the closing handshake are a protocol violation; Chromium fails the connection
         * (onError + onClose 1006) however the bytes were split across reads. */
        tt__conn_fail(c, TT_EFRAME, "protocol: data after the closing handshake");
        return 0;
    }
    c->busy = 1;
    int rc = direct ? tt__ws_recv_direct(c->ws, (size_t)n) : tt__ws_recv(c->ws, tt__loop.read_buf, (size_t)n);
    c->busy = 0;
    if (c->state == TT__ST_DONE) { /* aborted from inside an up-call */
        tt__conn_release(c);
        return 0;
    }
    if (tt__ws_error(c->ws) == TT_ECLOSED) {
        /* A frame announcing 2^31 bytes or more: Chromium drops the channel without an error. */
        tt__conn_lost(c, TT__LOST_READ_ERROR, NULL);
        return 0;
    }
    if (rc < 0 || tt__ws_get_state(c->ws) == TT__WS_FAILED) {
        engine_fail(c);
        return 0;
    }
    size_t pending = 0;
    (void)tt__ws_output(c->ws, &pending);
    if (pending) tt__loop_mark_dirty(c); /* pongs, the answer to a Close */
    if (tt__ws_get_state(c->ws) == TT__WS_CLOSED) {
        tt__loop_mark_dirty(c); /* flush, then linger */
        return 0;
    }
    return 1;
}

void tt__conn_readable(tt__conn *c) {
    size_t budget = TT__READ_BUDGET;
    c->io_wait &= (uint8_t) ~(TT__WAIT_READ_AGAIN | TT__WAIT_READ_WANTS_WRITE);
    char err[TT__DETAIL_MAX];
    for (;;) {
        /* Inside a large payload the bytes go straight to their place in the message (no copy); right
         * after one, only a peek's worth goes through the shared buffer (TT__PEEK_AFTER). */
        size_t cap = 0;
        uint8_t *direct = tt__conn_speaks_ws(c) && c->ws ? tt__ws_recv_buffer(c->ws, TT__DIRECT_MIN, &cap) : NULL;
        if (direct == NULL) {
            cap = c->direct_run >= TT__PEEK_AFTER ? TT__PEEK_SIZE : TT__READ_BUFFER_SIZE;
            c->direct_run = 0;
        }
        int drained = 0;
        long n = conn_read(c, direct ? direct : tt__loop.read_buf, cap, &drained, err, sizeof err);
        if (n > 0 && direct) c->direct_run += (size_t)n;
        if (n > 0) {
            if (!deliver(c, n, direct != NULL)) return;
            if ((size_t)n >= budget) {
                if (c->ssl) {
                    c->io_wait |= TT__WAIT_READ_AGAIN;
                    tt__loop_mark_dirty(c);
                }
                return; /* plain sockets are level-triggered: epoll reports the rest */
            }
            budget -= (size_t)n;
            if (drained) return; /* level-triggered epoll reports what comes next */
            continue;
        }
        if (n == TT__TLS_WANT_READ) return;
        if (n == TT__TLS_WANT_WRITE) {
            c->io_wait |= TT__WAIT_READ_WANTS_WRITE;
            tt__loop_interest(c, 0);
            return;
        }
        tt__conn_lost(c, n == TT__TLS_EOF ? TT__LOST_EOF : TT__LOST_READ_ERROR, err);
        return;
    }
}

void tt__conn_pass_done(tt__conn *c) {
    if (!tt__conn_speaks_ws(c) || c->ws == NULL) return;
    c->busy = 1;
    int rc = tt__ws_delivered(c->ws);
    c->busy = 0;
    if (rc < 0) engine_fail(c);
    else if (rc > 0) tt__loop_mark_dirty(c); /* flush the answer, then linger */
}
