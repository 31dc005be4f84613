/*
 * tests/test_store.c: the result store keeps nested crash states (schema
 * version 6): what store_result, store_run_create and store_run_end are
 * given, read back.
 *
 * Method. A run of depth 3 is created in a fresh database with a nested
 * count, and three states are stored through store_result: a top-level one
 * (depth 0, read as 1), a nested one at depth 2 and one at depth 3 under it,
 * as explore --nested stores them. Read back with the store's own readers
 * (store_depth_tally, store_run_get, store_run_resumable) and, for the
 * columns no reader returns, with the sqlite3 shell (the shell tests use it too;
 * sqlite3.h stays the store's alone):
 *   - states.parent and states.depth hold what the rows said, 1 and NULL
 *     for the top-level state;
 *   - the run's depth joins its configuration key (" depth=3" before the
 *     shard), so a depth-1 configuration does not resume it, and a run of
 *     depth 1 (or 0) has the key older code made;
 *   - store_run_end raises the nested counts, never lowers them;
 *   - a row whose id does not extend its parent's, or whose depth does not
 *     match its id, is our bug: the store ASSERTs (in a forked child).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#include "../sim/store/store.h"

struct fixture {
    char dir[64];                   /* Scratch directory. */
    char path[96];                  /* The database in it. */
    struct store *store;            /* Open for writing. */
    int64_t run_id;                 /* The nested run. */
};

static struct oplog empty_log;      /* A run's write log: none is needed here. */

static struct run_info
info_of(uint32_t depth)
{
    return (struct run_info){ .git_rev = "", .seed = 7, .workload_name = "w.trace",
        .workload_text = "mkdir /a\nsync\n", .model = "writeback", .profile = "faithful",
        .faults = "pass", .block_size = 16384, .device_size = 8u << 20, .arenas = 0,
        .jobs = 1, .shard = "", .depth = depth };
}

static struct run_setup
setup_of(uint64_t nested_count, uint64_t nested_distinct)
{
    return (struct run_setup){ .log = &empty_log, .wlog_hash = 0x1234, .syncs = NULL,
        .sync_count = 0, .state_count = 1, .distinct_count = 1, .sampled_out_count = 0,
        .run_violation = NULL, .nested_count = nested_count,
        .nested_distinct = nested_distinct };
}

/* One state and its result. */
static int
put(struct fixture *f, const char *id, const char *parent, uint32_t depth, enum outcome o)
{
    struct crash_state c;
    memset(&c, 0, sizeof(c));
    c.cut = 3;
    c.torn = CRASH_NONE;
    c.media = MEDIA_NONE;
    struct state_row row = { .state_id = id, .state = &c, .dup_of = NULL, .signature = 1,
        .pass = OPLOG_PASS_NONE, .last_block_type = "", .last_write = UINT32_MAX,
        .parent = parent, .depth = depth };
    struct result_row r = { .outcome = o, .reason = "test", .recovered_sync = -1,
        .checked = true };
    return store_result(f->store, f->run_id, &row, &r);
}

/* The sqlite3 shell's answer to sql on the fixture's database, one line. */
static void
query(const struct fixture *f, const char *sql, char *out, size_t size)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "sqlite3 -separator '|' '%s' \"%s\" | tr '\\n' ';'", f->path,
            sql);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    out[0] = '\0';
    if (fgets(out, (int)size, p) == NULL) {
        out[0] = '\0';
    }
    pclose(p);
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_store.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/r.db", f->dir);
    char err[256];
    CHECK_EQ(store_open(&f->store, f->path, err, sizeof(err)), 0);
    struct run_info info = info_of(3);
    struct run_setup s = setup_of(7, 4);
    CHECK_EQ(store_run_create(f->store, &info, &s, &f->run_id), 0);
    CHECK_EQ(put(f, "w5", NULL, 0, OUTCOME_OK), 0);
    CHECK_EQ(put(f, "w5/w3-torn2s1z", "w5", 2, OUTCOME_OK), 0);
    CHECK_EQ(put(f, "w5/w3-torn2s1z/w1", "w5/w3-torn2s1z", 3, OUTCOME_CORRUPT), 0);
    CHECK_EQ(store_flush(f->store), 0);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    CHECK_EQ(system(cmd), 0);
    free(f);
    return 0;
}

static void
parent_and_depth_round_trip(void **state)
{
    struct fixture *f = *state;
    char got[512];
    query(f, "SELECT state_id, coalesce(parent, '-'), depth FROM states ORDER BY depth", got,
            sizeof(got));
    assert_string_equal(got, "w5|-|1;w5/w3-torn2s1z|w5|2;w5/w3-torn2s1z/w1|w5/w3-torn2s1z|3;");
    query(f, "SELECT fault_class, cut FROM states WHERE depth = 3", got, sizeof(got));
    assert_string_equal(got, "cut|3;");     /* Its own level's cut and faults. */
    query(f, "SELECT depth, outcome, states FROM nested_outcomes ORDER BY depth", got,
            sizeof(got));
    assert_string_equal(got, "2|ok|1;3|corrupt|1;");
    query(f, "SELECT state_id, depth, parent FROM violations", got, sizeof(got));
    assert_string_equal(got, "w5/w3-torn2s1z/w1|3|w5/w3-torn2s1z;");
}

static void
depth_tally_splits_levels(void **state)
{
    struct fixture *f = *state;
    uint64_t states[2], violations[2];
    CHECK_EQ(store_depth_tally(f->store, f->run_id, states, violations), 0);
    CHECK_EQ(states[0], 1);
    CHECK_EQ(violations[0], 0);
    CHECK_EQ(states[1], 2);
    CHECK_EQ(violations[1], 1);
    CHECK_EQ(store_depth_tally(f->store, 0, states, violations), 0);     /* The latest run. */
    CHECK_EQ(states[1], 2);
    CHECK_EQ(store_depth_tally(f->store, f->run_id + 1, states, violations), 0);
    CHECK_EQ(states[0] + states[1], 0);     /* No such run: nothing. */
}

static void
depth_joins_the_key_only_above_one(void **state)
{
    struct fixture *f = *state;
    char got[512];
    query(f, "SELECT depth, config_key FROM runs", got, sizeof(got));
    assert_string_equal(got, "3|w1 writeback faithful pass seed=7 bs=16384 size=8388608 "
            "arenas=0 depth=3 shard=;");
    struct run_resumable r;
    struct run_info deep = info_of(3);
    CHECK_EQ(store_run_resumable(f->store, &deep, &r), 1);
    CHECK_EQ(r.run_id, f->run_id);
    struct run_info flat = info_of(0);
    CHECK_EQ(store_run_resumable(f->store, &flat, &r), 0);      /* Another configuration. */
    struct run_setup s = setup_of(0, 0);
    int64_t flat_id;
    CHECK_EQ(store_run_create(f->store, &flat, &s, &flat_id), 0);
    query(f, "SELECT depth, config_key FROM runs ORDER BY run_id DESC LIMIT 1", got, sizeof(got));
    assert_string_equal(got, "1|w1 writeback faithful pass seed=7 bs=16384 size=8388608 "
            "arenas=0 shard=;");                     /* What version 5 made. */
    int64_t id = f->run_id;
    struct run_info back;
    uint64_t hash;
    CHECK_EQ(store_run_get(f->store, &id, &back, &hash), 0);
    CHECK_EQ(back.depth, 3);
    free((char *)back.workload_text);
    id = flat_id;
    CHECK_EQ(store_run_get(f->store, &id, &back, &hash), 0);
    CHECK_EQ(back.depth, 1);
    free((char *)back.workload_text);
}

static void
run_end_raises_nested_counts(void **state)
{
    struct fixture *f = *state;
    char got[128];
    query(f, "SELECT nested_state_count, nested_distinct_count FROM runs", got, sizeof(got));
    assert_string_equal(got, "7|4;");
    struct run_setup fewer = setup_of(2, 1);    /* A resumed invocation saw fewer. */
    CHECK_EQ(store_run_end(f->store, f->run_id, &fewer, 5, false), 0);
    query(f, "SELECT nested_state_count, nested_distinct_count FROM runs", got, sizeof(got));
    assert_string_equal(got, "7|4;");
    struct run_setup more = setup_of(12, 6);
    CHECK_EQ(store_run_end(f->store, f->run_id, &more, 5, true), 0);
    query(f, "SELECT nested_state_count, nested_distinct_count, finished_at IS NOT NULL "
            "FROM runs", got, sizeof(got));
    assert_string_equal(got, "12|6|1;");
}

struct bad_row {
    struct fixture *f;              /* The open store. */
    const char *id;                 /* The row's id, */
    const char *parent;             /* parent */
    uint32_t depth;                 /* and depth. */
};

static int
put_bad(void *arg)
{
    struct bad_row *b = arg;
    (void)put(b->f, b->id, b->parent, b->depth, OUTCOME_OK);
    return 0;                       /* Reached only if the store took the row. */
}

static void
rows_against_the_id_grammar_assert(void **state)
{
    struct fixture *f = *state;
    struct bad_row bad[] = {
        { f, "w5/w3", "w9", 2 },            /* Not the parent's id. */
        { f, "w5/w3", "w5", 3 },            /* Depth 3 with one '/'. */
        { f, "w5/w3", NULL, 2 },            /* Nested without a parent. */
        { f, "w5", "w4", 1 },               /* Top level with one. */
        { f, "w5/w3/w1", "w5", 2 },         /* Two levels below its parent. */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct util_child c = util_isolated(put_bad, &bad[i]);
        char why[64];
        if (c.exit_code == 0) {
            fail_msg("%s (parent %s, depth %u) was stored: %s", bad[i].id,
                    bad[i].parent != NULL ? bad[i].parent : "none", bad[i].depth,
                    util_child_describe(c, why, sizeof(why)));
        }
    }
    struct bad_row good = { f, "w5/w4", "w5", 2 };
    util_isolated_clean(put_bad, &good, "a well-formed nested row");
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(parent_and_depth_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(depth_tally_splits_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(depth_joins_the_key_only_above_one, setup, teardown),
        cmocka_unit_test_setup_teardown(run_end_raises_nested_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(rows_against_the_id_grammar_assert, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
