/*
 * tests/test_oracle.c: the file system against the oracle (sim/oracle/oracle.h),
 * step by step, over many seeded random workloads.
 *
 * Method: a seeded generator makes trace steps (mkdir, create, write,
 * overwrite, truncate, rm, mv, snapshot label/fork/delete, sync, tick, and
 * steps that must fail: bad names, missing parents, files used as
 * directories, offsets past FS_FILE_SIZE_MAX, ...). Each step runs on a file
 * system on a memory device, through runner_step (sim/record/runner.h: the
 * one function that applies a trace step, explore's recorder's and crashsim
 * run's), and goes to oracle_step, which requires the result the oracle
 * expects (FS_ENOSPC aside: then the step must have changed nothing).
 * Every check_every steps, and at the end, a checkpoint syncs, requires
 * oracle_digest_fs == oracle_digest (oracle_diff prints the differences
 * otherwise), unmounts, mounts again, requires the digest again and runs
 * fs_check, which must find no corruption and no leak.
 *
 * Each configuration also proves it reached what it is for, by assertions
 * on counters: every expected error code was produced (mixed), tree height 3
 * (tall), deadlists and a snapshot delete that merges them (deadlists), log
 * growth and compression (log), FS_ENOSPC followed by recovery (full).
 *
 * A failure prints "oracle:CONFIG:seed=N:step=K" and the step.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "../fs/state.h"
#include "../fs/tree.h"
#include "../sim/oracle/oracle.h"
#include "../sim/record/runner.h"
#include "../traces/prng.h"

#define LABEL_POOL_COUNT 6u             /* Labels s0..s5. */
#define PATH_CACHE_STEPS 24u            /* Steps between refreshes of the path cache. */

enum weight_kind {
    W_MKDIR, W_CREATE, W_WRITE, W_OVERWRITE, W_TRUNCATE, W_RM, W_MV, W_LABEL, W_FORK,
    W_SNAP_DELETE, W_SYNC, W_TICK, W_BAD, W_COUNT
};

struct cfg {
    const char *name;           /* For failure ids. */
    uint32_t block_size;        /* Bytes. */
    uint64_t block_count;       /* Device blocks. */
    uint32_t arena_count;       /* 0: the default. */
    uint32_t step_count;        /* Steps per seed. */
    uint32_t check_every;       /* Steps between checkpoints. */
    uint32_t name_count;        /* Distinct names. */
    uint32_t name_pad;          /* Bytes of padding in names: longer keys, taller trees. */
    uint32_t write_max;         /* Largest write, bytes. */
    uint64_t offset_max;        /* Largest write offset, bytes. */
    uint8_t weight[W_COUNT];    /* Relative frequency of each kind of step. */
};

/* What a run reached, summed over its seeds. */
struct reach {
    uint64_t err_count[128];    /* Steps that returned -code as the oracle expected. */
    uint64_t steps;             /* Steps run. */
    uint64_t enospc;            /* Steps skipped under the FS_ENOSPC rule. */
    uint32_t height_max;        /* Tallest mounted tree seen. */
    uint64_t log_grow;          /* Log growths (fs_stats, summed over mounts). */
    uint64_t log_compress;      /* Log compressions. */
    uint64_t dlist_max;         /* Most deadlist records seen at a checkpoint. */
    uint64_t merge_deletes;     /* Snapshot deletes that merge deadlists into a successor. */
    uint64_t checkpoints;       /* Checkpoints passed. */
};

struct run {
    const struct cfg *cfg;      /* The configuration. */
    uint64_t seed;              /* This run's seed. */
    uint64_t x;                 /* PRNG state. */
    struct bdev dev;            /* The memory device. */
    struct fs *fs;              /* Mounted. */
    struct oracle *m;            /* The oracle. */
    uint32_t step_index;        /* Steps done. */
    char **dirs;                /* Cached directory paths ("/" first). */
    uint32_t dir_count;         /* Entries. */
    char **files;               /* Cached file paths. */
    uint32_t file_count;        /* Entries. */
    uint32_t path_cap;          /* Allocated entries of each list. */
    struct reach *reach;        /* Counters. */
};

/* ---- Random numbers (splitmix64, traces/prng.h). ---- */

static uint64_t
rnd(struct run *r)
{
    return prng_splitmix64(&r->x);
}

static uint64_t
rnd_below(struct run *r, uint64_t n)
{
    return n == 0 ? 0 : rnd(r) % n;
}

/* ---- Paths known to the oracle. ---- */

static void
paths_clear(struct run *r)
{
    for (uint32_t i = 0; i < r->dir_count; i++) {
        free(r->dirs[i]);
    }
    for (uint32_t i = 0; i < r->file_count; i++) {
        free(r->files[i]);
    }
    r->dir_count = r->file_count = 0;
}

static void
paths_add(struct run *r, bool is_dir, const char *path)
{
    if ((is_dir ? r->dir_count : r->file_count) == r->path_cap) {
        r->path_cap = r->path_cap ? 2 * r->path_cap : 64;
        r->dirs = realloc(r->dirs, r->path_cap * sizeof(char *));
        r->files = realloc(r->files, r->path_cap * sizeof(char *));
        assert_non_null(r->dirs);
        assert_non_null(r->files);
    }
    char *p = strdup(path);
    assert_non_null(p);
    if (is_dir) {
        r->dirs[r->dir_count++] = p;
    } else {
        r->files[r->file_count++] = p;
    }
}

static int
paths_fn(void *arg, const char *path, bool is_dir, uint64_t size)
{
    (void)size;
    paths_add(arg, is_dir, path);
    return 0;
}

static void
paths_refresh(struct run *r)
{
    paths_clear(r);
    paths_add(r, true, "/");
    CHECK_EQ(oracle_walk(r->m, paths_fn, r), 0);
}

/* ---- Generating steps. ---- */

static void
name_make(struct run *r, char *out, size_t size)
{
    uint32_t i = (uint32_t)rnd_below(r, r->cfg->name_count);
    int n = snprintf(out, size, "n%u", i);
    for (uint32_t k = 0; k < r->cfg->name_pad && (size_t)n + 1 < size; k++) {
        out[n++] = (char)('a' + (i + k) % 26);
    }
    out[n] = '\0';
}

/* dir/name; a path that would not fit a trace step becomes /name. */
static void
path_join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, TRACE_PATH_MAX, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", name);
    if (n < 0 || n >= (int)TRACE_PATH_MAX) {
        n = snprintf(out, TRACE_PATH_MAX, "/%s", name);
        assert_true(n > 0 && n < (int)TRACE_PATH_MAX);
    }
}

static const char *
pick_dir(struct run *r)
{
    return r->dirs[rnd_below(r, r->dir_count)];
}

/* An existing file most of the time, else a path that may be anything. */
static const char *
pick_file(struct run *r)
{
    if (r->file_count > 0 && rnd_below(r, 10) != 0) {
        return r->files[rnd_below(r, r->file_count)];
    }
    return r->dirs[rnd_below(r, r->dir_count)];
}

static const char *
pick_any(struct run *r)
{
    uint64_t n = r->dir_count + r->file_count;
    uint64_t i = rnd_below(r, n);
    return i < r->dir_count ? r->dirs[i] : r->files[i - r->dir_count];
}

static void
new_path(struct run *r, char *out)
{
    char name[FS_NAME_MAX + 1];
    name_make(r, name, sizeof(name));
    path_join(out, pick_dir(r), name);
}

static void
label_name(struct run *r, char *out)
{
    snprintf(out, TRACE_PATH_MAX, "s%u", (unsigned)rnd_below(r, LABEL_POOL_COUNT));
}

static void
gen_write(struct run *r, struct trace_step *s, bool overwrite)
{
    const struct cfg *c = r->cfg;
    s->op = TRACE_WRITE;
    snprintf(s->path, TRACE_PATH_MAX, "%s", pick_file(r));
    s->seed = rnd(r);
    uint64_t k = rnd_below(r, 16);
    s->length = k == 0 ? 0 : k == 1 ? rnd_below(r, 16) : 1 + rnd_below(r, c->write_max);
    s->offset = rnd_below(r, c->offset_max + 1);
    struct fs_stat st;
    if (overwrite && fs_stat(r->fs, s->path, &st) == 0 && st.size > 0) {
        s->offset = rnd_below(r, st.size);
    }
    if (rnd_below(r, 3) == 0) {
        s->offset -= s->offset % c->block_size;     /* Block aligned. */
    }
}

static void
gen_truncate(struct run *r, struct trace_step *s)
{
    s->op = TRACE_TRUNCATE;
    snprintf(s->path, TRACE_PATH_MAX, "%s", pick_file(r));
    struct fs_stat st;
    uint64_t size = fs_stat(r->fs, s->path, &st) == 0 ? st.size : 0;
    switch (rnd_below(r, 4)) {
    case 0:
        s->length = 0;
        break;
    case 1:
        s->length = size + rnd_below(r, 3 * r->cfg->block_size);     /* Grow. */
        break;
    default:
        s->length = rnd_below(r, size + 1);                             /* Shrink. */
        break;
    }
}

static void
gen_mv(struct run *r, struct trace_step *s)
{
    s->op = TRACE_MV;
    snprintf(s->path, TRACE_PATH_MAX, "%s", pick_any(r));
    char name[FS_NAME_MAX + 1];
    name_make(r, name, sizeof(name));
    uint64_t k = rnd_below(r, 10);
    if (k == 0) {
        snprintf(s->path2, TRACE_PATH_MAX, "%s", s->path);     /* Same name. */
    } else if (k == 1) {
        path_join(s->path2, pick_dir(r), name);                 /* Likely another directory. */
    } else {
        char *slash = strrchr(s->path, '/');
        char dir[TRACE_PATH_MAX];
        size_t n = slash != NULL && slash != s->path ? (size_t)(slash - s->path) : 1;
        memcpy(dir, s->path, n);
        dir[n] = '\0';
        path_join(s->path2, dir, name);
    }
}

static void
gen_snap(struct run *r, struct trace_step *s, enum trace_op op)
{
    s->op = op;
    if (op == TRACE_SNAP_DELETE) {
        if (rnd_below(r, 12) == 0) {
            snprintf(s->path, TRACE_PATH_MAX, "main");
        } else {
            label_name(r, s->path);
        }
        return;
    }
    if (rnd_below(r, 2) == 0) {
        snprintf(s->path, TRACE_PATH_MAX, "main");
    } else {
        label_name(r, s->path);
    }
    label_name(r, s->path2);
}

/* A name of n bytes of c. */
static void
long_name(char *out, size_t n, char c)
{
    memset(out, c, n);
    out[n] = '\0';
}

/* A path that is malformed in one of many ways, or legal at the limit. */
static void
bad_path(struct run *r, char *out)
{
    char name[FS_NAME_MAX + 8];
    const char *dir = pick_dir(r);
    switch (rnd_below(r, 10)) {
    case 0:
        snprintf(out, TRACE_PATH_MAX, "n%u", (unsigned)rnd_below(r, 4));      /* Relative. */
        break;
    case 1:
        snprintf(out, TRACE_PATH_MAX, "%s/", pick_any(r));                     /* Trailing /. */
        break;
    case 2:
        path_join(out, dir, rnd_below(r, 2) ? "." : "..");
        break;
    case 3:
        path_join(out, dir, rnd_below(r, 2) ? "a\x01" "b" : "\x1f");           /* Control. */
        break;
    case 4:
        long_name(name, FS_NAME_MAX + 1, 'L');                                 /* Too long. */
        path_join(out, dir, name);
        break;
    case 5:
        long_name(name, FS_NAME_MAX, (char)('A' + rnd_below(r, 3)));           /* At the limit. */
        path_join(out, dir, name);
        break;
    case 6:
        path_join(out, dir, "missing-zz/x");                                   /* No parent. */
        break;
    case 7:
        snprintf(out, TRACE_PATH_MAX, "%s/x", pick_file(r));                   /* File as dir. */
        break;
    case 8:
        snprintf(out, TRACE_PATH_MAX, "%s//x", strcmp(dir, "/") == 0 ? "" : dir);
        break;
    default:
        snprintf(out, TRACE_PATH_MAX, "/");
        break;
    }
}

static void
bad_label(struct run *r, char *out)
{
    static const char *const names[] = { "", ".", "..", "a/b", "/s0" };
    uint64_t k = rnd_below(r, FS_ARRAY_COUNT(names) + 1);
    if (k < FS_ARRAY_COUNT(names)) {
        snprintf(out, TRACE_PATH_MAX, "%s", names[k]);
    } else {
        long_name(out, FS_NAME_MAX + 1, 'S');
    }
}

/* A step that is meant to fail (a few are legal at a limit). */
static void
gen_bad(struct run *r, struct trace_step *s)
{
    static const enum trace_op ops[] = { TRACE_MKDIR, TRACE_CREATE, TRACE_WRITE, TRACE_TRUNCATE,
        TRACE_RM, TRACE_MV, TRACE_MV, TRACE_SNAP_LABEL, TRACE_SNAP_FORK, TRACE_SNAP_DELETE };
    s->op = ops[rnd_below(r, FS_ARRAY_COUNT(ops))];
    bool second = rnd_below(r, 2) == 0;
    switch (s->op) {
    case TRACE_WRITE:
        bad_path(r, s->path);
        s->length = rnd_below(r, 16);
        s->seed = rnd(r);
        if (rnd_below(r, 2) == 0) {
            /* Past the limit: FS_EFBIG; exactly at it with no bytes: nothing to do. A
             * write that succeeds near the limit would make a file no digest can read. */
            snprintf(s->path, TRACE_PATH_MAX, "%s", pick_file(r));
            uint64_t k = rnd_below(r, 8);
            s->offset = FS_FILE_SIZE_MAX - k;
            s->length = rnd_below(r, 6) == 0 ? 0 : k + 1 + rnd_below(r, 8);
            s->offset += rnd_below(r, 6) == 0 ? k + 1 : 0;
        }
        break;
    case TRACE_TRUNCATE:
        bad_path(r, s->path);
        if (rnd_below(r, 2) == 0) {
            snprintf(s->path, TRACE_PATH_MAX, "%s", pick_file(r));
            s->length = FS_FILE_SIZE_MAX + 1 + rnd_below(r, 1000);
        }
        break;
    case TRACE_MV:
        snprintf(second ? s->path : s->path2, TRACE_PATH_MAX, "%s", pick_any(r));
        bad_path(r, second ? s->path2 : s->path);
        break;
    case TRACE_SNAP_LABEL:
    case TRACE_SNAP_FORK:
        snprintf(second ? s->path : s->path2, TRACE_PATH_MAX, second ? "main" : "s0");
        bad_label(r, second ? s->path2 : s->path);
        break;
    case TRACE_SNAP_DELETE:
        bad_label(r, s->path);
        break;
    default:
        bad_path(r, s->path);
        break;
    }
}

static void
gen_step(struct run *r, struct trace_step *s)
{
    memset(s, 0, sizeof(*s));
    s->line = r->step_index + 1;
    uint32_t total = 0;
    for (uint32_t k = 0; k < W_COUNT; k++) {
        total += r->cfg->weight[k];
    }
    uint64_t x = rnd_below(r, total);
    uint32_t k = 0;
    while (x >= r->cfg->weight[k]) {
        x -= r->cfg->weight[k++];
    }
    switch (k) {
    case W_MKDIR: s->op = TRACE_MKDIR; new_path(r, s->path); break;
    case W_CREATE: s->op = TRACE_CREATE; new_path(r, s->path); break;
    case W_WRITE: gen_write(r, s, false); break;
    case W_OVERWRITE: gen_write(r, s, true); break;
    case W_TRUNCATE: gen_truncate(r, s); break;
    case W_RM: s->op = TRACE_RM; snprintf(s->path, TRACE_PATH_MAX, "%s", pick_any(r)); break;
    case W_MV: gen_mv(r, s); break;
    case W_LABEL: gen_snap(r, s, TRACE_SNAP_LABEL); break;
    case W_FORK: gen_snap(r, s, TRACE_SNAP_FORK); break;
    case W_SNAP_DELETE: gen_snap(r, s, TRACE_SNAP_DELETE); break;
    case W_SYNC: s->op = TRACE_SYNC; break;
    case W_TICK: s->op = TRACE_TICK; s->ns = 1 + rnd_below(r, 1000000); break;
    default: gen_bad(r, s); break;
    }
}

/* ---- Running steps. ---- */

static void
fail_at(const struct run *r, const char *what, const char *detail)
{
    util_note("oracle:%s:seed=%" PRIu64 ":step=%u: %s", r->cfg->name, r->seed, r->step_index,
            what);
    for (const char *p = detail; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        int n = nl != NULL ? (int)(nl - p) : (int)strlen(p);
        util_note("    %.*s", n, p);                  /* One TAP diagnostic per line. */
        p += n + (nl != NULL);
    }
    fail();
}

/* Digest of fs and oracle must agree; on a mismatch the differences print. */
static void
expect_same(struct run *r, const char *when)
{
    uint64_t d = 0;
    int err = oracle_digest_fs(r->fs, &d);
    if (err == 0 && d == oracle_digest(r->m)) {
        return;
    }
    static char diff[8192];
    int differs = oracle_diff(r->m, r->fs, diff, sizeof(diff));
    char what[160];
    snprintf(what, sizeof(what), "%s: the file system differs from the oracle (digest %s, diff %d)",
            when, err ? fs_strerror(err) : "differs", differs);
    fail_at(r, what, diff);
}

/* ---- Coverage probes (fs/state.h, fs/tree.h): read only. ---- */

struct dl_count {
    uint64_t count;             /* Deadlist records seen. */
    uint64_t killer;            /* Only this killer (UINT64_MAX: any). */
    uint64_t birth_max;         /* Only births at or below this. */
};

static int
dl_count_fn(void *arg, const struct kv *kv)
{
    struct dl_count *c = arg;
    assert_int_equal(kv->nk, FMT_KDLIST_SIZE);
    uint64_t killer = fmt_get64(kv->k + 1), birth = fmt_get64(kv->k + 9);
    if ((c->killer == UINT64_MAX || killer == c->killer) && birth <= c->birth_max) {
        c->count++;
    }
    return 0;
}

/* Deadlist records of killer (UINT64_MAX: all) with birth <= birth_max. */
static uint64_t
dl_records(struct fs *fs, uint64_t killer, uint64_t birth_max)
{
    uint8_t prefix[9];
    prefix[0] = FMT_KDLIST;
    fmt_put64(prefix + 1, killer);
    struct dl_count c = { 0, killer, birth_max };
    CHECK_ERR(tree_scan(fs, &fs->snap, NULL, 0, prefix, killer == UINT64_MAX ? 1 : 9,
            dl_count_fn, &c), 0);
    return c.count;
}

struct find_label {
    const char *name;           /* Wanted. */
    struct fs_snapinfo info;    /* Found. */
    bool found;                 /* It exists. */
};

static int
find_label_fn(void *arg, const struct fs_snapinfo *info)
{
    struct find_label *f = arg;
    if (strcmp(info->name, f->name) == 0) {
        f->info = *info;
        f->found = true;
        return 1;
    }
    return 0;
}

/* Before a snapshot delete: will it merge deadlists into a successor? The
 * label is the last of a record with one successor, and the record has
 * deadlists of blocks born at or before its predecessor (GEFS.md §7.3). */
static void
probe_delete(struct run *r, const struct trace_step *s)
{
    struct find_label f = { s->path, { .nlbl = 0 }, false };
    if (s->op != TRACE_SNAP_DELETE || strcmp(s->path, "main") == 0
            || fs_snap_list(r->fs, find_label_fn, &f) != 0 || !f.found) {
        return;
    }
    if (f.info.nlbl == 1 && f.info.nref == 1 && f.info.pred != UINT64_MAX
            && dl_records(r->fs, f.info.gen, f.info.pred) > 0) {
        r->reach->merge_deletes++;
    }
}

static void
do_step(struct run *r, const struct trace_step *s)
{
    probe_delete(r, s);
    int got = runner_step(&r->fs, NULL, s);
    char why[768];
    if (oracle_step(r->m, s, got, why, sizeof(why)) != 0) {
        fail_at(r, "step result differs from the oracle", why);
    }
    r->reach->steps++;
    if (got < 0 && -got < 128) {
        r->reach->err_count[-got]++;
    }
    if (got == FS_ENOSPC) {
        r->reach->enospc++;
        expect_same(r, "after a step failed with FS_ENOSPC");   /* It changed nothing. */
    }
    if (r->fs->tree.height > r->reach->height_max) {
        r->reach->height_max = r->fs->tree.height;
    }
    r->step_index++;
}

static void
stats_add(struct run *r)
{
    const struct fs_stats *st = fs_stats(r->fs);
    r->reach->log_grow += st->log_grow_count;
    r->reach->log_compress += st->log_compress_count;
}

/* Sync, compare, remount, compare, check: no corruption, no leak. */
static void
checkpoint(struct run *r)
{
    int err = fs_sync(r->fs);
    if (err) {
        fail_at(r, "checkpoint: fs_sync failed", fs_strerror(err));
    }
    expect_same(r, "checkpoint after sync");
    uint64_t dl = dl_records(r->fs, UINT64_MAX, UINT64_MAX);
    r->reach->dlist_max = dl > r->reach->dlist_max ? dl : r->reach->dlist_max;
    stats_add(r);
    int unmounted = fs_unmount(r->fs);
    r->fs = NULL;
    CHECK_ERR(unmounted, 0);
    r->fs = util_mount(&r->dev, false);
    expect_same(r, "checkpoint after remount");
    struct fs_check_result cr;
    util_check_run(r->fs, &cr, false);
    if (cr.count[FS_CHECK_CORRUPT] != 0 || cr.count[FS_CHECK_LEAK] != 0) {
        util_check_print(&cr);
        fail_at(r, "checkpoint: fs_check found corruption or leaks", "");
    }
    r->reach->checkpoints++;
}

/* The run in progress, released by teardown if its case fails (a failed
 * case must not leave leaks for LeakSanitizer). */
static struct run *run_current;

static void
run_free(struct run *r)
{
    if (r->fs != NULL) {
        (void)fs_unmount(r->fs);
        r->fs = NULL;
    }
    bdev_mem_close(&r->dev);
    oracle_free(r->m);
    paths_clear(r);
    free(r->dirs);
    free(r->files);
    free(r);
    run_current = NULL;
}

static int
teardown(void **state)
{
    (void)state;
    if (run_current != NULL) {
        run_free(run_current);
    }
    return 0;
}

static struct run *
run_open(const struct cfg *c, uint64_t seed, struct reach *reach)
{
    struct run *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    run_current = r;
    r->cfg = c;
    r->seed = seed;
    r->x = seed * PRNG_XORSHIFT_MUL + 17;
    r->reach = reach;
    util_mem_open(&r->dev, c->block_size, c->block_count);
    r->fs = util_format_mount(&r->dev, c->arena_count);
    r->m = oracle_new();
    expect_same(r, "after format");
    paths_refresh(r);
    return r;
}

static void
run_close(struct run *r)
{
    checkpoint(r);
    stats_add(r);
    int err = fs_unmount(r->fs);
    r->fs = NULL;
    CHECK_ERR(err, 0);
    run_free(r);
}

/* steps generated steps, with checkpoints. */
static void
run_steps(struct run *r, uint32_t steps)
{
    for (uint32_t i = 0; i < steps; i++) {
        if (i % PATH_CACHE_STEPS == 0) {
            paths_refresh(r);
        }
        struct trace_step s;
        gen_step(r, &s);
        do_step(r, &s);
        if ((i + 1) % r->cfg->check_every == 0) {
            checkpoint(r);
        }
    }
}

static void
run_seed(const struct cfg *c, uint64_t seed, struct reach *reach)
{
    struct run *r = run_open(c, seed, reach);
    run_steps(r, c->step_count);
    run_close(r);
}

static void
reach_note(const char *name, const struct reach *x)
{
    util_note("%s: %" PRIu64 " steps, %" PRIu64 " checkpoints, height %u, enospc %" PRIu64
            ", log grow %" PRIu64 ", compress %" PRIu64 ", deadlists %" PRIu64
            ", merging deletes %" PRIu64, name, x->steps, x->checkpoints, x->height_max,
            x->enospc, x->log_grow, x->log_compress, x->dlist_max, x->merge_deletes);
}

/* ---- Configurations. ---- */

/*                        mkdir create write over trunc rm mv label fork sdel sync tick bad */
#define WEIGHTS_MIXED .weight = { 6,  10,    14,   10,  6,    8, 8, 3,    2,   3,   3,   2,   12 }

static const struct cfg cfg_mixed_16k = {
    .name = "mixed16k", .block_size = 16 * KIB, .block_count = 1024, .step_count = 500,
    .check_every = 40, .name_count = 6, .write_max = 40000, .offset_max = 100000, WEIGHTS_MIXED,
};

static const struct cfg cfg_mixed_4k = {
    .name = "mixed4k", .block_size = 4 * KIB, .block_count = 2048, .arena_count = 2,
    .step_count = 500, .check_every = 40, .name_count = 6, .write_max = 20000,
    .offset_max = 60000, WEIGHTS_MIXED,
};

static void
expect_error_reached(const struct reach *x, int err)
{
    if (x->err_count[-err] == 0) {
        util_note("no step returned %s", fs_strerror(err));
    }
    assert_true(x->err_count[-err] > 0);
}

/* 32 seeds over both block sizes: every step result and every checkpoint must
 * match the oracle, and the error paths of fs.h must all have been taken. */
static void
oracle_mixed(void **state)
{
    (void)state;
    struct reach x;
    memset(&x, 0, sizeof(x));
    for (uint64_t seed = 1; seed <= 32; seed++) {
        run_seed(seed % 2 ? &cfg_mixed_16k : &cfg_mixed_4k, seed, &x);
    }
    reach_note("mixed", &x);
    static const int errs[] = { FS_EEXIST, FS_ENOENT, FS_ENOTDIR, FS_EISDIR, FS_ENOTEMPTY,
        FS_EXDEV, FS_EINVAL, FS_ENAMETOOLONG, FS_EFBIG, FS_EPERM };
    for (uint32_t i = 0; i < FS_ARRAY_COUNT(errs); i++) {
        expect_error_reached(&x, errs[i]);
    }
    CHECK_TRUE(x.checkpoints >= 32 * 12);
}

/* Thousands of entries with long names on 4 KiB blocks: a tree of height 3. */
static void
oracle_tall(void **state)
{
    (void)state;
    static const struct cfg c = {
        .name = "tall", .block_size = 4 * KIB, .block_count = 8192, .arena_count = 2,
        .step_count = 4000, .check_every = 800, .name_count = 100000, .name_pad = 40,
        .write_max = 3000, .offset_max = 8192,
        /*         mkdir create write over trunc rm mv label fork sdel sync tick bad */
        .weight = { 2,    60,    8,    2,   1,    3, 3, 1,    0,   1,   1,   0,   1 },
    };
    struct reach x;
    memset(&x, 0, sizeof(x));
    run_seed(&c, 101, &x);
    reach_note("tall", &x);
    CHECK_TRUE(x.height_max >= 3);
}

/* Labels, then overwrites, then deletes: deadlists are written, and deletes
 * merge them into successors. */
static void
oracle_deadlists(void **state)
{
    (void)state;
    static const struct cfg c = {
        .name = "deadlists", .block_size = 16 * KIB, .block_count = 1024,
        .step_count = 300, .check_every = 30, .name_count = 8, .write_max = 50000,
        .offset_max = 65536,
        /*         mkdir create write over trunc rm mv label fork sdel sync tick bad */
        .weight = { 1,    6,     10,   25,  4,    4, 2, 6,    2,   6,   6,   1,   2 },
    };
    struct reach x;
    memset(&x, 0, sizeof(x));
    for (uint64_t seed = 201; seed <= 204; seed++) {
        run_seed(&c, seed, &x);
    }
    reach_note("deadlists", &x);
    CHECK_TRUE(x.dlist_max > 0);
    CHECK_TRUE(x.merge_deletes > 0);
}

/* Many allocations and frees in one small arena with frequent commits: the
 * allocation log grows and is compressed. */
static void
oracle_log(void **state)
{
    (void)state;
    static const struct cfg c = {
        .name = "log", .block_size = 4 * KIB, .block_count = 1024, .arena_count = 1,
        .step_count = 1500, .check_every = 250, .name_count = 6, .write_max = 16384,
        .offset_max = 32768,
        /*         mkdir create write over trunc rm mv label fork sdel sync tick bad */
        .weight = { 0,    4,     10,   30,  4,    3, 1, 0,    0,   0,   8,   0,   0 },
    };
    struct reach x;
    memset(&x, 0, sizeof(x));
    run_seed(&c, 301, &x);
    reach_note("log", &x);
    CHECK_TRUE(x.log_grow > 0);
    CHECK_TRUE(x.log_compress > 0);
}

static void
step_simple(struct run *r, enum trace_op op, const char *path, uint64_t length)
{
    struct trace_step s;
    memset(&s, 0, sizeof(s));
    s.op = op;
    s.line = r->step_index + 1;
    snprintf(s.path, TRACE_PATH_MAX, "%s", path);
    s.length = length;
    s.seed = rnd(r);
    do_step(r, &s);
}

/* Fills the device until steps fail with FS_ENOSPC: each failed step must
 * leave the state as the oracle has it (checked at once), the image must
 * check clean, and after removing everything writes succeed again. A write
 * of many blocks that runs out of space part way is also
 * oracle_enospc_atomic's deterministic case. */
static void
oracle_full(void **state)
{
    (void)state;
    static const struct cfg c = {
        .name = "full", .block_size = 4 * KIB, .block_count = 640, .arena_count = 1,
        .step_count = 0, .check_every = UINT32_MAX, .name_count = 40, .write_max = 32768,
        .offset_max = 65536,
        /*         mkdir create write over trunc rm mv label fork sdel sync tick bad */
        .weight = { 1,    6,     30,   4,   0,    0, 0, 1,    0,   0,   2,   0,   0 },
    };
    struct reach x;
    memset(&x, 0, sizeof(x));
    struct run *r = run_open(&c, 401, &x);
    for (uint32_t i = 0; i < 4000 && x.enospc < 8; i++) {
        if (i % PATH_CACHE_STEPS == 0) {
            paths_refresh(r);
        }
        struct trace_step s;
        gen_step(r, &s);
        do_step(r, &s);
    }
    CHECK_TRUE(x.enospc > 0);
    checkpoint(r);

    char label[8];
    for (uint32_t i = 0; i < LABEL_POOL_COUNT; i++) {
        snprintf(label, sizeof(label), "s%u", i);
        step_simple(r, TRACE_SNAP_DELETE, label, 0);
    }
    paths_refresh(r);
    uint64_t enospc = x.enospc;
    for (uint32_t i = 0; i < r->file_count; i++) {
        step_simple(r, TRACE_RM, r->files[i], 0);
    }
    CHECK_EQ(x.enospc, enospc);             /* Removing never needs more space than it frees. */
    checkpoint(r);

    char path[32];
    for (uint32_t i = 0; i < 16; i++) {
        snprintf(path, sizeof(path), "/after%u", i);
        step_simple(r, TRACE_CREATE, path, 0);
        step_simple(r, TRACE_WRITE, path, 16384);
    }
    CHECK_EQ(x.enospc, enospc);             /* The space came back. */
    reach_note("full", &x);
    run_close(r);
}

/* The ENOSPC rule for a write of many blocks that runs out of space part
 * way: after the device is full, a small file is removed and a 64 KiB write
 * (16 blocks of 4 KiB) needs more than came back. It must fail with
 * FS_ENOSPC and change nothing; do_step compares the state at once. */
static void
oracle_enospc_atomic(void **state)
{
    (void)state;
    static const struct cfg c = {
        .name = "enospc_atomic", .block_size = 4 * KIB, .block_count = 256, .arena_count = 1,
        .step_count = 0, .check_every = UINT32_MAX, .name_count = 1, .write_max = 4096,
        .offset_max = 0, .weight = { 0 },
    };
    struct reach x;
    memset(&x, 0, sizeof(x));
    struct run *r = run_open(&c, 501, &x);
    step_simple(r, TRACE_CREATE, "/small", 0);
    step_simple(r, TRACE_WRITE, "/small", 8192);
    step_simple(r, TRACE_CREATE, "/big", 0);
    for (uint64_t off = 0; x.enospc == 0 && off < 256 * 4096; off += 4096) {
        struct trace_step s = { .op = TRACE_WRITE, .line = r->step_index + 1, .offset = off,
            .length = 4096, .seed = off };
        snprintf(s.path, TRACE_PATH_MAX, "/big");
        do_step(r, &s);
    }
    CHECK_EQ(x.enospc, 1);                  /* The device is full. */
    step_simple(r, TRACE_RM, "/small", 0);
    step_simple(r, TRACE_SYNC, "", 0);
    step_simple(r, TRACE_CREATE, "/c", 0);
    step_simple(r, TRACE_WRITE, "/c", 65536);
    CHECK_EQ(x.enospc, 2);                  /* The write did not fit, as intended. */
    run_close(r);
}

static struct trace_step
mstep(enum trace_op op, const char *path, const char *path2, uint64_t off, uint64_t len)
{
    struct trace_step s;
    memset(&s, 0, sizeof(s));
    s.op = op;
    s.offset = off;
    s.length = len;
    s.seed = off + len;
    snprintf(s.path, sizeof(s.path), "%s", path);
    snprintf(s.path2, sizeof(s.path2), "%s", path2);
    return s;
}

/* The oracle itself: clones and labels are independent copies, the ENOSPC
 * rule of oracle_step, reads through holes. */
static void
oracle_self(void **state)
{
    (void)state;
    struct oracle *m = oracle_new();
    uint64_t empty = oracle_digest(m);
    struct trace_step s = mstep(TRACE_CREATE, "/a", "", 0, 0);
    CHECK_ERR(oracle_apply(m, &s), 0);
    s = mstep(TRACE_WRITE, "/a", "", 5000, 100);
    CHECK_ERR(oracle_apply(m, &s), 0);
    struct oracle *c = oracle_clone(m);
    uint64_t before = oracle_digest(m);
    CHECK_TRUE(before != empty);
    CHECK_EQ(oracle_digest(c), before);
    s = mstep(TRACE_SNAP_LABEL, "main", "s", 0, 0);
    CHECK_ERR(oracle_apply(m, &s), 0);
    s = mstep(TRACE_WRITE, "/a", "", 0, 10);
    CHECK_ERR(oracle_apply(m, &s), 0);
    CHECK_EQ(oracle_digest(c), before);                  /* The clone did not change. */
    uint8_t buf[6000], want[100];
    size_t done;
    CHECK_ERR(oracle_read(m, "/a", 0, buf, sizeof(buf), &done), 0);
    CHECK_EQ(done, 5100);
    trace_fill(5100, 0, want, 100);
    assert_memory_equal(buf + 5000, want, 100);
    CHECK_EQ(buf[4999] | buf[10], 0);                   /* A hole between the writes. */
    CHECK_ERR(oracle_mount(c, "s"), FS_ENOENT);          /* The clone has no label s. */
    CHECK_ERR(oracle_mount(m, "s"), 0);
    CHECK_ERR(oracle_read(m, "/a", 0, buf, 10, &done), 0);
    CHECK_EQ(buf[0] | buf[9], 0);                       /* The label kept the old bytes. */
    s = mstep(TRACE_CREATE, "/b", "", 0, 0);
    CHECK_ERR(oracle_expect(m, &s), FS_EROFS);           /* s is immutable. */
    CHECK_ERR(oracle_mount(m, "main"), 0);
    CHECK_EQ(oracle_step(m, &s, FS_ENOSPC, NULL, 0), 0); /* Skipped under the ENOSPC rule. */
    CHECK_ERR(oracle_expect(m, &s), 0);                  /* ... so /b still does not exist. */
    s = mstep(TRACE_CREATE, "/a", "", 0, 0);
    CHECK_EQ(oracle_step(m, &s, FS_ENOSPC, NULL, 0), 1); /* EEXIST is not a space question. */
    CHECK_EQ(oracle_step(m, &s, 0, NULL, 0), 1);
    CHECK_EQ(oracle_step(m, &s, FS_EEXIST, NULL, 0), 0);
    oracle_free(c);
    oracle_free(m);
}

/* The size of path in label's tree of a read-only mount of dev, or
 * UINT64_MAX if it does not exist there. */
static uint64_t
label_file_size(const struct bdev *dev, const char *label, const char *path)
{
    struct fs_config c = { .read_only = true, .snapshot = label };
    struct fs *fs;
    CHECK_ERR(fs_mount(&fs, dev, &c), 0);
    struct fs_stat st;
    int err = fs_stat(fs, path, &st);
    CHECK_TRUE(err == 0 || err == FS_ENOENT);
    CHECK_ERR(fs_unmount(fs), 0);
    return err ? UINT64_MAX : st.size;
}

/* A mount step: the recording writes into the fork it mounts, main keeps
 * its state, every sync point agrees with the oracle, an unknown label
 * leaves the fork mounted, and the label mounted at a cut is the one the
 * legal sync points were recorded with. */
static void
oracle_mount_fork(void **state)
{
    (void)state;
    static const char text[] =
        "mkdir /d\ncreate /d/a\nwrite /d/a 0 12K seed=1\ncreate /d/b\nsync\n"
        "snap fork main f\ncreate /x\nmount f\n"
        "write /d/a 4K 20K seed=2\nmv /d/b /d/c\ncreate /d/e\nsync\n"
        "mount nosuch expect=ENOENT\nrm /d/c\nsync\n";
    struct trace t;
    char err[256];
    CHECK_ERR(trace_parse_text("fork.trace", text, &t, err, sizeof(err)), 0);
    struct record_config cfg = { 4096, 4u << 20, 1, SYNC_PROFILE_FAITHFUL };
    struct recording rec;
    CHECK_ERR(record_workload(&cfg, &t, &rec, err, sizeof(err)), 0);
    if (rec.violation[0] != '\0') {
        fail_msg("%s", rec.violation);
    }
    CHECK_EQ(rec.steps_run, t.count);
    CHECK_EQ(rec.mount_count, 2);
    assert_string_equal(rec.mounts[1].name, "f");
    CHECK_TRUE(rec.mounts[1].mutable);
    /* Main as it was before the fork; f with every change. */
    const struct bdev *dev = &rec.dev.bdev;
    CHECK_EQ(label_file_size(dev, "main", "/d/a"), 12288);
    CHECK_EQ(label_file_size(dev, "main", "/d/b"), 0);
    CHECK_EQ(label_file_size(dev, "main", "/d/e"), UINT64_MAX);
    CHECK_EQ(label_file_size(dev, "main", "/x"), 0);         /* The mount step committed it. */
    CHECK_EQ(label_file_size(dev, "f", "/x"), UINT64_MAX);
    CHECK_EQ(label_file_size(dev, "f", "/d/a"), 24576);
    CHECK_EQ(label_file_size(dev, "f", "/d/b"), UINT64_MAX);
    CHECK_EQ(label_file_size(dev, "f", "/d/c"), UINT64_MAX);    /* Removed after ENOENT. */
    CHECK_EQ(label_file_size(dev, "f", "/d/e"), 0);
    /* The sync point of the mount begins where it ends; the cut before it
     * mounts main, every cut from it on mounts f. */
    uint32_t m = 0;
    for (uint32_t k = 0; k < rec.sync_count; k++) {
        m = m == 0 && rec.syncs[k].mount == 1 ? k : m;
        CHECK_TRUE(k == 0 || rec.syncs[k].mount >= rec.syncs[k - 1].mount);
    }
    CHECK_TRUE(m > 0);
    CHECK_EQ(rec.syncs[m].start_op, rec.syncs[m].end_op);
    CHECK_EQ(rec.syncs[m].line, 8);
    CHECK_EQ(rec.syncs[m - 1].line, 8);                     /* The commit before it. */
    CHECK_TRUE(rec.syncs[m - 1].start_op < rec.syncs[m - 1].end_op);
    CHECK_EQ(rec.syncs[m - 1].end_op, rec.syncs[m].start_op);
    for (uint32_t cut = 0; cut <= rec.dev.disk.log.count; cut++) {
        uint32_t lo, hi;
        recording_legal(&rec, cut, &lo, &hi);
        const char *want = cut < rec.syncs[m].end_op ? "main" : "f";
        assert_string_equal(recording_mounted(&rec, lo, hi)->name, want);
    }
    /* The last point was recorded with f mounted: main shows another state. */
    const struct syncpt *last = &rec.syncs[rec.sync_count - 1];
    struct oracle *o = oracle_clone(last->oracle);
    CHECK_EQ(oracle_digest(o), last->digest);
    CHECK_ERR(oracle_mount(o, "main"), 0);
    CHECK_TRUE(oracle_digest(o) != last->digest);
    oracle_free(o);
    recording_free(&rec);
    trace_free(&t);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(oracle_self, teardown),
        cmocka_unit_test_teardown(oracle_mixed, teardown),
        cmocka_unit_test_teardown(oracle_tall, teardown),
        cmocka_unit_test_teardown(oracle_deadlists, teardown),
        cmocka_unit_test_teardown(oracle_log, teardown),
        cmocka_unit_test_teardown(oracle_full, teardown),
        cmocka_unit_test_teardown(oracle_enospc_atomic, teardown),
        cmocka_unit_test(oracle_mount_fork),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
