/*
 * ttbots: native players of the demo game, and the load tool a game team points at its own room server.
 *
 * Every bot is one game_client (web/demo/game.c, the networking layer the browser page compiles too) that
 * wanders the field and sends its position --rate times a second. All bots share one thread and one
 * ttsocket runtime; sends are spread evenly over each period, so 10,000 bots at 1 Hz make a steady 10,000
 * messages a second, not a burst every second.
 *
 *   ttbots --url ws://127.0.0.1:PORT/room/NAME [--bots N] [--duration S] [--hold S] [--wait-all]
 *          [--rate HZ] [--json] [--quiet] [--protocol NAME] [--bad text|oversized|malformed] [--seed N] [--connect-timeout MS]
 *
 * Progress goes to stderr once a second; the final table (or with --json one JSON object) to stdout.
 * Exit status: 0 if every bot connected and nothing failed, 1 otherwise, 2 for bad arguments.
 */
#include "bots.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define PROGRESS_EVERY_MS 1000.0
#define POLL_MAX_WAIT_MS 20
#define STOP_GRACE_MS 5000.0
/* What a bot needs besides its socket: stdio, epoll, the resolver's pipe, and some slack. */
#define FD_RESERVE 16

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { interrupted = 1; }

double bots_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* xorshift32: each bot's wandering is reproducible from --seed. */
static uint32_t next_random(uint32_t *s) {
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}
static double random_unit(uint32_t *s) { return (next_random(s) >> 8) / (double)(1u << 24); }

static uint32_t bot_seed(const bots_run *r, int i) { return (r->seed * 2654435761u) ^ (uint32_t)(i + 1) * 40503u; }

static void turn(bot *b, uint32_t *s) {
    double angle = random_unit(s) * 2 * M_PI, speed = 60 + random_unit(s) * 80;
    b->vx = cos(angle) * speed;
    b->vy = sin(angle) * speed;
}

/* Moves b along its heading since the last step, turning now and then and bouncing off the edges. */
static void wander(bot *b, uint32_t *s, double now) {
    double dt = (now - b->moved_at) / 1000.0;
    b->moved_at = now;
    if (random_unit(s) < dt * 0.5) turn(b, s);
    b->x += b->vx * dt;
    b->y += b->vy * dt;
    if (b->x < 0 || b->x > GAME_FIELD_W - 1) b->vx = -b->vx, b->x = b->x < 0 ? 0 : GAME_FIELD_W - 1;
    if (b->y < 0 || b->y > GAME_FIELD_H - 1) b->vy = -b->vy, b->y = b->y < 0 ? 0 : GAME_FIELD_H - 1;
}

static void count_error(bots_run *r, const char *what) {
    r->problems++;
    for (int i = 0; i < r->error_kinds; i++) {
        if (strcmp(r->errors[i].what, what) == 0) {
            r->errors[i].count++;
            return;
        }
    }
    if (r->error_kinds == BOTS_MAX_ERROR_KINDS) {
        r->errors_other++;
        return;
    }
    error_kind *k = &r->errors[r->error_kinds++];
    snprintf(k->what, sizeof k->what, "%s", what);
    k->count = 1;
}

/* ---- game hooks: game_client is the first member of bot, user_data is the run ---- */
static void bot_open(game_client *c) {
    bots_run *r = c->user_data;
    bot *b = (bot *)c;
    b->connect_ms = bots_now_ms() - b->started_at;
    r->open++;
    if (++r->ever_open == r->bots) {
        bots_snapshot(r, &r->at_all_open);
    }
}
static void bot_rtt(game_client *c, double ms) {
    bots_run *r = c->user_data;
    hist_add(&r->rtt_interval, ms);
}
static void bot_problem(game_client *c, const char *what) { count_error(c->user_data, what); }
static void bot_close(game_client *c, int code, const char *reason) {
    bots_run *r = c->user_data;
    if (((bot *)c)->connect_ms >= 0) r->open--;
    r->closed++;
}

double bots_cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void bots_snapshot(bots_run *r, bots_mark *m) {
    bots_count(r);
    m->at = bots_now_ms();
    m->cpu_s = bots_cpu_seconds();
    m->sent = r->sent;
    m->received = r->received;
}

void bots_count(bots_run *r) {
    r->sent = r->received = 0;
    for (int i = 0; i < r->bots; i++) {
        r->sent += r->bot[i].client.sent;
        r->received += r->bot[i].client.received;
    }
}

/* --bad: the one message a misbehaving client sends instead of its first position. */
static void send_bad(bots_run *r, bot *b) {
    static const uint8_t oversized[GAME_MAX_CLIENT_MESSAGE * 2];
    static const uint8_t malformed[GAME_POS_SIZE] = {0x7f}; /* not a message type */
    tt_send_options o = {0};
    if (strcmp(r->bad, "text") == 0) {
        o.type = TT_DATA_TEXT;
        o.data = "where am I?";
        o.length = strlen(o.data);
    } else {
        o.type = TT_DATA_BINARY;
        o.data = strcmp(r->bad, "oversized") == 0 ? oversized : malformed;
        o.length = strcmp(r->bad, "oversized") == 0 ? sizeof oversized : sizeof malformed;
    }
    tt_socket_task_send(b->client.task, &o);
    b->client.sent++;
    b->bad_sent = 1;
}

static void send_one(bots_run *r, int i, double now) {
    bot *b = &r->bot[i];
    if (r->bad && !b->bad_sent && tt_socket_task_ready_state(b->client.task) == TT_OPEN) {
        send_bad(r, b);
        return;
    }
    wander(b, &b->rng, now);
    game_client_send_position(&b->client, (int)b->x, (int)b->y);
}

static int start_bots(bots_run *r) {
    r->bot = calloc((size_t)r->bots, sizeof *r->bot);
    if (!r->bot) return -1;
    for (int i = 0; i < r->bots; i++) {
        bot *b = &r->bot[i];
        b->rng = bot_seed(r, i) | 1; /* xorshift never leaves 0 */
        b->x = random_unit(&b->rng) * (GAME_FIELD_W - 1);
        b->y = random_unit(&b->rng) * (GAME_FIELD_H - 1);
        turn(b, &b->rng);
        b->connect_ms = -1;
        b->client.kind = GAME_KIND_BOT;
        b->client.now_ms = bots_now_ms;
        b->client.protocol = r->protocol;
        b->client.user_data = r;
        b->client.hooks = (game_hooks){bot_open, bot_rtt, bot_problem, bot_close};
        b->started_at = b->moved_at = bots_now_ms();
        game_client_start(&b->client, r->url);
    }
    return 0;
}

/*
 * The main loop: send #g goes to bot g % N at base + g * period / N; progress once a second. base is the
 * start, or with --wait-all the moment the last bot opened (until then nobody sends).
 */
static void run_bots(bots_run *r) {
    double period = 1000.0 / r->rate_hz, step = period / r->bots;
    double end = r->duration_s > 0 ? r->t0 + r->duration_s * 1000.0 : INFINITY;
    double next_progress = r->t0 + PROGRESS_EVERY_MS, last_progress = r->t0;
    uint64_t g = 0, last_sent = 0, last_recv = 0;
    for (;;) {
        double now = bots_now_ms(), all_open = r->at_all_open.at;
        if (r->hold_s > 0 && all_open > 0) end = fmin(end, all_open + r->hold_s * 1000.0);
        if (now >= end || interrupted || r->closed == r->bots) break;
        int sending = !r->wait_all || all_open > 0;
        double base = r->wait_all ? all_open : r->t0;
        if (sending && now - (base + g * step) > period) g = (uint64_t)((now - base) / step); /* fell behind: skip */
        for (; sending && base + g * step <= now; g++) send_one(r, (int)(g % (uint64_t)r->bots), now);
        if (now >= next_progress) {
            bots_count(r);
            report_progress(r, now, r->sent - last_sent, r->received - last_recv, (now - last_progress) / 1000.0);
            last_sent = r->sent, last_recv = r->received, last_progress = now;
            next_progress += PROGRESS_EVERY_MS;
        }
        double wait = fmin(sending ? base + g * step : INFINITY, next_progress) - now;
        tt_runtime_poll(wait <= 0 ? 0 : wait >= POLL_MAX_WAIT_MS ? POLL_MAX_WAIT_MS : (int)ceil(wait));
    }
    bots_snapshot(r, &r->at_end);
}

static void stop_bots(bots_run *r) {
    for (int i = 0; i < r->bots; i++) game_client_stop(&r->bot[i].client);
    double deadline = bots_now_ms() + STOP_GRACE_MS;
    while (r->closed < r->bots && bots_now_ms() < deadline) tt_runtime_poll(POLL_MAX_WAIT_MS);
    tt_runtime_shutdown(); /* whoever is left gets onError + onClose 1006 now, and is counted */
}

/* Raises the open-files limit to the hard limit; notes when even that is too low for the bots. */
static void raise_fd_limit(bots_run *r) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    r->fd_limit = rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
    if (r->fd_limit >= 0 && r->fd_limit < (long)r->bots + FD_RESERVE) {
        snprintf(r->fd_note, sizeof r->fd_note,
                 "open-files limit is %ld (hard limit): at most about %ld of %d bots can connect; raise it "
                 "(ulimit -Hn as root, LimitNOFILE=)",
                 r->fd_limit, r->fd_limit - FD_RESERVE, r->bots);
        fprintf(stderr, "ttbots: warning: %s\n", r->fd_note);
    }
}

static void usage(void) {
    fprintf(
        stderr,
        "usage: ttbots --url ws://HOST:PORT/room/NAME [--bots N] [--duration S] [--hold S] [--wait-all]\n"
        "              [--rate HZ] [--json] [--quiet] [--protocol NAME] [--bad text|oversized|malformed] [--seed N]\n"
        "              [--connect-timeout MS]\n"
        "  --bots N        players (default 8)       --duration S  seconds, 0 = until Ctrl-C (default 10)\n"
        "  --hold S        end S seconds after the last bot opened (or at --duration, if that comes first)\n"
        "  --wait-all      nobody sends until every bot is open: a connect phase, then the load\n"
        "  --rate HZ       positions per second per bot (default 5)\n"
        "  --json          progress lines and the final report as JSON\n"
        "  --protocol      offer this subprotocol instead of " GAME_SUBPROTOCOL "\n"
        "  --bad KIND      each bot sends one bad message first (to see how the server refuses it)\n");
}

static int parse_args(bots_run *r, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(a, "--json") == 0) r->json = 1, takes = 0;
        else if (strcmp(a, "--quiet") == 0) r->quiet = 1, takes = 0;
        else if (strcmp(a, "--wait-all") == 0) r->wait_all = 1, takes = 0;
        else if (!v) return -1;
        else if (strcmp(a, "--bots") == 0) r->bots = atoi(v);
        else if (strcmp(a, "--duration") == 0) r->duration_s = atof(v);
        else if (strcmp(a, "--hold") == 0) r->hold_s = atof(v);
        else if (strcmp(a, "--url") == 0) r->url = v;
        else if (strcmp(a, "--rate") == 0) r->rate_hz = atof(v);
        else if (strcmp(a, "--protocol") == 0) r->protocol = v;
        else if (strcmp(a, "--bad") == 0) r->bad = v;
        else if (strcmp(a, "--seed") == 0) r->seed = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--connect-timeout") == 0) r->connect_timeout_ms = atoi(v);
        else return -1;
        i += takes;
    }
    if (!r->url || r->bots < 1 || r->duration_s < 0 || r->hold_s < 0 || !(r->rate_hz > 0) || r->connect_timeout_ms < 0)
        return -1;
    if (r->bad && strcmp(r->bad, "text") && strcmp(r->bad, "oversized") && strcmp(r->bad, "malformed")) return -1;
    return 0;
}

int main(int argc, char **argv) {
    static bots_run run = {.bots = 8, .duration_s = 10, .rate_hz = 5, .seed = 1};
    bots_run *r = &run;
    if (parse_args(r, argc, argv) != 0) {
        usage();
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit(r);
    tt_runtime_config cfg = {0};
    cfg.skip_domain_check = 1; /* a load tool points at test servers: ws:// and any host */
    cfg.connect_timeout_ms = r->connect_timeout_ms;
    if (tt_runtime_configure(&cfg) != 0) return 1;
    r->t0 = bots_now_ms();
    if (start_bots(r) != 0) {
        fprintf(stderr, "ttbots: out of memory for %d bots\n", r->bots);
        return 1;
    }
    run_bots(r);
    hist_merge(&r->rtt_total, &r->rtt_interval);
    stop_bots(r);
    report_final(r);
    int ok = r->ever_open == r->bots && r->problems == 0;
    free(r->bot);
    return ok ? 0 : 1;
}
