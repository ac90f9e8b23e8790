/*
 * The web transport: src/transport.h on top of the browser's WebSocket, reached through the helpers in
 * web/library_ttsocket.js, which report events with the event structs and callback types of Emscripten's
 * <emscripten/websocket.h> (its -lwebsocket.js glue is not linked: it costs a malloc and a free per
 * received message and a tenth of the package). The core has validated everything before it calls
 * down; this file only moves bytes, reports events and keeps every call into JavaScript from throwing
 * (an exception there aborts the module). For the same reason a failed allocation fails the task with
 * TT_ENOMEM rather than aborting the module.
 *
 * Event mapping. The browser reports a failed connection as error, then close 1006; a clean close by
 * the server as close alone; and a TCP drop after open as close 1006 alone (no error). So: onerror only
 * sets a flag; onclose reports tt__core_on_fail when an error preceded it (or, for Node 20's sake, when
 * a 1006 arrives before open), and tt__core_on_close otherwise, 1006 included. The core produces the
 * game's onError and onClose itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <emscripten/emscripten.h>
#include <emscripten/websocket.h>

#include "transport.h"
#include "tt_internal.h"

/* web/library_ttsocket.js */
extern int tt__web_new(const char *url, const char *protocols, void *user_data, em_websocket_open_callback_func on_open,
                       em_websocket_message_callback_func on_message, em_websocket_error_callback_func on_error,
                       em_websocket_close_callback_func on_close);
extern int tt__web_close_reason_length(int ws);
extern int tt__web_socket_string(int ws, int which, char *buf, int cap);
extern int tt__web_send(int ws, int text, const void *data, size_t length);
extern double tt__web_buffered_amount(int ws);
extern int tt__web_close(int ws, int code, const char *reason, size_t reason_length);
extern void tt__web_release(int ws, int abort);
extern int tt__web_timer_set(void (*cb)(void *), double ms, void *user_data);
extern void tt__web_timer_clear(int handle);
extern int tt__web_random(uint8_t *buf, size_t n);
extern void tt__web_keepalive(int hold);

/* tt__web_new's results other than a socket id (web/library_ttsocket.js). */
#define TT__WEB_NEW_THREW (-1)
#define TT__WEB_NEW_NO_WEBSOCKET (-2)
#define TT__WEB_NEW_NO_MEMORY (-3)

/* The allocator for web/library_ttsocket.js (event struct, receive buffer), exported so that the game's
 * EXPORTED_FUNCTIONS need not name _malloc and _free. */
EMSCRIPTEN_KEEPALIVE void *tt__web_malloc(size_t n) { return malloc(n ? n : 1); }
EMSCRIPTEN_KEEPALIVE void tt__web_free(void *p) { free(p); }

struct tt__conn {
    uint32_t id;           /* the socketTaskId every up-call names */
    int ws;                /* Emscripten WebSocket handle, > 0 */
    int error_seen;        /* the browser fired error: the close that follows is a failure */
    int opened;            /* the browser fired open */
    int grace_timer;       /* armed after error in case no close follows (0 = none) */
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
    tt__web_release(c->ws, abort);
    tt__free(c);
}

/* ---- Hooks --------------------------------------------------------------------------------------- */

static uint64_t web_now_ms(void *ud) {
    (void)ud;
    double now = emscripten_get_now();
    return now > 0 ? (uint64_t)now : 0;
}

static void web_random(void *ud, uint8_t *buf, size_t n) {
    (void)ud;
    if (tt__web_random(buf, n) != 0) {
        /* No crypto object: the web build needs randomness for nothing the peer can check (the browser
         * masks frames and makes the handshake nonce itself), so a weak fill is acceptable here. */
        for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)(emscripten_random() * 256.0);
    }
}

/* ---- Browser events ------------------------------------------------------------------------------ */

/* Reads protocol or extensions into a fresh tt__malloc'd string ("" on any trouble: never NULL). */
static char *read_socket_string(int ws, int which) {
    int len = tt__web_socket_string(ws, which, NULL, 0);
    if (len <= 0) len = 1;
    char *s = tt__malloc((size_t)len);
    if (s == NULL) return NULL;
    s[0] = '\0';
    if (len > 1) tt__web_socket_string(ws, which, s, len);
    return s;
}

static EM_BOOL on_ws_open(int type, const EmscriptenWebSocketOpenEvent *ev, void *ud) {
    (void)type; (void)ev;
    tt__conn *c = ud;
    uint32_t id = c->id;
    c->opened = 1;
    char *protocol = read_socket_string(c->ws, 0);
    char *extensions = read_socket_string(c->ws, 1);
    /* The conn may be aborted inside the up-call: nothing below touches it. */
    tt__core_on_open(id, protocol ? protocol : "", extensions ? extensions : "");
    tt__free(protocol);
    tt__free(extensions);
    return EM_TRUE;
}

static EM_BOOL on_ws_message(int type, const EmscriptenWebSocketMessageEvent *ev, void *ud) {
    (void)type;
    tt__conn *c = ud;
    uint32_t id = c->id;
    /* Copy out of the shared event struct before anything else can overwrite it. For text, numBytes
     * counts the NUL that library_websocket.js appends; the buffer is freed when we return. */
    const uint8_t *data = ev->data;
    size_t length = ev->numBytes;
    tt_data_type kind = ev->isText ? TT_DATA_TEXT : TT_DATA_BINARY;
    if (kind == TT_DATA_TEXT && length > 0) length--;
    tt__core_on_message(id, kind, length ? data : (const uint8_t *)"", length);
    return EM_TRUE;
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

static EM_BOOL on_ws_error(int type, const EmscriptenWebSocketErrorEvent *ev, void *ud) {
    (void)type; (void)ev;
    tt__conn *c = ud;
    /* Report from the close that follows, which also carries the final state. */
    c->error_seen = 1;
    if (c->grace_timer == 0) c->grace_timer = tt__web_timer_set(on_error_grace, TT__WEB_ERROR_GRACE_MS, c);
    return EM_TRUE;
}

static EM_BOOL on_ws_close(int type, const EmscriptenWebSocketCloseEvent *ev, void *ud) {
    (void)type;
    tt__conn *c = ud;
    uint32_t id = c->id;
    /* After open, a close 1006 without an error is a dropped connection: Chromium fires no error then. */
    int failed = c->error_seen || (ev->code == TT_CLOSE_ABNORMAL && !c->opened);
    int code = ev->code;
    int was_clean = ev->wasClean ? 1 : 0;
    /* The reason is at most 123 bytes; the struct holds 512. Its exact length comes from JavaScript,
     * because a reason may contain U+0000. */
    char reason[512];
    size_t reason_length = (size_t)tt__web_close_reason_length(c->ws);
    if (reason_length >= sizeof reason) {
        reason_length = 0;
        while (reason_length < sizeof reason - 1 && ev->reason[reason_length]) reason_length++;
    }
    memcpy(reason, ev->reason, reason_length);
    reason[reason_length] = '\0';

    conn_release(c, 0);
    if (failed) tt__core_on_fail(id, TT_ECONNECT, "");
    else tt__core_on_close(id, code, reason, reason_length, was_clean);
    return EM_TRUE;
}

/* ---- Down-calls ---------------------------------------------------------------------------------- */

int tt__transport_init(void) {
    tt__hooks hooks = {0};
    hooks.now_ms = web_now_ms;
    hooks.random = web_random;
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

/* The tokens joined by commas (tokens cannot contain a comma), or NULL for none. */
static int join_protocols(const tt__open_params *p, char **out) {
    *out = NULL;
    if (p->protocol_count == 0) return TT_OK;
    size_t total = 0;
    for (size_t i = 0; i < p->protocol_count; i++) total += strlen(p->protocols[i]) + 1;
    char *s = tt__malloc(total);
    if (s == NULL) return TT_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < p->protocol_count; i++) {
        size_t n = strlen(p->protocols[i]);
        if (i) s[o++] = ',';
        memcpy(s + o, p->protocols[i], n);
        o += n;
    }
    s[o] = '\0';
    *out = s;
    return TT_OK;
}

int tt__transport_open(const tt__open_params *params, tt__conn **conn) {
    /* Request headers cannot be set from a browser; the core documents this parity exception. */
    tt__conn *c = tt__calloc(1, sizeof *c);
    char *url = browser_url(params);
    char *protocols = NULL;
    int rc = (c && url) ? join_protocols(params, &protocols) : TT_ENOMEM;
    if (rc != TT_OK) {
        tt__free(c);
        tt__free(url);
        return rc;
    }
    int ws = tt__web_new(url, protocols, c, on_ws_open, on_ws_message, on_ws_error, on_ws_close);
    tt__free(url);
    tt__free(protocols);
    if (ws <= 0) {
        tt__free(c);
        /* The core fails the task with tt_strerror() of this code as the error detail. */
        return ws == TT__WEB_NEW_THREW ? TT_EURL : ws == TT__WEB_NEW_NO_MEMORY ? TT_ENOMEM
             : ws == TT__WEB_NEW_NO_WEBSOCKET ? TT_ENOWEBSOCKET : TT_ECONNECT;
    }
    c->id = params->id;
    c->ws = ws;
    conn_link_alive(c);
    *conn = c;
    return TT_OK;
}

int tt__transport_send(tt__conn *conn, tt_data_type type, const void *data, size_t length) {
    /* One call into JS, which refuses a CONNECTING socket (send() would throw) and sends text with an
     * explicit length (so U+0000 survives). */
    static const uint8_t empty[1];
    return tt__web_send(conn->ws, type == TT_DATA_TEXT, length ? data : empty, length) == 0 ? TT_OK : TT_EIO;
}

int tt__transport_close(tt__conn *conn, int code, const char *reason, size_t reason_length) {
    /* WebSocket.close() accepts only 1000 and 3000-4999 (InvalidAccessError otherwise). tt's 1001
     * ("going to background") cannot be sent by script: the nearest thing is 1000 with the same reason. */
    if (code != TT_CLOSE_NORMAL && (code < TT_CLOSE_APP_MIN || code > TT_CLOSE_APP_MAX)) code = TT_CLOSE_NORMAL;
    if (reason == NULL) reason_length = 0;
    if (reason_length > 123) reason_length = 123; /* validated by the core; SyntaxError otherwise */
    return tt__web_close(conn->ws, code, reason ? reason : "", reason_length) == 0 ? TT_OK : TT_EIO;
}

void tt__transport_abort(tt__conn *conn) {
    if (conn) conn_release(conn, 1);
}

size_t tt__transport_buffered_amount(const tt__conn *conn) {
    double amount = tt__web_buffered_amount(conn->ws);
    return amount > (double)SIZE_MAX ? SIZE_MAX : amount > 0 ? (size_t)amount : 0;
}

int tt__transport_poll(int timeout_ms) {
    (void)timeout_ms;
    return 0; /* the browser event loop runs I/O; blocking here would starve it */
}

int tt__transport_can_block(void) { return 0; }

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
