/*
 * The sample game client of `make demo`. The same file is built natively (native/CMakeLists.txt) and
 * with Emscripten (web/CMakeLists.txt); web/demo/run-demo.mjs runs both against one echo server and
 * compares what they print, line by line.
 *
 * Three players, each one socket task:
 *   game    echoes a text, a binary and a text holding U+0000, tries an invalid close code, closes 1000;
 *   lost    connects to a port where nothing listens (connectSocket:ok, then onError + onClose 1006);
 *   late    closes while still CONNECTING (the browser fails such a connection: onError + onClose 1006).
 * Every callback prints one line "[player] ..." with the readyState it sees. Lines of different
 * players may interleave differently between runs; each player's own lines never do.
 *
 * Usage: tt_demo_client ws://127.0.0.1:PORT/echo
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ttsocket.h"

#ifdef __EMSCRIPTEN__
#    include <emscripten/emscripten.h>
#endif

typedef struct player {
    const char *name;
    tt_socket_task task;
    int echoes; /* messages received so far */
    int closed;
} player;

static player players[3] = {{"game", {0}, 0, 0}, {"lost", {0}, 0, 0}, {"late", {0}, 0, 0}};
static int finished;

static const char *state_name(tt_socket_task t) {
    static const char *const names[] = {"CONNECTING", "OPEN", "CLOSING", "CLOSED"};
    return names[tt_socket_task_ready_state(t)];
}

static void say(const player *p, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("[%s] ", p->name);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

static void on_result(const tt_result *r, void *ud) {
    player *p = ud;
    if (r->socket_task_id) say(p, "%s (socketTaskId issued)", r->err_msg);
    else say(p, "%s", r->err_msg);
}

static void send_message(player *p, tt_data_type type, const void *data, size_t length) {
    tt_send_options o = {0};
    o.type = type;
    o.data = data;
    o.length = length;
    o.success = on_result;
    o.fail = on_result;
    o.user_data = p;
    tt_socket_task_send(p->task, &o);
}

static void close_task(player *p, int code, const char *reason) {
    tt_close_options o = {0};
    o.code = code;
    o.reason = reason;
    o.success = on_result;
    o.fail = on_result;
    o.user_data = p;
    tt_socket_task_close(p->task, &o);
}

static const char hello[] = "hello from the game, \xe4\xbd\xa0\xe5\xa5\xbd";
static const char with_nul[] = {'a', '\0', 'b'};
static unsigned char blob[1024];

/* A duration in ms, or "?" where the backend cannot know it (the browser hides everything but start and open). */
static void put_span(const char *name, int64_t from, int64_t to) {
    if (from == TT_PROFILE_UNKNOWN || to == TT_PROFILE_UNKNOWN) printf(" %s=?", name);
    else printf(" %s=%lld", name, (long long)(to - from));
}

/* How the connection opened, on its own line: it differs by backend, so run-demo.mjs shows it apart. */
static void say_profile(const player *p, const tt_open_event *e) {
    const tt_open_profile *pr = e->profile;
    printf("[profile %s]", p->name);
    put_span("lookup", pr->domain_lookup_start, pr->domain_lookup_end);
    put_span("tcp", pr->connect_start, pr->tcp_connect_end);
    put_span("tls", pr->ssl_connection_start, pr->ssl_connection_end);
    put_span("handshake", pr->request_start, pr->response_end);
    put_span("total", pr->fetch_start, pr->open);
    printf(" header_fields=%zu\n", e->header_count);
    fflush(stdout);
}

static void on_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    player *p = ud;
    say_profile(p, e);
    say(p, "onOpen protocol='%s' extensions='%s' readyState=%s", e->protocol, e->extensions, state_name(t));
    send_message(p, TT_DATA_TEXT, hello, strlen(hello));
}

static unsigned checksum(const void *data, size_t n) {
    unsigned h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)data)[i]) * 16777619u;
    return h;
}

static void on_message(tt_socket_task t, const tt_message_event *e, void *ud) {
    player *p = ud;
    if (e->type == TT_DATA_TEXT && e->length < 64 && memchr(e->data, '\0', e->length) == NULL)
        say(p, "onMessage text %zu '%.*s' readyState=%s", e->length, (int)e->length, (const char *)e->data,
            state_name(t));
    else
        say(p, "onMessage %s %zu fnv=%08x readyState=%s", e->type == TT_DATA_TEXT ? "text" : "binary", e->length,
            checksum(e->data, e->length), state_name(t));
    switch (++p->echoes) {
    case 1: send_message(p, TT_DATA_BINARY, blob, sizeof blob); break;
    case 2: send_message(p, TT_DATA_TEXT, with_nul, sizeof with_nul); break;
    case 3:
        close_task(p, 1004, "not a code a game may send");
        close_task(p, 1000, "game over");
        send_message(p, TT_DATA_TEXT, "too late", 8);
        break;
    default: break;
    }
}

static void on_error(tt_socket_task t, const tt_error_event *e, void *ud) {
    /* The detail differs by build (the browser gives none), so the demo prints only the errMsg. */
    say(ud, "onError '%s' readyState=%s", e->err_msg, state_name(t));
}

static void on_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    player *p = ud;
    say(p, "onClose code=%d reason='%s' wasClean=%d readyState=%s", e->code, e->reason, e->was_clean, state_name(t));
    p->closed = 1;
    if (players[0].closed && players[1].closed && players[2].closed) {
        finished = 1;
        printf("[demo] done\n");
        fflush(stdout);
    }
}

static void start(player *p, const char *url) {
    tt_connect_socket_options o = {0};
    o.url = url;
    o.success = on_result;
    o.fail = on_result;
    o.user_data = p;
    p->task = tt_connect_socket(&o);
    tt_socket_task_on_open(p->task, on_open, p);
    tt_socket_task_on_message(p->task, on_message, p);
    tt_socket_task_on_error(p->task, on_error, p);
    tt_socket_task_on_close(p->task, on_close, p);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s ws://127.0.0.1:PORT/echo\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < sizeof blob; i++) blob[i] = (unsigned char)(i * 7);
    tt_runtime_config config = {0};
    config.skip_domain_check = 1; /* development mode: ws:// on 127.0.0.1 */
    tt_runtime_configure(&config);
    /* Which backend the connections use: "native", "browser", or a mini-game container's "tt" / "wx". */
    printf("[demo] ttsocket %s on %s\n", tt_version(), tt_runtime_backend());

    start(&players[0], argv[1]);
    send_message(&players[0], TT_DATA_TEXT, "before open", 11); /* fails: still CONNECTING */
    start(&players[1], "ws://127.0.0.1:1/nobody-listens");
    start(&players[2], argv[1]);
    close_task(&players[2], 1000, "changed my mind");

#ifdef __EMSCRIPTEN__
    /* The browser's event loop delivers every callback; main simply returns and the page lives on. */
    return 0;
#else
    /* Native: the game loop. Bounded, so a broken server cannot hang the demo. */
    for (int i = 0; i < 1000 && !finished; i++) tt_runtime_poll(20);
    tt_runtime_shutdown();
    return finished ? 0 : 1;
#endif
}
