/* The one growable byte buffer (see buf.h for its layout and growth policy). */
#include <string.h>

#include "buf.h"
#include "tt_internal.h"

int tt__buf_grow(tt__buf *b, size_t min_cap, size_t max_cap) {
    if (min_cap <= b->cap) return 0;
    size_t cap = b->cap > SIZE_MAX / 2 ? SIZE_MAX : b->cap * 2;
    if (cap > max_cap) cap = max_cap;
    if (cap < min_cap) cap = min_cap;
    uint8_t *p = tt__realloc(b->data, cap);
    if (p == NULL) return TT_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int tt__buf_reserve_slow(tt__buf *b, size_t extra) {
    if (extra > SIZE_MAX / 2 - b->len) return TT_ENOMEM; /* a count that large is a bug, not a request */
    if (b->pos > 0) { /* the consumed front is free room: use it before asking for more */
        memmove(b->data, b->data + b->pos, b->len - b->pos);
        b->len -= b->pos;
        b->pos = 0;
        if (extra <= b->cap - b->len) return 0;
    }
    size_t need = b->len + extra;
    return tt__buf_grow(b, need > TT__BUF_FIRST ? need : TT__BUF_FIRST, SIZE_MAX);
}

int tt__buf_append(tt__buf *b, const void *p, size_t n) {
    if (n == 0) return 0;
    if (tt__buf_reserve(b, n)) return TT_ENOMEM;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void tt__buf_free(tt__buf *b) {
    tt__free(b->data);
    b->data = NULL;
    b->pos = b->len = b->cap = 0;
}
