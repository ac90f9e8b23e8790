/*
 * The native transport's private model, shared by its files: a connection (tt__conn) and its lifecycle
 * state, its connection attempts (tt__attempt), the endpoint locks, and the one event loop that owns
 * them all (tt__loop). The state diagram is in lifecycle.c; native.h holds what the rest of the library
 * and the tests may call.
 *
 * Which file answers which question:
 *   transport_native.c  the transport interface (src/transport.h): init, open, send, close, poll, fork
 *   lifecycle.c         how a connection ends: one parked outcome, one report, release; engine events
 *   connect.c           how it gets connected: lookup result, Happy Eyeballs attempts, TLS handshake
 *   endpoint.c          which attempt may connect to an IP:port now (the endpoint locks)
 *   loop.c              when things happen: epoll interest, the dirty list, timers, one poll pass
 *   reader.c            what happens to bytes the socket delivers
 *   writer.c            how the engine's output reaches the socket
 */
#ifndef TT_NATIVE_CONN_H
#define TT_NATIVE_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "heap.h"
#include "list.h"
#include "native.h"
#include "transport.h"
#include "ws.h"

struct addrinfo;

/* One buffer for every read of every connection. */
#define TT__READ_BUFFER_SIZE (128u * 1024u)
/*
 * The payload bytes a large message is masked into at a time on its way to the socket (tt__conn_send_stream()):
 * small enough to stay in the CPU's cache between the masking and the kernel's copy, large enough that
 * each write still moves a lot (64 KiB writes cost more in the kernel than the cache saves, measured on
 * the 1 MiB echo against loopback).
 */
#define TT__STREAM_CHUNK (256u * 1024u)
/* A payload with at least this much still to come is read straight into the message buffer. */
#define TT__DIRECT_MIN (16u * 1024u)
/*
 * After at least TT__PEEK_AFTER bytes read straight into a message, the next read into the shared buffer
 * takes at most TT__PEEK_SIZE: enough for the end of that frame and the next one's header, after which a
 * large payload is read in place again instead of arriving as up to TT__READ_BUFFER_SIZE bytes to copy.
 * Streams of smaller messages never read in place, so they keep their full-size reads.
 */
#define TT__PEEK_AFTER TT__READ_BUFFER_SIZE
#define TT__PEEK_SIZE (4u * 1024u)
/* Bytes read from one connection per pass before the others get their turn. */
#define TT__READ_BUDGET (1024u * 1024u)
/* After the closing handshake: how long the server gets to close TCP (Chromium waits 2 s). */
#define TT__LINGER_MS 2000
/* An open connection's spare large buffers (see tt__ws_trim()) go back at most this long after use. */
#define TT__TRIM_MS 1000
/* The longest error detail handed to the core (longer ones are cut). */
#define TT__DETAIL_MAX 320

/*
 * Where a connection is in its life (see the diagram in lifecycle.c). The order matters: the three
 * states in which the engine owns the socket's bytes are consecutive (tt__conn_speaks_ws), and every
 * state before ENDED can still end.
 */
typedef enum tt__conn_state {
    TT__ST_RESOLVING,  /* a worker thread looks the host up */
    TT__ST_CONNECTING, /* connection attempts race (Happy Eyeballs); the attempt-delay timer runs */
    TT__ST_TLS,        /* the TLS handshake (wss:// only) */
    TT__ST_HANDSHAKE,  /* the opening handshake: our request goes out, the 101 is awaited */
    TT__ST_OPEN,       /* messages flow; the trim timer may run */
    TT__ST_CLOSING,    /* a Close was sent or received; the close timer bounds the exchange */
    TT__ST_LINGERING,  /* both Close frames are exchanged; the server gets TT__LINGER_MS to close TCP */
    TT__ST_ENDED,      /* the outcome is parked (socket closed); the next pass reports it */
    TT__ST_DONE        /* released: an inert husk until the end of the pass */
} tt__conn_state;

/*
 * How a connection ends, as the core hears it: a failure (error != 0: onError with detail, then onClose
 * 1006) or an end without an error event (onClose with code and clean). Found outside a pass, it is
 * parked in the connection (set once: the first outcome wins) and reported by the next pass.
 */
typedef struct tt__outcome {
    int error;          /* TT_E*, or 0 for an end without an error event */
    uint16_t code;      /* the close code when error is 0 */
    uint8_t clean;      /* was_clean when error is 0 */
    const char *detail; /* the failure's detail; a parked outcome owns a tt__strdup() copy */
} tt__outcome;

/* What an epoll event's data points to: the first byte of a connection and of an attempt says which. */
enum { TT__IO_CONN, TT__IO_ATTEMPT };

/* Waits of the socket that epoll does not express by itself (tt__conn.io_wait bits). */
enum {
    TT__WAIT_OUT = 1,              /* output is pending and the socket said EAGAIN */
    TT__WAIT_READ_AGAIN = 2,       /* TLS holds decrypted bytes that epoll cannot signal */
    TT__WAIT_READ_WANTS_WRITE = 4, /* a TLS read needs the socket writable */
    TT__WAIT_WRITE_WANTS_READ = 8  /* a TLS write needs the socket readable */
};

/* Which of the loop's two dirty lists holds a connection (see loop.c). */
enum { TT__QUEUE_NONE, TT__QUEUE_NEXT, TT__QUEUE_NOW };

typedef struct tt__attempt tt__attempt;
typedef struct tt__endpoint tt__endpoint;

struct tt__conn {
    uint8_t io_kind; /* TT__IO_CONN */
    uint8_t state;   /* tt__conn_state */
    uint8_t secure;
    uint8_t queue;           /* TT__QUEUE_*: which dirty list holds dirty_node */
    uint8_t busy;            /* inside tt__ws_recv(): the engine must not be freed under it */
    uint8_t io_wait;         /* TT__WAIT_* bits */
    uint8_t request_written; /* the opening request's last byte is written (reported once) */
    uint32_t id;
    int fd;
    uint32_t events; /* epoll interest currently registered; 0 = not registered */
    uint16_t port;
    uint16_t peer_reason_len;
    uint16_t peer_code;   /* the peer's Close code, 0-65535 (1005 when it had none) */
    size_t dropped_bytes; /* sent after the server's Close: dropped, still counted as buffered */
    size_t direct_run;    /* bytes read in place since the last read into the shared buffer */
    tt__outcome parked;   /* valid in TT__ST_ENDED */
    tt__ws *ws;
    tt__ssl *ssl;
    char *host; /* for the lookup, SNI, verification and details; freed once the handshake starts */
    char *peer_reason;
    struct addrinfo *addrs, *next_addr;
    tt__resolve_req *resolve;
    tt__heap_node timer_node; /* the one timer; what it means follows from the state (lifecycle.c) */
    unsigned attempts_made;   /* addresses tried */
    tt__list attempts;        /* attempts under way (connecting, or waiting for their endpoint lock) */
    tt__attempt *won;         /* the attempt that connected: it holds the endpoint lock until open */
    char *connect_error;      /* why the last attempt failed, for the detail when all have */
    tt__list all_node;        /* in tt__loop.all while live, in tt__loop.graveyard once released */
    tt__list dirty_node;      /* in tt__loop.dirty or tt__loop.processing (see queue) */
};

/* The states of one connection attempt. */
enum {
    TT__AT_QUEUED,     /* waiting for its endpoint lock (no socket yet) */
    TT__AT_WOKEN,      /* handed the lock: it connects at the next pass */
    TT__AT_CONNECTING, /* connect() is under way (or about to be) */
    TT__AT_WON,        /* connected: its socket is the connection's; it keeps the lock until open */
    TT__AT_DONE        /* given up; freed at the end of the pass */
};

/* One connection attempt to one address (see connect.c). */
struct tt__attempt {
    uint8_t io_kind; /* TT__IO_ATTEMPT */
    uint8_t state;   /* TT__AT_* */
    int fd;
    uint32_t events; /* epoll interest registered (EPOLLOUT while connecting) */
    tt__conn *conn;
    const struct addrinfo *ai;
    tt__list node;    /* in conn->attempts, or tt__loop.attempt_graveyard */
    tt__endpoint *ep; /* the endpoint lock held or waited for, NULL when none */
    tt__list ep_node; /* in ep->waiters while queued */
};

/*
 * Everything the event loop owns. One instance (tt__loop); the game thread is its only user.
 * `downcall_depth` counts nested down-calls (open/send): the core delivers some callbacks straight
 * from our up-calls, so a game callback may call back into the transport while a pass is running, and
 * such nested calls must not make up-calls of their own.
 */
typedef struct tt__native_loop {
    int epfd;
    uint8_t *read_buf;
    uint8_t *write_buf;         /* tt__conn_send_stream()'s chunk and a header, made on first use */
    tt__list all;               /* live connections */
    tt__list dirty, processing; /* see loop.c */
    tt__list graveyard;         /* connections released during a pass */
    tt__list attempt_graveyard; /* attempts given up during a pass */
    tt__list endpoints;         /* endpoint locks held or waited for */
    tt__heap timers;            /* every connection's timer (room reserved for each live connection) */
    size_t live_count;
    int in_poll; /* inside tt__transport_poll() */
    int downcall_depth;
    int upcalls; /* made during the current pass */
} tt__native_loop;

extern tt__native_loop tt__loop;

/* True in the states in which the engine owns the socket's bytes (opening handshake to closing). */
static inline int tt__conn_speaks_ws(const tt__conn *c) {
    return c->state >= TT__ST_HANDSHAKE && c->state <= TT__ST_CLOSING;
}
/* True before the connection ended (nothing parked, not released). */
static inline int tt__conn_live(const tt__conn *c) { return c->state < TT__ST_ENDED; }

/* ---- lifecycle.c -------------------------------------------------------------------------------- */

/* Ends the connection with o: reported now when up-calls are allowed, else parked for the next pass. */
void tt__conn_end(tt__conn *c, const tt__outcome *o);
/* tt__conn_end() with a failure: onError (detail) + onClose 1006. */
void tt__conn_fail(tt__conn *c, int error, const char *detail);
/* tt__conn_end() without an error event: onClose (code, clean). */
void tt__conn_finish(tt__conn *c, int code, int clean);
/* How the stream was lost; tt__conn_lost() turns it into the outcome Chromium reports. */
typedef enum { TT__LOST_EOF, TT__LOST_READ_ERROR, TT__LOST_WRITE_ERROR } tt__loss;
void tt__conn_lost(tt__conn *c, tt__loss how, const char *detail);
/* True once the peer's Close arrived: its code is what a drop reports from then on. */
int tt__conn_peer_close_seen(const tt__conn *c);
/* True once the closing handshake is over on our side: sends and closes are quietly dropped. */
int tt__conn_peer_closing(const tt__conn *c);
/* OPEN/HANDSHAKE -> CLOSING: (re)arms the close timer. */
void tt__conn_enter_closing(tt__conn *c);
/* -> LINGERING: the engine is freed, the linger timer runs. */
void tt__conn_enter_linger(tt__conn *c);
/* Frees everything the connection holds; the struct goes now or at the end of the pass. */
void tt__conn_release(tt__conn *c);
/* Frees the husks of the pass (connections and attempts). */
void tt__native_free_graveyard(void);
/* The engine's callbacks (made from inside tt__ws_recv, so always within a pass). */
void tt__conn_engine_callbacks(tt__ws_callbacks *cb);

/* ---- connect.c ---------------------------------------------------------------------------------- */

/* Starts connecting to list (a getaddrinfo result, now owned by c). */
void tt__connect_start(tt__conn *c, struct addrinfo *list);
/* The resolver's completion callback (user is the connection). */
void tt__connect_resolved(void *user, int gai_error, struct addrinfo *result);
/* The attempt-delay timer expired: the next address joins the race. */
void tt__connect_next(tt__conn *c);
/* An attempt's socket became writable. */
void tt__attempt_event(tt__attempt *a);
/* Attempts handed their endpoint lock since the last pass connect now. */
void tt__attempts_wake(tt__conn *c);
/* Gives one attempt up (socket closed, lock released). */
void tt__attempt_free(tt__attempt *a);
/* Every attempt of c, and the lock its winner holds. */
void tt__attempts_free(tt__conn *c);
/* One step of the TLS handshake. */
void tt__connect_tls_step(tt__conn *c);

/* ---- endpoint.c --------------------------------------------------------------------------------- */

/* 1 when a holds (or now takes) the lock of its address's endpoint; 0 when it must wait (it is queued). */
int tt__ep_acquire(tt__attempt *a);
/* Lets go of a's lock (or its place in the queue); the next waiter gets the lock. */
void tt__ep_release(tt__attempt *a);

/* ---- loop.c ------------------------------------------------------------------------------------- */

/* Creates the epoll instance and watches the resolver; 0, or -1 (epfd left at -1). */
int tt__loop_open(void);
/* Sets c's epoll interest from its state (tls_want: EPOLLIN/EPOLLOUT during the TLS handshake). */
void tt__loop_interest(tt__conn *c, uint32_t tls_want);
/* Queues c for the next pass's dirty processing (flush, parked outcome, woken attempts). */
void tt__loop_mark_dirty(tt__conn *c);
/* Takes c off whichever dirty list holds it. */
void tt__loop_unqueue(tt__conn *c);
/* Starts (or moves) c's timer; room is reserved in tt__transport_open(), so this cannot fail. */
void tt__conn_timer_start(tt__conn *c, uint64_t delay_ms);
void tt__conn_timer_stop(tt__conn *c);
/* Arms the trim timer while the engine holds spare buffers and no other timer runs. */
void tt__conn_timer_arm_trim(tt__conn *c);
/* One pass of tt__transport_poll(). */
int tt__loop_pass(int timeout_ms);

/* ---- reader.c ----------------------------------------------------------------------------------- */

/* Reads what the socket has (within the per-pass budget) and feeds it to the engine. */
void tt__conn_readable(tt__conn *c);
/* After a pass of reads: a Close the engine held behind messages is answered now. */
void tt__conn_pass_done(tt__conn *c);

/* ---- writer.c ----------------------------------------------------------------------------------- */

/* Writes the engine's output until it is empty or the socket is full. */
void tt__conn_flush(tt__conn *c);
/* After an engine failure: one non-blocking attempt to put its Close frame on the wire. */
void tt__conn_flush_best_effort(tt__conn *c);
/*
 * Sends one large message straight to a plain socket whose output is empty: its frame is masked a chunk
 * at a time (TT__STREAM_CHUNK) into the loop's write buffer and each chunk written at once; what the
 * socket refuses is queued as tt__conn_flush() would have left it (see tt__ws_stream_begin()). Returns 0,
 * TT_ESTATE or TT_ENOMEM as tt__ws_send() (nothing sent then), or TT_EAGAIN when the message cannot go
 * this way (TLS, output pending, compression): the caller then queues it with tt__ws_send().
 */
int tt__conn_send_stream(tt__conn *c, tt_data_type type, const void *data, size_t length);

#endif
