/*
 * The one internal transport interface. The core (src/core.h and the files it names) decides every
 * behaviour; a transport only moves bytes and reports what happened on the wire. It is implemented once in
 * native/transport_native.c (sockets + OpenSSL + the I/O-free engine in src/ws.c) and once in web/transport_web.c
 * (<emscripten/websocket.h>); CMake links exactly one of them. Unit tests link tests/support/loopback
 * transport instead.
 *
 * Down-calls (core -> transport) are tt__transport_*; up-calls (transport -> core) are tt__core_*.
 * Up-calls name the task by id, so a late report about a task that is already gone is harmless.
 *
 * Re-entrancy: the core may run game callbacks from inside an up-call (the zero-copy hot path), so any
 * down-call (open, send, close) may arrive while the transport is inside tt__transport_poll or inside
 * an up-call, for this connection or another. tt__transport_abort never arrives then: the core defers
 * it until the transport has returned.
 *
 * After the peer's Close has arrived and before the transport reports the end, send and close are
 * accepted and their data dropped (still counted by tt__transport_buffered_amount), as the browser does
 * in CLOSING.
 */
#ifndef TT_TRANSPORT_H
#define TT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "ttsocket.h"
#include "url.h"

/* Everything a transport needs to open one connection. All pointers are valid only during the call. */
typedef struct tt__open_params {
    uint32_t id;              /* the socketTaskId, used in every up-call */
    const char *url;          /* the URL as given, already validated: for messages only, never to
                                       connect (tt__url_href gives the canonical URL) */
    const tt__url *parsed;    /* the same URL parsed */
    const tt_header *headers; /* validated user headers */
    size_t header_count;
    const char *const *protocols; /* validated, duplicate-free subprotocol tokens */
    size_t protocol_count;
    tt_task_stats *stats; /* the task's counters: a transport that counts the wire (TT_CAP_WIRE_STATS)
                                       adds to its wire fields until its final up-call or
                                       tt__transport_abort() (see stats.h) */
    int timeout_ms;       /* the connect timeout the core enforces itself (a host may want it) */
    int backend;          /* tt_runtime_config.backend (tt_backend) */
} tt__open_params;

/* Opaque per-connection state owned by the transport. */
typedef struct tt__conn tt__conn;

/*
 * The name of the backend an open with tt_runtime_config.backend == backend would use now ("none" when
 * the build has that kind of backend but finds none at run time), or NULL when this build never has it.
 */
const char *tt__transport_backend(int backend);

/* Called once before the first open, and again after tt__transport_shutdown(). 0 or a TT_E* code. */
int tt__transport_init(void);

/* Frees every connection without any up-call. The core has already failed and forgotten its tasks. */
void tt__transport_shutdown(void);

/*
 * Starts connecting. On success stores the connection in *conn and returns 0; every later outcome arrives
 * as up-calls. On failure returns a TT_E* code, stores nothing, and makes no up-call: the core then fails
 * the task itself (connectSocket:ok, then onError + onClose 1006), as a browser does for an unreachable
 * host.
 */
int tt__transport_open(const tt__open_params *params, tt__conn **conn);

/*
 * Queues one message on an OPEN connection. The payload is copied (or written) before the call returns.
 * Returns 0, TT_ENOMEM, or TT_EBUFFER when the transport's send buffer limit would be exceeded (the core
 * then fails the connection, as the browser does when its buffer is full).
 */
int tt__transport_send(tt__conn *conn, tt_data_type type, const void *data, size_t length);

/*
 * Starts the closing handshake on an OPEN connection with an already validated code (1000, 1001,
 * 3000-4999) and reason (valid UTF-8, <= 123 bytes). The outcome arrives as tt__core_on_close (or
 * tt__core_on_fail).
 */
int tt__transport_close(tt__conn *conn, int code, const char *reason, size_t reason_length);

/*
 * Drops the connection at once and frees it: no closing handshake, no further up-call for it. The core
 * uses it to fail a connection by itself (close while CONNECTING, tt timeout, message too large,
 * runtime shutdown) and reports the events on its own.
 */
void tt__transport_abort(tt__conn *conn);

/* Payload bytes accepted by tt__transport_send() but not yet handed to the network. */
size_t tt__transport_buffered_amount(const tt__conn *conn);

/*
 * Runs I/O for every connection for at most timeout_ms (0 = do not wait, -1 = until something happens),
 * making up-calls as things happen. Returns >= 0, or a negative TT_E* code on a fatal runtime error.
 * A transport that cannot block (the web: the browser event loop runs I/O) returns at once.
 */
int tt__transport_poll(int timeout_ms);

/* The TT_CAP_* bits of what this transport honours (see tt_runtime_capabilities()). */
uint32_t tt__transport_capabilities(void);

/* 1 if tt__transport_poll() can wait for I/O; 0 for the web build. */
int tt__transport_can_block(void);

/*
 * Asks the host event loop to call tt__core_service() within delay_ms (0 = as soon as possible). The web
 * build arms a browser timer so that callbacks and tt timeouts happen without tt_runtime_poll(); the
 * native build does nothing because tt_runtime_poll() services the core itself.
 */
void tt__transport_schedule(int64_t delay_ms);

/* ---- Up-calls: implemented by the core --------------------------------------------------------- */

/* The opening handshake succeeded. protocol and extensions are "" when none (never NULL). */
void tt__core_on_open(uint32_t id, const char *protocol, const char *extensions);

/*
 * A moment of the opening (tt__phase) happened now. It only records the time, so unlike the other
 * up-calls it may be made anywhere, also inside tt__transport_open(). A transport reports what it can
 * observe; the rest stays TT_PROFILE_UNKNOWN.
 */
void tt__core_on_phase(uint32_t id, tt__phase phase);

/*
 * What a host that opens the connection itself (a mini-game container) measured and reports with its
 * open, before tt__core_on_open: a moment `ms` milliseconds after the task's fetch_start (the host's own
 * clock is placed on the runtime's by its start, the moment of the call), or for TT__PHASE_RTT and
 * TT__PHASE_HANDSHAKE_COST the duration itself. Negative values and other phases are ignored.
 */
void tt__core_on_host_phase(uint32_t id, tt__phase phase, int64_t ms);

/*
 * The 101 response's header fields, just before tt__core_on_open: one tt__malloc block holding the array
 * and its strings (tt__handshake_header_fields makes it), which the core takes over and frees. A
 * transport that cannot see them does not call it.
 */
void tt__core_on_response_header(uint32_t id, tt_header *fields, size_t count);

/* One whole message arrived. The data is borrowed for the duration of the call only. */
void tt__core_on_message(uint32_t id, tt_data_type type, const void *data, size_t length);

/*
 * The connection failed (error is a TT_E* code, detail a diagnostic sentence or ""): the core delivers
 * onError then onClose 1006 / not clean. The transport has already freed the connection.
 */
void tt__core_on_fail(uint32_t id, int error, const char *detail);

/*
 * The connection ended. code/reason are what the peer's Close carried (1005 and "" when it had no
 * code; 1006 when there was no Close). was_clean is 1 only after a completed closing handshake that
 * ended with the server's FIN or with Chromium's 2 s wait for it running out (Chromium reports that as
 * clean too). The transport has already freed the connection.
 */
void tt__core_on_close(uint32_t id, int code, const char *reason, size_t reason_length, int was_clean);

/* Runs due timers and delivers queued callbacks. Returns the number of callbacks delivered. */
int tt__core_service(void);

/*
 * For a transport whose host can see an exception leave an up-call (the web build: a C++ exception, a
 * longjmp or Emscripten's unwind surfaces in JavaScript): called at the host's top level after one did,
 * it forgets the callbacks the exception skipped, finishes the entry that was being delivered, and lets
 * delivery go on, so one throwing game callback does not silence every task for good.
 */
void tt__core_recover(void);

/* Milliseconds until the nearest core timer, or -1 when none is armed. */
int64_t tt__core_next_timer_ms(void);

/* The runtime configuration with defaults applied (ca_file may be NULL). */
const tt_runtime_config *tt__core_config(void);

#endif
