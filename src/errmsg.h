/*
 * The one errMsg table. Every string a game can see in tt_result.err_msg or tt_error_event.err_msg is
 * a row here, produced by the shared core, so the web and native builds can never disagree. The README's
 * errMsg table lists the same rows (test_errmsg_table_shape_and_readme in tests/unit/test_util.c checks
 * that it matches).
 *
 * A row's text is its API's name, how the call ended, then the row's own words: CONNECT, FAIL, INVALID_URL
 * is "connectSocket:" "fail " "invalid url". The parts are stored once each (in the web build the
 * strings are wasm bytes every page downloads), and tt__errmsg writes a row's text into a buffer the
 * caller owns: a result or event lends the game its err_msg only during the callback.
 */
#ifndef TT_ERRMSG_H
#define TT_ERRMSG_H

#define TT__ERRMSG_MAP(XX)                                                                \
    /* connectSocket */                                                                   \
    XX(CONNECT_OK, CONNECT, OK, NONE)                                                     \
    XX(CONNECT_INVALID_URL, CONNECT, FAIL, INVALID_URL)                                   \
    XX(CONNECT_INVALID_SCHEME, CONNECT, FAIL, INVALID_SCHEME)                             \
    XX(CONNECT_NOT_WSS, CONNECT, FAIL, NOT_WSS)                                           \
    XX(CONNECT_DOMAIN, CONNECT, FAIL, DOMAIN)                                             \
    XX(CONNECT_INVALID_HEADER, CONNECT, FAIL, INVALID_HEADER)                             \
    XX(CONNECT_FORBIDDEN_HEADER, CONNECT, FAIL, FORBIDDEN_HEADER)                         \
    XX(CONNECT_INVALID_PROTOCOL, CONNECT, FAIL, INVALID_PROTOCOL)                         \
    XX(CONNECT_DUPLICATE_PROTOCOL, CONNECT, FAIL, DUPLICATE_PROTOCOL)                     \
    XX(CONNECT_INVALID_TIMEOUT, CONNECT, FAIL, INVALID_TIMEOUT)                           \
    XX(CONNECT_TOO_MANY, CONNECT, FAIL, TOO_MANY)                                         \
    XX(CONNECT_IDS_EXHAUSTED, CONNECT, FAIL, IDS_EXHAUSTED)                               \
    XX(CONNECT_NO_MEMORY, CONNECT, FAIL, NO_MEMORY)                                       \
    /* sendSocketMessage */                                                               \
    XX(SEND_OK, SEND, OK, NONE)                                                           \
    XX(SEND_NOT_CONNECTED, SEND, FAIL, NOT_CONNECTED)                                     \
    XX(SEND_INVALID_TASK, SEND, FAIL, INVALID_TASK)                                       \
    XX(SEND_INVALID_DATA, SEND, FAIL, INVALID_DATA)                                       \
    XX(SEND_INVALID_UTF8, SEND, FAIL, INVALID_UTF8)                                       \
    XX(SEND_NO_MEMORY, SEND, FAIL, NO_MEMORY)                                             \
    /* closeSocket */                                                                     \
    XX(CLOSE_OK, CLOSE, OK, NONE)                                                         \
    XX(CLOSE_INVALID_CODE, CLOSE, FAIL, INVALID_CODE)                                     \
    XX(CLOSE_REASON_TOO_LONG, CLOSE, FAIL, REASON_TOO_LONG)                               \
    XX(CLOSE_INVALID_REASON, CLOSE, FAIL, INVALID_REASON)                                 \
    XX(CLOSE_NOT_CONNECTED, CLOSE, FAIL, NOT_CONNECTED)                                   \
    XX(CLOSE_INVALID_TASK, CLOSE, FAIL, INVALID_TASK)                                     \
    XX(CLOSE_NO_MEMORY, CLOSE, FAIL, NO_MEMORY)                                           \
    /* onError (the browser tells script nothing more; the native build adds a detail) */ \
    XX(ERROR_CONNECTION, ON_ERROR, EVENT, CONNECTION)                                     \
    XX(ERROR_TIMEOUT, ON_ERROR, EVENT, TIMEOUT)                                           \
    XX(ERROR_TOO_BIG, ON_ERROR, EVENT, TOO_BIG)                                           \
    XX(ERROR_BUFFER_FULL, ON_ERROR, EVENT, BUFFER_FULL)                                   \
    XX(ERROR_SHUTDOWN, ON_ERROR, EVENT, SHUTDOWN)

/* The rows' own words, each written once (several rows share one: "out of memory" ends three). */
#define TT__ERRMSG_WORDS(XX)                        \
    XX(NONE, "")                                    \
    XX(INVALID_URL, "invalid url")                  \
    XX(INVALID_SCHEME, "invalid url scheme")        \
    XX(NOT_WSS, "url scheme must be wss")           \
    XX(DOMAIN, "url not in domain list")            \
    XX(INVALID_HEADER, "invalid header")            \
    XX(FORBIDDEN_HEADER, "header not allowed")      \
    XX(INVALID_PROTOCOL, "invalid protocol")        \
    XX(DUPLICATE_PROTOCOL, "duplicate protocol")    \
    XX(INVALID_TIMEOUT, "invalid timeout")          \
    XX(TOO_MANY, "exceed max task count")           \
    XX(IDS_EXHAUSTED, "socketTaskId exhausted")     \
    XX(NO_MEMORY, "out of memory")                  \
    XX(NOT_CONNECTED, "WebSocket is not connected") \
    XX(INVALID_TASK, "invalid socketTaskId")        \
    XX(INVALID_DATA, "invalid data")                \
    XX(INVALID_UTF8, "invalid utf-8 text")          \
    XX(INVALID_CODE, "invalid code")                \
    XX(REASON_TOO_LONG, "reason too long")          \
    XX(INVALID_REASON, "invalid utf-8 reason")      \
    XX(CONNECTION, "WebSocket connection failed")   \
    XX(TIMEOUT, "WebSocket connection timed out")   \
    XX(TOO_BIG, "WebSocket message too large")      \
    XX(BUFFER_FULL, "WebSocket send buffer full")   \
    XX(SHUTDOWN, "runtime shut down")

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
#define TT__ERRMSG_ENUM(name, api, kind, words) TT__MSG_##name,
    TT__ERRMSG_MAP(TT__ERRMSG_ENUM)
#undef TT__ERRMSG_ENUM
} tt__msg;

/* The number of rows. */
#define TT__ERRMSG_ONE(name, api, kind, words) +1
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
