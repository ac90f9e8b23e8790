/*
 * The opening handshake of a client (RFC 6455 section 4): building the GET request and parsing the
 * server's answer. Pure functions: no allocation, no I/O; the parser is zero-copy and incremental in
 * the picohttpparser manner (it is simply called again with more bytes).
 */
#ifndef TT_HANDSHAKE_H
#define TT_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

#include "ttsocket.h"
#include "url.h"

/* Sec-WebSocket-Key: base64 of 16 nonce bytes, 24 characters + NUL. */
void tt__handshake_make_key(const uint8_t nonce[16], char key[25]);

/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)), 28 characters + NUL. Uses the sha1 hook. */
void tt__handshake_accept(const char key[24], char accept[29]);

typedef struct tt__handshake_request {
    const tt__url *url;
    const char *key;                 /* 24 characters */
    const tt_header *headers;        /* already validated */
    size_t header_count;
    const char *const *protocols;    /* joined with ", " into one Sec-WebSocket-Protocol header */
    size_t protocol_count;
    const char *extensions;          /* Sec-WebSocket-Extensions value, or NULL for none */
} tt__handshake_request;

/*
 * Writes the request ("GET path HTTP/1.1", Host, Upgrade: websocket, Connection: Upgrade,
 * Sec-WebSocket-Key, Sec-WebSocket-Version: 13, then protocols, extensions and user headers, then an
 * empty line) into buf. Returns the length, or TT_EINVAL when cap is too small (call
 * tt__handshake_request_size() first).
 */
int tt__handshake_build_request(const tt__handshake_request *req, char *buf, size_t cap);
size_t tt__handshake_request_size(const tt__handshake_request *req);

typedef struct tt__handshake_response {
    int status;                 /* the HTTP status code */
    const char *protocol;       /* chosen subprotocol, points into the buffer; NULL when absent */
    size_t protocol_len;
    const char *extensions;     /* Sec-WebSocket-Extensions value(s), NULL when absent */
    size_t extensions_len;
} tt__handshake_response;

/*
 * Parses the server's answer in buf[0..len). Returns the number of bytes of the response head (through
 * the empty line), TT_EAGAIN when the head is not complete yet, or TT_EHANDSHAKE with *detail set to a
 * static sentence when the answer must fail the connection: not HTTP/1.1, status other than 101,
 * missing or wrong Upgrade / Connection tokens (case-insensitive, Connection may list several tokens),
 * a Sec-WebSocket-Accept other than expected_accept, a subprotocol when none was offered or one not
 * offered or more than one, no subprotocol when some were offered, an extension when
 * extensions_offered is 0 (when 1 the caller validates response->extensions), a head longer than
 * 16 KiB, or malformed header lines.
 */
int tt__handshake_parse_response(const char *buf, size_t len, const char *expected_accept,
                                 const char *const *protocols, size_t protocol_count,
                                 int extensions_offered, tt__handshake_response *response,
                                 const char **detail);

#endif
