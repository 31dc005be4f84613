/*
 * tests/test_media.c: device faults against the whole file system, in
 * SQLite's manner: for each fault point (faultinject/fault.h) and each of
 * transient (one failure) and persistent (every later operation fails), fail
 * the k-th such device operation for k = 0, 1, 2, ... while the standard
 * workload runs, until a run fires no fault. Every run must end in success or
 * a detected error (FS_EIO; FS_EROFS once the file system went read-only;
 * FS_ENOSPC from a full device; FS_ECORRUPT for a flipped bit or the damage a
 * lost or misdirected write left), every step before it must give the
 * oracle's result, and the file system the device holds afterwards must
 * mount, check clean of corruption, and be a legal state: the last completed
 * sync point or a later one. Lost and misdirected writes are silent when they
 * happen, so for them a remount, check or read that names the damage, or an
 * older sync point, is acceptable too. No read may return bytes of no legal
 * state (silent wrong data). A short read is read again (fs/bdev.h): once,
 * it must change nothing at all; every read short from then on is FS_EIO.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../fs/check.h"
#include "../sim/check/crash.h"
#include "../faultinject/faultdev.h"
#include "../sim/oracle/oracle.h"
#include "../sim/record/runner.h"
#include "util.h"

#define RUNS_MAX 4000u

struct digests {
    uint64_t v[256];            /* Sync-point digests, in order. */
    uint32_t count;             /* Entries. */
    uint32_t done;              /* Index of the last sync that returned success. */
};

static bool
terminal(int err, enum fault_point p, bool persistent)
{
    if (p == FAULT_DEV_READ_SHORT && !persistent) {
        return false;           /* Read again whole: no error may come of it. */
    }
    bool silent = p == FAULT_DEV_WRITE_LOST || p == FAULT_DEV_WRITE_MISDIRECT;
    return err == FS_EIO || err == FS_EROFS || (p == FAULT_DEV_WRITE_FULL && err == FS_ENOSPC)
        || ((p == FAULT_DEV_READ_BITFLIP || silent) && err == FS_ECORRUPT);
}

static void
push(struct digests *d, uint64_t v)
{
    assert_true(d->count < 256);
    d->v[d->count++] = v;
}

/* Runs the workload over a faulty device; returns the digests of its sync
 * points, in *pending the state before the step that failed (or the end) and
 * in *unknown the state with that step applied: an error leaves a step's
 * outcome unknown, and a later sync (unmount's) may still commit what it did
 * in memory, as a snapshot label whose commit failed. */
static void
workload(struct fs *fs, const struct trace *t, enum fault_point p, bool persistent,
        struct digests *d, uint64_t *pending, uint64_t *unknown)
{
    struct oracle *m = oracle_new();
    push(d, oracle_digest(m));
    for (uint32_t i = 0; i < t->count; i++) {
        const struct trace_step *s = &t->steps[i];
        int got = runner_step(&fs, NULL, s);    /* default.trace mounts no other label. */
        if (got != 0 && terminal(got, p, persistent) && got != s->expect) {
            *pending = oracle_digest(m);
            char why[256];
            *unknown = oracle_step(m, s, s->expect, why, sizeof(why)) == 0 ? oracle_digest(m)
                : *pending;
            oracle_free(m);
            return;
        }
        char why[256];
        if (oracle_step(m, s, got, why, sizeof(why)) != 0) {
            fail_msg("%s line %u: %s (no fault explains it)", fault_point_name(p), s->line, why);
        }
        bool snap = s->op == TRACE_SNAP_LABEL || s->op == TRACE_SNAP_FORK
            || s->op == TRACE_SNAP_DELETE;
        if (got == 0 && (s->op == TRACE_SYNC || snap)) {
            push(d, oracle_digest(m));
            d->done = d->count - 1;
        }
    }
    *pending = oracle_digest(m);
    *unknown = *pending;
    oracle_free(m);
}

static bool
named(int err)
{
    return err == FS_ECORRUPT || err == FS_EIO;
}

/* After the run: the device's file system mounts, checks clean and is legal.
 * After a silent fault (a lost or misdirected write) the damage may only
 * show now: a mount, check or read that names it, or an older sync point,
 * is acceptable; bytes of no sync point are silent wrong data. */
static void
verify(const struct bdev *dev, const struct digests *d, uint64_t pending, uint64_t unknown,
        bool silent, const char *what)
{
    struct fs *fs;
    struct fs_config c = { 0 };
    int err = fs_mount(&fs, dev, &c);
    if (err && silent && named(err)) {
        return;
    }
    if (err) {
        fail_msg("%s: remount: %s (%s)", what, fs_mount_failure(), fs_strerror(err));
    }
    uint64_t got;
    err = oracle_digest_fs(fs, &got);
    if (err && silent && named(err)) {
        fs_unmount(fs);
        return;
    }
    assert_int_equal(err, 0);
    struct fs_check_result r;
    assert_int_equal(fs_check(fs, &r), 0);
    if (r.count[FS_CHECK_CORRUPT] != 0 && !silent) {
        util_check_print(&r);
        fail_msg("%s: corruption after the run", what);
    }
    bool legal = got == pending || got == unknown;
    for (uint32_t i = silent ? 0 : d->done; i < d->count && !legal; i++) {
        legal = got == d->v[i];
    }
    if (!legal) {
        fail_msg("%s: %s", what, silent ? "silent wrong data: the state read is no sync point"
                : "recovered a state that is no sync point since the last completed one");
    }
    fs_unmount(fs);
}

/* One run with the k-th operation of point p failing; true if a fault fired. */
static bool
run_once(const struct trace *t, enum fault_point p, bool persistent, uint64_t k)
{
    struct bdev mem;
    util_mem_open(&mem, 16384, 512);
    util_format(&mem, 0);
    struct faultdev fd;
    faultdev_init(&fd, &mem);
    fault_arm(&fd.faults, p, (struct fault_arming){ k, persistent ? FAULT_PERSISTENT : 1 });
    struct fs *fs;
    struct fs_config c = { .flush_at_pass_boundaries = true };
    struct digests d = { .count = 0 };
    uint64_t pending = 0;
    uint64_t unknown = 0;
    int err = fs_mount(&fs, &fd.bdev, &c);
    if (err == 0) {
        workload(fs, t, p, persistent, &d, &pending, &unknown);
        err = fs_unmount(fs);
        if (err != 0 && !terminal(err, p, persistent)) {
            fail_msg("%s k=%llu: unmount: %s", fault_point_name(p), (unsigned long long)k,
                    fs_strerror(err));
        }
    } else {
        assert_true(terminal(err, p, persistent) || err == FS_ECORRUPT);
        assert_false(p == FAULT_DEV_READ_SHORT && !persistent);
        struct oracle *m = oracle_new();
        push(&d, oracle_digest(m));
        pending = d.v[0];
        unknown = pending;
        oracle_free(m);
    }
    bool fired = fault_fired_total(&fd.faults) > 0;
    char what[96];
    snprintf(what, sizeof(what), "%s %s k=%llu", fault_point_name(p),
            persistent ? "persistent" : "transient", (unsigned long long)k);
    verify(&mem, &d, pending, unknown,
            p == FAULT_DEV_WRITE_LOST || p == FAULT_DEV_WRITE_MISDIRECT, what);
    faultdev_deinit(&fd);
    bdev_mem_close(&mem);
    return fired;
}

static void
loop(enum fault_point p, bool persistent)
{
    struct trace t;
    char err[256];
    assert_int_equal(trace_parse_file("traces/workloads/default.trace", &t, err, sizeof(err)), 0);
    uint64_t k = 0;
    while (run_once(&t, p, persistent, k)) {
        k++;
        assert_true(k < RUNS_MAX);
    }
    util_note("%s %s: %llu runs until no fault fired", fault_point_name(p),
            persistent ? "persistent" : "transient", (unsigned long long)k + 1);
    assert_true(k > 0);             /* The workload does reach the point. */
    trace_free(&t);
}

static void
media_read_eio(void **state)
{
    (void)state;
    loop(FAULT_DEV_READ_EIO, false);
    loop(FAULT_DEV_READ_EIO, true);
}

static void
media_read_short(void **state)
{
    (void)state;
    loop(FAULT_DEV_READ_SHORT, false);
    loop(FAULT_DEV_READ_SHORT, true);
}

static void
media_write_eio(void **state)
{
    (void)state;
    loop(FAULT_DEV_WRITE_EIO, false);
    loop(FAULT_DEV_WRITE_EIO, true);
}

static void
media_flush_eio(void **state)
{
    (void)state;
    loop(FAULT_DEV_FLUSH_EIO, false);
    loop(FAULT_DEV_FLUSH_EIO, true);
}

static void
media_device_full(void **state)
{
    (void)state;
    loop(FAULT_DEV_WRITE_FULL, false);
    loop(FAULT_DEV_WRITE_FULL, true);
}

static void
media_write_lost(void **state)
{
    (void)state;
    loop(FAULT_DEV_WRITE_LOST, false);
    loop(FAULT_DEV_WRITE_LOST, true);
}

static void
media_write_misdirect(void **state)
{
    (void)state;
    loop(FAULT_DEV_WRITE_MISDIRECT, false);
    loop(FAULT_DEV_WRITE_MISDIRECT, true);
}

static void
media_read_bitflip(void **state)
{
    (void)state;
    loop(FAULT_DEV_READ_BITFLIP, false);
}

/* ---- Media faults as crash states, at any cut (faultinject/plan.h). ---- */

#define VIEW_BS 4096u               /* Block size of the hand-made disk below. */

/* What block holds after ops [0, cut) of the disk's log, with no fault. */
static const uint8_t *
bytes_at(const struct oplog_disk *disk, uint64_t block, uint32_t cut)
{
    uint32_t op = oplog_block_writer_at(&disk->log, block, cut);
    return op != OPLOG_NONE ? oplog_op_bytes(&disk->log, op) : oplog_disk_base_block(disk, block);
}

/* Bits set in a ^ b over a block. */
static uint32_t
bits_differ(const uint8_t *a, const uint8_t *b)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < VIEW_BS; i++) {
        n += (uint32_t)__builtin_popcount((unsigned)(a[i] ^ b[i]));
    }
    return n;
}

/* Checks one media state in the view against what it must do to the image;
 * got receives the struck block's bytes (or its target's, misdirected). */
static void
media_state_bytes(struct crash_view *v, const struct oplog_disk *disk,
        const struct crash_state *s, uint8_t *got)
{
    const struct oplog *log = &disk->log;
    uint64_t own = log->ops[s->media_op].block;
    bool live = oplog_block_writer_at(log, own, s->cut) == s->media_op;
    const uint8_t *wrote = oplog_op_bytes(log, s->media_op);
    const uint8_t *prior = live ? bytes_at(disk, own, s->media_op) : bytes_at(disk, own, s->cut);
    assert_true(live || s->media == MEDIA_MISDIRECT || s->cut == log->count);
    int rc = v->bdev.read(&v->bdev, own, got);
    if (s->media == MEDIA_UNREADABLE) {
        assert_int_equal(rc, FS_EIO);
        return;
    }
    assert_int_equal(rc, 0);
    if (s->media == MEDIA_FLIP) {
        uint32_t bits[FLIP_BITS_MAX];
        uint32_t n = crash_flip_bits(s, VIEW_BS, bits);
        assert_int_equal(bits_differ(got, live ? wrote : prior), live ? n : 0);
        for (uint32_t i = 0; live && i < n; i++) {
            assert_true((got[bits[i] / 8] ^ wrote[bits[i] / 8]) & (1u << (bits[i] % 8)));
        }
        return;
    }
    assert_memory_equal(got, prior, VIEW_BS);       /* Lost or misdirected: the old bytes. */
    if (s->media == MEDIA_MISDIRECT) {
        uint64_t t = s->target != CRASH_NONE ? s->target : own + 1;     /* Next door. */
        assert_true(s->cut == log->count || s->target != CRASH_NONE);
        uint32_t there = oplog_block_writer_at(log, t, s->cut);
        assert_int_equal(v->bdev.read(&v->bdev, t, got), 0);
        bool landed = there == OPLOG_NONE || there < s->media_op;
        assert_memory_equal(got, landed ? wrote : bytes_at(disk, t, s->cut), VIEW_BS);
    }
}

/* Flips of N bits, lost, misdirected and unreadable writes at every cut of
 * a hand-made log, in a crash view: each changes the image as it says, a
 * flip changes exactly N distinct bits, and the id alone, parsed again,
 * gives the same bytes (crashsim replay needs no plan). */
static void
media_states_in_view(void **state)
{
    (void)state;
    static uint8_t blocks[6][VIEW_BS];
    for (uint32_t i = 0; i < 6; i++) {
        memset(blocks[i], (int)(0x11 * (i + 1)), VIEW_BS);
    }
    struct oplog_disk disk;
    assert_int_equal(oplog_disk_init(&disk, VIEW_BS, 32), 0);
    assert_int_equal(oplog_disk_base_set(&disk, 9, blocks[5]), 0);
    oplog_start(&disk.log, 0, 0);
    /* 0 w5, 1 w6, 2 flush, 3 w5 again, 4 w7, 5 w9 (over the base), 6 w6 again. */
    const uint64_t where[] = { 5, 6, UINT64_MAX, 5, 7, 9, 6 };
    for (uint32_t i = 0; i < 7; i++) {
        int rc = where[i] == UINT64_MAX ? oplog_flush(&disk.log)
            : oplog_disk_write(&disk, where[i], blocks[i % 5]);
        assert_int_equal(rc, 0);
    }
    struct fault_plan p;
    char err[256];
    assert_int_equal(fault_plan_parse("prefix,flip:6,lost,misdirect,unreadable", &p, err,
            sizeof(err)), 0);
    p.seed = 9;
    struct crash_state *s;
    size_t count;
    assert_int_equal(fault_plan_enumerate(&disk.log, MODEL_HOSTILE, &p, &s, &count), 0);
    struct crash_view v;
    assert_int_equal(crash_view_init(&v, &disk), 0);
    uint8_t *got = malloc(VIEW_BS), *again = malloc(VIEW_BS);
    assert_non_null(got);
    assert_non_null(again);
    uint32_t earlier = 0;
    for (size_t i = 0; i < count; i++) {
        if (s[i].media == MEDIA_NONE) {
            continue;
        }
        earlier += s[i].cut < disk.log.count;
        assert_int_equal(crash_view_set(&v, &s[i]), 0);
        media_state_bytes(&v, &disk, &s[i], got);
        char id[CRASH_ID_MAX];
        crash_id_format(&s[i], id, sizeof(id));
        struct crash_state replayed;
        assert_int_equal(crash_id_parse(id, &replayed), 0);
        assert_int_equal(crash_view_set(&v, &replayed), 0);
        media_state_bytes(&v, &disk, &replayed, again);
        assert_memory_equal(got, again, VIEW_BS);
    }
    assert_true(earlier > 10);
    free(got);
    free(again);
    free(s);
    crash_view_deinit(&v);
    oplog_disk_deinit(&disk);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(media_read_eio),
        cmocka_unit_test(media_read_short),
        cmocka_unit_test(media_write_eio),
        cmocka_unit_test(media_flush_eio),
        cmocka_unit_test(media_device_full),
        cmocka_unit_test(media_write_lost),
        cmocka_unit_test(media_write_misdirect),
        cmocka_unit_test(media_read_bitflip),
        cmocka_unit_test(media_states_in_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
