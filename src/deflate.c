/*
 * permessage-deflate over the system zlib (RFC 7692 section 7): raw DEFLATE (negative windowBits), a
 * Z_SYNC_FLUSH at the end of every message we send, and an inflater fed each received message followed
 * by 00 00 ff ff. The parameters match Chromium's WebSocketDeflater / WebSocketInflater: level
 * Z_DEFAULT_COMPRESSION, memLevel 8, Z_DEFAULT_STRATEGY, a compression window of at least 9 bits.
 *
 * zlib's uInt counters are 32 bits wide: larger buffers are handed over in slices.
 */
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <zlib.h>

#include "deflate.h"
#include "tt_internal.h"

/* ---- zlib's allocations through our door, counted ------------------------------------------------ */

/* A block remembers its size so that z_free can keep the count; the union keeps the payload aligned. */
typedef union z_block {
    size_t size;
    max_align_t align;
} z_block;

static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
    size_t *count = opaque;
    if (size && items > (SIZE_MAX - sizeof(z_block)) / size) return Z_NULL;
    size_t n = (size_t)items * size;
    z_block *b = tt__malloc(sizeof *b + n);
    if (b == NULL) return Z_NULL;
    b->size = n;
    *count += sizeof *b + n;
    return b + 1;
}

static void z_free(voidpf opaque, voidpf p) {
    if (p == NULL) return;
    z_block *b = (z_block *)p - 1;
    *(size_t *)opaque -= sizeof *b + b->size;
    tt__free(b);
}

static uInt z_slice(size_t n) { return n > UINT_MAX ? UINT_MAX : (uInt)n; }

int tt__deflate_available(void) { return 1; }

/* ---- Compressor -------------------------------------------------------------------------------- */

struct tt__deflater {
    z_stream z;
    size_t zbytes; /* bytes zlib holds through z_alloc */
    int no_context_takeover;
    const uint8_t *in;
    size_t in_left;
};

tt__deflater *tt__deflater_new(int window_bits, int no_context_takeover) {
    if (window_bits < 8 || window_bits > 15) return NULL;
    tt__deflater *d = tt__calloc(1, sizeof *d);
    if (d == NULL) return NULL;
    d->no_context_takeover = no_context_takeover;
    d->z.zalloc = z_alloc;
    d->z.zfree = z_free;
    d->z.opaque = &d->zbytes;
    /* zlib refuses raw windowBits 8 since 1.2.9: compress with 9, as Chromium does (see deflate.h). */
    int bits = window_bits < 9 ? 9 : window_bits;
    if (deflateInit2(&d->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        tt__free(d); /* deflateInit2 frees what it got before failing */
        return NULL;
    }
    return d;
}

void tt__deflater_free(tt__deflater *d) {
    if (d == NULL) return;
    deflateEnd(&d->z);
    tt__free(d);
}

size_t tt__deflater_bound(const tt__deflater *d, size_t len) {
    /* deflateBound covers a Z_FINISH; the sync flush adds at most an empty stored block, and the room
     * kept free at the flush (see tt__deflater_run) a few bytes more. */
    uLong b = deflateBound((z_streamp)&d->z, (uLong)z_slice(len));
    size_t extra = len - z_slice(len); /* beyond 4 GiB: stored blocks cost 5 bytes per 64 KiB */
    return (size_t)b + extra + extra / 8192 + 32;
}

void tt__deflater_begin(tt__deflater *d, const void *data, size_t len) {
    d->in = data;
    d->in_left = len;
}

int tt__deflater_run(tt__deflater *d, uint8_t *out, size_t cap, size_t *written) {
    size_t total = 0;
    for (;;) {
        uInt in_n = z_slice(d->in_left);
        int last = in_n == d->in_left;
        uInt out_n = z_slice(cap - total);
        /* zlib asks for more than six free bytes at a flush, else it may repeat the flush marker. */
        if (out_n == 0 || (last && out_n < 8)) break;
        d->z.next_in = (Bytef *)(uintptr_t)d->in;
        d->z.avail_in = in_n;
        d->z.next_out = out + total;
        d->z.avail_out = out_n;
        int rc = deflate(&d->z, last ? Z_SYNC_FLUSH : Z_NO_FLUSH);
        size_t took = in_n - d->z.avail_in, made = out_n - d->z.avail_out;
        d->in += took;
        d->in_left -= took;
        total += made;
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            *written = total;
            return TT_EINVAL;
        }
        if (last && d->in_left == 0 && d->z.avail_out != 0) { /* the flush is complete */
            *written = total;
            d->in = NULL;
            if (d->no_context_takeover) deflateReset(&d->z);
            return 0;
        }
        if (took == 0 && made == 0 && d->z.avail_out != 0) { /* no progress with room left: a bug */
            *written = total;
            return TT_EINVAL;
        }
    }
    *written = total;
    return 1;
}

void tt__deflater_reset(tt__deflater *d) {
    d->in = NULL;
    d->in_left = 0;
    deflateReset(&d->z);
}

size_t tt__deflater_memory(const tt__deflater *d) { return d ? sizeof *d + d->zbytes : 0; }

/* ---- Decompressor ------------------------------------------------------------------------------ */

struct tt__inflater {
    z_stream z;
    size_t zbytes;
    int no_context_takeover;
};

tt__inflater *tt__inflater_new(int window_bits, int no_context_takeover) {
    if (window_bits < 8 || window_bits > 15) return NULL;
    tt__inflater *f = tt__calloc(1, sizeof *f);
    if (f == NULL) return NULL;
    f->no_context_takeover = no_context_takeover;
    f->z.zalloc = z_alloc;
    f->z.zfree = z_free;
    f->z.opaque = &f->zbytes;
    /* Raw inflate takes 8..15; its window is allocated by inflate() on the first output. */
    if (inflateInit2(&f->z, -window_bits) != Z_OK) {
        tt__free(f);
        return NULL;
    }
    return f;
}

void tt__inflater_free(tt__inflater *f) {
    if (f == NULL) return;
    inflateEnd(&f->z);
    tt__free(f);
}

int tt__inflater_run(tt__inflater *f, const uint8_t *in, size_t in_len, size_t *used, uint8_t *out, size_t cap,
                     size_t *produced) {
    size_t u = 0, p = 0;
    int rc = 0;
    for (;;) {
        uInt in_n = z_slice(in_len - u), out_n = z_slice(cap - p);
        if (out_n == 0) {
            rc = 1;
            break;
        }
        f->z.next_in = (Bytef *)(uintptr_t)(in + u);
        f->z.avail_in = in_n;
        f->z.next_out = out + p;
        f->z.avail_out = out_n;
        int zr = inflate(&f->z, Z_SYNC_FLUSH);
        size_t took = in_n - f->z.avail_in, made = out_n - f->z.avail_out;
        u += took;
        p += made;
        if (zr == Z_STREAM_END) { /* a final block: what follows starts a new stream (Chromium resets too) */
            inflateReset(&f->z);
            continue;
        }
        if (zr == Z_MEM_ERROR) {
            rc = TT_ENOMEM;
            break;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) { /* Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR */
            rc = TT_EFRAME;
            break;
        }
        if (f->z.avail_out == 0) continue; /* full: the top of the loop reports it (or takes the next slice) */
        if (u == in_len) break;            /* all taken, room left: nothing pending */
        if (took == 0 && made == 0) {      /* stalled with input and room: cannot happen with valid state */
            rc = TT_EFRAME;
            break;
        }
    }
    *used = u;
    *produced = p;
    return rc;
}

void tt__inflater_end_message(tt__inflater *f) {
    if (f->no_context_takeover) inflateReset(&f->z);
}

size_t tt__inflater_memory(const tt__inflater *f) { return f ? sizeof *f + f->zbytes : 0; }
