/*
 * The client side of the opening handshake (RFC 6455 section 4.1). The response parser mirrors
 * Chromium's checks (WebSocketBasicHandshakeStream::ValidateResponse): every reason the browser would
 * fail the connection is a failure here, with a sentence saying which.
 */
#include <string.h>

#include "handshake.h"
#include "tt_internal.h"

#define HS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define HS_HEAD_MAX 16384

void tt__handshake_make_key(const uint8_t nonce[16], char key[25]) { tt__base64_encode(nonce, 16, key); }

void tt__handshake_accept(const char key[24], char accept[29]) {
    uint8_t in[24 + sizeof HS_GUID - 1], digest[20];
    memcpy(in, key, 24);
    memcpy(in + 24, HS_GUID, sizeof HS_GUID - 1);
    const tt__hooks *h = tt__hooks_get();
    h->sha1(h->ud, in, sizeof in, digest);
    tt__base64_encode(digest, 20, accept);
}

/* ---- Request ------------------------------------------------------------------------------------ */

/* A tiny bounded writer: the request is built in one pass and the size pass uses the same code. */
typedef struct hs_writer {
    char *buf;
    size_t cap, len;
} hs_writer;

static void hs_put(hs_writer *w, const char *s, size_t n) {
    if (w->buf && w->len + n <= w->cap) memcpy(w->buf + w->len, s, n);
    w->len += n;
}
static void hs_puts(hs_writer *w, const char *s) { hs_put(w, s, strlen(s)); }

/* The Host value: written in parts so that any host length works (tt__url_host_header needs a buffer). */
static void hs_write_host(const tt__url *u, hs_writer *w) {
    if (u->host_is_ipv6) hs_puts(w, "[");
    hs_put(w, u->host, u->host_len);
    if (u->host_is_ipv6) hs_puts(w, "]");
    if (u->port_explicit && u->port != (u->secure ? 443 : 80)) {
        char digits[6];
        size_t k = sizeof digits;
        for (unsigned v = u->port; v; v /= 10) digits[--k] = (char)('0' + v % 10);
        hs_puts(w, ":");
        hs_put(w, digits + k, sizeof digits - k);
    }
}

static void hs_write_request(const tt__handshake_request *req, hs_writer *w) {
    const tt__url *u = req->url;
    hs_puts(w, "GET ");
    if (u->path_len && u->path[0] == '?') hs_puts(w, "/"); /* "ws://h?q" asks for "/?q" */
    hs_put(w, u->path, u->path_len);
    hs_puts(w, " HTTP/1.1\r\nHost: ");
    hs_write_host(u, w);
    hs_puts(w, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
    hs_put(w, req->key, 24);
    hs_puts(w, "\r\nSec-WebSocket-Version: 13\r\n");
    if (req->protocol_count) {
        hs_puts(w, "Sec-WebSocket-Protocol: ");
        for (size_t i = 0; i < req->protocol_count; i++) {
            if (i) hs_puts(w, ", ");
            hs_puts(w, req->protocols[i]);
        }
        hs_puts(w, "\r\n");
    }
    if (req->extensions) {
        hs_puts(w, "Sec-WebSocket-Extensions: ");
        hs_puts(w, req->extensions);
        hs_puts(w, "\r\n");
    }
    for (size_t i = 0; i < req->header_count; i++) {
        hs_puts(w, req->headers[i].name);
        hs_puts(w, ": ");
        hs_puts(w, req->headers[i].value);
        hs_puts(w, "\r\n");
    }
    hs_puts(w, "\r\n");
}

size_t tt__handshake_request_size(const tt__handshake_request *req) {
    hs_writer w = {NULL, 0, 0};
    hs_write_request(req, &w);
    return w.len;
}

int tt__handshake_build_request(const tt__handshake_request *req, char *buf, size_t cap) {
    hs_writer w = {buf, cap, 0};
    hs_write_request(req, &w);
    if (w.len > cap || w.len > 0x7FFFFFFF) return TT_EINVAL;
    return (int)w.len;
}

/* ---- Response ----------------------------------------------------------------------------------- */

/* Offset just past the first "\r\n\r\n" in buf[0..len), or 0 when there is none yet. */
static size_t hs_find_head_end(const char *buf, size_t len) {
    for (size_t i = 3; i < len; i++)
        if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') return i + 1;
    return 0;
}

/* A line feed that does not follow a carriage return: the answer cannot be HTTP/1.1. */
static int hs_has_bare_lf(const char *buf, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r')) return 1;
    return 0;
}

static void hs_trim(const char **p, size_t *n) {
    while (*n && ((*p)[0] == ' ' || (*p)[0] == '\t')) (*p)++, (*n)--;
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t')) (*n)--;
}

static int hs_name_is(const char *name, size_t n, const char *want) {
    return strlen(want) == n && tt__ascii_ieq(name, want, n);
}

static const char *hs_status_detail(int status) {
    switch (status) {
    case 200: return "handshake: unexpected status 200";
    case 204: return "handshake: unexpected status 204";
    case 301: return "handshake: unexpected status 301";
    case 302: return "handshake: unexpected status 302";
    case 307: return "handshake: unexpected status 307";
    case 308: return "handshake: unexpected status 308";
    case 400: return "handshake: unexpected status 400";
    case 401: return "handshake: unexpected status 401";
    case 403: return "handshake: unexpected status 403";
    case 404: return "handshake: unexpected status 404";
    case 405: return "handshake: unexpected status 405";
    case 426: return "handshake: unexpected status 426";
    case 429: return "handshake: unexpected status 429";
    case 500: return "handshake: unexpected status 500";
    case 502: return "handshake: unexpected status 502";
    case 503: return "handshake: unexpected status 503";
    case 504: return "handshake: unexpected status 504";
    default: return "handshake: unexpected status (not 101)";
    }
}

/* "HTTP/1.1 101 reason". Sets *status; returns NULL or the failure sentence. */
static const char *hs_parse_status_line(const char *p, size_t n, int *status) {
    if (n < 5 || memcmp(p, "HTTP/", 5) != 0) return "handshake: malformed status line";
    if (n < 9 || memcmp(p + 5, "1.1 ", 4) != 0) return "handshake: response is not HTTP/1.1";
    if (n < 12) return "handshake: malformed status line";
    for (int i = 9; i < 12; i++)
        if (p[i] < '0' || p[i] > '9') return "handshake: malformed status line";
    if (n > 12 && p[12] != ' ') return "handshake: malformed status line";
    for (size_t i = 12; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7F) return "handshake: malformed status line";
    }
    *status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    return *status == 101 ? NULL : hs_status_detail(*status);
}

/* What the header walk collected. */
typedef struct hs_seen {
    int upgrade, connection_upgrade, accept, accept_ok, protocol;
    const char *protocol_value;
    size_t protocol_len;
    const char *ext_first, *ext_last;
    size_t ext_last_len;
} hs_seen;

/* 1 when the comma-separated list v[0..n) contains token (case-insensitive). */
static int hs_list_has(const char *v, size_t n, const char *token) {
    size_t tl = strlen(token);
    while (n) {
        const char *comma = memchr(v, ',', n);
        size_t item = comma ? (size_t)(comma - v) : n;
        const char *p = v;
        size_t pn = item;
        hs_trim(&p, &pn);
        if (pn == tl && tt__ascii_ieq(p, token, tl)) return 1;
        if (!comma) break;
        v += item + 1;
        n -= item + 1;
    }
    return 0;
}

static const char *hs_on_header(hs_seen *s, const char *name, size_t nn, const char *v, size_t vn,
                                const char *expected_accept) {
    if (hs_name_is(name, nn, "upgrade")) {
        if (s->upgrade++) return "handshake: more than one Upgrade header";
        if (!(vn == 9 && tt__ascii_ieq(v, "websocket", 9))) return "handshake: Upgrade is not websocket";
    } else if (hs_name_is(name, nn, "connection")) {
        if (hs_list_has(v, vn, "upgrade")) s->connection_upgrade = 1;
    } else if (hs_name_is(name, nn, "sec-websocket-accept")) {
        if (s->accept++) return "handshake: more than one Sec-WebSocket-Accept header";
        s->accept_ok = expected_accept && vn == strlen(expected_accept) && memcmp(v, expected_accept, vn) == 0;
    } else if (hs_name_is(name, nn, "sec-websocket-protocol")) {
        if (s->protocol++) return "handshake: more than one Sec-WebSocket-Protocol header";
        s->protocol_value = v;
        s->protocol_len = vn;
    } else if (hs_name_is(name, nn, "sec-websocket-extensions")) {
        if (!s->ext_first) s->ext_first = v;
        s->ext_last = v;
        s->ext_last_len = vn;
    }
    return NULL;
}

/* One "name: value" line; obsolete folding and anything that is not a token before ':' is refused. */
static const char *hs_parse_header_line(hs_seen *s, const char *p, size_t n, const char *expected_accept) {
    if (p[0] == ' ' || p[0] == '\t') return "handshake: folded header line";
    const char *colon = memchr(p, ':', n);
    if (colon == NULL || colon == p) return "handshake: malformed header line";
    size_t nn = (size_t)(colon - p);
    for (size_t i = 0; i < nn; i++)
        if (!tt__is_tchar((unsigned char)p[i])) return "handshake: malformed header line";
    const char *v = colon + 1;
    size_t vn = n - nn - 1;
    for (size_t i = 0; i < vn; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c < 0x20 && c != '\t') || c == 0x7F) return "handshake: malformed header line";
    }
    hs_trim(&v, &vn);
    return hs_on_header(s, p, nn, v, vn, expected_accept);
}

static const char *hs_check_protocol(const hs_seen *s, const char *const *protocols, size_t count) {
    if (!s->protocol) return count ? "handshake: server did not choose a subprotocol" : NULL;
    if (!count) return "handshake: server chose a subprotocol that was not offered";
    for (size_t i = 0; i < count; i++)
        if (strlen(protocols[i]) == s->protocol_len && memcmp(protocols[i], s->protocol_value, s->protocol_len) == 0)
            return NULL;
    if (memchr(s->protocol_value, ',', s->protocol_len)) return "handshake: server chose more than one subprotocol";
    return "handshake: server chose a subprotocol that was not offered";
}

static const char *hs_check_seen(const hs_seen *s, const char *const *protocols, size_t count,
                                 int extensions_offered) {
    if (!s->upgrade) return "handshake: missing Upgrade header";
    if (!s->connection_upgrade) return "handshake: Connection header lacks upgrade";
    if (!s->accept) return "handshake: missing Sec-WebSocket-Accept";
    if (!s->accept_ok) return "handshake: Sec-WebSocket-Accept mismatch";
    const char *why = hs_check_protocol(s, protocols, count);
    if (why) return why;
    if (s->ext_first && !extensions_offered) return "handshake: server sent an extension that was not offered";
    return NULL;
}

static int hs_fail(const char **detail, const char *why) {
    if (detail) *detail = why;
    return TT_EHANDSHAKE;
}

int tt__handshake_parse_response(const char *buf, size_t len, const char *expected_accept,
                                 const char *const *protocols, size_t protocol_count,
                                 int extensions_offered, tt__handshake_response *response,
                                 const char **detail) {
    memset(response, 0, sizeof *response);
    size_t scan = len < HS_HEAD_MAX ? len : HS_HEAD_MAX;
    size_t head = hs_find_head_end(buf, scan);
    if (head == 0) {
        if (hs_has_bare_lf(buf, scan)) return hs_fail(detail, "handshake: malformed line ending");
        if (len >= HS_HEAD_MAX) return hs_fail(detail, "handshake: response head longer than 16 KiB");
        return TT_EAGAIN;
    }
    if (hs_has_bare_lf(buf, head)) return hs_fail(detail, "handshake: malformed line ending");
    hs_seen s;
    memset(&s, 0, sizeof s);
    const char *line = buf, *end = buf + head - 2; /* the final empty line is not a header */
    int first = 1;
    while (line < end) {
        const char *cr = memchr(line, '\r', (size_t)(end - line));
        size_t n = (size_t)(cr - line); /* cr exists: every line ends with "\r\n" (no bare LF) */
        if (cr[1] != '\n') return hs_fail(detail, "handshake: malformed line ending");
        const char *why = first ? hs_parse_status_line(line, n, &response->status)
                                : hs_parse_header_line(&s, line, n, expected_accept);
        if (why) return hs_fail(detail, why);
        first = 0;
        line = cr + 2;
    }
    const char *why = hs_check_seen(&s, protocols, protocol_count, extensions_offered);
    if (why) return hs_fail(detail, why);
    if (s.protocol) {
        response->protocol = s.protocol_value;
        response->protocol_len = s.protocol_len;
    }
    if (s.ext_first) { /* several headers are reported as the span from the first value to the last */
        response->extensions = s.ext_first;
        response->extensions_len = (size_t)(s.ext_last + s.ext_last_len - s.ext_first);
    }
    return (int)head;
}
