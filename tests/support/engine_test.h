/*
 * Helpers for unit tests that drive the I/O-free session (src/ws.c) by hand: the 101 answer to the
 * request a session makes under the fixed test hooks (tt_test_hooks_install(0): key nonce 00 01 ... 0f),
 * and writing all of its output. Header-only, so every unit test program (native and wasm32-wasi) can use
 * it without another library.
 */
#ifndef TT_ENGINE_TEST_H
#define TT_ENGINE_TEST_H

#include <stdio.h>

#include "handshake.h"
#include "ws.h"

/* The Sec-WebSocket-Key a session sends under tt_test_hooks_install(0). */
#define TT_TEST_KEY "AAECAwQFBgcICQoLDA0ODw=="

/*
 * A valid 101 for TT_TEST_KEY into buf, with one more header line "name: value" when value is not NULL.
 * Returns its length.
 */
static inline size_t tt_test_response(char *buf, size_t cap, const char *name, const char *value) {
    char accept[29];
    tt__handshake_accept(TT_TEST_KEY, accept);
    int n = snprintf(buf, cap,
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: %s\r\n%s%s%s%s\r\n",
                     accept, value ? name : "", value ? ": " : "", value ? value : "", value ? "\r\n" : "");
    return (size_t)n;
}

/* The transport wrote everything the session had queued. */
static inline void tt_test_drain(tt__ws *ws) {
    size_t len;
    tt__ws_output(ws, &len);
    tt__ws_output_consume(ws, len);
}

#endif
