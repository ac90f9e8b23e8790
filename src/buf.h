/*
 * The one growable byte buffer of the library, after nghttp2's nghttp2_buf: one allocation and three
 * offsets, so that bytes are appended at one end and consumed from the other without a copy per step.
 *
 *     data[0 .. pos)     consumed: given back to the front of the buffer by the next compaction
 *     data[pos .. len)   pending: appended and not yet consumed
 *     data[len .. cap)   room: where the next bytes go
 *
 * A zeroed tt__buf is an empty buffer that holds no memory. Growth has one policy, tt__buf_grow(): the
 * capacity doubles (so appending n bytes costs O(n) in all), never below what the caller needs, and never
 * past a bound the caller may set. tt__buf_reserve() first moves the pending bytes to the front when that
 * is needed, so a buffer that is written and drained in turn stops growing. Capacities are in
 * bytes; a buffer of records (the session's output spans) reserves and consumes whole records.
 */
#ifndef TT_BUF_H
#define TT_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct tt__buf {
    uint8_t *data; /* NULL while the buffer holds no memory */
    size_t pos;    /* the first pending byte */
    size_t len;    /* one past the last pending byte */
    size_t cap;    /* bytes allocated */
} tt__buf;

/* The capacity a first tt__buf_reserve() gives at least. */
#define TT__BUF_FIRST 256u

static inline uint8_t *tt__buf_head(const tt__buf *b) { return b->data + b->pos; }
static inline uint8_t *tt__buf_tail(const tt__buf *b) { return b->data + b->len; }
static inline size_t tt__buf_pending(const tt__buf *b) { return b->len - b->pos; }
static inline size_t tt__buf_room(const tt__buf *b) { return b->cap - b->len; }

/*
 * Grows the capacity to at least min_cap: twice the current capacity, or min_cap when that is more, but
 * not past max_cap unless min_cap itself is past it. Every byte of the old capacity keeps its offset, also
 * bytes written beyond len that are not yet counted. Does nothing when the capacity is min_cap already.
 * Returns 0, or TT_ENOMEM with the buffer unchanged.
 */
int tt__buf_grow(tt__buf *b, size_t min_cap, size_t max_cap);

/* The slow half of tt__buf_reserve(). */
int tt__buf_reserve_slow(tt__buf *b, size_t extra);

/*
 * Makes room for `extra` more bytes at tt__buf_tail(). When there is not room already, the pending bytes
 * first move to offset 0 (pointers into the buffer and bytes past len are stale afterwards), then the
 * buffer grows (to TT__BUF_FIRST at least) if that was not enough. Returns 0, or TT_ENOMEM with the
 * pending bytes unchanged (perhaps moved).
 */
static inline int tt__buf_reserve(tt__buf *b, size_t extra) {
    return extra <= b->cap - b->len ? 0 : tt__buf_reserve_slow(b, extra);
}

/* Appends n bytes (reserving room first). Returns 0, or TT_ENOMEM with nothing appended. */
int tt__buf_append(tt__buf *b, const void *p, size_t n);

/* The first n pending bytes (at most all of them) were used. Once none is pending, pos and len go back to 0,
 * so a drained buffer takes new bytes from its start without a compaction; the memory stays. */
static inline void tt__buf_consume(tt__buf *b, size_t n) {
    size_t pending = b->len - b->pos;
    if (n >= pending) b->pos = b->len = 0;
    else b->pos += n;
}

/* Gives the memory back: the buffer is empty and holds nothing. */
void tt__buf_free(tt__buf *b);

#endif
