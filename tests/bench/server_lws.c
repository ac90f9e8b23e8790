/*
 * The benchmark echo server, built on Debian's libwebsockets 4.1.6 (so it shares no code with ttsocket's
 * engine). Every message is echoed as one message with the same opcode.
 *
 * libwebsockets parses the clients' frames (handshake, unmasking, fragments, control frames). For the
 * echo it is not left to lws_write(LWS_WRITE_BINARY): that issues one send() per message, which caps a
 * server near 190 k msg/s, far below what the clients under test reach. Instead the echo frames (server
 * frames are unmasked: a 2/4/10-byte header + payload) are appended to a per-connection output buffer and
 * handed to lws once per writable callback as raw bytes (lws_write(LWS_WRITE_HTTP) writes them as they
 * are, through TLS when the vhost is wss). So one pass writes every echo that accumulated. The "deflate"
 * vhost negotiates permessage-deflate and echoes through lws_write() per message, so lws compresses.
 *
 * Usage: server_lws [--share] PORT_WS [PORT_WSS CERT KEY [PORT_DEFLATE]]   (0 = that listener is not created)
 * Prints READY when listening; runs until killed.
 *
 * --share: several processes serve the same ports (run.py --servers N), the kernel spreading the
 * connections over them. Debian's lws 4.1.6 is built without SMP, and its ALLOW_LISTEN_SHARE option
 * does not set SO_REUSEPORT, so this mode opens the listen sockets itself (SO_REUSEPORT), hands each to
 * lws as a raw file descriptor, and on readiness accept()s and adopts every new socket into the vhost
 * (lws_adopt_descriptor_vhost, in HTTP mode with TLS for wss): lws still does the handshake, TLS,
 * parsing and the echo path exactly as with its own listener.
 */
#include "bench_common.h"

#include <libwebsockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>

#define OUT_PAUSE (8u << 20) /* stop reading a connection whose unsent echoes pass this */

typedef struct pss {
    uint8_t *out; /* LWS_PRE headroom, then framed echoes out[LWS_PRE .. LWS_PRE + out_len) */
    size_t out_len, out_cap;
    size_t hdr_at;  /* deflate off: where the current message's frame header starts in out */
    size_t hdr_len; /* its length as written */
    size_t msg_len; /* payload bytes of the current message so far */
    int binary;
    int paused;
    /* deflate vhost: whole messages, each written with lws_write() */
    uint8_t *msg;
    size_t msg_cap;
    uint8_t **queue; /* LWS_PRE + payload each, length prefix in a parallel array */
    size_t *qlen;
    uint8_t *qbin;
    size_t qhead, qcount, qcap;
} pss;

static int out_reserve(pss *p, size_t extra) {
    size_t need = LWS_PRE + p->out_len + extra;
    if (need <= p->out_cap) return 0;
    size_t cap = p->out_cap ? p->out_cap : 65536;
    while (cap < need) cap *= 2;
    uint8_t *q = realloc(p->out, cap);
    if (!q) return -1;
    p->out = q;
    p->out_cap = cap;
    return 0;
}

static size_t header_size(size_t len) { return len < 126 ? 2 : len < 65536 ? 4 : 10; }

static void write_header(uint8_t *h, int binary, size_t len) {
    h[0] = (uint8_t)(0x80 | (binary ? 2 : 1));
    if (len < 126) {
        h[1] = (uint8_t)len;
    } else if (len < 65536) {
        h[1] = 126;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++) h[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    }
}

/* Appends received payload to the echo frame being built (raw path). */
static int echo_append(struct lws *wsi, pss *p, const uint8_t *in, size_t len) {
    if (lws_is_first_fragment(wsi)) {
        /* Assume one frame: its length is known now, so the header goes first and the payload follows. */
        size_t total = len + lws_remaining_packet_payload(wsi);
        p->binary = lws_frame_is_binary(wsi);
        p->hdr_at = p->out_len;
        p->hdr_len = header_size(total);
        p->msg_len = 0;
        if (out_reserve(p, p->hdr_len + total)) return -1;
        write_header(p->out + LWS_PRE + p->hdr_at, p->binary, total);
        p->out_len += p->hdr_len;
    }
    if (len) {
        if (out_reserve(p, len)) return -1;
        memcpy(p->out + LWS_PRE + p->out_len, in, len);
        p->out_len += len;
        p->msg_len += len;
    }
    if (lws_is_final_fragment(wsi)) {
        /* A fragmented message is longer than its first frame said: rewrite the header. */
        size_t h = header_size(p->msg_len);
        if (h != p->hdr_len) {
            if (out_reserve(p, h)) return -1;
            uint8_t *base = p->out + LWS_PRE + p->hdr_at;
            memmove(base + h, base + p->hdr_len, p->msg_len);
            p->out_len = p->out_len - p->hdr_len + h;
        }
        write_header(p->out + LWS_PRE + p->hdr_at, p->binary, p->msg_len);
        lws_callback_on_writable(wsi);
        if (!p->paused && p->out_len > OUT_PAUSE) {
            p->paused = 1;
            lws_rx_flow_control(wsi, 0);
        }
    }
    return 0;
}

/* deflate vhost: keep whole messages and write each with lws_write() so lws compresses it. */
static int deflate_append(struct lws *wsi, pss *p, const uint8_t *in, size_t len) {
    if (lws_is_first_fragment(wsi)) {
        p->msg_len = 0;
        p->binary = lws_frame_is_binary(wsi);
    }
    if (LWS_PRE + p->msg_len + len > p->msg_cap) {
        size_t cap = p->msg_cap ? p->msg_cap : 4096;
        while (cap < LWS_PRE + p->msg_len + len) cap *= 2;
        uint8_t *q = realloc(p->msg, cap);
        if (!q) return -1;
        p->msg = q;
        p->msg_cap = cap;
    }
    memcpy(p->msg + LWS_PRE + p->msg_len, in, len);
    p->msg_len += len;
    if (!lws_is_final_fragment(wsi)) return 0;
    if (p->qhead + p->qcount == p->qcap) {
        if (p->qhead) {
            memmove(p->queue, p->queue + p->qhead, p->qcount * sizeof *p->queue);
            memmove(p->qlen, p->qlen + p->qhead, p->qcount * sizeof *p->qlen);
            memmove(p->qbin, p->qbin + p->qhead, p->qcount);
            p->qhead = 0;
        } else {
            size_t cap = p->qcap ? p->qcap * 2 : 256;
            p->queue = realloc(p->queue, cap * sizeof *p->queue);
            p->qlen = realloc(p->qlen, cap * sizeof *p->qlen);
            p->qbin = realloc(p->qbin, cap);
            if (!p->queue || !p->qlen || !p->qbin) return -1;
            p->qcap = cap;
        }
    }
    uint8_t *m = malloc(LWS_PRE + p->msg_len + 1);
    if (!m) return -1;
    memcpy(m + LWS_PRE, p->msg + LWS_PRE, p->msg_len);
    size_t i = p->qhead + p->qcount++;
    p->queue[i] = m;
    p->qlen[i] = p->msg_len;
    p->qbin[i] = (uint8_t)p->binary;
    lws_callback_on_writable(wsi);
    if (!p->paused && p->qcount > 4096) {
        p->paused = 1;
        lws_rx_flow_control(wsi, 0);
    }
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    pss *p = user;
    int deflate = lws_get_protocol(wsi) && lws_get_protocol(wsi)->id == 1;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED: {
        memset(p, 0, sizeof *p);
        int one = 1; /* lws leaves Nagle on: small echoes would wait for the client's delayed ACK */
        setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        break;
    }
    case LWS_CALLBACK_RECEIVE:
        if ((deflate ? deflate_append : echo_append)(wsi, p, in, len)) return -1;
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (deflate) {
            while (p->qcount && !lws_partial_buffered(wsi)) {
                size_t i = p->qhead;
                int n =
                    lws_write(wsi, p->queue[i] + LWS_PRE, p->qlen[i], p->qbin[i] ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
                free(p->queue[i]);
                p->qhead++;
                p->qcount--;
                if (n < 0) return -1;
            }
            if (p->qcount) lws_callback_on_writable(wsi);
            else p->qhead = 0;
        } else if (p->out_len) {
            /* Everything that accumulated, as raw bytes; lws keeps and resends whatever send() refuses. */
            if (lws_write(wsi, p->out + LWS_PRE, p->out_len, LWS_WRITE_HTTP) < 0) return -1;
            p->out_len = 0;
            if (p->out_cap > (1u << 22)) { /* do not keep a huge buffer per connection */
                free(p->out);
                p->out = NULL;
                p->out_cap = 0;
            }
        }
        if (p->paused) {
            p->paused = 0;
            lws_rx_flow_control(wsi, 1);
        }
        break;
    case LWS_CALLBACK_CLOSED:
        free(p->out);
        free(p->msg);
        for (size_t i = 0; i < p->qcount; i++) free(p->queue[p->qhead + i]);
        free(p->queue);
        free(p->qlen);
        free(p->qbin);
        memset(p, 0, sizeof *p);
        break;
    default: break;
    }
    return 0;
}

static int share; /* --share */

/* --share: our listen sockets, each adopted into lws as a raw file; readiness = connections to accept. */
static struct listener {
    int fd;
    struct lws_vhost *vh;
    int tls;
} listeners[3];
static int nlisteners;

static int listener_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    if (reason != LWS_CALLBACK_RAW_RX_FILE) return 0;
    int lfd = (int)lws_get_socket_fd(wsi);
    for (int i = 0; i < nlisteners; i++) {
        if (listeners[i].fd != lfd) continue;
        for (;;) {
            int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) break; /* EAGAIN: another process took it, or none left */
            lws_sock_file_fd_type d;
            d.sockfd = fd;
            lws_adoption_type t = LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP | (listeners[i].tls ? LWS_ADOPT_ALLOW_SSL : 0);
            lws_adopt_descriptor_vhost(listeners[i].vh, t, d, NULL, NULL); /* closes fd on failure */
        }
    }
    return 0;
}

static int listen_shared(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        listen(fd, 4096)) {
        fprintf(stderr, "server_lws: cannot listen on port %d: %s\n", port, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

#define RX_BUF (64 * 1024)
static struct lws_protocols protocols_plain[] = {
    {"echo", callback, sizeof(pss), RX_BUF, 0, NULL, 16u << 20},
    {"listener", listener_callback, 0, 0, 2, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};
static struct lws_protocols protocols_deflate[] = {
    {"echo", callback, sizeof(pss), RX_BUF, 1, NULL, 16u << 20},
    {"listener", listener_callback, 0, 0, 2, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};
static const struct lws_extension extensions[] = {
    {"permessage-deflate", lws_extension_callback_pm_deflate, "permessage-deflate; client_max_window_bits"},
    {NULL, NULL, NULL},
};

static struct lws_vhost *vhost(struct lws_context *ctx, const char *name, int port, const char *cert, const char *key,
                               int deflate) {
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.vhost_name = name;
    info.port = share ? CONTEXT_PORT_NO_LISTEN_SERVER : port;
    info.iface = "127.0.0.1";
    info.protocols = deflate ? protocols_deflate : protocols_plain;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 | (cert ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0);
    if (deflate) info.extensions = extensions;
    if (cert) {
        info.ssl_cert_filepath = cert;
        info.ssl_private_key_filepath = key;
    }
    struct lws_vhost *v = lws_create_vhost(ctx, &info);
    if (!v) {
        fprintf(stderr, "server_lws: cannot create vhost %s on port %d\n", name, port);
        return NULL;
    }
    if (share) {
        int fd = listen_shared(port);
        if (fd < 0) return NULL;
        lws_sock_file_fd_type d;
        d.filefd = fd;
        listeners[nlisteners].fd = fd;
        listeners[nlisteners].vh = v;
        listeners[nlisteners].tls = cert != NULL;
        nlisteners++;
        if (!lws_adopt_descriptor_vhost(v, LWS_ADOPT_RAW_FILE_DESC, d, "listener", NULL)) {
            fprintf(stderr, "server_lws: cannot adopt the listener of vhost %s\n", name);
            return NULL;
        }
    }
    return v;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--share") == 0) {
        share = 1;
        argv++;
        argc--;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: server_lws [--share] PORT_WS [PORT_WSS CERT KEY [PORT_DEFLATE]]\n");
        return 2;
    }
    bench_raise_nofile();
    signal(SIGPIPE, SIG_IGN); /* SIGTERM/SIGINT: the default action; nothing needs saving */
    lws_set_log_level(LLL_ERR, NULL);
    int port_ws = atoi(argv[1]);
    int port_wss = argc > 4 ? atoi(argv[2]) : 0;
    int port_deflate = argc > 5 ? atoi(argv[5]) : 0;

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.pt_serv_buf_size = 256 * 1024;
    struct lws_context *ctx = lws_create_context(&info);
    if (!ctx) {
        fprintf(stderr, "server_lws: lws_create_context failed\n");
        return 1;
    }
    if ((port_ws && !vhost(ctx, "ws", port_ws, NULL, NULL, 0)) ||
        (port_wss && !vhost(ctx, "wss", port_wss, argv[3], argv[4], 0)) ||
        (port_deflate && !vhost(ctx, "deflate", port_deflate, NULL, NULL, 1))) {
        lws_context_destroy(ctx);
        return 1;
    }
    printf("READY\n");
    fflush(stdout);
    while (lws_service(ctx, 0) >= 0) {}
    lws_context_destroy(ctx);
    return 0;
}
