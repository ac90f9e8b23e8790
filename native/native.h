/*
 * Declarations shared by the files of the native transport: the resolver pool, the TLS layer and the
 * hooks. Nothing here is part of the library's public surface.
 */
#ifndef TT_NATIVE_H
#define TT_NATIVE_H

#include <stddef.h>
#include <stdint.h>

struct addrinfo;

/* ---- Hooks (hooks_native.c) ------------------------------------------------------------------- */

/* Installs the monotonic clock, RAND_bytes and OpenSSL SHA-1 as the core's hooks. */
void tt__native_install_hooks(void);

/* ---- Resolver (resolver.c) --------------------------------------------------------------------- */

/*
 * getaddrinfo() blocks, so lookups run on a small pool of worker threads (started on demand, at most
 * TT__RESOLVER_THREADS, alive for the rest of the process). A slow or unresolvable host therefore only
 * occupies one worker; every other task's I/O and callbacks go on. Completion is signalled through an
 * eventfd that the transport watches with epoll; the results are collected on the game thread by
 * tt__resolver_collect(). Workers never call the library's allocator (its counters are not thread-safe):
 * requests are allocated and freed on the game thread only.
 */
typedef struct tt__resolve_req tt__resolve_req;

/* The longest DNS name, without the root's trailing dot (RFC 1035: 255 bytes on the wire). */
#define TT__DNS_NAME_MAX 253

/* The fd to watch for EPOLLIN, or -1 when it cannot be created. Created once, kept for the process. */
int tt__resolver_fd(void);

/*
 * Starts looking up host[0..host_len) for a TCP connection to port. user is handed back on completion.
 * Names under the special-use TLD "invalid" (RFC 6761 section 6.4) and names longer than a DNS name can
 * be fail at once without a query (EAI_NONAME, what getaddrinfo answers for them). "localhost" and names
 * under it, with or without a trailing dot, are looked up as "localhost" (RFC 6761 section 6.3), which
 * the system answers with its loopback addresses, as a browser does.
 * Returns NULL when out of memory or when no worker can be started.
 */
tt__resolve_req *tt__resolver_start(const char *host, size_t host_len, uint16_t port, void *user);

/* Forgets a request: its result will be dropped and no callback is made for it. Game thread only. */
void tt__resolver_cancel(tt__resolve_req *req);

/*
 * Calls done(user, gai_error, result) for each finished, not cancelled request, and frees the finished
 * ones. result (a getaddrinfo list, NULL on error) now belongs to the callee (freeaddrinfo). gai_error is
 * 0 or an EAI_* code. Returns the number of callbacks made. Game thread only.
 */
int tt__resolver_collect(void (*done)(void *user, int gai_error, struct addrinfo *result));

/*
 * Replaces getaddrinfo() in the workers (NULL restores it); it runs on a worker thread and its result is
 * freed with freeaddrinfo(). Tests use it to make a name resolve to addresses that do not answer.
 */
typedef int tt__lookup_fn(const char *node, const char *service, const struct addrinfo *hints,
                          struct addrinfo **result);
void tt__resolver_set_lookup(tt__lookup_fn *fn);

/* ---- TLS (tls.c) ------------------------------------------------------------------------------- */

typedef struct ssl_st tt__ssl;

/*
 * Creates a client TLS session on the non-blocking socket fd: TLS >= 1.2, peer verification against the
 * system trust store plus ca_file (may be NULL), SNI for DNS names, and host name or IP address
 * verification against host. Writes go through send(MSG_NOSIGNAL), so a dead peer never raises SIGPIPE.
 * Returns NULL and fills detail on failure.
 */
tt__ssl *tt__tls_new(int fd, const char *host, const char *ca_file, char *detail, size_t detail_cap);
void tt__tls_free(tt__ssl *ssl);
/* Frees the shared context (called at transport shutdown). */
void tt__tls_shutdown(void);

/* Results of the non-blocking TLS steps. */
enum {
    TT__TLS_DONE = 0,        /* handshake complete / bytes moved (see the return value) */
    TT__TLS_WANT_READ = -1,  /* retry when the socket is readable */
    TT__TLS_WANT_WRITE = -2, /* retry when the socket is writable */
    TT__TLS_EOF = -3,        /* the peer closed the connection */
    TT__TLS_ERROR = -4       /* failed; detail filled */
};

/* One step of the handshake: TT__TLS_DONE, WANT_READ, WANT_WRITE or ERROR (detail filled). */
int tt__tls_handshake(tt__ssl *ssl, char *detail, size_t detail_cap);
/*
 * Reads up to cap bytes: > 0 bytes read, or WANT_READ / WANT_WRITE / EOF / ERROR (detail filled). With
 * bytes read, *drained says whether the socket is known to be empty now (its last recv() came back short
 * and OpenSSL holds no further bytes), so the caller need not try again until the socket is readable.
 */
long tt__tls_read(tt__ssl *ssl, uint8_t *buf, size_t cap, int *drained, char *detail, size_t detail_cap);
/* Writes up to len bytes: > 0 bytes written, or WANT_READ / WANT_WRITE / ERROR (detail filled). */
long tt__tls_write(tt__ssl *ssl, const uint8_t *buf, size_t len, char *detail, size_t detail_cap);

/* ---- Introspection (transport_native.c) -------------------------------------------------------- */

/*
 * User-space bytes held by live connections: the connection structs plus each session's
 * tt__ws_memory(); the shared read buffer and TLS state are not counted. Tests check the idle budget.
 */
size_t tt__native_memory(void);
/* Live connections. */
size_t tt__native_connection_count(void);

#endif
