/* The rows of the protocol violation table (src/violation.h). */
#include "violation.h"

#include "tt_internal.h"
#include "ttsocket.h"

typedef struct violation_row {
    int close_code;
    const char *detail, *reason;
} violation_row;

static const violation_row violation_none = {0, "", ""};

static const violation_row violation_table[TT__VIOLATION_COUNT] = {
#define TT__VIOLATION_ROW(name, code, detail, reason) [TT__VIOLATION_##name] = {code, detail, reason},
    TT__VIOLATION_MAP(TT__VIOLATION_ROW)
#undef TT__VIOLATION_ROW
};

static const violation_row *violation_row_of(tt__violation v) {
    if (v == TT__VIOLATION_NONE || (unsigned)v >= TT__VIOLATION_COUNT) return &violation_none;
    return &violation_table[v];
}

const char *tt__violation_detail(tt__violation v) { return violation_row_of(v)->detail; }

int tt__violation_close_code(tt__violation v) { return violation_row_of(v)->close_code; }

const char *tt__violation_close_reason(tt__violation v) { return violation_row_of(v)->reason; }
