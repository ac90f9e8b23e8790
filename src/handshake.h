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
    const char *key;          /* 24 characters */
    const tt_header *headers; /* already validated */
    size_t header_count;
    const char *const *protocols; /* joined with ", " into one Sec-WebSocket-Protocol header */
    size_t protocol_count;
    const char *extensions; /* Sec-WebSocket-Extensions value, or NULL for none */
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
    int status;           /* the HTTP status code */
    const char *protocol; /* chosen subprotocol, points into the buffer; NULL when absent */
    size_t protocol_len;
    const char *extensions; /* Sec-WebSocket-Extensions value(s), NULL when absent */
    size_t extensions_len;
} tt__handshake_response;

/*
 * Finds the end of a response head fed in chunks: returns the offset in p[0..n) just past the empty line
 * that ends it, or 0 when it has not ended yet. Lines end with LF or CR LF, as Chromium reads them
 * (HttpUtil::LocateEndOfHeaders); CR and LF before the status line are skipped. *state starts at 0 and
 * carries a partial match from one chunk to the next; it is 0 again once the end was found.
 */
size_t tt__handshake_scan_head_end(unsigned *state, const uint8_t *p, size_t n);

/*
 * Parses the server's answer in buf[0..len). Returns the number of bytes of the response head (through
 * the empty line), TT_EAGAIN when the head is not complete yet, or TT_EHANDSHAKE with *detail set to a
 * static sentence when the answer must fail the connection. The HTTP is read as leniently as Chromium
 * reads it: LF or CR LF line ends, any "http" version in any case (HTTP/1.0, http/1.1, HTTP/2), any
 * reason phrase, and lines that are not headers ignored; a NUL byte fails. Then the WebSocket checks
 * (WebSocketBasicHandshakeStream::ValidateResponse): status other than 101, missing or wrong Upgrade /
 * Connection tokens (case-insensitive, Connection may list several tokens), a Sec-WebSocket-Accept
 * other than expected_accept, a subprotocol when none was offered or one not offered or more than one,
 * no subprotocol when some were offered, an extension when extensions_offered is 0 (when 1 the caller
 * validates response->extensions), or a head longer than 16 KiB.
 */
int tt__handshake_parse_response(const char *buf, size_t len, const char *expected_accept, const char *const *protocols,
                                 size_t protocol_count, int extensions_offered, tt__handshake_response *response,
                                 const char **detail);

/* ---- Extensions (RFC 7692) -------------------------------------------------------------------- */

/* What we offer, exactly as Chromium does: any valid response is compatible with it. */
#define TT__DEFLATE_OFFER "permessage-deflate; client_max_window_bits"

/* The permessage-deflate parameters the server answered. */
typedef struct tt__deflate_params {
    int enabled;                    /* 0: the server accepted no extension */
    int server_no_context_takeover; /* the server resets its compressor: we reset our inflater per message */
    int client_no_context_takeover; /* we must reset our compressor after each message */
    int server_max_window_bits;     /* 8-15, the window we inflate with; 15 when not given */
    int client_max_window_bits;     /* 8-15, the window we compress with; 15 when not given */
    const char *descriptor;         /* the accepted header value (what ws.extensions shows); points into */
    size_t descriptor_len;          /* the response, NULL / 0 when not enabled */
} tt__deflate_params;

/*
 * Validates the Sec-WebSocket-Extensions header(s) of a response parsed with extensions_offered = 1,
 * answering our offer TT__DEFLATE_OFFER, with the rules of Chromium's ValidateExtensions,
 * WebSocketExtensionParser and WebSocketDeflateParameters:
 *   - each header value must parse as extension *( "," extension ), extension = token *( ";" param ),
 *     param = token [ "=" ( token / quoted-string of token characters ) ]; spaces and tabs may surround
 *     every separator; names are compared case-sensitively;
 *   - every extension must be permessage-deflate and it may appear only once over all headers;
 *   - its parameters: server_no_context_takeover and client_no_context_takeover without a value,
 *     server_max_window_bits=8..15, client_max_window_bits=8..15 (no leading zero, digits only); each
 *     at most once; client_max_window_bits without a value and any other parameter are refused.
 * Returns 0 with *out filled (enabled 0 when there was no header), or TT_EEXTENSION with *detail set to
 * a static sentence. Pure: no allocation.
 */
int tt__handshake_parse_extensions(const tt__handshake_response *response, tt__deflate_params *out,
                                   const char **detail);

/*
 * The header fields of a response head (status line first, CRLF or bare LF line ends, with or without
 * its empty line), in order, names as sent and values without surrounding whitespace; lines without a
 * colon are skipped. *fields is one tt__malloc block holding the array and its strings (NULL when there
 * are none); the caller frees it with tt__free. Returns 0 or TT_ENOMEM.
 */
int tt__handshake_header_fields(const char *head, size_t length, tt_header **fields, size_t *field_count);

#endif
