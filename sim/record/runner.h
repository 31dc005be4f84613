/*
 * sim/record/runner.h: the workload runner — executes a trace against the file
 * system on the recording disk and against the oracle side by side.
 *
 * Every step's result must be the one the oracle expects (FS_ENOSPC aside, see
 * sim/oracle/oracle.h); at every sync point the file system's digest must equal the
 * oracle's. A disagreement while running (not crashing) is a bug of its own,
 * reported in recording.violation, and the run stops there.
 *
 * Sync points: S_0 is the formatted file system; each sync step adds one;
 * each snapshot step adds two (the file system commits what is pending, then
 * the snapshot change) — the first only if the file system did commit, the
 * second only if the step succeeded; a mount step adds the commit before it (if
 * the file system did commit) and, if it succeeded, a point that begins and
 * ends after that commit, with the new label mounted: the same durable
 * state, seen through another label. The end of the trace adds a final commit. Each point
 * remembers the log operations before and after the call that made it, so a
 * crash at cut c may legally recover S_k for every k from the last point
 * completed by c to the last point begun before c.
 */
#ifndef SIM_RECORD_RUNNER_H
#define SIM_RECORD_RUNNER_H

#include "../../fs/format.h"
#include "../../traces/trace.h"
#include "dev.h"
#include "../oracle/oracle.h"

struct syncpt {
    uint32_t step;              /* Trace step that made it; UINT32_MAX for S_0 and the end. */
    uint32_t line;              /* Its trace line (0: none). */
    uint32_t start_op;          /* Log operations before the call. */
    uint32_t end_op;            /* Log operations after it returned. */
    uint64_t digest;            /* The oracle's canonical digest. */
    struct oracle *oracle;      /* The oracle's state, for diffs (NULL: no oracle). */
    uint32_t mount;             /* recording.mounts index of the label mounted here. */
};

/* A label the recording mounted: mount steps add one each, after "main". */
struct recording_mount {
    char *name;                 /* The label; owned. */
    bool mutable;               /* A fork or main (the post-recovery workload may write). */
};

/* Sync profiles: whether the file system flushes between its sync passes
 * (fs_config.flush_at_pass_boundaries). Parsed and named here only. */
#define SYNC_PROFILES(X) \
    X(FAITHFUL, "faithful")     /* No flush at all, as GEFS. */ \
    X(HARDENED, "hardened")     /* A flush at each sync-pass boundary. */

enum sync_profile {
#define X(id, name) SYNC_PROFILE_##id,
    SYNC_PROFILES(X)
#undef X
    SYNC_PROFILE_COUNT
};

const char *sync_profile_name(enum sync_profile p);
/* 0 and *out, or -1 for a name that is no profile. */
int sync_profile_parse(const char *s, enum sync_profile *out);

struct record_config {
    uint32_t block_size;        /* Bytes. */
    uint64_t device_size;       /* Bytes. */
    uint32_t arenas;            /* 0: the default for the size. */
    enum sync_profile profile;  /* Whether the file system flushes between sync passes. */
};

#define RECORD_DEVICE_SIZE_DEFAULT (8u << 20)   /* Bytes, when nothing names a size. */

/* The geometry a workload gets when neither its "# geometry:" line nor the
 * command line names one, under the faithful profile. */
#define RECORD_CONFIG_DEFAULT \
    ((struct record_config){ FMT_BLOCK_SIZE_DEFAULT, RECORD_DEVICE_SIZE_DEFAULT, 0, \
        SYNC_PROFILE_FAITHFUL })

struct recording {
    struct record_config config;    /* How it was made. */
    struct sim_dev dev;             /* The recording disk and its log. */
    struct syncpt *syncs;           /* Sync points. */
    uint32_t sync_count;            /* Entries. */
    uint32_t sync_cap;              /* Allocated. */
    uint64_t wlog_hash;             /* oplog_hash of the log. */
    uint32_t steps_run;             /* Steps executed. */
    char violation[1024];           /* "": the file system agreed with the oracle. */
    struct oracle_memo *memo;       /* While recording: the comparisons' digest memo. */
    struct recording_mount *mounts; /* Labels mounted, in order; [0] is "main". */
    uint32_t mount_count;           /* Entries; 0 only in a recording not yet made. */
    uint32_t level;                 /* 0; a nested recording's, its parent's + 1. */
};

/* What a mount step needs to mount the file system again: its device and
 * the configuration of the first mount (the step names the label). */
struct runner_dev {
    const struct bdev *bdev;        /* The device the file system is on. */
    struct fs_config config;        /* How it is mounted; snapshot: ignored. */
    struct fs_stats unmounted;      /* Sums of the stats of handles mount steps replaced. */
};

/*
 * Applies step s to the mounted *fs; returns what the file system returned
 * (0 or an FS_E* code). The one function that applies a trace step: the
 * recording, crashsim run and the tests all call it. A mount step commits
 * (fs_sync), mounts the label it names on dev with dev's configuration and
 * the clock carried over and, if that mount succeeded, unmounts the old
 * handle (nothing is pending: it writes nothing) and replaces *fs; if it
 * failed (FS_ENOENT: no such label; FS_EINVAL: a name longer than
 * FS_NAME_MAX) the old handle stays mounted and the error is returned. The
 * old handle's stats are added to dev->unmounted. dev
 * may be NULL for a caller whose traces have no mount step (a bug
 * otherwise). A write's data is
 * trace_fill's, handed to fs_write in chunks of 4 MiB counted from the
 * step's offset (runner.c says why the size is fixed), from one static
 * buffer: not reentrant (the harness forks, it never threads). A range that
 * ends past FS_FILE_SIZE_MAX fails FS_EFBIG with no data written, as one
 * fs_write of it would. A tick advances the clock, saturating at UINT64_MAX.
 */
int runner_step(struct fs **fs, struct runner_dev *dev, const struct trace_step *s);
/* The stats of the mounted fs plus those of the handles mount steps replaced. */
struct fs_stats runner_stats(const struct fs *fs, const struct runner_dev *dev);

/* 0 when a recording of this geometry can be made: a whole number of blocks,
 * a geometry the file system formats (fs_format_validate), and memory for
 * the tables a campaign sizes from the block count (a few words per block;
 * no copy of the device) within the machine's memory and any ulimit; else -1
 * with why in err. record_workload checks it before it allocates anything. */
int record_config_check(const struct record_config *cfg, char *err, size_t err_size);

/* Formats, mounts, records the trace. Returns 0 (check rec->violation), or -1
 * with a reason in err when the recording itself could not be made. */
int record_workload(const struct record_config *cfg, const struct trace *t,
        struct recording *rec, char *err, size_t err_size);
void recording_free(struct recording *rec);

/*
 * The post-recovery workload: what the checker runs on every recovered
 * crash state (sim/check/checker.h), and what a nested recording records.
 * Create RECORD_POST_NAME (a name per level of nesting, so that a nested
 * state that recovered the file of the level above can run it again: "-1"
 * appended at level 1, and so on), write 2.5 blocks, sync, remove it, sync. FS_ENOSPC
 * is acceptable (the recovered file system may be full); on an immutable
 * label the create must fail FS_EROFS and nothing else is tried (a create
 * that does anything else there is FS_EPERM, the workload's failure).
 * Returns 0 or the first error that is not acceptable. With rec and m (a
 * nested recording and the oracle of the recovered state), every step is
 * judged by the oracle (a disagreement goes to rec->violation) and every
 * sync that succeeds is a sync point of rec.
 */
#define RECORD_POST_NAME "/crashsim-post-recovery"
#define RECORD_CHECK_CACHE_BLOCKS 64u   /* Cache blocks of a checker's mounts. */
int record_post_workload(struct fs **fs, struct runner_dev *dev, bool mutable, uint32_t level,
        struct recording *rec, struct oracle *m);
/* How a checker mounts a crash state by label. */
struct fs_config record_check_config(const struct record_config *cfg, const char *label);

/*
 * A nested recording: the post-recovery workload run on the crash image of
 * a state of parent that recovered its sync point recovered (image: that
 * state's bytes, laid under the new disk's empty base). It records what the
 * checker does to the state: the mount by the label mounted there, the
 * workload, the unmount, the remount and its unmount, every device op of
 * them. Its sync points: S_0, the recovered state (from the op before the
 * first), then one per sync of the workload that succeeded, each with the
 * oracle's state (the parent's, cloned, with the workload's steps applied).
 * A disagreement with the oracle, or a mount that fails, is in
 * rec->violation. The parent's sync point must still have its oracle.
 * Returns 0, or -1 with why in err (out of memory).
 */
int record_nested(const struct recording *parent, uint32_t recovered,
        const struct oplog_lower *image, struct recording *rec, char *err, size_t err_size);
/* Frees the sync points' oracles, which only explanations read (a checker
 * with a verbose stream, replay): the sync points keep their digests. */
void recording_drop_oracles(struct recording *rec);

/* Appends a sync point; -1 when memory runs out. */
int recording_add_sync(struct recording *rec, struct syncpt p);

/* The legal sync points [*lo, *hi] for a crash at cut. */
void recording_legal(const struct recording *rec, uint32_t cut, uint32_t *lo, uint32_t *hi);

/* The label mounted at legal sync points [lo, hi], the one a crash state
 * with them is recovered by mounting: a mount step's sync point begins where
 * it ends, so no legal range spans a change of label ("main" when the
 * recording mounted no other). */
const struct recording_mount *recording_mounted(const struct recording *rec, uint32_t lo,
        uint32_t hi);

#endif /* SIM_RECORD_RUNNER_H */
