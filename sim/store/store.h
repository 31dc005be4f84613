/*
 * sim/store/store.h: the result store — campaigns, their write logs, sync points,
 * crash states and results in SQLite (WAL, batched transactions, prepared
 * statements). This module is the only one that includes sqlite3.h. The
 * schema is documented in docs/SCHEMA.md.
 *
 * Transactions. Every write is inside an explicit transaction, and every
 * transaction ends in one function (commit), so a kill at any moment leaves
 * the database as it was after some commit:
 *   - opening a database creates or upgrades its schema in one transaction;
 *   - a run is created with its write log, its sync points and its state
 *     counts in one transaction (store_run_create): a run row never exists
 *     without the recording it refers to;
 *   - results are committed in batches (BATCH_ROWS rows or BATCH_NS);
 *   - the finish (store_run_end) is one transaction.
 * Test hook: CRASHSIM_STORE_EXIT_AT=K makes the process _exit(STORE_EXIT_HOOK)
 * just before its K-th commit (1-based), with no cleanup, as a kill -9 would;
 * tests use it to crash a campaign at every commit and resume it.
 *
 * Versions. PRAGMA user_version holds STORE_SCHEMA_VERSION. An older database
 * (version 1 is the unversioned schema) is upgraded when opened for writing
 * and read as it is otherwise; a newer version, or a database that is not a
 * crashsim database, is refused with a message naming both versions.
 *
 * Nesting. A nested crash state (explore --nested) is a crash state of the
 * post-recovery workload run on the recovered image of another state, its
 * parent; its id is the parent's id, '/', and its own id at its level
 * ("w812-drop805/w31-torn30s3z", depth 2; "A/B/C", depth 3). Its row holds
 * its parent's full id and its depth; its cut, drops and faults describe its
 * own (last) level, and index the post-recovery write log, which the store
 * does not keep. A run's depth (--depth) joins its configuration key only
 * when above 1, so the keys of runs without nesting are those older code
 * made and --resume continues them.
 *
 * Names. Every open for writing also writes the names the code spells into
 * tables of their own — probes (fs/probes.h), outcome_kinds (every outcome,
 * its kind and whether it is a violation, sim/check/outcome.h) and
 * fault_classes (faultinject/) — so analysis/ reads them from the database
 * and copies none.
 */
#ifndef SIM_STORE_STORE_H
#define SIM_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../../faultinject/plan.h"
#include "../../traces/oplog.h"
#include "../check/outcome.h"
#include "../record/runner.h"

#define STORE_SCHEMA_VERSION 6      /* PRAGMA user_version this code writes. */
#define STORE_EXIT_HOOK 86          /* Exit status of the CRASHSIM_STORE_EXIT_AT hook. */

struct store;

struct run_info {
    const char *git_rev;            /* Revision of the code, "" if unknown. */
    uint64_t seed;                  /* Campaign seed. */
    const char *workload_name;      /* Trace file name. */
    const char *workload_text;      /* Its text (stored once per distinct text). */
    const char *model;              /* Device model. */
    const char *profile;            /* faithful or hardened. */
    const char *faults;             /* Fault plan, normalised. */
    uint32_t block_size;            /* Bytes. */
    uint64_t device_size;           /* Bytes. */
    uint32_t arenas;                /* Arena count. */
    uint32_t jobs;                  /* Worker processes. */
    const char *shard;              /* "i/N" or "". */
    uint32_t depth;                 /* --depth: 1 (or 0) no nesting. */
};

struct state_row {
    const char *state_id;           /* Printable id. */
    const struct crash_state *state; /* The state. */
    const char *dup_of;             /* Id of the state checked instead, or NULL. */
    uint64_t signature;             /* Dedup signature. */
    uint32_t pass;                  /* Sync pass at the cut (255: none). */
    const char *last_block_type;    /* Type of the last write before the cut. */
    uint32_t last_write;            /* Index of that write, or UINT32_MAX. */
    const char *parent;             /* Full id of the state one level up, NULL for a top-level
                                     * state. */
    uint32_t depth;                 /* 1 for a top-level state, 2 for a nested one, ... (0 is
                                     * read as 1). */
};

struct result_row {
    enum outcome outcome;           /* Verdict. */
    const char *reason;             /* Why, in words. */
    int32_t recovered_sync;         /* Sync index recovered, -1 if none matched. */
    uint32_t legal_lo;              /* Legal sync range. */
    uint32_t legal_hi;
    uint64_t leaked_blocks;         /* Leaks fs_check found. */
    uint64_t corrupt_count;         /* Corruption findings. */
    uint64_t duration_ns;           /* Wall time of the check. */
    uint32_t worker;                /* Worker that checked it. */
    uint64_t probes;                /* Bitmap of recovery probes hit. */
    uint32_t retries;               /* Attempts lost to worker deaths outside the fs. */
    bool checked;                   /* Checked itself (not a duplicate): the memo counts hold. */
    uint32_t memo_lookups;          /* Blocks, chunks and trees asked of the memo. */
    uint32_t memo_hits;             /* Of them, known. */
    uint32_t hashed;                /* Blocks and chunks whose bytes were hashed. */
};

/* What a run was set up with: its recording and the states it enumerated. */
struct run_setup {
    const struct oplog *log;        /* The write log. */
    uint64_t wlog_hash;             /* oplog_hash of it. */
    const struct syncpt *syncs;     /* The oracle's sync points. */
    uint32_t sync_count;            /* Entries. */
    uint64_t state_count;           /* Crash states enumerated, duplicates included. */
    uint64_t distinct_count;        /* Of which are checked. */
    uint64_t sampled_out_count;     /* States of the plan's space sampling left out. */
    const char *run_violation;      /* How the fs disagreed with the oracle while recording,
                                     * or "" / NULL. */
    uint64_t nested_count;          /* Nested crash states (depth 2 and more) enumerated and
                                     * checked so far, duplicates included. */
    uint64_t nested_distinct;       /* Of which are checked. */
};

/* An unfinished run that --resume may continue. */
struct run_resumable {
    int64_t run_id;                 /* The run. */
    bool has_wlog;                  /* Its write log was stored (false: set-up was cut). */
    uint64_t wlog_hash;             /* The stored write-log hash, when has_wlog. */
};

/* Opens (creating or upgrading) a database for writing. 0, or -1 with why. */
int store_open(struct store **out, const char *path, char *err, size_t err_size);
/* Opens an existing database for reading only: it is never written, and a
 * file the user may only read will do. 0, or -1 with why. */
int store_open_read(struct store **out, const char *path, char *err, size_t err_size);
void store_close(struct store *s);

/* Finds the newest unfinished run of info's configuration: 1 found (*out
 * filled), 0 none, -1 error. */
int store_run_resumable(struct store *s, const struct run_info *info, struct run_resumable *out);
/* Creates a run with its write log, sync points and state counts, in one
 * transaction. */
int store_run_create(struct store *s, const struct run_info *info, const struct run_setup *setup,
        int64_t *run_id);
/* Ends an invocation's part of a run: the state counts and the violation
 * found while recording again, and duration_ns added to the run's.
 * finished_at is set only when complete (every state has a final result).
 * The nested counts are the run's so far: a stored count is raised to them,
 * never lowered (a resumed invocation may enumerate fewer). */
int store_run_end(struct store *s, int64_t run_id, const struct run_setup *setup,
        uint64_t duration_ns, bool complete);

/* Calls fn for every state of the run that has a result already (resume),
 * with its outcome; -1 on an outcome this code does not know. */
/* What the memo did for a run's checked states (results with counts). */
struct memo_stats {
    uint64_t checked;               /* Results with counts: states checked, not duplicates. */
    uint64_t lookups;               /* Their lookups, hits and hashed blocks, summed. */
    uint64_t hits;
    uint64_t hashed;
};
int store_memo_stats(struct store *s, int64_t run_id, struct memo_stats *out);
int store_done_states(struct store *s, int64_t run_id,
        void (*fn)(void *arg, const char *id, enum outcome o), void *arg);

/* Appends a state and its result; rows are committed in batches. */
int store_result(struct store *s, int64_t run_id, const struct state_row *st,
        const struct result_row *r);
int store_flush(struct store *s);

/* For every probe (fs/probes.h): how many states of the run hit it and the
 * first of them in write-log order (NULL if none). */
int store_probe_stats(struct store *s, int64_t run_id,
        void (*fn)(void *arg, uint32_t bit, const char *name, uint64_t hits, const char *first),
        void *arg);

/* The states of a run that have a result, and how many of them are
 * violations, by level: [0] the top-level states (depth 1), [1] the nested
 * ones (depth 2 and more). Run 0 means the latest run. A database older
 * than nesting (schema version 5 or less) holds top-level states only.
 * 0, or -1. */
int store_depth_tally(struct store *s, int64_t run_id, uint64_t states[2],
        uint64_t violations[2]);

/* The configuration of a run, for replay: fills *info with strings owned by
 * the store until the next call, except workload_text, which the caller
 * frees. Run 0 means the latest run. */
int store_run_get(struct store *s, int64_t *run_id, struct run_info *info, uint64_t *wlog_hash);

/* crashsim merge (sim/store/merge.c): merges the databases in_paths into
 * out_path (created if missing), each input in one transaction; shards of a
 * campaign join one merged run (run_shards), other runs are copied once.
 * Reports unfinished merged runs and a total line on out. Returns the exit
 * status: 0 all merged runs finished, 1 some lack shards or hold unfinished
 * ones, 2 an error or a refused input (message on stderr). */
int store_merge(const char *out_path, const char *const *in_paths, int in_count, FILE *out);

#endif /* SIM_STORE_STORE_H */
