/* The native build's hooks: a monotonic clock, OpenSSL's CSPRNG and OpenSSL's SHA-1. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "native.h"
#include "tt_internal.h"

static uint64_t native_now_ms(void *ud) {
    (void)ud;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void fill_random(uint8_t *buf, size_t n) {
    while (n > 0) {
        int chunk = n > (1u << 20) ? (1 << 20) : (int)n;
        if (RAND_bytes(buf, chunk) == 1) {
            buf += chunk;
            n -= (size_t)chunk;
            continue;
        }
        /* OpenSSL's generator failed (it should not): fall back to the kernel's. Mask keys and key
         * nonces must never be predictable, so give up rather than return weak bytes. */
        ssize_t got = getrandom(buf, n, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            abort();
        }
        buf += got;
        n -= (size_t)got;
    }
}

/*
 * Every data frame needs a 4-byte mask key, and one RAND_bytes() call costs ~480 instructions (provider
 * lookups, locks, getpid, an AES-CTR DRBG step) whatever its length: over a third of the client's
 * user-space work per 64-byte message. So small requests are served from a pool filled 4 KiB at a time
 * from the same CSPRNG: the bytes are just as unpredictable, only fetched in bulk. The pool is single-
 * threaded like the rest of the API (the resolver thread never draws from it), and a forked child drops
 * what its parent had left so the two never hand out the same keys.
 */
#define RANDOM_POOL 4096
/* Requests up to this size are served from the pool: the core's own refills are this size. */
#define RANDOM_POOLED_MAX TT__RANDOM_POOL
static uint8_t random_pool[RANDOM_POOL];
static size_t random_left; /* unused bytes at the end of random_pool */

/* In a forked child: both this pool and the core's small one (src/util.c) start empty. */
static void random_pool_drop(void) {
    OPENSSL_cleanse(random_pool, sizeof random_pool);
    random_left = 0;
    tt__random_reset();
}

static void native_random(void *ud, uint8_t *buf, size_t n) {
    (void)ud;
    if (n > RANDOM_POOLED_MAX) {
        fill_random(buf, n);
        return;
    }
    if (random_left < n) {
        fill_random(random_pool, RANDOM_POOL);
        random_left = RANDOM_POOL;
    }
    uint8_t *p = random_pool + RANDOM_POOL - random_left;
    memcpy(buf, p, n);
    memset(p, 0, n); /* handed out: not kept around */
    random_left -= n;
}

static void native_sha1(void *ud, const uint8_t *data, size_t len, uint8_t out[20]) {
    (void)ud;
    unsigned int out_len = 20;
    if (EVP_Digest(data, len, out, &out_len, EVP_sha1(), NULL) != 1) abort();
}

void tt__native_install_hooks(void) {
    static int atfork_done;
    if (!atfork_done && pthread_atfork(NULL, NULL, random_pool_drop) == 0) atfork_done = 1;
    tt__hooks hooks = {native_now_ms, native_random, native_sha1, NULL};
    tt__hooks_set(&hooks);
}
