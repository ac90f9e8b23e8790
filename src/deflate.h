/*
 * The compression half of permessage-deflate (RFC 7692): one raw-DEFLATE compressor and one decompressor
 * per session, glue over the system zlib. Every zlib allocation goes through tt__malloc / tt__free (so the
 * allocation-failure tests reach them) and is counted for tt__ws_memory().
 *
 * Builds without zlib (web, wasi) link src/deflate_none.c instead of src/deflate.c: there
 * tt__deflate_available() is 0, every constructor returns NULL, and the session simply does not offer
 * the extension. The session calls this interface the same way in both builds.
 */
#ifndef TT_DEFLATE_H
#define TT_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

typedef struct tt__deflater tt__deflater;
typedef struct tt__inflater tt__inflater;

/* 1 when this build can compress (src/deflate.c), 0 in the stub (src/deflate_none.c). */
int tt__deflate_available(void);

/*
 * A compressor for messages we send. window_bits is the negotiated client_max_window_bits (8-15); zlib
 * cannot compress raw DEFLATE with 8, so 8 compresses with 9 as Chromium does (zlib keeps its
 * back-references within 2^9 - 262 = 250 bytes, which a 256-byte window inflates). no_context_takeover
 * resets the compressor after each message. NULL when out of memory or unavailable.
 */
tt__deflater *tt__deflater_new(int window_bits, int no_context_takeover);
void tt__deflater_free(tt__deflater *d);

/* Output room that is nearly always enough for a message of len bytes (tt__deflater_run may ask for more). */
size_t tt__deflater_bound(const tt__deflater *d, size_t len);

/* Starts compressing one whole message of len > 0 bytes; data must stay valid until the message is done. */
void tt__deflater_begin(tt__deflater *d, const void *data, size_t len);

/*
 * Compresses into out[0..cap) and sets *written. Returns 0 when the message is complete (its output then
 * ends with the 00 00 ff ff of the Z_SYNC_FLUSH, which the caller removes, RFC 7692 section 7.2.1), 1 when
 * out is full (call again with more room), or TT_EINVAL if zlib refuses (a bug).
 */
int tt__deflater_run(tt__deflater *d, uint8_t *out, size_t cap, size_t *written);

/*
 * Forgets the history, as if new. Always safe for the peer (we only stop referring to old bytes): used
 * after a message could not be queued, so that no later message refers to bytes the peer never got.
 */
void tt__deflater_reset(tt__deflater *d);

/* Bytes held by the compressor (its zlib state included). */
size_t tt__deflater_memory(const tt__deflater *d);

/*
 * A decompressor for messages we receive. window_bits is the negotiated server_max_window_bits (8-15;
 * raw inflate accepts 8). no_context_takeover resets it at every tt__inflater_end_message().
 */
tt__inflater *tt__inflater_new(int window_bits, int no_context_takeover);
void tt__inflater_free(tt__inflater *f);

/*
 * Inflates in[0..in_len) into out[0..cap); *used and *produced say how much was taken and written.
 * Returns 0 when all input was taken and there was room left (nothing is pending), 1 when out filled up
 * (call again with more room and the rest of the input, possibly none), TT_EFRAME for data that is not
 * valid DEFLATE (or refers back further than the window), TT_ENOMEM. A final block (BFINAL) ends the
 * stream: the inflater then starts over with the bytes after it, as Chromium's does.
 */
int tt__inflater_run(tt__inflater *f, const uint8_t *in, size_t in_len, size_t *used, uint8_t *out, size_t cap,
                     size_t *produced);

/* The message is complete (its 00 00 ff ff tail was fed); resets under no_context_takeover. */
void tt__inflater_end_message(tt__inflater *f);

/* Bytes held by the decompressor (its zlib state and window included). */
size_t tt__inflater_memory(const tt__inflater *f);

#endif
