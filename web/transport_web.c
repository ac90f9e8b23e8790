/*
 * The web transport: src/transport.h on top of the browser's WebSocket, reached through the helpers in
 * web/library_ttsocket.js (Emscripten's -lwebsocket.js glue is not linked: it costs a malloc and a free
 * per received message and a tenth of the package, and its event structs changed layout between
 * Emscripten releases). The JavaScript half reports each event in this file's own event record; its
 * offsets, the event kinds and every result code are defined once, in web/web_abi.h, for both. The core
 * has validated everything before it calls down; this file only moves bytes, reports events and keeps
 * every call into JavaScript from throwing (an exception there aborts the module); for the same reason
 * an allocation the heap cannot serve fails the task instead of aborting the module.
 *
 * Event mapping. The browser reports a failed connection as error, then close 1006; a clean close by
 * the server as close alone; and a TCP drop after open as close 1006 alone (no error). So: onerror only
 * sets a flag; onclose reports tt__core_on_fail when an error preceded it (or, for Node 20's sake, when
 * a 1006 arrives before open), and tt__core_on_close otherwise, 1006 included. The core produces the
 * game's onError and onClose itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <emscripten/emscripten.h>
#include <emscripten/heap.h>
#include <unistd.h>

#include "transport.h"
#include "tt_internal.h"
#include "web_abi.h"

/*
 * The record web/library_ttsocket.js fills before each call of on_ws_event; it is overwritten by the
 * next event, so the handler copies what it needs first. Every field is 32 bits wide, so JavaScript
 * writes each with one aligned store at the offset web_abi.h gives (checked below).
 */
typedef struct tt__web_event {
    int32_t kind;        /* TT__WEB_EV_* (web_abi.h) */
    const uint8_t *data; /* message: its bytes; close: the reason's UTF-8 bytes; open: "protocol\0extensions",
                            then a container's "\0name\0value" per response header field (valid during
                            the call, followed by a NUL for text) */
    uint32_t length;     /* their length in bytes */
    int32_t text;        /* message: 1 = text, 0 = binary */
    int32_t code;        /* close: the close code; open: the number of header fields */
    int32_t was_clean;   /* close: 1 when the closing handshake completed */
} tt__web_event;

/* The layout web_abi.h defines for both halves, and the backend numbers of include/ttsocket.h. */
_Static_assert(offsetof(tt_header, name) == TT__WEB_HEADER_NAME && offsetof(tt_header, value) == TT__WEB_HEADER_VALUE &&
                   sizeof(tt_header) == TT__WEB_HEADER_SIZE,
               "web_abi.h: tt_header");
_Static_assert(TT__WEB_BACKEND_BROWSER == TT_BACKEND_BROWSER && TT__WEB_BACKEND_TT == TT_BACKEND_TT &&
                   TT__WEB_BACKEND_WX == TT_BACKEND_WX && TT__WEB_BACKEND_NONE == TT_BACKEND_AUTO,
               "web_abi.h: backends");
_Static_assert(offsetof(tt_open_profile, rtt) == TT__WEB_PROFILE_RTT * sizeof(int64_t) &&
                   TT__PHASE_RTT == TT__WEB_PROFILE_RTT,
               "web_abi.h: the profile's first duration");
_Static_assert(TT__WEB_CLOSE_ABNORMAL == TT_CLOSE_ABNORMAL, "web_abi.h names the public close code for the JS half");
_Static_assert(sizeof(const uint8_t *) == 4, "the event record holds 32-bit pointers (wasm32)");
_Static_assert(offsetof(tt__web_event, kind) == TT__WEB_EVENT_KIND, "web_abi.h: kind");
_Static_assert(offsetof(tt__web_event, data) == TT__WEB_EVENT_DATA, "web_abi.h: data");
_Static_assert(offsetof(tt__web_event, length) == TT__WEB_EVENT_LENGTH, "web_abi.h: length");
_Static_assert(offsetof(tt__web_event, text) == TT__WEB_EVENT_TEXT, "web_abi.h: text");
_Static_assert(offsetof(tt__web_event, code) == TT__WEB_EVENT_CODE, "web_abi.h: code");
_Static_assert(offsetof(tt__web_event, was_clean) == TT__WEB_EVENT_WAS_CLEAN, "web_abi.h: was_clean");
_Static_assert(sizeof(tt__web_event) == TT__WEB_EVENT_SIZE, "web_abi.h: size");
/* library_ttsocket.js writes the six fields with one typed-array set, in this order. */
_Static_assert(TT__WEB_EVENT_DATA == TT__WEB_EVENT_KIND + 4 && TT__WEB_EVENT_LENGTH == TT__WEB_EVENT_DATA + 4 &&
                   TT__WEB_EVENT_TEXT == TT__WEB_EVENT_LENGTH + 4 && TT__WEB_EVENT_CODE == TT__WEB_EVENT_TEXT + 4 &&
                   TT__WEB_EVENT_WAS_CLEAN == TT__WEB_EVENT_CODE + 4 &&
                   TT__WEB_EVENT_SIZE == TT__WEB_EVENT_WAS_CLEAN + 4,
               "web_abi.h: the event record's fields are consecutive, in order");

typedef void (*tt__web_event_fn)(const tt__web_event *ev, void *user_data);

/* web/library_ttsocket.js */
extern int tt__web_backend(int requested);
extern int tt__web_new(const char *url, const char *const *protocols, size_t protocol_count, const tt_header *headers,
                       size_t header_count, int timeout_ms, int backend, void *user_data, tt__web_event_fn on_event);
extern int tt__web_send(int ws, int text, const void *data, size_t length);
extern double tt__web_buffered_amount(int ws);
extern int tt__web_close(int ws, int code, const char *reason, size_t reason_length);
extern void tt__web_release(int ws, int abort);
extern int tt__web_timer_set(void (*cb)(void *), double ms, void *user_data);
extern void tt__web_timer_clear(int handle);
extern void tt__web_keepalive(int hold);

/*
 * A heap that cannot grow (a game linked without -sALLOW_MEMORY_GROWTH, Emscripten's default) aborts
 * the whole program when malloc needs more memory than it has (ABORTING_MALLOC), instead of returning
 * NULL. So a large block (a big received message) is asked for only when the heap can grow or the part
 * sbrk has not handed out yet holds it with room to spare; otherwise the task fails (message too large)
 * and the game lives on. Small blocks are left to malloc: the heap's free lists usually have them.
 */
#define TT__WEB_SMALL_BLOCK (64 * 1024)
#define TT__WEB_HEAP_SLACK (256 * 1024)

static int heap_has_room(size_t n) {
    size_t size = emscripten_get_heap_size();
    if (n <= TT__WEB_SMALL_BLOCK || emscripten_get_heap_max() > size) return 1;
    uintptr_t top = (uintptr_t)sbrk(0);
    return top <= size && size - top >= TT__WEB_HEAP_SLACK && n <= size - top - TT__WEB_HEAP_SLACK;
}

/* The allocator for web/library_ttsocket.js (event record, receive buffer), exported so that the game's
 * EXPORTED_FUNCTIONS need not name _malloc and _free, and one export for both (each export costs the npm
 * package's glue a wrapper): frees release (NULL: nothing), then returns a new block of n bytes, or NULL
 * when n is 0 (only the free) or the block does not fit. */
EMSCRIPTEN_KEEPALIVE void *tt__web_alloc(void *release, size_t n) {
    free(release);
    return n && heap_has_room(n) ? malloc(n) : NULL;
}

/* web/library_ttsocket.js calls this when an exception escaped a call into C (see tt__core_recover). */
EMSCRIPTEN_KEEPALIVE void tt__web_recover(void) { tt__core_recover(); }

struct tt__conn {
    uint32_t id;           /* the socketTaskId every up-call names */
    int ws;                /* the socket id of web/library_ttsocket.js, > 0 */
    int error_seen;        /* the browser fired error: the close that follows is a failure */
    int opened;            /* the browser fired open */
    int grace_timer;       /* armed after error in case no close follows (0 = none) */
    int close_timer;       /* container: armed by close() in case the host never reports the close */
    int container;         /* on a mini-game container's SocketTask, not a browser WebSocket */
    size_t pending;        /* container: bytes handed to the host whose send has not reported yet */
    tt__conn *prev, *next; /* live connections, for shutdown */
};

static tt__conn *live;

/* One pending browser timer for the earliest requested service time. */
static int timer_handle;
static int timer_armed;
static double timer_due;

static void conn_link(tt__conn *c) {
    c->prev = NULL;
    c->next = live;
    if (live) live->prev = c;
    live = c;
}

static void conn_unlink(tt__conn *c) {
    if (c->prev) c->prev->next = c->next;
    else live = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

/*
 * Each live connection holds the runtime alive (Emscripten's keepalive counter), so a game's main() may
 * return while its tasks run: an EXIT_RUNTIME build (Node) would otherwise exit after the next callback
 * that leaves no timer pending, before the task's onClose. When the connection is released, the events
 * still to come are queued in the core, whose service timer (tt__web_timer_set) holds the runtime until
 * they are delivered; the runtime may exit after the callback that delivered the last onClose.
 */
static void conn_link_alive(tt__conn *c) {
    conn_link(c);
    tt__web_keepalive(1);
}

/* Silences the JavaScript socket (optionally closing it) and frees the connection. */
static void conn_release(tt__conn *c, int abort) {
    tt__web_keepalive(0);
    conn_unlink(c);
    if (c->grace_timer) tt__web_timer_clear(c->grace_timer);
    if (c->close_timer) tt__web_timer_clear(c->close_timer);
    tt__web_release(c->ws, abort);
    tt__free(c);
}

/* ---- Hooks --------------------------------------------------------------------------------------- */

static uint64_t web_now_ms(void *ud) {
    (void)ud;
    double now = emscripten_get_now();
    return now > 0 ? (uint64_t)now : 0;
}

/* ---- Browser events ------------------------------------------------------------------------------ */

/* Gives the core the `count` response header fields "name\0value\0..." in [at, end) as one block of
 * tt_header and their strings (the JavaScript half counted them and let no NUL into a name or value).
 * Without the memory for it the open comes without its header rather than not at all. */
static void open_header(uint32_t id, const char *at, const char *end, size_t count) {
    size_t bytes = (size_t)(end - at);
    tt_header *fields = count ? tt__malloc(count * sizeof *fields + bytes) : NULL;
    if (fields == NULL) return;
    char *s = memcpy(fields + count, at, bytes);
    for (size_t k = 0; k < count; k++) {
        fields[k].name = s;
        s += strlen(s) + 1;
        fields[k].value = s;
        s += strlen(s) + 1;
    }
    tt__core_on_response_header(id, fields, count);
}

/* The record holds "protocol\0extensions" and a container's header fields (all "" when they did not fit
 * in the heap). */
static void on_ws_open(tt__conn *c, const tt__web_event *ev) {
    uint32_t id = c->id;
    c->opened = 1;
    const char *protocol = ev->length ? (const char *)ev->data : "";
    const char *extensions = ev->length ? protocol + strlen(protocol) + 1 : "";
    /* The fields follow the extensions' NUL and end at the record's own NUL. */
    if (ev->length)
        open_header(id, extensions + strlen(extensions) + 1, (const char *)ev->data + ev->length + 1, (size_t)ev->code);
    /* The conn may be aborted inside the up-call: nothing below touches it. */
    tt__core_on_open(id, protocol, extensions);
}

/* Browsers fire close right after error, in the same task. Node 20's WebSocket (undici) fires only
 * error when the opening handshake fails; this timer reports the failure if no close came. */
#define TT__WEB_ERROR_GRACE_MS 100

static void on_error_grace(void *ud) {
    tt__conn *c = ud;
    uint32_t id = c->id;
    c->grace_timer = 0;
    conn_release(c, 1);
    tt__core_on_fail(id, TT_ECONNECT, "");
}

/* The longest host error text passed on as tt_error_event.detail (longer ones are cut). */
#define TT__WEB_DETAIL_MAX 255

/* A container's error (or any failure the JavaScript half decided for it) ends the connection at once,
 * with the host's errMsg as the detail; its SocketTask may never report a close. */
static void on_container_error(tt__conn *c, const tt__web_event *ev) {
    uint32_t id = c->id;
    char detail[TT__WEB_DETAIL_MAX + 1];
    size_t n = ev->length < sizeof detail ? ev->length : sizeof detail - 1;
    if (n) memcpy(detail, ev->data, n);
    detail[n] = '\0';
    conn_release(c, 1);
    tt__core_on_fail(id, TT_ECONNECT, detail);
}

static void on_ws_error(tt__conn *c) {
    /* Report from the close that follows, which also carries the final state. */
    c->error_seen = 1;
    if (c->grace_timer == 0) c->grace_timer = tt__web_timer_set(on_error_grace, TT__WEB_ERROR_GRACE_MS, c);
}

static void on_ws_close(tt__conn *c, const tt__web_event *ev) {
    uint32_t id = c->id;
    /* After open, a close 1006 without an error is a dropped connection: Chromium fires no error then. */
    int failed = c->error_seen || (ev->code == TT_CLOSE_ABNORMAL && !c->opened);
    int code = ev->code;
    int was_clean = ev->was_clean ? 1 : 0;
    /* Copy the reason out of the event record: the up-call may cause the next event. */
    char reason[TT__CLOSE_REASON_MAX + 1];
    size_t reason_length = ev->length < sizeof reason ? ev->length : sizeof reason - 1;
    if (reason_length) memcpy(reason, ev->data, reason_length);
    reason[reason_length] = '\0';

    conn_release(c, 0);
    if (failed) tt__core_on_fail(id, TT_ECONNECT, "");
    else tt__core_on_close(id, code, reason, reason_length, was_clean);
}

/* A container that never reports the close after close(): the end of the closing handshake's wait, as
 * in the native build (close_timeout_ms, then close 1006, not clean). */
static void on_close_timeout(void *ud) {
    tt__conn *c = ud;
    uint32_t id = c->id;
    c->close_timer = 0;
    conn_release(c, 1);
    tt__core_on_close(id, TT__WEB_CLOSE_ABNORMAL, "", 0, 0);
}

/* The container is closing (our close(), or a send it failed while the server's Close was under way):
 * its onClose decides the outcome, within close_timeout_ms. */
static void arm_close_timer(tt__conn *c) {
    if (c->close_timer == 0)
        c->close_timer = tt__web_timer_set(on_close_timeout, (double)tt__core_config()->close_timeout_ms, c);
}

/* The one entry point for browser events (tt__web_new wires every WebSocket handler to it). */
static void on_ws_event(const tt__web_event *ev, void *ud) {
    tt__conn *c = ud;
    switch (ev->kind) {
    case TT__WEB_EV_OPEN: on_ws_open(c, ev); break;
    case TT__WEB_EV_MESSAGE: {
        tt_data_type kind = ev->text ? TT_DATA_TEXT : TT_DATA_BINARY;
        tt__core_on_message(c->id, kind, ev->length ? ev->data : (const uint8_t *)"", ev->length);
        break;
    }
    case TT__WEB_EV_ERROR:
        if (c->container) on_container_error(c, ev);
        else on_ws_error(c);
        break;
    case TT__WEB_EV_SENT: c->pending -= ev->length < c->pending ? ev->length : c->pending; break;
    case TT__WEB_EV_PROFILE: tt__core_on_host_phase(c->id, (tt__phase)ev->code, ev->length); break;
    case TT__WEB_EV_CLOSING: arm_close_timer(c); break;
    case TT__WEB_EV_CLOSE: on_ws_close(c, ev); break;
    case TT__WEB_EV_NO_MEMORY: {
        uint32_t id = c->id;
        conn_release(c, 1);
        tt__core_on_fail(id, TT_ETOOBIG, "message does not fit in the wasm heap");
        break;
    }
    default: break;
    }
}

/* ---- Down-calls ---------------------------------------------------------------------------------- */

int tt__transport_init(void) {
    tt__hooks hooks = {0};
    hooks.now_ms = web_now_ms; /* no random hook: the browser masks frames and makes the handshake nonce */
    tt__hooks_set(&hooks);
    return TT_OK;
}

void tt__transport_shutdown(void) {
    while (live) conn_release(live, 1);
    if (timer_armed) tt__web_timer_clear(timer_handle);
    timer_armed = 0;
}

/* The canonical URL rebuilt from the parsed parts, never the string the game passed: the browser then
 * connects to exactly the host the core checked against the domain list. */
static char *browser_url(const tt__open_params *p) {
    size_t n = tt__url_href(p->parsed, NULL, 0);
    char *s = tt__malloc(n + 1);
    if (s == NULL) return NULL;
    tt__url_href(p->parsed, s, n);
    s[n] = '\0';
    return s;
}

int tt__transport_open(const tt__open_params *params, tt__conn **conn) {
    /* Request headers cannot be set from a browser (a parity exception); a container gets them. */
    tt__conn *c = tt__calloc(1, sizeof *c);
    char *url = browser_url(params);
    if (c == NULL || url == NULL) {
        tt__free(c);
        tt__free(url);
        return TT_ENOMEM;
    }
    int backend = tt__web_backend(params->backend);
    int ws = backend == TT__WEB_BACKEND_NONE
                 ? TT__WEB_NEW_ENOWS
                 : tt__web_new(url, params->protocols, params->protocol_count, params->headers, params->header_count,
                               params->timeout_ms, backend, c, on_ws_event);
    tt__free(url);
    if (ws <= 0) {
        tt__free(c);
        /* The core fails the task with tt_strerror() of this code as the error detail. */
        return ws == TT__WEB_NEW_EURL     ? TT_EURL
               : ws == TT__WEB_NEW_ENOMEM ? TT_ENOMEM
               : ws == TT__WEB_NEW_ENOWS  ? TT_ENOWEBSOCKET
                                          : TT_ECONNECT;
    }
    c->id = params->id;
    c->ws = ws;
    c->container = backend != TT__WEB_BACKEND_BROWSER;
    conn_link_alive(c);
    *conn = c;
    return TT_OK;
}

int tt__transport_send(tt__conn *conn, tt_data_type type, const void *data, size_t length) {
    /* One call into JS, which refuses a CONNECTING socket (send() would throw) and sends text with an
     * explicit length (so U+0000 survives). */
    static const uint8_t empty[1];
    if (tt__web_send(conn->ws, type == TT_DATA_TEXT, length ? data : empty, length) != TT__WEB_OK) return TT_EIO;
    if (conn->container) conn->pending += length;
    return TT_OK;
}

int tt__transport_close(tt__conn *conn, int code, const char *reason, size_t reason_length) {
    /* WebSocket.close() accepts only 1000 and 3000-4999 (InvalidAccessError otherwise). tt's 1001
     * ("going to background") cannot be sent by script: the nearest thing is 1000 with the same reason.
     * A container's SocketTask.close() takes 1001 as it is. */
    if (!conn->container && code != TT_CLOSE_NORMAL && (code < TT_CLOSE_APP_MIN || code > TT_CLOSE_APP_MAX))
        code = TT_CLOSE_NORMAL;
    if (reason == NULL) reason_length = 0;
    /* Validated by the core; the browser throws SyntaxError for a longer one. */
    if (reason_length > TT__CLOSE_REASON_MAX) reason_length = TT__CLOSE_REASON_MAX;
    if (conn->container) arm_close_timer(conn);
    int rc = tt__web_close(conn->ws, code, reason ? reason : "", reason_length);
    /* A container whose close() threw fails the connection itself right after, with the exception as
     * the detail: that failure is the outcome, so the close call itself is not refused. */
    return rc == TT__WEB_OK || conn->container ? TT_OK : TT_EIO;
}

void tt__transport_abort(tt__conn *conn) {
    if (conn) conn_release(conn, 1);
}

size_t tt__transport_buffered_amount(const tt__conn *conn) {
    /* A SocketTask has no bufferedAmount: count what its sends have not reported yet. */
    if (conn->container) return conn->pending;
    double amount = tt__web_buffered_amount(conn->ws);
    return amount > (double)SIZE_MAX ? SIZE_MAX : amount > 0 ? (size_t)amount : 0;
}

int tt__transport_poll(int timeout_ms) {
    (void)timeout_ms;
    return 0; /* the browser event loop runs I/O; blocking here would starve it */
}

int tt__transport_can_block(void) { return 0; }

/*
 * The browser always offers permessage-deflate and reports nothing about the wire or the handshake. A
 * container's host sends the request header and close 1001, gives onOpen the 101's header fields and its
 * failures an errMsg; whether it offers permessage-deflate is its own affair, and the profile times it
 * gives (if any) are known per open: each field says so itself.
 */
#define TT__WEB_CONTAINER_CAPS \
    (TT_CAP_REQUEST_HEADERS | TT_CAP_CLOSE_1001 | TT_CAP_RESPONSE_HEADER | TT_CAP_ERROR_DETAIL)

uint32_t tt__transport_capabilities(void) {
    int backend = tt__web_backend(tt__core_config()->backend);
    return backend == TT__WEB_BACKEND_TT || backend == TT__WEB_BACKEND_WX ? TT__WEB_CONTAINER_CAPS : TT_CAP_DEFLATE;
}

const char *tt__transport_backend(int backend) {
    if (backend != TT_BACKEND_AUTO && backend != TT_BACKEND_BROWSER && backend != TT_BACKEND_TT &&
        backend != TT_BACKEND_WX)
        return NULL;
    switch (tt__web_backend(backend)) {
    case TT__WEB_BACKEND_BROWSER: return "browser";
    case TT__WEB_BACKEND_TT: return "tt";
    case TT__WEB_BACKEND_WX: return "wx";
    default: return "none";
    }
}

/* ---- Service timer ------------------------------------------------------------------------------- */

static void on_service_timer(void *ud) {
    (void)ud;
    timer_armed = 0;
    tt__core_service();
    /* The core usually re-arms through tt__transport_schedule(); cover a timer it left armed. */
    int64_t next = tt__core_next_timer_ms();
    if (next >= 0 && !timer_armed) tt__transport_schedule(next);
}

void tt__transport_schedule(int64_t delay_ms) {
    if (delay_ms < 0) delay_ms = 0;
    double due = emscripten_get_now() + (double)delay_ms;
    if (timer_armed) {
        if (timer_due <= due) return; /* the pending timer fires first and the core re-arms */
        tt__web_timer_clear(timer_handle);
        timer_armed = 0;
    }
    timer_handle = tt__web_timer_set(on_service_timer, (double)delay_ms, NULL);
    timer_due = due;
    timer_armed = 1;
}
