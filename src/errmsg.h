/*
 * The one errMsg table. Every string a game can see in tt_result.err_msg or tt_error_event.err_msg is
 * a row here, produced by the shared core, so the web and native builds can never disagree. The README's
 * errMsg table lists the same rows (test_errmsg_table_shape_and_readme in tests/unit/test_util.c checks
 * that it matches).
 */
#ifndef TT_ERRMSG_H
#define TT_ERRMSG_H

#define TT__ERRMSG_MAP(XX)                                                                \
    /* connectSocket */                                                                   \
    XX(CONNECT_OK, "connectSocket:ok")                                                    \
    XX(CONNECT_INVALID_URL, "connectSocket:fail invalid url")                             \
    XX(CONNECT_INVALID_SCHEME, "connectSocket:fail invalid url scheme")                   \
    XX(CONNECT_NOT_WSS, "connectSocket:fail url scheme must be wss")                      \
    XX(CONNECT_DOMAIN, "connectSocket:fail url not in domain list")                       \
    XX(CONNECT_INVALID_HEADER, "connectSocket:fail invalid header")                       \
    XX(CONNECT_FORBIDDEN_HEADER, "connectSocket:fail header not allowed")                 \
    XX(CONNECT_INVALID_PROTOCOL, "connectSocket:fail invalid protocol")                   \
    XX(CONNECT_DUPLICATE_PROTOCOL, "connectSocket:fail duplicate protocol")               \
    XX(CONNECT_INVALID_TIMEOUT, "connectSocket:fail invalid timeout")                     \
    XX(CONNECT_TOO_MANY, "connectSocket:fail exceed max task count")                      \
    XX(CONNECT_IDS_EXHAUSTED, "connectSocket:fail socketTaskId exhausted")                \
    XX(CONNECT_NO_MEMORY, "connectSocket:fail out of memory")                             \
    /* sendSocketMessage */                                                               \
    XX(SEND_OK, "sendSocketMessage:ok")                                                   \
    XX(SEND_NOT_CONNECTED, "sendSocketMessage:fail WebSocket is not connected")           \
    XX(SEND_INVALID_TASK, "sendSocketMessage:fail invalid socketTaskId")                  \
    XX(SEND_INVALID_DATA, "sendSocketMessage:fail invalid data")                          \
    XX(SEND_INVALID_UTF8, "sendSocketMessage:fail invalid utf-8 text")                    \
    XX(SEND_NO_MEMORY, "sendSocketMessage:fail out of memory")                            \
    /* closeSocket */                                                                     \
    XX(CLOSE_OK, "closeSocket:ok")                                                        \
    XX(CLOSE_INVALID_CODE, "closeSocket:fail invalid code")                               \
    XX(CLOSE_REASON_TOO_LONG, "closeSocket:fail reason too long")                         \
    XX(CLOSE_INVALID_REASON, "closeSocket:fail invalid utf-8 reason")                     \
    XX(CLOSE_NOT_CONNECTED, "closeSocket:fail WebSocket is not connected")                \
    XX(CLOSE_INVALID_TASK, "closeSocket:fail invalid socketTaskId")                       \
    XX(CLOSE_NO_MEMORY, "closeSocket:fail out of memory")                                 \
    /* onError (the browser tells script nothing more; the native build adds a detail) */ \
    XX(ERROR_CONNECTION, "onSocketError: WebSocket connection failed")                    \
    XX(ERROR_TIMEOUT, "onSocketError: WebSocket connection timed out")                    \
    XX(ERROR_TOO_BIG, "onSocketError: WebSocket message too large")                       \
    XX(ERROR_BUFFER_FULL, "onSocketError: WebSocket send buffer full")                    \
    XX(ERROR_SHUTDOWN, "onSocketError: runtime shut down")

typedef enum tt__msg {
#define TT__ERRMSG_ENUM(name, text) TT__MSG_##name,
    TT__ERRMSG_MAP(TT__ERRMSG_ENUM)
#undef TT__ERRMSG_ENUM
} tt__msg;

/* The number of rows. */
#define TT__ERRMSG_ONE(name, text) +1
enum { TT__MSG_COUNT = 0 TT__ERRMSG_MAP(TT__ERRMSG_ONE) };
#undef TT__ERRMSG_ONE

/* The string of one row. */
const char *tt__errmsg(tt__msg msg);

#endif
