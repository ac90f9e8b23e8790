/*
 * WebSocket URL parsing. See url.h for what is accepted and why: the rule is that every URL accepted here
 * reads the same in a WHATWG URL parser (Chromium's and Node's), so the host checked against the domain
 * list is the host every build connects to. We parse in place and never allocate, so the result is only
 * valid while the input string is.
 */
#include <string.h>

#include "tt_internal.h"
#include "url.h"
#include "utf8.h"

/* ---- Output (write what fits, count everything, no NUL) ------------------------------------------ */

typedef struct url_sink {
    char *buf;
    size_t cap, len;
} url_sink;

static void sink_put(url_sink *k, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++, k->len++)
        if (k->len < k->cap) k->buf[k->len] = s[i];
}

static void sink_decimal(url_sink *k, unsigned v) {
    char digits[10];
    size_t i = sizeof digits;
    do digits[--i] = (char)('0' + v % 10);
    while (v /= 10);
    sink_put(k, digits + i, sizeof digits - i);
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* ---- IPv6 (the WHATWG IPv6 parser and serializer) ----------------------------------------------- */

/*
 * Dotted-decimal IPv4, the only spelling that every parser leaves as it is and the one WHATWG allows as
 * the tail of an IPv6 literal: exactly four decimal parts 0-255 without leading zeros. 1 when h[0..n) is
 * such an address (then out holds its bytes, when not NULL), 0 otherwise.
 */
static int ipv4_dotted(const char *h, size_t n, uint8_t out[4]) {
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0 && (i >= n || h[i++] != '.')) return 0;
        size_t start = i;
        unsigned v = 0;
        while (i < n && is_digit(h[i]) && i - start < 3) v = v * 10 + (unsigned)(h[i++] - '0');
        size_t len = i - start;
        if (len == 0 || v > 255 || (len > 1 && h[start] == '0')) return 0;
        if (out) out[part] = (uint8_t)v;
    }
    return i == n;
}

int tt__ipv6_parse(const char *p, size_t n, uint16_t addr[8]) {
    uint16_t a[8] = {0};
    size_t i = 0;
    int piece = 0, compress = -1;
    if (n > 0 && p[0] == ':') {
        if (n < 2 || p[1] != ':') return TT_EURL;
        i = 2;
        compress = ++piece;
    }
    while (i < n) {
        if (piece == 8) return TT_EURL;
        if (p[i] == ':') {
            if (compress >= 0) return TT_EURL;
            i++;
            compress = ++piece;
            continue;
        }
        unsigned value = 0;
        size_t length = 0;
        while (length < 4 && i < n && hex_value(p[i]) >= 0) {
            value = value * 16 + (unsigned)hex_value(p[i]);
            i++;
            length++;
        }
        if (i < n && p[i] == '.') {
            /* The rest, from the start of this piece, is an IPv4 address filling the last two pieces. */
            uint8_t v4[4];
            if (length == 0 || piece > 6 || !ipv4_dotted(p + i - length, n - (i - length), v4)) return TT_EURL;
            a[piece++] = (uint16_t)(v4[0] << 8 | v4[1]);
            a[piece++] = (uint16_t)(v4[2] << 8 | v4[3]);
            break;
        }
        if (i < n && p[i] == ':') {
            if (++i == n) return TT_EURL;
        } else if (i < n) {
            return TT_EURL;
        }
        a[piece++] = (uint16_t)value;
    }
    if (compress >= 0) {
        /* Move the pieces after "::" to the end; the zeros fill the gap. */
        int swaps = piece - compress;
        for (piece = 7; piece != 0 && swaps > 0; piece--, swaps--) {
            uint16_t t = a[piece];
            a[piece] = a[compress + swaps - 1];
            a[compress + swaps - 1] = t;
        }
    } else if (piece != 8) {
        return TT_EURL;
    }
    memcpy(addr, a, sizeof a);
    return 0;
}

size_t tt__ipv6_format(const uint16_t addr[8], char out[TT__IPV6_TEXT_MAX + 1]) {
    /* The first longest run of two or more zero pieces becomes "::". */
    int compress = -1, best = 1;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && addr[j] == 0) j++;
        if (j - i > best) {
            best = j - i;
            compress = i;
        }
        i = j > i ? j : i + 1;
    }
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 8; i++) {
        if (i == compress) {
            out[o++] = ':';
            if (i == 0) out[o++] = ':';
            i += best - 1;
            continue;
        }
        unsigned v = addr[i];
        int shift = 12;
        while (shift > 0 && (v >> shift) == 0) shift -= 4;
        for (; shift >= 0; shift -= 4) out[o++] = hex[(v >> shift) & 0xF];
        if (i != 7) out[o++] = ':';
    }
    out[o] = '\0';
    return o;
}

/* ---- Scheme, bytes, port ------------------------------------------------------------------------ */

/* Sets *secure from the scheme and returns the length of "scheme:". http and https, which a browser
 * would map to ws and wss, are refused: tt requires wss (ws in development mode). */
static int url_parse_scheme(const char *s, size_t len, int *secure) {
    static const struct {
        const char *name;
        size_t len;
        int secure;
    } schemes[] = {{"ws:", 3, 0}, {"wss:", 4, 1}};
    const char *colon = tt__find_byte(s, ':', len);
    if (colon == NULL) return TT_EURL;
    size_t n = (size_t)(colon - s) + 1;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        if (n == schemes[i].len && tt__ascii_ieq(s, schemes[i].name, n)) {
            *secure = schemes[i].secure;
            return (int)n;
        }
    }
    return TT_ESCHEME;
}

/* Whitespace and control bytes (which a browser strips or encodes; a request line must never carry
 * them), '#' (a fragment, which WebSocket refuses), '\' (a browser reads it as '/', which would move the
 * end of the host) and invalid UTF-8 make the whole URL invalid. */
static int url_scan_bytes(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7F || c == '#' || c == '\\') return TT_EURL;
    }
    return tt__utf8_valid(s, len) ? 0 : TT_EURL;
}

/* Port: decimal, 1-65535 (leading zeros are fine, as in a browser). An empty port means the default. */
static int url_parse_port(const char *p, size_t n, tt__url *out) {
    if (n == 0) return 0;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(p[i])) return TT_EURL;
        v = v * 10 + (uint32_t)(p[i] - '0');
        if (v > 65535) return TT_EURL;
    }
    if (v == 0) return TT_EURL;
    out->port = (uint16_t)v;
    out->port_explicit = 1;
    return 0;
}

/* ---- Host --------------------------------------------------------------------------------------- */

static int url_label_is_punycode(const char *label, size_t n) { return n >= 4 && tt__ascii_ieq(label, "xn--", 4); }

/*
 * A host name: letters, digits, '-', '_', '.'; non-empty labels except one trailing dot. A last label
 * that starts with a digit makes a browser read the whole host as an IPv4 number (and fail, or rewrite it
 * to dotted decimal), so it must then be canonical dotted decimal. "xn--" labels go through IDNA checks
 * on which browsers and Node disagree.
 */
static int url_check_name(const char *h, size_t n) {
    if (n == 0 || h[0] == '.') return TT_EURL;
    size_t body = h[n - 1] == '.' ? n - 1 : n;
    size_t label = 0, last = 0;
    for (size_t i = 0; i <= body; i++) {
        if (i == body || h[i] == '.') {
            if (i == label) return TT_EURL; /* an empty label */
            if (url_label_is_punycode(h + label, i - label)) return TT_EURL;
            last = label;
            label = i + 1;
            continue;
        }
        char c = h[i];
        int ok = is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
        if (!ok) return TT_EURL;
    }
    if (is_digit(h[last]) && (body != n || !ipv4_dotted(h, n, NULL))) return TT_EURL;
    return 0;
}

/* authority = host [":" port]; userinfo is refused. */
static int url_parse_authority(const char *p, size_t n, tt__url *out) {
    if (tt__find_byte(p, '@', n) != NULL) return TT_EURL;
    size_t used;
    if (n > 0 && p[0] == '[') {
        const char *close = tt__find_byte(p, ']', n);
        if (close == NULL) return TT_EURL;
        used = (size_t)(close - p) + 1;
        if (tt__ipv6_parse(p + 1, used - 2, out->ipv6)) return TT_EURL;
        out->host = p + 1;
        out->host_len = used - 2;
        out->host_is_ipv6 = 1;
    } else {
        const char *colon = tt__find_byte(p, ':', n);
        used = colon ? (size_t)(colon - p) : n;
        if (url_check_name(p, used)) return TT_EURL;
        out->host = p;
        out->host_len = used;
    }
    if (used == n) return 0;
    if (p[used] != ':') return TT_EURL;
    return url_parse_port(p + used + 1, n - used - 1, out);
}

/* ---- Path and query ----------------------------------------------------------------------------- */

/* "." or "..", also spelled with "%2e": a browser removes such segments. */
static int url_is_dot_segment(const char *seg, size_t n) {
    size_t dots = 0, i = 0;
    while (i < n) {
        if (seg[i] == '.') {
            i++;
        } else if (i + 3 <= n && seg[i] == '%' && seg[i + 1] == '2' && (seg[i + 2] == 'e' || seg[i + 2] == 'E')) {
            i += 3;
        } else {
            return 0;
        }
        dots++;
    }
    return dots == 1 || dots == 2;
}

/* The path (before any '?'): no dot segments, and no '^' or '|', which Chromium encodes and WHATWG not. */
static int url_check_path(const char *p, size_t n) {
    const char *q = tt__find_byte(p, '?', n);
    size_t end = q ? (size_t)(q - p) : n, seg = 1;
    for (size_t i = 1; i <= end; i++) {
        if (i < end && (p[i] == '^' || p[i] == '|')) return TT_EURL;
        if (i == end || p[i] == '/') {
            if (url_is_dot_segment(p + seg, i - seg)) return TT_EURL;
            seg = i + 1;
        }
    }
    return 0;
}

/* The WHATWG path and special-query percent-encode sets, for the bytes that can still occur here. */
static int url_needs_encoding(unsigned char c, int in_query) {
    if (c >= 0x80) return 1;
    return tt__in_set(c, in_query ? "\"<>'" : "\"<>`{}");
}

static void url_write_target(const tt__url *u, url_sink *k) {
    static const char hex[] = "0123456789ABCDEF";
    if (u->path_len == 0 || u->path[0] == '?') sink_put(k, "/", 1);
    int in_query = 0;
    for (size_t i = 0; i < u->path_len; i++) {
        unsigned char c = (unsigned char)u->path[i];
        if (c == '?') in_query = 1;
        if (url_needs_encoding(c, in_query)) {
            char esc[3] = {'%', hex[c >> 4], hex[c & 0xF]};
            sink_put(k, esc, 3);
        } else {
            sink_put(k, (const char *)&c, 1);
        }
    }
}

/* ---- Entry points ------------------------------------------------------------------------------- */

int tt__url_parse(const char *s, size_t len, tt__url *out) {
    tt__url u;
    memset(&u, 0, sizeof u);
    if (s == NULL || len == 0) return TT_EURL;
    int n = url_parse_scheme(s, len, &u.secure);
    if (n < 0) return n;
    if (url_scan_bytes(s, len)) return TT_EURL;
    const char *p = s + n, *end = s + len;
    if (end - p < 2 || p[0] != '/' || p[1] != '/') return TT_EURL;
    p += 2;
    const char *auth_end = p;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?') auth_end++;
    int rc = url_parse_authority(p, (size_t)(auth_end - p), &u);
    if (rc) return rc;
    if (!u.port_explicit) u.port = u.secure ? 443 : 80;
    if (auth_end == end) {
        u.path = "/";
        u.path_len = 1;
    } else {
        /* A query without a path ("ws://h?x") keeps its '?': the target adds the '/'. */
        u.path = auth_end;
        u.path_len = (size_t)(end - auth_end);
        if (u.path[0] == '/' && url_check_path(u.path, u.path_len)) return TT_EURL;
    }
    *out = u;
    return 0;
}

static void url_write_host(const tt__url *u, url_sink *k) {
    if (u->host_is_ipv6) {
        char text[TT__IPV6_TEXT_MAX + 1];
        sink_put(k, text, tt__ipv6_format(u->ipv6, text));
        return;
    }
    for (size_t i = 0; i < u->host_len; i++) {
        char c = u->host[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c + ('a' - 'A'));
        sink_put(k, &c, 1);
    }
}

/* "host", "[v6]", then ":port" unless the port is the scheme's default (a browser drops it). */
static void url_write_authority(const tt__url *u, url_sink *k) {
    if (u->host_is_ipv6) sink_put(k, "[", 1);
    url_write_host(u, k);
    if (u->host_is_ipv6) sink_put(k, "]", 1);
    if (u->port != (u->secure ? 443 : 80)) {
        sink_put(k, ":", 1);
        sink_decimal(k, u->port);
    }
}

size_t tt__url_host(const tt__url *url, char *buf, size_t cap) {
    url_sink k = {buf, cap, 0};
    url_write_host(url, &k);
    return k.len;
}

size_t tt__url_target(const tt__url *url, char *buf, size_t cap) {
    url_sink k = {buf, cap, 0};
    url_write_target(url, &k);
    return k.len;
}

size_t tt__url_authority(const tt__url *url, char *buf, size_t cap) {
    url_sink k = {buf, cap, 0};
    url_write_authority(url, &k);
    return k.len;
}

size_t tt__url_href(const tt__url *url, char *buf, size_t cap) {
    url_sink k = {buf, cap, 0};
    sink_put(&k, url->secure ? "wss://" : "ws://", url->secure ? 6 : 5);
    url_write_authority(url, &k);
    url_write_target(url, &k);
    return k.len;
}

int tt__url_host_header(const tt__url *url, char *buf, size_t cap) {
    url_sink k = {buf, cap, 0};
    url_write_authority(url, &k);
    if (k.len >= cap || k.len > 0x7FFFFFFF) return TT_EINVAL;
    buf[k.len] = '\0';
    return (int)k.len;
}
