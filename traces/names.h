/*
 * traces/names.h: finding a name in a table of names — the one lookup behind
 * every X-macro table that is parsed from text (device models, sync
 * profiles, outcomes, ...).
 *
 * A table is an array of entries whose first member is the name (a const
 * char *); stride is the size of an entry, so a plain array of names and an
 * array of structs are searched alike. Tables are small and fixed, so the
 * search is linear.
 */
#ifndef TRACES_NAMES_H
#define TRACES_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../fs/base.h"

/* The index of name in table[0..count), or -1 when no entry has it. */
static inline int32_t
names_find(const void *table, size_t stride, uint32_t count, const char *name)
{
    ASSERT(table != NULL && name != NULL);
    ASSERT(stride >= sizeof(const char *) && count <= INT32_MAX);
    for (uint32_t i = 0; i < count; i++) {
        const char *entry;
        memcpy(&entry, (const char *)table + (size_t)i * stride, sizeof(entry));
        if (entry != NULL && strcmp(entry, name) == 0) {
            return (int32_t)i;
        }
    }
    return -1;
}

#endif /* TRACES_NAMES_H */
