/*
 * sim/campaign/regress.h: the regression corpus — crash states pinned with the
 * outcome each must produce.
 *
 * A case is a trace file (traces/FORMAT.md) whose "#@" comment lines say how
 * to record it and what to expect, so the same file also runs with
 * `crashsim run`:
 *     #@ model torn                  device model (ordered, writeback, torn, hostile)
 *     #@ profile faithful            faithful or hardened
 *     #@ size 8M                     image size; block-size and arenas likewise
 *     #@ wlog 0123456789abcdef       hash of the write log the ids refer to
 *     #@ state w47-torn46s1z unmountable    a state and the outcome it must give
 *     #@ state w19/w12 ok            a nested state (sim/check/nested.h) likewise
 *     #@ catches REPLAY_PAST_BARRIER a seeded bug (fs/mutants.h) this case exposes
 * The format is documented in traces/regress/README.md.
 */
#ifndef SIM_CAMPAIGN_REGRESS_H
#define SIM_CAMPAIGN_REGRESS_H

#include <stdio.h>

#include "../../faultinject/plan.h"
#include "../check/nested.h"
#include "../check/outcome.h"
#include "../record/runner.h"

#define REGRESS_STATES_MAX 64u

/* The "#@" directives, by the key a line starts with. */
#define REGRESS_DIRECTIVES(X) \
    X(MODEL,      "model")      /* Device model of the states. */ \
    X(PROFILE,    "profile")    /* faithful or hardened. */ \
    X(SIZE,       "size")       /* Image size. */ \
    X(BLOCK_SIZE, "block-size") /* Block size. */ \
    X(ARENAS,     "arenas")     /* Arena count. */ \
    X(WLOG,       "wlog")       /* Hash of the write log the ids refer to. */ \
    X(STATE,      "state")      /* A state and the outcome it must give. */ \
    X(CATCHES,    "catches")    /* The seeded bug the case exposes. */

enum regress_directive {
#define X(id, name) REGRESS_DIR_##id,
    REGRESS_DIRECTIVES(X)
#undef X
    REGRESS_DIR_COUNT
};

/* "model", "state", ... */
const char *regress_directive_name(enum regress_directive d);

struct regress_case {
    char name[256];                         /* File name. */
    struct record_config rec;               /* How to record it. */
    enum device_model model;                /* Device model of its states. */
    uint64_t wlog_hash;                     /* Expected write-log hash (0: unchecked). */
    uint32_t state_count;                   /* Pinned states. */
    struct crash_state states[REGRESS_STATES_MAX];  /* Them (a nested one's own level). */
    uint8_t depth[REGRESS_STATES_MAX];      /* Each one's depth: 1 (or 0) top level. */
    struct crash_state above[REGRESS_STATES_MAX][NEST_DEPTH_MAX - 1];
                                            /* A nested state's levels above, top first. */
    enum outcome expect[REGRESS_STATES_MAX];        /* Their outcomes. */
    char catches[64];                       /* Mutant this case exposes, or "". */
    char *text;                             /* The whole file (the trace), no NUL inside. */
};

/* Reads a case file with trace_load (the trace reader's checks and messages)
 * and takes its directives; on error returns -1 with "FILE:LINE:COL: message"
 * in err. A "#@" line that is not a known directive is an error. */
int regress_load(const char *path, struct regress_case *c, char *err, size_t err_size);
/* The same from size bytes of text in memory (NUL bytes are errors), named
 * name in messages: what regress_load does once the file is read. */
int regress_parse(const char *name, const char *text, size_t size, struct regress_case *c,
        char *err, size_t err_size);
void regress_free(struct regress_case *c);

/* Sets pinned state i from an id, nested or not: 0, or -1 for a malformed id. */
int regress_state_parse(struct regress_case *c, uint32_t i, const char *id);
/* The id of pinned state i. */
void regress_state_id(const struct regress_case *c, uint32_t i, char *buf, size_t size);

/* Writes a case: header comment, directives, then the trace text. */
int regress_write(FILE *out, const struct regress_case *c, const char *comment,
        const char *trace_text);

/* Records the case and checks its states in a forked child; fills got[] and
 * why[] for every state. -1 with a reason when the case cannot run (its
 * trace, a stale write log, a disagreement with the oracle). */
int regress_observe(const struct regress_case *c, enum outcome *got, char (*why)[240],
        char *err, size_t err_size);

/* Runs one case in a forked child (an assertion or a crash is its outcome):
 * prints one line per case, returns 0 if every state gave its outcome, 1 if
 * not, 2 on an operational error. verbose prints every state. */
int regress_run(const struct regress_case *c, bool verbose, FILE *out);

#endif /* SIM_CAMPAIGN_REGRESS_H */
