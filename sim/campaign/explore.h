/*
 * sim/campaign/explore.h: crash-exploration campaigns and the replay of one state.
 *
 * A campaign records the workload on the recording disk (sim/record/runner.h),
 * enumerates the crash states its device model and fault plan allow
 * (faultinject/plan.h), checks each distinct state once in forked workers
 * (sim/check/pool.h) — states whose images are byte-identical are recorded as
 * duplicates of the one checked — and stores everything in SQLite
 * (sim/store/store.h). It prints a live progress line, then a summary by outcome
 * and fault class and the ids of failing states.
 */
#ifndef SIM_CAMPAIGN_EXPLORE_H
#define SIM_CAMPAIGN_EXPLORE_H

#include "../../faultinject/plan.h"
#include "../record/runner.h"

struct explore_config {
    const char *workload;           /* Trace file (NULL with wlog). */
    const char *workload_text;      /* Its text, as explore_workload_load read it (borrowed). */
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
};

/* What one campaign found, for callers that run many (crashsim matrix). */
struct explore_tally {
    uint64_t states;                /* Crash states. */
    uint64_t violations;            /* Violating states (a run-level violation counts 1). */
};

/* Runs a campaign on the trace file cfg->workload (its text in
 * cfg->workload_text) and tallies it (quietly, a line at most); returns the
 * exit code. */
int explore_one(const struct explore_config *cfg, struct explore_tally *tally);

/* Runs a campaign; returns the exit code: 0 clean, 1 violations, 2 error. */
int explore_run(const struct explore_config *cfg);

/* Re-runs state id of run run_id (0: the latest) from db in-process and
 * explains it. Returns 0 if the state is fine, 1 if it is a violation, 2 on
 * error. */
int replay_run(const char *id, const char *db, int64_t run_id);

/* Geometry options a command line gave: the trace's "# geometry:" line gives
 * the others. */
enum {
    GEOMETRY_GIVEN_SIZE = 1u,       /* --size */
    GEOMETRY_GIVEN_BLOCK = 2u,      /* --block-size */
    GEOMETRY_GIVEN_ARENAS = 4u,     /* --arenas */
};

/* Reads a workload through the trace reader (traces/trace.h: a regular file
 * within the size cap that parses) and takes from its "# geometry:" line each
 * field of *rec that given does not name. *text receives the file's bytes
 * (the caller frees them). 0, or -1 after printing "FILE:LINE:COL: why". */
int explore_workload_load(const char *path, unsigned given, struct record_config *rec,
        char **text);

struct store;
struct run_info;

/* A stored run's trace and the recording configuration it ran with (the run's
 * facts in *info; its write-log hash in *wlog_hash). 0, or -1 with why in err:
 * no such run, a run of a write-log file, a trace that no longer parses. */
int explore_load_run(struct store *st, int64_t *run_id, struct run_info *info,
        uint64_t *wlog_hash, struct trace *t, struct record_config *rc, char *err,
        size_t err_size);

/* The same, recorded again into *rec, which must give the stored write log. */
int explore_rerecord(struct store *st, int64_t *run_id, struct run_info *info, struct trace *t,
        struct recording *rec, char *err, size_t err_size);

#endif /* SIM_CAMPAIGN_EXPLORE_H */
