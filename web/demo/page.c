/*
 * The demo game in the browser: the player's build. The networking is web/demo/game.c (the same file the
 * native bots compile); this file is the rest of a tiny game: input (arrow keys / WASD, or touch: the
 * player walks to the finger), a 10 Hz position tick, and drawing everyone in the room on a canvas.
 *
 * The page (index.html) takes ?room=NAME (default "demo"), or ?ws=ws://HOST:PORT/room/NAME, and
 * ?protocol=NAME to offer another subprotocol (the room server then closes with 4001, shown on the canvas).
 * Until the first key or touch the player walks in a circle, so an unattended page still moves.
 *
 * For people and scripts (web/demo/run-demo.mjs), the latest numbers are published on window.gameStats and
 * every round trip is appended to window.gameRtts.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <emscripten/emscripten.h>
#include <emscripten/html5.h>

#include "game.h"

#define TICK_MS 100
#define SPEED_PER_TICK 8.0
#define SPRITE 12
/* The unattended player's circle: radii in field units, angular speed in radians per second. */
#define AUTOPILOT_RX 140.0
#define AUTOPILOT_RY 110.0
#define AUTOPILOT_SPEED 0.8
/* Each kind of player walks the circle a third of a turn apart, so that unattended web and container
 * pages opened at the same moment (make demo opens both) do not cover each other. */
#define AUTOPILOT_KIND_PHASE (2.0 * M_PI / GAME_KIND_COUNT)
#define CANVAS "#game"

static const int kind_colour[GAME_KIND_COUNT] = {0xf0a030, 0x40c8f0, 0x70e070};
static const char *const kind_name[GAME_KIND_COUNT] = {"bot", "web", "container"};

static game_client me;
static game_player view[GAME_MAX_VIEW];
static double px = GAME_FIELD_W / 2.0, py = GAME_FIELD_H / 2.0;
static int key_dx, key_dy;             /* held arrow keys */
static int touching, touch_x, touch_y; /* walking to a finger */
static int autopilot = 1;              /* until the first input */
static double last_rtt = -1;

/*
 * Which player this is: on a mini-game host's own SocketTask (tt or wx) the player joins as
 * GAME_KIND_CONTAINER, in a browser as GAME_KIND_WEB; the game code above and below stays the same.
 */
static uint8_t backend_kind(void) {
    const char *b = tt_runtime_backend();
    return b && (strcmp(b, "tt") == 0 || strcmp(b, "wx") == 0) ? GAME_KIND_CONTAINER : GAME_KIND_WEB;
}

/* clang-format off */
EM_JS(void, page_room_url, (char *out, int cap), {
    var q = new URLSearchParams(location.search);
    var room = q.get('room') || 'demo';
    var def = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/room/' + encodeURIComponent(room);
    stringToUTF8(q.get('ws') || def, out, cap);
});
EM_JS(int, page_protocol, (char *out, int cap), {
    var p = new URLSearchParams(location.search).get('protocol');
    if (!p) return 0;
    stringToUTF8(p, out, cap);
    return 1;
});
EM_JS(void, page_clear, (void), {
    var c = document.getElementById('game');
    var g = c.getContext('2d');
    g.fillStyle = '#10141c';
    g.fillRect(0, 0, c.width, c.height);
    Module.g = g;
});
EM_JS(void, page_rect, (int x, int y, int w, int h, int rgb), {
    Module.g.fillStyle = '#' + ('00000' + rgb.toString(16)).slice(-6);
    Module.g.fillRect(x, y, w, h);
});
EM_JS(void, page_text, (int x, int y, int rgb, const char *s), {
    Module.g.fillStyle = '#' + ('00000' + rgb.toString(16)).slice(-6);
    Module.g.font = '13px monospace';
    Module.g.fillText(UTF8ToString(s), x, y);
});
EM_JS(void, page_rtt, (double ms), { (window.gameRtts = window.gameRtts || []).push(ms); });
EM_JS(void, page_publish, (int id, const char *status, int open, double sent, double received, int room,
                           int bots, int webs, int containers, const char *backend), {
    window.gameStats = { id: id, status: UTF8ToString(status), open: !!open, sent: sent, received: received,
                         roomPlayers: room, seen: { bot: bots, web: webs, container: containers },
                         backend: UTF8ToString(backend) };
});
/* clang-format on */

static void on_rtt(game_client *c, double ms) {
    last_rtt = ms;
    page_rtt(ms);
}

static void steer(void) {
    if (autopilot) {
        double a = emscripten_get_now() / 1000.0 * AUTOPILOT_SPEED + me.kind * AUTOPILOT_KIND_PHASE;
        px = GAME_FIELD_W / 2.0 + cos(a) * AUTOPILOT_RX;
        py = GAME_FIELD_H / 2.0 + sin(a) * AUTOPILOT_RY;
        return;
    }
    double dx = key_dx, dy = key_dy;
    if (touching) dx = touch_x - px, dy = touch_y - py;
    double len = sqrt(dx * dx + dy * dy);
    if (len < 1) return;
    double step = len < SPEED_PER_TICK ? len : SPEED_PER_TICK;
    px = fmin(fmax(px + dx / len * step, 0), GAME_FIELD_W - 1);
    py = fmin(fmax(py + dy / len * step, 0), GAME_FIELD_H - 1);
}

static void tick(void *ud) {
    steer();
    game_client_send_position(&me, (int)px, (int)py);
}

static void draw_player(const game_player *p) {
    int x = p->x - SPRITE / 2, y = p->y - SPRITE / 2;
    if (p->id == me.id) page_rect(x - 3, y - 3, SPRITE + 6, SPRITE + 6, 0xffffff); /* you */
    page_rect(x, y, SPRITE, SPRITE, kind_colour[p->kind < GAME_KIND_COUNT ? p->kind : 0]);
    char label[16];
    snprintf(label, sizeof label, "#%u", (unsigned)p->id);
    page_text(x, y + SPRITE + 13, 0x687890, label);
}

static EM_BOOL frame(double now, void *ud) {
    int seen[GAME_KIND_COUNT] = {0};
    page_clear();
    for (int i = 0; i < me.view_count; i++) {
        draw_player(&view[i]);
        if (view[i].kind < GAME_KIND_COUNT) seen[view[i].kind]++;
    }
    char line[160];
    snprintf(line, sizeof line, "room: %u players  you: #%u (%s)  rtt %.1f ms  %s", (unsigned)me.room_players,
             (unsigned)me.id, kind_name[me.kind], last_rtt, me.status);
    page_text(10, 18, 0xd0d8e8, line);
    snprintf(line, sizeof line, "bots %d  web %d  container %d   arrows/WASD or touch to move", seen[GAME_KIND_BOT],
             seen[GAME_KIND_WEB], seen[GAME_KIND_CONTAINER]);
    page_text(10, GAME_FIELD_H - 8, 0x8fa0b8, line);
    page_publish((int)me.id, me.status, tt_socket_task_ready_state(me.task) == TT_OPEN, (double)me.sent,
                 (double)me.received, (int)me.room_players, seen[GAME_KIND_BOT], seen[GAME_KIND_WEB],
                 seen[GAME_KIND_CONTAINER], kind_name[me.kind]);
    return EM_TRUE;
}

static EM_BOOL on_key(int type, const EmscriptenKeyboardEvent *e, void *ud) {
    int down = type == EMSCRIPTEN_EVENT_KEYDOWN, handled = 1;
    if (!strcmp(e->key, "ArrowLeft") || !strcmp(e->key, "a")) key_dx = down ? -1 : 0;
    else if (!strcmp(e->key, "ArrowRight") || !strcmp(e->key, "d")) key_dx = down ? 1 : 0;
    else if (!strcmp(e->key, "ArrowUp") || !strcmp(e->key, "w")) key_dy = down ? -1 : 0;
    else if (!strcmp(e->key, "ArrowDown") || !strcmp(e->key, "s")) key_dy = down ? 1 : 0;
    else handled = 0;
    if (handled) autopilot = 0;
    return handled;
}

static EM_BOOL on_touch(int type, const EmscriptenTouchEvent *e, void *ud) {
    touching = type != EMSCRIPTEN_EVENT_TOUCHEND && type != EMSCRIPTEN_EVENT_TOUCHCANCEL && e->numTouches > 0;
    if (touching) touch_x = e->touches[0].targetX, touch_y = e->touches[0].targetY;
    autopilot = 0;
    return EM_TRUE;
}

int main(void) {
    static char url[256], protocol[64];
    page_room_url(url, sizeof url);
    tt_runtime_config cfg = {0};
    cfg.skip_domain_check = 1; /* development: ws:// on 127.0.0.1 */
    tt_runtime_configure(&cfg);

    me.kind = backend_kind();
    me.now_ms = emscripten_get_now;
    me.view = view;
    me.hooks.on_rtt = on_rtt;
    if (page_protocol(protocol, sizeof protocol)) me.protocol = protocol;
    game_client_start(&me, url);

    emscripten_set_keydown_callback(EMSCRIPTEN_EVENT_TARGET_WINDOW, NULL, 1, on_key);
    emscripten_set_keyup_callback(EMSCRIPTEN_EVENT_TARGET_WINDOW, NULL, 1, on_key);
    emscripten_set_touchstart_callback(CANVAS, NULL, 1, on_touch);
    emscripten_set_touchmove_callback(CANVAS, NULL, 1, on_touch);
    emscripten_set_touchend_callback(CANVAS, NULL, 1, on_touch);
    emscripten_set_touchcancel_callback(CANVAS, NULL, 1, on_touch);
    emscripten_set_interval(tick, TICK_MS, NULL);
    emscripten_request_animation_frame_loop(frame, NULL);
    return 0;
}
