/*
 * How the engine's output reaches the socket: written until the socket is full (then EPOLLOUT waits for
 * room), through TLS when there is a session. Once our last Close frame is out, the connection lingers.
 * A large message that finds nothing queued skips the output: it is masked a chunk at a time into one
 * small buffer and written from there (tt__conn_send_stream), and only what the socket refuses is queued.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "conn.h"
#include "frame.h"
#include "tt_internal.h"

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

/* The output is drained: stop waiting for room, report the request written once, linger after our Close. */
static void flushed(tt__conn *c) {
    if (c->io_wait & TT__WAIT_OUT) {
        c->io_wait &= (uint8_t)~TT__WAIT_OUT;
        tt__loop_interest(c, 0);
    }
    if (!c->request_written) {
        c->request_written = 1;
        tt__core_on_phase(c->id, TT__PHASE_REQUEST_END);
    }
    if (tt__ws_get_state(c->ws) == TT__WS_CLOSED) tt__conn_enter_linger(c);
    else tt__conn_timer_arm_trim(c);
}

/* A write took nothing (n is TT__TLS_WANT_* or TT__TLS_ERROR, err says why): wait, or the stream is lost. */
static void write_stalled(tt__conn *c, long n, const char *err) {
    if (n == TT__TLS_WANT_WRITE) {
        c->io_wait |= TT__WAIT_OUT;
        tt__loop_interest(c, 0);
    } else if (n == TT__TLS_WANT_READ) {
        c->io_wait |= TT__WAIT_WRITE_WANTS_READ; /* EPOLLIN is always armed in these states */
    } else {
        tt__conn_lost(c, TT__LOST_WRITE_ERROR, err);
    }
}

void tt__conn_flush(tt__conn *c) {
    if (!tt__conn_speaks_ws(c) || c->fd < 0) return;
    c->io_wait &= (uint8_t)~TT__WAIT_WRITE_WANTS_READ;
    char err[TT__DETAIL_MAX];
    for (;;) {
        size_t len = 0;
        const uint8_t *out = tt__ws_output(c->ws, &len);
        if (len == 0) break;
        long n = conn_write(c, out, len, err, sizeof err);
        if (n > 0) {
            tt__ws_output_consume(c->ws, (size_t)n);
            continue;
        }
        write_stalled(c, n, err);
        return;
    }
    flushed(c);
}

/* The chunk buffer of tt__conn_send_stream(), shared by every connection (made on first use). */
static uint8_t *stream_chunk(void) {
    if (tt__loop.write_buf == NULL) tt__loop.write_buf = tt__malloc(TT__STREAM_CHUNK + TT__FRAME_HEADER_MAX);
    return tt__loop.write_buf;
}

int tt__conn_send_stream(tt__conn *c, tt_data_type type, const void *data, size_t length) {
    /* TLS stays on the ordinary path: a refused SSL_write must be retried with the same bytes. */
    if (c->ssl || c->fd < 0 || (c->io_wait & TT__WAIT_OUT)) return TT_EAGAIN;
    uint8_t *chunk = stream_chunk();
    if (chunk == NULL) return TT_EAGAIN;
    tt__ws_stream s;
    int rc = tt__ws_stream_begin(c->ws, type, data, length, &s);
    if (rc != 0) return rc;
    char err[TT__DETAIL_MAX] = "";
    long n = 0;
    /* The first chunk carries the header too, so that every write but the last is a whole chunk. */
    for (size_t m; (m = tt__ws_stream_fill(&s, chunk, TT__STREAM_CHUNK + (s.done ? 0 : s.header_len))) > 0;) {
        n = conn_write(c, chunk, m, err, sizeof err);
        if (n <= 0) break;
        tt__ws_stream_sent(c->ws, &s, (size_t)n);
        if ((size_t)n < m) break; /* the socket is full: the rest waits in the output */
    }
    tt__ws_stream_end(c->ws, &s);
    /* From here on it is as if the frame had been queued and these writes made by tt__conn_flush(). */
    if (n <= 0) write_stalled(c, n, err);
    else tt__conn_flush(c); /* the rest of a short write, or (everything out) flushed() */
    return 0;
}

/* A write error here (the peer may well have reset already) is not what failed the connection, so its
 * text goes nowhere. */
void tt__conn_flush_best_effort(tt__conn *c) {
    if (c->fd < 0 || !tt__conn_speaks_ws(c)) return;
    size_t len = 0;
    const uint8_t *out = tt__ws_output(c->ws, &len);
    char ignored[TT__DETAIL_MAX];
    if (len > 0) (void)conn_write(c, out, len, ignored, sizeof ignored);
}
