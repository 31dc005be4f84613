/*
 * sim/store.h: the result store — campaigns, their write logs, sync points,
 * crash states and results in SQLite (WAL, batched transactions, prepared
 * statements). This module is the only one that includes sqlite3.h. The
 * schema is documented in docs/SCHEMA.md.
 */
#ifndef SIM_STORE_H
#define SIM_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "../faultinject/plan.h"
#include "dev.h"
#include "outcome.h"

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
};

struct state_row {
    const char *state_id;           /* Printable id. */
    const struct crash_state *state; /* The state. */
    const char *dup_of;             /* Id of the state checked instead, or NULL. */
    uint64_t signature;             /* Dedup signature. */
    uint32_t pass;                  /* Sync pass at the cut (255: none). */
    const char *last_block_type;    /* Type of the last write before the cut. */
    uint32_t last_write;            /* Index of that write, or UINT32_MAX. */
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
};

int store_open(struct store **out, const char *path, char *err, size_t err_size);
void store_close(struct store *s);

/* Starts a run, or with resume finds the unfinished run of the same
 * configuration and returns it (*resumed true). */
int store_run_begin(struct store *s, const struct run_info *info, bool resume, int64_t *run_id,
        bool *resumed);
int store_run_wlog(struct store *s, int64_t run_id, const struct sim_dev *dev, uint64_t wlog_hash);
int store_run_sync(struct store *s, int64_t run_id, uint32_t index, uint32_t step,
        uint32_t line, uint32_t start_op, uint32_t end_op, uint64_t digest);
int store_run_end(struct store *s, int64_t run_id, uint64_t states, uint64_t distinct,
        const char *run_violation, uint64_t duration_ns);

/* Calls fn for every state of the run that has a result already (resume). */
int store_done_states(struct store *s, int64_t run_id, void (*fn)(void *arg, const char *id),
        void *arg);

/* Appends a state and its result; rows are committed in batches. */
int store_result(struct store *s, int64_t run_id, const struct state_row *st,
        const struct result_row *r);
int store_flush(struct store *s);

/* For every probe (fs/probes.h): how many states of the run hit it and the
 * first of them in write-log order (NULL if none). */
int store_probe_stats(struct store *s, int64_t run_id,
        void (*fn)(void *arg, uint32_t bit, const char *name, uint64_t hits, const char *first),
        void *arg);

/* The configuration of a run, for replay: fills *info with strings owned by
 * the store until the next call, except workload_text, which the caller
 * frees. Run 0 means the latest run. */
int store_run_get(struct store *s, int64_t *run_id, struct run_info *info, uint64_t *wlog_hash);

#endif /* SIM_STORE_H */
