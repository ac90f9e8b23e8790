/*
 * The I/O-free WebSocket client session: handshake, framing, fragmentation, UTF-8, control frames and the
 * closing handshake, in the style of nghttp2's mem_recv/mem_send and BearSSL's engine. The native
 * transport feeds it the bytes it reads (after TLS) and writes the bytes it hands out; it never sees a
 * socket, a clock or rand() (mask keys and the key nonce come from tt__random_bytes()).
 *
 * Outcomes are reported through callbacks made from inside tt__ws_recv(); the transport turns them into
 * core up-calls. A callback may call tt__ws_send() / tt__ws_close() but must not free the session.
 */
#ifndef TT_WS_H
#define TT_WS_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "ttsocket.h"
#include "url.h"

typedef struct tt__ws tt__ws;

typedef struct tt__ws_callbacks {
    /*
     * The 101 answer was valid. Strings are NUL-terminated, "" when absent, valid during the call.
     * extensions is the accepted Sec-WebSocket-Extensions value exactly as the server sent it (trimmed),
     * which is what Chromium reports as ws.extensions.
     */
    void (*on_open)(void *ud, const char *protocol, const char *extensions);
    /*
     * One whole message (text already validated as UTF-8), decompressed when it was compressed. data is
     * valid during the call only: it points into the chunk given to tt__ws_recv() when an uncompressed
     * frame arrived whole (zero-copy), else into the session's buffer. It is not NUL-terminated.
     */
    void (*on_message)(void *ud, tt_data_type type, const uint8_t *data, size_t length);
    /*
     * The peer's Close arrived (code 1005 when it had none). The session has queued its answer if it
     * had not sent its own Close; once the output is flushed the closing handshake is complete
     * (tt__ws_state() == TT__WS_CLOSED) and the transport closes TCP and reports a clean close.
     */
    void (*on_peer_close)(void *ud, int code, const char *reason, size_t reason_length);
    /*
     * The accepted 101's head (status line and header fields, without the empty line), just before
     * on_open; valid during the call. Optional.
     */
    void (*on_response_head)(void *ud, const char *head, size_t length);
} tt__ws_callbacks;

typedef struct tt__ws_options {
    const tt__url *url;
    const tt_header *headers; /* sent as given (the core validated them) */
    size_t header_count;
    const char *const *protocols; /* copied by tt__ws_new */
    size_t protocol_count;
    size_t max_message_size; /* 0 = unlimited; for compressed messages, the inflated size */
    size_t close_hold_bytes; /* 0 = Chromium's (see tt__ws_delivered); tests set a small one */
    int offer_deflate;       /* offer permessage-deflate like Chromium; ignored in builds
                                        without zlib (tt__deflate_available() == 0) */
    tt__ws_callbacks callbacks;
    void *user_data;
    tt_task_stats *stats; /* counters the session keeps: its wire_*, frames_*, pings_received,
                                        pongs_sent, compressed_* and peak_buffered_amount fields; NULL: its
                                        own, unseen */
} tt__ws_options;

typedef enum tt__ws_state {
    TT__WS_HANDSHAKE = 0, /* request queued; waiting for the 101 */
    TT__WS_OPEN = 1,
    TT__WS_CLOSE_SENT = 2, /* our Close is queued or sent; waiting for the peer's */
    TT__WS_CLOSED = 3,     /* both Close frames exchanged (ours may still sit in the output) */
    TT__WS_FAILED = 4      /* the connection must be failed; see tt__ws_error() */
} tt__ws_state;

/*
 * Creates a session and queues the handshake request (with a fresh Sec-WebSocket-Key) in its output.
 * With offer_deflate (and zlib in the build) the request carries
 * "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits", Chromium's offer. Returns NULL
 * when out of memory, when the request cannot be built, or when no sha1 hook is installed.
 */
tt__ws *tt__ws_new(const tt__ws_options *options);
void tt__ws_free(tt__ws *ws);

/*
 * Feeds bytes read from the peer. Consumes all of them (partial frames are kept inside). Returns 0, or a
 * negative TT_E* code when the connection must end:
 *   TT_EHANDSHAKE, TT_EFRAME (also RSV1 where RFC 7692 forbids it and compressed data that does not
 *   inflate), TT_EUTF8, TT_ETOOBIG (a message passed max_message_size: measured on the bytes as they
 *   arrive, never on what a header announces, so the buffer never holds more than max_message_size + 1
 *   bytes), TT_EEXTENSION (the server's Sec-WebSocket-Extensions answer is refused, see
 *   tt__handshake_parse_extensions) or TT_ENOMEM: the connection is failed. A Close frame (1002 for
 *   protocol errors and invalid UTF-8 as Chromium does, with Chromium's reason text, 1009 for too big)
 *   may have been queued: flush it if you can, then drop TCP and report the failure (onError).
 *   TT_ECLOSED: a frame header announced more than 2^31 - 1 bytes (TT__FRAME_PAYLOAD_MAX). Chromium
 *   treats that like a lost connection, so nothing is queued: drop TCP and report onClose 1006 (the
 *   peer's code when tt__ws_peer_closed()), not clean, without onError.
 * Either way the state is then TT__WS_FAILED, tt__ws_error() is the code and tt__ws_error_detail() says
 * why. After the peer's Close (state TT__WS_CLOSED), a further frame fails the connection with TT_EFRAME
 * and no second Close, as Chromium does; a partial header there waits.
 */
int tt__ws_recv(tt__ws *ws, const uint8_t *data, size_t length);

/*
 * The game has had every message handed up so far: the transport calls this after each pass of reads
 * (delivered at once, or queued ahead of anything read later). A peer's Close that arrived behind more
 * than 131000 bytes of messages (close_hold_bytes) in one pass is held until then, as Chromium holds it
 * until the page took them; meanwhile the session acts as open (Pings answered, messages dropped) and
 * on_peer_close waits.
 * Returns 1 when it answered a held Close (state TT__WS_CLOSED now: flush and linger), 0 when nothing was
 * held, or a negative TT_E* code when the connection must be failed (as tt__ws_recv()).
 */
int tt__ws_delivered(tt__ws *ws);

/*
 * Direct reads, for large payloads: when the session is inside the payload of an uncompressed data frame
 * with at least `min` bytes of it still to come, tt__ws_recv_buffer() returns where the next payload bytes
 * belong in the message buffer and sets *room (> 0, never past the end of the frame); else NULL. The
 * transport may read up to *room bytes there and then call tt__ws_recv_direct() with the count, which
 * validates and delivers exactly as tt__ws_recv() would for the same bytes (same return values). Nothing
 * else may touch the session between the two calls.
 */
uint8_t *tt__ws_recv_buffer(tt__ws *ws, size_t min, size_t *room);
int tt__ws_recv_direct(tt__ws *ws, size_t n);

/*
 * Queues a message as one frame, masked; compressed (RSV1) when permessage-deflate was negotiated, as
 * Chromium compresses every message. OPEN only. Returns 0, TT_ESTATE or TT_ENOMEM (nothing queued then).
 */
int tt__ws_send(tt__ws *ws, tt_data_type type, const void *data, size_t length);

/*
 * Streaming a large message: instead of tt__ws_send() masking the whole frame into the output, the
 * transport asks for the frame's wire bytes piece by piece (tt__ws_stream_fill) into a small buffer of
 * its own and writes each piece to the network at once, so the payload never passes through a large
 * buffer that has gone cold. tt__ws_stream_begin() takes the message only when the output is empty and
 * nothing waits to join it (a pong) and the frame is not compressed, else returns TT_EAGAIN and the
 * transport uses tt__ws_send(); TT_ESTATE and TT_ENOMEM mean what they mean there (nothing done). It
 * reserves output room for the whole frame, so that queueing what the network refuses cannot fail once
 * bytes are out, and counts the frame and the peak bufferedAmount as tt__ws_send() would.
 * tt__ws_stream_sent() says how many of the filled bytes the network took; tt__ws_stream_end() queues the
 * rest of the frame (perhaps nothing) in the output, exactly as tt__ws_send() followed by writes of the
 * same sizes leaves it: ordinary output from then on, its payload counted in bufferedAmount. Nothing else
 * may touch the session between begin and end, and the payload must stay valid until end.
 */
typedef struct tt__ws_stream {
    const uint8_t *data; /* the payload */
    size_t length;       /* payload bytes */
    size_t header_len;
    size_t done; /* wire bytes the network took so far (header included) */
    uint8_t mask[4];
    uint8_t header[TT__FRAME_HEADER_MAX];
} tt__ws_stream;

int tt__ws_stream_begin(tt__ws *ws, tt_data_type type, const void *data, size_t length, tt__ws_stream *s);
/* Writes up to cap of the frame's next wire bytes (from s->done on) to dst; 0 once the frame is out. */
size_t tt__ws_stream_fill(const tt__ws_stream *s, uint8_t *dst, size_t cap);
void tt__ws_stream_sent(tt__ws *ws, tt__ws_stream *s, size_t n);
void tt__ws_stream_end(tt__ws *ws, tt__ws_stream *s);

/* Queues our Close (code and reason already validated). OPEN only. Returns 0, TT_ESTATE or TT_ENOMEM. */
int tt__ws_close(tt__ws *ws, int code, const char *reason, size_t reason_length);

/* The bytes waiting to be written (handshake request, frames). *length is 0 when nothing is pending. */
const uint8_t *tt__ws_output(const tt__ws *ws, size_t *length);
/* n bytes of the output were written. */
void tt__ws_output_consume(tt__ws *ws, size_t n);
/* Application payload bytes not yet fully written, as the browser's bufferedAmount counts them. */
size_t tt__ws_buffered_amount(const tt__ws *ws);

tt__ws_state tt__ws_get_state(const tt__ws *ws);
int tt__ws_error(const tt__ws *ws);                /* the TT_E* code once FAILED, else 0 */
const char *tt__ws_error_detail(const tt__ws *ws); /* a sentence once FAILED, else "" */
int tt__ws_peer_closed(const tt__ws *ws);          /* 1 once the peer's Close arrived, also when FAILED later */

/*
 * User-space bytes held by the session (for the idle-memory budget), zlib streams included: about
 * 260 KiB for the compressor and 40 KiB for the decompressor (always 15 bits, see ws.c). They are
 * created on first use and released when the session goes idle if no context is taken over, so an idle
 * session that never carried a message holds neither.
 */
size_t tt__ws_memory(const tt__ws *ws);

/*
 * Message and output buffers of 64 KiB or more are kept between messages while the session is open, so
 * that a stream of large messages does not fault in fresh pages for each one. tt__ws_has_spare() tells
 * whether such an unused buffer is held; tt__ws_trim() returns it (the transport calls it when the
 * connection has been quiet for a while).
 */
int tt__ws_has_spare(const tt__ws *ws);
void tt__ws_trim(tt__ws *ws);

#endif
