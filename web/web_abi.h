/*
 * Every number that crosses between web/transport_web.c and its JavaScript half, web/library_ttsocket.js:
 * the offsets and size of the event record, event kinds, result codes. This file is their one
 * definition. The C side includes it (and checks with static assertions that its event record is laid
 * out exactly so); CMake reads the same lines and writes the values into the JavaScript file where it
 * names them as @TT__WEB_...@ (web/CMakeLists.txt stops the build when it names one this file does not
 * define). Nothing depends on the struct layouts of one Emscripten release.
 *
 * Format, for CMake's sake: one "#define TT__WEB_NAME <integer>" per line, nothing else on the line.
 */
#ifndef TT_WEB_ABI_H
#define TT_WEB_ABI_H

/* The event record (struct tt__web_event in transport_web.c): six 32-bit fields. */
#define TT__WEB_EVENT_KIND 0
#define TT__WEB_EVENT_DATA 4
#define TT__WEB_EVENT_LENGTH 8
#define TT__WEB_EVENT_TEXT 12
#define TT__WEB_EVENT_CODE 16
#define TT__WEB_EVENT_WAS_CLEAN 20
#define TT__WEB_EVENT_SIZE 24

/* Event kinds (the record's kind field). */
#define TT__WEB_EV_OPEN 1
#define TT__WEB_EV_MESSAGE 2
#define TT__WEB_EV_ERROR 3
#define TT__WEB_EV_CLOSE 4
/* A message arrived that could not be copied into the wasm heap (tt__web_alloc refused it). */
#define TT__WEB_EV_NO_MEMORY 5
/* A mini-game container reported the result (success or fail) of one send: length = its bytes. */
#define TT__WEB_EV_SENT 6
/* One field of a container's onOpen profile, just before the open: code = the field's index in
 * tt_open_profile, length = its value in ms (a moment: after the host's fetchStart; from
 * TT__WEB_PROFILE_RTT on: a duration). */
#define TT__WEB_EV_PROFILE 7
/* A container's send failed while its SocketTask was closing: wait for the host's onClose. */
#define TT__WEB_EV_CLOSING 8

/* The index in tt_open_profile of rtt: the fields from here on are durations, not moments. */
#define TT__WEB_PROFILE_RTT 12

/* Backends (the values of tt_backend in include/ttsocket.h; 0 = auto, or none found). */
#define TT__WEB_BACKEND_NONE 0
#define TT__WEB_BACKEND_BROWSER 2
#define TT__WEB_BACKEND_TT 3
#define TT__WEB_BACKEND_WX 4

/* The close code of a connection that ended without a closing handshake. */
#define TT__WEB_CLOSE_ABNORMAL 1006

/* SocketTask.readyState of a closing and a closed task (a container's own constants, as WebSocket's). */
#define TT__WEB_READY_CLOSING 2
#define TT__WEB_READY_CLOSED 3

/* A container gets the connect timeout plus this much: the core's own timer stays the authority and
 * fires first; the host's timeout is only a backstop. */
#define TT__WEB_HOST_TIMEOUT_SLACK_MS 1000

/* A request header as tt__web_new reads it: struct tt_header, two 32-bit pointers. */
#define TT__WEB_HEADER_NAME 0
#define TT__WEB_HEADER_VALUE 4
#define TT__WEB_HEADER_SIZE 8

/* Results of tt__web_new (a socket id is > 0). */
#define TT__WEB_NEW_EURL -1
#define TT__WEB_NEW_ENOWS -2
#define TT__WEB_NEW_ENOMEM -3

/* Results of tt__web_send, tt__web_close and tt__web_random. */
#define TT__WEB_OK 0
#define TT__WEB_FAIL -1

#endif
