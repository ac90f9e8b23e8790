/*
 * The I/O-free WebSocket client session. Bytes come in through tt__ws_recv() in chunks of any size and
 * leave through tt__ws_output(); everything in between (handshake, framing, fragmentation, UTF-8,
 * control frames, closing handshake) happens here without a socket, clock or rand().
 *
 * Memory policy: a message whose frame lies whole inside the caller's chunk is delivered straight from
 * that chunk (no allocation, no copy). Only messages split across chunks or fragments are assembled in
 * the message buffer, which is reused while traffic flows and released when a recv call ends idle. The
 * output buffer is released once drained, so an idle open session holds little besides its struct.
 *
 * permessage-deflate (RFC 7692): offered as Chromium offers it and validated as Chromium validates the
 * answer (tt__handshake_parse_extensions). The zlib streams are created on first use (the first
 * compressed message received, the first message sent), so a session that never carries a message
 * never pays for them; under no_context_takeover they hold no state between messages and are released
 * whenever the session goes idle. A compressed message is inflated as its bytes arrive, straight into
 * the message buffer, which never grows past max_message_size + 1: a zip bomb fails with TT_ETOOBIG
 * after at most that much output. Text is validated as it is inflated.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "deflate.h"
#include "frame.h"
#include "handshake.h"
#include "stats.h"
#include "tt_internal.h"
#include "utf8.h"
#include "ws.h"

#define WS_HEAD_MAX 16384          /* the longest handshake response head we accept */
#define WS_MSG_KEEP 256            /* a message buffer at most this big survives idle periods */
#define WS_SPARE_MIN (64u * 1024u) /* buffers this big stay between messages until tt__ws_trim() */
#define WS_PREALLOC_MAX (1u << 20) /* a frame up to this size gets its whole buffer at once */
#define WS_MSG_MIN 64              /* the smallest message buffer */
#define WS_INFLATE_FIRST 1024      /* the first buffer for an inflated message */
#define WS_RSV1 4u                 /* tt__frame_header.rsv: "this message is compressed" */
/* With this much output pending, a pong waits outside the output and a newer one replaces it. */
#define WS_PONG_BACKLOG (64u * 1024u)

/*
 * The bytes of one queued data frame's payload, as absolute positions in the output stream. A plain
 * frame's payload is the application's bytes, so bufferedAmount drops byte for byte as it is written; a
 * compressed frame carries app application bytes, released together when its last byte is written.
 */
typedef struct ws_span {
    uint64_t start, end;
    size_t app;
    int compressed;
} ws_span;

struct tt__ws {
    tt__ws_callbacks cb;
    void *ud;
    tt__ws_state state;
    int error;
    const char *detail;
    char detail_buf[48];
    size_t max_message_size;
    int close_sent;
    int peer_closed; /* the peer's Close arrived (stays set when a later failure follows) */

    /* permessage-deflate: what was negotiated; the streams exist only while needed (see above). */
    int offer_deflate, deflate_on;
    tt__deflate_params pmd; /* its descriptor is dropped once open: it pointed into the response */
    tt__deflater *deflater;
    tt__inflater *inflater;

    /* Opening handshake; released once the 101 was accepted. */
    char *protocol_block; /* the offered protocols: a pointer array followed by the strings */
    size_t protocol_block_size, protocol_count;
    char accept[29];
    tt__buf hs;        /* a head split over several chunks, assembled (at most WS_HEAD_MAX bytes) */
    unsigned hs_match; /* tt__handshake_scan_head_end state: how much of the empty line was seen */

    /* Output: the pending bytes of out are what tt__ws_output() hands out. */
    tt__buf out;
    uint64_t out_abs; /* stream position of the first pending byte (bytes consumed so far) */
    tt__buf spans;    /* ws_span records of payload not yet consumed, oldest first */
    size_t buffered;
    /* The answer to the latest ping, waiting while the output is backed up (see ws_answer_ping). */
    int pong_waiting;
    size_t pong_len;
    uint8_t pong[125];

    /* The frame being received. */
    uint8_t hdr[TT__FRAME_HEADER_MAX];
    size_t hdr_len;
    int in_frame;
    tt__frame_header frame;
    uint64_t frame_left;

    /* The message being received (data frames) and the control payload being received. */
    int msg_active;
    int msg_compressed; /* RSV1 was set on the message's first frame */
    unsigned msg_opcode;
    tt__buf msg; /* the message assembled so far (pos stays 0) */
    tt__utf8 utf8;
    uint8_t ctl[125];
    size_t ctl_len;

    /* The peer's Close held back behind messages the game has not taken yet (see WS_CLOSE_HOLD_BYTES). */
    size_t close_hold;   /* WS_CLOSE_HOLD_BYTES unless the options set another (tests) */
    size_t handed_up;    /* message bytes handed up since tt__ws_delivered() */
    uint8_t *held_close; /* its payload while held (may be empty: then held_close_set says it is there) */
    size_t held_close_len;
    int held_close_set;
    tt_task_stats *stats; /* the caller's counters, or own_stats */
    tt_task_stats own_stats;
};

/*
 * Chromium answers the server's Close only once the page has taken every message that came before it.
 * Messages reach the page through a buffer the page empties between tasks; measured against Chromium
 * (the after-close-* parity scenarios), a Close that follows more than this many message bytes in one
 * burst waits. Until it is answered the connection works as if open: a Ping is answered, a Pong ignored,
 * a data message dropped. Once answered, any further frame fails the connection (ws_after_peer_close).
 */
#define WS_CLOSE_HOLD_BYTES ((size_t)131000)

/* ---- Failing ------------------------------------------------------------------------------------ */

static int ws_queue_close(tt__ws *ws, int code, const char *reason, size_t reason_length);

static void ws_release_inflater(tt__ws *ws) {
    tt__inflater_free(ws->inflater);
    ws->inflater = NULL;
}

static void ws_release_deflater(tt__ws *ws) {
    tt__deflater_free(ws->deflater);
    ws->deflater = NULL;
}

/* Gives the message buffer back (nothing may be assembled in it). */
static void ws_release_msg(tt__ws *ws) { tt__buf_free(&ws->msg); }

/* Gives the output buffer and its spans back (nothing may be pending in them). */
static void ws_release_output(tt__ws *ws) {
    tt__buf_free(&ws->out);
    tt__buf_free(&ws->spans);
}

/* Fails the connection without a Close frame (the handshake failed, or TCP is to be dropped). Returns err
 * for tail calls. */
static int ws_fail(tt__ws *ws, int err, const char *detail) {
    ws->state = TT__WS_FAILED;
    ws->error = err;
    ws->detail = detail;
    ws_release_msg(ws); /* nothing more will arrive: give the memory back now */
    ws_release_inflater(ws);
    ws_release_deflater(ws);
    return err;
}

/*
 * Fails the connection for a protocol violation. Once the handshake is done, a Close goes out first,
 * with the row's close code and Chromium's reason (src/violation.h), unless ours already did. Returns err
 * for tail calls.
 */
static int ws_fail_violation(tt__ws *ws, int err, tt__violation v) {
    if (ws->state == TT__WS_OPEN) {
        const char *reason = tt__violation_close_reason(v);
        ws_queue_close(ws, tt__violation_close_code(v), reason, strlen(reason));
    }
    return ws_fail(ws, err, tt__violation_detail(v));
}

static int ws_fail_nomem(tt__ws *ws) { return ws_fail(ws, TT_ENOMEM, "out of memory"); }

/*
 * A frame header announcing more than 2^31 - 1 bytes: Chromium's frame parser refuses it with
 * ERR_MSG_TOO_BIG, which its channel treats like a lost connection: no Close frame, no error event,
 * onClose 1006 (or the peer's code once its Close arrived), not clean. TT_ECLOSED tells the transport so.
 */
static int ws_drop_too_long(tt__ws *ws) {
    return ws_fail(ws, TT_ECLOSED, "frame: payload length of 2^31 bytes or more");
}

/* ---- Output ------------------------------------------------------------------------------------- */

/* Room for `extra` more bytes at the output's tail (pending bytes may move first). NULL when out of memory. */
static uint8_t *ws_out_reserve(tt__ws *ws, size_t extra) {
    return tt__buf_reserve(&ws->out, extra) ? NULL : tt__buf_tail(&ws->out);
}

/* Grows the output buffer keeping every byte of it, also those written past its tail but not yet queued. */
static int ws_out_grow(tt__ws *ws) { return tt__buf_grow(&ws->out, ws->out.cap + 1, SIZE_MAX); }

/* The i-th pending span. The buffer holds whole records only, from an allocation aligned for any type. */
static ws_span *ws_span_at(const tt__ws *ws, size_t i) { return (ws_span *)(void *)tt__buf_head(&ws->spans) + i; }

/* Ensures one more span fits, so that queueing a data frame can never half-succeed. */
static int ws_span_reserve(tt__ws *ws) { return tt__buf_reserve(&ws->spans, sizeof(ws_span)); }

static void ws_span_add(tt__ws *ws, uint64_t start, size_t wire, size_t app, int compressed) {
    *ws_span_at(ws, tt__buf_pending(&ws->spans) / sizeof(ws_span)) = (ws_span){start, start + wire, app, compressed};
    ws->spans.len += sizeof(ws_span); /* room was reserved (ws_span_reserve) */
    ws->buffered += app;
    TT__COUNT_PEAK(ws->stats->peak_buffered_amount, ws->buffered);
}

/* Room at the output's tail for a whole frame of `length` payload bytes, and for its span when counted, so
 * that queueing it can never half-succeed (also when a stream queues what the network refused). NULL when
 * out of memory. */
static uint8_t *ws_frame_room(tt__ws *ws, size_t length, int counted) {
    if (length > SIZE_MAX - TT__FRAME_HEADER_MAX) return NULL;
    if (counted && ws_span_reserve(ws)) return NULL;
    return ws_out_reserve(ws, TT__FRAME_HEADER_MAX + length);
}

/* Draws a final frame's mask key and writes its header to p; returns the header's length. */
static size_t ws_frame_header(uint8_t *p, unsigned rsv, unsigned opcode, size_t length, uint8_t mask[4]) {
    tt__random_bytes(mask, 4);
    return tt__frame_write_header(p, 1, rsv, opcode, length, mask);
}

static unsigned ws_data_opcode(tt_data_type type) { return type == TT_DATA_TEXT ? TT__OP_TEXT : TT__OP_BINARY; }

/* Queues one final, masked frame; counted payload bytes show in tt__ws_buffered_amount(). */
static inline int ws_queue_frame(tt__ws *ws, unsigned rsv, unsigned opcode, const void *data, size_t length,
                                 int counted) {
    uint8_t *p = ws_frame_room(ws, length, counted);
    if (p == NULL) return TT_ENOMEM;
    uint8_t mask[4];
    size_t h = ws_frame_header(p, rsv, opcode, length, mask);
    tt__mask_frame(p + h, data, length, mask); /* copy and mask in one pass */
    uint64_t start = ws->out_abs + tt__buf_pending(&ws->out) + h;
    ws->out.len += h + length;
    TT__COUNT(ws->stats->frames_sent, 1);
    if (counted) ws_span_add(ws, start, length, length, 0);
    return 0;
}

/* A compressed message could not be queued: the compressor forgets its history, so that no later message
 * refers to bytes the peer never received. Returns err for tail calls. */
static int ws_compress_failed(tt__ws *ws, int err) {
    tt__deflater_reset(ws->deflater);
    if (tt__buf_pending(&ws->out) == 0) ws_release_output(ws); /* nothing else was pending: stay small */
    return err;
}

/*
 * Queues a message compressed (RSV1), as Chromium sends every message once the extension is on, however
 * small or incompressible. The payload is deflated straight into the output after room for the longest
 * header, then moved up against the real header. On failure nothing is queued (see ws_compress_failed).
 */
static int ws_queue_compressed(tt__ws *ws, unsigned opcode, const void *data, size_t length) {
    /* Chromium's WebSocketDeflater writes an empty message by hand as the single byte 00 (zlib refuses a
     * flush without input); the peer appends 00 00 ff ff and inflates nothing. */
    if (length == 0) return ws_queue_frame(ws, WS_RSV1, opcode, "", 1, 0);
    if (ws_span_reserve(ws)) return TT_ENOMEM;
    if (ws->deflater == NULL) {
        ws->deflater = tt__deflater_new(ws->pmd.client_max_window_bits, ws->pmd.client_no_context_takeover);
        if (ws->deflater == NULL) return TT_ENOMEM;
    }
    size_t room = tt__deflater_bound(ws->deflater, length);
    if (room > SIZE_MAX / 4 || ws_out_reserve(ws, TT__FRAME_HEADER_MAX + room) == NULL) return TT_ENOMEM;
    size_t at = ws->out.len + TT__FRAME_HEADER_MAX, n = 0; /* offsets: the buffer may move while growing */
    tt__deflater_begin(ws->deflater, data, length);
    for (;;) {
        size_t w;
        int rc = tt__deflater_run(ws->deflater, ws->out.data + at + n, ws->out.cap - at - n, &w);
        n += w;
        if (rc == 0) break;
        if (rc < 0 || ws_out_grow(ws)) return ws_compress_failed(ws, rc < 0 ? rc : TT_ENOMEM);
    }
    if (n < 4 || memcmp(ws->out.data + at + n - 4, "\x00\x00\xff\xff", 4) != 0) /* zlib guarantees it */
        return ws_compress_failed(ws, TT_EINVAL);
    n -= 4; /* RFC 7692 section 7.2.1: the flush marker's tail is not sent */
    uint8_t mask[4];
    tt__random_bytes(mask, 4);
    uint8_t *p = tt__buf_tail(&ws->out);
    size_t h = tt__frame_write_header(p, 1, WS_RSV1, opcode, n, mask); /* h <= 14: before the payload */
    memmove(p + h, ws->out.data + at, n);
    tt__mask(p + h, p + h, n, mask, 0);
    uint64_t start = ws->out_abs + tt__buf_pending(&ws->out) + h;
    ws->out.len += h + n;
    ws_span_add(ws, start, n, length, 1);
    TT__COUNT(ws->stats->frames_sent, 1);
    TT__COUNT(ws->stats->compressed_payload_sent, length);
    TT__COUNT(ws->stats->compressed_wire_sent, n);
    return 0;
}

/* Our Close: code -1 means an empty payload (the peer then sees 1005). Any other code 0-65535 is sent. */
static int ws_send_waiting_pong(tt__ws *ws);

static int ws_queue_close(tt__ws *ws, int code, const char *reason, size_t reason_length) {
    /* Nothing follows a Close: a waiting pong goes first, or (out of memory) not at all. */
    if (ws_send_waiting_pong(ws)) ws->pong_waiting = 0;
    uint8_t payload[125];
    size_t n = 0;
    if (code >= 0) {
        if (reason_length > 123) reason_length = 123;
        payload[0] = (uint8_t)(code >> 8);
        payload[1] = (uint8_t)code;
        if (reason_length) memcpy(payload + 2, reason, reason_length);
        n = 2 + reason_length;
    }
    int rc = ws_queue_frame(ws, 0, TT__OP_CLOSE, payload, n, 0);
    if (rc == 0) ws->close_sent = 1;
    return rc;
}

/*
 * Pongs. Chromium queues the answer to every ping behind what it is already writing, with no limit and
 * outside bufferedAmount and any send quota, so a server that pings and never reads grows the browser's
 * memory without bound. Here the answers go into the output while less than WS_PONG_BACKLOG bytes are
 * pending, as in Chromium (every ping answered, in order); beyond that only the latest ping's answer is
 * kept, waiting outside the output, as RFC 6455 section 5.5.3 allows ("MAY elect to send a Pong frame for
 * only the most recently processed Ping frame"). It joins the output once the output drains below the
 * backlog, or before the next message or Close, which keeps Chromium's order. Nothing the game sees
 * changes: no event, no bufferedAmount, no effect on the send buffer limit.
 */
static int ws_send_waiting_pong(tt__ws *ws) {
    if (!ws->pong_waiting) return 0;
    int rc = ws_queue_frame(ws, 0, TT__OP_PONG, ws->pong, ws->pong_len, 0);
    if (rc == 0) {
        ws->pong_waiting = 0;
        TT__COUNT(ws->stats->pongs_sent, 1);
    }
    return rc;
}

static int ws_answer_ping(tt__ws *ws, const uint8_t *payload, size_t n) {
    if (!ws->pong_waiting && tt__buf_pending(&ws->out) < WS_PONG_BACKLOG) {
        int rc = ws_queue_frame(ws, 0, TT__OP_PONG, payload, n, 0);
        if (rc == 0) TT__COUNT(ws->stats->pongs_sent, 1);
        return rc;
    }
    if (n) memcpy(ws->pong, payload, n);
    ws->pong_len = n;
    ws->pong_waiting = 1;
    return 0;
}

const uint8_t *tt__ws_output(const tt__ws *ws, size_t *length) {
    *length = tt__buf_pending(&ws->out);
    return *length ? tt__buf_head(&ws->out) : NULL;
}

/* Drops the payload bytes of [from, to) from the buffered count, retiring spans written completely. */
static void ws_spans_consume(tt__ws *ws, uint64_t from, uint64_t to) {
    while (tt__buf_pending(&ws->spans)) {
        const ws_span *s = ws_span_at(ws, 0);
        uint64_t lo = from > s->start ? from : s->start;
        uint64_t hi = to < s->end ? to : s->end;
        if (hi > lo && !s->compressed) ws->buffered -= (size_t)(hi - lo);
        if (to < s->end) break;
        if (s->compressed) ws->buffered -= s->app;
        tt__buf_consume(&ws->spans, sizeof *s);
    }
}

void tt__ws_output_consume(tt__ws *ws, size_t n) {
    size_t pending = tt__buf_pending(&ws->out);
    if (n >= pending) {
        /* Everything queued was written, so every span retires. The count is the sum of what the live
         * spans still hold, so it is zero now; a busy connection writes all it queued in most passes,
         * and this spares a walk over one span per message. */
        n = pending;
        ws->buffered = 0;
        tt__buf_consume(&ws->spans, tt__buf_pending(&ws->spans));
    } else {
        ws_spans_consume(ws, ws->out_abs, ws->out_abs + n);
    }
    TT__COUNT(ws->stats->wire_bytes_sent, n);
    tt__buf_consume(&ws->out, n); /* drained: the next bytes go to its start */
    ws->out_abs += n;
    /* A waiting pong joins the output once the backlog has drained (out of memory: it waits on). */
    if (ws->pong_waiting && ws->state == TT__WS_OPEN && tt__buf_pending(&ws->out) < WS_PONG_BACKLOG)
        (void)ws_send_waiting_pong(ws);
    if (tt__buf_pending(&ws->out) == 0) { /* drained: an idle session keeps no output memory */
        /* Without context takeover the compressor holds no state between messages. */
        if (ws->pmd.client_no_context_takeover) ws_release_deflater(ws);
        /* While traffic flows the buffer stays for the next pass (growing it again each time costs
         * several reallocations, and large ones come fresh from the kernel with a page fault on every
         * page); tt__ws_trim() returns it once things are quiet, so an idle session holds none. */
        if (ws->state != TT__WS_OPEN) ws_release_output(ws);
    }
}

size_t tt__ws_buffered_amount(const tt__ws *ws) { return ws->buffered; }

/* ---- Creation ----------------------------------------------------------------------------------- */

/* Copies the offered protocols into one block: the pointer array, then the NUL-terminated strings. */
static int ws_copy_protocols(tt__ws *ws, const char *const *protocols, size_t count) {
    if (count == 0) return 0;
    size_t size = count * sizeof(char *);
    for (size_t i = 0; i < count; i++) size += strlen(protocols[i]) + 1;
    char *block = tt__malloc(size);
    if (block == NULL) return TT_ENOMEM;
    char **list = (char **)(void *)block;
    char *text = block + count * sizeof(char *);
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(protocols[i]) + 1;
        memcpy(text, protocols[i], n);
        list[i] = text;
        text += n;
    }
    ws->protocol_block = block;
    ws->protocol_block_size = size;
    ws->protocol_count = count;
    return 0;
}

static const char *const *ws_protocols(const tt__ws *ws) {
    return (const char *const *)(const void *)ws->protocol_block;
}

/* Queues the GET request with a fresh key and remembers the Sec-WebSocket-Accept it calls for. */
static int ws_queue_request(tt__ws *ws, const tt__ws_options *o) {
    uint8_t nonce[16];
    char key[25];
    tt__random_bytes(nonce, sizeof nonce);
    tt__handshake_make_key(nonce, key);
    tt__handshake_accept(key, ws->accept);
    tt__handshake_request req = {o->url,
                                 key,
                                 o->headers,
                                 o->header_count,
                                 ws_protocols(ws),
                                 ws->protocol_count,
                                 ws->offer_deflate ? TT__DEFLATE_OFFER : NULL};
    size_t size = tt__handshake_request_size(&req);
    uint8_t *p = ws_out_reserve(ws, size);
    if (p == NULL) return TT_ENOMEM;
    int n = tt__handshake_build_request(&req, (char *)p, size);
    if (n < 0) return n;
    ws->out.len += (size_t)n;
    return 0;
}

tt__ws *tt__ws_new(const tt__ws_options *options) {
    if (options == NULL || options->url == NULL) return NULL;
    if (tt__hooks_get()->sha1 == NULL) return NULL;
    tt__ws *ws = tt__calloc(1, sizeof *ws);
    if (ws == NULL) return NULL;
    ws->cb = options->callbacks;
    ws->ud = options->user_data;
    ws->stats = options->stats ? options->stats : &ws->own_stats;
    ws->max_message_size = options->max_message_size;
    ws->close_hold = options->close_hold_bytes ? options->close_hold_bytes : WS_CLOSE_HOLD_BYTES;
    ws->offer_deflate = options->offer_deflate && tt__deflate_available(); /* builds without zlib: no offer */
    ws->state = TT__WS_HANDSHAKE;
    ws->detail = "";
    if (ws_copy_protocols(ws, options->protocols, options->protocol_count) || ws_queue_request(ws, options)) {
        tt__ws_free(ws);
        return NULL;
    }
    return ws;
}

void tt__ws_free(tt__ws *ws) {
    if (ws == NULL) return;
    tt__free(ws->protocol_block);
    tt__buf_free(&ws->hs);
    tt__buf_free(&ws->out);
    tt__buf_free(&ws->spans);
    tt__buf_free(&ws->msg);
    tt__free(ws->held_close);
    tt__deflater_free(ws->deflater);
    tt__inflater_free(ws->inflater);
    tt__free(ws);
}

/* ---- Receiving the handshake -------------------------------------------------------------------- */

static void ws_release_handshake(tt__ws *ws) {
    tt__buf_free(&ws->hs);
    tt__free(ws->protocol_block);
    ws->protocol_block = NULL;
    ws->protocol_block_size = ws->protocol_count = 0;
}

/* Index just past the head's empty line in p[0..n) (continuing a match begun in earlier chunks), 0 when
 * absent. Bare LF line ends count, as Chromium accepts them. */
static size_t ws_scan_head_end(tt__ws *ws, const uint8_t *p, size_t n) {
    return tt__handshake_scan_head_end(&ws->hs_match, p, n);
}

/* Keeps head bytes that arrived before the rest (the caller keeps them under WS_HEAD_MAX in all), in a
 * buffer that never grows past WS_HEAD_MAX itself. */
static int ws_hs_append(tt__ws *ws, const uint8_t *p, size_t n) {
    size_t need = ws->hs.len + n;
    if (tt__buf_grow(&ws->hs, need > TT__BUF_FIRST ? need : TT__BUF_FIRST, WS_HEAD_MAX)) return TT_ENOMEM;
    return tt__buf_append(&ws->hs, p, n);
}

/* The head without its empty line (CRLF CRLF, or bare LF line ends). */
static size_t ws_head_text_length(const char *head, size_t len) {
    while (len > 0 && (head[len - 1] == '\n' || head[len - 1] == '\r')) len--;
    return len;
}

/* Validates a complete head and opens the session. */
static int ws_accept_head(tt__ws *ws, const char *head, size_t len) {
    tt__handshake_response r;
    memset(&r, 0, sizeof r);
    const char *detail = "handshake: invalid response";
    int rc = tt__handshake_parse_response(head, len, ws->accept, ws_protocols(ws), ws->protocol_count,
                                          ws->offer_deflate, &r, &detail);
    if (rc < 0) {
        if (r.status != 0 && r.status != 101) { /* name the exact status, as a browser console does */
            snprintf(ws->detail_buf, sizeof ws->detail_buf, "handshake: unexpected status %d", r.status);
            detail = ws->detail_buf;
        }
        return ws_fail(ws, TT_EHANDSHAKE, detail);
    }
    if (tt__handshake_parse_extensions(&r, &ws->pmd, &detail)) return ws_fail(ws, TT_EEXTENSION, detail);
    ws->deflate_on = ws->pmd.enabled;
    /* ws.extensions in Chromium is the accepted header value as sent; it needs a NUL here. */
    char ext_small[256], *ext = ext_small;
    size_t ext_len = ws->pmd.descriptor_len;
    if (ext_len >= sizeof ext_small && (ext = tt__malloc(ext_len + 1)) == NULL) return ws_fail_nomem(ws);
    if (ext_len) memcpy(ext, ws->pmd.descriptor, ext_len);
    ext[ext_len] = '\0';
    ws->pmd.descriptor = NULL;
    ws->pmd.descriptor_len = 0;
    const char *protocol = "";
    for (size_t i = 0; r.protocol && i < ws->protocol_count; i++) { /* hand out our NUL-terminated copy */
        const char *offered = ws_protocols(ws)[i];
        if (strlen(offered) == r.protocol_len && memcmp(offered, r.protocol, r.protocol_len) == 0) protocol = offered;
    }
    ws->state = TT__WS_OPEN;
    if (ws->cb.on_response_head) ws->cb.on_response_head(ws->ud, head, ws_head_text_length(head, len));
    if (ws->cb.on_open) ws->cb.on_open(ws->ud, protocol, ext);
    if (ext != ext_small) tt__free(ext);
    ws_release_handshake(ws);
    return 0;
}

/* Consumes handshake bytes from p[0..n); *used says how many (the rest are frames). */
static int ws_recv_handshake(tt__ws *ws, const uint8_t *p, size_t n, size_t *used) {
    size_t end = ws_scan_head_end(ws, p, n);
    size_t take = end ? end : n;
    if (ws->hs.len + take > WS_HEAD_MAX)
        return ws_fail(ws, TT_EHANDSHAKE, "handshake: response head longer than 16 KiB");
    *used = take;
    if (end && ws->hs.len == 0) /* the whole head arrived in one chunk: parse it in place */
        return ws_accept_head(ws, (const char *)p, take);
    if (ws_hs_append(ws, p, take)) return ws_fail_nomem(ws);
    if (!end) return 0;
    /* The head text must not dangle into the buffer we free on open. */
    return ws_accept_head(ws, (const char *)ws->hs.data, ws->hs.len);
}

/* ---- Receiving frames ---------------------------------------------------------------------------- */

static int ws_is_control(unsigned opcode) { return opcode >= TT__OP_CLOSE; }

static int ws_deliver(tt__ws *ws, const uint8_t *data, size_t length) {
    tt_data_type type = ws->msg_opcode == TT__OP_TEXT ? TT_DATA_TEXT : TT_DATA_BINARY;
    ws->msg_active = 0;
    ws->msg_compressed = 0;
    ws->msg.len = 0;
    if (ws->held_close_set) return 0; /* behind a held Close a message is dropped, as Chromium drops it */
    ws->handed_up += length;
    if (ws->handed_up < length) ws->handed_up = SIZE_MAX; /* saturates: it is only compared with close_hold */
    if (ws->cb.on_message) ws->cb.on_message(ws->ud, type, data, length);
    return 0;
}

static int ws_hold_close(tt__ws *ws, const uint8_t *payload, size_t n) {
    if (n) {
        ws->held_close = tt__malloc(n);
        if (ws->held_close == NULL) return ws_fail_nomem(ws);
        memcpy(ws->held_close, payload, n);
    }
    ws->held_close_len = n;
    ws->held_close_set = 1;
    return 0;
}

static int ws_on_close_frame(tt__ws *ws, const uint8_t *payload, size_t n) {
    int code;
    const char *reason;
    size_t reason_len;
    tt__violation why = TT__VIOLATION_NONE;
    int rc = tt__close_payload_parse(payload, n, &code, &reason, &reason_len, &why);
    if (rc) return ws_fail_violation(ws, rc, why);
    if (ws->held_close_set) return 0; /* the first Close stands */
    if (!ws->close_sent && ws->handed_up > ws->close_hold) return ws_hold_close(ws, payload, n);
    /* Chromium answers with the peer's code and reason, even a code the RFC forbids (0, 999, 5000 ...);
     * an empty Close with an empty one. */
    if (!ws->close_sent && ws_queue_close(ws, n == 0 ? -1 : code, reason, reason_len)) return ws_fail_nomem(ws);
    ws->state = TT__WS_CLOSED;
    ws->peer_closed = 1;
    ws_release_inflater(ws); /* no message can follow the peer's Close, and we send none after ours */
    ws_release_deflater(ws);
    if (ws->cb.on_peer_close) ws->cb.on_peer_close(ws->ud, code, reason, reason_len);
    return 0;
}

static int ws_on_control(tt__ws *ws, const uint8_t *payload, size_t n) {
    switch (ws->frame.opcode) {
    case TT__OP_PING: /* answered (see ws_answer_ping); after our Close only the closing handshake goes out */
        TT__COUNT(ws->stats->pings_received, 1);
        if (!ws->close_sent && ws_answer_ping(ws, payload, n)) return ws_fail_nomem(ws);
        return 0;
    case TT__OP_CLOSE: return ws_on_close_frame(ws, payload, n);
    default: return 0; /* an unsolicited pong is a heartbeat: nothing to do */
    }
}

static int ws_check_text(tt__ws *ws, const uint8_t *p, size_t n) {
    if (ws->msg_opcode == TT__OP_TEXT && tt__utf8_feed(&ws->utf8, p, n))
        return ws_fail_violation(ws, TT_EUTF8, TT__VIOLATION_TEXT_UTF8);
    return 0;
}

static int ws_fail_too_big(tt__ws *ws) { return ws_fail_violation(ws, TT_ETOOBIG, TT__VIOLATION_MESSAGE_TOO_BIG); }

/* The most bytes a message may hold (SIZE_MAX - 1 without a limit, so that a count never wraps). */
static size_t ws_limit(const tt__ws *ws) { return ws->max_message_size ? ws->max_message_size : SIZE_MAX - 1; }

/*
 * Uncompressed payload bytes p[0..n) join the message (msg.len bytes so far). Text is validated up to the
 * size limit first, so the error never depends on how TCP split the data; then a message that would pass
 * the limit fails with 1009, before its bytes are kept.
 */
static int ws_check_data(tt__ws *ws, const uint8_t *p, size_t n) {
    size_t room = ws_limit(ws) - ws->msg.len;
    int rc = ws_check_text(ws, p, n < room ? n : room);
    if (rc) return rc;
    return n > room ? ws_fail_too_big(ws) : 0;
}

/* Room for inflated bytes: doubling, never beyond limit + 1 (one byte more shows the message is too big). */
static int ws_msg_grow_inflated(tt__ws *ws, size_t limit) {
    size_t first = limit + 1 < WS_INFLATE_FIRST ? limit + 1 : WS_INFLATE_FIRST;
    return tt__buf_grow(&ws->msg, ws->msg.cap ? ws->msg.cap + 1 : first, limit + 1);
}

/*
 * Inflates compressed payload bytes into the message buffer, validating text as it goes. The output is
 * bounded by max_message_size (a zip bomb stops after max + 1 bytes); corrupt data fails with 1002 as
 * Chromium does (ERR_WS_PROTOCOL_ERROR).
 */
static int ws_inflate(tt__ws *ws, const uint8_t *p, size_t n) {
    size_t limit = ws_limit(ws);
    for (;;) {
        if (ws->msg.len == ws->msg.cap) {
            if (ws->msg.cap > limit) return ws_fail_too_big(ws);
            if (ws_msg_grow_inflated(ws, limit)) return ws_fail_nomem(ws);
        }
        size_t used, made;
        int rc = tt__inflater_run(ws->inflater, p, n, &used, tt__buf_tail(&ws->msg), tt__buf_room(&ws->msg), &made);
        if (made) {
            /* Text up to the limit is checked first, so the error never depends on how TCP split the data. */
            size_t room = limit - ws->msg.len;
            int bad = ws_check_text(ws, tt__buf_tail(&ws->msg), made < room ? made : room);
            if (bad) return bad;
            if (made > room) return ws_fail_too_big(ws);
            ws->msg.len += made;
        }
        p += used;
        n -= used;
        if (rc == TT_ENOMEM) return ws_fail_nomem(ws);
        if (rc < 0) return ws_fail_violation(ws, TT_EFRAME, TT__VIOLATION_INVALID_COMPRESSED);
        if (rc == 0) return 0;
    }
}

/* The frame's payload is complete. */
static int ws_frame_end(tt__ws *ws, const uint8_t *inplace) {
    ws->in_frame = 0;
    if (ws_is_control(ws->frame.opcode)) {
        const uint8_t *payload = inplace ? inplace : ws->ctl;
        return ws_on_control(ws, payload, inplace ? (size_t)ws->frame.payload_length : ws->ctl_len);
    }
    if (!ws->frame.fin) return 0;
    if (ws->msg_compressed) { /* RFC 7692 section 7.2.2: the sender removed this tail; put it back */
        static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
        int rc = ws_inflate(ws, tail, sizeof tail);
        if (rc) return rc;
        tt__inflater_end_message(ws->inflater);
        TT__COUNT(ws->stats->compressed_payload_received, ws->msg.len);
    }
    if (ws->msg_opcode == TT__OP_TEXT && !tt__utf8_at_boundary(&ws->utf8))
        return ws_fail_violation(ws, TT_EUTF8, TT__VIOLATION_TEXT_UTF8_TRUNCATED);
    if (inplace) return ws_deliver(ws, inplace, (size_t)ws->frame.payload_length);
    return ws_deliver(ws, ws->msg.data, ws->msg.len);
}

/* Fragmentation and size rules for a data frame header; starts a message when this frame opens one. */
static int ws_data_frame_begin(tt__ws *ws, const tt__frame_header *h) {
    if (h->opcode == TT__OP_CONTINUATION && !ws->msg_active)
        return ws_fail_violation(ws, TT_EFRAME, TT__VIOLATION_UNEXPECTED_CONTINUATION);
    if (h->opcode != TT__OP_CONTINUATION && ws->msg_active)
        return ws_fail_violation(ws, TT_EFRAME, TT__VIOLATION_UNFINISHED_MESSAGE);
    /* The size limit is applied to bytes as they arrive (ws_check_data, ws_inflate), never to what a
     * header announces: Chromium waits for the data of any frame up to 2^31 - 1 bytes. */
    int compressed = ws->msg_active ? ws->msg_compressed : (h->rsv & WS_RSV1) != 0;
    if (compressed && ws->inflater == NULL) {
        /*
         * Always the largest window, whatever server_max_window_bits said: zlib resolves a back-reference
         * beyond the declared window when the bytes it points to were produced in the same inflate() call
         * and refuses it otherwise, so a server that overreaches its window would be accepted or failed
         * depending on how TCP split the message. With 15 bits every valid deflate distance resolves, the
         * same way for any split (found by fuzz_session_deflate).
         */
        ws->inflater = tt__inflater_new(15, ws->pmd.server_no_context_takeover);
        if (ws->inflater == NULL) return ws_fail_nomem(ws);
    }
    if (!ws->msg_active) {
        ws->msg_active = 1;
        ws->msg_compressed = compressed;
        ws->msg_opcode = h->opcode;
        ws->msg.len = 0;
        ws->utf8.state = 0;
    }
    return 0;
}

static int ws_frame_begin(tt__ws *ws, const tt__frame_header *h) {
    tt__violation why = TT__VIOLATION_NONE;
    if (tt__frame_check_server(h, ws->deflate_on, &why)) return ws_fail_violation(ws, TT_EFRAME, why);
    /* RFC 7692 section 6.1: RSV1 marks a compressed message on its first frame only. */
    if ((h->rsv & WS_RSV1) && ws_is_control(h->opcode))
        return ws_fail_violation(ws, TT_EFRAME, TT__VIOLATION_RSV1_ON_CONTROL);
    if ((h->rsv & WS_RSV1) && h->opcode == TT__OP_CONTINUATION)
        return ws_fail_violation(ws, TT_EFRAME, TT__VIOLATION_RSV1_ON_CONTINUATION);
    if (ws_is_control(h->opcode)) {
        ws->ctl_len = 0;
    } else {
        int rc = ws_data_frame_begin(ws, h);
        if (rc) return rc;
    }
    ws->frame = *h;
    ws->frame_left = h->payload_length;
    ws->in_frame = 1;
    TT__COUNT(ws->stats->frames_received, 1);
    return 0;
}

/* Reads a header from p[0..n) (partial headers wait in ws->hdr); *used is the bytes taken. */
static int ws_take_header(tt__ws *ws, const uint8_t *p, size_t n, size_t *used) {
    tt__frame_header h;
    int rc = TT_EAGAIN;
    if (ws->hdr_len == 0) {
        rc = tt__frame_parse_header(p, n, &h); /* the usual case: the header is whole in the chunk */
        if (rc > 0) {
            *used = (size_t)rc;
            return ws_frame_begin(ws, &h);
        }
    }
    if (rc == TT_EAGAIN) {
        size_t copy = sizeof ws->hdr - ws->hdr_len;
        if (copy > n) copy = n;
        memcpy(ws->hdr + ws->hdr_len, p, copy);
        rc = tt__frame_parse_header(ws->hdr, ws->hdr_len + copy, &h);
        if (rc == TT_EAGAIN) {
            ws->hdr_len += copy;
            *used = copy;
            return 0;
        }
        if (rc > 0) {
            *used = (size_t)rc - ws->hdr_len;
            ws->hdr_len = 0;
            return ws_frame_begin(ws, &h);
        }
    }
    if (rc == TT_ETOOBIG) return ws_drop_too_long(ws);
    return ws_fail_violation(ws, TT_EFRAME, TT__VIOLATION_LENGTH_ENCODING);
}

/* Grows the message buffer for `more` bytes; a frame up to WS_PREALLOC_MAX is sized in one step. */
static int ws_msg_reserve(tt__ws *ws, size_t more) {
    size_t need = ws->msg.len + more;
    if (need <= ws->msg.cap) return 0;
    uint64_t whole = ws->msg.len + ws->frame_left;
    if (whole > ws_limit(ws)) whole = ws_limit(ws); /* more cannot be kept */
    size_t min = need > WS_MSG_MIN ? need : WS_MSG_MIN;
    if (whole <= WS_PREALLOC_MAX && whole > min) min = (size_t)whole;
    return tt__buf_grow(&ws->msg, min, ws_limit(ws) + 1); /* one byte past the limit shows it was passed */
}

/* Takes payload bytes of the current frame from p[0..n). */
static int ws_take_payload(tt__ws *ws, const uint8_t *p, size_t n, size_t *used) {
    int control = ws_is_control(ws->frame.opcode);
    if (!control && ws->msg_compressed) { /* inflated as it arrives: never delivered in place */
        size_t take = ws->frame_left < n ? (size_t)ws->frame_left : n;
        *used = take;
        TT__COUNT(ws->stats->compressed_wire_received, take);
        int rc = ws_inflate(ws, p, take);
        if (rc) return rc;
        ws->frame_left -= take;
        return ws->frame_left ? 0 : ws_frame_end(ws, NULL);
    }
    int untouched = ws->frame_left == ws->frame.payload_length;
    if (untouched && n >= ws->frame_left && (control || (ws->frame.fin && ws->msg.len == 0))) {
        /* The hot path: the whole payload is in the caller's chunk: validate and deliver in place. */
        size_t len = (size_t)ws->frame_left;
        *used = len;
        ws->frame_left = 0;
        if (!control) {
            int rc = ws_check_data(ws, p, len);
            if (rc) return rc;
        }
        return ws_frame_end(ws, p);
    }
    size_t take = ws->frame_left < n ? (size_t)ws->frame_left : n;
    *used = take;
    if (control) {
        memcpy(ws->ctl + ws->ctl_len, p, take);
        ws->ctl_len += take;
    } else {
        int rc = ws_check_data(ws, p, take); /* fail on the first bad byte, before buffering it */
        if (rc) return rc;
        if (take) { /* an empty fragment may leave the buffer unallocated: memcpy(NULL, ...) is undefined */
            if (ws_msg_reserve(ws, take)) return ws_fail_nomem(ws);
            memcpy(tt__buf_tail(&ws->msg), p, take);
            ws->msg.len += take;
        }
    }
    ws->frame_left -= take;
    return ws->frame_left ? 0 : ws_frame_end(ws, NULL);
}

static int ws_receiving(const tt__ws *ws) { return ws->state == TT__WS_OPEN || ws->state == TT__WS_CLOSE_SENT; }

/*
 * After the peer's Close, Chromium fails the connection on the next frame ("... received after close"),
 * without a second Close: so do we, once a whole frame header is there.
 */
static int ws_after_peer_close(tt__ws *ws, const uint8_t *p, size_t n) {
    size_t copy = sizeof ws->hdr - ws->hdr_len;
    if (copy > n) copy = n;
    memcpy(ws->hdr + ws->hdr_len, p, copy);
    ws->hdr_len += copy;
    tt__frame_header h;
    int rc = tt__frame_parse_header(ws->hdr, ws->hdr_len, &h);
    if (rc == TT_EAGAIN) return 0;
    if (rc == TT_ETOOBIG) return ws_drop_too_long(ws);
    return ws_fail(ws, TT_EFRAME, "frame: a frame after the peer's Close");
}

/*
 * The usual frame of a game takes one step: p[0..n) begins with a whole, final, unmasked text or binary
 * frame of at most 125 bytes, RSV bits clear, outside a fragmented message, within the size limit and
 * (text) valid UTF-8. Such a frame passes every check of ws_take_header() and ws_take_payload(), which
 * would deliver it in place just the same; anything else (also every frame that fails) goes that way.
 */
static int ws_small_frame_ahead(const tt__ws *ws, const uint8_t *p, size_t n) {
    if (n < 2 || ws->hdr_len || ws->msg_active) return 0;
    unsigned b0 = p[0], len = p[1]; /* len <= 125: a 7-bit length and the mask bit clear */
    if ((b0 != (0x80u | TT__OP_BINARY) && b0 != (0x80u | TT__OP_TEXT)) || len > 125 || n - 2 < len) return 0;
    if (len > ws_limit(ws)) return 0;
    return b0 == (0x80u | TT__OP_BINARY) || tt__utf8_valid(p + 2, len);
}

static int ws_take_small_frame(tt__ws *ws, const uint8_t *p, size_t *used) {
    size_t len = p[1];
    *used = 2 + len;
    TT__COUNT(ws->stats->frames_received, 1);
    ws->msg_opcode = p[0] & 0x0Fu;
    return ws_deliver(ws, p + 2, len);
}

static int ws_recv_frames(tt__ws *ws, const uint8_t *p, size_t n) {
    if (ws->state == TT__WS_CLOSED) return n ? ws_after_peer_close(ws, p, n) : 0;
    while (ws_receiving(ws)) {
        size_t used = 0;
        int rc;
        if (ws->in_frame) rc = ws_take_payload(ws, p, n, &used);
        else if (ws_small_frame_ahead(ws, p, n)) rc = ws_take_small_frame(ws, p, &used);
        else if (n) rc = ws_take_header(ws, p, n, &used);
        else break;
        if (rc) return rc;
        p += used;
        n -= used;
        if (n == 0 && ws->in_frame && ws->frame_left) break; /* an empty frame still completes below */
    }
    if (ws->state == TT__WS_CLOSED && n) return ws_after_peer_close(ws, p, n);
    return 0;
}

/*
 * Between messages a large assembly buffer is returned, so a quiet session stays small; so is the
 * inflater when the server keeps no context between messages.
 */
static void ws_trim_idle(tt__ws *ws) {
    if (ws->msg_active) return;
    if (ws->msg.cap > WS_MSG_KEEP && !(ws->msg.cap >= WS_SPARE_MIN && ws->state == TT__WS_OPEN)) ws_release_msg(ws);
    if (ws->pmd.server_no_context_takeover) ws_release_inflater(ws);
}

/* The output holds memory and nothing is pending in it. */
static int ws_output_spare(const tt__ws *ws) { return ws->out.data != NULL && tt__buf_pending(&ws->out) == 0; }

int tt__ws_has_spare(const tt__ws *ws) { return (!ws->msg_active && ws->msg.cap > WS_MSG_KEEP) || ws_output_spare(ws); }

void tt__ws_trim(tt__ws *ws) {
    if (!ws->msg_active && ws->msg.cap > WS_MSG_KEEP) ws_release_msg(ws);
    if (ws_output_spare(ws)) ws_release_output(ws);
}

int tt__ws_recv(tt__ws *ws, const uint8_t *data, size_t length) {
    if (ws->state == TT__WS_FAILED) return ws->error;
    if (length == 0) return 0;
    TT__COUNT(ws->stats->wire_bytes_received, length);
    size_t used = 0;
    if (ws->state == TT__WS_HANDSHAKE) {
        int rc = ws_recv_handshake(ws, data, length, &used);
        if (rc) return rc;
    }
    int rc = ws_recv_frames(ws, data + used, length - used);
    ws_trim_idle(ws);
    return rc;
}

/*
 * Direct reads: inside the payload of a large uncompressed data frame, the transport may read straight
 * into the message buffer at the place the bytes belong, instead of into its read buffer and then copying.
 * The reservation ahead of the data is at most WS_PREALLOC_MAX or what the message already holds (so it
 * grows with what arrives), at most WS_DIRECT_STEP, and never more than one byte past max_message_size:
 * a frame that announces 2^31 - 1 bytes gets no more memory than its data justifies.
 */
#define WS_DIRECT_STEP (4u << 20)

uint8_t *tt__ws_recv_buffer(tt__ws *ws, size_t min, size_t *room) {
    *room = 0;
    if (!ws_receiving(ws) || !ws->in_frame || ws_is_control(ws->frame.opcode) || ws->msg_compressed) return NULL;
    if (ws->frame_left < min || ws->frame_left == 0) return NULL;
    size_t want = ws->frame_left < WS_DIRECT_STEP ? (size_t)ws->frame_left : WS_DIRECT_STEP;
    size_t ahead = ws->msg.len > WS_PREALLOC_MAX ? ws->msg.len : WS_PREALLOC_MAX;
    if (want > ahead) want = ahead;
    if (want > ws_limit(ws) - ws->msg.len + 1) want = ws_limit(ws) - ws->msg.len + 1;
    if (ws_msg_reserve(ws, want)) return NULL; /* the ordinary path then reports the failure */
    size_t free_bytes = tt__buf_room(&ws->msg);
    if (free_bytes > want) free_bytes = want;
    *room = ws->frame_left < free_bytes ? (size_t)ws->frame_left : free_bytes;
    return tt__buf_tail(&ws->msg);
}

int tt__ws_recv_direct(tt__ws *ws, size_t n) {
    if (ws->state == TT__WS_FAILED) return ws->error;
    if (n == 0) return 0;
    TT__COUNT(ws->stats->wire_bytes_received, n);
    /* Validated in place, exactly as ws_take_payload() validates before buffering. */
    int rc = ws_check_data(ws, tt__buf_tail(&ws->msg), n);
    if (rc) return rc;
    ws->msg.len += n;
    ws->frame_left -= n;
    if (ws->frame_left == 0) rc = ws_frame_end(ws, NULL);
    ws_trim_idle(ws);
    return rc;
}

/* ---- Sending ------------------------------------------------------------------------------------ */

int tt__ws_send(tt__ws *ws, tt_data_type type, const void *data, size_t length) {
    if (ws->state != TT__WS_OPEN) return TT_ESTATE;
    if (ws_send_waiting_pong(ws)) return TT_ENOMEM; /* the answer to an earlier ping goes first */
    unsigned opcode = ws_data_opcode(type);
    if (ws->deflate_on) return ws_queue_compressed(ws, opcode, data, length);
    return ws_queue_frame(ws, 0, opcode, data, length, 1);
}

/* ---- Streaming a large message (see ws.h) -------------------------------------------------------- */

int tt__ws_stream_begin(tt__ws *ws, tt_data_type type, const void *data, size_t length, tt__ws_stream *s) {
    if (ws->state != TT__WS_OPEN) return TT_ESTATE;
    if (ws->deflate_on || ws->pong_waiting || tt__buf_pending(&ws->out)) return TT_EAGAIN;
    if (ws_frame_room(ws, length, 1) == NULL) return TT_ENOMEM;
    /* The same draw and header as ws_queue_frame(): the same bytes on the wire. */
    s->header_len = ws_frame_header(s->header, 0, ws_data_opcode(type), length, s->mask);
    s->data = data;
    s->length = length;
    s->done = 0;
    TT__COUNT(ws->stats->frames_sent, 1);
    TT__COUNT_PEAK(ws->stats->peak_buffered_amount, ws->buffered + length);
    return 0;
}

size_t tt__ws_stream_fill(const tt__ws_stream *s, uint8_t *dst, size_t cap) {
    size_t n = 0, at = s->done;
    if (at < s->header_len) {
        n = s->header_len - at < cap ? s->header_len - at : cap;
        memcpy(dst, s->header + at, n);
        at += n;
    }
    size_t off = at - s->header_len, take = s->length - off;
    if (take > cap - n) take = cap - n;
    if (take == 0) return n;
    tt__mask(dst + n, s->data + off, take, s->mask, off);
    return n + take;
}

void tt__ws_stream_sent(tt__ws *ws, tt__ws_stream *s, size_t n) {
    s->done += n;
    ws->out_abs += n; /* the output is empty: its next byte's stream position moves on with the frame */
    TT__COUNT(ws->stats->wire_bytes_sent, n);
}

void tt__ws_stream_end(tt__ws *ws, tt__ws_stream *s) {
    size_t left = s->header_len + s->length - s->done;
    if (left == 0) return;
    /* The frame's tail becomes ordinary output, in room reserved by tt__ws_stream_begin(). */
    size_t header_left = s->done < s->header_len ? s->header_len - s->done : 0;
    size_t n = tt__ws_stream_fill(s, tt__buf_tail(&ws->out), left);
    ws_span_add(ws, ws->out_abs + header_left, n - header_left, n - header_left, 0);
    ws->out.len += n;
    s->done += n;
}

int tt__ws_close(tt__ws *ws, int code, const char *reason, size_t reason_length) {
    if (ws->state != TT__WS_OPEN) return TT_ESTATE;
    int rc = ws_queue_close(ws, code, reason, reason_length);
    if (rc) return rc;
    ws->state = TT__WS_CLOSE_SENT;
    ws_release_deflater(ws); /* nothing more is sent after our Close */
    return 0;
}

/* ---- Introspection ------------------------------------------------------------------------------ */

tt__ws_state tt__ws_get_state(const tt__ws *ws) { return ws->state; }
int tt__ws_error(const tt__ws *ws) { return ws->state == TT__WS_FAILED ? ws->error : 0; }
const char *tt__ws_error_detail(const tt__ws *ws) { return ws->state == TT__WS_FAILED ? ws->detail : ""; }
int tt__ws_peer_closed(const tt__ws *ws) { return ws->peer_closed; }

size_t tt__ws_memory(const tt__ws *ws) {
    return sizeof *ws + ws->protocol_block_size + ws->hs.cap + ws->out.cap + ws->spans.cap + ws->msg.cap +
           ws->held_close_len + tt__deflater_memory(ws->deflater) + tt__inflater_memory(ws->inflater);
}

int tt__ws_delivered(tt__ws *ws) {
    ws->handed_up = 0;
    if (!ws->held_close_set) return 0;
    uint8_t *payload = ws->held_close;
    size_t n = ws->held_close_len;
    ws->held_close = NULL;
    ws->held_close_len = 0;
    ws->held_close_set = 0;
    int rc = ws_receiving(ws) ? ws_on_close_frame(ws, payload, n) : 0;
    tt__free(payload);
    return rc ? rc : ws->state == TT__WS_CLOSED;
}
