/* The core's input checks. See validate.h. */
#include <string.h>

#include "tt_internal.h"
#include "utf8.h"
#include "validate.h"

/* ---- URL and domains --------------------------------------------------------------------------- */

/* Skips an optional "scheme://" prefix of a configured domain entry. (A loop, not strstr: in wasm,
 * libc's strstr alone is larger than this whole function and its caller.) */
static const char *domain_strip_scheme(const char *d) {
    for (const char *p = d; *p != '\0'; p++)
        if (p[0] == ':' && p[1] == '/' && p[2] == '/') return p + 3;
    return d;
}

int tt__domain_match(const char *host, size_t host_len, int port, const char *domain) {
    if (domain == NULL) return 0;
    const char *d = domain_strip_scheme(domain);
    size_t dlen = 0; /* up to a trailing path or slash, which is tolerated */
    while (d[dlen] != '\0' && d[dlen] != '/') dlen++;
    const char *dhost = d;
    size_t dhost_len = dlen;
    int dport = -1, dv6 = dlen > 0 && d[0] == '[';

    if (dv6) { /* [v6] or [v6]:port */
        const char *close = tt__find_byte(d, ']', dlen);
        if (close == NULL) return 0;
        dhost = d + 1;
        dhost_len = (size_t)(close - d) - 1;
        const char *rest = close + 1;
        if (rest < d + dlen) {
            if (*rest != ':') return 0;
            dport = 0;
            for (rest++; rest < d + dlen; rest++) {
                if (*rest < '0' || *rest > '9' || dport > 65535) return 0;
                dport = dport * 10 + (*rest - '0');
            }
        }
    } else {
        const char *colon = tt__find_byte(d, ':', dlen);
        if (colon != NULL) {
            dhost_len = (size_t)(colon - d);
            dport = 0;
            for (const char *p = colon + 1; p < d + dlen; p++) {
                if (*p < '0' || *p > '9' || dport > 65535) return 0;
                dport = dport * 10 + (*p - '0');
            }
            if (colon + 1 == d + dlen) return 0;
        }
    }
    /* An IPv6 entry matches in its canonical form, the one the caller passes for an IPv6 host. */
    char v6[TT__IPV6_TEXT_MAX + 1];
    uint16_t addr[8];
    if (dv6) {
        if (tt__ipv6_parse(dhost, dhost_len, addr)) return 0;
        dhost_len = tt__ipv6_format(addr, v6);
        dhost = v6;
    }
    /* A trailing dot names the same host: "good.example." is the absolute spelling of "good.example",
     * and a browser connects to it the same way (SNI and certificate checks use the name without it). */
    if (dhost_len > 0 && dhost[dhost_len - 1] == '.') dhost_len--;
    if (host_len > 0 && host[host_len - 1] == '.') host_len--;
    if (dhost_len == 0 || dhost_len != host_len) return 0;
    if (!tt__ascii_ieq(host, dhost, host_len)) return 0;
    return dport < 0 || dport == port;
}

int tt__validate_url(const char *url, const char *const *domains, size_t domain_count, int skip_domain_check,
                     tt__url *out) {
    if (url == NULL || url[0] == '\0') return TT_EURL;
    int rc = tt__url_parse(url, strlen(url), out);
    if (rc != 0) return rc;
    if (skip_domain_check) return 0;
    if (!out->secure) return TT_EINSECURE;
    /* Names and IPv4 addresses match case-insensitively as written; IPv6 in canonical form. */
    char v6[TT__IPV6_TEXT_MAX + 1];
    const char *host = out->host;
    size_t host_len = out->host_len;
    if (out->host_is_ipv6) {
        host_len = tt__ipv6_format(out->ipv6, v6);
        host = v6;
    }
    for (size_t i = 0; i < domain_count; i++)
        if (domains && tt__domain_match(host, host_len, out->port, domains[i])) return 0;
    return TT_EDOMAIN;
}

/* ---- Headers ----------------------------------------------------------------------------------- */

/* The Fetch standard's forbidden request-header names, which a browser's WebSocket could never send,
 * plus Referer, which the tt platform refuses explicitly. One block of NUL-terminated names, ended by an
 * empty one: no table of pointers beside the names (in the web build every byte is downloaded). */
static const char forbidden_headers[] = "Accept-Charset\0"
                                        "Accept-Encoding\0"
                                        "Access-Control-Request-Headers\0"
                                        "Access-Control-Request-Method\0"
                                        "Connection\0"
                                        "Content-Length\0"
                                        "Cookie\0"
                                        "Cookie2\0"
                                        "Date\0"
                                        "DNT\0"
                                        "Expect\0"
                                        "Host\0"
                                        "Keep-Alive\0"
                                        "Origin\0"
                                        "Referer\0"
                                        "Set-Cookie\0"
                                        "TE\0"
                                        "Trailer\0"
                                        "Transfer-Encoding\0"
                                        "Upgrade\0"
                                        "Via\0";

int tt__header_forbidden(const char *name) {
    size_t n = strlen(name);
    for (const char *f = forbidden_headers; *f != '\0'; f += strlen(f) + 1)
        if (strlen(f) == n && tt__ascii_ieq(name, f, n)) return 1;
    if (n >= 4 && tt__ascii_ieq(name, "Sec-", 4)) return 1;
    if (n >= 6 && tt__ascii_ieq(name, "Proxy-", 6)) return 1;
    return 0;
}

static int header_name_valid(const char *name) {
    if (name == NULL || name[0] == '\0') return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (!tt__is_tchar(*p)) return 0;
    return 1;
}

/* RFC 7230 field-value: visible characters, spaces, tabs and obs-text; never CR, LF or NUL (a NUL simply
 * ends the C string, so only CR/LF and other controls need checking). */
static int header_value_valid(const char *value) {
    if (value == NULL) return 0;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f) return 0;
    return 1;
}

int tt__validate_headers(const tt_header *headers, size_t count) {
    if (count > 0 && headers == NULL) return TT_EHEADER;
    for (size_t i = 0; i < count; i++) {
        if (!header_name_valid(headers[i].name) || !header_value_valid(headers[i].value)) return TT_EHEADER;
        if (tt__header_forbidden(headers[i].name)) return TT_EFORBIDDENHEADER;
    }
    return 0;
}

/* ---- Subprotocols ------------------------------------------------------------------------------ */

int tt__validate_protocols(const char *const *protocols, size_t count) {
    if (count > 0 && protocols == NULL) return TT_EPROTOCOL;
    for (size_t i = 0; i < count; i++) {
        const char *p = protocols[i];
        if (p == NULL || p[0] == '\0') return TT_EPROTOCOL;
        for (const unsigned char *c = (const unsigned char *)p; *c; c++)
            if (!tt__is_tchar(*c)) return TT_EPROTOCOL;
    }
    /* Compared exactly, as the browser does. Quadratic, but offers are a handful of tokens. */
    for (size_t i = 0; i < count; i++)
        for (size_t j = i + 1; j < count; j++)
            if (strcmp(protocols[i], protocols[j]) == 0) return TT_EDUPPROTOCOL;
    return 0;
}

/* ---- Close ------------------------------------------------------------------------------------- */

int tt__validate_close(int code, const char *reason, int *code_out, size_t *reason_len) {
    if (code == 0) code = TT_CLOSE_NORMAL;
    /* 1001 is tt's "going to background"; the browser itself only allows 1000 and 3000-4999. */
    if (!(code == TT_CLOSE_NORMAL || code == TT_CLOSE_GOING_AWAY ||
          (code >= TT_CLOSE_APP_MIN && code <= TT_CLOSE_APP_MAX)))
        return TT_ECLOSECODE;
    size_t len = reason ? strlen(reason) : 0;
    if (len > TT__CLOSE_REASON_MAX) return TT_EREASON;
    if (len > 0 && !tt__utf8_valid(reason, len)) return TT_EUTF8;
    *code_out = code;
    *reason_len = len;
    return 0;
}
