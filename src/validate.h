/*
 * Every check the core makes on what a game passes in: the URL against the runtime's domain rules,
 * request headers, subprotocols, outgoing text, close code and reason. Each returns 0 or a negative
 * TT_E* code; src/task.c maps codes to errMsg rows. Both builds run exactly these checks before any
 * transport is touched, which is also what keeps the web build from throwing inside JavaScript.
 */
#ifndef TT_VALIDATE_H
#define TT_VALIDATE_H

#include <stddef.h>

#include "ttsocket.h"
#include "url.h"

/*
 * Parses url (NUL-terminated) and applies the domain rules. Returns 0 and fills *out, TT_EURL for a
 * malformed or refused URL (see url.h), TT_ESCHEME for a scheme other than ws/wss (http and https
 * included), and, unless skip_domain_check, TT_EINSECURE for ws:// and TT_EDOMAIN for a host that
 * matches none of the domains.
 */
int tt__validate_url(const char *url, const char *const *domains, size_t domain_count, int skip_domain_check,
                     tt__url *out);

/* 1 when host (host_len bytes; an IPv6 address in canonical form, without brackets) on port matches a
 * configured domain entry: "example.com", "wss://example.com", "example.com:8443" (port must then match),
 * "[::1]:9000" (any IPv6 spelling); case-insensitive; one trailing dot on either side is ignored, so
 * "good.example." and "good.example" match each other. */
int tt__domain_match(const char *host, size_t host_len, int port, const char *domain);

/* TT_EHEADER for a bad name or value, TT_EFORBIDDENHEADER for a name a browser may not set. */
int tt__validate_headers(const tt_header *headers, size_t count);

/* 1 when name is on the browser's forbidden request-header list (or starts with Sec- / Proxy-). */
int tt__header_forbidden(const char *name);

/* TT_EPROTOCOL for a NULL, empty or non-token entry; TT_EDUPPROTOCOL for a repeated one. */
int tt__validate_protocols(const char *const *protocols, size_t count);

/* Normalises code 0 to 1000; TT_ECLOSECODE unless 1000, 1001 or 3000-4999; TT_EREASON for more than
 * 123 bytes; TT_EUTF8 for a reason that is not UTF-8. *code_out and *reason_len get the values to send. */
int tt__validate_close(int code, const char *reason, int *code_out, size_t *reason_len);

#endif
