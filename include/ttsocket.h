/*
 * ttsocket: the Douyin mini-game network API (tt.connectSocket / SocketTask) for C and C++.
 *
 * The same calls, callbacks, errMsg strings and close codes are delivered by two builds: a web build
 * that drives the browser's WebSocket through Emscripten, and a native build that speaks RFC 6455 over
 * non-blocking sockets and OpenSSL. A real browser (Chromium) is the reference for every behaviour.
 *
 * Threading: every function in this header must be called from one thread, the game thread. Callbacks
 * are delivered on that thread too.
 *
 * Delivery: callbacks are never delivered inside the call that caused them. tt_connect_socket(),
 * tt_socket_task_send() and tt_socket_task_close() return first; their success/fail/complete callbacks
 * and every event arrive later, in order, from the runtime's dispatch point. In the native build that is
 * tt_runtime_poll(). In the web build the browser event loop delivers them by itself, and
 * tt_runtime_poll() drains anything still pending. The results of calls made inside a callback arrive
 * after that callback returns and before any event that comes after it (for example, a send made in
 * onMessage gets its success and complete before the next onMessage).
 *
 * Order for one task: connectSocket success (or fail), then complete, then onOpen, then onMessage for
 * each message, then onError (only if the connection failed), then onClose. A task gets exactly one
 * onClose and nothing after it.
 *
 * Borrowed pointers: every pointer inside a result or an event is valid only during the callback that
 * receives it. Copy what you keep.
 *
 * Every option struct is zero-initialisable, and zero means the documented default.
 */
#ifndef TTSOCKET_H
#define TTSOCKET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(TT_STATIC)
#  define TT_EXTERN
#elif defined(_WIN32)
#  if defined(TT_BUILDING_LIBRARY)
#    define TT_EXTERN __declspec(dllexport)
#  else
#    define TT_EXTERN __declspec(dllimport)
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define TT_EXTERN __attribute__((visibility("default")))
#else
#  define TT_EXTERN
#endif

#define TT_VERSION_MAJOR 0
#define TT_VERSION_MINOR 1
#define TT_VERSION_PATCH 0
/* The version as one comparable number: 0xMMmmpp. */
#define TT_VERSION_NUM ((TT_VERSION_MAJOR << 16) | (TT_VERSION_MINOR << 8) | TT_VERSION_PATCH)

/*
 * Error codes returned by tt_runtime_configure(), tt_runtime_poll() and the internal engine. They are
 * negative; 0 means success. tt_strerror() turns one into an English sentence. The table is one
 * X-macro, so the codes and their texts never drift apart.
 */
#define TT_ERRNO_MAP(XX)                                                        \
    XX(EINVAL, -1, "invalid argument")                                          \
    XX(ENOMEM, -2, "out of memory")                                             \
    XX(EAGAIN, -3, "more input is needed")                                      \
    XX(EURL, -4, "invalid URL")                                                 \
    XX(ESCHEME, -5, "URL scheme is not ws or wss")                              \
    XX(EDOMAIN, -6, "host is not in the legal socket domain list")              \
    XX(EHEADER, -7, "invalid request header")                                   \
    XX(EFORBIDDENHEADER, -8, "request header may not be set")                   \
    XX(EPROTOCOL, -9, "invalid subprotocol")                                    \
    XX(EDUPPROTOCOL, -10, "duplicate subprotocol")                              \
    XX(ECLOSECODE, -11, "invalid close code")                                   \
    XX(EREASON, -12, "close reason is longer than 123 bytes")                   \
    XX(EUTF8, -13, "invalid UTF-8")                                             \
    XX(ELIMIT, -14, "too many open tasks")                                      \
    XX(ESTATE, -15, "WebSocket is not connected")                               \
    XX(ENOTASK, -16, "unknown socket task")                                     \
    XX(EHANDSHAKE, -17, "invalid handshake response")                           \
    XX(EFRAME, -18, "protocol violation in a frame")                            \
    XX(ETOOBIG, -19, "message exceeds the size limit")                          \
    XX(ETLS, -20, "TLS failure")                                                \
    XX(ECONNECT, -21, "connection failed")                                      \
    XX(ERESOLVE, -22, "host name could not be resolved")                        \
    XX(ETIMEOUT, -23, "timed out")                                              \
    XX(ECLOSED, -24, "connection closed")                                       \
    XX(EIO, -25, "I/O error")                                                   \
    XX(EBUFFER, -26, "send buffer is full")                                     \
    XX(ETIMEOUTARG, -27, "invalid timeout")                                     \
    XX(EEXTENSION, -28, "invalid extension")                                    \
    XX(EINSECURE, -29, "wss:// is required outside development mode")           \
    XX(EWOULDBLOCK, -33, "cannot wait here: return to the browser's event loop")

typedef enum tt_errno {
    TT_OK = 0,
#define TT__ERRNO_ENUM(name, value, text) TT_##name = (value),
    TT_ERRNO_MAP(TT__ERRNO_ENUM)
#undef TT__ERRNO_ENUM
    TT__ERRNO_LAST = -33
} tt_errno;

/* Returns a static English sentence for a TT_E* code (or "success" for 0, "unknown error" otherwise). */
TT_EXTERN const char *tt_strerror(int code);

/* Returns the library version as "MAJOR.MINOR.PATCH"; the string is static. */
TT_EXTERN const char *tt_version(void);

/*
 * A socket task handle. The id is the task's socketTaskId: 1, 2, 3 ... in creation order, unique for the
 * life of the process and never reused. {0} means "no task". Using a handle after its task is gone is
 * safe: calls fail with an errMsg, and nothing crashes.
 */
typedef struct tt_socket_task {
    uint32_t id;
} tt_socket_task;

/* One request header. Both strings are copied by tt_connect_socket(). */
typedef struct tt_header {
    const char *name;
    const char *value;
} tt_header;

/*
 * The argument of success / fail / complete callbacks. err_msg is one of the strings in the README's
 * errMsg table, e.g. "connectSocket:ok" or "sendSocketMessage:fail WebSocket is not connected".
 * socket_task_id is set by connectSocket success only; it is 0 everywhere else.
 */
typedef struct tt_result {
    const char *err_msg;
    uint32_t socket_task_id;
} tt_result;
typedef void (*tt_result_cb)(const tt_result *result, void *user_data);

/*
 * Options of tt_connect_socket(). Everything is copied before the call returns.
 *
 * url: required; ws:// or wss:// (http:// and https:// are accepted and mean ws:// and wss://, as in
 *   the browser). Unless tt_runtime_config.skip_domain_check is set, the scheme must be wss and the host
 *   must be one of the configured socket domains.
 * header/header_count: extra request headers. Names must be HTTP tokens and values must not contain CR,
 *   LF or NUL. Referer and every name a browser forbids (Host, Origin, Cookie, Sec-*, Proxy-*, ...) are
 *   refused. The web build's browser backend cannot send headers (see the README's parity exceptions).
 * protocols/protocol_count: offered subprotocols, HTTP tokens without duplicates. If any are offered, the
 *   server must choose one of them or the connection fails.
 * timeout_ms: time allowed for the connection to open; 0 means tt_runtime_config.connect_timeout_ms.
 *   Negative values are refused.
 * success/fail/complete: called once each as appropriate, later, from the dispatch point. success means
 *   the task was created, not that the server answered: a refused connection still gets success and then
 *   onError + onClose.
 */
typedef struct tt_connect_socket_options {
    const char *url;
    const tt_header *header;
    size_t header_count;
    const char *const *protocols;
    size_t protocol_count;
    int timeout_ms;
    tt_result_cb success, fail, complete;
    void *user_data;
} tt_connect_socket_options;

/*
 * Creates a socket task and starts connecting. Returns the new task, or {0} when the options are
 * refused; in that case the fail callback reports why (e.g. "connectSocket:fail url not in domain list")
 * and no event is ever delivered. A NULL options pointer returns {0} and calls nothing.
 * A new connection never closes earlier ones.
 */
TT_EXTERN tt_socket_task tt_connect_socket(const tt_connect_socket_options *options);

typedef enum tt_data_type { TT_DATA_TEXT = 0, TT_DATA_BINARY = 1 } tt_data_type;

/*
 * Options of tt_socket_task_send(). The payload is copied before the call returns. Text must be valid
 * UTF-8 (U+0000 is allowed) and is sent as a text frame; binary is sent as a binary frame.
 */
typedef struct tt_send_options {
    tt_data_type type;
    const void *data;
    size_t length;
    tt_result_cb success, fail, complete;
    void *user_data;
} tt_send_options;

/*
 * Queues one message. The result is "sendSocketMessage:ok" once the message is handed to the
 * connection, or a fail such as "sendSocketMessage:fail WebSocket is not connected" (not OPEN: while
 * CONNECTING, as the browser's InvalidStateError; while CLOSING or CLOSED the payload is dropped and, as
 * in the browser, bufferedAmount still grows by its length). A NULL options pointer does nothing.
 */
TT_EXTERN void tt_socket_task_send(tt_socket_task task, const tt_send_options *options);

/*
 * Options of tt_socket_task_close(). code 0 means 1000. Valid codes are 1000, 1001 and 3000-4999.
 * reason NULL means ""; it must be valid UTF-8 of at most 123 bytes. Code and reason are checked before
 * the state, as in the browser.
 */
typedef struct tt_close_options {
    int code;
    const char *reason;
    tt_result_cb success, fail, complete;
    void *user_data;
} tt_close_options;

/*
 * Starts the closing handshake. While CONNECTING the connection is failed instead (onError, then onClose
 * 1006), as in the browser. A NULL options pointer means all defaults.
 */
TT_EXTERN void tt_socket_task_close(tt_socket_task task, const tt_close_options *options);

/* protocol: the subprotocol the server chose, "" if none. extensions: the negotiated extensions, "" if none. */
typedef struct tt_open_event {
    const char *protocol;
    const char *extensions;
} tt_open_event;

/* One whole message. Text data is valid UTF-8 and is not NUL-terminated: use length. */
typedef struct tt_message_event {
    tt_data_type type;
    const void *data;
    size_t length;
} tt_message_event;

/*
 * code: the close code the peer sent (as sent, 0-65535, even one RFC 6455 forbids; 1005, 1006 and 1015
 * fail the connection instead); 1005 if its Close frame had no code; 1006 if the connection was failed
 * or dropped without a closing handshake. A drop after open is onClose 1006 without onError, as in
 * Chromium; a drop after the peer's Close keeps its code. reason: UTF-8, "" if none. was_clean: 1 only if
 * the TCP connection closed (FIN) after a completed closing handshake.
 */
typedef struct tt_close_event {
    int code;
    const char *reason;
    int was_clean;
} tt_close_event;

/*
 * err_msg: one string from the errMsg table, identical on both builds. detail: a diagnostic sentence,
 * never NULL. Failures the core decides (timeout, close before open, shutdown, message too large) have
 * the same detail on both builds; for network failures the native build names the cause (e.g.
 * "connect: Connection refused (127.0.0.1:9)"), the web build on a mini-game container gives the host's
 * errMsg, and on the browser backend it gives "" because the browser
 * exposes nothing.
 */
typedef struct tt_error_event {
    const char *err_msg;
    const char *detail;
} tt_error_event;

typedef void (*tt_open_cb)(tt_socket_task task, const tt_open_event *event, void *user_data);
typedef void (*tt_message_cb)(tt_socket_task task, const tt_message_event *event, void *user_data);
typedef void (*tt_close_cb)(tt_socket_task task, const tt_close_event *event, void *user_data);
typedef void (*tt_error_cb)(tt_socket_task task, const tt_error_event *event, void *user_data);

/*
 * Set (or replace, or with NULL remove) one listener per event kind. Listeners set after
 * tt_connect_socket() returns, before the next dispatch, never miss an event. Setting a listener on an
 * unknown or finished task does nothing.
 */
TT_EXTERN void tt_socket_task_on_open(tt_socket_task task, tt_open_cb cb, void *user_data);
TT_EXTERN void tt_socket_task_on_message(tt_socket_task task, tt_message_cb cb, void *user_data);
TT_EXTERN void tt_socket_task_on_close(tt_socket_task task, tt_close_cb cb, void *user_data);
TT_EXTERN void tt_socket_task_on_error(tt_socket_task task, tt_error_cb cb, void *user_data);

typedef enum tt_ready_state { TT_CONNECTING = 0, TT_OPEN = 1, TT_CLOSING = 2, TT_CLOSED = 3 } tt_ready_state;

/*
 * The state the game sees. It changes when the matching event is delivered (OPEN with onOpen, CLOSED
 * just before onError/onClose), except that tt_socket_task_close() moves an OPEN task to CLOSING at
 * once. An unknown or finished task reads TT_CLOSED.
 */
TT_EXTERN tt_ready_state tt_socket_task_ready_state(tt_socket_task task);

/* Bytes of application data queued but not yet written to the network. 0 for an unknown task. */
TT_EXTERN size_t tt_socket_task_buffered_amount(tt_socket_task task);

/*
 * Runtime settings. Optional; call before the first tt_connect_socket() or between tasks. Strings are
 * copied.
 *
 * socket_domains: the game's legal socket domains (host names, matched case-insensitively; a leading
 *   "wss://" and a trailing port are tolerated). skip_domain_check: development mode, any host and ws://.
 * connect_timeout_ms: default of tt_connect_socket_options.timeout_ms; 0 = 60000.
 * max_connections: tasks that may be alive at once; 0 = unlimited.
 * max_message_size: incoming messages larger than this fail the connection; 0 = 64 MiB.
 * ca_file: native only: a PEM file with extra trust anchors; ignored on web.
 * close_timeout_ms: native and mini-game containers: how long to wait for the Close after ours; 0 = 60000 (Chromium).
 * disable_deflate: native only: do not offer permessage-deflate (the browser always offers it).
 * max_buffered_amount: native only: the send buffer limit in bytes; a message that would make the
 *   bytes not yet written exceed it fails the connection (onError "WebSocket send buffer full", then
 *   onClose 1006), as the browser does when its buffer is full. 0 means 64 MiB. The web build ignores it.
 * backend: which network API carries the connections (tt_backend); 0 (TT_BACKEND_AUTO) lets the build
 *   choose: native sockets in the native build; in the web build, chosen at each tt_connect_socket():
 *   the mini-game container's tt.connectSocket when a global tt has it, else wx.connectSocket, else the
 *   browser WebSocket. A backend the build never has (native vs web) is TT_EINVAL.
 *
 * Returns 0, or TT_EINVAL for negative numbers, TT_ENOMEM when copying fails.
 */
typedef struct tt_runtime_config {
    const char *const *socket_domains;
    size_t socket_domain_count;
    int skip_domain_check;
    int connect_timeout_ms;
    int max_connections;
    size_t max_message_size;
    const char *ca_file;
    int close_timeout_ms;
    int disable_deflate;
    size_t max_buffered_amount;
    int backend;
} tt_runtime_config;
TT_EXTERN int tt_runtime_configure(const tt_runtime_config *config);

/* The values of tt_runtime_config.backend. */
typedef enum tt_backend {
    TT_BACKEND_AUTO = 0,
    TT_BACKEND_NATIVE = 1,  /* POSIX sockets + OpenSSL (native build) */
    TT_BACKEND_BROWSER = 2, /* the browser's WebSocket (web build) */
    TT_BACKEND_TT = 3,      /* Douyin mini-game container: tt.connectSocket (web build) */
    TT_BACKEND_WX = 4       /* WeChat mini-game container: wx.connectSocket (web build) */
} tt_backend;

/*
 * The backend the next tt_connect_socket() would use under the current configuration: "native",
 * "browser", "tt" or "wx"; "none" in a web build that finds none of them (connections then fail).
 */
TT_EXTERN const char *tt_runtime_backend(void);

/*
 * What a callback may not do: leave by any way other than returning. A C++ exception thrown out of a
 * callback or a longjmp() out of it skips the library's own frames. In the native build they then still
 * count the callback as running: no task gets another event, and tt_runtime_poll() and
 * tt_runtime_shutdown() refuse to work. The web build sees such an exception reach the browser (as an
 * uncaught error, reported like one from an event listener) and recovers: every later callback is still
 * delivered. Either way the game's own state is whatever the exception left; catch inside the callback
 * (a C++ game: wrap its body in try/catch). Callbacks may call every function of this header except
 * tt_runtime_poll(); tt_runtime_shutdown() from a callback runs once the callback has returned.
 */

/*
 * Runs I/O for every task and delivers pending callbacks in order. timeout_ms: 0 = do not wait,
 * -1 = wait until at least one callback was delivered or nothing is left to wait for, otherwise
 * the longest wait in milliseconds. Returns the number of callbacks delivered, or a negative TT_E* code.
 * Must not be called from inside a callback (returns TT_ESTATE).
 *
 * The web build cannot wait: the browser delivers every event only after the game's code has returned
 * to its event loop. There tt_runtime_poll(-1) delivers what is already pending and, when that is
 * nothing while tasks are live, returns TT_EWOULDBLOCK at once, so that a native wait loop such as
 * `while (!done && tt_runtime_poll(-1) >= 0) {}` ends instead of spinning forever; a positive
 * timeout_ms returns at once with the count. The README shows the loop for each build.
 */
TT_EXTERN int tt_runtime_poll(int timeout_ms);

/*
 * Fails every live task (onError, then onClose 1006, delivered before it returns), frees everything and
 * forgets the configuration. Task ids keep counting up afterwards. Safe to call more than once.
 */
TT_EXTERN void tt_runtime_shutdown(void);

#ifdef __cplusplus
}
#endif
#endif /* TTSOCKET_H */
