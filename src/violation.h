/*
 * The protocol violations the engine fails a connection for, one row each: the detail sentence a game
 * reads in onError, the close code of the Close frame we send, and the reason in that frame. The reason
 * is the one Chromium's WebSocketChannel sends for the same failure (the wire traces in
 * tests/parity/reference/chromium.json show them): failures it reports as ERR_WS_PROTOCOL_ERROR carry
 * "WebSocket Protocol Error", a malformed Close payload and a message that is too large carry none.
 * Wire bytes come from the row, never from the detail text, so a detail can be reworded freely.
 */
#ifndef TT_VIOLATION_H
#define TT_VIOLATION_H

#define TT__PROTOCOL_ERROR_REASON "WebSocket Protocol Error"

/* XX(name, close code, detail, reason in our Close) */
#define TT__VIOLATION_MAP(XX)                                                                                          \
    XX(MASKED_FRAME, TT_CLOSE_PROTOCOL_ERROR, "frame: the server sent a masked frame", "Masked frame from server")     \
    XX(RESERVED_OPCODE, TT_CLOSE_PROTOCOL_ERROR, "frame: reserved opcode", "Unknown opcode")                           \
    XX(RESERVED_BITS, TT_CLOSE_PROTOCOL_ERROR, "frame: reserved bits set without a negotiated extension",              \
       "Invalid reserved bit")                                                                                         \
    XX(FRAGMENTED_CONTROL, TT_CLOSE_PROTOCOL_ERROR, "frame: fragmented control frame", TT__PROTOCOL_ERROR_REASON)      \
    XX(CONTROL_TOO_LONG, TT_CLOSE_PROTOCOL_ERROR, "frame: control frame longer than 125 bytes",                        \
       TT__PROTOCOL_ERROR_REASON)                                                                                      \
    XX(LENGTH_ENCODING, TT_CLOSE_PROTOCOL_ERROR, "frame: payload length negative or not minimally encoded",            \
       TT__PROTOCOL_ERROR_REASON)                                                                                      \
    XX(RSV1_ON_CONTROL, TT_CLOSE_PROTOCOL_ERROR, "frame: RSV1 set on a control frame", "Invalid reserved bit")         \
    XX(RSV1_ON_CONTINUATION, TT_CLOSE_PROTOCOL_ERROR, "frame: RSV1 set on a continuation frame",                       \
       TT__PROTOCOL_ERROR_REASON)                                                                                      \
    XX(UNEXPECTED_CONTINUATION, TT_CLOSE_PROTOCOL_ERROR, "frame: continuation frame without a message in progress",    \
       "Unexpected continuation")                                                                                      \
    XX(UNFINISHED_MESSAGE, TT_CLOSE_PROTOCOL_ERROR, "frame: new data frame inside a fragmented message",               \
       "Previous data frame unfinished")                                                                               \
    XX(INVALID_COMPRESSED, TT_CLOSE_PROTOCOL_ERROR, "permessage-deflate: invalid compressed data",                     \
       TT__PROTOCOL_ERROR_REASON)                                                                                      \
    XX(TEXT_UTF8, TT_CLOSE_PROTOCOL_ERROR, "text: invalid UTF-8", "Invalid UTF-8 in text frame")                       \
    XX(TEXT_UTF8_TRUNCATED, TT_CLOSE_PROTOCOL_ERROR, "text: message ends inside a UTF-8 sequence",                     \
       "Invalid UTF-8 in text frame")                                                                                  \
    XX(CLOSE_ONE_BYTE, TT_CLOSE_PROTOCOL_ERROR, "close: one-byte Close payload", "")                                   \
    XX(CLOSE_INVALID_CODE, TT_CLOSE_PROTOCOL_ERROR, "close: invalid close code", "")                                   \
    XX(CLOSE_REASON_UTF8, TT_CLOSE_PROTOCOL_ERROR, "close: reason is not valid UTF-8", "Invalid UTF-8 in Close frame") \
    XX(MESSAGE_TOO_BIG, TT_CLOSE_TOO_BIG, TT__DETAIL_TOO_BIG, "")

typedef enum tt__violation {
    TT__VIOLATION_NONE = 0,
#define TT__VIOLATION_ENUM(name, code, detail, reason) TT__VIOLATION_##name,
    TT__VIOLATION_MAP(TT__VIOLATION_ENUM)
#undef TT__VIOLATION_ENUM
} tt__violation;

/* The number of values, TT__VIOLATION_NONE included. */
#define TT__VIOLATION_ONE(name, code, detail, reason) +1
enum { TT__VIOLATION_COUNT = 1 TT__VIOLATION_MAP(TT__VIOLATION_ONE) };
#undef TT__VIOLATION_ONE

/* The row's detail sentence ("" for TT__VIOLATION_NONE or an unknown value). */
const char *tt__violation_detail(tt__violation v);
/* The close code our Close carries (0 for TT__VIOLATION_NONE or an unknown value). */
int tt__violation_close_code(tt__violation v);
/* The reason our Close carries, as Chromium's ("" for TT__VIOLATION_NONE or an unknown value). */
const char *tt__violation_close_reason(tt__violation v);

#endif
