/*
 * tests/test_mutate.c: the pieces of crashsim gen guided that need no file
 * system: feature buckets, feature sets, the features of a struct fs_reach,
 * and the mutations.
 *
 * What it proves:
 *   - buckets are AFL's: 0 is none, 1, 2, 3 alone, then 4-7, 8-15, ... up to
 *     the top of the 64-bit range;
 *   - a feature set keeps one copy of each name, in sorted order;
 *   - feature_emit_reach names every non-zero counter with its bucket and
 *     leaves out the per-arena rows, the constant pivot capacity and zeros;
 *   - every mutation, applied thousands of times in a seeded chain (each
 *     result the next one's parent, the corpus growing), leaves a trace of
 *     at most MUTATE_STEPS_MAX steps whose every name fits FS_NAME_MAX and
 *     which the trace writer writes and the parser reads back step for step;
 *     each mutation word appears; the same seed gives the same traces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "../sim/campaign/features.h"
#include "../sim/campaign/mutate.h"
#include "../traces/prng.h"

#define CHAIN_COUNT 3000u           /* Mutations in the chain. */
#define CORPUS_MAX 16u              /* Traces kept for splicing. */

static void
bucket_is(uint64_t value, const char *want)
{
    char buf[48];
    CHECK_TRUE(feature_bucket(value, buf, sizeof(buf)));
    if (strcmp(buf, want) != 0) {
        fail_msg("bucket of %llu is %s, want %s", (unsigned long long)value, buf, want);
    }
}

static void
features_buckets(void **state)
{
    (void)state;
    char buf[48];
    CHECK_TRUE(!feature_bucket(0, buf, sizeof(buf)));
    bucket_is(1, "1");
    bucket_is(2, "2");
    bucket_is(3, "3");
    bucket_is(4, "4-7");
    bucket_is(7, "4-7");
    bucket_is(8, "8-15");
    bucket_is(1000, "512-1023");
    bucket_is(1024, "1024-2047");
    bucket_is(UINT64_MAX, "9223372036854775808-18446744073709551615");
}

static void
features_set(void **state)
{
    (void)state;
    struct featset s = { 0 };
    CHECK_TRUE(featset_add(&s, "run:b"));
    CHECK_TRUE(featset_add(&s, "check:a"));
    CHECK_TRUE(!featset_add(&s, "run:b"));
    CHECK_TRUE(featset_add(&s, "run:c=4-7"));
    for (uint32_t i = 0; i < 600; i++) {        /* Past the first growth. */
        char name[32];
        snprintf(name, sizeof(name), "x:%03u", i % 300);
        CHECK_EQ(featset_add(&s, name), i < 300);
    }
    CHECK_EQ(s.count, 303);
    for (uint32_t i = 1; i < s.count; i++) {
        CHECK_TRUE(strcmp(s.names[i - 1], s.names[i]) < 0);
    }
    CHECK_TRUE(featset_has(&s, "check:a"));
    CHECK_TRUE(featset_has(&s, "x:299"));
    CHECK_TRUE(!featset_has(&s, "run:a"));
    featset_free(&s);
    CHECK_EQ(s.count, 0);
}

static void
features_of_reach(void **state)
{
    (void)state;
    struct fs_reach r = { .arena_count = 2 };
    r.value[FS_REACH_TREE_HEIGHT] = 2;
    r.value[FS_REACH_TREE_PIVOT_FILL_CAP] = 2043;
    r.value[FS_REACH_LOG_CHAIN_MAX] = 5;
    r.arena[1][FS_REACH_ARENA_LOG_BLOCKS] = 5;
    r.level_nodes[0] = 9;
    r.level_nodes[1] = 1;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    feature_emit_reach(out, FEATURE_RECOVERED, &r);
    fclose(out);
    const char *want = "F recovered:tree.height=2\n"
        "F recovered:log.chain_max=4-7\n"
        "F recovered:tree.level1.nodes=8-15\n"
        "F recovered:tree.level2.nodes=1\n";
    if (strcmp(text, want) != 0) {
        fail_msg("features:\n%s\nwant:\n%s", text, want);
    }
    free(text);
}

/* Every name of every path of t is at most FS_NAME_MAX bytes. */
static void
names_fit(const struct trace *t)
{
    for (uint32_t i = 0; i < t->count; i++) {
        const char *paths[2] = { t->steps[i].path, t->steps[i].path2 };
        for (uint32_t k = 0; k < 2; k++) {
            size_t run = 0;
            for (const char *p = paths[k]; *p != '\0'; p++) {
                run = *p == '/' ? 0 : run + 1;
                CHECK_TRUE(run <= FS_NAME_MAX);
            }
        }
    }
}

/* A chain of mutations from an empty trace; the last trace goes to *last. */
static void
chain(uint64_t seed, bool check, struct trace *last, uint32_t *used)
{
    struct trace *corpus[CORPUS_MAX];
    uint32_t count = 0;
    struct trace cur = { .count = 0 };
    uint64_t rng = seed;
    static const struct trace empty = { .count = 0 };  /* What splice takes before any. */
    for (uint32_t i = 0; i < CHAIN_COUNT; i++) {
        enum mutation m = (enum mutation)(i % MUTATION_COUNT), done;
        const struct trace *other = count > 0 ? corpus[prng_splitmix64(&rng) % count] : &empty;
        CHECK_ERR(mutate(&cur, m, &rng, other, &done), 0);
        used[done]++;
        CHECK_TRUE(cur.count <= MUTATE_STEPS_MAX);
        if (check && i % 50 == 0) {
            names_fit(&cur);
            util_trace_round_trip(&cur);
        }
        if (i % 200 == 199 && count < CORPUS_MAX) {
            struct trace *copy = corpus[count++] = malloc(sizeof(struct trace));
            assert_non_null(copy);
            *copy = cur;
            copy->steps = malloc((size_t)FS_MAX(cur.count, 1u) * sizeof(cur.steps[0]));
            assert_non_null(copy->steps);
            memcpy(copy->steps, cur.steps, cur.count * sizeof(cur.steps[0]));
        }
    }
    for (uint32_t i = 0; i < count; i++) {
        trace_free(corpus[i]);
        free(corpus[i]);
    }
    *last = cur;
}

static void
mutations_bounded_and_deterministic(void **state)
{
    (void)state;
    uint32_t used[MUTATION_COUNT] = { 0 }, again[MUTATION_COUNT] = { 0 };
    struct trace a, b;
    chain(42, true, &a, used);
    names_fit(&a);
    util_trace_round_trip(&a);
    for (uint32_t m = 0; m < MUTATION_COUNT; m++) {
        if (used[m] == 0) {
            fail_msg("mutation %s never applied", mutation_word((enum mutation)m));
        }
    }
    chain(42, false, &b, again);
    CHECK_EQ(b.count, a.count);
    for (uint32_t i = 0; i < a.count; i++) {
        CHECK_TRUE(trace_step_same(&a.steps[i], &b.steps[i]));
    }
    CHECK_EQ(memcmp(used, again, sizeof(used)), 0);
    trace_free(&a);
    trace_free(&b);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(features_buckets),
        cmocka_unit_test(features_set),
        cmocka_unit_test(features_of_reach),
        cmocka_unit_test(mutations_bounded_and_deterministic),
    };
    return cmocka_run_group_tests_name("mutate", tests, NULL, NULL);
}
