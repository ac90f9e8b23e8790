/* A small SHA-1 (FIPS 180-4 section 6.1) for the unit tests, shaped like the tt__hooks sha1 hook. */
#ifndef TT_TEST_SHA1_H
#define TT_TEST_SHA1_H

#include <stddef.h>
#include <stdint.h>

/* out = SHA-1(data[0..len)). ud is ignored; the signature matches tt__hooks.sha1. */
void tt_test_sha1(void *ud, const uint8_t *data, size_t len, uint8_t out[20]);

#endif
