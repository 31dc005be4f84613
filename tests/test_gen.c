/*
 * tests/test_gen.c: the random trace generator (gen_random, traces/gen.h)
 * and the standard workloads (the .trace files of traces/workloads/).
 *
 * Method: tests/gen_shared.h's. A trace runs against a file system on a fresh
 * memory device and against the oracle side by side: every step must return
 * exactly what it expects and the oracle must accept the result, and after
 * every sync and snapshot step, and at the end, the file system's digest must
 * equal the oracle's. While it runs, each step is classified from the file
 * system's state just before it and counted in a struct reach. Tests then
 * assert on those counts, so a generator or a workload that stopped reaching
 * its target fails here.
 *
 * gen_random: the same arguments give the same trace and other seeds other
 * traces; out-of-range arguments are refused; long traces use every op of the
 * format in every shape, syncs and snapshot steps in the intended
 * proportions, stay within their bounds and survive a round trip through the
 * format; a few dozen seeds run cleanly.
 *
 * The standard workloads are also recorded with record_workload (sim/record/runner.h)
 * on the geometry their header names ("# geometry: --size 8M ..."), which must
 * report no violation, and each reaches what its header says it reaches.
 *
 * The ACE generator is tests/test_ace.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_shared.h"

#include "../sim/cli/cli.h"
#include "../sim/record/runner.h"
#include "../traces/gen.h"
#include "../traces/trace.h"

/* ---- gen_random ---- */

#define RANDOM_OPS 300u             /* Steps of the traces run against the fs. */
#define RANDOM_FILES 6u             /* Their file count. */
#define RANDOM_SIZE_MAX (64u * KIB) /* Their largest file. */
#define RANDOM_SEEDS 40u            /* Seeds run against the fs. */

static bool
traces_same(const struct trace *a, const struct trace *b)
{
    if (a->count != b->count) {
        return false;
    }
    for (uint32_t i = 0; i < a->count; i++) {
        if (!trace_step_same(&a->steps[i], &b->steps[i])) {
            return false;
        }
    }
    return true;
}

/* The same arguments give the same trace; other seeds give other traces. */
static void
gen_random_deterministic(void **state)
{
    (void)state;
    struct trace t[16], again;
    for (uint32_t i = 0; i < 16; i++) {
        CHECK_ERR(gen_random(i + 1, 500, 8, 64 * KIB, &t[i]), 0);
        CHECK_EQ(t[i].count, 500);
        CHECK_ERR(gen_random(i + 1, 500, 8, 64 * KIB, &again), 0);
        assert_true(traces_same(&t[i], &again));
        trace_free(&again);
    }
    for (uint32_t i = 0; i < 16; i++) {
        for (uint32_t j = i + 1; j < 16; j++) {
            assert_false(traces_same(&t[i], &t[j]));
        }
    }
    CHECK_ERR(gen_random(3, 500, 9, 64 * KIB, &again), 0);   /* Other arguments matter too. */
    assert_false(traces_same(&t[2], &again));
    trace_free(&again);
    for (uint32_t i = 0; i < 16; i++) {
        trace_free(&t[i]);
    }
}

/* Out-of-range arguments are refused, and leave an empty trace. */
static void
gen_random_arguments(void **state)
{
    (void)state;
    struct trace t;
    CHECK_ERR(gen_random(1, GEN_STEPS_MAX + 1, 8, 4096, &t), FS_EINVAL);
    CHECK_EQ(t.count, 0);
    CHECK_ERR(gen_random(1, 10, 0, 4096, &t), FS_EINVAL);
    CHECK_ERR(gen_random(1, 10, GEN_FILES_MAX + 1, 4096, &t), FS_EINVAL);
    CHECK_ERR(gen_random(1, 10, 8, 0, &t), FS_EINVAL);
    CHECK_ERR(gen_random(1, 10, 8, GEN_SIZE_MAX + 1, &t), FS_EINVAL);
    CHECK_ERR(gen_random(1, 0, 8, 4096, &t), 0);
    CHECK_EQ(t.count, 0);
    trace_free(&t);
    CHECK_ERR(gen_random(1, 200, 1, 1, &t), 0);              /* Tiny bounds still work. */
    for (uint32_t i = 0; i < t.count; i++) {
        const struct trace_step *s = &t.steps[i];
        assert_true(s->op != TRACE_WRITE || s->expect != 0 || s->offset + s->length <= 1);
    }
    struct reach r;
    reach_init(&r);
    run_trace(&t, 4 * KIB, 4 * MIB, 0, false, &r);
    trace_free(&t);
}

/* Long traces use every op of the format in every shape, syncs and snapshot
 * steps in the intended proportions, and stay within their bounds. */
static void
gen_random_coverage(void **state)
{
    (void)state;
    struct reach r;
    reach_init(&r);
    uint32_t total = 0;
    for (uint64_t seed = 100; seed < 104; seed++) {
        struct trace t;
        CHECK_ERR(gen_random(seed, 2000, 8, 64 * KIB, &t), 0);
        for (uint32_t i = 0; i < t.count; i++) {
            const struct trace_step *s = &t.steps[i];
            assert_true(s->op != TRACE_WRITE || s->offset + s->length <= 64 * KIB);
            assert_true(s->op != TRACE_TRUNCATE || s->length <= 64 * KIB);
        }
        util_trace_round_trip(&t);
        run_trace(&t, seed % 2 ? 16 * KIB : 4 * KIB, 32 * MIB, 0, false, &r);
        total += t.count;
        trace_free(&t);
    }
    reach_note("coverage", &r);
    for (uint32_t op = 0; op < TRACE_OP_COUNT; op++) {
        if (op == TRACE_MOUNT) {
            CHECK_EQ(r.op[op], 0);      /* Mounting a label is a workload's choice, not gen's. */
            continue;
        }
        if (r.op[op] == 0) {
            util_note("no %s step", trace_op_name((enum trace_op)op));
        }
        assert_true(r.op[op] > 0);
    }
    /* A sync about every 10 steps, a snapshot step about every 25. */
    CHECK_TRUE(r.op[TRACE_SYNC] * 100 >= total * 7 && r.op[TRACE_SYNC] * 100 <= total * 14);
    uint32_t snaps = r.op[TRACE_SNAP_LABEL] + r.op[TRACE_SNAP_FORK] + r.op[TRACE_SNAP_DELETE];
    CHECK_TRUE(snaps * 100 >= total * 2 && snaps * 100 <= total * 6);
    uint32_t shapes[] = { r.append, r.overwrite, r.overwrite_across, r.extend, r.sparse,
        r.shrink, r.grow, r.rm_file, r.rm_dir, r.mv_file, r.mv_dir, r.mv_freed, r.del_succ,
        r.del_leaf, r.expected_errors };
    for (uint32_t i = 0; i < FS_ARRAY_COUNT(shapes); i++) {
        if (shapes[i] == 0) {
            util_note("shape %u never reached", i);
        }
        assert_true(shapes[i] > 0);
    }
    CHECK_EQ(r.enospc, 0);                  /* The image was large enough. */
    CHECK_TRUE(r.expected_errors * 100 <= total * 6);
    static const int errs[] = { FS_EEXIST, FS_ENOENT, FS_ENOTEMPTY, FS_EISDIR, FS_EXDEV,
        FS_EPERM, FS_ENOTDIR };
    for (uint32_t i = 0; i < FS_ARRAY_COUNT(errs); i++) {
        if (r.errors[-errs[i]] == 0) {
            util_note("no step expected %s", fs_strerror(errs[i]));
        }
        assert_true(r.errors[-errs[i]] > 0);
    }
}

/* A few dozen seeds, each run against a fresh file system and the oracle. */
static void
gen_random_runs(void **state)
{
    (void)state;
    struct reach r;
    reach_init(&r);
    for (uint64_t seed = 1; seed <= RANDOM_SEEDS; seed++) {
        struct trace t;
        CHECK_ERR(gen_random(seed, RANDOM_OPS, RANDOM_FILES, RANDOM_SIZE_MAX, &t), 0);
        run_trace(&t, seed % 2 ? 4 * KIB : 16 * KIB, 16 * MIB, 0, false, &r);
        trace_free(&t);
    }
    reach_note("runs", &r);
    CHECK_EQ(r.steps, RANDOM_SEEDS * RANDOM_OPS);
    CHECK_EQ(r.enospc, 0);
}

/* ---- The standard workloads. ---- */

struct geometry {
    uint64_t device_size;       /* Bytes. */
    uint64_t block_size;        /* Bytes. */
    uint64_t arenas;            /* 0: the default. */
};

/* The "# geometry: --size S --block-size B [--arenas N]" line of a header. */
static void
geometry_read(const char *path, struct geometry *g)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        util_note("%s: cannot open (tests run from the repository root)", path);
        fail();
    }
    char line[TRACE_LINE_MAX + 2];
    bool found = false;
    *g = (struct geometry){ 0, 0, 0 };
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "# geometry:", 11) != 0) {
            continue;
        }
        found = true;
        char *save = NULL;
        for (char *w = strtok_r(line + 11, " \t\n", &save); w != NULL;
                w = strtok_r(NULL, " \t\n", &save)) {
            char *v = strtok_r(NULL, " \t\n", &save);
            assert_non_null(v);
            bool ok = strcmp(w, "--size") == 0 ? cli_parse_size(v, &g->device_size)
                : strcmp(w, "--block-size") == 0 ? cli_parse_size(v, &g->block_size)
                : strcmp(w, "--arenas") == 0 ? cli_parse_u64(v, &g->arenas) : false;
            if (!ok) {
                util_note("%s: bad geometry word '%s %s'", path, w, v);
                fail();
            }
        }
    }
    fclose(f);
    if (!found || g->device_size == 0 || g->block_size == 0) {
        util_note("%s: no '# geometry: --size S --block-size B' line", path);
        fail();
    }
}

/* Parses, records with record_workload (no violation), runs with rx. */
static void
workload_run(const char *path, struct geometry *geo, struct reach *r)
{
    struct geometry g;
    geometry_read(path, &g);
    *geo = g;
    struct trace t;
    char err[512];
    if (trace_parse_file(path, &t, err, sizeof(err)) != 0) {
        util_note("%s", err);
        fail();
    }
    struct record_config rc = { .block_size = (uint32_t)g.block_size,
        .device_size = g.device_size, .arenas = (uint32_t)g.arenas };
    struct recording *rec = calloc(1, sizeof(*rec));
    assert_non_null(rec);
    if (record_workload(&rc, &t, rec, err, sizeof(err)) != 0) {
        util_note("%s: record_workload: %s", path, err);
        fail();
    }
    if (rec->violation[0] != '\0') {
        util_note("%s: record_workload: %s", path, rec->violation);
        fail();
    }
    CHECK_EQ(rec->steps_run, t.count);
    recording_free(rec);
    free(rec);
    reach_init(r);
    run_trace(&t, (uint32_t)g.block_size, g.device_size, (uint32_t)g.arenas, true, r);
    reach_note(path, r);
    trace_free(&t);
}

/* What each workload's header says it reaches (numbers at or below what it
 * reaches today, so that a workload that stopped reaching it fails). */
static void
check_tree_splits(const struct reach *r, const struct geometry *g)
{
    CHECK_EQ(g->block_size, 4 * KIB);
    CHECK_TRUE(r->height_max >= 3);                 /* Split up to three levels. */
    CHECK_TRUE(r->height_end >= 3);                 /* And still three after the removals. */
    CHECK_TRUE(r->leaves_max >= 16);
    CHECK_TRUE(r->leaves_end < r->leaves_max);      /* Removals merged leaves. */
    CHECK_TRUE(r->op[TRACE_CREATE] >= 240);
    CHECK_TRUE(r->rm_file >= 160);
    CHECK_TRUE(r->mv_file >= 10);
    CHECK_TRUE(r->append >= 5);                     /* Data keys in the same tree. */
}

static void
check_snapshots(const struct reach *r, const struct geometry *g)
{
    (void)g;
    CHECK_TRUE(r->del_succ >= 2);                   /* A: b, then a. */
    CHECK_TRUE(r->del_merge >= 1);                  /* A: b's deadlists merge forward. */
    CHECK_TRUE(r->del_shared >= 1);                 /* B: f, a second name of g's record. */
    CHECK_TRUE(r->del_leaf >= 5);                   /* B: g, C: h, D: f, E: fa, fb. */
    CHECK_TRUE(r->del_fork_only >= 1);              /* C: f. */
    CHECK_TRUE(r->del_fork_chain >= 3);             /* D: l, E: a, b. */
    CHECK_TRUE(r->cascades >= 4);                   /* B: g, D: f, E: fa, fb. */
    CHECK_TRUE(r->dlist_max > 0);                   /* Deadlists filled... */
    CHECK_TRUE(r->dlist_end > 0);                   /* ...and some remain at the end. */
    CHECK_TRUE(r->labels_max >= 5);
    CHECK_TRUE(r->errors[-FS_EPERM] >= 1);
    CHECK_TRUE(r->errors[-FS_EEXIST] >= 1);
    CHECK_TRUE(r->errors[-FS_ENOENT] >= 1);
}

static void
check_log_growth(const struct reach *r, const struct geometry *g)
{
    CHECK_EQ(g->arenas, 1);
    CHECK_TRUE(r->compress_first_sync >= 1);        /* The first commit compresses. */
    CHECK_TRUE(r->stats.log_grow_count >= 2);       /* The chain grew twice or more. */
    CHECK_TRUE(r->stats.log_compress_count >= r->compress_first_sync + 2);   /* Doublings. */
}

static void
check_full_disk(const struct reach *r, const struct geometry *g)
{
    (void)g;
    CHECK_TRUE(r->enospc >= 5);                     /* Each an expect=ENOSPC that matched. */
    CHECK_EQ(r->errors[-FS_ENOSPC], r->enospc);
    CHECK_TRUE(r->stats.enospc_count >= r->enospc); /* The allocator said so each time. */
    CHECK_TRUE(r->writes_after_enospc >= 3);        /* Space came back after the last one. */
    CHECK_TRUE(r->rm_file >= 6);
    CHECK_TRUE(r->op[TRACE_SNAP_DELETE] >= 1);
}

static void
check_rename_heavy(const struct reach *r, const struct geometry *g)
{
    (void)g;
    CHECK_TRUE(r->mv_file >= 20);
    CHECK_TRUE(r->mv_dir >= 8);
    CHECK_TRUE(r->mv_back >= 5);                    /* a -> b, later b -> a. */
    CHECK_TRUE(r->mv_freed >= 10);                  /* Onto names freed before. */
    CHECK_TRUE(r->errors[-FS_EEXIST] >= 2);
    CHECK_TRUE(r->errors[-FS_EXDEV] >= 1);
    CHECK_TRUE(r->errors[-FS_ENOENT] >= 1);
    CHECK_TRUE(r->labels_max >= 2);                 /* Old names kept in a label. */
}

static void
check_large_file(const struct reach *r, const struct geometry *g)
{
    CHECK_TRUE(r->big_size >= 2 * g->device_size);  /* Larger than the device. */
    CHECK_TRUE(r->big_zero_blocks >= 4000);         /* Holes, read as zeros (and checked). */
    CHECK_TRUE(r->big_data_blocks >= 10);
    CHECK_TRUE(r->write_end_max - r->write_off_min >= 20 * MIB);    /* Far apart. */
    CHECK_TRUE(r->sparse >= 4);
    CHECK_TRUE(r->overwrite_across >= 4);
    CHECK_TRUE(r->extend >= 1);
    CHECK_TRUE(r->shrink >= 2);
    CHECK_TRUE(r->grow >= 3);
}

struct workload {
    const char *path;                           /* From the repository root. */
    void (*check)(const struct reach *r, const struct geometry *g);  /* What it claims. */
};

static const struct workload workloads[] = {
    { "traces/workloads/tree-splits.trace", check_tree_splits },
    { "traces/workloads/snapshots-deadlists.trace", check_snapshots },
    { "traces/workloads/log-growth.trace", check_log_growth },
    { "traces/workloads/full-disk.trace", check_full_disk },
    { "traces/workloads/rename-heavy.trace", check_rename_heavy },
    { "traces/workloads/large-file.trace", check_large_file },
};

/* Each standard workload runs cleanly on its geometry and reaches what its
 * header says it reaches. WORKLOAD=substring runs only the matching ones. */
static void
gen_workloads(void **state)
{
    (void)state;
    const char *only = getenv("WORKLOAD");
    for (uint32_t i = 0; i < FS_ARRAY_COUNT(workloads); i++) {
        if (only != NULL && strstr(workloads[i].path, only) == NULL) {
            continue;
        }
        struct reach r;
        struct geometry g;
        workload_run(workloads[i].path, &g, &r);
        workloads[i].check(&r, &g);
    }
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gen_random_deterministic),
        cmocka_unit_test(gen_random_arguments),
        cmocka_unit_test(gen_random_coverage),
        cmocka_unit_test(gen_random_runs),
        cmocka_unit_test(gen_workloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
