/*
 * Connection set-up and process life of the native build, against the node peer (run-peer.sh) inside a
 * network namespace of its own (netns-run.sh). The black hole: a listener on [::1] at the peer's port
 * whose accept queue (backlog 0) is kept full, so Linux drops every further SYN to it without an answer,
 * as a black-holed IPv6 route does in the wild; the driver checks that it really does before relying on it.
 *
 *   test_happy_eyeballs  a name that resolves to [::1, 127.0.0.1] (the resolver is replaced through
 *                        tt__resolver_set_lookup): two tasks to it both open and echo, well inside their
 *                        connect timeout, although the first address never answers and the first task's
 *                        attempt to it holds that endpoint's lock.
 *   test_happy_eyeballs_timeout  only the black hole: the connect timeout still ends the task.
 *   test_families_interleaved    [127.0.0.1, 127.0.0.2, ::1], all refusing: they are tried as 127.0.0.1,
 *                        ::1, 127.0.0.2 (RFC 8305 section 4), each failure moving on at once; the detail
 *                        names the last one tried.
 *   test_fork            after a task is open, and while another one's name lookup is running on a
 *                        resolver thread, the process forks: the child's mask keys and nonces differ
 *                        from the parent's next ones, the child's inherited tasks fail without touching
 *                        the parent's socket, the child opens a connection of its own and shuts down
 *                        with every allocation given back, and the parent's tasks still echo.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "native.h"
#include "native_driver.h"
#include "tt_internal.h"
#include "ttsocket.h"

#define BLACKHOLE "::1"
#define HE_NAME "he.test"
#define CONNECT_TIMEOUT_MS 8000

typedef struct rec {
    tt_trace trace;
    tt_socket_task task;
    int echo_on_open; /* send "hi" from onOpen and close(1000) after the echo */
} rec;

static void rec_open(tt_socket_task task, const tt_open_event *e, void *ud) {
    rec *r = ud;
    tt_trace_on_open(task, e, &r->trace);
    if (!r->echo_on_open) return;
    tt_send_options o;
    memset(&o, 0, sizeof o);
    o.type = TT_DATA_TEXT;
    o.data = "hi";
    o.length = 2;
    tt_socket_task_send(task, &o);
}

static void rec_message(tt_socket_task task, const tt_message_event *e, void *ud) {
    rec *r = ud;
    tt_trace_on_message(task, e, &r->trace);
    if (r->echo_on_open)
        tt_socket_task_close(task, &(tt_close_options){.code = 1000, .success = tt_trace_result, .user_data = r});
}

static void rec_error(tt_socket_task task, const tt_error_event *e, void *ud) {
    tt_trace_on_error(task, e, &((rec *)ud)->trace);
}
static void rec_close(tt_socket_task task, const tt_close_event *e, void *ud) {
    tt_trace_on_close(task, e, &((rec *)ud)->trace);
}

static const tt_task_callbacks rec_callbacks = {.success = tt_trace_success,
                                                .fail = tt_trace_fail,
                                                .complete = tt_trace_complete, /* ud: the trace comes first */
                                                .open = rec_open,
                                                .message = rec_message,
                                                .error = rec_error,
                                                .close = rec_close};

static void start(rec *r, const char *url) {
    r->trace.style = TT_TRACE_STYLE_RS;
    r->task =
        tt_connect_with((tt_connect_socket_options){.url = url, .timeout_ms = CONNECT_TIMEOUT_MS}, &rec_callbacks, r);
    tt_tasks_track(r->task); /* a failed test's records die with its stack: teardown detaches them */
}

static int ended(void *arg) {
    rec **all = arg;
    for (; *all; all++)
        if (!tt_trace_ended(&(*all)->trace)) return 0;
    return 1;
}

static const char *const ECHOED[] = {"success connectSocket:ok",
                                     "complete connectSocket:ok",
                                     "open protocol= extensions= rs=1",
                                     "message text 2 hi rs=1",
                                     "result closeSocket:ok",
                                     "close 1000  clean rs=3",
                                     NULL};

static long alloc_baseline; /* live allocations with the runtime shut down */

static int setup(void **s) {
    (void)s;
    alloc_baseline = tt__alloc_live();
    tt_runtime_config c;
    memset(&c, 0, sizeof c);
    c.skip_domain_check = 1;
    return tt_runtime_configure(&c);
}

static void blackhole_close(void);

static int teardown(void **s) {
    (void)s;
    tt_tasks_detach_all();
    tt_runtime_shutdown();
    tt__resolver_set_lookup(NULL);
    blackhole_close();
    return 0;
}

/* ---- Happy Eyeballs ---------------------------------------------------------------------------- */

/* HE_NAME resolves to the black-holed IPv6 address and then 127.0.0.1, in that order. */
static int he_lookup(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res) {
    if (strcmp(node, HE_NAME) != 0) return getaddrinfo(node, service, hints, res);
    const char *addrs[] = {BLACKHOLE, "127.0.0.1"};
    struct addrinfo h = *hints, *head = NULL, **end = &head;
    h.ai_flags |= AI_NUMERICHOST;
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        struct addrinfo *one = NULL;
        int rc = getaddrinfo(addrs[i], service, &h, &one);
        if (rc != 0) {
            if (head) freeaddrinfo(head);
            return rc;
        }
        *end = one;
        while (*end) end = &(*end)->ai_next;
    }
    *res = head;
    return 0;
}

typedef struct blackhole {
    int listener, filler;
} blackhole;
static blackhole open_blackhole = {-1, -1}; /* closed by teardown, also after a failed assertion */

static int connect_nonblocking(uint16_t port) {
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    int r = connect(fd, (struct sockaddr *)&a, sizeof a);
    assert_true(r == 0 || errno == EINPROGRESS);
    return fd;
}

/* [::1]:port stops answering SYNs: a listener with backlog 0 whose one queued connection is never
 * accepted. Fails the test when SYNs are answered after all: then this test would prove nothing. */
static blackhole blackhole_open(uint16_t port) {
    blackhole b;
    b.listener = socket(AF_INET6, SOCK_STREAM, 0);
    assert_true(b.listener >= 0);
    int one = 1;
    assert_int_equal(setsockopt(b.listener, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), 0);
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    assert_int_equal(bind(b.listener, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(b.listener, 0), 0);
    b.filler = connect_nonblocking(port);
    struct pollfd p = {b.filler, POLLOUT, 0};
    assert_int_equal(poll(&p, 1, 2000), 1); /* queued: the accept queue is full now */
    int probe = connect_nonblocking(port);
    struct pollfd q = {probe, POLLOUT, 0};
    int ready = poll(&q, 1, 300);
    close(probe);
    open_blackhole = b;
    if (ready != 0) {
        fprintf(stderr, "conn_driver: [::1]:%u answered a SYN with a full accept queue; no black hole here\n", port);
        fail();
    }
    return b;
}

static void blackhole_close(void) {
    if (open_blackhole.filler >= 0) close(open_blackhole.filler);
    if (open_blackhole.listener >= 0) close(open_blackhole.listener);
    open_blackhole.filler = open_blackhole.listener = -1;
}

static void test_happy_eyeballs(void **s) {
    (void)s;
    (void)blackhole_open((uint16_t)atoi(getenv("TT_IT_PORT_WS")));
    tt__resolver_set_lookup(he_lookup);
    char url[96];
    snprintf(url, sizeof url, "ws://" HE_NAME ":%s/echo", getenv("TT_IT_PORT_WS"));
    rec a = {.echo_on_open = 1}, b = {.echo_on_open = 1};
    uint64_t t0 = tt_now_ms();
    start(&a, url);
    start(&b, url);
    rec *all[] = {&a, &b, NULL};
    assert_int_equal(tt_poll_until(ended, all, CONNECT_TIMEOUT_MS + 5000, 20), 0);
    /* Both opened and echoed: no connect timeout, no error, although the first address never answers
     * and the first task's attempt to it holds that endpoint's lock. */
    assert_int_equal(tt_trace_match(&a.trace, ECHOED), 0);
    assert_int_equal(tt_trace_match(&b.trace, ECHOED), 0);
    fprintf(stderr, "  note: both tasks done %llu ms after the start (connect timeout %d ms)\n",
            (unsigned long long)(tt_now_ms() - t0), CONNECT_TIMEOUT_MS);
    tt_trace_free(&a.trace);
    tt_trace_free(&b.trace);
    blackhole_close();
}

/* Only the black hole: the connect timeout still ends the task. */
static int dead_lookup(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res) {
    (void)node;
    struct addrinfo h = *hints;
    h.ai_flags |= AI_NUMERICHOST;
    return getaddrinfo(BLACKHOLE, service, &h, res);
}

static void test_happy_eyeballs_timeout(void **s) {
    (void)s;
    const char *port = getenv("TT_IT_PORT_WS");
    (void)blackhole_open((uint16_t)atoi(port));
    tt__resolver_set_lookup(dead_lookup);
    char url[96];
    snprintf(url, sizeof url, "ws://dead.test:%s/", port);
    rec a = {0};
    a.trace.style = TT_TRACE_STYLE_RS;
    a.task = tt_connect_with((tt_connect_socket_options){.url = url, .timeout_ms = 700}, &rec_callbacks, &a);
    tt_tasks_track(a.task);
    rec *all[] = {&a, NULL};
    assert_int_equal(tt_poll_until(ended, all, 5000, 20), 0);
    static const char *const want[] = {"success connectSocket:ok", "complete connectSocket:ok",
                                       "error onSocketError: WebSocket connection timed out | * rs=3",
                                       "close 1006  not-clean rs=3", NULL};
    assert_int_equal(tt_trace_match(&a.trace, want), 0);
    tt_trace_free(&a.trace);
    blackhole_close();
}

/* Three addresses, two IPv4 then one IPv6, at a port where nothing listens. */
static int mixed_lookup(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res) {
    (void)node;
    const char *addrs[] = {"127.0.0.1", "127.0.0.2", "::1"};
    struct addrinfo h = *hints, *head = NULL, **end = &head;
    h.ai_flags |= AI_NUMERICHOST;
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        struct addrinfo *one = NULL;
        int rc = getaddrinfo(addrs[i], service, &h, &one);
        if (rc != 0) {
            if (head) freeaddrinfo(head);
            return rc;
        }
        *end = one;
        while (*end) end = &(*end)->ai_next;
    }
    *res = head;
    return 0;
}

/* A TCP port nothing listens on, in this namespace, on any address. */
static unsigned closed_port(void) {
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin6_port);
}

static void test_families_interleaved(void **s) {
    (void)s;
    tt__resolver_set_lookup(mixed_lookup);
    unsigned port = closed_port();
    char url[96], detail[160];
    snprintf(url, sizeof url, "ws://mixed.test:%u/", port);
    snprintf(detail, sizeof detail,
             "error onSocketError: WebSocket connection failed | connect: Connection refused (127.0.0.2:%u); "
             "3 addresses tried rs=3",
             port);
    rec a = {0};
    start(&a, url);
    rec *all[] = {&a, NULL};
    assert_int_equal(tt_poll_until(ended, all, 5000, 20), 0);
    const char *const want[] = {"success connectSocket:ok", "complete connectSocket:ok", detail,
                                "close 1006  not-clean rs=3", NULL};
    assert_int_equal(tt_trace_match(&a.trace, want), 0);
    tt_trace_free(&a.trace);
}

/* ---- fork -------------------------------------------------------------------------------------- */

static void send_text(tt_socket_task task, const char *text) {
    tt_send_options o;
    memset(&o, 0, sizeof o);
    o.type = TT_DATA_TEXT;
    o.data = text;
    o.length = strlen(text);
    tt_socket_task_send(task, &o);
}

static int is_open(void *arg) { return tt_trace_line_count(&((rec *)arg)->trace) >= 3; }

/* "slow.test" takes 500 ms to resolve to 127.0.0.1: its lookup is still running when the test forks. */
static _Atomic int slow_lookup_running;

static int slow_lookup(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res) {
    if (strcmp(node, "slow.test") != 0) return getaddrinfo(node, service, hints, res);
    slow_lookup_running = 1;
    poll(NULL, 0, 500);
    struct addrinfo h = *hints;
    h.ai_flags |= AI_NUMERICHOST;
    return getaddrinfo("127.0.0.1", service, &h, res);
}

static const char *const FAILED_IN_CHILD[] = {"success connectSocket:ok", "complete connectSocket:ok",
                                              "error onSocketError: WebSocket connection failed | fork: * rs=3",
                                              "close 1006  not-clean rs=3", NULL};

/* The child: its random bytes go to the pipe; exit status 0 when everything it checked held. */
static int child_main(int out, rec *inherited, rec *resolving, const char *url) {
    uint8_t mine[4];
    tt__random_bytes(mine, sizeof mine);
    if (write(out, mine, sizeof mine) != (ssize_t)sizeof mine) return 10;
    close(out);
    /* The inherited task fails at the first pass, without a byte on the parent's connection. */
    send_text(inherited->task, "from the child");
    rec *one[] = {inherited, resolving, NULL};
    if (tt_poll_until(ended, one, 5000, 20) != 0) return 11;
    if (tt_trace_match(&resolving->trace, FAILED_IN_CHILD) != 0) return 15;
    static const char *const failed[] = {
        "success connectSocket:ok",        "complete connectSocket:ok",
        "open protocol= extensions= rs=1", "error onSocketError: WebSocket connection failed | fork: * rs=3",
        "close 1006  not-clean rs=3",      NULL};
    if (tt_trace_match(&inherited->trace, failed) != 0) return 12;
    /* A connection of its own works. */
    rec own = {.echo_on_open = 1};
    start(&own, url);
    rec *two[] = {&own, NULL};
    if (tt_poll_until(ended, two, 5000, 20) != 0 || tt_trace_match(&own.trace, ECHOED) != 0) return 13;
    tt_runtime_shutdown();
    tt_trace_free(&own.trace);
    tt_trace_free(&inherited->trace);
    tt_trace_free(&resolving->trace);
    /* Everything the library allocated is back, the parent's running lookup included. */
    if (tt__alloc_live() != alloc_baseline) {
        fprintf(stderr, "child: %ld allocations still live after shutdown\n", tt__alloc_live() - alloc_baseline);
        return 14;
    }
    return 0;
}

static void test_fork(void **s) {
    (void)s;
    char url[96];
    snprintf(url, sizeof url, "ws://127.0.0.1:%s/echo", getenv("TT_IT_PORT_WS"));
    rec r = {0};
    start(&r, url);
    assert_int_equal(tt_poll_until(is_open, &r, 5000, 20), 0);
    tt__resolver_set_lookup(slow_lookup);
    char slow_url[96];
    snprintf(slow_url, sizeof slow_url, "ws://slow.test:%s/echo", getenv("TT_IT_PORT_WS"));
    rec slow = {.echo_on_open = 1};
    slow_lookup_running = 0;
    start(&slow, slow_url);
    for (int i = 0; i < 200 && !slow_lookup_running; i++) poll(NULL, 0, 5);
    assert_true(slow_lookup_running); /* a worker is inside the lookup; it answers after 500 ms */
    /* Draw one byte so that the core's pool holds unused bytes at the fork. */
    uint8_t one;
    tt__random_bytes(&one, 1);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        exit(child_main(fds[1], &r, &slow, url)); /* exit(), not _exit(): LeakSanitizer checks the child too */
    }
    close(fds[1]);
    uint8_t theirs[4], mine[4];
    assert_int_equal(read(fds[0], theirs, sizeof theirs), (ssize_t)sizeof theirs);
    close(fds[0]);
    tt__random_bytes(mine, sizeof mine);
    assert_memory_not_equal(mine, theirs, sizeof mine);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* The parent's task was not touched by the child: it still echoes, and closes cleanly. */
    r.echo_on_open = 1;
    send_text(r.task, "hi");
    rec *all[] = {&r, &slow, NULL};
    assert_int_equal(tt_poll_until(ended, all, 5000, 20), 0);
    static const char *const want[] = {"success connectSocket:ok",
                                       "complete connectSocket:ok",
                                       "open protocol= extensions= rs=1",
                                       "message text 2 hi rs=1",
                                       "result closeSocket:ok",
                                       "close 1000  clean rs=3",
                                       NULL};
    assert_int_equal(tt_trace_match(&r.trace, want), 0);
    assert_int_equal(tt_trace_match(&slow.trace, ECHOED), 0); /* its lookup finished in the parent */
    tt_trace_free(&r.trace);
    tt_trace_free(&slow.trace);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_happy_eyeballs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_happy_eyeballs_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_families_interleaved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork, setup, teardown),
    };
    return cmocka_run_group_tests_name("integration.conn", tests, NULL, NULL);
}
