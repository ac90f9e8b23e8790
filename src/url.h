/*
 * A pure, zero-copy parser for WebSocket URLs, following what the browser's WebSocket constructor
 * accepts: ws, wss, http (means ws) and https (means wss); no fragment; a host is required.
 */
#ifndef TT_URL_H
#define TT_URL_H

#include <stddef.h>
#include <stdint.h>

typedef struct tt__url {
    int secure;            /* 1 for wss:// and https:// */
    const char *host;      /* points into the input; IPv6 literals without the brackets */
    size_t host_len;
    int host_is_ipv6;      /* 1 when the host was a bracketed IPv6 literal */
    uint16_t port;         /* explicit port, or 80 / 443 */
    int port_explicit;     /* 1 when the URL named a port */
    const char *path;      /* path and query ("/" when the URL had none: then it points to a static "/");
                              a query without a path ("ws://h?q") gives "?q", which the request
                              builder sends as "/?q" */
    size_t path_len;
} tt__url;

/*
 * Parses s[0..len). Returns 0 and fills *out, TT_ESCHEME when the scheme is not ws/wss/http/https
 * (case-insensitive), or TT_EURL for anything else that is wrong: empty input, no "//", an empty or
 * invalid host, a bad or out-of-range port (1-65535), a fragment ('#'), whitespace or control bytes,
 * a NUL. Userinfo ("user:pass@") is accepted and skipped, as browsers do. No allocation.
 */
int tt__url_parse(const char *s, size_t len, tt__url *out);

/*
 * Writes the Host header value ("host", "host:port" with a non-default port, "[v6]:port") into buf of
 * size cap, NUL-terminated. Returns the length, or TT_EINVAL when cap is too small.
 */
int tt__url_host_header(const tt__url *url, char *buf, size_t cap);

#endif
