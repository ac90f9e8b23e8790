/*
 * The one errMsg table. Every string a game can see in tt_result.err_msg or tt_error_event.err_msg is
 * a row here, produced by the shared core, so the web and native builds can never disagree. The README's
 * errMsg table lists the same rows (test_errmsg_table_shape_and_readme in tests/unit/test_util.c checks
 * that it matches).
 *
 * A row's text is its API's name, how the call ended, then the row's own words: CONNECT, FAIL, "invalid
 * url" is "connectSocket:" "fail " "invalid url". The parts are stored once each (in the web build the
 * strings are wasm bytes every page downloads), and tt__errmsg writes a row's text into a buffer the
 * caller owns: a result or event lends the game its err_msg only during the callback.
 */
#ifndef TT_ERRMSG_H
#define TT_ERRMSG_H

#define TT__ERRMSG_MAP(XX)                                                                \
    /* connectSocket */                                                                   \
    XX(CONNECT_OK, CONNECT, OK, "")                                                       \
    XX(CONNECT_INVALID_URL, CONNECT, FAIL, "invalid url")                                 \
    XX(CONNECT_INVALID_SCHEME, CONNECT, FAIL, "invalid url scheme")                       \
    XX(CONNECT_NOT_WSS, CONNECT, FAIL, "url scheme must be wss")                          \
    XX(CONNECT_DOMAIN, CONNECT, FAIL, "url not in domain list")                           \
    XX(CONNECT_INVALID_HEADER, CONNECT, FAIL, "invalid header")                           \
    XX(CONNECT_FORBIDDEN_HEADER, CONNECT, FAIL, "header not allowed")                     \
    XX(CONNECT_INVALID_PROTOCOL, CONNECT, FAIL, "invalid protocol")                       \
    XX(CONNECT_DUPLICATE_PROTOCOL, CONNECT, FAIL, "duplicate protocol")                   \
    XX(CONNECT_INVALID_TIMEOUT, CONNECT, FAIL, "invalid timeout")                         \
    XX(CONNECT_TOO_MANY, CONNECT, FAIL, "exceed max task count")                          \
    XX(CONNECT_IDS_EXHAUSTED, CONNECT, FAIL, "socketTaskId exhausted")                    \
    XX(CONNECT_NO_MEMORY, CONNECT, FAIL, "out of memory")                                 \
    /* sendSocketMessage */                                                               \
    XX(SEND_OK, SEND, OK, "")                                                             \
    XX(SEND_NOT_CONNECTED, SEND, FAIL, "WebSocket is not connected")                      \
    XX(SEND_INVALID_TASK, SEND, FAIL, "invalid socketTaskId")                             \
    XX(SEND_INVALID_DATA, SEND, FAIL, "invalid data")                                     \
    XX(SEND_INVALID_UTF8, SEND, FAIL, "invalid utf-8 text")                               \
    XX(SEND_NO_MEMORY, SEND, FAIL, "out of memory")                                       \
    /* closeSocket */                                                                     \
    XX(CLOSE_OK, CLOSE, OK, "")                                                           \
    XX(CLOSE_INVALID_CODE, CLOSE, FAIL, "invalid code")                                   \
    XX(CLOSE_REASON_TOO_LONG, CLOSE, FAIL, "reason too long")                             \
    XX(CLOSE_INVALID_REASON, CLOSE, FAIL, "invalid utf-8 reason")                         \
    XX(CLOSE_NOT_CONNECTED, CLOSE, FAIL, "WebSocket is not connected")                    \
    XX(CLOSE_INVALID_TASK, CLOSE, FAIL, "invalid socketTaskId")                           \
    XX(CLOSE_NO_MEMORY, CLOSE, FAIL, "out of memory")                                     \
    /* onError (the browser tells script nothing more; the native build adds a detail) */ \
    XX(ERROR_CONNECTION, ON_ERROR, EVENT, "WebSocket connection failed")                  \
    XX(ERROR_TIMEOUT, ON_ERROR, EVENT, "WebSocket connection timed out")                  \
    XX(ERROR_TOO_BIG, ON_ERROR, EVENT, "WebSocket message too large")                     \
    XX(ERROR_BUFFER_FULL, ON_ERROR, EVENT, "WebSocket send buffer full")                  \
    XX(ERROR_SHUTDOWN, ON_ERROR, EVENT, "runtime shut down")

/* The API names and the outcomes a row starts with. */
#define TT__ERRMSG_APIS(XX)        \
    XX(CONNECT, "connectSocket:")  \
    XX(SEND, "sendSocketMessage:") \
    XX(CLOSE, "closeSocket:")      \
    XX(ON_ERROR, "onSocketError:")
#define TT__ERRMSG_KINDS(XX) \
    XX(OK, "ok")             \
    XX(FAIL, "fail ")        \
    XX(EVENT, " ")

typedef enum tt__msg {
#define TT__ERRMSG_ENUM(name, api, kind, text) TT__MSG_##name,
    TT__ERRMSG_MAP(TT__ERRMSG_ENUM)
#undef TT__ERRMSG_ENUM
} tt__msg;

/* The number of rows. */
#define TT__ERRMSG_ONE(name, api, kind, text) +1
enum { TT__MSG_COUNT = 0 TT__ERRMSG_MAP(TT__ERRMSG_ONE) };
#undef TT__ERRMSG_ONE

/* Room for the longest row's text and its NUL (src/errmsg.c checks every row against it). */
#define TT__ERRMSG_MAX 64
typedef struct tt__errmsg_text {
    char text[TT__ERRMSG_MAX];
} tt__errmsg_text;

/* Writes the text of one row into *out and returns out->text ("" for a number that is no row). */
const char *tt__errmsg(tt__msg msg, tt__errmsg_text *out);

#endif
