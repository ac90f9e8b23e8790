/* The native build's hooks: a monotonic clock, OpenSSL's CSPRNG and OpenSSL's SHA-1. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "native.h"
#include "tt_internal.h"

static uint64_t native_now_ms(void *ud) {
    (void)ud;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void native_random(void *ud, uint8_t *buf, size_t n) {
    (void)ud;
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

static void native_sha1(void *ud, const uint8_t *data, size_t len, uint8_t out[20]) {
    (void)ud;
    unsigned int out_len = 20;
    if (EVP_Digest(data, len, out, &out_len, EVP_sha1(), NULL) != 1) abort();
}

void tt__native_install_hooks(void) {
    tt__hooks hooks = {native_now_ms, native_random, native_sha1, NULL};
    tt__hooks_set(&hooks);
}
