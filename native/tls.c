/*
 * The TLS layer of wss://: OpenSSL on a non-blocking socket, driven step by step by the event loop.
 *
 * One SSL_CTX is shared by every connection (TLS >= 1.2, peer verification on, system trust store plus
 * the configured ca_file); it is rebuilt when ca_file changes, and live sessions keep their reference to
 * the old one. Each session talks to its socket through a tiny BIO that uses recv()/send(MSG_NOSIGNAL),
 * so a peer that vanished never raises SIGPIPE in the game.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "native.h"
#include "tt_internal.h"

/* OpenSSL's read buffer: four records of the largest size (16 KiB each; OpenSSL adds its overhead). */
#define TT__TLS_READ_BUFFER (4u * 16384u)

static SSL_CTX *shared_ctx;
static char *shared_ctx_ca; /* the ca_file shared_ctx was built with, NULL for none */
static BIO_METHOD *socket_method;

/* ---- A socket BIO that never raises SIGPIPE ------------------------------------------------------ */

static int sock_bio_write(BIO *bio, const char *data, int len) {
    int fd = (int)(intptr_t)BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    ssize_t n;
    do n = send(fd, data, (size_t)len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) BIO_set_retry_write(bio);
    return (int)n;
}

/* Set when the last recv() of the current tt__tls_read() returned fewer bytes than asked (or none). */
static int bio_read_short;

static int sock_bio_read(BIO *bio, char *data, int len) {
    int fd = (int)(intptr_t)BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    ssize_t n;
    do n = recv(fd, data, (size_t)len, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) BIO_set_retry_read(bio);
    if (n == 0) BIO_set_flags(bio, BIO_FLAGS_IN_EOF); /* what BIO_CTRL_EOF answers, as OpenSSL's socket BIO */
    bio_read_short = n < len;
    return (int)n;
}

/*
 * BIO_CTRL_EOF must be answered: OpenSSL applies SSL_OP_IGNORE_UNEXPECTED_EOF (and so takes a TCP EOF
 * without close_notify as the peer's close) only when the BIO says it is at its end.
 */
static long sock_bio_ctrl(BIO *bio, int cmd, long num, void *ptr) {
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_EOF: return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0;
    default: return 0;
    }
}

static int sock_bio_create(BIO *bio) {
    BIO_set_init(bio, 1);
    return 1;
}

static BIO_METHOD *get_socket_method(void) {
    if (socket_method == NULL) {
        BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ttsocket-socket");
        if (m == NULL) return NULL;
        BIO_meth_set_write(m, sock_bio_write);
        BIO_meth_set_read(m, sock_bio_read);
        BIO_meth_set_ctrl(m, sock_bio_ctrl);
        BIO_meth_set_create(m, sock_bio_create);
        socket_method = m;
    }
    return socket_method;
}

/*
 * Called by OpenSSL for each verification step. When the host check fails on a certificate that names no
 * host in subjectAltName at all (a CN-only certificate older clients accepted), it notes that on the
 * session (its app data) so that the detail can say why; the verdict itself is left unchanged.
 */
static char no_san_marker; /* the app data of a session whose certificate has no subjectAltName */

static int verify_callback(int ok, X509_STORE_CTX *store) {
    int err = X509_STORE_CTX_get_error(store);
    if (!ok && (err == X509_V_ERR_HOSTNAME_MISMATCH || err == X509_V_ERR_IP_ADDRESS_MISMATCH)) {
        X509 *cert = X509_STORE_CTX_get_current_cert(store);
        SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
        if (ssl && cert && X509_get_ext_by_NID(cert, NID_subject_alt_name, -1) < 0)
            SSL_set_app_data(ssl, &no_san_marker);
    }
    return ok;
}

/* "certificate verify failed: <reason>", plus why when the certificate has no subjectAltName. */
static void verify_detail(SSL *ssl, long verify, char *detail, size_t cap) {
    const char *why = SSL_get_app_data(ssl) == &no_san_marker
                          ? " (the certificate has no subjectAltName; its subject CN is not used)"
                          : "";
    snprintf(detail, cap, "tls: certificate verify failed: %s%s", X509_verify_cert_error_string(verify), why);
}

/* ---- Context ------------------------------------------------------------------------------------ */

static void openssl_detail(const char *prefix, char *detail, size_t cap) {
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    snprintf(detail, cap, "%s%s", prefix, reason ? reason : "unknown error");
}

static SSL_CTX *get_ctx(const char *ca_file, char *detail, size_t cap) {
    int same =
        (ca_file == NULL && shared_ctx_ca == NULL) || (ca_file && shared_ctx_ca && strcmp(ca_file, shared_ctx_ca) == 0);
    if (shared_ctx && same) return shared_ctx;

    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        openssl_detail("tls: cannot create context: ", detail, cap);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_callback);
    /* Idle connections hold no record buffers; partial writes let the loop write what the socket takes. */
    SSL_CTX_set_mode(ctx,
                     SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Read ahead: one recv() takes in every record that is there instead of a header and a body each, and
     * a short one tells the transport that the socket is empty (no extra recv() ending in EAGAIN). With
     * room for four full records per recv() (OpenSSL's default is one), a large message comes in with
     * less than half the recv() calls (1 MiB over loopback: about 27 instead of 59). The buffer exists
     * only while records are waiting (SSL_MODE_RELEASE_BUFFERS), so an idle connection holds none. */
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_default_read_buffer_len(ctx, TT__TLS_READ_BUFFER);
    /* WebSocket frames carry their own end: a TCP EOF without close_notify is reported as EOF, and the
     * transport decides from the WebSocket state whether that was clean. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        /* No system store is not fatal when a ca_file is given. */
        ERR_clear_error();
    }
    char *ca_copy = NULL;
    if (ca_file) {
        if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
            unsigned long e = ERR_peek_last_error();
            const char *reason = e ? ERR_reason_error_string(e) : NULL;
            snprintf(detail, cap, "tls: cannot load CA file %s: %s", ca_file, reason ? reason : "error");
            SSL_CTX_free(ctx);
            return NULL;
        }
        ca_copy = tt__strdup(ca_file);
        if (ca_copy == NULL) {
            snprintf(detail, cap, "tls: out of memory");
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    SSL_CTX_free(shared_ctx); /* live sessions hold their own reference */
    tt__free(shared_ctx_ca);
    shared_ctx = ctx;
    shared_ctx_ca = ca_copy;
    return ctx;
}

void tt__tls_shutdown(void) {
    SSL_CTX_free(shared_ctx);
    shared_ctx = NULL;
    tt__free(shared_ctx_ca);
    shared_ctx_ca = NULL;
    if (socket_method) BIO_meth_free(socket_method);
    socket_method = NULL;
}

/* ---- Sessions ----------------------------------------------------------------------------------- */

tt__ssl *tt__tls_new(int fd, const char *host, const char *ca_file, char *detail, size_t cap) {
    ERR_clear_error();
    SSL_CTX *ctx = get_ctx(ca_file, detail, cap);
    if (ctx == NULL) return NULL;
    BIO_METHOD *method = get_socket_method();
    SSL *ssl = SSL_new(ctx);
    BIO *bio = method ? BIO_new(method) : NULL;
    if (ssl == NULL || bio == NULL) {
        BIO_free(bio);
        SSL_free(ssl);
        openssl_detail("tls: cannot create session: ", detail, cap);
        return NULL;
    }
    BIO_set_data(bio, (void *)(intptr_t)fd);
    SSL_set_bio(ssl, bio, bio);

    unsigned char ip[16];
    int is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    int ok;
    if (is_ip) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(param, host) == 1;
    } else {
        /* SNI is only for DNS names (RFC 6066 section 3), which it sends without a trailing dot; a
         * certificate names hosts without one too, so "good.example." is checked as "good.example", as a
         * browser does. Partial wildcards are not accepted. Like Chromium (RFC 6125 section 6.4.4), only
         * subjectAltName names the host: OpenSSL would otherwise fall back to the subject CN of a
         * certificate without DNS names. */
        char name[TT__DNS_NAME_MAX + 1];
        size_t len = strlen(host);
        if (len > 0 && host[len - 1] == '.') len--;
        ok = len > 0 && len <= TT__DNS_NAME_MAX;
        if (ok) {
            memcpy(name, host, len);
            name[len] = '\0';
            X509_VERIFY_PARAM_set_hostflags(param,
                                            X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
            ok = X509_VERIFY_PARAM_set1_host(param, name, len) == 1 && SSL_set_tlsext_host_name(ssl, name) == 1;
        }
    }
    if (!ok) {
        openssl_detail("tls: cannot set the expected host: ", detail, cap);
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_connect_state(ssl);
    return ssl;
}

void tt__tls_free(tt__ssl *ssl) { SSL_free(ssl); }

/* Turns a failed SSL_* call into a result code and, for errors, a sentence. */
static int classify(SSL *ssl, int ret, const char *what, char *detail, size_t cap) {
    int saved_errno = errno;
    int err = SSL_get_error(ssl, ret);
    switch (err) {
    case SSL_ERROR_WANT_READ: return TT__TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE: return TT__TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN: return TT__TLS_EOF;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_last_error() == 0) {
            if (saved_errno == 0) {
                /* The peer closed TCP without close_notify. */
                if (!SSL_is_init_finished(ssl)) {
                    snprintf(detail, cap, "tls: connection closed during the TLS handshake");
                    return TT__TLS_ERROR;
                }
                return TT__TLS_EOF;
            }
            snprintf(detail, cap, "%s: %s", what, strerror(saved_errno));
            return TT__TLS_ERROR;
        }
        /* OpenSSL queued the reason: report it as below */
        /* fall through */
    default: {
        long verify = SSL_get_verify_result(ssl);
        if (!SSL_is_init_finished(ssl) && verify != X509_V_OK) {
            verify_detail(ssl, verify, detail, cap);
        } else {
            unsigned long e = ERR_peek_last_error();
            const char *reason = e ? ERR_reason_error_string(e) : NULL;
            /* An unexpected EOF mid-stream is a truncation, reported as such by OpenSSL 3. */
            snprintf(detail, cap, "tls: %s", reason ? reason : "protocol error");
        }
        return TT__TLS_ERROR;
    }
    }
}

int tt__tls_handshake(tt__ssl *ssl, char *detail, size_t cap) {
    ERR_clear_error();
    errno = 0;
    int ret = SSL_do_handshake(ssl);
    if (ret == 1) return TT__TLS_DONE;
    int r = classify(ssl, ret, "tls handshake", detail, cap);
    if (r == TT__TLS_EOF) {
        snprintf(detail, cap, "tls: connection closed during the TLS handshake");
        return TT__TLS_ERROR;
    }
    return r;
}

long tt__tls_read(tt__ssl *ssl, uint8_t *buf, size_t cap, int *drained, char *detail, size_t detail_cap) {
    ERR_clear_error();
    errno = 0;
    int len = cap > INT32_MAX ? INT32_MAX : (int)cap;
    bio_read_short = 0;
    int ret = SSL_read(ssl, buf, len);
    *drained = bio_read_short && !SSL_has_pending(ssl);
    if (ret > 0) return ret;
    return classify(ssl, ret, "read", detail, detail_cap);
}

long tt__tls_write(tt__ssl *ssl, const uint8_t *buf, size_t len, char *detail, size_t detail_cap) {
    ERR_clear_error();
    errno = 0;
    int n = len > (1u << 30) ? (1 << 30) : (int)len;
    int ret = SSL_write(ssl, buf, n);
    if (ret > 0) return ret;
    int r = classify(ssl, ret, "write", detail, detail_cap);
    if (r == TT__TLS_EOF) {
        snprintf(detail, detail_cap, "write: connection closed by peer");
        return TT__TLS_ERROR;
    }
    return r;
}
