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

/* The room left in the writer for a piece that tt__url writes itself (nothing in the size pass). */
static char *hs_room(hs_writer *w, size_t *room) {
    *room = w->buf && w->len < w->cap ? w->cap - w->len : 0;
    return *room ? w->buf + w->len : NULL;
}

/* The request target and the Host value in their canonical forms, as a browser sends them. */
static void hs_write_target(const tt__url *u, hs_writer *w) {
    size_t room;
    char *at = hs_room(w, &room);
    w->len += tt__url_target(u, at, room);
}

static void hs_write_host(const tt__url *u, hs_writer *w) {
    size_t room;
    char *at = hs_room(w, &room);
    w->len += tt__url_authority(u, at, room);
}

static void hs_write_request(const tt__handshake_request *req, hs_writer *w) {
    const tt__url *u = req->url;
    hs_puts(w, "GET ");
    hs_write_target(u, w);
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

/*
 * The end of the response head, found as Chromium's HttpUtil::LocateEndOfHeaders finds it: an empty line,
 * where lines end with LF or CR LF (so "\n\n" and "\n\r\n" end a head, and so does "\r\n\r\n"). CR and LF
 * before the first other byte are skipped, as Chromium skips slop before the status line. The state
 * (0 at the start) carries a match across chunks.
 */
size_t tt__handshake_scan_head_end(unsigned *state, const uint8_t *p, size_t n) {
    unsigned started = *state & 1, m = *state >> 1; /* m: 0 in a line, 1 after LF, 2 after LF CR */
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (!started) {
            if (c == '\r' || c == '\n') continue;
            started = 1;
        }
        if (c == '\n') {
            if (m) {
                *state = 0;
                return i + 1;
            }
            m = 1;
        } else if (c == '\r') {
            m = m == 1 ? 2 : 0;
        } else {
            m = 0;
        }
    }
    *state = started | m << 1;
    return 0;
}

static size_t hs_find_head_end(const char *buf, size_t len) {
    unsigned state = 0;
    return tt__handshake_scan_head_end(&state, (const uint8_t *)buf, len);
}

/* The next line in [*p, end): LF or CR LF ends it (the CR is not part of it). Advances *p past the LF. */
static int hs_next_line(const char **p, const char *end, const char **line, size_t *n) {
    if (*p >= end) return 0;
    const char *lf = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = lf ? lf : end;
    *line = *p;
    *n = (size_t)(stop - *p);
    if (*n && (*line)[*n - 1] == '\r') (*n)--;
    *p = lf ? lf + 1 : end;
    return 1;
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

/*
 * The status line, read as Chromium's HttpResponseHeaders::ParseStatusLine reads it: it must start with
 * "http" (any case); the version is not checked (HTTP/1.0, HTTP/2, "http/1.1" all pass); the code is the
 * digits after the first space and any further spaces, 200 when there are none; the rest is the reason.
 * Sets *status; returns NULL or the failure sentence.
 */
static const char *hs_parse_status_line(const char *p, size_t n, int *status) {
    if (n < 4 || !tt__ascii_ieq(p, "http", 4)) return "handshake: malformed status line";
    const char *sp = memchr(p, ' ', n);
    int code = 200;
    if (sp) {
        size_t i = (size_t)(sp - p);
        while (i < n && p[i] == ' ') i++;
        if (i < n && p[i] >= '0' && p[i] <= '9') {
            code = 0;
            for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
                if (code < 100000) code = code * 10 + (p[i] - '0'); /* saturates: never 101 again */
        }
    }
    *status = code;
    return code == 101 ? NULL : hs_status_detail(code);
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

/*
 * One "name: value" line. As in Chromium, a line that is not a header (no colon, a name that is not a
 * token) is ignored. An obsolete folded continuation line is ignored too (Chromium appends it to the
 * previous value; a server that folds the WebSocket headers is refused here).
 */
static const char *hs_parse_header_line(hs_seen *s, const char *p, size_t n, const char *expected_accept) {
    if (n == 0 || p[0] == ' ' || p[0] == '\t') return NULL;
    const char *colon = memchr(p, ':', n);
    if (colon == NULL || colon == p) return NULL;
    size_t nn = (size_t)(colon - p);
    for (size_t i = 0; i < nn; i++)
        if (!tt__is_tchar((unsigned char)p[i])) return NULL;
    const char *v = colon + 1;
    size_t vn = n - nn - 1;
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

static const char *hs_check_seen(const hs_seen *s, const char *const *protocols, size_t count, int extensions_offered) {
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

int tt__handshake_parse_response(const char *buf, size_t len, const char *expected_accept, const char *const *protocols,
                                 size_t protocol_count, int extensions_offered, tt__handshake_response *response,
                                 const char **detail) {
    memset(response, 0, sizeof *response);
    size_t scan = len < HS_HEAD_MAX ? len : HS_HEAD_MAX;
    size_t head = hs_find_head_end(buf, scan);
    if (head == 0) {
        if (len >= HS_HEAD_MAX) return hs_fail(detail, "handshake: response head longer than 16 KiB");
        return TT_EAGAIN;
    }
    /* Chromium refuses a head with a NUL byte in it (ERR_INVALID_HTTP_RESPONSE). */
    if (memchr(buf, '\0', head)) return hs_fail(detail, "handshake: NUL byte in the response head");
    hs_seen s;
    memset(&s, 0, sizeof s);
    const char *p = buf, *end = buf + head, *line;
    size_t n;
    while (p < end && (*p == '\r' || *p == '\n')) p++; /* the slop hs_find_head_end skipped */
    if (!hs_next_line(&p, end, &line, &n)) return hs_fail(detail, "handshake: malformed status line");
    const char *why = hs_parse_status_line(line, n, &response->status);
    if (why) return hs_fail(detail, why);
    while (hs_next_line(&p, end, &line, &n)) {
        why = hs_parse_header_line(&s, line, n, expected_accept);
        if (why) return hs_fail(detail, why);
    }
    why = hs_check_seen(&s, protocols, protocol_count, extensions_offered);
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

/* ---- Extensions (RFC 7692) ---------------------------------------------------------------------- */

/*
 * The grammar and the checks follow Chromium (WebSocketExtensionParser, WebSocketDeflateParameters,
 * WebSocketHandshakeStreamBase::ValidateExtensions), so that a server answer a browser accepts is
 * accepted here and one it refuses is refused, in the same order of checks: a header value that does not
 * parse is refused before any of its extensions is looked at.
 */

typedef struct ext_cursor {
    const char *p, *end;
} ext_cursor;

static void ext_spaces(ext_cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t')) c->p++;
}

/* Skips spaces and takes ch if it comes next; otherwise leaves the cursor where it was. */
static int ext_take(ext_cursor *c, char ch) {
    const char *save = c->p;
    ext_spaces(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    c->p = save;
    return 0;
}

static int ext_token(ext_cursor *c, const char **t, size_t *n) {
    ext_spaces(c);
    const char *start = c->p;
    while (c->p < c->end && tt__is_tchar((unsigned char)*c->p)) c->p++;
    *t = start;
    *n = (size_t)(c->p - start);
    return *n > 0;
}

/* One parameter; a quoted value is unescaped into value[] (a longer one only counts as "too long"). */
typedef struct ext_param {
    const char *name;
    size_t name_len;
    char value[24];
    size_t value_len; /* sizeof value when too long */
} ext_param;

static int ext_quoted(ext_cursor *c, ext_param *prm) {
    if (!ext_take(c, '"')) return 0;
    while (c->p < c->end && *c->p != '"') {
        if (*c->p == '\\' && ++c->p == c->end) return 0;
        if (!tt__is_tchar((unsigned char)*c->p)) return 0;
        if (prm->value_len < sizeof prm->value) prm->value[prm->value_len++] = *c->p;
        c->p++;
    }
    if (c->p == c->end) return 0;
    c->p++;
    return 1;
}

static int ext_param_parse(ext_cursor *c, ext_param *prm) {
    prm->value_len = 0;
    if (!ext_token(c, &prm->name, &prm->name_len)) return 0;
    if (!ext_take(c, '=')) return 1;
    const char *save = c->p;
    ext_spaces(c);
    int quoted = c->p < c->end && *c->p == '"';
    c->p = save;
    if (quoted) return ext_quoted(c, prm);
    const char *v;
    size_t vn;
    if (!ext_token(c, &v, &vn)) return 0;
    prm->value_len = vn < sizeof prm->value ? vn : sizeof prm->value;
    memcpy(prm->value, v, prm->value_len);
    return 1;
}

/* Chromium's GetWindowBits + IsValidWindowBits: digits only, no leading zero, 8..15. */
static int ext_window_bits(const ext_param *prm) {
    if (prm->value_len == 0 || prm->value_len > 2 || prm->value[0] == '0') return 0;
    int bits = 0;
    for (size_t i = 0; i < prm->value_len; i++) {
        if (prm->value[i] < '0' || prm->value[i] > '9') return 0;
        bits = bits * 10 + (prm->value[i] - '0');
    }
    return bits >= 8 && bits <= 15 ? bits : 0;
}

static int ext_is(const char *s, size_t n, const char *want) { return strlen(want) == n && memcmp(s, want, n) == 0; }

/* What the walk over the header values has established so far. */
typedef struct ext_state {
    tt__deflate_params *out;
    int server_bits_seen, client_bits_seen, client_bits_value;
} ext_state;

static const char *ext_apply_param(ext_state *st, const ext_param *prm) {
    tt__deflate_params *o = st->out;
    if (ext_is(prm->name, prm->name_len, "server_no_context_takeover")) {
        if (o->server_no_context_takeover)
            return "extension: duplicate permessage-deflate parameter server_no_context_takeover";
        if (prm->value_len) return "extension: invalid permessage-deflate parameter server_no_context_takeover";
        o->server_no_context_takeover = 1;
    } else if (ext_is(prm->name, prm->name_len, "client_no_context_takeover")) {
        if (o->client_no_context_takeover)
            return "extension: duplicate permessage-deflate parameter client_no_context_takeover";
        if (prm->value_len) return "extension: invalid permessage-deflate parameter client_no_context_takeover";
        o->client_no_context_takeover = 1;
    } else if (ext_is(prm->name, prm->name_len, "server_max_window_bits")) {
        if (st->server_bits_seen++) return "extension: duplicate permessage-deflate parameter server_max_window_bits";
        int bits = ext_window_bits(prm);
        if (!bits) return "extension: invalid permessage-deflate parameter server_max_window_bits";
        o->server_max_window_bits = bits;
    } else if (ext_is(prm->name, prm->name_len, "client_max_window_bits")) {
        if (st->client_bits_seen++) return "extension: duplicate permessage-deflate parameter client_max_window_bits";
        if (prm->value_len) { /* without a value it is valid in an offer only: refused after the loop */
            int bits = ext_window_bits(prm);
            if (!bits) return "extension: invalid permessage-deflate parameter client_max_window_bits";
            o->client_max_window_bits = bits;
            st->client_bits_value = 1;
        }
    } else {
        return "extension: unexpected permessage-deflate parameter";
    }
    return NULL;
}

/*
 * Walks one header value. With st == NULL it only checks the syntax; with st it applies the semantic
 * rules (the syntax is known to be good by then).
 */
static const char *ext_walk(const char *v, size_t n, ext_state *st) {
    ext_cursor c = {v, v + n};
    do {
        const char *name;
        size_t name_len;
        if (!ext_token(&c, &name, &name_len)) return "extension: Sec-WebSocket-Extensions rejected by the parser";
        int deflate = ext_is(name, name_len, "permessage-deflate");
        if (st && !deflate) return "extension: the server chose an unsupported extension";
        if (st && st->out->enabled) return "extension: duplicate permessage-deflate response";
        if (st) st->out->enabled = 1;
        while (ext_take(&c, ';')) {
            ext_param prm;
            if (!ext_param_parse(&c, &prm)) return "extension: Sec-WebSocket-Extensions rejected by the parser";
            const char *why = st ? ext_apply_param(st, &prm) : NULL;
            if (why) return why;
        }
        if (st && st->client_bits_seen && !st->client_bits_value)
            return "extension: permessage-deflate client_max_window_bits must have a value";
        ext_spaces(&c);
    } while (ext_take(&c, ','));
    return c.p == c.end ? NULL : "extension: Sec-WebSocket-Extensions rejected by the parser";
}

/*
 * The values of the Sec-WebSocket-Extensions headers, in order. The response reports them as one span
 * from the first value to the end of the last, so the lines in between are walked here: a line whose
 * name is not Sec-WebSocket-Extensions is skipped. *pos starts at 0; returns 0 after the last value.
 */
static int ext_next_value(const tt__handshake_response *r, size_t *pos, const char **v, size_t *n) {
    const char *base = r->extensions;
    size_t len = r->extensions_len;
    while (*pos <= len) {
        size_t start = *pos, stop = start;
        while (stop < len && base[stop] != '\n') stop++;
        *pos = stop + 1; /* past the LF; beyond len after the last line */
        if (stop > start && base[stop - 1] == '\r' && stop < len) stop--; /* CR LF */
        const char *value = base + start;
        size_t vn = stop - start;
        if (start != 0) { /* a later line: "name: value" */
            const char *colon = memchr(value, ':', vn);
            if (colon == NULL || !hs_name_is(value, (size_t)(colon - value), "sec-websocket-extensions")) continue;
            vn -= (size_t)(colon + 1 - value);
            value = colon + 1;
        }
        hs_trim(&value, &vn);
        *v = value;
        *n = vn;
        return 1;
    }
    return 0;
}

int tt__handshake_parse_extensions(const tt__handshake_response *response, tt__deflate_params *out,
                                   const char **detail) {
    memset(out, 0, sizeof *out);
    out->server_max_window_bits = out->client_max_window_bits = 15;
    if (response->extensions == NULL) return 0;
    ext_state st = {out, 0, 0, 0};
    size_t pos = 0;
    const char *v;
    size_t n;
    while (ext_next_value(response, &pos, &v, &n)) {
        const char *why = ext_walk(v, n, NULL);
        if (!why) {
            int had = out->enabled;
            why = ext_walk(v, n, &st);
            if (!why && out->enabled && !had) { /* ValidateExtensions reports the accepted header value */
                out->descriptor = v;
                out->descriptor_len = n;
            }
        }
        if (why) {
            if (detail) *detail = why;
            memset(out, 0, sizeof *out);
            return TT_EEXTENSION;
        }
    }
    return 0;
}

/* ---- The 101's header fields for the game ----------------------------------------------------------------------------- */

/* The next line of p[*at..n): returns its length without CR/LF and moves *at past its end. */
static size_t next_line(const char *p, size_t n, size_t *at, const char **line) {
    size_t i = *at;
    *line = p + i;
    while (i < n && p[i] != '\n') i++;
    size_t len = i - *at;
    if (len > 0 && (*line)[len - 1] == '\r') len--;
    *at = i < n ? i + 1 : n;
    return len;
}

static int is_ows(char c) { return c == ' ' || c == '\t'; }

/* Splits "name: value" (value trimmed of OWS); 0 when the line has no colon or an empty name. */
static int split_field(const char *line, size_t len, size_t *name_len, const char **value, size_t *value_len) {
    const char *colon = memchr(line, ':', len);
    if (colon == NULL || colon == line) return 0;
    *name_len = (size_t)(colon - line);
    const char *v = colon + 1, *end = line + len;
    while (v < end && is_ows(*v)) v++;
    while (end > v && is_ows(end[-1])) end--;
    *value = v;
    *value_len = (size_t)(end - v);
    return 1;
}

int tt__handshake_header_fields(const char *head, size_t length, tt_header **fields, size_t *field_count) {
    *fields = NULL;
    *field_count = 0;
    /* First pass: count the fields and their bytes, so that one allocation holds everything. */
    size_t count = 0, bytes = 0, at = 0, nl, vl;
    const char *line, *value;
    (void)next_line(head, length, &at, &line); /* the status line */
    size_t fields_at = at;
    while (at < length) {
        size_t len = next_line(head, length, &at, &line);
        if (len == 0) break;
        if (!split_field(line, len, &nl, &value, &vl)) continue;
        count++;
        bytes += nl + vl + 2;
    }
    if (count == 0) return 0;
    tt_header *h = tt__malloc(count * sizeof *h + bytes);
    if (h == NULL) return TT_ENOMEM;
    char *text = (char *)(h + count);
    size_t k = 0;
    for (at = fields_at; at < length && k < count;) {
        size_t len = next_line(head, length, &at, &line);
        if (len == 0) break;
        if (!split_field(line, len, &nl, &value, &vl)) continue;
        h[k].name = text;
        memcpy(text, line, nl);
        text[nl] = '\0';
        text += nl + 1;
        h[k].value = text;
        memcpy(text, value, vl);
        text[vl] = '\0';
        text += vl + 1;
        k++;
    }
    *fields = h;
    *field_count = count;
    return 0;
}
