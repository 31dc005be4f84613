/*
 * sim/check/dedup.h: crash states that read identical bytes are checked
 * once.
 *
 * Each state is set on one crash view (sim/check/crash.h), built
 * incrementally from the previous state, and takes the view's signature: an
 * order-independent hash of the blocks that differ from the base image, so
 * equal signatures mean identical images. The first state of each signature
 * is the original, checked; the others are its duplicates, chained to it, and
 * inherit its result. Media-fault states are judged by other rules
 * (sim/check/checker.h), so their signatures are salted: they share results
 * only among themselves. So are states recovered by mounting a label other
 * than "main" (a mount step of the trace, sim/record/runner.h), by the
 * label's name: the same bytes mounted by another label are another state.
 */
#ifndef SIM_CHECK_DEDUP_H
#define SIM_CHECK_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "../../faultinject/plan.h"
#include "../record/runner.h"

struct dedup {
    uint64_t *sigs;         /* Per state: its image's signature. */
    uint32_t *dup_of;       /* Per state: the original checked instead, or CRASH_NONE. */
    uint32_t *next_dup;     /* Per state: the next duplicate of its original, or CRASH_NONE. */
    uint64_t distinct;      /* Originals: states that are checked. */
};

/* Signs states[0..count) of the recording (its disk's base and log, the
 * label each state mounts) and links duplicates to their originals. 0, or -1
 * when memory runs out (*out is then empty). */
int dedup_states(const struct recording *rec, const struct crash_state *states, size_t count,
        struct dedup *out);
void dedup_free(struct dedup *d);

#endif /* SIM_CHECK_DEDUP_H */
