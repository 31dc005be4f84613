/*
 * sim/campaign/features.c: feature names, buckets and sets (see features.h).
 */
#include "features.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../../fs/probes.h"

static const char *const source_words[FEATURE_SOURCE_COUNT] = {
#define X(id, word, when) word,
    FEATURE_SOURCES(X)
#undef X
};

const char *
feature_source_word(enum feature_source s)
{
    ASSERT(s < FEATURE_SOURCE_COUNT);
    ASSERT(source_words[s] != NULL);
    return source_words[s];
}

bool
feature_bucket(uint64_t value, char *buf, size_t size)
{
    ASSERT(buf != NULL && size > 0);
    if (value == 0) {
        return false;
    }
    if (value < 4) {
        snprintf(buf, size, "%" PRIu64, value);
        return true;
    }
    uint64_t lo = 4;
    while (lo <= value / 2) {       /* Bounded: 62 doublings at most. */
        lo *= 2;
    }
    ASSERT(lo <= value && value - lo < lo);
    snprintf(buf, size, "%" PRIu64 "-%" PRIu64, lo, 2 * lo - 1);
    return true;
}

/* Index of the first name >= name. */
static uint32_t
featset_lower(const struct featset *set, const char *name)
{
    uint32_t lo = 0, hi = set->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (strcmp(set->names[mid], name) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

bool
featset_has(const struct featset *set, const char *name)
{
    uint32_t i = featset_lower(set, name);
    return i < set->count && strcmp(set->names[i], name) == 0;
}

bool
featset_add(struct featset *set, const char *name)
{
    ASSERT(strlen(name) < FEATURE_NAME_SIZE);
    uint32_t i = featset_lower(set, name);
    if (i < set->count && strcmp(set->names[i], name) == 0) {
        return false;
    }
    if (set->count == set->cap) {
        uint32_t cap = set->cap ? 2 * set->cap : 256;
        char **n = realloc(set->names, cap * sizeof(char *));
        ASSERT(n != NULL);
        set->names = n;
        set->cap = cap;
    }
    char *copy = strdup(name);
    ASSERT(copy != NULL);
    memmove(&set->names[i + 1], &set->names[i], (set->count - i) * sizeof(char *));
    set->names[i] = copy;
    set->count++;
    return true;
}

void
featset_free(struct featset *set)
{
    for (uint32_t i = 0; i < set->count; i++) {
        free(set->names[i]);
    }
    free(set->names);
    memset(set, 0, sizeof(*set));
}

void
feature_emit(FILE *out, enum feature_source s, const char *name)
{
    ASSERT(out != NULL && name != NULL);
    fprintf(out, "F %s:%s\n", feature_source_word(s), name);
}

void
feature_emit_reach(FILE *out, enum feature_source s, const struct fs_reach *r)
{
    ASSERT(r->arena_count >= 1);
    char name[48], bucket[40], feature[FEATURE_NAME_SIZE];
    uint64_t value;
    for (uint32_t i = 0; fs_reach_entry(r, i, name, sizeof(name), &value); i++) {
        bool counted = i != FS_REACH_TREE_PIVOT_FILL_CAP && strncmp(name, "arena.", 6) != 0;
        if (counted && feature_bucket(value, bucket, sizeof(bucket))) {
            snprintf(feature, sizeof(feature), "%s=%s", name, bucket);
            feature_emit(out, s, feature);
        }
    }
}

void
feature_emit_probes(FILE *out, enum feature_source s, uint64_t probes)
{
    ASSERT(FS_PROBE_COUNT <= 64);
    for (uint32_t i = 0; i < FS_PROBE_COUNT; i++) {
        if ((probes >> i) & 1) {
            feature_emit(out, s, fs_probe_name(i));
        }
    }
}
