/*
 * sim/campaign/mutate.h: the mutations of crashsim gen guided: one trace
 * made from another (docs/GEN.md).
 *
 * Each mutation is a row of MUTATIONS below, with the word that names it in
 * a kept workload's file name. They change a trace's steps only; whether a
 * step still does what it says is not their concern: the evaluation runs
 * the result and writes each step's actual result into its expect=
 * (sim/campaign/guided.c), so a mutated trace is a valid workload whatever
 * the mutation did to its namespace.
 *
 * Every choice is drawn from one splitmix64 stream (traces/prng.h) the
 * caller owns, so the same stream state and corpus give the same mutation.
 * Results are bounded: at most MUTATE_STEPS_MAX steps (the tail beyond is
 * cut), writes of at most MUTATE_WRITE_MAX bytes, names of at most
 * FS_NAME_MAX bytes and paths within TRACE_PATH_MAX.
 */
#ifndef SIM_CAMPAIGN_MUTATE_H
#define SIM_CAMPAIGN_MUTATE_H

#include <stdint.h>

#include "../../traces/trace.h"

/* id, word, what it does. */
#define MUTATIONS(X) \
    X(RANDOM,   "random",   "insert the steps of a short random workload (traces/gen.c)") \
    X(ACE,      "ace",      "insert the steps of an ACE workload of length 1 or 2 (traces/ace.c)") \
    X(SPLICE,   "splice",   "keep a prefix, then a suffix of another corpus trace") \
    X(DELETE,   "delete",   "delete a run of 1 to 8 steps") \
    X(REPEAT,   "repeat",   "repeat a run of 1 to 16 steps right after itself") \
    X(ARGUMENT, "argument", "change one step's offset, length, seed, name, label or tick")

enum mutation {
#define X(id, word, what) MUTATION_##id,
    MUTATIONS(X)
#undef X
    MUTATION_COUNT
};

#define MUTATE_STEPS_MAX 400u           /* Steps of a mutated trace, at most. */
#define MUTATE_WRITE_MAX (256u << 10)   /* Bytes of a write or grow a mutation makes. */

/* The word of a mutation ("splice"). */
const char *mutation_word(enum mutation m);

/* Applies mutation m to t, drawing from *rng; corpus (count traces) gives
 * splice its other trace. 0, or FS_ENOMEM (t is then unchanged or cut, but
 * valid). A mutation that has nothing to act on (a delete of an empty trace)
 * inserts random steps instead and returns MUTATION_RANDOM in *done. */
int mutate(struct trace *t, enum mutation m, uint64_t *rng, const struct trace *const *corpus,
        uint32_t count, enum mutation *done);

/* A copy of src's steps into dst (name too). 0 or FS_ENOMEM. */
int mutate_copy(struct trace *dst, const struct trace *src);

#endif /* SIM_CAMPAIGN_MUTATE_H */
