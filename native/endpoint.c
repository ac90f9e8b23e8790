/*
 * Endpoint locks: which connection attempt may connect to an IP:port now.
 *
 * Like Chromium (RFC 6455 section 4.1, step 2), at most one connection per IP:port is in its opening
 * phase at a time: from connect() until the opening handshake has succeeded or the connection is gone.
 * Locks are taken by attempts: an attempt whose address is locked waits (no socket yet) in FIFO order;
 * the lock passes to the first waiter, which connects at the next pass. A waiting attempt is an attempt
 * under way, so the connection's next address still gets its turn after the attempt delay: a
 * black-holed address holds up only the attempts to that very address. The winning attempt keeps its
 * lock until the opening handshake is over. The tt timeout keeps running in the core meanwhile. A lock
 * exists only while it is held.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "conn.h"
#include "tt_internal.h"

struct tt__endpoint {
    tt__list node;           /* in tt__loop.endpoints */
    uint8_t key[1 + 2 + 16]; /* family, port, address */
    uint8_t key_len;
    tt__attempt *holder;
    tt__list waiters; /* attempts queued for the lock, first come first served */
};

static uint8_t endpoint_key(const struct addrinfo *ai, uint8_t *key) {
    key[0] = (uint8_t)ai->ai_family;
    if (ai->ai_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ai->ai_addr;
        memcpy(key + 1, &a->sin6_port, 2);
        memcpy(key + 3, &a->sin6_addr, 16);
        return 19;
    }
    const struct sockaddr_in *a = (const struct sockaddr_in *)ai->ai_addr;
    memcpy(key + 1, &a->sin_port, 2);
    memcpy(key + 3, &a->sin_addr, 4);
    return 7;
}

/* The lock of key[0..len), created (unheld) when nobody holds or waits for it; NULL when out of memory. */
static tt__endpoint *endpoint_get(const uint8_t *key, uint8_t len) {
    TT__LIST_FOREACH(n, &tt__loop.endpoints) {
        tt__endpoint *ep = TT__LIST_ENTRY(n, tt__endpoint, node);
        if (ep->key_len == len && memcmp(ep->key, key, len) == 0) return ep;
    }
    tt__endpoint *ep = tt__calloc(1, sizeof *ep);
    if (ep == NULL) return NULL;
    memcpy(ep->key, key, len);
    ep->key_len = len;
    tt__list_init(&ep->waiters);
    tt__list_push_front(&tt__loop.endpoints, &ep->node);
    return ep;
}

int tt__ep_acquire(tt__attempt *a) {
    const struct addrinfo *ai = a->ai;
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) return 1;
    if (a->ep && !tt__list_linked(&a->ep_node)) return 1; /* it holds the lock already */
    uint8_t key[sizeof((tt__endpoint *)0)->key];
    uint8_t len = endpoint_key(ai, key);
    tt__endpoint *ep = endpoint_get(key, len);
    if (ep == NULL) return 1; /* out of memory: connect without the lock rather than fail */
    a->ep = ep;
    if (ep->holder == NULL) {
        ep->holder = a;
        return 1;
    }
    a->state = TT__AT_QUEUED;
    tt__list_push_back(&ep->waiters, &a->ep_node);
    return 0;
}

void tt__ep_release(tt__attempt *a) {
    tt__endpoint *ep = a->ep;
    if (ep == NULL) return;
    a->ep = NULL;
    if (tt__list_linked(&a->ep_node)) {
        tt__list_remove(&a->ep_node);
    } else if (ep->holder == a) {
        tt__list *first = tt__list_first(&ep->waiters);
        ep->holder = first ? TT__LIST_ENTRY(first, tt__attempt, ep_node) : NULL;
        if (first) {
            tt__list_remove(first);
            ep->holder->state = TT__AT_WOKEN;
            tt__loop_mark_dirty(ep->holder->conn);
        }
    }
    if (ep->holder == NULL && tt__list_empty(&ep->waiters)) {
        tt__list_remove(&ep->node);
        tt__free(ep);
    }
}
