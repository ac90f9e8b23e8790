/*
 * Internal declarations shared by every module of the core: the allocator door, the injected hooks
 * (clock, randomness, SHA-1) and small helpers. Nothing here touches I/O.
 */
#ifndef TT_INTERNAL_H
#define TT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ttsocket.h"

/* ---- Engine-only codes ------------------------------------------------------------------------ */

/*
 * Statuses of the protocol engine that never reach a game: TT_EAGAIN tells a parser's caller to wait
 * for more bytes, and TT_EFRAME names a protocol violation that the engine turns into a Close and an
 * onError with its own detail. They take values the public table leaves free; tt_strerror() knows them.
 */
#define TT__ERRNO_INTERNAL_MAP(XX)         \
    XX(EAGAIN, -3, "more input is needed") \
    XX(EFRAME, -18, "protocol violation in a frame")

enum tt__errno_internal {
#define TT__ERRNO_INTERNAL_ENUM(name, value, text) TT_##name = (value),
    TT__ERRNO_INTERNAL_MAP(TT__ERRNO_INTERNAL_ENUM)
#undef TT__ERRNO_INTERNAL_ENUM
};

/* ---- Allocation through one door ------------------------------------------------------------- */

/*
 * Every allocation of the library goes through these three functions. Tests install a failing
 * allocator (tt__alloc_set_fail_after) to make the Nth allocation fail and check that each failure is a
 * clean error with nothing leaked.
 */
void *tt__malloc(size_t size);
void *tt__calloc(size_t count, size_t size);
void *tt__realloc(void *ptr, size_t size);
void tt__free(void *ptr);
char *tt__strndup(const char *s, size_t n);
char *tt__strdup(const char *s);

/* onError's detail when a message is larger than max_message_size: the core's setting, so the sentence is
 * the same on every build, whichever side noticed it (the native engine from the frame header, the core
 * for a message the browser delivered whole). */
/* A Close frame's reason is at most 123 bytes (RFC 6455 5.5: a control frame carries at most 125, two of
 * them the code); the browser refuses longer ones from script too. */
#define TT__CLOSE_REASON_MAX 123

#define TT__DETAIL_TOO_BIG "message exceeds max_message_size"

/* Make allocation number n (1-based, counted from this call) and every later one fail; 0 disables. */
void tt__alloc_set_fail_after(unsigned long n);
/* Allocations made since the counter was last reset, and the number of blocks currently live. */
unsigned long tt__alloc_count(void);
long tt__alloc_live(void);
void tt__alloc_reset_count(void);

/*
 * Tests only: the id the next task will get (1 at start; ids are never reused, so a test must not go
 * below an id already issued). Lets a test reach the last id without creating 2^32 tasks.
 */
void tt__core_set_next_task_id(uint64_t id);

/*
 * For a binding that could not even copy a call's arguments into memory the library can read (the web
 * package's JavaScript side, when _malloc fails): queues that call's out-of-memory result (fail, then
 * complete) where the call's own result would have gone. msg is a *_NO_MEMORY row of src/errmsg.h.
 */
void tt__queue_no_memory(int msg, tt_result_cb fail, tt_result_cb complete, void *user_data);

/* ---- Injected nondeterminism ----------------------------------------------------------------- */

/*
 * The core never reads a clock, calls rand() or implements a hash by itself: the build installs hooks.
 * The native build installs a monotonic clock, OpenSSL's RAND_bytes and SHA1; the web build installs
 * emscripten_get_now(); tests install fixed values so that they compare exact wire bytes.
 */
typedef struct tt__hooks {
    /* Milliseconds from an arbitrary, monotonic origin. */
    uint64_t (*now_ms)(void *ud);
    /* Fill buf with n unpredictable bytes (mask keys, Sec-WebSocket-Key nonces). */
    void (*random)(void *ud, uint8_t *buf, size_t n);
    /* out = SHA-1(data). Only the native engine needs it (Sec-WebSocket-Accept). */
    void (*sha1)(void *ud, const uint8_t *data, size_t len, uint8_t out[20]);
    void *ud;
} tt__hooks;

/* Installs hooks; fields left NULL keep their current value. */
void tt__hooks_set(const tt__hooks *hooks);
const tt__hooks *tt__hooks_get(void);
uint64_t tt__now_ms(void);
/* Random bytes, drawn from the hook through a small pool so that a mask key per frame is cheap. */
void tt__random_bytes(uint8_t *buf, size_t n);
/* tt__random_bytes() draws this many bytes from the random hook at a time (64 mask keys), and passes
 * larger requests straight through. */
#define TT__RANDOM_POOL 256
/* Drops any pooled random bytes (tests call it after installing a deterministic hook). */
void tt__random_reset(void);

/* ---- Small helpers ---------------------------------------------------------------------------- */

/* ASCII case-insensitive comparison of n bytes; returns 1 when equal. */
int tt__ascii_ieq(const char *a, const char *b, size_t n);
/* The first c in p[0..n), or NULL (memchr's order of arguments): for the short strings of URLs and domain entries. (These two
 * are plain loops because libc's strchr, strchrnul and memchr, tuned for long strings, cost the web
 * package several times their size.) */
const char *tt__find_byte(const char *p, char c, size_t n);
/* 1 if c is one of the bytes of the NUL-terminated set (never for c == 0). */
int tt__in_set(unsigned char c, const char *set);
/* 1 if c is an RFC 7230 tchar. */
int tt__is_tchar(unsigned char c);

/* Base64 (RFC 4648, with padding). out must hold 4 * ((len + 2) / 3) + 1 bytes; returns chars written. */
size_t tt__base64_encode(const uint8_t *in, size_t len, char *out);

#endif
