/*
 * permessage-deflate unavailable: the stub linked where there is no zlib (web, wasi, TT_WITH_DEFLATE=OFF).
 * The session then never offers the extension, so none of these is reached with a live object.
 */
#include "deflate.h"
#include "tt_internal.h"

int tt__deflate_available(void) { return 0; }

tt__deflater *tt__deflater_new(int window_bits, int no_context_takeover) { return NULL; }
void tt__deflater_free(tt__deflater *d) { (void)d; }
size_t tt__deflater_bound(const tt__deflater *d, size_t len) { return len; }
void tt__deflater_begin(tt__deflater *d, const void *data, size_t len) { (void)d; }
int tt__deflater_run(tt__deflater *d, uint8_t *out, size_t cap, size_t *written) {
    *written = 0;
    return TT_EINVAL;
}
void tt__deflater_reset(tt__deflater *d) { (void)d; }
size_t tt__deflater_memory(const tt__deflater *d) { return 0; }

tt__inflater *tt__inflater_new(int window_bits, int no_context_takeover) { return NULL; }
void tt__inflater_free(tt__inflater *f) { (void)f; }
int tt__inflater_run(tt__inflater *f, const uint8_t *in, size_t in_len, size_t *used, uint8_t *out, size_t cap,
                     size_t *produced) {
    *used = *produced = 0;
    return TT_EFRAME;
}
void tt__inflater_end_message(tt__inflater *f) { (void)f; }
size_t tt__inflater_memory(const tt__inflater *f) { return 0; }
