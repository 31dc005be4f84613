/*
 * sim/campaign/features.h: what a workload reached, as a set of named
 * features, for crashsim gen guided (docs/GEN.md).
 *
 * A feature is a string "SOURCE:NAME" or "SOURCE:NAME=BUCKET". SOURCE says
 * where it was seen (FEATURE_SOURCES below, the one table of them); NAME is
 * a probe of fs/probes.h, a counter of fs/reach.h or an outcome of
 * sim/check/outcome.h, each named by its own table; BUCKET is a counter's
 * value bucketed as AFL buckets hit counts: 1, 2, 3, 4-7, 8-15, 16-31, and
 * so on by powers of two. A counter at 0 is no feature. So a trace that
 * builds a log chain of five blocks reaches "run:log.chain_max=4-7", and
 * one whose crash states recover a cut log "check:log.truncate_tail".
 *
 * Which counters count: every counter of FS_REACH_COUNTERS but
 * tree.pivot_fill_cap (a constant of the geometry), and the nodes of each
 * tree level; the per-arena rows are left out, since their maxima over the
 * arenas are counters already and a fixed geometry gains nothing from the
 * arena's number.
 *
 * A set is a sorted array of owned strings: membership by binary search,
 * insertion in order, so listing a set is deterministic and sorted.
 */
#ifndef SIM_CAMPAIGN_FEATURES_H
#define SIM_CAMPAIGN_FEATURES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../../fs/reach.h"

/* Where a feature was seen: id, the SOURCE word, when. */
#define FEATURE_SOURCES(X) \
    X(RUN,       "run",       "fs_reach after the trace ran and committed on a fresh image") \
    X(RECORD,    "record",    "probes hit while the trace was recorded") \
    X(CHECK,     "check",     "probes hit while crash states were recovered and checked") \
    X(RECOVERED, "recovered", "fs_reach of a recovered crash state after its post-recovery "  \
                              "workload") \
    X(OUTCOME,   "outcome",   "the checker's outcome of a crash state")

enum feature_source {
#define X(id, word, when) FEATURE_##id,
    FEATURE_SOURCES(X)
#undef X
    FEATURE_SOURCE_COUNT
};

#define FEATURE_NAME_SIZE 128u      /* Bytes of a feature string, NUL included. */

struct featset {
    char **names;               /* Sorted, owned, distinct. */
    uint32_t count;             /* Entries. */
    uint32_t cap;               /* Allocated. */
};

/* The SOURCE word of a source ("run"). */
const char *feature_source_word(enum feature_source s);

/* The bucket of a counter value as "1", "2", "3", "4-7", "8-15", ...; false
 * for 0 (no feature). */
bool feature_bucket(uint64_t value, char *buf, size_t size);

/* True if set holds name. */
bool featset_has(const struct featset *set, const char *name);
/* Adds name (copied); true if it was not there. Running out of memory for
 * a set of a few thousand short strings is an ASSERT. */
bool featset_add(struct featset *set, const char *name);
void featset_free(struct featset *set);

/* Writes the features of r seen at source s, one "F SOURCE:NAME=BUCKET" line
 * each, to out (the pipe of an evaluation, sim/campaign/guided.c). */
void feature_emit_reach(FILE *out, enum feature_source s, const struct fs_reach *r);
/* The same for each probe bit of a fs_probes_take() bitmap. */
void feature_emit_probes(FILE *out, enum feature_source s, uint64_t probes);
/* One feature without a bucket: "F SOURCE:NAME". */
void feature_emit(FILE *out, enum feature_source s, const char *name);

#endif /* SIM_CAMPAIGN_FEATURES_H */
