/*
 * tests/test_nested.c: nested levels (sim/check/nested.h) and nested
 * recordings (record_nested, sim/record/runner.h).
 *
 * Method. Ids: nested ids parse into their levels and format back, and every
 * malformed or too deep one is refused. Levels: a small workload is recorded;
 * for a state that recovers a legal sync point, nest_descend makes the
 * nested recording of its post-recovery run, and what it holds is checked
 * against what the checker does to that state: its base reads the parent's
 * bytes (the crash view below), its sync points are the recovered state and
 * one per completed sync of the workload, the first recovered by its own
 * states at cut 0 and at the end, and its log writes what the workload
 * writes (the level's file, RECORD_POST_NAME). Asking for the same chain
 * again makes no new recording; another parent makes one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "../sim/check/nested.h"

static const char small_trace[] =
    "mkdir /d\n"
    "create /d/a\n"
    "write /d/a 0 20000 seed=3\n"
    "sync\n"
    "create /b\n"
    "write /b 0 5000 seed=4\n"
    "sync\n"
    "rm /d/a\n"
    "sync\n";

static void
ids_round_trip(void **state)
{
    (void)state;
    static const char *const good[] = { "w12", "w19/w12", "w812-drop805.809/w31-torn30s3z",
        "w0/w10/w10", "w5/w6/w7/w8-drop2" };
    static const int depth[] = { 1, 2, 2, 3, 4 };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct crash_state levels[NEST_DEPTH_MAX];
        int d = nest_id_parse(good[i], levels, NEST_DEPTH_MAX);
        CHECK_EQ(d, depth[i]);
        struct nest_link chain[NEST_DEPTH_MAX];
        for (int l = 0; l + 1 < d; l++) {
            chain[l] = (struct nest_link){ levels[l], 0 };
        }
        char out[NEST_ID_MAX];
        nest_id_format(chain, (uint32_t)d - 1, &levels[d - 1], out, sizeof(out));
        assert_string_equal(out, good[i]);
    }
    static const char *const bad[] = { "", "/", "w1/", "/w1", "w1//w2", "w1/x2", "w1/w2/",
        "w1/w2/w3/w4/w5", "w3-drop5/w1", "w1 /w2" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct crash_state levels[NEST_DEPTH_MAX];
        CHECK_EQ(nest_id_parse(bad[i], levels, NEST_DEPTH_MAX), -1);
    }
    struct crash_state two[2];
    CHECK_EQ(nest_id_parse("w1/w2/w3", two, 2), -1);     /* Deeper than asked. */
}

struct fixture {
    struct trace trace;
    struct recording rec;
    struct nest nest;
};

static int
setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    char err[256];
    struct record_config cfg = { 4096, 1u << 20, 0, SYNC_PROFILE_FAITHFUL };
    if (trace_parse_text("small", small_trace, &f.trace, err, sizeof(err)) != 0
            || record_workload(&cfg, &f.trace, &f.rec, err, sizeof(err)) != 0
            || f.rec.violation[0] != '\0' || nest_init(&f.nest, &f.rec, false) != 0) {
        fprintf(stderr, "setup: %s%s\n", err, f.rec.violation);
        return -1;
    }
    *state = &f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    nest_deinit(&f->nest);
    recording_free(&f->rec);
    trace_free(&f->trace);
    return 0;
}

/* The cut of the top recording right after its sync point k ended. */
static uint32_t
after_sync(const struct recording *rec, uint32_t k)
{
    ASSERT(k < rec->sync_count);
    return rec->syncs[k].end_op;
}

static void
nested_recording_is_the_post_recovery_run(void **state)
{
    struct fixture *f = *state;
    struct crash_state levels[2] = { { .cut = after_sync(&f->rec, 2), .torn = CRASH_NONE } };
    struct nest_link chain[2];
    char err[256];
    struct checker *ck = nest_descend(&f->nest, levels, 2, chain, err, sizeof(err));
    assert_non_null(ck);
    CHECK_EQ(chain[0].recovered, 2);
    const struct recording *nr = ck->rec;
    CHECK_EQ(nr->level, 1);
    assert_string_equal(nr->violation, "");
    /* The recovered state, then the workload's two syncs. */
    CHECK_EQ(nr->sync_count, 3);
    CHECK_EQ(nr->syncs[0].digest, f->rec.syncs[2].digest);
    CHECK_EQ(nr->syncs[2].digest, f->rec.syncs[2].digest);  /* The file is removed again. */
    assert_true(nr->syncs[1].digest != nr->syncs[0].digest);
    const struct oplog *log = &nr->dev.disk.log;
    assert_true(log->write_count > 4);
    /* Its base is the parent's image: every block reads as the top level's
     * crash view at that cut, until the run writes it. */
    struct crash_view top;
    assert_int_equal(crash_view_init(&top, &f->rec.dev.disk), 0);
    assert_int_equal(crash_view_set(&top, &levels[0]), 0);
    uint32_t same = 0;
    for (uint64_t b = 0; b < log->block_count; b++) {
        if (log->last_write[b] == OPLOG_NONE) {
            assert_memory_equal(oplog_disk_base_block(&nr->dev.disk, b),
                    crash_view_block(&top, b), log->block_size);
            same++;
        }
    }
    assert_true(same > 0);
    crash_view_deinit(&top);
    /* Its states recover its sync points: S_0 at cut 0, S_2 at the end. */
    struct state_result r;
    struct crash_state s = { .cut = 0, .torn = CRASH_NONE };
    assert_int_equal(checker_check(ck, &s, &r), 0);
    CHECK_EQ(r.outcome, OUTCOME_OK);
    CHECK_EQ(r.recovered, 0);
    s.cut = log->count;
    ck = nest_descend(&f->nest, levels, 2, chain, err, sizeof(err));
    assert_int_equal(checker_check(ck, &s, &r), 0);
    CHECK_EQ(r.outcome, OUTCOME_OK);
    CHECK_EQ(r.recovered, 2);
}

static void
a_level_is_made_once_per_parent(void **state)
{
    struct fixture *f = *state;
    char err[256];
    struct nest_link chain[2];
    struct crash_state a[2] = { { .cut = after_sync(&f->rec, 1), .torn = CRASH_NONE } };
    struct crash_state b[2] = { { .cut = after_sync(&f->rec, 2), .torn = CRASH_NONE } };
    uint64_t made = f->nest.recorded;
    assert_non_null(nest_descend(&f->nest, a, 2, chain, err, sizeof(err)));
    CHECK_EQ(f->nest.recorded, made + 1);
    assert_non_null(nest_descend(&f->nest, a, 2, chain, err, sizeof(err)));
    CHECK_EQ(f->nest.recorded, made + 1);       /* The same parent: no new recording. */
    assert_non_null(nest_descend(&f->nest, b, 2, chain, err, sizeof(err)));
    CHECK_EQ(f->nest.recorded, made + 2);
    /* A parent that recovers no legal state has no nested states. */
    struct crash_state bad[2] = { { .cut = f->rec.dev.disk.log.count + 1, .torn = CRASH_NONE } };
    assert_null(nest_descend(&f->nest, bad, 2, chain, err, sizeof(err)));
}

static void
depth_three(void **state)
{
    struct fixture *f = *state;
    char err[256];
    struct nest_link chain[3];
    struct crash_state levels[3] = { { .cut = after_sync(&f->rec, 1), .torn = CRASH_NONE } };
    struct checker *two = nest_descend(&f->nest, levels, 2, chain, err, sizeof(err));
    assert_non_null(two);
    levels[1] = (struct crash_state){ .cut = two->rec->syncs[1].end_op, .torn = CRASH_NONE };
    struct checker *three = nest_descend(&f->nest, levels, 3, chain, err, sizeof(err));
    assert_non_null(three);
    CHECK_EQ(three->rec->level, 2);
    CHECK_EQ(chain[1].recovered, 1);
    assert_string_equal(three->rec->violation, "");
    /* The level-2 run creates its own file beside the level-1 one it recovered. */
    CHECK_EQ(three->rec->sync_count, 3);
    assert_true(three->rec->syncs[0].digest == two->rec->syncs[1].digest);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids_round_trip),
        cmocka_unit_test_setup_teardown(nested_recording_is_the_post_recovery_run, setup,
                teardown),
        cmocka_unit_test_setup_teardown(a_level_is_made_once_per_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(depth_three, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
