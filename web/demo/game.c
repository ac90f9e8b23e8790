/*
 * The ttsocket demo mini-game: a canvas with a ping meter and a chat box, written in C against the
 * public API only. One task to the echo server; a ping every second (RTT shown as bars); chat lines
 * typed in the page are sent as text and come back through the echo.
 *
 * The page passes the server with ?ws=ws://127.0.0.1:PORT/echo (web/demo/serve.mjs prints the URL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emscripten/emscripten.h>
#include <emscripten/html5.h>

#include "ttsocket.h"

#define PING_HISTORY 40
#define CHAT_LINES 8

static tt_socket_task task;
static double rtt[PING_HISTORY];
static int rtt_count;
static char chat[CHAT_LINES][128];
static int chat_count;
static char status[128] = "connecting";
static unsigned ping_seq;
static int pong_total;

EM_JS(void, demo_get_server, (char *out, int cap), {
    var q = new URLSearchParams(location.search).get('ws');
    var def = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/echo';
    stringToUTF8(q || def, out, cap);
});

EM_JS(void, demo_draw_begin, (void), {
    var c = document.getElementById('game');
    var g = c.getContext('2d');
    g.fillStyle = '#10141c';
    g.fillRect(0, 0, c.width, c.height);
    Module.g = g;
});
EM_JS(void, demo_rect, (int x, int y, int w, int h, int rgb), {
    Module.g.fillStyle = '#' + ('00000' + rgb.toString(16)).slice(-6);
    Module.g.fillRect(x, y, w, h);
});
EM_JS(void, demo_text, (int x, int y, int rgb, const char *s), {
    Module.g.fillStyle = '#' + ('00000' + rgb.toString(16)).slice(-6);
    Module.g.font = '14px monospace';
    Module.g.fillText(UTF8ToString(s), x, y);
});
EM_JS(void, demo_publish, (double last_rtt, int ready_state, int pongs, int chat_lines), {
    // For people and for the smoke test: the latest numbers as data attributes.
    var c = document.getElementById('game');
    c.dataset.rtt = last_rtt.toFixed(1);
    c.dataset.readyState = ready_state;
    c.dataset.pongs = pongs;
    c.dataset.chat = chat_lines;
});

static void add_chat(const char *line) {
    if (chat_count == CHAT_LINES) {
        memmove(chat[0], chat[1], sizeof chat[0] * (CHAT_LINES - 1));
        chat_count--;
    }
    snprintf(chat[chat_count++], sizeof chat[0], "%s", line);
}

static EM_BOOL frame(double now, void *ud) {
    (void)now; (void)ud;
    demo_draw_begin();
    char line[160];
    snprintf(line, sizeof line, "ttsocket %s on %s  task %u  readyState %d  %s", tt_version(), tt_runtime_backend(),
             (unsigned)task.id, (int)tt_socket_task_ready_state(task), status);
    demo_text(12, 22, 0xd0d8e8, line);
    /* Ping meter: one bar per ping, height = RTT (capped at 100 ms). */
    demo_text(12, 50, 0x8fa0b8, "ping (ms)");
    for (int i = 0; i < rtt_count; i++) {
        double v = rtt[i] > 100 ? 100 : rtt[i];
        int h = 2 + (int)(v * 1.2);
        int color = rtt[i] < 20 ? 0x3ad07a : rtt[i] < 60 ? 0xe0c040 : 0xe05050;
        demo_rect(12 + i * 12, 180 - h, 9, h, color);
    }
    if (rtt_count) {
        snprintf(line, sizeof line, "last %.1f ms", rtt[rtt_count - 1]);
        demo_text(12 + PING_HISTORY * 12 + 8, 180, 0xd0d8e8, line);
    }
    demo_text(12, 212, 0x8fa0b8, "chat (echo)");
    for (int i = 0; i < chat_count; i++) demo_text(12, 236 + i * 18, 0xd0d8e8, chat[i]);
    demo_publish(rtt_count ? rtt[rtt_count - 1] : -1, (int)tt_socket_task_ready_state(task), pong_total, chat_count);
    return EM_TRUE;
}

static void on_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    (void)t; (void)e; (void)ud;
    snprintf(status, sizeof status, "open");
}

static void on_message(tt_socket_task t, const tt_message_event *m, void *ud) {
    (void)t; (void)ud;
    if (m->type != TT_DATA_TEXT) return;
    const char *s = m->data;
    double sent;
    if (sscanf(s, "ping %*u %lf", &sent) == 1) {
        if (rtt_count == PING_HISTORY) {
            memmove(rtt, rtt + 1, sizeof rtt[0] * (PING_HISTORY - 1));
            rtt_count--;
        }
        rtt[rtt_count++] = emscripten_get_now() - sent;
        pong_total++;
    } else {
        char line[128];
        snprintf(line, sizeof line, "< %.*s", (int)(m->length > 100 ? 100 : m->length), s);
        add_chat(line);
    }
}

static void on_error(tt_socket_task t, const tt_error_event *e, void *ud) {
    (void)t; (void)ud;
    snprintf(status, sizeof status, "%s", e->err_msg);
}

static void on_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    (void)t; (void)ud;
    snprintf(status, sizeof status, "closed %d %s", e->code, e->reason);
}

static void ping(void *ud) {
    (void)ud;
    if (tt_socket_task_ready_state(task) == TT_OPEN) {
        char msg[64];
        int n = snprintf(msg, sizeof msg, "ping %u %.3f", ++ping_seq, emscripten_get_now());
        tt_send_options o = {0};
        o.type = TT_DATA_TEXT;
        o.data = msg;
        o.length = (size_t)n;
        tt_socket_task_send(task, &o);
    }
    if (tt_socket_task_ready_state(task) != TT_CLOSED) emscripten_async_call(ping, NULL, 1000);
}

/* Called by the page's chat box. */
EMSCRIPTEN_KEEPALIVE void demo_send_chat(const char *text) {
    tt_send_options o = {0};
    o.type = TT_DATA_TEXT;
    o.data = text;
    o.length = strlen(text);
    tt_socket_task_send(task, &o);
    char line[128];
    snprintf(line, sizeof line, "> %s", text);
    add_chat(line);
}

int main(void) {
    char url[256];
    demo_get_server(url, sizeof url);
    tt_runtime_config cfg = {0};
    cfg.skip_domain_check = 1; /* development: ws:// on 127.0.0.1 */
    tt_runtime_configure(&cfg);

    tt_connect_socket_options o = {0};
    o.url = url;
    task = tt_connect_socket(&o);
    tt_socket_task_on_open(task, on_open, NULL);
    tt_socket_task_on_message(task, on_message, NULL);
    tt_socket_task_on_error(task, on_error, NULL);
    tt_socket_task_on_close(task, on_close, NULL);

    emscripten_async_call(ping, NULL, 200);
    emscripten_request_animation_frame_loop(frame, NULL);
    return 0;
}
