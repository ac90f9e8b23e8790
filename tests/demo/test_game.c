/*
 * web/demo/game.c: reading the room server's messages (game_client_parse) and matching answers to the
 * positions sent, for the round trip. Malformed input must be refused without touching the client's state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "game.h"

static double rtts[8];
static int rtt_count;
static void record_rtt(game_client *c, double ms) {
    if (rtt_count < 8) rtts[rtt_count] = ms;
    rtt_count++;
}

static void reset(game_client *c, game_player *view) {
    memset(c, 0, sizeof *c);
    c->view = view;
    c->hooks.on_rtt = record_rtt;
    rtt_count = 0;
}

/* A position "sent" at time at with this seq, as game_client_send_position records it. */
static void sent(game_client *c, uint32_t seq, double at) {
    c->sent_seq[seq % GAME_RTT_SLOTS] = seq;
    c->sent_at[seq % GAME_RTT_SLOTS] = at;
}

/* STATE: type 3, 0, count, seq, players, then count entries (id, x, y, kind, 0). */
static size_t state(uint8_t *out, unsigned count, uint32_t seq, uint32_t players) {
    uint8_t h[GAME_STATE_HEADER_SIZE] = {GAME_MSG_STATE,
                                         0,
                                         (uint8_t)count,
                                         (uint8_t)(count >> 8),
                                         (uint8_t)seq,
                                         (uint8_t)(seq >> 8),
                                         (uint8_t)(seq >> 16),
                                         (uint8_t)(seq >> 24),
                                         (uint8_t)players,
                                         (uint8_t)(players >> 8),
                                         0,
                                         0};
    memcpy(out, h, sizeof h);
    for (unsigned i = 0; i < count; i++) {
        uint8_t *e = out + GAME_STATE_HEADER_SIZE + i * GAME_STATE_ENTRY_SIZE;
        uint8_t entry[GAME_STATE_ENTRY_SIZE] = {(uint8_t)(i + 1), 0, 0, 0, (uint8_t)(10 * i), 1, 20, 0,
                                                GAME_KIND_BOT,    0};
        memcpy(e, entry, sizeof entry);
    }
    return GAME_STATE_HEADER_SIZE + count * GAME_STATE_ENTRY_SIZE;
}

static void welcome_gives_the_player_id(void **s) {
    game_client c;
    game_player view[GAME_MAX_VIEW];
    reset(&c, view);
    const uint8_t w[GAME_WELCOME_SIZE] = {GAME_MSG_WELCOME, 0, 0x80, 0x02, 0x90, 0x01, 0x07, 0x01, 0, 0};
    assert_int_equal(game_client_parse(&c, w, sizeof w, 0), 0);
    assert_int_equal(c.id, 0x107);
}

static void state_fills_the_view_and_times_the_round_trip(void **s) {
    game_client c;
    game_player view[GAME_MAX_VIEW];
    uint8_t m[GAME_STATE_HEADER_SIZE + 3 * GAME_STATE_ENTRY_SIZE];
    reset(&c, view);
    sent(&c, 5, 100.0);
    size_t n = state(m, 3, 5, 9);
    assert_int_equal(game_client_parse(&c, m, n, 112.5), 0);
    assert_int_equal(c.view_count, 3);
    assert_int_equal(c.room_players, 9);
    assert_int_equal(view[2].id, 3);
    assert_int_equal(view[2].x, 20 + 256);
    assert_int_equal(view[2].y, 20);
    assert_int_equal(view[2].kind, GAME_KIND_BOT);
    assert_int_equal(rtt_count, 1);
    assert_true(rtts[0] == 12.5);
    /* The same answer again (or any other seq not in flight) is not timed twice. */
    assert_int_equal(game_client_parse(&c, m, n, 130), 0);
    assert_int_equal(rtt_count, 1);
}

static void only_positions_in_flight_are_timed(void **s) {
    game_client c;
    uint8_t m[GAME_STATE_HEADER_SIZE];
    reset(&c, NULL); /* bots keep no view */
    sent(&c, 3, 10);
    assert_int_equal(game_client_parse(&c, m, state(m, 0, 0, 1), 20), 0);                  /* seq 0: nobody's */
    assert_int_equal(game_client_parse(&c, m, state(m, 0, 3 + GAME_RTT_SLOTS, 1), 20), 0); /* same slot, newer */
    assert_int_equal(rtt_count, 0);
    assert_int_equal(game_client_parse(&c, m, state(m, 0, 3, 1), 20), 0);
    assert_int_equal(rtt_count, 1);
    assert_int_equal(c.view_count, 0);
}

static void malformed_messages_are_refused_untouched(void **s) {
    game_client c;
    game_player view[GAME_MAX_VIEW];
    uint8_t m[GAME_STATE_HEADER_SIZE + (GAME_MAX_VIEW + 1) * GAME_STATE_ENTRY_SIZE] = {0};
    reset(&c, view);
    sent(&c, 1, 0);
    const uint8_t short_welcome[GAME_WELCOME_SIZE - 1] = {GAME_MSG_WELCOME};
    const uint8_t unknown[GAME_WELCOME_SIZE] = {0x7f};
    assert_int_equal(game_client_parse(&c, m, 0, 1), -1);
    assert_int_equal(game_client_parse(&c, short_welcome, sizeof short_welcome, 1), -1);
    assert_int_equal(game_client_parse(&c, unknown, sizeof unknown, 1), -1);
    size_t n = state(m, 2, 1, 5);
    assert_int_equal(game_client_parse(&c, m, GAME_STATE_HEADER_SIZE - 1, 1), -1); /* header cut short */
    assert_int_equal(game_client_parse(&c, m, n - 1, 1), -1);                      /* entry cut short */
    assert_int_equal(game_client_parse(&c, m, n + 1, 1), -1);                      /* trailing byte */
    n = state(m, GAME_MAX_VIEW + 1, 1, 100);
    assert_int_equal(game_client_parse(&c, m, n, 1), -1); /* more than the view */
    assert_int_equal(c.id, 0);
    assert_int_equal(c.view_count, 0);
    assert_int_equal(c.room_players, 0);
    assert_int_equal(rtt_count, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(welcome_gives_the_player_id),
        cmocka_unit_test(state_fills_the_view_and_times_the_round_trip),
        cmocka_unit_test(only_positions_in_flight_are_timed),
        cmocka_unit_test(malformed_messages_are_refused_untouched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
