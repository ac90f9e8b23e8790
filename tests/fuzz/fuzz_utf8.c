/*
 * Fuzz target: the incremental UTF-8 validator (src/utf8.c), checked differentially.
 *
 * Input: byte 0 says how many chunk-size bytes follow (0-15); those sizes (0 = an empty feed) are used
 * in turn to cut the rest of the input into chunks. Properties:
 * - fed in those chunks, tt__utf8_feed fails exactly in the chunk holding the first impossible byte as
 *   the reference decoder in fuzz_common.h finds it, and stays failed (also for empty feeds) after that;
 * - fed byte by byte, it fails at exactly that byte;
 * - tt__utf8_at_boundary at the end and tt__utf8_valid of the whole agree with the reference;
 * - tt__utf8_valid of every chunk on its own agrees with the reference.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "tt_internal.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t nsizes = data[0] & 15;
    if (size < 1 + nsizes) return 0;
    const uint8_t *sizes = data + 1;
    const uint8_t *p = data + 1 + nsizes;
    size_t n = size - 1 - nsizes;
    uint8_t *buf = malloc(n ? n : 1); /* exact size for ASan */
    memcpy(buf, p, n);

    ref_utf8 ref;
    memset(&ref, 0, sizeof ref);
    ref_utf8_feed(&ref, buf, n);
    int ref_valid = !ref.failed && ref.len == 0;

    /* Chunked. */
    tt__utf8 v = {0};
    size_t pos = 0, k = 0;
    int failed = 0;
    /* Sizes are used in turn; all of them at least once (so empty feeds happen), then the rest whole
     * if they are all zero. */
    for (;;) {
        size_t want;
        if (k < nsizes || (pos < n && k < nsizes + n)) want = nsizes ? sizes[k % nsizes] : n - pos;
        else if (pos < n) want = n - pos;
        else break;
        k++;
        if (want > n - pos) want = n - pos;
        int rc = tt__utf8_feed(&v, buf + pos, want);
        FUZZ_CHECK(rc == 0 || rc == TT_EUTF8, "feed returned %d", rc);
        if (failed) {
            FUZZ_CHECK(rc == TT_EUTF8, "validator recovered after failing");
        } else if (rc) {
            failed = 1;
            FUZZ_CHECK(ref.failed && ref.fail_at >= pos && ref.fail_at < pos + want,
                       "failed in chunk [%zu,%zu), reference first bad byte %zu (failed=%d)", pos, pos + want,
                       ref.failed ? ref.fail_at : (size_t)-1, ref.failed);
        } else {
            FUZZ_CHECK(!ref.failed || ref.fail_at >= pos + want, "missed bad byte %zu in chunk [%zu,%zu)", ref.fail_at,
                       pos, pos + want);
        }
        if (!failed) {
            ref_utf8 part;
            memset(&part, 0, sizeof part);
            ref_utf8_feed(&part, buf + pos, want);
            FUZZ_CHECK(tt__utf8_valid(buf + pos, want) == (!part.failed && part.len == 0), "valid() of a chunk");
        }
        pos += want;
    }
    FUZZ_CHECK(failed == ref.failed, "chunked failed=%d, reference %d", failed, ref.failed);
    if (!failed) FUZZ_CHECK(tt__utf8_at_boundary(&v) == (ref.len == 0), "boundary disagrees");
    FUZZ_CHECK(tt__utf8_feed(&v, NULL, 0) == (failed ? TT_EUTF8 : 0), "empty feed changed the verdict");

    /* Byte by byte. */
    tt__utf8 w = {0};
    for (size_t i = 0; i < n; i++) {
        int rc = tt__utf8_feed(&w, buf + i, 1);
        int should_fail = ref.failed && i >= ref.fail_at;
        FUZZ_CHECK((rc != 0) == should_fail, "byte %zu: rc %d, reference first bad byte %zu", i, rc,
                   ref.failed ? ref.fail_at : (size_t)-1);
    }

    FUZZ_CHECK(tt__utf8_valid(buf, n) == ref_valid, "valid(whole) %d, reference %d", !ref_valid, ref_valid);
    free(buf);
    return 0;
}
