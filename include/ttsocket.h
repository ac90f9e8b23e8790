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
 * fork(): tasks belong to the process that created them. In a forked child (native build) the first call
 * into the library starts the runtime over: every task inherited from the parent fails at the next
 * tt_runtime_poll() with onError "connection failed" (detail "fork: the connection belongs to the parent
 * process") and onClose 1006, without a byte sent on the parent's connections or a change to the
 * parent's event loop; the child's mask keys and Sec-WebSocket-Key nonces are drawn afresh, never shared
 * with the parent. The child may open tasks of its own and call tt_runtime_shutdown(). Fork only from the
 * game thread, outside callbacks; the parent's tasks go on unaffected.
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
 *
 * ABI (README, "Versioning and ABI"): libttsocket.so.N keeps its ABI for every release with the same
 * major version N. The structs a caller fills and passes by pointer (tt_connect_socket_options,
 * tt_send_options, tt_close_options, tt_runtime_config) end in reserved pointer slots, so a later minor
 * version can add fields without changing their size or the offset of any existing field: a new field
 * takes the place of reserved slots at the end, and a binary built against an older header passes zeros
 * there, which always mean "the default". So callers must zero the whole struct, which a designated
 * initializer ((tt_send_options){ .data = p, .length = n }), `= {0}` or memset all do; never read,
 * write or copy the reserved slots. tt_header is an element of an array the caller passes, so it never
 * grows. The structs the library fills and passes to callbacks (tt_result and the events) may grow at
 * their end; callers only read them through the pointer they receive and never allocate or copy them
 * by value.
 */
#ifndef TTSOCKET_H
#define TTSOCKET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(TT_STATIC)
#    define TT_EXTERN
#elif defined(_WIN32)
#    if defined(TT_BUILDING_LIBRARY)
#        define TT_EXTERN __declspec(dllexport)
#    else
#        define TT_EXTERN __declspec(dllimport)
#    endif
#elif defined(__GNUC__) || defined(__clang__)
#    define TT_EXTERN __attribute__((visibility("default")))
#else
#    define TT_EXTERN
#endif

#define TT_VERSION_MAJOR 0
#define TT_VERSION_MINOR 1
#define TT_VERSION_PATCH 0
/* The version as one comparable number: 0xMMmmpp. */
#define TT_VERSION_NUM ((TT_VERSION_MAJOR << 16) | (TT_VERSION_MINOR << 8) | TT_VERSION_PATCH)

/*
 * Error codes. They are negative; 0 means success. tt_strerror() turns one into an English sentence,
 * and the texts of most of them also appear as the detail of an onError. The table is one X-macro, so
 * the codes and their texts never drift apart. Codes only keep their values: new ones are added at the
 * end. -3 and -18 are statuses of the protocol engine that never reach a game; they live in the
 * library's internal table (tt_strerror() still knows them).
 */
#define TT_ERRNO_MAP(XX)                                                        \
    XX(EINVAL, -1, "invalid argument")                                          \
    XX(ENOMEM, -2, "out of memory")                                             \
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
    XX(EIDLE, -30, "nothing to wait for: no live task and no pending callback") \
    XX(EINCALLBACK, -31, "not allowed inside a ttsocket callback")              \
    XX(ENOWEBSOCKET, -32, "no global WebSocket in this JavaScript environment") \
    XX(EWOULDBLOCK, -33, "cannot wait here: return to the browser's event loop")

typedef enum tt_errno {
    TT_OK = 0,
#define TT__ERRNO_ENUM(name, value, text) TT_##name = (value),
    TT_ERRNO_MAP(TT__ERRNO_ENUM)
#undef TT__ERRNO_ENUM
} tt_errno;

/* The last row's value (each row adds "*0 + value", so only the last one counts): the lowest code. */
#define TT__ERRNO_LAST_VALUE(name, value, text) *0 + (value)
enum { TT__ERRNO_LAST = 0 TT_ERRNO_MAP(TT__ERRNO_LAST_VALUE) };
#undef TT__ERRNO_LAST_VALUE

/*
 * Close codes (RFC 6455, section 7.4.1, and the IANA registry) by name, as in tt_close_options.code and tt_close_event.code.
 * A game may send TT_CLOSE_NORMAL, TT_CLOSE_GOING_AWAY and TT_CLOSE_APP_MIN..TT_CLOSE_APP_MAX. The library
 * sends TT_CLOSE_PROTOCOL_ERROR and TT_CLOSE_TOO_BIG when it fails a connection, as Chromium does.
 * TT_CLOSE_NO_STATUS, TT_CLOSE_ABNORMAL and TT_CLOSE_TLS_HANDSHAKE are never sent: they are reported for
 * a Close without a code, a connection that ended without a Close, and (per the RFC) a TLS failure.
 */
typedef enum tt_close_code {
    TT_CLOSE_NORMAL = 1000,
    TT_CLOSE_GOING_AWAY = 1001,
    TT_CLOSE_PROTOCOL_ERROR = 1002,
    TT_CLOSE_UNSUPPORTED_DATA = 1003,
    TT_CLOSE_NO_STATUS = 1005,
    TT_CLOSE_ABNORMAL = 1006,
    TT_CLOSE_INVALID_PAYLOAD = 1007,
    TT_CLOSE_POLICY_VIOLATION = 1008,
    TT_CLOSE_TOO_BIG = 1009,
    TT_CLOSE_MANDATORY_EXTENSION = 1010,
    TT_CLOSE_INTERNAL_ERROR = 1011,
    TT_CLOSE_SERVICE_RESTART = 1012, /* 1012-1014: registered with IANA after RFC 6455 */
    TT_CLOSE_TRY_AGAIN_LATER = 1013,
    TT_CLOSE_BAD_GATEWAY = 1014,
    TT_CLOSE_TLS_HANDSHAKE = 1015,
    TT_CLOSE_APP_MIN = 3000, /* the range RFC 6455 leaves to applications */
    TT_CLOSE_APP_MAX = 4999
} tt_close_code;

/* Returns a static English sentence for a TT_E* code (or "success" for 0, "unknown error" otherwise). */
TT_EXTERN const char *tt_strerror(int code);

/* Returns the library version as "MAJOR.MINOR.PATCH"; the string is static. */
TT_EXTERN const char *tt_version(void);

/*
 * A socket task handle. The id is the task's socketTaskId: 1, 2, 3 ... in creation order, unique for the
 * life of the process and never reused (tt_runtime_shutdown() does not start them over). {0} means "no
 * task". Using a handle after its task is gone is safe: calls fail with an errMsg, and nothing crashes.
 * Ids are 32-bit: after the 4,294,967,295th task, tt_connect_socket() fails with "connectSocket:fail
 * socketTaskId exhausted" rather than hand out an id a stale handle might still hold.
 */
typedef struct tt_socket_task {
    uint32_t id;
} tt_socket_task;

/* One request header. Both strings are copied by tt_connect_socket(). Callers pass arrays of it, so it
 * never grows (see "ABI" above). */
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
 * url: required; wss:// (ws:// only with tt_runtime_config.skip_domain_check); http:// and https:// are
 *   refused ("connectSocket:fail invalid url scheme"), as tt requires. The URL is accepted only when a
 *   browser's URL parser would read it as the same host, port, path and query (the README's "URLs"
 *   section lists what is refused, e.g. backslashes, userinfo, "127.1"); both builds connect to the URL
 *   rebuilt from the parsed parts. Unless skip_domain_check is set, the host must be one of the
 *   configured socket domains.
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
    void *reserved[8]; /* room for later fields: keep zero */
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
    void *reserved[4]; /* room for later fields: keep zero */
} tt_send_options;

/*
 * Queues one message. The result is "sendSocketMessage:ok" once the message is handed to the
 * connection, or a fail such as "sendSocketMessage:fail WebSocket is not connected" (not OPEN: while
 * CONNECTING, as the browser's InvalidStateError; while CLOSING or CLOSED the payload is dropped). A
 * refused send was never handed to the connection, so it leaves bufferedAmount unchanged (the browser's
 * own counter grows by a send made in CLOSING or CLOSED; tt refuses such a send instead). A NULL options
 * pointer does nothing.
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
    void *reserved[4]; /* room for later fields: keep zero */
} tt_close_options;

/*
 * Starts the closing handshake. While CONNECTING the connection is failed instead (onError, then onClose
 * 1006), as in the browser. A NULL options pointer means all defaults.
 */
TT_EXTERN void tt_socket_task_close(tt_socket_task task, const tt_close_options *options);

/*
 * A profile time or duration the active backend cannot observe (the browser exposes only when a
 * WebSocket was created and when it opened). Never a made-up number: check for it before using a field.
 */
#define TT_PROFILE_UNKNOWN (-1)

/*
 * How one connection opened, after WeChat's onOpen `profile` (fetchStart, domainLookUpStart/End,
 * connectStart/End, rtt, handshakeCost, cost) with the phases a WebSocket adds. Times are milliseconds on
 * the runtime's monotonic clock (native: CLOCK_MONOTONIC; web: performance.now()), one clock for every
 * task, so they can be compared across tasks; durations are milliseconds. Each field is >= 0 or
 * TT_PROFILE_UNKNOWN. The README's "Open profile" table says which backend fills which field. When the
 * host had to try several addresses, the connect and TLS times are those of the connection that opened.
 * The struct may grow at its end: read it only through the pointer in tt_open_event.
 */
typedef struct tt_open_profile {
    int64_t fetch_start;          /* tt_connect_socket() was called */
    int64_t domain_lookup_start;  /* name resolution began; with no lookup to do (an IP literal) start and
                                     end are one moment, as WeChat reports a cached lookup */
    int64_t domain_lookup_end;    /* name resolution ended */
    int64_t connect_start;        /* TCP connect() began */
    int64_t tcp_connect_end;      /* TCP connection established */
    int64_t ssl_connection_start; /* TLS handshake began; ws:// has none: = tcp_connect_end */
    int64_t ssl_connection_end;   /* TLS handshake done; ws:// has none: = tcp_connect_end */
    int64_t connect_end;          /* WeChat's connectEnd: the connection is established, TLS included */
    int64_t request_start;        /* the first byte of the HTTP Upgrade request was written */
    int64_t request_end;          /* its last byte was written */
    int64_t response_end;         /* the 101 response was received and accepted */
    int64_t open;                 /* the backend reported the connection open (then onOpen was queued) */
    int64_t rtt;                  /* WeChat's rtt, "one connection's cost, connect and TLS included":
                                     connect_end - connect_start */
    int64_t handshake_cost;       /* WeChat's handshakeCost, the WebSocket opening handshake:
                                     response_end - request_start */
    int64_t cost;                 /* WeChat's cost, from the call to the answer: open - fetch_start */
} tt_open_profile;

/*
 * protocol: the subprotocol the server chose, "" if none. extensions: the negotiated extensions, "" if none.
 * header/header_count: the fields of the server's 101 response in the order received, names and values
 *   as sent (values without surrounding whitespace); on a mini-game container, the fields of the host's
 *   onOpen header as it gives them; NULL/0 where the backend cannot see them (the browser: see
 *   tt_runtime_capabilities() and the README's parity exceptions). Borrowed for the callback.
 * profile: never NULL; how the connection opened (see tt_open_profile).
 * The struct may grow at its end (fields are only ever added there).
 */
typedef struct tt_open_event {
    const char *protocol;
    const char *extensions;
    const tt_header *header;
    size_t header_count;
    const tt_open_profile *profile;
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
 * Chromium; a drop after the peer's Close keeps its code. reason: UTF-8, "" if none. was_clean: 1 only
 * after a completed closing handshake (both Close frames exchanged) that TCP did not cut short: the
 * server then closed TCP (FIN), or it kept TCP open for the 2 seconds Chromium waits and the client closed
 * it, which Chromium also reports as clean. 0 for a failure, a drop (also an RST after the handshake), or
 * no answer to our Close.
 */
typedef struct tt_close_event {
    int code;
    const char *reason;
    int was_clean;
} tt_close_event;

/*
 * err_msg: one string from the errMsg table, identical on both builds. detail: a diagnostic sentence,
 * never NULL. Failures the core decides (timeout, close before open, shutdown, message too large) have
 * the same detail on both builds. For network failures the native build names the cause (e.g.
 * "connect: Connection refused (127.0.0.1:9)"); on a mini-game container the web build gives the host's
 * errMsg; on the browser backend it gives "" when the browser reported the failure, because the browser
 * exposes nothing, and tt_strerror() of the reason when it could not
 * create the browser WebSocket at all: "no global WebSocket in this JavaScript environment"
 * (TT_ENOWEBSOCKET; Node 20 needs --experimental-websocket) or "invalid URL" (the constructor threw).
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

/* A statistic the active backend cannot count (the browser does not expose its wire traffic). */
#define TT_STATS_UNKNOWN UINT64_MAX

/*
 * Traffic of one task, or of the whole runtime (tt_runtime_stats()). Plain counters, kept at no
 * measurable cost. Payload bytes are application bytes (before compression); wire bytes are the
 * WebSocket byte stream (opening handshake, frame headers, masks, compressed payloads; TLS records not
 * included). Fields the backend cannot count read TT_STATS_UNKNOWN. The struct is zero-initialisable and
 * may grow at its end: the calls take its size, write only that many bytes and zero the part they do
 * not know, so an old binary and a new library (or the reverse) agree.
 */
typedef struct tt_task_stats {
    uint64_t messages_sent;     /* messages handed to the connection ("sendSocketMessage:ok") */
    uint64_t messages_received; /* whole messages that arrived (also those dropped after close()) */
    uint64_t bytes_sent;        /* their payload bytes */
    uint64_t bytes_received;
    uint64_t wire_bytes_sent;     /* bytes written to the connection */
    uint64_t wire_bytes_received; /* bytes read from it */
    uint64_t frames_sent;         /* every frame: data, Ping answers (Pong), Close */
    uint64_t frames_received;
    uint64_t pings_received;
    uint64_t pongs_sent;                  /* Pings answered */
    uint64_t compressed_payload_sent;     /* permessage-deflate: payload bytes of messages sent compressed */
    uint64_t compressed_wire_sent;        /*   and their size after compression; ratio = wire / payload */
    uint64_t compressed_payload_received; /* payload bytes of messages that arrived compressed, inflated */
    uint64_t compressed_wire_received;    /*   and their compressed size as received */
    uint64_t peak_buffered_amount;        /* the highest bufferedAmount the connection reached */
    uint64_t open_ms;                     /* time open: from the open report to the end (or to now) */
    uint64_t tasks;                       /* tasks counted: 1 for a task; for the runtime, every task ever */
} tt_task_stats;

/*
 * Fills *stats (stats_size = sizeof *stats) with the task's statistics, also inside its onClose.
 * Returns 0, TT_ENOTASK for an unknown or finished task, TT_EINVAL for a NULL pointer or a size smaller
 * than the first field.
 */
TT_EXTERN int tt_socket_task_stats(tt_socket_task task, tt_task_stats *stats, size_t stats_size);

/*
 * The sum over every task the process has had (live and finished; tt_runtime_shutdown() keeps it);
 * peak_buffered_amount is the highest of any task. Returns 0 or TT_EINVAL as above.
 */
TT_EXTERN int tt_runtime_stats(tt_task_stats *stats, size_t stats_size);

/*
 * What the active backend honours, so that a game can adapt instead of reading the parity-exceptions
 * table. tt_runtime_capabilities() returns a set of these bits; a bit added later is simply absent in
 * older libraries.
 */
typedef enum tt_capability {
    TT_CAP_REQUEST_HEADERS = 1u << 0,   /* the header option is sent */
    TT_CAP_CLOSE_1001 = 1u << 1,        /* close code 1001 goes out as 1001 (else as 1000) */
    TT_CAP_RESPONSE_HEADER = 1u << 2,   /* tt_open_event.header holds the 101's fields */
    TT_CAP_PROFILE_NETWORK = 1u << 3,   /* the profile's lookup, connect, TLS, request and response times */
    TT_CAP_DEFLATE = 1u << 4,           /* permessage-deflate is offered and used */
    TT_CAP_DEFLATE_OPTION = 1u << 5,    /* tt_runtime_config.disable_deflate is honoured */
    TT_CAP_SEND_BUFFER_LIMIT = 1u << 6, /* tt_runtime_config.max_buffered_amount is honoured */
    TT_CAP_WIRE_STATS = 1u << 7,        /* wire bytes, frames, pings, compression and the peak
                                           bufferedAmount are counted */
    TT_CAP_ERROR_DETAIL = 1u << 8,      /* onError's detail names the cause of network failures */
    TT_CAP_CA_FILE = 1u << 9            /* tt_runtime_config.ca_file is honoured */
} tt_capability;
TT_EXTERN uint32_t tt_runtime_capabilities(void);

/*
 * Runtime settings. Optional; call before the first tt_connect_socket() or between tasks. Strings are
 * copied.
 *
 * socket_domains: the game's legal socket domains (host names, matched case-insensitively; a leading
 *   "wss://" and a trailing port are tolerated; "[v6]" entries match any spelling of that address; a
 *   trailing dot is ignored on either side, so "good.example." matches "good.example" and the other way
 *   round). skip_domain_check: development mode, any host and ws://.
 * connect_timeout_ms: default of tt_connect_socket_options.timeout_ms; 0 = 60000.
 * max_connections: tasks that may be alive at once; 0 = unlimited.
 * max_message_size: incoming messages larger than this fail the connection (onError "WebSocket message
 *   too large"); 0 = 64 MiB. It is applied to the bytes as they arrive, never to the length a frame header
 *   announces. A header announcing 2^31 bytes or more ends the connection as Chromium does: onClose 1006
 *   without onError.
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
    int backend;       /* took the first reserved slot: the struct's size and offsets are unchanged */
    void *reserved[7]; /* room for later fields: keep zero */
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
 * -1 = wait until at least one callback was delivered, otherwise the longest wait in milliseconds (with
 * no live task and nothing pending it returns 0 at once). Both builds return:
 * - the number of callbacks delivered (0 or more);
 * - TT_EIDLE: timeout_ms is -1, nothing was delivered and nothing is left to wait for: no task is live
 *   and no callback is pending. A refused tt_connect_socket() ends this way once its fail callback has
 *   been delivered, so `while (!done && tt_runtime_poll(-1) >= 0) {}` cannot spin;
 * - TT_EINCALLBACK: called from inside a ttsocket callback; nothing was done;
 * - TT_EINVAL: timeout_ms is below -1;
 * - another negative TT_E* code if the native event loop itself failed (e.g. TT_EIO).
 *
 * The web build cannot wait: the browser delivers every event only after the game's code has returned
 * to its event loop. There tt_runtime_poll(-1) delivers what is already pending and, when that is
 * nothing while tasks are live, returns TT_EWOULDBLOCK at once (so the same wait loop ends instead of
 * spinning forever); a positive timeout_ms returns at once with the count. The README shows the loop
 * for each build.
 */
TT_EXTERN int tt_runtime_poll(int timeout_ms);

/*
 * Fails every live task (onError "runtime shut down", then onClose 1006), frees everything and forgets
 * the configuration. Task ids keep counting up afterwards. Safe to call more than once.
 *
 * Outside a callback those callbacks are delivered before it returns. Inside a callback they cannot be
 * (a callback never runs inside another): the call returns at once, and the shutdown happens as soon as
 * the running callback has returned, still inside the same tt_runtime_poll() (web: the same event-loop
 * turn). What was already queued is delivered first; every task alive at that point, also one created
 * after the call, then gets onError and onClose 1006.
 */
TT_EXTERN void tt_runtime_shutdown(void);

#ifdef __cplusplus
}
#endif
#endif /* TTSOCKET_H */
