/* The bots' latency histogram (see histogram.h). */
#include "histogram.h"

static int bucket_of(uint64_t us) {
    if (us < HIST_LINEAR) return (int)us;
    int msb = 63 - __builtin_clzll(us); /* >= 6 */
    int octave = msb - 6;
    if (octave >= HIST_OCTAVES) return HIST_BUCKETS - 1;
    int sub = (int)((us >> (msb - HIST_SUB_BITS)) & ((1 << HIST_SUB_BITS) - 1));
    return HIST_LINEAR + octave * (1 << HIST_SUB_BITS) + sub;
}

/* The middle of a bucket, in microseconds. */
static double bucket_value(int b) {
    if (b < HIST_LINEAR) return b + 0.5;
    int octave = (b - HIST_LINEAR) >> HIST_SUB_BITS;
    int sub = (b - HIST_LINEAR) & ((1 << HIST_SUB_BITS) - 1);
    double width = (double)(1ull << (octave + 6 - HIST_SUB_BITS));
    return (double)(1ull << (octave + 6)) + (sub + 0.5) * width;
}

void hist_add(histogram *h, double ms) {
    if (ms < 0) ms = 0;
    h->buckets[bucket_of((uint64_t)(ms * 1000.0))]++;
    h->count++;
    if (ms > h->max_ms) h->max_ms = ms;
}

double hist_quantile(const histogram *h, double q) {
    if (h->count == 0) return 0;
    uint64_t rank = (uint64_t)(q * (double)(h->count - 1)) + 1, seen = 0;
    for (int b = 0; b < HIST_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank) {
            double v = bucket_value(b) / 1000.0;
            return v > h->max_ms ? h->max_ms : v;
        }
    }
    return h->max_ms;
}

void hist_merge(histogram *into, const histogram *from) {
    for (int b = 0; b < HIST_BUCKETS; b++) into->buckets[b] += from->buckets[b];
    into->count += from->count;
    if (from->max_ms > into->max_ms) into->max_ms = from->max_ms;
}
