/* The allocator door, the injected hooks and small string helpers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tt_internal.h"

/* ---- Allocation -------------------------------------------------------------------------------- */

static unsigned long alloc_count;      /* allocations attempted since the last reset */
static unsigned long alloc_fail_after; /* 0 = never fail */
static long alloc_live;

static int alloc_should_fail(void) {
    alloc_count++;
    return alloc_fail_after != 0 && alloc_count >= alloc_fail_after;
}

void *tt__malloc(size_t size) {
    if (alloc_should_fail()) return NULL;
    void *p = malloc(size ? size : 1);
    if (p) alloc_live++;
    return p;
}

void *tt__calloc(size_t count, size_t size) {
    if (alloc_should_fail()) return NULL;
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p) alloc_live++;
    return p;
}

void *tt__realloc(void *ptr, size_t size) {
    if (ptr == NULL) return tt__malloc(size);
    if (alloc_should_fail()) return NULL;
    return realloc(ptr, size ? size : 1);
}

void tt__free(void *ptr) {
    if (ptr == NULL) return;
    alloc_live--;
    free(ptr);
}

char *tt__strndup(const char *s, size_t n) {
    char *p = tt__malloc(n + 1);
    if (p == NULL) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *tt__strdup(const char *s) { return tt__strndup(s, strlen(s)); }

void tt__alloc_set_fail_after(unsigned long n) {
    alloc_count = 0;
    alloc_fail_after = n;
}

unsigned long tt__alloc_count(void) { return alloc_count; }
long tt__alloc_live(void) { return alloc_live; }
void tt__alloc_reset_count(void) { alloc_count = 0; }

/* ---- Hooks ------------------------------------------------------------------------------------- */

/* Until a build installs real hooks, time stands still and "randomness" is a counter: visible in tests,
 * never silently weak in production because every build that draws random bytes installs its hooks at
 * transport init (the web build draws none: the browser masks frames and makes the handshake nonce). */
static uint64_t default_now(void *ud) {
    (void)ud;
    return 0;
}
static void default_random(void *ud, uint8_t *buf, size_t n) {
    static uint8_t next;
    (void)ud;
    for (size_t i = 0; i < n; i++) buf[i] = next++;
}
static tt__hooks hooks = {default_now, default_random, NULL, NULL};

static uint8_t random_pool[TT__RANDOM_POOL];
static size_t random_avail;

void tt__hooks_set(const tt__hooks *h) {
    if (h->now_ms) hooks.now_ms = h->now_ms;
    if (h->random) hooks.random = h->random;
    if (h->sha1) hooks.sha1 = h->sha1;
    hooks.ud = h->ud;
    random_avail = 0;
}

const tt__hooks *tt__hooks_get(void) { return &hooks; }

uint64_t tt__now_ms(void) { return hooks.now_ms(hooks.ud); }

void tt__random_bytes(uint8_t *buf, size_t n) {
    if (n > TT__RANDOM_POOL) {
        hooks.random(hooks.ud, buf, n);
        return;
    }
    if (random_avail < n) {
        hooks.random(hooks.ud, random_pool, TT__RANDOM_POOL);
        random_avail = TT__RANDOM_POOL;
    }
    memcpy(buf, random_pool + (TT__RANDOM_POOL - random_avail), n);
    random_avail -= n;
}

void tt__random_reset(void) { random_avail = 0; }

/* ---- Strings ----------------------------------------------------------------------------------- */

static unsigned char ascii_lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c; }

int tt__ascii_ieq(const char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i])) return 0;
    return 1;
}

const char *tt__find_byte(const char *p, char c, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] == c) return p + i;
    return NULL;
}

int tt__in_set(unsigned char c, const char *set) {
    for (; *set != '\0'; set++)
        if ((unsigned char)*set == c) return 1;
    return 0;
}

int tt__is_tchar(unsigned char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    return tt__in_set(c, "!#$%&'*+-.^_`|~");
}

size_t tt__base64_encode(const uint8_t *in, size_t len, char *out) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len) v |= (uint32_t)in[i + 1] << 8;
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = (i + 1 < len) ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

/* ---- Error codes ------------------------------------------------------------------------------- */

/* Every sentence in one block of NUL-terminated strings, found through 16-bit offsets indexed by -code
 * (a table of pointers would be twice the size: in the web build every byte is downloaded). "unknown
 * error" comes first, at offset 0, which is also what a code without a row of its own finds. */
#define TT__STRERROR_FIELD(name, value, text) char e_##name[sizeof text];
#define TT__STRERROR_TEXT(name, value, text) text,
#define TT__STRERROR_AT(name, value, text) [-(value)] = offsetof(struct sentences, e_##name),
static const struct sentences {
    char unknown[sizeof "unknown error"];
    char success[sizeof "success"];
    TT_ERRNO_MAP(TT__STRERROR_FIELD)
    TT__ERRNO_INTERNAL_MAP(TT__STRERROR_FIELD)
} sentences = {"unknown error", "success", TT_ERRNO_MAP(TT__STRERROR_TEXT) TT__ERRNO_INTERNAL_MAP(TT__STRERROR_TEXT)};
_Static_assert(sizeof sentences <= UINT16_MAX, "sentences are named by 16-bit offsets");

/* TT__ERRNO_LAST is the lowest code; the engine-only codes lie between it and 0 as well (checked below). */
static const uint16_t sentence_at[1 - TT__ERRNO_LAST] = {
    [0] = offsetof(struct sentences, success), TT_ERRNO_MAP(TT__STRERROR_AT) TT__ERRNO_INTERNAL_MAP(TT__STRERROR_AT)};
#undef TT__STRERROR_FIELD
#undef TT__STRERROR_TEXT
#undef TT__STRERROR_AT
#define TT__STRERROR_IN_RANGE(name, value, text) \
    _Static_assert((value) < 0 && (value) >= TT__ERRNO_LAST, "TT_" #name " lies in sentence_at");
TT__ERRNO_INTERNAL_MAP(TT__STRERROR_IN_RANGE)
#undef TT__STRERROR_IN_RANGE

const char *tt_strerror(int code) {
    unsigned i = 0u - (unsigned)code; /* -code without overflow; a positive code becomes huge */
    return (const char *)&sentences + (i < sizeof sentence_at / sizeof sentence_at[0] ? sentence_at[i] : 0);
}

const char *tt_version(void) {
#define TT__STR2(x) #x
#define TT__STR(x) TT__STR2(x)
    return TT__STR(TT_VERSION_MAJOR) "." TT__STR(TT_VERSION_MINOR) "." TT__STR(TT_VERSION_PATCH);
}
