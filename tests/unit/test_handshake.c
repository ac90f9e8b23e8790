/* Unit tests for src/handshake.c: key and accept, the exact request bytes, and the 101 parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "handshake.h"
#include "sha1.h"
#include "tt_internal.h"

/* The RFC 6455 section 1.3 example: this key calls for this accept (28 characters: base64 of 20 bytes). */
#define RFC_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define RFC_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

static int setup(void **state) {
    (void)state;
    tt__hooks h = {NULL, NULL, tt_test_sha1, NULL};
    tt__hooks_set(&h);
    return 0;
}

static void test_key_and_accept_rfc_example(void **state) {
    (void)state;
    char key[25], accept[29];
    tt__handshake_make_key((const uint8_t *)"the sample nonce", key);
    assert_string_equal(key, RFC_KEY);
    tt__handshake_accept(key, accept);
    assert_string_equal(accept, RFC_ACCEPT);
}

static void test_request_exact_bytes(void **state) {
    (void)state;
    tt__url u;
    /* The host goes out in canonical (lower) case and the request target percent-encoded, as a browser
     * sends them. */
    const char *url = "wss://Game.Example:8443/s\xC3\xA9<ocket?v=2\"";
    assert_int_equal(tt__url_parse(url, strlen(url), &u), 0);
    static const char *const protocols[] = {"chat", "json.v2"};
    static const tt_header headers[] = {{"X-Token", "abc 123"}, {"User-Agent", "tt/1"}};
    tt__handshake_request req = {&u, RFC_KEY, headers, 2, protocols, 2, "permessage-deflate; client_max_window_bits"};
    static const char want[] = "GET /s%C3%A9%3Cocket?v=2%22 HTTP/1.1\r\n"
                               "Host: game.example:8443\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Key: " RFC_KEY "\r\n"
                               "Sec-WebSocket-Version: 13\r\n"
                               "Sec-WebSocket-Protocol: chat, json.v2\r\n"
                               "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                               "X-Token: abc 123\r\n"
                               "User-Agent: tt/1\r\n"
                               "\r\n";
    size_t size = tt__handshake_request_size(&req);
    assert_int_equal(size, sizeof want - 1);
    char buf[512];
    assert_int_equal(tt__handshake_build_request(&req, buf, sizeof buf), (int)size);
    assert_memory_equal(buf, want, size);
    assert_int_equal(tt__handshake_build_request(&req, buf, size - 1), TT_EINVAL);
    assert_int_equal(tt__handshake_build_request(&req, buf, size), (int)size);
}

static void test_request_minimal_and_ipv6(void **state) {
    (void)state;
    tt__url u;
    const char *url = "ws://[::1]?x=1";
    assert_int_equal(tt__url_parse(url, strlen(url), &u), 0);
    tt__handshake_request req = {&u, RFC_KEY, NULL, 0, NULL, 0, NULL};
    static const char want[] = "GET /?x=1 HTTP/1.1\r\nHost: [::1]\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: " RFC_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    char buf[256];
    int n = tt__handshake_build_request(&req, buf, sizeof buf);
    assert_int_equal(n, (int)sizeof want - 1);
    assert_memory_equal(buf, want, (size_t)n);
}

static const char *const offered[] = {"chat", "superchat"};

static int parse(const char *resp, size_t len, size_t protocol_count, int ext, tt__handshake_response *r,
                 const char **detail) {
    return tt__handshake_parse_response(resp, len, RFC_ACCEPT, offered, protocol_count, ext, r, detail);
}

/* Every prefix is incomplete, the whole head parses, and bytes after it are left alone. */
static void test_good_response_every_prefix(void **state) {
    (void)state;
    static const char resp[] = "HTTP/1.1 101 Switching Protocols\r\n"
                               "upgrade:  WebSocket \r\n"
                               "Connection: keep-alive, UPGRADE\r\n"
                               "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n"
                               "Sec-WebSocket-Protocol: superchat\r\n"
                               "Server: test\r\n"
                               "\r\n"
                               "\x81\x02hi";
    size_t head = sizeof resp - 1 - 4;
    tt__handshake_response r;
    const char *detail = NULL;
    for (size_t k = 0; k < head; k++) assert_int_equal(parse(resp, k, 2, 0, &r, &detail), TT_EAGAIN);
    for (size_t k = head; k < sizeof resp; k++) {
        assert_int_equal(parse(resp, k, 2, 0, &r, &detail), (int)head);
        assert_int_equal(r.status, 101);
        assert_int_equal(r.protocol_len, 9);
        assert_ptr_equal(r.protocol, strstr(resp, "superchat")); /* zero-copy */
        assert_null(r.extensions);
    }
}

static void test_response_extensions_when_offered(void **state) {
    (void)state;
    static const char resp[] = "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n"
                               "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n";
    tt__handshake_response r;
    const char *detail = NULL;
    assert_int_equal(parse(resp, sizeof resp - 1, 0, 1, &r, &detail), (int)sizeof resp - 1);
    assert_int_equal(r.extensions_len, strlen("permessage-deflate; server_no_context_takeover"));
    assert_memory_equal(r.extensions, "permessage-deflate; server_no_context_takeover", r.extensions_len);
    assert_null(r.protocol);
    assert_int_equal(parse(resp, sizeof resp - 1, 0, 0, &r, &detail), TT_EHANDSHAKE);
    assert_string_equal(detail, "handshake: server sent an extension that was not offered");
}

#define OK_STATUS "HTTP/1.1 101 Switching Protocols\r\n"
#define OK_UPGRADE "Upgrade: websocket\r\n"
#define OK_CONN "Connection: Upgrade\r\n"
#define OK_ACCEPT "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n"
#define OK_HEADERS OK_UPGRADE OK_CONN OK_ACCEPT

typedef struct bad_response {
    const char *text;
    size_t protocol_count;
    const char *detail;
} bad_response;

/* clang-format off */
static const bad_response bad_responses[] = {
    {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 0, "handshake: unexpected status 404"},
    {"HTTP/1.1 200 OK\r\n" OK_HEADERS "\r\n", 0, "handshake: unexpected status 200"},
    {"HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n", 0, "handshake: unexpected status 302"},
    {"HTTP/1.1 599 Odd\r\n\r\n", 0, "handshake: unexpected status (not 101)"},
    {"ICY 200 OK\r\n\r\n", 0, "handshake: malformed status line"},
    {"HTTP/1.1 1O1 Switching\r\n" OK_HEADERS "\r\n", 0, "handshake: unexpected status (not 101)"}, /* code 1 */
    {"HTTP/1.1 1010 X\r\n" OK_HEADERS "\r\n", 0, "handshake: unexpected status (not 101)"},
    {"HTTP/1.1\t101 X\r\n" OK_HEADERS "\r\n", 0, "handshake: unexpected status 200"}, /* no space: 200 */
    {"HTTP/1.1 X\r\n" OK_HEADERS "\r\n", 0, "handshake: unexpected status 200"},     /* no digits: 200 */
    {OK_STATUS OK_CONN OK_ACCEPT "\r\n", 0, "handshake: missing Upgrade header"},
    {OK_STATUS "Upgrade: h2c\r\n" OK_CONN OK_ACCEPT "\r\n", 0, "handshake: Upgrade is not websocket"},
    {OK_STATUS "Upgrade: websocket, h2c\r\n" OK_CONN OK_ACCEPT "\r\n", 0, "handshake: Upgrade is not websocket"},
    {OK_STATUS OK_HEADERS OK_UPGRADE "\r\n", 0, "handshake: more than one Upgrade header"},
    {OK_STATUS OK_UPGRADE OK_ACCEPT "\r\n", 0, "handshake: Connection header lacks upgrade"},
    {OK_STATUS OK_UPGRADE "Connection: keep-alive, upgraded\r\n" OK_ACCEPT "\r\n", 0,
     "handshake: Connection header lacks upgrade"},
    {OK_STATUS OK_UPGRADE OK_CONN "\r\n", 0, "handshake: missing Sec-WebSocket-Accept"},
    {OK_STATUS OK_UPGRADE OK_CONN "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo\r\n\r\n", 0,
     "handshake: Sec-WebSocket-Accept mismatch"},
    {OK_STATUS OK_UPGRADE OK_CONN "Sec-WebSocket-Accept: S3PPLMBITXAQ9KYGZZHZRBK+XOO=\r\n\r\n", 0,
     "handshake: Sec-WebSocket-Accept mismatch"},
    {OK_STATUS OK_HEADERS OK_ACCEPT "\r\n", 0, "handshake: more than one Sec-WebSocket-Accept header"},
    {OK_STATUS OK_HEADERS "Sec-WebSocket-Protocol: chat\r\n\r\n", 0,
     "handshake: server chose a subprotocol that was not offered"},
    {OK_STATUS OK_HEADERS "Sec-WebSocket-Protocol: video\r\n\r\n", 2,
     "handshake: server chose a subprotocol that was not offered"},
    {OK_STATUS OK_HEADERS "Sec-WebSocket-Protocol: CHAT\r\n\r\n", 2,
     "handshake: server chose a subprotocol that was not offered"},
    {OK_STATUS OK_HEADERS "Sec-WebSocket-Protocol: chat, superchat\r\n\r\n", 2,
     "handshake: server chose more than one subprotocol"},
    {OK_STATUS OK_HEADERS "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n\r\n", 2,
     "handshake: more than one Sec-WebSocket-Protocol header"},
    {OK_STATUS OK_HEADERS "\r\n", 1, "handshake: server did not choose a subprotocol"},
    {OK_STATUS OK_HEADERS "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n", 0,
     "handshake: server sent an extension that was not offered"},
    {"HTTP/1.1 101 Switching Protocols\n\n", 0, "handshake: missing Upgrade header"},
};
/* clang-format on */

static void test_bad_responses(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bad_responses / sizeof bad_responses[0]; i++) {
        const bad_response *b = &bad_responses[i];
        tt__handshake_response r;
        const char *detail = NULL;
        int rc = parse(b->text, strlen(b->text), b->protocol_count, 0, &r, &detail);
        if (rc != TT_EHANDSHAKE) fail_msg("bad response %zu: got %d", i, rc);
        if (detail == NULL || strcmp(detail, b->detail) != 0)
            fail_msg("bad response %zu: detail \"%s\", want \"%s\"", i, detail ? detail : "(null)", b->detail);
    }
}

/*
 * Chromium's HTTP parser is lenient, and the reference (tests/parity) shows it opening with these: any
 * "http" version in any case, no reason phrase or one glued to the code, bare LF line ends, lines that
 * are not headers, control characters in values, CR/LF before the status line.
 */
/* clang-format off */
static const char *const lenient_responses[] = {
    "HTTP/1.0 101 Switching Protocols\r\n" OK_HEADERS "\r\n",
    "http/1.1 101 switching protocols\r\n" OK_HEADERS "\r\n",
    "HTTP/2 101\r\n" OK_HEADERS "\r\n",
    "HTTPS/1.1 101 X\r\n" OK_HEADERS "\r\n",
    "HTTP/1.1 101\r\n" OK_HEADERS "\r\n",
    "HTTP/1.1 101Switching\r\n" OK_HEADERS "\r\n",
    "HTTP/1.1  0101 X\r\n" OK_HEADERS "\r\n",
    "HTTP/1.1 101 A\x01" "B\r\n" OK_HEADERS "\r\n",
    "HTTP/1.1 101 Switching Protocols\n" "Upgrade: websocket\n" "Connection: Upgrade\n"
    "Sec-WebSocket-Accept: " RFC_ACCEPT "\n\n",
    OK_STATUS "Upgrade: websocket\n" OK_CONN OK_ACCEPT "\n",
    OK_STATUS OK_UPGRADE OK_CONN "Sec-WebSocket-Accept: " RFC_ACCEPT "\n\r\n",
    "\r\n" OK_STATUS OK_HEADERS "\r\n",
    OK_STATUS OK_HEADERS " folded: value\r\n\r\n",
    OK_STATUS OK_UPGRADE "\tcontinued\r\n" OK_CONN OK_ACCEPT "\r\n",
    OK_STATUS OK_HEADERS "no colon here\r\n\r\n",
    OK_STATUS OK_HEADERS ": empty name\r\n\r\n",
    OK_STATUS OK_HEADERS "Bad Name: x\r\n\r\n",
    OK_STATUS OK_HEADERS "X-Ctl: a\x01" "b\r\n\r\n",
    OK_STATUS OK_HEADERS "X-CR: a\rb\r\n\r\n",
};
/* clang-format on */

static void test_lenient_responses(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof lenient_responses / sizeof lenient_responses[0]; i++) {
        const char *text = lenient_responses[i];
        size_t len = strlen(text);
        tt__handshake_response r;
        const char *detail = NULL;
        int rc = parse(text, len, 0, 0, &r, &detail);
        if (rc != (int)len) fail_msg("lenient response %zu: got %d (%s)", i, rc, rc < 0 && detail ? detail : "");
        assert_int_equal(r.status, 101);
        for (size_t k = 0; k < len; k++)
            if (parse(text, k, 0, 0, &r, &detail) != TT_EAGAIN) fail_msg("lenient response %zu: prefix %zu", i, k);
    }
    /* A NUL byte anywhere in the head fails, as in Chromium. */
    static const char nul[] = OK_STATUS "X-Nul: a\0b\r\n" OK_HEADERS "\r\n";
    tt__handshake_response r;
    const char *detail = NULL;
    assert_int_equal(parse(nul, sizeof nul - 1, 0, 0, &r, &detail), TT_EHANDSHAKE);
    assert_string_equal(detail, "handshake: NUL byte in the response head");
}

/* A head may use up to 16 KiB including the empty line; one byte more fails, even before it ends. */
static void test_head_limit(void **state) {
    (void)state;
    static const char start[] = OK_STATUS OK_HEADERS "X-Fill: ";
    size_t limit = 16384;
    char *buf = malloc(limit + 64);
    assert_non_null(buf);
    for (size_t total = limit - 1; total <= limit + 1; total++) {
        size_t fill = total - (sizeof start - 1) - 4; /* value, then "\r\n\r\n" */
        memcpy(buf, start, sizeof start - 1);
        memset(buf + sizeof start - 1, 'a', fill);
        memcpy(buf + sizeof start - 1 + fill, "\r\n\r\n", 4);
        tt__handshake_response r;
        const char *detail = NULL;
        int rc = parse(buf, total, 0, 0, &r, &detail);
        if (total <= limit) {
            assert_int_equal(rc, (int)total);
        } else {
            assert_int_equal(rc, TT_EHANDSHAKE);
            assert_string_equal(detail, "handshake: response head longer than 16 KiB");
        }
        assert_int_equal(parse(buf, total - 1, 0, 0, &r, &detail), total - 1 < limit ? TT_EAGAIN : TT_EHANDSHAKE);
    }
    free(buf);
}

/* ---- permessage-deflate negotiation (Chromium's rules) ---------------------------------------- */

typedef struct ext_case {
    const char *headers; /* the Sec-WebSocket-Extensions line(s) and any lines between them */
    const char *detail;  /* NULL: accepted with the parameters below */
    int s_nct, c_nct, s_bits, c_bits;
    const char *descriptor;
} ext_case;

/* clang-format off */
#define EXT "Sec-WebSocket-Extensions: "
#define PMD "permessage-deflate"
#define NO(headers, detail) {headers, detail, 0, 0, 0, 0, NULL}
static const ext_case ext_cases[] = {
    {EXT PMD "\r\n", NULL, 0, 0, 15, 15, PMD},
    {EXT PMD "; server_no_context_takeover\r\n", NULL, 1, 0, 15, 15, PMD "; server_no_context_takeover"},
    {EXT PMD "; client_no_context_takeover\r\n", NULL, 0, 1, 15, 15, PMD "; client_no_context_takeover"},
    {EXT PMD "; server_max_window_bits=8\r\n", NULL, 0, 0, 8, 15, PMD "; server_max_window_bits=8"},
    {EXT PMD "; client_max_window_bits=15\r\n", NULL, 0, 0, 15, 15, PMD "; client_max_window_bits=15"},
    {EXT PMD ";server_max_window_bits=\"10\"\r\n", NULL, 0, 0, 10, 15, PMD ";server_max_window_bits=\"10\""},
    {EXT PMD "; server_max_window_bits=\"1\\0\"\r\n", NULL, 0, 0, 10, 15, PMD "; server_max_window_bits=\"1\\0\""},
    {EXT "  " PMD " ; client_max_window_bits = 9 ;\tserver_no_context_takeover ; client_no_context_takeover  \r\n",
     NULL, 1, 1, 15, 9, PMD " ; client_max_window_bits = 9 ;\tserver_no_context_takeover ; client_no_context_takeover"},
    {EXT PMD "; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; "
     "client_max_window_bits=11\r\n", NULL, 1, 1, 12, 11,
     PMD "; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=11"},
    {EXT PMD "; server_no_context_takeover=\"\"\r\n", NULL, 1, 0, 15, 15, PMD "; server_no_context_takeover=\"\""},
    {EXT PMD "; client_max_window_bits=12\r\nX-Other: a\r\n", NULL, 0, 0, 15, 12, PMD "; client_max_window_bits=12"},
    {"sec-websocket-extensions:" PMD "\r\n", NULL, 0, 0, 15, 15, PMD},
    NO(EXT PMD "; client_max_window_bits\r\n", "extension: permessage-deflate client_max_window_bits must have a value"),
    NO(EXT PMD "; client_max_window_bits=\"\"\r\n",
     "extension: permessage-deflate client_max_window_bits must have a value"),
    NO(EXT PMD "; server_max_window_bits\r\n", "extension: invalid permessage-deflate parameter server_max_window_bits"),
    NO(EXT PMD "; server_max_window_bits=7\r\n", "extension: invalid permessage-deflate parameter server_max_window_bits"),
    NO(EXT PMD "; server_max_window_bits=16\r\n", "extension: invalid permessage-deflate parameter server_max_window_bits"),
    NO(EXT PMD "; server_max_window_bits=08\r\n", "extension: invalid permessage-deflate parameter server_max_window_bits"),
    NO(EXT PMD "; server_max_window_bits=99999999999\r\n",
     "extension: invalid permessage-deflate parameter server_max_window_bits"),
    NO(EXT PMD "; client_max_window_bits=1a\r\n", "extension: invalid permessage-deflate parameter client_max_window_bits"),
    NO(EXT PMD "; server_no_context_takeover=1\r\n",
     "extension: invalid permessage-deflate parameter server_no_context_takeover"),
    NO(EXT PMD "; client_no_context_takeover=x\r\n",
     "extension: invalid permessage-deflate parameter client_no_context_takeover"),
    NO(EXT PMD "; server_no_context_takeover; server_no_context_takeover\r\n",
     "extension: duplicate permessage-deflate parameter server_no_context_takeover"),
    NO(EXT PMD "; client_no_context_takeover; client_no_context_takeover\r\n",
     "extension: duplicate permessage-deflate parameter client_no_context_takeover"),
    NO(EXT PMD "; server_max_window_bits=10; server_max_window_bits=10\r\n",
     "extension: duplicate permessage-deflate parameter server_max_window_bits"),
    NO(EXT PMD "; client_max_window_bits=10; client_max_window_bits=11\r\n",
     "extension: duplicate permessage-deflate parameter client_max_window_bits"),
    NO(EXT PMD "; client_max_window_bits; mystery\r\n", "extension: unexpected permessage-deflate parameter"),
    NO(EXT PMD "; Server_No_Context_Takeover\r\n", "extension: unexpected permessage-deflate parameter"),
    NO(EXT PMD ", " PMD "\r\n", "extension: duplicate permessage-deflate response"),
    NO(EXT PMD "\r\n" EXT PMD "; client_max_window_bits=10\r\n", "extension: duplicate permessage-deflate response"),
    NO(EXT "x-webkit-deflate-frame\r\n", "extension: the server chose an unsupported extension"),
    NO(EXT "Permessage-Deflate\r\n", "extension: the server chose an unsupported extension"),
    NO(EXT PMD ", x-foo\r\n", "extension: the server chose an unsupported extension"),
    NO(EXT PMD "\r\nX-Other: a\r\n" EXT "x-foo\r\n", "extension: the server chose an unsupported extension"),
    NO(EXT "x-foo, " PMD ";\r\n", "extension: Sec-WebSocket-Extensions rejected by the parser"),
    NO(EXT PMD ";\r\n", "extension: Sec-WebSocket-Extensions rejected by the parser"),
    NO(EXT "\r\n", "extension: Sec-WebSocket-Extensions rejected by the parser"),
    NO(EXT PMD "; server_max_window_bits=\"10\r\n", "extension: Sec-WebSocket-Extensions rejected by the parser"),
    NO(EXT PMD "; server_max_window_bits=\"1 0\"\r\n", "extension: Sec-WebSocket-Extensions rejected by the parser"),
    NO(EXT PMD "; server_max_window_bits=\r\n", "extension: Sec-WebSocket-Extensions rejected by the parser"),
    NO(EXT PMD " x\r\n", "extension: Sec-WebSocket-Extensions rejected by the parser"),
    NO(EXT PMD ",\r\n", "extension: Sec-WebSocket-Extensions rejected by the parser"),
    NO(EXT PMD "; client_max_window_bits=10\r\n" EXT "\r\n",
     "extension: Sec-WebSocket-Extensions rejected by the parser"),
};
#undef EXT
#undef PMD
#undef NO
/* clang-format on */

static void test_deflate_negotiation_table(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof ext_cases / sizeof ext_cases[0]; i++) {
        const ext_case *c = &ext_cases[i];
        char resp[1024];
        int len = snprintf(resp, sizeof resp, OK_STATUS OK_HEADERS "%s\r\n", c->headers);
        tt__handshake_response r;
        const char *detail = NULL;
        assert_int_equal(parse(resp, (size_t)len, 0, 1, &r, &detail), len);
        tt__deflate_params p;
        int rc = tt__handshake_parse_extensions(&r, &p, &detail);
        if (c->detail) {
            if (rc != TT_EEXTENSION) fail_msg("case %zu accepted: %s", i, c->headers);
            if (strcmp(detail, c->detail) != 0) fail_msg("case %zu: \"%s\", want \"%s\"", i, detail, c->detail);
            assert_int_equal(p.enabled, 0);
            continue;
        }
        if (rc != 0) fail_msg("case %zu refused: %s (%s)", i, c->headers, detail);
        assert_int_equal(p.enabled, 1);
        assert_int_equal(p.server_no_context_takeover, c->s_nct);
        assert_int_equal(p.client_no_context_takeover, c->c_nct);
        assert_int_equal(p.server_max_window_bits, c->s_bits);
        assert_int_equal(p.client_max_window_bits, c->c_bits);
        if (p.descriptor_len != strlen(c->descriptor) || memcmp(p.descriptor, c->descriptor, p.descriptor_len) != 0)
            fail_msg("case %zu: descriptor \"%.*s\"", i, (int)p.descriptor_len, p.descriptor);
    }
    /* No header: nothing negotiated, defaults filled in. */
    static const char plain[] = OK_STATUS OK_HEADERS "\r\n";
    tt__handshake_response r;
    const char *detail = NULL;
    assert_int_equal(parse(plain, sizeof plain - 1, 0, 1, &r, &detail), (int)sizeof plain - 1);
    tt__deflate_params p;
    assert_int_equal(tt__handshake_parse_extensions(&r, &p, &detail), 0);
    assert_int_equal(p.enabled, 0);
    assert_null(p.descriptor);
}

/* The 101's fields as a game sees them: in order, names as sent, values trimmed; one block to free. */
static void test_header_fields(void **state) {
    (void)state;
    static const char head[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX-Two:\t a b \r\n"
                               "no colon here\r\n: no name\r\nEmpty:\r\n\r\nAfter: the head\r\n";
    tt_header *f;
    size_t n;
    long live = tt__alloc_live();
    assert_int_equal(tt__handshake_header_fields(head, strlen(head), &f, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(f[0].name, "Upgrade");
    assert_string_equal(f[0].value, "websocket");
    assert_string_equal(f[1].name, "X-Two");
    assert_string_equal(f[1].value, "a b");
    assert_string_equal(f[2].name, "Empty");
    assert_string_equal(f[2].value, "");
    assert_int_equal(tt__alloc_live(), live + 1);
    tt__free(f);
    /* No field at all: nothing allocated. */
    assert_int_equal(tt__handshake_header_fields("HTTP/1.1 101 OK", 15, &f, &n), 0);
    assert_null(f);
    assert_int_equal(n, 0);
    /* Out of memory: an error, nothing kept. */
    tt__alloc_set_fail_after(1);
    assert_int_equal(tt__handshake_header_fields(head, strlen(head), &f, &n), TT_ENOMEM);
    tt__alloc_set_fail_after(0);
    assert_null(f);
    assert_int_equal(tt__alloc_live(), live);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_and_accept_rfc_example),
        cmocka_unit_test(test_request_exact_bytes),
        cmocka_unit_test(test_request_minimal_and_ipv6),
        cmocka_unit_test(test_good_response_every_prefix),
        cmocka_unit_test(test_response_extensions_when_offered),
        cmocka_unit_test(test_bad_responses),
        cmocka_unit_test(test_lenient_responses),
        cmocka_unit_test(test_head_limit),
        cmocka_unit_test(test_deflate_negotiation_table),
        cmocka_unit_test(test_header_fields),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
