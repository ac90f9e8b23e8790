/*
 * A C++ game built with exceptions whose onMessage throws (tests/web/browser.test.mjs runs it in
 * Chromium). The exception is the game's bug and reaches the page as an uncaught error, as one from an
 * event listener does; the library must go on: the next message, the close and a later tt_runtime_poll
 * all work. Each callback prints one line.
 *
 *   driver_throwing <echo url>
 */
#include <cstdio>
#include <stdexcept>

#include <emscripten/emscripten.h>

#include "ttsocket.h"

static int messages;

static void send_text(tt_socket_task t, const char *s) {
    tt_send_options o = {};
    o.type = TT_DATA_TEXT;
    o.data = s;
    o.length = 1;
    tt_socket_task_send(t, &o);
}

static void on_open(tt_socket_task t, const tt_open_event *, void *) {
    std::printf("open\n");
    send_text(t, "a");
    send_text(t, "b");
}

static void on_message(tt_socket_task t, const tt_message_event *e, void *) {
    std::printf("message %.*s\n", (int)e->length, static_cast<const char *>(e->data));
    if (++messages == 1) throw std::runtime_error("a bug in the game's onMessage");
    tt_close_options c = {};
    c.code = 1000;
    c.reason = "ok";
    tt_socket_task_close(t, &c);
}

static void after_close(void *) {
    std::printf("poll(0) = %d\n", tt_runtime_poll(0));
    tt_runtime_shutdown();
    emscripten_force_exit(0);
}

static void on_close(tt_socket_task, const tt_close_event *e, void *) {
    std::printf("close %d %s\n", e->code, e->reason);
    emscripten_async_call(after_close, nullptr, 0);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    tt_runtime_config cfg = {};
    cfg.skip_domain_check = 1;
    tt_runtime_configure(&cfg);
    tt_connect_socket_options o = {};
    o.url = argv[1];
    tt_socket_task t = tt_connect_socket(&o);
    tt_socket_task_on_open(t, on_open, nullptr);
    tt_socket_task_on_message(t, on_message, nullptr);
    tt_socket_task_on_close(t, on_close, nullptr);
    emscripten_exit_with_live_runtime();
    return 0;
}
