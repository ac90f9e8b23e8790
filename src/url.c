/*
 * WebSocket URL parsing. The browser's WebSocket constructor is the reference: ws/wss/http/https,
 * no fragment, a host is required. We parse in place and never allocate, so the result is only valid
 * while the input string is.
 */
#include <string.h>

#include "tt_internal.h"
#include "url.h"

/* Bytes the WHATWG URL standard forbids in a host, plus everything we cannot represent (non-ASCII would
 * need IDNA, which the browser does and we do not). Control bytes and space are refused earlier. */
static int url_host_byte_ok(unsigned char c) {
    if (c >= 0x80) return 0;
    return strchr("#/:<>?@[\\]^|%", c) == NULL;
}

/* Whitespace, control bytes and NUL anywhere make the whole URL invalid (the browser would strip or
 * reject them; a request line must never carry them). '#' starts a fragment, which WebSocket refuses. */
static int url_scan_bytes(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7F || c == '#') return TT_EURL;
    }
    return 0;
}

/* Sets *secure from the scheme and returns the length of "scheme:". */
static int url_parse_scheme(const char *s, size_t len, int *secure) {
    static const struct { const char *name; size_t len; int secure; } schemes[] = {
        {"ws:", 3, 0}, {"wss:", 4, 1}, {"http:", 5, 0}, {"https:", 6, 1}};
    const char *colon = memchr(s, ':', len);
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

/* Port: 1-65535 in decimal. An empty port means the default, as browsers treat "ws://h:/". */
static int url_parse_port(const char *p, size_t n, tt__url *out) {
    if (n == 0) return 0;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return TT_EURL;
        v = v * 10 + (uint32_t)(p[i] - '0');
        if (v > 65535) return TT_EURL;
    }
    if (v == 0) return TT_EURL;
    out->port = (uint16_t)v;
    out->port_explicit = 1;
    return 0;
}

/* A bracketed IPv6 literal: hex digits, ':' and '.' (an embedded IPv4 tail); at least two colons. */
static int url_parse_ipv6(const char *p, size_t n, tt__url *out, size_t *used) {
    const char *close = memchr(p, ']', n);
    if (close == NULL) return TT_EURL;
    size_t len = (size_t)(close - p) - 1, colons = 0;
    if (len < 2) return TT_EURL;
    for (size_t i = 1; i <= len; i++) {
        char c = p[i];
        int hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (c == ':') colons++;
        else if (!hex && c != '.') return TT_EURL;
    }
    if (colons < 2) return TT_EURL;
    out->host = p + 1;
    out->host_len = len;
    out->host_is_ipv6 = 1;
    *used = len + 2;
    return 0;
}

/* authority = [userinfo "@"] host [":" port]. */
static int url_parse_authority(const char *p, size_t n, tt__url *out) {
    for (size_t i = n; i > 0; i--) {
        if (p[i - 1] == '@') { /* userinfo is skipped; the last '@' ends it, as browsers do */
            p += i;
            n -= i;
            break;
        }
    }
    if (n == 0) return TT_EURL;
    size_t used = 0;
    if (p[0] == '[') {
        int rc = url_parse_ipv6(p, n, out, &used);
        if (rc) return rc;
    } else {
        while (used < n && p[used] != ':') {
            if (!url_host_byte_ok((unsigned char)p[used])) return TT_EURL;
            used++;
        }
        if (used == 0) return TT_EURL;
        out->host = p;
        out->host_len = used;
    }
    if (used == n) return 0;
    if (p[used] != ':') return TT_EURL;
    return url_parse_port(p + used + 1, n - used - 1, out);
}

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
        /* A query without a path ("ws://h?x") keeps its '?': the request builder adds the '/'. */
        u.path = auth_end;
        u.path_len = (size_t)(end - auth_end);
    }
    *out = u;
    return 0;
}

int tt__url_host_header(const tt__url *url, char *buf, size_t cap) {
    uint16_t def = url->secure ? 443 : 80;
    char port[8] = "";
    size_t port_len = 0;
    if (url->port_explicit && url->port != def) {
        /* ":" and up to five digits, written backwards then reversed into place. */
        char tmp[6];
        size_t k = 0;
        for (unsigned v = url->port; v; v /= 10) tmp[k++] = (char)('0' + v % 10);
        port[port_len++] = ':';
        while (k) port[port_len++] = tmp[--k];
    }
    size_t brackets = url->host_is_ipv6 ? 2 : 0;
    size_t total = url->host_len + brackets + port_len;
    if (cap < total + 1) return TT_EINVAL;
    size_t o = 0;
    if (brackets) buf[o++] = '[';
    memcpy(buf + o, url->host, url->host_len);
    o += url->host_len;
    if (brackets) buf[o++] = ']';
    memcpy(buf + o, port, port_len);
    o += port_len;
    buf[o] = '\0';
    return (int)o;
}
