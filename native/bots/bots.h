/*
 * ttbots: native players of the demo game (web/demo/game.c), and the load tool built from them.
 * bots.c runs the bots; report.c prints the progress lines and the final table or JSON.
 */
#ifndef TT_BOTS_H
#define TT_BOTS_H

#include <stdint.h>

#include "game.h"
#include "histogram.h"

#define BOTS_MAX_ERROR_KINDS 16

typedef struct bot {
    game_client client;
    double x, y, vx, vy; /* position and velocity in field units (per second) */
    double moved_at;     /* ms, when x/y were last advanced */
    double started_at;   /* ms, tt_connect_socket() */
    double connect_ms;   /* time to onOpen, or -1 */
    int bad_sent;        /* --bad: the bad message has been sent */
    uint32_t rng;        /* its own random sequence, from --seed */
} bot;

typedef struct error_kind {
    char what[96];
    uint64_t count;
} error_kind;

/* Counters at one moment, to measure the steady state between two of them. */
typedef struct bots_mark {
    double at;    /* ms; 0 = never reached */
    double cpu_s; /* user + system CPU of the process so far */
    uint64_t sent, received;
} bots_mark;

/* Everything the report needs: the options, the counters and the histograms. */
typedef struct bots_run {
    /* options */
    int bots;
    double duration_s;
    double hold_s; /* > 0: end this long after every bot opened */
    int wait_all;  /* nobody sends before every bot is open */
    const char *url;
    double rate_hz;
    int json;
    int quiet;
    const char *protocol;
    const char *bad; /* NULL, "text", "oversized" or "malformed" */
    unsigned seed;
    int connect_timeout_ms;

    /* state */
    bot *bot;
    double t0; /* ms, start */
    int open, ever_open, closed;
    uint64_t sent, received; /* sums refreshed by bots_count() */
    uint64_t problems;
    error_kind errors[BOTS_MAX_ERROR_KINDS];
    int error_kinds;
    uint64_t errors_other; /* kinds beyond BOTS_MAX_ERROR_KINDS */
    histogram rtt_total, rtt_interval;
    long fd_limit;         /* RLIMIT_NOFILE after raising it */
    char fd_note[160];     /* set when the limit is below what the bots need */
    bots_mark at_all_open; /* when the last bot opened */
    bots_mark at_end;      /* when the run stopped sending */
} bots_run;

double bots_now_ms(void);
void bots_count(bots_run *r);
double bots_cpu_seconds(void);
void bots_snapshot(bots_run *r, bots_mark *m);

void report_progress(bots_run *r, double now, uint64_t sent_delta, uint64_t recv_delta, double interval_s);
void report_final(bots_run *r);

#endif
