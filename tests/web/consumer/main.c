/* A user program built against the installed web package (pkg-config or find_package): one echo. */
#include <stdio.h>
#include <string.h>

#include <emscripten/emscripten.h>

#include "ttsocket.h"

static void on_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    (void)e;
    (void)ud;
    tt_send_options o = {0};
    o.type = TT_DATA_TEXT;
    o.data = "installed";
    o.length = 9;
    tt_socket_task_send(t, &o);
}
static void on_message(tt_socket_task t, const tt_message_event *m, void *ud) {
    (void)ud;
    printf("echo %.*s\n", (int)m->length, (const char *)m->data);
    tt_socket_task_close(t, NULL);
}
static void on_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    (void)t;
    (void)ud;
    printf("close %d\n", e->code);
    emscripten_force_exit(0);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    tt_runtime_config cfg = {0};
    cfg.skip_domain_check = 1;
    tt_runtime_configure(&cfg);
    tt_connect_socket_options o = {0};
    o.url = argv[1];
    tt_socket_task t = tt_connect_socket(&o);
    tt_socket_task_on_open(t, on_open, NULL);
    tt_socket_task_on_message(t, on_message, NULL);
    tt_socket_task_on_close(t, on_close, NULL);
    printf("ttsocket %s\n", tt_version());
    emscripten_exit_with_live_runtime();
    return 0;
}
