/*
 * What ttbots prints: a progress line a second on stderr, and at the end a table (or one JSON object, with
 * --json) on stdout: connect times, messages, round-trip percentiles, CPU per message, errors by errMsg.
 */
#include "bots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int room_players(const bots_run *r) {
    uint32_t most = 0;
    for (int i = 0; i < r->bots; i++)
        if (r->bot[i].client.room_players > most) most = r->bot[i].client.room_players;
    return (int)most;
}

void report_progress(bots_run *r, double now, uint64_t sent_delta, uint64_t recv_delta, double interval_s) {
    histogram *h = &r->rtt_interval;
    double t = (now - r->t0) / 1000.0, out = sent_delta / interval_s, in = recv_delta / interval_s;
    double p50 = hist_quantile(h, 0.5), p99 = hist_quantile(h, 0.99);
    if (r->json) {
        fprintf(stderr,
                "{\"progress\":true,\"t_s\":%.1f,\"open\":%d,\"bots\":%d,\"out_per_s\":%.0f,\"in_per_s\":%.0f,"
                "\"rtt_p50_ms\":%.3f,\"rtt_p99_ms\":%.3f,\"rtt_count\":%llu,\"room_players\":%d,\"errors\":%llu}\n",
                t, r->open, r->bots, out, in, p50, p99, (unsigned long long)h->count, room_players(r),
                (unsigned long long)r->problems);
    } else if (!r->quiet) {
        fprintf(stderr,
                "%sttbots %5.1f s  open %d/%d  out %.0f/s  in %.0f/s  rtt p50 %.2f ms p99 %.2f ms  room %d  "
                "errors %llu%s",
                isatty(2) ? "\r" : "", t, r->open, r->bots, out, in, p50, p99, room_players(r),
                (unsigned long long)r->problems, isatty(2) ? "   " : "\n");
    }
    hist_merge(&r->rtt_total, h);
    memset(h, 0, sizeof *h);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct summary {
    int connected;
    double connect_p50, connect_p99, connect_max, all_open_s;
    long max_rss_kb;
    double secs, cpu_s, steady_secs, steady_cpu_s, cpu_us_per_msg;
    uint64_t steady_msgs;
} summary;

static double quantile_sorted(const double *v, int n, double q) { return n ? v[(int)(q * (n - 1))] : 0; }

static void summarize(const bots_run *r, summary *s) {
    double *c = malloc(sizeof *c * (size_t)r->bots);
    s->connected = 0;
    for (int i = 0; c && i < r->bots; i++)
        if (r->bot[i].connect_ms >= 0) c[s->connected++] = r->bot[i].connect_ms;
    if (c) qsort(c, (size_t)s->connected, sizeof *c, cmp_double);
    s->connect_p50 = c ? quantile_sorted(c, s->connected, 0.5) : 0;
    s->connect_p99 = c ? quantile_sorted(c, s->connected, 0.99) : 0;
    s->connect_max = c && s->connected ? c[s->connected - 1] : 0;
    free(c);
    s->all_open_s = r->at_all_open.at > 0 ? (r->at_all_open.at - r->t0) / 1000.0 : -1;
    s->secs = (r->at_end.at - r->t0) / 1000.0;
    s->cpu_s = bots_cpu_seconds();
    struct rusage ru;
    s->max_rss_kb = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
    /* CPU per message in the steady state (every bot open, sending): connects and closes left out. */
    const bots_mark *a = &r->at_all_open, *b = &r->at_end;
    int steady = a->at > 0 && b->at > a->at;
    s->steady_secs = steady ? (b->at - a->at) / 1000.0 : 0;
    s->steady_cpu_s = steady ? b->cpu_s - a->cpu_s : 0;
    s->steady_msgs = steady ? (b->sent - a->sent) + (b->received - a->received) : 0;
    s->cpu_us_per_msg = s->steady_msgs ? s->steady_cpu_s / s->steady_msgs * 1e6 : 0;
}

static void json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') printf("\\%c", ch);
        else if (ch < 0x20) printf("\\u%04x", ch);
        else putchar(ch);
    }
    putchar('"');
}

static void final_json(const bots_run *r, const summary *s) {
    const histogram *h = &r->rtt_total;
    const bots_mark *e = &r->at_end;
    printf("{\"bots\":%d,\"url\":", r->bots);
    json_string(r->url);
    printf(",\"rate_hz\":%g,\"secs\":%.3f,\"connected\":%d,\"all_open_s\":%.3f,"
           "\"connect_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
           "\"sent\":%llu,\"received\":%llu,\"sent_per_s\":%.1f,\"received_per_s\":%.1f,"
           "\"rtt_ms\":{\"count\":%llu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
           "\"cpu_s\":%.3f,\"steady\":{\"secs\":%.3f,\"msgs\":%llu,\"cpu_s\":%.3f,\"cpu_us_per_msg\":%.3f},"
           "\"max_rss_kb\":%ld,\"fd_limit\":%ld,\"errors\":{",
           r->rate_hz, s->secs, s->connected, s->all_open_s, s->connect_p50, s->connect_p99, s->connect_max,
           (unsigned long long)e->sent, (unsigned long long)e->received, e->sent / s->secs, e->received / s->secs,
           (unsigned long long)h->count, hist_quantile(h, 0.5), hist_quantile(h, 0.9), hist_quantile(h, 0.99),
           h->max_ms, s->cpu_s, s->steady_secs, (unsigned long long)s->steady_msgs, s->steady_cpu_s, s->cpu_us_per_msg,
           s->max_rss_kb, r->fd_limit);
    for (int i = 0; i < r->error_kinds; i++) {
        printf(i ? "," : "");
        json_string(r->errors[i].what);
        printf(":%llu", (unsigned long long)r->errors[i].count);
    }
    if (r->errors_other)
        printf("%s\"(other kinds)\":%llu", r->error_kinds ? "," : "", (unsigned long long)r->errors_other);
    printf("}}\n");
}

static void final_table(const bots_run *r, const summary *s) {
    const histogram *h = &r->rtt_total;
    const bots_mark *e = &r->at_end;
    printf("ttbots: %d bot(s) -> %s, %.1f s, %g position(s)/s each\n", r->bots, r->url, s->secs, r->rate_hz);
    printf("  %-14s %d of %d", "connected", s->connected, r->bots);
    if (s->all_open_s >= 0) printf(" (all open after %.2f s)", s->all_open_s);
    if (s->connected)
        printf("\n  %-14s p50 %.2f ms   p99 %.2f ms   max %.2f ms\n", "connect time", s->connect_p50, s->connect_p99,
               s->connect_max);
    else printf("\n  %-14s -\n", "connect time");
    printf("  %-14s sent %llu (%.0f/s)   received %llu (%.0f/s)\n", "messages", (unsigned long long)e->sent,
           e->sent / s->secs, (unsigned long long)e->received, e->received / s->secs);
    if (h->count)
        printf("  %-14s p50 %.2f ms   p90 %.2f ms   p99 %.2f ms   max %.2f ms   (%llu timed)\n", "round trip",
               hist_quantile(h, 0.5), hist_quantile(h, 0.9), hist_quantile(h, 0.99), h->max_ms,
               (unsigned long long)h->count);
    else printf("  %-14s -\n", "round trip");
    printf("  %-14s %.2f s in all", "cpu", s->cpu_s);
    if (s->steady_msgs) printf("; %.2f us per message with every bot open", s->cpu_us_per_msg);
    printf("; peak RSS %.1f MB\n", s->max_rss_kb / 1024.0);
    if (r->fd_note[0]) printf("  %-14s %s\n", "fd limit", r->fd_note);
    if (!r->error_kinds) printf("  %-14s none\n", "errors");
    for (int i = 0; i < r->error_kinds; i++)
        printf("  %-14s %8llu  %s\n", i ? "" : "errors", (unsigned long long)r->errors[i].count, r->errors[i].what);
    if (r->errors_other) printf("  %-14s %8llu  (other kinds)\n", "", (unsigned long long)r->errors_other);
}

void report_final(bots_run *r) {
    summary s;
    summarize(r, &s);
    if (!r->json && !r->quiet && isatty(2)) fprintf(stderr, "\n");
    if (r->json) final_json(r, &s);
    else final_table(r, &s);
    fflush(stdout);
}
