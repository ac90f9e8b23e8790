/*
 * The web benchmark's C side: `count` small echo messages through the ttsocket C API (the web build,
 * i.e. the browser's WebSocket underneath), `window` of them in flight. The page calls
 * bench_start(url, count, window, size); when the last echo arrives the elapsed time from the first send
 * (after onOpen) is handed to Module.benchDone(ms), or Module.benchDone(-1) if the connection failed.
 */
#include <stdlib.h>
#include <string.h>

#include <emscripten/emscripten.h>
#include <ttsocket.h>

static int total, window_, received, sent, size_;
static double t0;
static unsigned char payload[65536];

static void report(double ms) {
    EM_ASM({ Module.benchDone($0); }, ms);
}

static void send_one(tt_socket_task t) {
    tt_send_options s;
    memset(&s, 0, sizeof s);
    s.type = TT_DATA_BINARY;
    s.data = payload;
    s.length = (size_t)size_;
    tt_socket_task_send(t, &s);
    sent++;
}

static void on_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    t0 = emscripten_get_now();
    for (int i = 0; i < window_ && sent < total; i++) send_one(t);
}

static void on_message(tt_socket_task t, const tt_message_event *e, void *ud) {
    if (++received == total) {
        report(emscripten_get_now() - t0);
        tt_socket_task_close(t, NULL);
        return;
    }
    if (sent < total) send_one(t);
}

static void on_error(tt_socket_task t, const tt_error_event *e, void *ud) {
    if (received < total) report(-1);
    received = total;
}

EMSCRIPTEN_KEEPALIVE int bench_start(const char *url, int count, int window, int size) {
    static int configured;
    if (!configured) {
        tt_runtime_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.skip_domain_check = 1;
        if (tt_runtime_configure(&cfg) != 0) return -1;
        configured = 1;
    }
    total = count;
    window_ = window < 1 ? 1 : window;
    size_ = size < 0 ? 0 : size > (int)sizeof payload ? (int)sizeof payload : size;
    memset(payload, 'a', sizeof payload);
    received = sent = 0;
    tt_connect_socket_options o;
    memset(&o, 0, sizeof o);
    o.url = url;
    tt_socket_task t = tt_connect_socket(&o);
    if (t.id == 0) return -1;
    tt_socket_task_on_open(t, on_open, NULL);
    tt_socket_task_on_message(t, on_message, NULL);
    tt_socket_task_on_error(t, on_error, NULL);
    return 0;
}
