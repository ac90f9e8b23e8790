/*
 * The C side of the npm package's JavaScript wrapper (web/package/index.js). The public C API takes
 * structs and function pointers, which JavaScript cannot build comfortably; these flat functions take
 * plain numbers and pointers, and report every result and event back through one JavaScript function
 * (Module.__ttjs, set by index.js). Request numbers (req) let the wrapper find the
 * success/fail/complete callbacks of one call; events are keyed by socketTaskId.
 *
 * Everything else (validation, errMsg strings, order of callbacks) is the library's, unchanged.
 */
#include <stddef.h>
#include <stdint.h>

#include <emscripten/emscripten.h>

#include "errmsg.h"
#include "tt_internal.h"
#include "ttsocket.h"

/*
 * Every result and event reaches index.js through one JavaScript function, Module.__ttjs(event, ...), with
 * the arguments of its kind (each imported function costs the package's glue a wrapper). Strings go as
 * pointers: index.js reads them (a close reason keeping a leading U+FEFF, which UTF8ToString drops).
 *   EMIT_RESULT   req, RESULT_*, err_msg, socketTaskId
 *   EMIT_OPEN     id, protocol, extensions, the tt_open_profile, the tt_header array, its count
 *   EMIT_MESSAGE  id, type, data, length
 *   EMIT_ERROR    id, err_msg, detail
 *   EMIT_CLOSE    id, code, reason, was_clean
 */
enum { EMIT_RESULT = 0, EMIT_OPEN = 1, EMIT_MESSAGE = 2, EMIT_ERROR = 3, EMIT_CLOSE = 4 };
/* clang-format off */
EM_JS(void, ttjs_emit, (int event, uint32_t a, uintptr_t b, uintptr_t c, uintptr_t d, uintptr_t e, size_t f), {
    Module['__ttjs'](event, a, b, c, d, e, f);
});
/* clang-format on */

enum { RESULT_SUCCESS = 0, RESULT_FAIL = 1, RESULT_COMPLETE = 2 };
/* index.js names these numbers too (tests/web/package.test.mjs compares the two files), and reads a
 * tt_header as two 32-bit words and a message's type as TT_DATA_TEXT or not. */
_Static_assert(sizeof(tt_header) == 2 * sizeof(uint32_t), "index.js reads a tt_header as two 32-bit words");

static void emit_result(void *ud, int kind, const tt_result *r) {
    ttjs_emit(EMIT_RESULT, (uint32_t)(intptr_t)ud, (uintptr_t)kind, (uintptr_t)r->err_msg, r->socket_task_id, 0, 0);
}

static void on_success(const tt_result *r, void *ud) { emit_result(ud, RESULT_SUCCESS, r); }
static void on_fail(const tt_result *r, void *ud) { emit_result(ud, RESULT_FAIL, r); }
static void on_complete(const tt_result *r, void *ud) { emit_result(ud, RESULT_COMPLETE, r); }

/*
 * The profile and the statistics reach JavaScript as the C structs themselves, which hold nothing but
 * 64-bit numbers: index.js reads them from wasm memory in their field order and turns the all-ones
 * pattern (TT_PROFILE_UNKNOWN, TT_STATS_UNKNOWN) into null. No conversion code on this side keeps the
 * package small.
 */
static void on_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    (void)ud;
    ttjs_emit(EMIT_OPEN, t.id, (uintptr_t)e->protocol, (uintptr_t)e->extensions, (uintptr_t)e->profile,
              (uintptr_t)e->header, e->header_count);
}
static void on_message(tt_socket_task t, const tt_message_event *e, void *ud) {
    (void)ud;
    ttjs_emit(EMIT_MESSAGE, t.id, (uintptr_t)e->type, (uintptr_t)e->data, e->length, 0, 0);
}
static void on_error(tt_socket_task t, const tt_error_event *e, void *ud) {
    (void)ud;
    ttjs_emit(EMIT_ERROR, t.id, (uintptr_t)e->err_msg, (uintptr_t)(e->detail ? e->detail : ""), 0, 0, 0);
}
static void on_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    (void)ud;
    ttjs_emit(EMIT_CLOSE, t.id, (uintptr_t)e->code, (uintptr_t)e->reason, (uintptr_t)e->was_clean, 0, 0);
}

/* domains: ndomains C strings; NULL with ndomains > 0 when index.js could not allocate them (TT_ENOMEM).
 * max_message_size is a double so that JavaScript can pass any number. */
EMSCRIPTEN_KEEPALIVE int ttjs_configure(int skip_domain_check, const char *const *domains, int ndomains,
                                        int connect_timeout_ms, int max_connections, double max_message_size,
                                        int backend) {
    if (domains == NULL && ndomains > 0) return TT_ENOMEM;
    tt_runtime_config c = {0};
    c.backend = backend;
    c.skip_domain_check = skip_domain_check;
    c.socket_domains = domains;
    c.socket_domain_count = ndomains > 0 ? (size_t)ndomains : 0;
    c.connect_timeout_ms = connect_timeout_ms;
    c.max_connections = max_connections;
    c.max_message_size = max_message_size > 0 ? (size_t)max_message_size : 0;
    return tt_runtime_configure(&c);
}

/* headers: nheaders (name, value) pairs of C strings, 2 * nheaders pointers, which is an array of tt_header
 * as it is (checked below). Returns the socketTaskId or 0. url is NULL when index.js could not allocate
 * the arguments: connectSocket:fail out of memory. */
_Static_assert(sizeof(tt_header) == 2 * sizeof(const char *) && offsetof(tt_header, value) == sizeof(const char *),
               "index.js writes each header as two pointers, name then value");
EMSCRIPTEN_KEEPALIVE uint32_t ttjs_connect(const char *url, const char *const *protocols, int nprotocols,
                                           const tt_header *headers, int nheaders, int timeout_ms, int req) {
    if (url == NULL) {
        tt__queue_no_memory(TT__MSG_CONNECT_NO_MEMORY, on_fail, on_complete, (void *)(intptr_t)req);
        return 0;
    }
    tt_connect_socket_options o = {0};
    o.url = url;
    o.protocols = protocols;
    o.protocol_count = nprotocols > 0 ? (size_t)nprotocols : 0;
    o.header = headers;
    o.header_count = nheaders > 0 ? (size_t)nheaders : 0;
    o.timeout_ms = timeout_ms;
    o.success = on_success;
    o.fail = on_fail;
    o.complete = on_complete;
    o.user_data = (void *)(intptr_t)req;
    tt_socket_task t = tt_connect_socket(&o);
    if (t.id) {
        tt_socket_task_on_open(t, on_open, NULL);
        tt_socket_task_on_message(t, on_message, NULL);
        tt_socket_task_on_error(t, on_error, NULL);
        tt_socket_task_on_close(t, on_close, NULL);
    }
    return t.id;
}

EMSCRIPTEN_KEEPALIVE void ttjs_send(uint32_t id, int type, const void *data, size_t length, int req) {
    tt_send_options o = {0};
    o.type = type == TT_DATA_BINARY ? TT_DATA_BINARY : TT_DATA_TEXT;
    o.data = data;
    o.length = length;
    o.success = on_success;
    o.fail = on_fail;
    o.complete = on_complete;
    o.user_data = (void *)(intptr_t)req;
    tt_socket_task_send((tt_socket_task){id}, &o);
}

/* reason may be NULL (""). code 0 means 1000. */
EMSCRIPTEN_KEEPALIVE void ttjs_close(uint32_t id, int code, const char *reason, int req) {
    tt_close_options o = {0};
    o.code = code;
    o.reason = reason;
    o.success = on_success;
    o.fail = on_fail;
    o.complete = on_complete;
    o.user_data = (void *)(intptr_t)req;
    tt_socket_task_close((tt_socket_task){id}, &o);
}

/*
 * What a game can see besides events, in one export (each export costs the package's glue): with out
 * NULL the capability bits; otherwise the statistics of task id, or with id 0 the runtime's sum, into a
 * tt_task_stats of size bytes, returning 0 or a TT_E* code.
 */
EMSCRIPTEN_KEEPALIVE int ttjs_observe(uint32_t id, tt_task_stats *out, size_t size) {
    if (out == NULL) return (int)tt_runtime_capabilities();
    return id ? tt_socket_task_stats((tt_socket_task){id}, out, size) : tt_runtime_stats(out, size);
}

/*
 * index.js could not allocate a send's data or a close reason in the wasm heap: the call's out-of-memory
 * result, in its place among the callbacks, as if the library itself had run out (req as for the call).
 */
EMSCRIPTEN_KEEPALIVE void ttjs_send_no_memory(int req) {
    tt__queue_no_memory(TT__MSG_SEND_NO_MEMORY, on_fail, on_complete, (void *)(intptr_t)req);
}
EMSCRIPTEN_KEEPALIVE void ttjs_close_no_memory(int req) {
    tt__queue_no_memory(TT__MSG_CLOSE_NO_MEMORY, on_fail, on_complete, (void *)(intptr_t)req);
}

/* The package has no main(): the game's own code (or index.js) drives it. */
