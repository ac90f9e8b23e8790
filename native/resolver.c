/*
 * Host name lookups on a small pool of worker threads, so that a slow or unresolvable name never holds
 * up the game thread or another task. See native.h for the contract.
 *
 * Ownership: requests are allocated and freed on the game thread only (the library allocator is not
 * thread-safe). A request lives on exactly one list (the library's intrusive list, src/list.h): pending
 * (not taken yet), running (a worker is in getaddrinfo; listed so that a forked child can find it), done
 * (result ready). Workers move requests pending -> running -> done under the mutex and read only the
 * immutable host/port of a request; the game thread owns the `cancelled` and `user` fields. Workers and
 * the eventfd live for the rest of the process once started: a lookup in flight at runtime shutdown is
 * simply dropped when it completes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "list.h"
#include "native.h"
#include "tt_internal.h"

/* Enough parallel lookups for a game; more requests simply queue. */
#define TT__RESOLVER_THREADS 4

struct tt__resolve_req {
    tt__list node;                   /* in pending, running or done */
    char host[TT__DNS_NAME_MAX + 2]; /* with a trailing dot and the NUL */
    char service[8];
    /* Written by the worker before the request moves to `done`. */
    int gai_error;
    struct addrinfo *result;
    /* Game thread only. */
    void *user;
    int cancelled;
    int queued; /* 1 while on the pending list (not taken by a worker): cancel() may free it at once */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static tt__list pending = {&pending, &pending}, running = {&running, &running}, done = {&done, &done};
static int workers, idle_workers;
static int event_fd = -1;

/* Tests replace getaddrinfo() to hand out address lists a real resolver would not (tt__resolver_set_lookup). */
static tt__lookup_fn *lookup;

void tt__resolver_set_lookup(tt__lookup_fn *fn) { lookup = fn; }

static tt__resolve_req *list_pop(tt__list *l) {
    tt__list *n = tt__list_first(l);
    if (n == NULL) return NULL;
    tt__list_remove(n);
    return TT__LIST_ENTRY(n, tt__resolve_req, node);
}

static void signal_done_locked(void) {
    uint64_t one = 1;
    ssize_t n;
    do n = write(event_fd, &one, sizeof one);
    while (n < 0 && errno == EINTR);
    /* EAGAIN means the counter is already non-zero: the game thread will wake anyway. */
}

static void *worker_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        tt__resolve_req *r = list_pop(&pending);
        if (r == NULL) {
            idle_workers++;
            pthread_cond_wait(&wake, &lock);
            idle_workers--;
            continue;
        }
        r->queued = 0;
        tt__list_push_back(&running, &r->node);
        pthread_mutex_unlock(&lock);

        struct addrinfo hints;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_protocol = IPPROTO_TCP;
        hints.ai_flags = AI_NUMERICSERV;
        struct addrinfo *result = NULL;
        int err = (lookup ? lookup : getaddrinfo)(r->host, r->service, &hints, &result);

        pthread_mutex_lock(&lock);
        tt__list_remove(&r->node); /* from running */
        r->gai_error = err;
        r->result = err == 0 ? result : NULL;
        tt__list_push_back(&done, &r->node);
        signal_done_locked();
    }
    return NULL;
}

/*
 * fork(): the lock is held across it, so the child's copy of the lists is consistent. The child has no
 * workers (threads do not survive fork) and must not share the eventfd with its parent, whose workers
 * would wake it: it starts workers and a new eventfd on demand. Lookups a parent's worker was running
 * never finish in the child: they are finished there as failed (EAI_AGAIN), so that collect() hands them
 * back and frees them; their connections fail in the child anyway (see the transport's fork rule).
 */
static void fork_prepare(void) { pthread_mutex_lock(&lock); }
static void fork_parent(void) { pthread_mutex_unlock(&lock); }
static void fork_child(void) {
    workers = idle_workers = 0;
    for (tt__resolve_req *r; (r = list_pop(&running)) != NULL;) {
        r->gai_error = EAI_AGAIN;
        r->result = NULL;
        tt__list_push_back(&done, &r->node);
    }
    if (event_fd >= 0) close(event_fd);
    event_fd = -1;
    pthread_mutex_unlock(&lock);
}
static void register_fork_handlers(void) { (void)pthread_atfork(fork_prepare, fork_parent, fork_child); }

int tt__resolver_fd(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_fork_handlers);
    pthread_mutex_lock(&lock);
    if (event_fd < 0) {
        event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (event_fd >= 0 && !tt__list_empty(&done)) signal_done_locked(); /* lookups finished in a forked child */
    }
    int fd = event_fd;
    pthread_mutex_unlock(&lock);
    return fd;
}

/* 1 when host[0..len), without a trailing dot, is label or ends in "." label (case-insensitive). */
static int is_under(const char *host, size_t len, const char *label) {
    size_t n = strlen(label);
    if (len > 0 && host[len - 1] == '.') len--;
    if (len < n || !tt__ascii_ieq(host + len - n, label, n)) return 0;
    return len == n || host[len - n - 1] == '.';
}

/* Names that never resolve, answered without asking anyone: "invalid" and every name under it
 * (RFC 6761 section 6.4), and names longer than DNS allows. */
static int never_resolves(const char *host, size_t len) {
    size_t name_len = len > 0 && host[len - 1] == '.' ? len - 1 : len;
    return name_len > TT__DNS_NAME_MAX || is_under(host, len, "invalid");
}

tt__resolve_req *tt__resolver_start(const char *host, size_t host_len, uint16_t port, void *user) {
    if (tt__resolver_fd() < 0) return NULL;
    tt__resolve_req *r = tt__calloc(1, sizeof *r);
    if (r == NULL) return NULL;
    int fail_now = never_resolves(host, host_len);
    /* RFC 6761 section 6.3: the system knows "localhost"; "localhost." or "a.localhost" it may not. */
    if (is_under(host, host_len, "localhost")) {
        host = "localhost";
        host_len = strlen(host);
    }
    if (!fail_now) memcpy(r->host, host, host_len);
    r->host[fail_now ? 0 : host_len] = '\0';
    snprintf(r->service, sizeof r->service, "%u", (unsigned)port);
    r->user = user;

    pthread_mutex_lock(&lock);
    if (fail_now) {
        r->gai_error = EAI_NONAME;
        tt__list_push_back(&done, &r->node);
        signal_done_locked();
        pthread_mutex_unlock(&lock);
        return r;
    }
    if (idle_workers == 0 && workers < TT__RESOLVER_THREADS) {
        pthread_attr_t attr;
        pthread_t thread;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 256 * 1024);
        if (pthread_create(&thread, &attr, worker_main, NULL) == 0) workers++;
        pthread_attr_destroy(&attr);
        if (workers == 0) {
            pthread_mutex_unlock(&lock);
            tt__free(r);
            return NULL;
        }
    }
    tt__list_push_back(&pending, &r->node);
    r->queued = 1;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    return r;
}

void tt__resolver_cancel(tt__resolve_req *req) {
    if (req == NULL) return;
    req->cancelled = 1;
    req->user = NULL;
    pthread_mutex_lock(&lock);
    int removed = req->queued;
    if (removed) tt__list_remove(&req->node);
    req->queued = 0;
    pthread_mutex_unlock(&lock);
    /* Not taken by a worker yet: nobody else knows it. Otherwise collect() frees it later. */
    if (removed) tt__free(req);
}

int tt__resolver_collect(void (*done_cb)(void *user, int gai_error, struct addrinfo *result)) {
    if (event_fd < 0) return 0;
    uint64_t counter;
    ssize_t n;
    do n = read(event_fd, &counter, sizeof counter);
    while (n < 0 && errno == EINTR);

    /* Take the finished requests under the lock; the callbacks run without it. */
    tt__list finished;
    tt__list_init(&finished);
    pthread_mutex_lock(&lock);
    for (tt__resolve_req *r; (r = list_pop(&done)) != NULL;) tt__list_push_back(&finished, &r->node);
    pthread_mutex_unlock(&lock);

    int calls = 0;
    for (tt__resolve_req *r; (r = list_pop(&finished)) != NULL;) {
        if (r->cancelled) {
            if (r->result) freeaddrinfo(r->result);
        } else {
            done_cb(r->user, r->gai_error, r->result);
            calls++;
        }
        tt__free(r);
    }
    return calls;
}
