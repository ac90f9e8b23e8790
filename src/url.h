/*
 * A pure, zero-copy parser for WebSocket URLs. The reference is the WHATWG URL standard as browsers (and
 * Node) implement it: the core accepts a URL only when such a parser reads it as the same scheme, host,
 * port, path and query, and refuses every form that a browser would read differently or that browsers
 * disagree on. The canonical form (what a browser's URL.href says) is written by tt__url_href, and that,
 * never the string the game passed, is what reaches the browser; the native build connects to the same
 * canonical host and asks for the same canonical request target.
 *
 * Accepted: "ws://" or "wss://" (any case), then a host, an optional ":port", an optional path and query.
 * - host: a name of ASCII letters, digits, '-', '_' and '.' (non-empty labels, at most one trailing dot,
 *   no "xn--" label, last label not starting with a digit), or a dotted-decimal IPv4 address in its
 *   canonical form (four parts 0-255, no leading zeros), or a bracketed IPv6 literal (any RFC 4291 form,
 *   written back compressed and lower-case as RFC 5952 and WHATWG do);
 * - port: decimal digits (leading zeros allowed), 1-65535; an empty port means the default;
 * - path and query: printable ASCII and UTF-8; bytes a browser percent-encodes are encoded the same way.
 * Refused (TT_EURL): other schemes' syntax ("ws:h", "ws:///h"), userinfo ("user@"; Chromium would answer
 * a 401 with the credentials, which the native build does not do), a backslash anywhere, whitespace or
 * control bytes anywhere (a browser strips some of them), '%' in the host, IPv4 numbers in other forms
 * ("127.1", "0x7f.0.0.1", "010.0.0.1", "2130706433"), "." and ".." path segments (also percent-encoded),
 * '^' or '|' in the path (Chromium and WHATWG encode them differently), invalid UTF-8, a fragment, port 0.
 */
#ifndef TT_URL_H
#define TT_URL_H

#include <stddef.h>
#include <stdint.h>

/* Longest canonical IPv6 text ("ffff:ffff:...:ffff"), without brackets and NUL. */
#define TT__IPV6_TEXT_MAX 39

typedef struct tt__url {
    int secure;       /* 1 for wss:// */
    const char *host; /* points into the input, as written: the name or IPv4 address, or the IPv6
                              literal without its brackets; tt__url_host gives the canonical text */
    size_t host_len;
    int host_is_ipv6; /* 1 when the host was a bracketed IPv6 literal (then ipv6 holds it) */
    uint16_t ipv6[8];
    uint16_t port;     /* explicit port, or 80 / 443 */
    int port_explicit; /* 1 when the URL named a port */
    const char *path;  /* path and query as written ("/" when the URL had none: then it points to a
                              static "/"); a query without a path ("ws://h?q") gives "?q" */
    size_t path_len;
} tt__url;

/*
 * Parses s[0..len). Returns
 * - 0: *out is filled;
 * - TT_ESCHEME: the scheme is not ws or wss (case-insensitive), for example http or https;
 * - TT_EURL: anything else that is wrong or refused (see above).
 * Nothing is written to *out on failure. No allocation; *out points into s.
 */
int tt__url_parse(const char *s, size_t len, tt__url *out);

/*
 * The canonical host: the name or IPv4 address in lower case (a trailing dot kept), or the IPv6 address
 * compressed as RFC 5952, without brackets. Writes at most cap bytes (no NUL; buf may be NULL when cap
 * is 0) and returns the full length, so a first call with cap 0 sizes the buffer.
 */
size_t tt__url_host(const tt__url *url, char *buf, size_t cap);

/*
 * The canonical request target: the path ("/" when empty) and query, with the bytes a browser
 * percent-encodes encoded as it does. Writes and returns like tt__url_host.
 */
size_t tt__url_target(const tt__url *url, char *buf, size_t cap);

/* The canonical authority, the Host header's value: host, "[v6]", then ":port" unless the port is the
 * scheme's default. Writes and returns like tt__url_host. */
size_t tt__url_authority(const tt__url *url, char *buf, size_t cap);

/* The canonical URL, "ws[s]://" host [":" port unless the default] target: what URL.href says in a
 * browser. Writes and returns like tt__url_host. */
size_t tt__url_href(const tt__url *url, char *buf, size_t cap);

/*
 * Writes the Host header value ("host", "host:port" with a non-default port, "[v6]:port"), canonical,
 * into buf of size cap, NUL-terminated. Returns the length, or TT_EINVAL when cap is too small.
 */
int tt__url_host_header(const tt__url *url, char *buf, size_t cap);

/* Parses an IPv6 address (no brackets) as the WHATWG IPv6 parser does. 0, or TT_EURL. */
int tt__ipv6_parse(const char *p, size_t n, uint16_t addr[8]);

/* Writes addr in the WHATWG / RFC 5952 form (no brackets, NUL-terminated); returns its length. */
size_t tt__ipv6_format(const uint16_t addr[8], char out[TT__IPV6_TEXT_MAX + 1]);

#endif
