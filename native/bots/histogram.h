/*
 * A latency histogram for the bots: log-linear buckets over microseconds (exact below 64 us, then 32
 * buckets per power of two, so any percentile is within about 3 %), fixed size, no allocation, O(1) add.
 */
#ifndef TT_BOTS_HISTOGRAM_H
#define TT_BOTS_HISTOGRAM_H

#include <stdint.h>

#define HIST_LINEAR 64  /* values below this many microseconds have a bucket each */
#define HIST_SUB_BITS 5 /* 2^5 = 32 buckets per power of two above that */
#define HIST_OCTAVES 32 /* up to 2^(6 + 32) us, far beyond any round trip */
#define HIST_BUCKETS (HIST_LINEAR + HIST_OCTAVES * (1 << HIST_SUB_BITS))

typedef struct histogram {
    uint64_t count;
    double max_ms;
    uint64_t buckets[HIST_BUCKETS];
} histogram;

void hist_add(histogram *h, double ms);
/* The value (ms) below which the fraction q (0..1) of the samples lie; 0 when empty. */
double hist_quantile(const histogram *h, double q);
void hist_merge(histogram *into, const histogram *from);

#endif
