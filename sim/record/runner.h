/*
 * sim/record/runner.h: the workload runner — executes a trace against the file
 * system on the recording disk and against the oracle model side by side.
 *
 * Every step's result must be the one the model expects (FS_ENOSPC aside, see
 * sim/oracle/model.h); at every sync point the file system's digest must equal the
 * model's. A disagreement while running (not crashing) is a bug of its own,
 * reported in recording.violation, and the run stops there.
 *
 * Sync points: S_0 is the formatted file system; each sync step adds one;
 * each snapshot step adds two (the file system commits what is pending, then
 * the snapshot change) — the first only if the file system did commit, the
 * second only if the step succeeded; the end of the trace adds a final commit. Each point
 * remembers the log operations before and after the call that made it, so a
 * crash at cut c may legally recover S_k for every k from the last point
 * completed by c to the last point begun before c.
 */
#ifndef SIM_RECORD_RUNNER_H
#define SIM_RECORD_RUNNER_H

#include "../../traces/trace.h"
#include "dev.h"
#include "../oracle/model.h"

struct syncpt {
    uint32_t step;              /* Trace step that made it; UINT32_MAX for S_0 and the end. */
    uint32_t line;              /* Its trace line (0: none). */
    uint32_t start_op;          /* Log operations before the call. */
    uint32_t end_op;            /* Log operations after it returned. */
    uint64_t digest;            /* The model's canonical digest. */
    struct model *model;        /* The model state, for diffs. */
};

struct record_config {
    uint32_t block_size;        /* Bytes. */
    uint64_t device_size;       /* Bytes. */
    uint32_t arenas;            /* 0: the default for the size. */
    bool hardened;              /* Profile: flush between sync passes. */
};

struct recording {
    struct record_config config;    /* How it was made. */
    struct sim_dev dev;             /* The recording disk and its log. */
    struct syncpt *syncs;           /* Sync points. */
    uint32_t sync_count;            /* Entries. */
    uint32_t sync_cap;              /* Allocated. */
    uint64_t wlog_hash;             /* sim_dev_log_hash of the log. */
    uint32_t steps_run;             /* Steps executed. */
    char violation[1024];           /* "": the file system agreed with the model. */
};

/* Runs one step against a mounted file system; returns its FS_E* result. */
int runner_step(struct fs *fs, const struct trace_step *s);

/* 0 when a recording of this geometry can be made: a whole number of blocks,
 * a geometry the file system formats (fs_format_validate), and memory for
 * the recording disk; else -1 with why in err. record_workload checks it
 * before it allocates anything. */
int record_config_check(const struct record_config *cfg, char *err, size_t err_size);

/* Formats, mounts, records the trace. Returns 0 (check rec->violation), or -1
 * with a reason in err when the recording itself could not be made. */
int record_workload(const struct record_config *cfg, const struct trace *t,
        struct recording *rec, char *err, size_t err_size);
void recording_free(struct recording *rec);

/* Appends a sync point; -1 when memory runs out. */
int recording_add_sync(struct recording *rec, struct syncpt p);

/* The legal sync points [*lo, *hi] for a crash at cut. */
void recording_legal(const struct recording *rec, uint32_t cut, uint32_t *lo, uint32_t *hi);

#endif /* SIM_RECORD_RUNNER_H */
