/*
 * The native TLS layer (native/tls.c) at a TCP EOF without close_notify, against a TLS server in a child
 * process over a socketpair. WebSocket frames carry their own end, so the context sets
 * SSL_OP_IGNORE_UNEXPECTED_EOF; OpenSSL honours it only when the BIO answers BIO_CTRL_EOF, and then
 * records the EOF as the peer's shutdown. Run by run-peer.sh (none), which makes the certificates.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "native.h"

/* The child: a blocking TLS server that finishes the handshake and closes TCP without close_notify. */
static void serve_and_vanish(int fd, const char *certs) {
    char cert[512], key[512];
    snprintf(cert, sizeof cert, "%s/server.pem", certs);
    snprintf(key, sizeof key, "%s/server.key", certs);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        _exit(2);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) _exit(3);
    close(fd); /* no SSL_shutdown: a bare FIN */
    _exit(0);
}

static void wait_fd(int fd, short events) {
    struct pollfd p = {fd, events, 0};
    assert_int_equal(poll(&p, 1, 10000), 1);
}

static void test_eof_without_close_notify_is_the_peers_shutdown(void **state) {
    (void)state;
    const char *certs = getenv("TT_IT_CERTS"), *ca = getenv("TT_IT_CA");
    assert_non_null(certs);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(sv[0]);
        serve_and_vanish(sv[1], certs);
    }
    close(sv[1]);
    assert_int_equal(fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK), 0);
    char detail[256] = "";
    tt__ssl *ssl = tt__tls_new(sv[0], "127.0.0.1", ca, detail, sizeof detail);
    assert_non_null(ssl);
    int r;
    while ((r = tt__tls_handshake(ssl, detail, sizeof detail)) == TT__TLS_WANT_READ || r == TT__TLS_WANT_WRITE)
        wait_fd(sv[0], r == TT__TLS_WANT_READ ? POLLIN : POLLOUT);
    if (r != TT__TLS_DONE) fail_msg("handshake: %s", detail);
    uint8_t buf[256];
    int drained;
    long n;
    while ((n = tt__tls_read(ssl, buf, sizeof buf, &drained, detail, sizeof detail)) == TT__TLS_WANT_READ)
        wait_fd(sv[0], POLLIN);
    assert_int_equal(n, TT__TLS_EOF);
    /* OpenSSL took the EOF as the peer's close (SSL_OP_IGNORE_UNEXPECTED_EOF in effect). */
    assert_true(SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN);
    tt__tls_free(ssl);
    close(sv[0]);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    tt__tls_shutdown();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eof_without_close_notify_is_the_peers_shutdown),
    };
    return cmocka_run_group_tests_name("hardening.tls_eof", tests, NULL, NULL);
}
