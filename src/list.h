/*
 * The one intrusive list of the library: a circular doubly linked list whose links live inside the
 * objects it holds, so that adding or removing never allocates and removal is O(1) from any position.
 *
 * A list is a tt__list head whose prev/next point at itself when empty; an element embeds a tt__list
 * node and is found from it with TT__LIST_ENTRY (the containing object, like the kernel's container_of).
 * A node that is in no list has both links NULL (zero-initialised objects start that way), which lets
 * tt__list_linked answer "is it queued?" without a separate flag. Every function here is static inline:
 * the list is a few pointer moves and the callers are on hot paths (the dispatch queue, dirty connections).
 */
#ifndef TT_LIST_H
#define TT_LIST_H

#include <stddef.h>

typedef struct tt__list {
    struct tt__list *prev, *next;
} tt__list;

/* The object of type `type` whose member `member` is the node `node`. */
#define TT__LIST_ENTRY(node, type, member) ((type *)(void *)((char *)(node)-offsetof(type, member)))

/* Iterates the nodes of `head` in order; `it` must not be removed inside the body (see the _SAFE form). */
#define TT__LIST_FOREACH(it, head) for (tt__list *it = (head)->next; it != (head); it = it->next)

/* Iterates in order while allowing the body to remove `it` (the next node is read before the body runs). */
#define TT__LIST_FOREACH_SAFE(it, nx, head) \
    for (tt__list *it = (head)->next, *nx = it->next; it != (head); it = nx, nx = it->next)

static inline void tt__list_init(tt__list *head) { head->prev = head->next = head; }

static inline int tt__list_empty(const tt__list *head) { return head->next == head; }

static inline int tt__list_linked(const tt__list *node) { return node->next != NULL; }

static inline tt__list *tt__list_first(const tt__list *head) { return head->next == head ? NULL : head->next; }

static inline void tt__list_insert_after(tt__list *pos, tt__list *node) {
    node->prev = pos;
    node->next = pos->next;
    pos->next->prev = node;
    pos->next = node;
}

static inline void tt__list_push_back(tt__list *head, tt__list *node) { tt__list_insert_after(head->prev, node); }

static inline void tt__list_push_front(tt__list *head, tt__list *node) { tt__list_insert_after(head, node); }

/* Unlinks `node` from whatever list holds it and marks it unlinked; a no-op on an unlinked node. */
static inline void tt__list_remove(tt__list *node) {
    if (node->next == NULL) return;
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->prev = node->next = NULL;
}

#endif
