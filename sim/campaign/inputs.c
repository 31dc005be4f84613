/*
 * sim/campaign/inputs.c: workloads, stored runs and write-log files (see
 * inputs.h).
 */
#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check/crash.h"
#include "../oracle/oracle.h"

#define WLOG_TEXT_SIZE 128u         /* Bytes of a write-log run's text. */
#define DIGEST_CACHE_BLOCKS 64u     /* Cache of the read-only mounts of sync points. */

char *
input_wlog_text(uint64_t wlog_hash)
{
    char *text = malloc(WLOG_TEXT_SIZE);
    if (text != NULL) {
        snprintf(text, WLOG_TEXT_SIZE, INPUT_WLOG_TEXT_PREFIX ": write log %016" PRIx64
                ", no trace\n", wlog_hash);
    }
    return text;
}

int
input_run(struct store *st, int64_t *run_id, struct run_info *info, uint64_t *wlog_hash,
        struct trace *t, struct record_config *rc, char *err, size_t err_size)
{
    if (store_run_get(st, run_id, info, wlog_hash) != 0) {
        snprintf(err, err_size, "no such run");
        return -1;
    }
    const char *text = info->workload_text;
    int code = 0;
    size_t prefix_size = strlen(INPUT_WLOG_TEXT_PREFIX);
    if (text == NULL || strncmp(text, INPUT_WLOG_TEXT_PREFIX, prefix_size) == 0) {
        snprintf(err, err_size, "run %" PRId64 " explored a write-log file, not a trace: explore "
                "it again with --wlog", *run_id);
        code = -1;
    } else if (trace_parse_text(info->workload_name, text, t, err, err_size) != 0) {
        code = -1;
    }
    free((void *)info->workload_text);          /* store_run_get strdup's it. */
    info->workload_text = NULL;
    *rc = (struct record_config){ info->block_size, info->device_size, info->arenas,
        SYNC_PROFILE_FAITHFUL };
    if (code == 0 && sync_profile_parse(info->profile, &rc->profile) != 0) {
        snprintf(err, err_size, "run %" PRId64 ": unknown profile '%s'", *run_id, info->profile);
        code = -1;
    }
    return code;
}

int
input_rerecord(struct store *st, int64_t *run_id, struct run_info *info, struct trace *t,
        struct recording *rec, char *err, size_t err_size)
{
    uint64_t wlog_hash = 0;
    struct record_config rc;
    if (input_run(st, run_id, info, &wlog_hash, t, &rc, err, err_size) != 0
            || record_workload(&rc, t, rec, err, err_size) != 0) {
        return -1;
    }
    if (rec->wlog_hash != wlog_hash) {
        snprintf(err, err_size, "run %" PRId64 ": the workload now records a different write log "
                "(%016" PRIx64 ", stored %016" PRIx64 "): the code changed since the run",
                *run_id, rec->wlog_hash, wlog_hash);
        return -1;
    }
    return 0;
}

static int
name_order(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int32_t
input_workload_dir(const char *dir, char **out, uint32_t max)
{
    ASSERT(dir != NULL && out != NULL);
    ASSERT(max <= INT32_MAX);
    DIR *d = opendir(dir);
    if (d == NULL) {
        return -1;
    }
    uint32_t n = 0;
    int err = 0;
    struct dirent *e;
    while (err == 0 && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 6 && strcmp(e->d_name + len - 6, ".trace") == 0) {
            size_t size = strlen(dir) + len + 2;
            err = n == max ? E2BIG : (out[n] = malloc(size)) == NULL ? ENOMEM : 0;
            if (err == 0) {
                snprintf(out[n++], size, "%s/%s", dir, e->d_name);
            }
        }
    }
    closedir(d);
    if (err != 0) {                 /* Never a subset: which files readdir gave is no order. */
        for (uint32_t i = 0; i < n; i++) {
            free(out[i]);
        }
        errno = err;
        return -1;
    }
    qsort(out, n, sizeof(char *), name_order);
    return (int32_t)n;
}

int
input_workload(const char *path, unsigned given, struct record_config *rec, char **text)
{
    ASSERT(path != NULL && rec != NULL && text != NULL);
    char err[512];
    struct trace t;
    if (trace_load(path, &t, text, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    trace_free(&t);
    struct trace_geometry g;
    if (trace_geometry_parse(path, *text, strlen(*text), &g, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        free(*text);
        *text = NULL;
        return -1;
    }
    if (g.device_size_given && (given & INPUT_GIVEN_SIZE) == 0) {
        rec->device_size = g.device_size;
    }
    if (g.block_size_given && (given & INPUT_GIVEN_BLOCK) == 0) {
        rec->block_size = g.block_size;
    }
    if (g.arena_count_given && (given & INPUT_GIVEN_ARENAS) == 0) {
        rec->arenas = g.arena_count;
    }
    return 0;
}

/* ---- A recording without an oracle. ---- */

/* The digest of the state after ops [0, cut), mounted read-only; 0 and a
 * violation if it does not mount or cannot be read. */
static uint64_t
state_digest(struct recording *rec, struct crash_view *v, uint32_t cut)
{
    struct crash_state s = { .cut = cut, .torn = CRASH_NONE };
    struct fs_config mc = { .cache_block_count = DIGEST_CACHE_BLOCKS, .read_only = true };
    struct fs *fs = NULL;
    uint64_t d = 0;
    int rc = crash_view_set(v, &s);
    ASSERT(rc == 0);                            /* A plain cut always fits the log. */
    int err = fs_mount(&fs, &v->bdev, &mc);
    if (!err) {
        err = oracle_digest_fs(fs, &d);
        fs_unmount(fs);
    }
    if (err && rec->violation[0] == '\0') {
        snprintf(rec->violation, sizeof(rec->violation), "the state after %" PRIu32 " of %" PRIu32
                " operations (a sync point) %s: %s", cut, rec->dev.disk.log.count,
                fs == NULL ? "does not mount" : "cannot be read", fs == NULL ? fs_mount_failure()
                : fs_strerror(err));
    }
    return err ? 0 : d;
}

static int
sync_add(struct recording *rec, struct crash_view *v, uint32_t start, uint32_t end)
{
    ASSERT(start <= end && end <= rec->dev.disk.log.count);
    return recording_add_sync(rec, (struct syncpt){ UINT32_MAX, 0, start, end,
        state_digest(rec, v, end), NULL, 0 });   /* An imported log mounts main. */
}

/* S_0, one point per sync.end (begun at the first sync.passN after the
 * previous point), and the end of the log if no sync.end closes it. */
static int
sync_points(struct recording *rec)
{
    const struct oplog *log = &rec->dev.disk.log;
    struct crash_view v;
    if (crash_view_init(&v, &rec->dev.disk) != 0) {
        return -1;
    }
    int rc = sync_add(rec, &v, 0, 0);
    uint32_t prev_end = 0, start = UINT32_MAX;
    for (uint32_t i = 0; rc == 0 && i < log->count; i++) {
        const struct oplog_op *op = &log->ops[i];
        if (op->kind == OPLOG_OP_MARK && oplog_mark_pass(op->mark) != OPLOG_PASS_NONE
                && start == UINT32_MAX) {
            start = i;
        }
        if (op->kind == OPLOG_OP_MARK && op->mark == BDEV_MARK_SYNC_END) {
            rc = sync_add(rec, &v, start == UINT32_MAX ? prev_end : start, i + 1);
            prev_end = i + 1;
            start = UINT32_MAX;
        }
    }
    if (rc == 0 && prev_end < log->count) {
        rc = sync_add(rec, &v, start == UINT32_MAX ? prev_end : start, log->count);
    }
    crash_view_deinit(&v);
    return rc;
}

int
input_wlog(const char *path, const struct wlog_geometry *geometry, struct recording *rec,
        char *err, size_t err_size)
{
    ASSERT(path != NULL && rec != NULL);
    memset(rec, 0, sizeof(*rec));
    char why[256];
    struct oplog_disk disk;
    if (wlog_read_file(path, geometry, &disk, NULL, why, sizeof(why)) != 0) {
        snprintf(err, err_size, "%.200s: %s", path, why);
        return -1;
    }
    sim_dev_adopt(&rec->dev, &disk);
    const struct oplog *log = &rec->dev.disk.log;
    rec->config = (struct record_config){ log->block_size, log->block_count * log->block_size,
        0, log->flush_count > 0 ? SYNC_PROFILE_HARDENED : SYNC_PROFILE_FAITHFUL };
    rec->wlog_hash = oplog_hash(log);
    if (sync_points(rec) != 0) {
        recording_free(rec);
        snprintf(err, err_size, "%.200s: out of memory for the sync points", path);
        return -1;
    }
    return 0;
}
