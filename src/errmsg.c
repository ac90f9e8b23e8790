/* The strings of the one errMsg table (src/errmsg.h): each part once, a row as three references. */
#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"

enum {
#define TT__ERRMSG_API_ENUM(api, text) API_##api,
    TT__ERRMSG_APIS(TT__ERRMSG_API_ENUM)
#undef TT__ERRMSG_API_ENUM
};
enum {
#define TT__ERRMSG_KIND_ENUM(kind, text) KIND_##kind,
    TT__ERRMSG_KINDS(TT__ERRMSG_KIND_ENUM)
#undef TT__ERRMSG_KIND_ENUM
};

/* Every part as one block of NUL-terminated strings (a field per part), so that a row names its parts by
 * 16-bit offsets instead of pointers. */
static const struct parts {
#define TT__ERRMSG_API_FIELD(api, text) char api_##api[sizeof text];
    TT__ERRMSG_APIS(TT__ERRMSG_API_FIELD)
#undef TT__ERRMSG_API_FIELD
#define TT__ERRMSG_KIND_FIELD(kind, text) char kind_##kind[sizeof text];
    TT__ERRMSG_KINDS(TT__ERRMSG_KIND_FIELD)
#undef TT__ERRMSG_KIND_FIELD
#define TT__ERRMSG_WORDS_FIELD(words, text) char words_##words[sizeof text];
    TT__ERRMSG_WORDS(TT__ERRMSG_WORDS_FIELD)
#undef TT__ERRMSG_WORDS_FIELD
} parts = {
#define TT__ERRMSG_TEXT(a, text) text,
    TT__ERRMSG_APIS(TT__ERRMSG_TEXT) TT__ERRMSG_KINDS(TT__ERRMSG_TEXT) TT__ERRMSG_WORDS(TT__ERRMSG_TEXT)
#undef TT__ERRMSG_TEXT
};
_Static_assert(sizeof parts <= UINT16_MAX, "parts are named by 16-bit offsets");

/* Where each API name and each outcome starts in parts. */
static const uint8_t api_at[] = {
#define TT__ERRMSG_API_AT(api, text) offsetof(struct parts, api_##api),
    TT__ERRMSG_APIS(TT__ERRMSG_API_AT)
#undef TT__ERRMSG_API_AT
};
static const uint8_t kind_at[] = {
#define TT__ERRMSG_KIND_AT(kind, text) offsetof(struct parts, kind_##kind),
    TT__ERRMSG_KINDS(TT__ERRMSG_KIND_AT)
#undef TT__ERRMSG_KIND_AT
};

/* A row in 16 bits: where its own words start in parts (high 12 bits), its API and its outcome (2 bits
 * each, indexes into api_at and kind_at). */
#define ROW_WORDS_SHIFT 4
#define ROW_API_SHIFT 2
#define ROW_FIELD_MASK 3u
_Static_assert(sizeof parts < (1u << (16 - ROW_WORDS_SHIFT)), "a row's words are named by 12 bits");
_Static_assert(sizeof api_at <= ROW_FIELD_MASK + 1 && sizeof kind_at <= ROW_FIELD_MASK + 1, "2-bit indexes");
static const uint16_t rows[TT__MSG_COUNT] = {
#define TT__ERRMSG_ROW(name, api, kind, words) \
    offsetof(struct parts, words_##words) << ROW_WORDS_SHIFT | API_##api << ROW_API_SHIFT | KIND_##kind,
    TT__ERRMSG_MAP(TT__ERRMSG_ROW)
#undef TT__ERRMSG_ROW
};

/* Each row fits in tt__errmsg_text with its NUL. */
#define TT__ERRMSG_FITS(name, api, kind, words)                                                          \
    _Static_assert(sizeof parts.api_##api + sizeof parts.kind_##kind + sizeof parts.words_##words - 2 <= \
                       TT__ERRMSG_MAX,                                                                   \
                   "errMsg row " #name " is longer than TT__ERRMSG_MAX");
TT__ERRMSG_MAP(TT__ERRMSG_FITS)
#undef TT__ERRMSG_FITS

/* Copies the part at offset at of parts, without its NUL; returns the end. */
static char *append(char *o, unsigned at) {
    for (const char *s = (const char *)&parts + at; *s != '\0'; s++) *o++ = *s;
    return o;
}

const char *tt__errmsg(tt__msg msg, tt__errmsg_text *out) {
    char *o = out->text;
    if ((unsigned)msg < TT__MSG_COUNT) {
        unsigned row = rows[msg];
        o = append(o, api_at[row >> ROW_API_SHIFT & ROW_FIELD_MASK]);
        o = append(o, kind_at[row & ROW_FIELD_MASK]);
        o = append(o, row >> ROW_WORDS_SHIFT);
    }
    *o = '\0';
    return out->text;
}
