/*
 * The task table: where the task with a given socketTaskId is. Open addressing on the id with linear
 * probing and a power-of-two capacity kept under 3/4 full, so a lookup (one per up-call and per API call,
 * inline in core.h for that reason) is a multiplication and, almost always, one probe.
 */
#include "core.h"
#include "tt_internal.h"

static void table_place(tt__task **slots, size_t capacity, tt__task *t) {
    size_t i = tt__table_slot(t->id, capacity);
    while (slots[i] != NULL) i = (i + 1) & (capacity - 1);
    slots[i] = t;
}

int tt__table_insert(tt__table *table, tt__task *t) {
    if ((table->count + 1) * 4 > table->capacity * 3) { /* keep the load under 3/4 */
        size_t cap = table->capacity ? table->capacity * 2 : 16;
        tt__task **slots = tt__calloc(cap, sizeof *slots);
        if (slots == NULL) return TT_ENOMEM;
        for (size_t i = 0; i < table->capacity; i++)
            if (table->slots[i]) table_place(slots, cap, table->slots[i]);
        tt__free(table->slots);
        table->slots = slots;
        table->capacity = cap;
    }
    table_place(table->slots, table->capacity, t);
    table->count++;
    return 0;
}

/* Removes t, re-placing the rest of its probe run so later lookups still find them. */
void tt__table_remove(tt__table *table, tt__task *t) {
    size_t mask = table->capacity - 1;
    size_t i = tt__table_slot(t->id, table->capacity);
    while (table->slots[i] != t) i = (i + 1) & mask;
    table->slots[i] = NULL;
    if (table->last == t) table->last = NULL;
    table->count--;
    for (size_t j = (i + 1) & mask; table->slots[j] != NULL; j = (j + 1) & mask) {
        tt__task *moved = table->slots[j];
        table->slots[j] = NULL;
        table_place(table->slots, table->capacity, moved);
    }
}

void tt__table_free(tt__table *table) {
    tt__free(table->slots);
    table->slots = NULL;
    table->last = NULL;
    table->capacity = table->count = 0;
}
