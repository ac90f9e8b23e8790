/*
 * The conformance echo client: what Autobahn|Testsuite's client mode expects of a client under test, using
 * only the public API. It connects to <base>/runCase?case=<n>&agent=<agent>, sends every text or binary
 * message straight back with the same type, never closes by itself (the library answers the server's
 * Close), and after onClose prints one line and exits:
 *
 *   summary case=<n> open=<0|1> messages=<k> echo_fail=<k> error=<0|1> close=<code> clean=<0|1> reason=<r> detail=<d>
 *
 * (reason and detail escaped: bytes below 0x20, 0x7f, '\' and ' ' as \xHH). If onClose does not come within
 * the deadline it prints "summary case=<n> ... deadline=1" instead.
 *
 *   echo_client <ws://127.0.0.1:port> <case> [agent] [deadline_ms]
 *
 * TT_ECHO_BREAK (native only) makes a deliberately broken client, to see run.mjs's checks of the game's side
 * fail: "exit" exits 3, "summary" prints no summary, "code" reports every close code one too high.
 *
 * The same file is built natively and with Emscripten (tests/conformance/CMakeLists.txt); in the browser
 * the page calls main through callMain and the event loop delivers the callbacks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ttsocket.h"

#ifdef __EMSCRIPTEN__
#    include <emscripten/emscripten.h>
#else
#    include <time.h>
#endif

static int case_no, opened, errored, done, deadline_ms = 60000;
static const char *broken = ""; /* TT_ECHO_BREAK */
static unsigned long messages, echo_failures;
static char detail[256];

static void put_escaped(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c == 0x7f || c == '\\') printf("\\x%02x", c);
        else putchar(c);
    }
}

static void finish(void) {
#ifdef __EMSCRIPTEN__
    emscripten_force_exit(0);
#endif
}

static void on_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    (void)t, (void)e, (void)ud;
    opened = 1;
}

static void on_send_fail(const tt_result *r, void *ud) {
    (void)r, (void)ud;
    echo_failures++;
}

static void on_message(tt_socket_task t, const tt_message_event *e, void *ud) {
    (void)ud;
    messages++;
    tt_send_options o = {0};
    o.type = e->type;
    o.data = e->data;
    o.length = e->length;
    o.fail = on_send_fail;
    tt_socket_task_send(t, &o);
}

static void on_error(tt_socket_task t, const tt_error_event *e, void *ud) {
    (void)t, (void)ud;
    errored = 1;
    snprintf(detail, sizeof detail, "%s", e->detail ? e->detail : "");
}

static void print_summary(int code, const char *reason, int clean, int deadline) {
    if (strcmp(broken, "summary") == 0) return;
    if (strcmp(broken, "code") == 0) code++;
    printf("summary case=%d open=%d messages=%lu echo_fail=%lu error=%d close=%d clean=%d reason=", case_no, opened,
           messages, echo_failures, errored, code, clean);
    put_escaped(reason, strlen(reason));
    fputs(" detail=", stdout);
    put_escaped(detail, strlen(detail));
    if (deadline) fputs(" deadline=1", stdout);
    putchar('\n');
    fflush(stdout);
}

static void on_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    (void)t, (void)ud;
    if (done) return;
    done = 1;
    print_summary(e->code, e->reason ? e->reason : "", e->was_clean, 0);
    finish();
}

#ifdef __EMSCRIPTEN__
static void on_deadline(void *ud) {
    (void)ud;
    if (done) return;
    done = 1;
    print_summary(-1, "", 0, 1);
    finish();
}
#else
static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
#endif

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: echo_client <ws://host:port> <case> [agent] [deadline_ms]\n");
        return 2;
    }
    case_no = atoi(argv[2]);
#ifndef __EMSCRIPTEN__
    if (getenv("TT_ECHO_BREAK")) broken = getenv("TT_ECHO_BREAK");
#endif
    const char *agent = argc > 3 ? argv[3] : "ttsocket";
    if (argc > 4) deadline_ms = atoi(argv[4]);
    char url[512];
    snprintf(url, sizeof url, "%s/runCase?case=%d&agent=%s", argv[1], case_no, agent);

    tt_runtime_config cfg = {0};
    cfg.skip_domain_check = 1;
    if (tt_runtime_configure(&cfg) != 0) {
        fprintf(stderr, "echo_client: tt_runtime_configure failed\n");
        return 2;
    }
    tt_connect_socket_options o = {0};
    o.url = url;
    tt_socket_task task = tt_connect_socket(&o);
    if (task.id == 0) {
        fprintf(stderr, "echo_client: tt_connect_socket refused %s\n", url);
        return 2;
    }
    tt_socket_task_on_open(task, on_open, NULL);
    tt_socket_task_on_message(task, on_message, NULL);
    tt_socket_task_on_error(task, on_error, NULL);
    tt_socket_task_on_close(task, on_close, NULL);

#ifdef __EMSCRIPTEN__
    emscripten_async_call(on_deadline, NULL, deadline_ms);
    emscripten_exit_with_live_runtime();
    return 0;
#else
    long long end = now_ms() + deadline_ms;
    while (!done) {
        long long left = end - now_ms();
        if (left <= 0) {
            done = 1;
            print_summary(-1, "", 0, 1);
            break;
        }
        int n = tt_runtime_poll(left > 100 ? 100 : (int)left);
        if (n < 0 && n != TT_ETIMEOUT) {
            fprintf(stderr, "echo_client: tt_runtime_poll: %s\n", tt_strerror(n));
            break;
        }
    }
    tt_runtime_shutdown();
    return strcmp(broken, "exit") == 0 ? 3 : 0;
#endif
}
