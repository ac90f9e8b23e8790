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
    const char *url = "wss://Game.Example:8443/socket?v=2";
    assert_int_equal(tt__url_parse(url, strlen(url), &u), 0);
    static const char *const protocols[] = {"chat", "json.v2"};
    static const tt_header headers[] = {{"X-Token", "abc 123"}, {"User-Agent", "tt/1"}};
    tt__handshake_request req = {&u, RFC_KEY, headers, 2, protocols, 2, "permessage-deflate; client_max_window_bits"};
    static const char want[] = "GET /socket?v=2 HTTP/1.1\r\n"
                               "Host: Game.Example:8443\r\n"
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

static const bad_response bad_responses[] = {
    {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 0, "handshake: unexpected status 404"},
    {"HTTP/1.1 200 OK\r\n" OK_HEADERS "\r\n", 0, "handshake: unexpected status 200"},
    {"HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n", 0, "handshake: unexpected status 302"},
    {"HTTP/1.1 599 Odd\r\n\r\n", 0, "handshake: unexpected status (not 101)"},
    {"HTTP/1.0 101 Switching Protocols\r\n" OK_HEADERS "\r\n", 0, "handshake: response is not HTTP/1.1"},
    {"HTTP/2 101\r\n" OK_HEADERS "\r\n", 0, "handshake: response is not HTTP/1.1"},
    {"ICY 200 OK\r\n\r\n", 0, "handshake: malformed status line"},
    {"HTTP/1.1 1O1 Switching\r\n" OK_HEADERS "\r\n", 0, "handshake: malformed status line"},
    {"HTTP/1.1 101Switching\r\n" OK_HEADERS "\r\n", 0, "handshake: malformed status line"},
    {"\r\n\r\n", 0, "handshake: malformed status line"},
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
    {OK_STATUS OK_HEADERS " folded: value\r\n\r\n", 0, "handshake: folded header line"},
    {OK_STATUS OK_UPGRADE "\tcontinued\r\n" OK_CONN OK_ACCEPT "\r\n", 0, "handshake: folded header line"},
    {OK_STATUS OK_HEADERS "no colon here\r\n\r\n", 0, "handshake: malformed header line"},
    {OK_STATUS OK_HEADERS ": empty name\r\n\r\n", 0, "handshake: malformed header line"},
    {OK_STATUS OK_HEADERS "Bad Name: x\r\n\r\n", 0, "handshake: malformed header line"},
    {OK_STATUS OK_HEADERS "X-Ctl: a\x01" "b\r\n\r\n", 0, "handshake: malformed header line"},
    {OK_STATUS OK_HEADERS "X-CR: a\rb\r\n\r\n", 0, "handshake: malformed line ending"},
    {OK_STATUS "Upgrade: websocket\n" OK_CONN OK_ACCEPT "\r\n", 0, "handshake: malformed line ending"},
    {"HTTP/1.1 101 Switching Protocols\n\n", 0, "handshake: malformed line ending"},
};

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_and_accept_rfc_example),
        cmocka_unit_test(test_request_exact_bytes),
        cmocka_unit_test(test_request_minimal_and_ipv6),
        cmocka_unit_test(test_good_response_every_prefix),
        cmocka_unit_test(test_response_extensions_when_offered),
        cmocka_unit_test(test_bad_responses),
        cmocka_unit_test(test_head_limit),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
