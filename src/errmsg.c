/* The strings of the one errMsg table (src/errmsg.h). */
#include "errmsg.h"

static const char *const errmsg_table[TT__MSG_COUNT] = {
#define TT__ERRMSG_TEXT(name, text) text,
    TT__ERRMSG_MAP(TT__ERRMSG_TEXT)
#undef TT__ERRMSG_TEXT
};

const char *tt__errmsg(tt__msg msg) {
    if ((unsigned)msg >= TT__MSG_COUNT) return "";
    return errmsg_table[msg];
}
