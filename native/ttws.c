/*
 * ttws: a command-line WebSocket client built on ttsocket's public API.
 *
 *   ttws [--protocol P]... [--header 'Name: value']... [--domain HOST]... [--ca FILE] [--dev]
 *        [--timeout MS] [--close-timeout MS] [--quiet MS] [--no-deflate] [--stats] URL
 *
 * Prints each event on one line of stdout, sends each line of stdin as a text message, and closes with
 * 1000 at the end of stdin. Exit status: 0 after a clean close, 1 after an error or an unclean close,
 * 2 for bad usage or a refused connectSocket.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ttsocket.h"

#define MAX_ITEMS 64

static const char usage[] =
    "usage: ttws [options] URL\n"
    "\n"
    "Connects to URL (ws:// or wss://) with ttsocket, prints each event as one line and sends each line\n"
    "of stdin as a text message. At the end of stdin it closes with code 1000 and exits after onClose.\n"
    "\n"
    "options:\n"
    "  --protocol P        offer subprotocol P (repeatable)\n"
    "  --header 'N: V'     add a request header (repeatable)\n"
    "  --domain HOST       a legal socket domain (repeatable); without --domain and --dev, the URL's own\n"
    "                      host is the only legal domain\n"
    "  --dev               development mode: skip the domain check and allow ws://\n"
    "  --ca FILE           extra PEM trust anchors for wss://\n"
    "  --timeout MS        time allowed for the connection to open (default 60000)\n"
    "  --close-timeout MS  how long to wait for the server's Close (default 60000)\n"
    "  --no-deflate        do not offer permessage-deflate\n"
    "  --quiet MS          at the end of stdin, close once everything is written and no message has\n"
    "                      arrived for MS milliseconds (default 500; messages that arrive after close()\n"
    "                      are dropped, as in the browser)\n"
    "  --stats             also print how the connection opened (a profile line after the open line)\n"
    "                      and its traffic at exit (a stats line)\n"
    "  --help              show this text\n"
    "\n"
    "output lines:\n"
    "  open protocol=P extensions=E\n"
    "  message text LEN TEXT        (backslash, control bytes and DEL are escaped as \\\\ and \\xNN)\n"
    "  message binary LEN\n"
    "  error ERRMSG (DETAIL)\n"
    "  close CODE REASON clean|not-clean\n"
    "  result ERRMSG                (a failed send or close)\n"
    "  profile NAME=MS ...          (--stats: tt_open_profile; times in ms after fetch_start, durations\n"
    "                               in ms, unknown where the backend cannot observe them)\n"
    "  stats NAME=N ...             (--stats, at exit: tt_task_stats of the whole run)\n"
    "\n"
    "exit status: 0 after a clean close, 1 after an error or unclean close, 2 for bad usage.\n";

static tt_socket_task task;
static int finished; /* onClose delivered */
static int exit_status = 1;
static int opened;
static int stdin_open = 1;
static int close_requested;
static int quiet_ms = 500;      /* --quiet */
static int show_stats;          /* --stats */
static long long last_activity; /* ms: last message in or line out */

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Lines read before onOpen wait here (a send while CONNECTING would fail, as in the browser). */
static char *line_buf;
static size_t line_len, line_cap;

static void print_escaped(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = s[i];
        if (ch == '\\') fputs("\\\\", stdout);
        else if (ch < 0x20 || ch == 0x7f) printf("\\x%02x", ch);
        else putchar(ch);
    }
}

/* One profile time as milliseconds after fetch_start (durations as they are), or "unknown". */
static void print_ms(const char *name, int64_t v, int64_t origin) {
    if (v == TT_PROFILE_UNKNOWN) printf(" %s=unknown", name);
    else printf(" %s=%" PRId64, name, v - origin);
}

static void print_profile(const tt_open_profile *p) {
    int64_t t0 = p->fetch_start;
    printf("profile");
    print_ms("domain_lookup_start", p->domain_lookup_start, t0);
    print_ms("domain_lookup_end", p->domain_lookup_end, t0);
    print_ms("connect_start", p->connect_start, t0);
    print_ms("tcp_connect_end", p->tcp_connect_end, t0);
    print_ms("ssl_connection_start", p->ssl_connection_start, t0);
    print_ms("ssl_connection_end", p->ssl_connection_end, t0);
    print_ms("connect_end", p->connect_end, t0);
    print_ms("request_start", p->request_start, t0);
    print_ms("request_end", p->request_end, t0);
    print_ms("response_end", p->response_end, t0);
    print_ms("open", p->open, t0);
    print_ms("rtt", p->rtt, 0);
    print_ms("handshake_cost", p->handshake_cost, 0);
    print_ms("cost", p->cost, 0);
    putchar('\n');
}

static void print_count(const char *name, uint64_t v) {
    if (v == TT_STATS_UNKNOWN) printf(" %s=unknown", name);
    else printf(" %s=%" PRIu64, name, v);
}

static void print_stats(void) {
    tt_task_stats s;
    memset(&s, 0, sizeof s);
    if (tt_runtime_stats(&s, sizeof s) != 0) return;
    printf("stats");
    print_count("messages_sent", s.messages_sent);
    print_count("messages_received", s.messages_received);
    print_count("bytes_sent", s.bytes_sent);
    print_count("bytes_received", s.bytes_received);
    print_count("wire_bytes_sent", s.wire_bytes_sent);
    print_count("wire_bytes_received", s.wire_bytes_received);
    print_count("frames_sent", s.frames_sent);
    print_count("frames_received", s.frames_received);
    print_count("pings_received", s.pings_received);
    print_count("pongs_sent", s.pongs_sent);
    print_count("compressed_payload_sent", s.compressed_payload_sent);
    print_count("compressed_wire_sent", s.compressed_wire_sent);
    print_count("compressed_payload_received", s.compressed_payload_received);
    print_count("compressed_wire_received", s.compressed_wire_received);
    print_count("peak_buffered_amount", s.peak_buffered_amount);
    print_count("open_ms", s.open_ms);
    putchar('\n');
    fflush(stdout);
}

static void on_open(tt_socket_task t, const tt_open_event *e, void *ud) {
    (void)t;
    (void)ud;
    opened = 1;
    printf("open protocol=%s extensions=%s\n", e->protocol, e->extensions);
    if (show_stats) print_profile(e->profile);
    fflush(stdout);
}

static void on_message(tt_socket_task t, const tt_message_event *e, void *ud) {
    (void)t;
    (void)ud;
    last_activity = now_ms();
    if (e->type == TT_DATA_TEXT) {
        printf("message text %zu ", e->length);
        print_escaped(e->data, e->length);
        putchar('\n');
    } else {
        printf("message binary %zu\n", e->length);
    }
    fflush(stdout);
}

static void on_error(tt_socket_task t, const tt_error_event *e, void *ud) {
    (void)t;
    (void)ud;
    printf("error %s (%s)\n", e->err_msg, e->detail);
    fflush(stdout);
}

static void on_close(tt_socket_task t, const tt_close_event *e, void *ud) {
    (void)t;
    (void)ud;
    printf("close %d ", e->code);
    print_escaped((const unsigned char *)e->reason, strlen(e->reason));
    printf("%s%s\n", *e->reason ? " " : "", e->was_clean ? "clean" : "not-clean");
    fflush(stdout);
    finished = 1;
    exit_status = e->was_clean ? 0 : 1;
}

static void on_connect_fail(const tt_result *r, void *ud) {
    (void)ud;
    printf("error %s\n", r->err_msg);
    fflush(stdout);
    finished = 1;
    exit_status = 2;
}

static void on_op_fail(const tt_result *r, void *ud) {
    (void)ud;
    printf("result %s\n", r->err_msg);
    fflush(stdout);
}

static void send_line(const char *s, size_t n) {
    tt_send_options o;
    memset(&o, 0, sizeof o);
    o.type = TT_DATA_TEXT;
    o.data = s;
    o.length = n;
    o.fail = on_op_fail;
    tt_socket_task_send(task, &o);
}

/* Sends every complete line waiting in line_buf. */
static void send_lines(void) {
    size_t start = 0;
    for (size_t i = 0; i < line_len; i++) {
        if (line_buf[i] != '\n') continue;
        size_t end = i;
        if (end > start && line_buf[end - 1] == '\r') end--;
        send_line(line_buf + start, end - start);
        last_activity = now_ms();
        start = i + 1;
    }
    memmove(line_buf, line_buf + start, line_len - start);
    line_len -= start;
}

static int read_stdin(void) {
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    int r = poll(&p, 1, 0);
    if (r <= 0) return 0;
    if (line_cap - line_len < 4096) {
        size_t cap = line_cap ? line_cap * 2 : 8192;
        char *nb = realloc(line_buf, cap);
        if (nb == NULL) return -1;
        line_buf = nb;
        line_cap = cap;
    }
    ssize_t n = read(STDIN_FILENO, line_buf + line_len, line_cap - line_len);
    if (n < 0) return errno == EINTR || errno == EAGAIN ? 0 : -1;
    if (n == 0) {
        stdin_open = 0;
        /* A last line without a newline is still a line. */
        if (line_len > 0 && line_buf[line_len - 1] != '\n') line_buf[line_len++] = '\n';
        return 0;
    }
    line_len += (size_t)n;
    return 1;
}

static int parse_ms(const char *s, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > 1000000000) return -1;
    *out = (int)v;
    return 0;
}

int main(int argc, char **argv) {
    const char *protocols[MAX_ITEMS];
    tt_header headers[MAX_ITEMS];
    const char *domains[MAX_ITEMS];
    size_t nprotocols = 0, nheaders = 0, ndomains = 0;
    tt_runtime_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int timeout = 0;
    const char *url = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--dev")) {
            cfg.skip_domain_check = 1;
        } else if (!strcmp(a, "--no-deflate")) {
            cfg.disable_deflate = 1;
        } else if (!strcmp(a, "--stats")) {
            show_stats = 1;
        } else if (v && !strcmp(a, "--protocol") && nprotocols < MAX_ITEMS) {
            protocols[nprotocols++] = v;
            i++;
        } else if (v && !strcmp(a, "--domain") && ndomains < MAX_ITEMS) {
            domains[ndomains++] = v;
            i++;
        } else if (v && !strcmp(a, "--header") && nheaders < MAX_ITEMS) {
            const char *colon = strchr(v, ':');
            if (colon == NULL) {
                fprintf(stderr, "ttws: --header needs 'Name: value'\n");
                return 2;
            }
            char *name = strndup(v, (size_t)(colon - v));
            const char *value = colon + 1;
            while (*value == ' ' || *value == '\t') value++;
            headers[nheaders].name = name;
            headers[nheaders].value = value;
            nheaders++;
            i++;
        } else if (v && !strcmp(a, "--ca")) {
            cfg.ca_file = v;
            i++;
        } else if (v && !strcmp(a, "--timeout")) {
            if (parse_ms(v, &timeout)) {
                fprintf(stderr, "ttws: bad --timeout\n");
                return 2;
            }
            i++;
        } else if (v && !strcmp(a, "--quiet")) {
            if (parse_ms(v, &quiet_ms)) {
                fprintf(stderr, "ttws: bad --quiet\n");
                return 2;
            }
            i++;
        } else if (v && !strcmp(a, "--close-timeout")) {
            if (parse_ms(v, &cfg.close_timeout_ms)) {
                fprintf(stderr, "ttws: bad --close-timeout\n");
                return 2;
            }
            i++;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "ttws: unknown or incomplete option %s\n%s", a, usage);
            return 2;
        } else if (url == NULL) {
            url = a;
        } else {
            fprintf(stderr, "ttws: more than one URL\n");
            return 2;
        }
    }
    if (url == NULL) {
        fputs(usage, stderr);
        return 2;
    }

    /* Default domain list: the URL's own host (between "//" [userinfo@] and the port or path). */
    char host[256] = "";
    if (!cfg.skip_domain_check && ndomains == 0) {
        const char *p = strstr(url, "//");
        if (p) {
            p += 2;
            const char *end = p + strcspn(p, "/?#");
            const char *at = memchr(p, '@', (size_t)(end - p));
            if (at) p = at + 1;
            const char *hend;
            if (*p == '[') {
                hend = memchr(p, ']', (size_t)(end - p));
                hend = hend ? hend + 1 : end;
            } else {
                hend = memchr(p, ':', (size_t)(end - p));
                if (hend == NULL) hend = end;
            }
            size_t n = (size_t)(hend - p);
            if (n < sizeof host) {
                memcpy(host, p, n);
                host[n] = '\0';
            }
        }
        domains[ndomains++] = host;
    }
    cfg.socket_domains = domains;
    cfg.socket_domain_count = ndomains;
    int rc = tt_runtime_configure(&cfg);
    if (rc != 0) {
        fprintf(stderr, "ttws: configuration refused: %s\n", tt_strerror(rc));
        return 2;
    }

    tt_connect_socket_options o;
    memset(&o, 0, sizeof o);
    o.url = url;
    o.header = headers;
    o.header_count = nheaders;
    o.protocols = protocols;
    o.protocol_count = nprotocols;
    o.timeout_ms = timeout;
    o.fail = on_connect_fail;
    last_activity = now_ms();
    task = tt_connect_socket(&o);
    if (task.id != 0) {
        tt_socket_task_on_open(task, on_open, NULL);
        tt_socket_task_on_message(task, on_message, NULL);
        tt_socket_task_on_error(task, on_error, NULL);
        tt_socket_task_on_close(task, on_close, NULL);
    }

    while (!finished) {
        if (stdin_open && read_stdin() < 0) stdin_open = 0;
        int wait = stdin_open ? 20 : -1; /* while stdin may bring lines, wake up often to read them */
        if (opened && !close_requested) {
            send_lines();
            if (!stdin_open) {
                long long idle = now_ms() - last_activity;
                if (tt_socket_task_buffered_amount(task) > 0) {
                    wait = 20;
                } else if (idle < quiet_ms) {
                    wait = (int)(quiet_ms - idle);
                } else {
                    tt_close_options c;
                    memset(&c, 0, sizeof c);
                    c.code = TT_CLOSE_NORMAL;
                    c.fail = on_op_fail;
                    tt_socket_task_close(task, &c);
                    close_requested = 1;
                    wait = 0;
                }
            }
        }
        int r = tt_runtime_poll(wait);
        if (r < 0) {
            fprintf(stderr, "ttws: poll failed: %s\n", tt_strerror(r));
            break;
        }
    }
    tt_runtime_shutdown();
    if (show_stats) print_stats(); /* after shutdown: the sum keeps every task, now all finished */
    for (size_t i = 0; i < nheaders; i++) free((char *)headers[i].name);
    free(line_buf);
    return exit_status;
}
