/*
 * A game whose main() only starts a task and returns, as a web game may: the live task must keep the
 * runtime alive until its onClose has been delivered (tests/web/lifetime.test.mjs runs it under Node,
 * built with the README's Node flags, where the process exits once nothing keeps the runtime alive).
 *
 *   lifetime echo <url>      connect, send "one", a 3-byte binary message and "three", each after the
 *                            previous echo, then close with 4000 "done"
 *   lifetime refused <url>   the URL is refused (not wss, no development mode): its fail callback only;
 *                            tt_runtime_poll(-1) says TT_EIDLE before, delivers the fail, then TT_EIDLE
 *
 * Every callback prints one line; the test compares the whole output.
 */
#include <stdio.h>
#include <string.h>

#include <ttsocket.h>

static int echoes;

static void on_result(const tt_result *r, void *ud) { printf("%s %s\n", (const char *)ud, r->err_msg); }

static void send_step(tt_socket_task t) {
    static const unsigned char bytes[3] = {1, 2, 250};
    tt_send_options s = {0};
    if (echoes == 1) {
        s.type = TT_DATA_BINARY;
        s.data = bytes;
        s.length = sizeof bytes;
    } else {
        s.type = TT_DATA_TEXT;
        s.data = echoes == 0 ? "one" : "three";
        s.length = strlen(s.data);
    }
    s.success = on_result;
    s.fail = on_result;
    s.user_data = "send";
    tt_socket_task_send(t, &s);
}

static void on_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    (void)e;
    (void)ud;
    printf("open\n");
    send_step(t);
}

static void on_message(tt_socket_task t, const tt_message_event *e, void *ud) {
    (void)ud;
    if (e->type == TT_DATA_TEXT) printf("message text %.*s\n", (int)e->length, (const char *)e->data);
    else printf("message binary %zu\n", e->length);
    if (++echoes < 3) {
        send_step(t);
        return;
    }
    tt_close_options c = {0};
    c.code = 4000;
    c.reason = "done";
    c.success = on_result;
    c.fail = on_result;
    c.user_data = "close";
    tt_socket_task_close(t, &c);
}

static void on_error(tt_socket_task t, const tt_error_event *e, void *ud) {
    (void)t;
    (void)ud;
    printf("error %s (%s)\n", e->err_msg, e->detail);
}

static void on_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    (void)t;
    (void)ud;
    printf("onclose %d %s %s\n", e->code, e->reason, e->was_clean ? "clean" : "not-clean");
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: lifetime echo|refused <url>\n");
        return 2;
    }
    tt_runtime_config cfg = {0};
    cfg.skip_domain_check = strcmp(argv[1], "refused") != 0;
    tt_runtime_configure(&cfg);
    int refused = !cfg.skip_domain_check;
    if (refused) printf("poll before any task: %s\n", tt_strerror(tt_runtime_poll(-1)));
    tt_connect_socket_options o = {0};
    o.url = argv[2];
    o.success = on_result;
    o.fail = on_result;
    o.user_data = "connect";
    tt_socket_task t = tt_connect_socket(&o);
    tt_socket_task_on_open(t, on_open, NULL);
    tt_socket_task_on_message(t, on_message, NULL);
    tt_socket_task_on_error(t, on_error, NULL);
    tt_socket_task_on_close(t, on_close, NULL);
    if (refused) {
        int n = tt_runtime_poll(-1);
        printf("poll delivered %d\n", n);
        printf("poll after: %s\n", tt_strerror(tt_runtime_poll(-1)));
    }
    printf("main returns\n");
    return 0;
}
