/*
 * sim/check/dedup.c: signatures and duplicates (see dedup.h).
 */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

#include "crash.h"

#define MEDIA_SIG_SALT 0x6d656469615f6661ull   /* "media_fa": media states sign apart. */
#define MOUNT_SIG_BASIS 0xcbf29ce484222325ull   /* FNV-1a's offset basis. */
#define MOUNT_SIG_PRIME 0x100000001b3ull        /* FNV-1a's prime. */

/* What a state's signature is salted with for the label it is recovered by:
 * 0 for "main", so states of traces without a mount step sign as ever. */
static uint64_t
mount_salt(const struct recording *rec, const struct crash_state *s)
{
    if (rec->mount_count <= 1) {
        return 0;
    }
    uint32_t lo, hi;
    recording_legal(rec, s->cut, &lo, &hi);
    const char *name = recording_mounted(rec, lo, hi)->name;
    uint64_t h = MOUNT_SIG_BASIS;
    for (size_t i = 0; name[i] != '\0'; i++) {     /* Bounded: FS_NAME_MAX bytes. */
        h = (h ^ (uint8_t)name[i]) * MOUNT_SIG_PRIME;
    }
    return strcmp(name, "main") == 0 ? 0 : h;
}

static int
dedup_alloc(struct dedup *d, size_t count)
{
    memset(d, 0, sizeof(*d));
    d->sigs = malloc(count * sizeof(uint64_t) + 1);
    d->dup_of = malloc(count * sizeof(uint32_t) + 1);
    d->next_dup = malloc(count * sizeof(uint32_t) + 1);
    if (d->sigs == NULL || d->dup_of == NULL || d->next_dup == NULL) {
        dedup_free(d);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        d->dup_of[i] = d->next_dup[i] = CRASH_NONE;
    }
    return 0;
}

/* Files state i under its signature in an open-addressed table of originals. */
static void
dedup_file(struct dedup *d, uint32_t *table, size_t size, uint32_t i)
{
    ASSERT((size & (size - 1)) == 0);
    uint64_t sig = d->sigs[i];
    size_t h = (size_t)(sig ^ (sig >> 29)) & (size - 1);
    for (size_t probes = 0; table[h] != CRASH_NONE && d->sigs[table[h]] != sig; probes++) {
        ASSERT(probes < size);                  /* The table is at most half full. */
        h = (h + 1) & (size - 1);
    }
    if (table[h] == CRASH_NONE) {
        table[h] = i;
        d->distinct++;
        return;
    }
    uint32_t orig = table[h];
    d->dup_of[i] = orig;
    d->next_dup[i] = d->next_dup[orig];
    d->next_dup[orig] = i;
}

int
dedup_states(const struct recording *rec, const struct crash_state *states, size_t count,
        struct dedup *out)
{
    ASSERT(count < CRASH_NONE);
    ASSERT(rec != NULL);
    struct crash_view v;
    if (dedup_alloc(out, count) != 0 || crash_view_init(&v, &rec->dev.disk) != 0) {
        dedup_free(out);
        return -1;
    }
    size_t size = 1;
    while (size < 2 * count + 2) {
        size <<= 1;
    }
    uint32_t *table = malloc(size * sizeof(uint32_t));
    if (table == NULL) {
        crash_view_deinit(&v);
        dedup_free(out);
        return -1;
    }
    memset(table, 0xff, size * sizeof(uint32_t));
    for (size_t i = 0; i < count; i++) {
        int rc = crash_view_set(&v, &states[i]);
        ASSERT(rc == 0);                        /* The planner made the states from this log. */
        out->sigs[i] = v.state_sig ^ (states[i].media != MEDIA_NONE ? MEDIA_SIG_SALT : 0)
            ^ mount_salt(rec, &states[i]);
        dedup_file(out, table, size, (uint32_t)i);
    }
    free(table);
    crash_view_deinit(&v);
    return 0;
}

void
dedup_free(struct dedup *d)
{
    free(d->sigs);
    free(d->dup_of);
    free(d->next_dup);
    memset(d, 0, sizeof(*d));
}
