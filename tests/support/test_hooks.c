#include "test_hooks.h"

#include "sha1.h"
#include "tt_internal.h"

static uint64_t clock_ms = 1000;
static uint8_t next_byte;

static uint64_t fixed_now(void *ud) {
    (void)ud;
    return clock_ms;
}

static void counter_random(void *ud, uint8_t *buf, size_t n) {
    (void)ud;
    for (size_t i = 0; i < n; i++) buf[i] = next_byte++;
}

void tt_test_hooks_install(uint8_t seed) {
    tt__hooks h = {fixed_now, counter_random, tt_test_sha1, NULL};
    next_byte = seed;
    clock_ms = 1000;
    tt__hooks_set(&h);
    tt__random_reset();
}

void tt_test_clock_set(uint64_t ms) { clock_ms = ms; }
void tt_test_clock_advance(uint64_t ms) { clock_ms += ms; }
uint64_t tt_test_clock_now(void) { return clock_ms; }
