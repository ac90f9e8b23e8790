/*
 * The demo game's networking layer: one player in a room of the room server (web/demo/room.mjs).
 *
 * This is the part of the game that talks to the network, written once against the public ttsocket API
 * and built three ways: into the browser page (web/demo/page.c, Emscripten, the browser's WebSocket),
 * into the native bots and load tool (native/bots/, epoll + OpenSSL), and, once ttsocket has a backend
 * for the mini-game container's own tt.connectSocket, into the same page running on that backend. Nothing
 * here knows which build it is in.
 *
 * The wire protocol (subprotocol GAME_SUBPROTOCOL, binary messages, little-endian):
 *   client -> server  POS      u8 type=1, u8 kind, u16 x, u16 y, u32 seq              (GAME_POS_SIZE bytes)
 *   server -> client  WELCOME  u8 type=2, u8 0, u16 field width, u16 field height, u32 player id
 *                     STATE    u8 type=3, u8 0, u16 count, u32 seq, u32 players in the room,
 *                              then count entries of u32 id, u16 x, u16 y, u8 kind, u8 0
 * The server answers every POS with a STATE that echoes its seq (the round trip the clients measure) and
 * carries the positions of up to GAME_MAX_VIEW players of the room. web/demo/room.mjs holds the same
 * numbers on the server side; keep the two in step.
 *
 * Threading and lifetime: as ttsocket itself, one thread; a game_client must stay at its address from
 * game_client_start() until its on_close hook has run (the socket task's callbacks point at it).
 */
#ifndef TT_DEMO_GAME_H
#define TT_DEMO_GAME_H

#include <stddef.h>
#include <stdint.h>

#include "ttsocket.h"

#define GAME_SUBPROTOCOL "tt-room.v1"
#define GAME_FIELD_W 640
#define GAME_FIELD_H 400
#define GAME_MAX_VIEW 64
/* Round trips are matched by seq in a ring of this many sends (a reply older than that is not timed). */
#define GAME_RTT_SLOTS 16

enum game_msg_type { GAME_MSG_POS = 1, GAME_MSG_WELCOME = 2, GAME_MSG_STATE = 3 };
enum game_kind { GAME_KIND_BOT = 0, GAME_KIND_WEB = 1, GAME_KIND_CONTAINER = 2, GAME_KIND_COUNT = 3 };
enum game_sizes {
    GAME_POS_SIZE = 10,
    GAME_WELCOME_SIZE = 10,
    GAME_STATE_HEADER_SIZE = 12,
    GAME_STATE_ENTRY_SIZE = 10,
    /* The room server refuses anything larger than this (close 1009). */
    GAME_MAX_CLIENT_MESSAGE = 64
};

/* Close codes of the room server (the 4000 range is the application's, RFC 6455 section 7.4.2). */
enum game_close_code {
    GAME_CLOSE_UNSUPPORTED_DATA = 1003, /* a text message: positions are binary */
    GAME_CLOSE_TOO_BIG = 1009,          /* more than GAME_MAX_CLIENT_MESSAGE bytes */
    GAME_CLOSE_BAD_ROOM = 4000,         /* the URL names no valid room */
    GAME_CLOSE_SUBPROTOCOL = 4001,      /* GAME_SUBPROTOCOL not offered */
    GAME_CLOSE_MALFORMED = 4002,        /* a binary message that is not a valid POS */
    GAME_CLOSE_SERVER_MALFORMED = 4003  /* sent by the client: the server's message made no sense */
};

typedef struct game_player {
    uint32_t id;
    uint16_t x, y;
    uint8_t kind;
} game_player;

struct game_client;

/*
 * What the embedding program (page or bots) hears about. Every hook is optional. Strings are borrowed for
 * the call. on_problem reports one failure as a short key fit for counting by kind: the ttsocket errMsg of
 * an onError, "onClose CODE REASON" for a close the player did not ask for, or a protocol complaint.
 */
typedef struct game_hooks {
    void (*on_open)(struct game_client *c);
    void (*on_rtt)(struct game_client *c, double ms);
    void (*on_problem)(struct game_client *c, const char *what);
    void (*on_close)(struct game_client *c, int code, const char *reason);
} game_hooks;

typedef struct game_client {
    /* Set by the caller before game_client_start(); zero is fine for all but now_ms. */
    uint8_t kind;           /* enum game_kind */
    double (*now_ms)(void); /* the clock round trips are measured with (injected) */
    game_hooks hooks;
    void *user_data;
    game_player *view;    /* NULL, or room for GAME_MAX_VIEW players: the latest STATE is kept */
    const char *protocol; /* the subprotocol to offer; NULL means GAME_SUBPROTOCOL */

    /* State, read-only for the caller. */
    tt_socket_task task;
    uint32_t id; /* the player id from WELCOME, 0 before */
    int view_count;
    uint32_t room_players;   /* from the latest STATE */
    uint64_t sent, received; /* messages */
    int closed;              /* onClose delivered */
    int close_code;
    char status[96]; /* one line for people: "open", "closed 4001 ...", an errMsg */

    /* Private. */
    uint32_t seq;
    uint32_t sent_seq[GAME_RTT_SLOTS];
    double sent_at[GAME_RTT_SLOTS];
    int closing; /* game_client_stop() was called */
} game_client;

/*
 * Connects c to url (ws://host:port/room/NAME). Returns 0, or -1 when ttsocket refused the options; then,
 * from the next dispatch, on_problem gets the fail errMsg and on_close follows with code 0.
 */
int game_client_start(game_client *c, const char *url);

/* Sends the player's position if the socket is open; returns 1 if sent, 0 if not (not open yet, or gone). */
int game_client_send_position(game_client *c, int x, int y);

/* Closes with 1000 (a player leaving); on_close follows. Safe to call more than once or after the close. */
void game_client_stop(game_client *c);

/* Reads a STATE or WELCOME into c; exposed for tests. Returns 0, or -1 if the message is malformed. */
int game_client_parse(game_client *c, const uint8_t *data, size_t length, double now);

#endif
