/*
 * sim/campaign/guided.h: crashsim gen guided, a coverage-guided search for
 * workloads that drive the file system somewhere new (docs/GEN.md).
 *
 * A corpus of traces grows by mutation (sim/campaign/mutate.h). Each
 * candidate runs on a fresh image of one fixed small geometry (GUIDED_*
 * below), is recorded, and a bounded sample of its crash states is
 * recovered and checked with the checker of every campaign
 * (sim/check/checker.h); what it reached meanwhile is a set of features
 * (sim/campaign/features.h). A candidate that reaches a feature nothing
 * before it reached is kept: written to the output directory as a trace
 * with its geometry line and the features it reached first, and becomes a
 * parent of later candidates.
 *
 * Determinism: every choice comes from one splitmix64 stream seeded with
 * the seed; a candidate's evaluation depends on its trace alone. So the same
 * seed, seed corpus and number of candidates give the same corpus, byte for
 * byte; a budget in seconds stops after however many candidates fit.
 *
 * Isolation: each evaluation runs in a forked child that reports over a
 * pipe, so an assertion or a crash of the file system ends one candidate
 * (reported, and its trace saved under DIR/violations/), never the search.
 */
#ifndef SIM_CAMPAIGN_GUIDED_H
#define SIM_CAMPAIGN_GUIDED_H

#include <stdbool.h>
#include <stdint.h>

/* The geometry every candidate runs on: small, so that a few hundred steps
 * fill it, grow its logs and deepen its tree, and crash states are cheap. */
#define GUIDED_DEVICE_SIZE (2u << 20)       /* Bytes. */
#define GUIDED_BLOCK_SIZE 4096u             /* Bytes. */
#define GUIDED_ARENAS 1u                    /* One arena: its log sees every allocation. */
#define GUIDED_GEOMETRY "--size 2M --block-size 4K --arenas 1"
#define GUIDED_STATES_MAX 8u                /* Crash states checked per candidate. */
#define GUIDED_FAULTS "pass,flush,prefix"   /* Explore's default plan... */
#define GUIDED_MODEL MODEL_ORDERED          /* ... and model: a violation is news (torn
                                             * and writeback break GEFS's known hazards,
                                             * README.md). */
#define GUIDED_MODEL_NAME "ordered"         /* Its name, for the help text. */

struct guided_config {
    const char *out_dir;        /* Where kept workloads go; created if missing. */
    const char *from_dir;       /* Traces to start from (seeds), or NULL. */
    uint64_t seed;              /* Seeds every choice. */
    uint64_t candidates_max;    /* Candidates to run; UINT64_MAX: no limit. */
    uint64_t seconds_max;       /* Seconds to run; 0: no limit. */
    bool list_features;         /* Print every feature reached, at the end. */
};

/* Runs the search. Returns the exit status: 0 done, 1 a candidate found a
 * violation (saved under DIR/violations/), 2 an error (printed). */
int guided_run(const struct guided_config *cfg);

#endif /* SIM_CAMPAIGN_GUIDED_H */
