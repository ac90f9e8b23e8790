/*
 * The demo game's networking layer (see game.h): connect to a room, send positions, read the room's
 * state, time round trips. Public ttsocket API only, so the page and the native bots compile this same file.
 */
#include "game.h"

#include <stdio.h>
#include <string.h>

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void put16(uint8_t *p, unsigned v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
    put16(p, v & 0xffff);
    put16(p + 2, v >> 16);
}

static void problem(game_client *c, const char *what) {
    snprintf(c->status, sizeof c->status, "%s", what);
    if (c->hooks.on_problem) c->hooks.on_problem(c, what);
}

static void take_rtt(game_client *c, uint32_t seq, double now) {
    int slot = (int)(seq % GAME_RTT_SLOTS);
    if (seq == 0 || c->sent_seq[slot] != seq) return; /* not ours, or older than the ring */
    c->sent_seq[slot] = 0;
    if (c->hooks.on_rtt) c->hooks.on_rtt(c, now - c->sent_at[slot]);
}

static int parse_state(game_client *c, const uint8_t *d, size_t n, double now) {
    if (n < GAME_STATE_HEADER_SIZE) return -1;
    unsigned count = get16(d + 2);
    if (count > GAME_MAX_VIEW || n != GAME_STATE_HEADER_SIZE + (size_t)count * GAME_STATE_ENTRY_SIZE) return -1;
    c->room_players = get32(d + 8);
    if (c->view) {
        for (unsigned i = 0; i < count; i++) {
            const uint8_t *e = d + GAME_STATE_HEADER_SIZE + i * GAME_STATE_ENTRY_SIZE;
            c->view[i] = (game_player){get32(e), get16(e + 4), get16(e + 6), e[8]};
        }
        c->view_count = (int)count;
    }
    take_rtt(c, get32(d + 4), now);
    return 0;
}

int game_client_parse(game_client *c, const uint8_t *d, size_t n, double now) {
    if (n < 1) return -1;
    switch (d[0]) {
    case GAME_MSG_WELCOME:
        if (n != GAME_WELCOME_SIZE) return -1;
        c->id = get32(d + 6);
        return 0;
    case GAME_MSG_STATE: return parse_state(c, d, n, now);
    default: return -1;
    }
}

static void on_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    game_client *c = ud;
    snprintf(c->status, sizeof c->status, "open");
    if (c->hooks.on_open) c->hooks.on_open(c);
}

static void on_message(tt_socket_task t, const tt_message_event *m, void *ud) {
    game_client *c = ud;
    c->received++;
    if (m->type == TT_DATA_BINARY && game_client_parse(c, m->data, m->length, c->now_ms()) == 0) return;
    /* A server this client cannot understand: say so on the wire and in the counts, then leave. */
    problem(c, "malformed message from the server");
    tt_close_options o = {0};
    o.code = GAME_CLOSE_SERVER_MALFORMED;
    o.reason = "malformed message";
    c->closing = 1;
    tt_socket_task_close(c->task, &o);
}

static void on_error(tt_socket_task t, const tt_error_event *e, void *ud) { problem(ud, e->err_msg); }

static void on_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    game_client *c = ud;
    c->closed = 1;
    c->close_code = e->code;
    if (!c->closing) {
        /* The server sent us away (or the connection dropped): that is the line the player sees. */
        char what[sizeof c->status];
        snprintf(what, sizeof what, "onClose %d %s", e->code, e->reason);
        problem(c, what);
    } else {
        snprintf(c->status, sizeof c->status, "left the room");
    }
    if (c->hooks.on_close) c->hooks.on_close(c, e->code, e->reason);
}

/* Options refused (connectSocket:fail): no event will follow, so this is the player's end. */
static void on_connect_fail(const tt_result *r, void *ud) {
    game_client *c = ud;
    problem(c, r->err_msg);
    c->closed = 1;
    if (c->hooks.on_close) c->hooks.on_close(c, 0, r->err_msg);
}

int game_client_start(game_client *c, const char *url) {
    const char *protocols[1] = {c->protocol ? c->protocol : GAME_SUBPROTOCOL};
    tt_connect_socket_options o = {0};
    o.url = url;
    o.protocols = protocols;
    o.protocol_count = 1;
    o.fail = on_connect_fail;
    o.user_data = c;
    snprintf(c->status, sizeof c->status, "connecting");
    c->task = tt_connect_socket(&o);
    if (c->task.id == 0) return -1; /* on_connect_fail reports why, from the dispatch point */
    tt_socket_task_on_open(c->task, on_open, c);
    tt_socket_task_on_message(c->task, on_message, c);
    tt_socket_task_on_error(c->task, on_error, c);
    tt_socket_task_on_close(c->task, on_close, c);
    return 0;
}

int game_client_send_position(game_client *c, int x, int y) {
    if (c->closing || tt_socket_task_ready_state(c->task) != TT_OPEN) return 0;
    uint8_t msg[GAME_POS_SIZE];
    if (++c->seq == 0) c->seq = 1; /* 0 means "no round trip to time" */
    msg[0] = GAME_MSG_POS;
    msg[1] = c->kind;
    put16(msg + 2, (unsigned)(x < 0 ? 0 : x >= GAME_FIELD_W ? GAME_FIELD_W - 1 : x));
    put16(msg + 4, (unsigned)(y < 0 ? 0 : y >= GAME_FIELD_H ? GAME_FIELD_H - 1 : y));
    put32(msg + 6, c->seq);
    int slot = (int)(c->seq % GAME_RTT_SLOTS);
    c->sent_seq[slot] = c->seq;
    c->sent_at[slot] = c->now_ms();
    tt_send_options o = {0};
    o.type = TT_DATA_BINARY;
    o.data = msg;
    o.length = sizeof msg;
    tt_socket_task_send(c->task, &o);
    c->sent++;
    return 1;
}

void game_client_stop(game_client *c) {
    if (c->closing || c->closed) return;
    c->closing = 1;
    tt_close_options o = {0};
    o.reason = "bye";
    tt_socket_task_close(c->task, &o);
}
