/* Deterministic hooks for unit tests: a clock that moves only when told, counter "randomness", SHA-1. */
#ifndef TT_TEST_HOOKS_H
#define TT_TEST_HOOKS_H

#include <stdint.h>

/* Installs the fixed clock (starting at 1000 ms), counter randomness from seed, and tt_test_sha1. */
void tt_test_hooks_install(uint8_t seed);
void tt_test_clock_set(uint64_t ms);
void tt_test_clock_advance(uint64_t ms);
uint64_t tt_test_clock_now(void);

#endif
