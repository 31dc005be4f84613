/*
 * sim/campaign/explore.h: crash-exploration campaigns.
 *
 * A campaign records the workload on the recording disk (sim/record/runner.h),
 * enumerates the crash states its device model and fault plan allow
 * (faultinject/plan.h), checks each distinct state once in forked workers
 * (sim/check/workers.h) — states whose images are byte-identical are recorded as
 * duplicates of the one checked — and stores everything in SQLite
 * (sim/store/store.h). It prints a live progress line, then a summary by outcome
 * and fault class and the ids of failing states.
 */
#ifndef SIM_CAMPAIGN_EXPLORE_H
#define SIM_CAMPAIGN_EXPLORE_H

#include "../../faultinject/plan.h"
#include "../check/nested.h"
#include "../record/runner.h"
#include "summary.h"

struct explore_config {
    const char *workload;           /* Trace file (NULL with wlog). */
    const char *workload_dir;       /* Or a directory: a campaign per *.trace in it. */
    unsigned given;                 /* With workload_dir: the INPUT_GIVEN_* geometry
                                     * fields the command line gave; each trace's
                                     * "# geometry:" line gives the others. */
    const char *workload_text;      /* Its text, as input_workload read it (borrowed). */
    const char *wlog;               /* Or a write-log file to explore (traces/WLOG.md). */
    uint32_t wlog_block_size;       /* Its block size, 0: the file's (a foreign log needs it). */
    uint64_t wlog_device_size;      /* Its device size in bytes, 0: the file's. */
    struct record_config rec;       /* Device geometry and profile. */
    enum device_model model;        /* What the disk promises. */
    struct fault_plan plan;         /* Which crash states. */
    uint64_t seed;                  /* Seeds sampling. */
    uint32_t jobs;                  /* Worker processes. */
    const char *db;                 /* Result database. */
    bool resume;                    /* Continue an unfinished run of this configuration. */
    uint32_t timeout_ms;            /* Per crash state. */
    bool quiet;                     /* No progress line. */
    const char *save_failures;      /* Write each violation as a regression case here. */
    const char *coverage_out;       /* Write this campaign's gcovr JSON here (COV=1 builds). */
    const char *gen;                /* Or generated workloads: "ace:N", "random:SEED:OPS". */
    bool tally_only;                /* Print nothing per campaign (crashsim matrix). */
    bool no_memo;                   /* Check every state in full (checker_memo off). */
    uint32_t shard_index;           /* --shard I/N: I, 1-based; 0 for the whole campaign. */
    uint32_t shard_count;           /* N; 0 for the whole campaign. */
    bool nested;      /* --nested. */
    uint32_t depth;     /* --depth N (2 with --nested). */
};

/*
 * Shards. --shard I/N checks one of N disjoint slices of a campaign's crash
 * states. Every shard records the same workload and enumerates the same
 * states and duplicates; the originals, numbered 0, 1, ... in enumeration
 * order, are dealt out round-robin (original k to shard k mod N + 1), and
 * each duplicate goes with its original. So every distinct image is checked
 * by exactly one shard, a duplicate is stored beside the state checked
 * instead, and crashsim merge joins the N runs into the run an unsharded
 * campaign makes.
 */
#define EXPLORE_SHARDS_MAX 1000000u    /* N of --shard I/N, at most. */

/* Parses "I/N" (1 <= I <= N <= EXPLORE_SHARDS_MAX); 0, or -1. */
int explore_shard_parse(const char *text, uint32_t *index, uint32_t *count);

/* Runs a campaign; returns the exit code: 0 clean, 1 violations, 2 error. */
int explore_run(const struct explore_config *cfg);

/* Totals over campaigns that run as one of many (generated workloads, crashsim
 * matrix). */
struct explore_totals {
    uint64_t workloads;             /* Campaigns run. */
    uint64_t states;                /* Their states. */
    uint64_t distinct;              /* Checked. */
    uint64_t violations;            /* Violating states. */
    uint64_t failing;               /* Workloads with violations. */
    uint64_t nested_states;         /* --nested: their nested states, */
    uint64_t nested_violations;     /* and of them violating. */
    int code;                       /* Worst exit code. */
};

/* One campaign over the workload name with its text (owned from here on;
 * NULL for cfg->wlog). With tot, one of many: no progress line, at most a
 * line of its own, added to *tot. Returns the exit code. */
int explore_campaign(const struct explore_config *cfg, const char *name, char *text,
        struct explore_totals *tot);

/* --gen ace:N or random:SEED:OPS: a campaign per generated workload
 * (sim/campaign/generated.c). Returns the worst exit code. */
int generated_run(const struct explore_config *cfg);

/* --workload DIR: a campaign per trace of the directory (a corpus of gen
 * guided, traces/workloads), each on its own geometry (generated.c).
 * Returns the worst exit code. */
int directory_run(const struct explore_config *cfg);

/*
 * Nested crashes (--nested, --depth N; sim/check/nested.h). After the
 * campaign's own states are checked, every original of the slice that
 * recovered a legal state and has no media fault or forgery is a parent:
 * its post-recovery run is recorded and its crash states are checked, with
 * the campaign's model and plan, and so on down to depth N
 * (sim/campaign/nestrun.c says how, and how it memoizes and resumes).
 */
#define NESTED_FAILING_MAX 20u          /* Failing nested ids the summary lists. */

struct store;

struct nested_input {
    const struct explore_config *cfg;   /* Model, plan, depth, jobs, timeout, memo. */
    const struct recording *rec;        /* The campaign's recording, its sync points'
                                           oracles kept. */
    const struct crash_state *states;   /* Its states. */
    const uint32_t *parents;            /* Top-level parents (indices of states), in order. */
    size_t parent_count;
    const int32_t *recovered;           /* Per state: the sync point its result recovered,
                                           -1 when not known (a result stored earlier). */
    struct store *store;                /* Where results go. */
    int64_t run_id;
    bool resumed;                       /* The run holds results of earlier invocations. */
    struct progress *progress;          /* The live line, or NULL. */
    const char *name;                   /* The workload's name and text, for */
    const char *text;                   /* --save-failures. */
};

/* Every nested result the run holds, after nested_explore. */
struct nested_totals {
    struct tally tally;                 /* By outcome and fault class. */
    uint64_t states;                    /* Nested states enumerated, duplicates included. */
    uint64_t distinct;                  /* Of them, checked (not a duplicate of another, nor
                                           a copy of the parent's bytes). */
    uint64_t left_out;                  /* States of the plans' spaces sampling left out. */
    uint64_t enumerations;              /* Parents expanded: nested enumerations. */
    uint64_t recorded;                  /* Nested recordings this process made. */
    uint64_t unexpanded;                /* Parents whose check again disagreed (a bug). */
    uint64_t by_depth[NEST_DEPTH_MAX];  /* States per depth (index depth - 1). */
    char failing[NESTED_FAILING_MAX][NEST_ID_MAX];  /* The first violating originals. */
    uint32_t failing_count;
    uint64_t saved;                     /* --save-failures: cases written. */
};

/* Where a cut of log is, for its state's row: the sync pass at the cut, and
 * the last write before it (UINT32_MAX, type "": none) and its block type. */
void explore_state_where(const struct oplog *log, uint32_t cut, uint32_t *pass,
        const char **type, uint32_t *last);

/* --save-failures: writes the regression case of violating state id (a
 * nested one too) of the workload name with text: DIR/NAME-MODEL-PROFILE-ID.case,
 * a nested id's '/' as '_'. 0, or -1 with a message on stderr. */
int explore_save_case(const struct explore_config *cfg, const char *name, const char *text,
        uint64_t wlog_hash, int64_t run_id, const char *id, enum outcome o);

/* The nested phase: 0, or -1 on an operational error (message on stderr). */
int nested_explore(const struct nested_input *in, struct nested_totals *out);

#endif /* SIM_CAMPAIGN_EXPLORE_H */
