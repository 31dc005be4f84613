/*
 * sim/record/runner.c: the workload runner (see runner.h).
 *
 * It owns runner_step, the one function that turns a trace step into
 * file-system calls; everything that applies a trace calls it: the
 * recording below (and so every campaign of explore, replay and regress),
 * crashsim run (sim/cli/cmd_run.c) and the tests. tests/test_samelog.c
 * proves that crashsim run and the recording issue the same device
 * operations.
 *
 * A write step's bytes come from trace_fill, RUNNER_WRITE_CHUNK_SIZE bytes
 * per fs_write, counted from the step's offset. The chunk size is part of
 * what the file system does: fs_write commits a range in batches of blocks
 * counted from the offset it was given (fs/ops.c, write_batch), so another
 * chunk size changes the tree updates and the block allocation of writes
 * larger than a chunk, hence the write log. 4 MiB is the size explore's
 * recorder has always used, so a write log recorded before (a result
 * database, a pinned regression case) is recorded again the same; another
 * size is a change of behaviour for any trace with a larger write.
 */
#include "runner.h"

#include "../../fs/format.h"
#include "../../traces/names.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define RUNNER_WRITE_CHUNK_SIZE (4u << 20)  /* Bytes per fs_write of a write step. */

/* Bytes per device block of the tables a campaign sizes from the block count:
 * the recording disk's last write and base index (traces/oplog.h: 8), the
 * crash view's writer, scratch slot and metadata list (sim/check/crash.h:
 * 16), a mounted file system's (about 48, README.md) and fs_check's (about
 * 9); rounded up. Block contents are not among them: the base and the log
 * are sparse (traces/oplog.h), so they grow with what the workload writes,
 * not with the device. */
#define RECORD_TABLES_SIZE_PER_BLOCK 96u

/* So a chunk starts at the same offset within a block as its step: a step
 * that starts on a block boundary has every chunk start on one. */
STATIC_ASSERT(RUNNER_WRITE_CHUNK_SIZE % FMT_BLOCK_SIZE_MAX == 0, "whole blocks per chunk");

/* A write step (see runner_step in runner.h). */
static int
run_write(struct fs *fs, const struct trace_step *s)
{
    static uint8_t buf[RUNNER_WRITE_CHUNK_SIZE];    /* Untouched pages cost nothing. */
    ASSERT(s->op == TRACE_WRITE);
    if (s->offset > FS_FILE_SIZE_MAX || s->length > FS_FILE_SIZE_MAX - s->offset) {
        /* One fs_write of the range fails FS_EFBIG after its path checks and
         * writes nothing; chunk by chunk, those below the limit would be written. */
        return fs_write(fs, s->path, FS_FILE_SIZE_MAX + 1, buf, 0);
    }
    if (s->length == 0) {
        return fs_write(fs, s->path, s->offset, buf, 0);
    }
    uint64_t done = 0;
    while (done < s->length) {      /* Bounded: each pass writes at least one byte. */
        size_t n = (size_t)FS_MIN((uint64_t)RUNNER_WRITE_CHUNK_SIZE, s->length - done);
        trace_fill(s->seed, done, buf, n);
        int err = fs_write(fs, s->path, s->offset + done, buf, n);
        if (err) {
            return err;
        }
        done += n;
    }
    ASSERT(done == s->length);
    return 0;
}

struct fs_stats
runner_stats(const struct fs *fs, const struct runner_dev *dev)
{
    ASSERT(fs != NULL);
    ASSERT(dev != NULL);
    const struct fs_stats *a = fs_stats(fs), *b = &dev->unmounted;
    return (struct fs_stats){
        .sync_count = a->sync_count + b->sync_count,
        .log_grow_count = a->log_grow_count + b->log_grow_count,
        .log_compress_count = a->log_compress_count + b->log_compress_count,
        .block_read_count = a->block_read_count + b->block_read_count,
        .block_write_count = a->block_write_count + b->block_write_count,
        .flush_count = a->flush_count + b->flush_count,
        .write_cancel_count = a->write_cancel_count + b->write_cancel_count,
        .enospc_count = a->enospc_count + b->enospc_count,
        .log_truncated_bytes = a->log_truncated_bytes + b->log_truncated_bytes,
        .hash_known_count = a->hash_known_count + b->hash_known_count,
        .hash_computed_count = a->hash_computed_count + b->hash_computed_count,
    };
}

/* A mount step (see runner_step in runner.h). The new label is mounted
 * before the old handle goes, so a label that cannot be mounted leaves the
 * old one mounted, and the unmount after a commit writes nothing. */
static int
run_mount(struct fs **fs, struct runner_dev *dev, const struct trace_step *s)
{
    ASSERT(s->op == TRACE_MOUNT);
    ASSERT(dev != NULL && dev->bdev != NULL);
    int err = fs_sync(*fs);
    if (err) {
        return err;
    }
    struct fs_config config = dev->config;
    config.snapshot = s->path;
    struct fs *next = NULL;
    err = fs_mount(&next, dev->bdev, &config);
    if (err) {
        return err;
    }
    fs_clock_set(next, fs_clock(*fs));
    dev->unmounted = runner_stats(*fs, dev);
    err = fs_unmount(*fs);              /* Committed above: nothing to write. */
    *fs = next;
    return err;
}

int
runner_step(struct fs **fsp, struct runner_dev *dev, const struct trace_step *s)
{
    ASSERT(fsp != NULL && *fsp != NULL);
    ASSERT(s != NULL);
    struct fs *fs = *fsp;
    switch (s->op) {
    case TRACE_MKDIR:       return fs_mkdir(fs, s->path);
    case TRACE_CREATE:      return fs_create(fs, s->path);
    case TRACE_WRITE:       return run_write(fs, s);
    case TRACE_TRUNCATE:    return fs_truncate(fs, s->path, s->length);
    case TRACE_RM:          return fs_remove(fs, s->path);
    case TRACE_MV:          return fs_rename(fs, s->path, s->path2);
    case TRACE_SYNC:        return fs_sync(fs);
    case TRACE_SNAP_LABEL:  return fs_snap_label(fs, s->path, s->path2);
    case TRACE_SNAP_FORK:   return fs_snap_fork(fs, s->path, s->path2);
    case TRACE_SNAP_DELETE: return fs_snap_delete(fs, s->path);
    case TRACE_TICK: {                      /* Saturates, as traces/FORMAT.md says. */
        uint64_t now = fs_clock(fs);
        fs_clock_set(fs, s->ns > UINT64_MAX - now ? UINT64_MAX : now + s->ns);
        return 0;
    }
    case TRACE_MOUNT:       return run_mount(fsp, dev, s);
    default:
        ASSERT(!"step op validated by the parser");
        return FS_EINVAL;
    }
}

int
recording_add_sync(struct recording *rec, struct syncpt p)
{
    if (rec->sync_count == rec->sync_cap) {
        uint32_t cap = rec->sync_cap ? 2 * rec->sync_cap : 64;
        struct syncpt *n = realloc(rec->syncs, cap * sizeof(struct syncpt));
        if (n == NULL) {
            return -1;
        }
        rec->syncs = n;
        rec->sync_cap = cap;
    }
    rec->syncs[rec->sync_count++] = p;
    return 0;
}

static int
sync_push(struct recording *rec, uint32_t step, uint32_t line, uint32_t start,
        const struct oracle *m)
{
    struct oracle *clone = oracle_clone(m);
    if (clone == NULL || recording_add_sync(rec, (struct syncpt){ step, line, start,
                rec->dev.disk.log.count, oracle_digest(m), clone, rec->mount_count - 1 }) != 0) {
        oracle_free(clone);
        return -1;
    }
    return 0;
}

/* Appends label to the labels mounted, with its mutability in m; -1 when
 * memory runs out. */
static int
mount_push(struct recording *rec, const char *label, const struct oracle *m)
{
    ASSERT(label != NULL);
    bool found = false, mutable = false;
    const char *name;
    bool flag;
    for (uint32_t i = 0; oracle_label_at(m, i, &name, &flag); i++) {
        found = found || strcmp(name, label) == 0;
        mutable = strcmp(name, label) == 0 ? flag : mutable;
    }
    ASSERT(found);                          /* The oracle mounted it. */
    struct recording_mount *n = realloc(rec->mounts, (rec->mount_count + 1) * sizeof(*n));
    if (n == NULL) {
        return -1;
    }
    rec->mounts = n;
    n[rec->mount_count] = (struct recording_mount){ strdup(label), mutable };
    return n[rec->mount_count++].name == NULL ? -1 : 0;
}

/* While running, the file system must show what the oracle says. The
 * digest knows file chunks by content (the recording disk knows every
 * block's hash), so each comparison reads only what changed. */
static void
compare(struct recording *rec, struct fs *fs, const struct oracle *m, const char *name,
        uint32_t line)
{
    uint64_t d;
    int err = oracle_digest_fs_memo(fs, rec->memo, false, &d);
    if (rec->violation[0] != '\0' || (!err && d == oracle_digest(m))) {
        return;
    }
    char diff[384] = "";
    if (err) {
        snprintf(diff, sizeof(diff), "reading it failed: %s", fs_strerror(err));
    } else {
        oracle_diff(m, fs, diff, sizeof(diff));
    }
    snprintf(rec->violation, sizeof(rec->violation), "%.200s:%u: after sync the file system "
            "differs from the oracle: %s", name, line, diff);
}

/* A snapshot step: it commits before and after it changes the labels. */
static bool
snap_step(enum trace_op op)
{
    ASSERT(op < TRACE_OP_COUNT);
    return op == TRACE_SNAP_LABEL || op == TRACE_SNAP_FORK || op == TRACE_SNAP_DELETE;
}

/* The sync points of step i, which began at log operation start (see
 * runner.h): the commit a snapshot or mount step makes first, with before
 * (the oracle before the step), then the step's own. */
static int
step_syncs(struct recording *rec, struct fs *fs, const struct oracle *m,
        const struct oracle *before, const struct trace *t, uint32_t i, uint32_t start,
        bool committed, int got)
{
    const struct trace_step *s = &t->steps[i];
    ASSERT(i < t->count && start <= rec->dev.disk.log.count);
    bool snap = snap_step(s->op);
    int err = 0;
    if ((snap || s->op == TRACE_MOUNT) && before != NULL && committed) {
        /* The step committed what was pending before it changed the
         * snapshots or the mounted label; one refused before that (a bad
         * name, a failed commit) committed nothing. */
        err = sync_push(rec, i, s->line, start, before);
    }
    if (!err && s->op == TRACE_MOUNT && got == 0) {
        /* The same durable state through the new label: it begins where the
         * commit ended, so no crash's legal range spans the change. */
        err = mount_push(rec, s->path, m);
        err = err ? err : sync_push(rec, i, s->line, rec->dev.disk.log.count, m);
        compare(rec, fs, m, t->name, s->line);
    }
    if (!err && (s->op == TRACE_SYNC || (snap && got == 0))) {
        err = sync_push(rec, i, s->line, start, m);
        compare(rec, fs, m, t->name, s->line);
    }
    return err;
}

static int
run_steps(struct recording *rec, struct fs **fs, struct runner_dev *dev, struct oracle *m,
        const struct trace *t)
{
    for (uint32_t i = 0; i < t->count && rec->violation[0] == '\0'; i++) {
        const struct trace_step *s = &t->steps[i];
        bool commits_first = snap_step(s->op) || s->op == TRACE_MOUNT;
        struct oracle *before = commits_first ? oracle_clone(m) : NULL;
        uint32_t start = rec->dev.disk.log.count;
        uint64_t commits = runner_stats(*fs, dev).sync_count;
        int got = runner_step(fs, dev, s);
        bool committed = runner_stats(*fs, dev).sync_count != commits;
        char why[256];
        if (oracle_step(m, s, got, why, sizeof(why)) != 0) {
            snprintf(rec->violation, sizeof(rec->violation), "%.200s:%u: %s %.200s: %.200s",
                    t->name, s->line, trace_op_name(s->op), s->path, why);
        }
        int err = step_syncs(rec, *fs, m, before, t, i, start, committed, got);
        oracle_free(before);
        rec->steps_run = i + 1;
        if (err || (commits_first && before == NULL)) {
            return -1;
        }
    }
    return 0;
}

/* The post-recovery workload's steps, in order (record_post_workload). */
enum post_step { POST_CREATE, POST_WRITE, POST_SYNC, POST_REMOVE, POST_SYNC_AGAIN, POST_STEPS };

/* Its steps for a device of block_size bytes a block: 2.5 blocks written. */
static void
post_steps(struct trace_step steps[POST_STEPS], uint32_t block_size, uint32_t level)
{
    memset(steps, 0, POST_STEPS * sizeof(steps[0]));
    static const enum trace_op ops[POST_STEPS] = { TRACE_CREATE, TRACE_WRITE, TRACE_SYNC,
        TRACE_RM, TRACE_SYNC };
    for (uint32_t i = 0; i < POST_STEPS; i++) {
        steps[i].op = ops[i];
        steps[i].line = i + 1;
        if (level == 0) {
            snprintf(steps[i].path, sizeof(steps[i].path), "%s", RECORD_POST_NAME);
        } else {
            snprintf(steps[i].path, sizeof(steps[i].path), "%s-%u", RECORD_POST_NAME, level);
        }
    }
    steps[POST_WRITE].length = 2u * block_size + block_size / 2;
    steps[POST_WRITE].seed = 131;
}

/* One step of the post-recovery workload; with rec, judged by the oracle m
 * and, for a sync, made a sync point of rec. */
static int
post_step(struct fs **fs, struct runner_dev *dev, const struct trace_step *s,
        struct recording *rec, struct oracle *m)
{
    uint32_t start = rec != NULL ? rec->dev.disk.log.count : 0;
    int got = runner_step(fs, dev, s);
    char why[256];
    if (rec != NULL && rec->violation[0] == '\0' && oracle_step(m, s, got, why, sizeof(why))) {
        snprintf(rec->violation, sizeof(rec->violation), "post-recovery workload: %s %.64s: %.200s",
                trace_op_name(s->op), s->path, why);
    }
    if (rec != NULL && s->op == TRACE_SYNC && got == 0) {
        if (sync_push(rec, s->line - 1, 0, start, m) != 0) {
            return FS_ENOMEM;
        }
        compare(rec, *fs, m, "post-recovery workload", s->line);
    }
    return got;
}

int
record_post_workload(struct fs **fs, struct runner_dev *dev, bool mutable, uint32_t level,
        struct recording *rec, struct oracle *m)
{
    ASSERT((rec == NULL) == (m == NULL));
    struct trace_step steps[POST_STEPS];
    post_steps(steps, fs_block_size(*fs), level);
    int err = post_step(fs, dev, &steps[POST_CREATE], rec, m);
    if (!mutable) {
        return err == FS_EROFS ? 0 : err ? err : FS_EPERM;
    }
    if (!err) {
        err = post_step(fs, dev, &steps[POST_WRITE], rec, m);
    }
    if (!err || err == FS_ENOSPC) {
        int e2 = post_step(fs, dev, &steps[POST_SYNC], rec, m);
        err = err ? err : e2;
    }
    int e3 = post_step(fs, dev, &steps[POST_REMOVE], rec, m);
    err = err && err != FS_ENOSPC ? err : e3 == FS_ENOENT ? err : e3;
    int e4 = post_step(fs, dev, &steps[POST_SYNC_AGAIN], rec, m);
    return err && err != FS_ENOSPC ? err : e4;
}

struct fs_config
record_check_config(const struct record_config *cfg, const char *label)
{
    return (struct fs_config){ .cache_block_count = RECORD_CHECK_CACHE_BLOCKS,
        .snapshot = label, .flush_at_pass_boundaries = cfg->profile == SYNC_PROFILE_HARDENED };
}

/* The nested recording's run: the checker's mount, the workload, its
 * unmount, and the remount and unmount after it (record_nested). */
static int
nested_run(struct recording *rec, const struct recording_mount *label, struct oracle *m)
{
    ASSERT(rec->level > 0);
    struct runner_dev rd = { &rec->dev.bdev, record_check_config(&rec->config, label->name),
        { 0 } };
    struct fs *fs = NULL;
    int err = fs_mount(&fs, rd.bdev, &rd.config);
    if (err) {
        snprintf(rec->violation, sizeof(rec->violation), "post-recovery workload: mount of "
                "label %.64s: %s (%s)", label->name, fs_mount_failure(), fs_strerror(err));
        return 0;
    }
    compare(rec, fs, m, "post-recovery workload", 0);
    err = record_post_workload(&fs, &rd, label->mutable, rec->level - 1, rec, m);
    if (err == FS_ENOMEM) {
        fs_unmount(fs);
        return -1;
    }
    if (err && rec->violation[0] == '\0') {
        snprintf(rec->violation, sizeof(rec->violation), "post-recovery workload: %s",
                fs_strerror(err));
    }
    err = fs_unmount(fs);
    if (!err) {
        err = fs_mount(&fs, rd.bdev, &rd.config);
        err = err ? err : fs_unmount(fs);
    }
    if (err && rec->violation[0] == '\0') {
        snprintf(rec->violation, sizeof(rec->violation), "post-recovery workload: unmount or "
                "remount: %s", fs_strerror(err));
    }
    return 0;
}

int
record_nested(const struct recording *parent, uint32_t recovered,
        const struct oplog_lower *image, struct recording *rec, char *err, size_t err_size)
{
    ASSERT(recovered < parent->sync_count);
    memset(rec, 0, sizeof(*rec));
    rec->config = parent->config;
    rec->level = parent->level + 1;
    const struct syncpt *p = &parent->syncs[recovered];
    const struct recording_mount *label = recording_mounted(parent, recovered, recovered);
    if (p->oracle == NULL) {
        snprintf(err, err_size, "sync point %u has no oracle (it was dropped)", recovered);
        return -1;
    }
    const struct oplog *plog = &parent->dev.disk.log;
    if (sim_dev_init(&rec->dev, plog->block_size, plog->block_count) != 0) {
        snprintf(err, err_size, "out of memory for a nested recording");
        return -1;
    }
    oplog_disk_set_lower(&rec->dev.disk, image);
    struct oracle *m = oracle_clone(p->oracle);
    rec->memo = oracle_memo_new();
    int rc = m == NULL || rec->memo == NULL || sim_dev_record_start(&rec->dev) != 0
        || mount_push(rec, label->name, m) != 0
        || sync_push(rec, UINT32_MAX, 0, 0, m) != 0 ? -1 : 0;
    if (!rc) {
        rc = nested_run(rec, label, m);
    }
    oracle_free(m);
    oracle_memo_free(rec->memo);
    rec->memo = NULL;
    rec->wlog_hash = oplog_hash(&rec->dev.disk.log);
    if (rc) {
        snprintf(err, err_size, "out of memory while recording the post-recovery workload");
    }
    return rc;
}

static const char *const sync_profile_names[SYNC_PROFILE_COUNT] = {
#define X(id, name) name,
    SYNC_PROFILES(X)
#undef X
};

const char *
sync_profile_name(enum sync_profile p)
{
    ASSERT(p < SYNC_PROFILE_COUNT);
    return sync_profile_names[p];
}

int
sync_profile_parse(const char *s, enum sync_profile *out)
{
    ASSERT(s != NULL && out != NULL);
    int32_t i = names_find(sync_profile_names, sizeof(sync_profile_names[0]),
            SYNC_PROFILE_COUNT, s);
    if (i < 0) {
        return -1;
    }
    *out = (enum sync_profile)i;
    return 0;
}

/* Bytes this process may have: the machine's memory, or less under a limit
 * on the address space or the data segment (ulimit -v, ulimit -d); 0 when
 * unknown. */
static uint64_t
memory_size_max(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
    uint64_t have = pages > 0 && page_size > 0 ? (uint64_t)pages * (uint64_t)page_size : 0;
    static const int limits[] = { RLIMIT_AS, RLIMIT_DATA };
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        struct rlimit rl;
        if (getrlimit(limits[i], &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                && (have == 0 || rl.rlim_cur < have)) {
            have = rl.rlim_cur;
        }
    }
    return have;
}

int
record_config_check(const struct record_config *cfg, char *err, size_t err_size)
{
    ASSERT(cfg != NULL && err != NULL);
    if (cfg->block_size == 0 || cfg->device_size % cfg->block_size != 0) {
        snprintf(err, err_size, "device size %" PRIu64 " is not a whole number of %" PRIu32
                "-byte blocks", cfg->device_size, cfg->block_size);
        return -1;
    }
    uint64_t blocks = cfg->device_size / cfg->block_size;
    uint32_t arenas = cfg->arenas ? cfg->arenas : fs_arena_count_default(cfg->block_size, blocks);
    if (fs_format_validate(cfg->block_size, blocks, arenas) != 0) {
        snprintf(err, err_size, "%s", fs_mount_failure());
        return -1;
    }
    /* No copy of the device is kept, but tables of a few words per block
     * are: refuse before allocating what this process cannot have. */
    uint64_t need = blocks * RECORD_TABLES_SIZE_PER_BLOCK;
    uint64_t have = memory_size_max();
    if (have != 0 && need > have) {
        snprintf(err, err_size, "a %" PRIu64 "-block device needs %" PRIu64 " MiB of per-block "
                "tables (%u bytes a block), more than the %" PRIu64 " MiB this process may have "
                "(the machine's memory, or a ulimit)", blocks, need >> 20,
                RECORD_TABLES_SIZE_PER_BLOCK, have >> 20);
        return -1;
    }
    return 0;
}

int
record_workload(const struct record_config *cfg, const struct trace *t, struct recording *rec,
        char *err, size_t err_size)
{
    memset(rec, 0, sizeof(*rec));
    rec->config = *cfg;
    if (record_config_check(cfg, err, err_size) != 0) {
        return -1;
    }
    uint64_t blocks = cfg->device_size / cfg->block_size;
    if (sim_dev_init(&rec->dev, cfg->block_size, blocks) != 0) {
        snprintf(err, err_size, "out of memory for a %llu-block device",
                (unsigned long long)blocks);
        return -1;
    }
    struct fs_format_config fc = { .arena_count = cfg->arenas };
    struct runner_dev rd = { &rec->dev.bdev,
        { .flush_at_pass_boundaries = cfg->profile == SYNC_PROFILE_HARDENED }, { 0 } };
    struct fs *fs = NULL;
    int e = fs_format(&rec->dev.bdev, &fc);
    if (!e) {
        e = fs_mount(&fs, rd.bdev, &rd.config);
    }
    if (e) {
        snprintf(err, err_size, "format: %s (%s)", fs_mount_failure(), fs_strerror(e));
        return -1;
    }
    struct oracle *m = oracle_new();
    rec->memo = oracle_memo_new();
    int rc = m == NULL || rec->memo == NULL || sim_dev_record_start(&rec->dev) != 0
        || mount_push(rec, "main", m) != 0 ? -1 : 0;
    if (!rc) {
        rc = sync_push(rec, UINT32_MAX, 0, 0, m);
        compare(rec, fs, m, t->name, 0);
    }
    if (!rc) {
        rc = run_steps(rec, &fs, &rd, m, t);
    }
    if (!rc && rec->violation[0] == '\0') {
        uint32_t start = rec->dev.disk.log.count;
        e = fs_sync(fs);
        rc = e ? -1 : sync_push(rec, UINT32_MAX, 0, start, m);
        compare(rec, fs, m, t->name, 0);
        if (e) {
            snprintf(rec->violation, sizeof(rec->violation), "%.200s: final sync failed: %s",
                    t->name, fs_strerror(e));
            rc = 0;
        }
    }
    fs_unmount(fs);
    oracle_free(m);
    oracle_memo_free(rec->memo);
    rec->memo = NULL;
    rec->wlog_hash = oplog_hash(&rec->dev.disk.log);
    if (rc) {
        snprintf(err, err_size, "out of memory while recording");
    }
    return rc;
}

void
recording_drop_oracles(struct recording *rec)
{
    ASSERT(rec->sync_count <= rec->sync_cap);
    for (uint32_t i = 0; i < rec->sync_count; i++) {
        oracle_free(rec->syncs[i].oracle);
        rec->syncs[i].oracle = NULL;
    }
}

void
recording_free(struct recording *rec)
{
    recording_drop_oracles(rec);
    for (uint32_t i = 0; i < rec->mount_count; i++) {
        free(rec->mounts[i].name);
    }
    free(rec->mounts);
    free(rec->syncs);
    sim_dev_deinit(&rec->dev);
    memset(rec, 0, sizeof(*rec));
}

void
recording_legal(const struct recording *rec, uint32_t cut, uint32_t *lo, uint32_t *hi)
{
    ASSERT(rec->sync_count > 0);
    uint32_t done = 0, begun = 0;
    for (uint32_t k = 0; k < rec->sync_count; k++) {
        if (rec->syncs[k].end_op <= cut) {
            done = k;
        }
        if (rec->syncs[k].start_op < cut) {
            begun = k;
        }
    }
    *lo = done;
    *hi = FS_MAX(done, begun);
}

const struct recording_mount *
recording_mounted(const struct recording *rec, uint32_t lo, uint32_t hi)
{
    ASSERT(lo <= hi && hi < rec->sync_count);
    ASSERT(rec->syncs[lo].mount == rec->syncs[hi].mount);   /* See runner.h. */
    static char main_name[] = "main";
    static const struct recording_mount main_label = { main_name, true };
    return rec->mount_count == 0 ? &main_label : &rec->mounts[rec->syncs[lo].mount];
}
