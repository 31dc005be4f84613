/*
 * tests/test_ace.c: the bounded-exhaustive ACE generator (gen_ace,
 * traces/gen.h).
 *
 * Method: tests/gen_shared.h's, as in tests/test_gen.c. Every trace runs
 * against a file system on a fresh memory device and against the oracle
 * (sim/oracle/oracle.h) side by side: every step must return exactly what it
 * expects and the oracle must accept the result, and after every sync, and at
 * the end, the file system's digest must equal the oracle's.
 *
 * ACE: the counts of lengths 1..3 are the numbers traces/GENERATORS.md
 * documents; every trace of lengths 1..3 runs cleanly; every dependency step
 * is needed (without it a later step fails in the oracle, or a core operation
 * loses its shape: an overwrite no longer inside the data, a truncate no
 * longer a shrink), the roles of a case's steps agree with its sequence, and
 * the sequences make as many distinct traces as GENERATORS.md says.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_shared.h"

#include "../sim/oracle/oracle.h"
#include "../traces/gen.h"
#include "../traces/trace.h"

/* ---- gen_ace ---- */

/* Sequences of lengths 1, 2, 3, as traces/GENERATORS.md documents them. */
static const uint64_t ace_counts[3] = { 14, 392, 10976 };

/* Dependency steps of each menu operation alone (length 1), in menu order,
 * as GENERATORS.md lists them. */
static const uint32_t ace_deps_alone[GEN_ACE_MENU_COUNT] = {
    0, 1, 0, 2, 1, 3, 3, 2, 1, 2, 1, 1, 0, 1,
};

struct ace_tally {
    uint64_t count;             /* Cases seen. */
    uint64_t *hashes;           /* Hash of each trace's steps. */
    uint64_t dep_steps;         /* Dependency steps, summed. */
    struct reach r;             /* Runs against the fs. */
};

static int
ace_count_fn(void *arg, const struct gen_ace_case *c)
{
    struct ace_tally *a = arg;
    CHECK_EQ(c->index, a->count);
    a->count++;
    return 0;
}

/* The documented counts; lengths out of range are refused. */
static void
gen_ace_counts(void **state)
{
    (void)state;
    for (uint32_t length = 1; length <= 3; length++) {
        struct ace_tally a = { 0 };
        CHECK_ERR(gen_ace(length, ace_count_fn, &a), 0);
        CHECK_EQ(a.count, ace_counts[length - 1]);
        CHECK_EQ(gen_ace_count(length), ace_counts[length - 1]);
    }
    CHECK_EQ(gen_ace_count(4), 307328);
    CHECK_EQ(gen_ace_count(0), 0);
    CHECK_EQ(gen_ace_count(GEN_ACE_LENGTH_MAX + 1), 0);
    struct ace_tally a = { 0 };
    CHECK_ERR(gen_ace(0, ace_count_fn, &a), FS_EINVAL);
    CHECK_ERR(gen_ace(GEN_ACE_LENGTH_MAX + 1, ace_count_fn, &a), FS_EINVAL);
    CHECK_EQ(a.count, 0);
}

static int
ace_run_fn(void *arg, const struct gen_ace_case *c)
{
    struct ace_tally *a = arg;
    run_trace(c->trace, 4 * KIB, 1 * MIB, 0, false, &a->r);
    a->count++;
    return 0;
}

/* Every ACE trace of lengths 1..3 runs on the geometry its header names
 * (1 MiB, 4 KiB blocks), every step as expected, agreeing with the oracle. */
static void
gen_ace_runs(void **state)
{
    (void)state;
    for (uint32_t length = 1; length <= 3; length++) {
        struct ace_tally a = { 0 };
        reach_init(&a.r);
        CHECK_ERR(gen_ace(length, ace_run_fn, &a), 0);
        CHECK_EQ(a.count, ace_counts[length - 1]);
        CHECK_EQ(a.r.expected_errors, 0);
        char name[16];
        snprintf(name, sizeof(name), "ace-%u", length);
        reach_note(name, &a.r);
        CHECK_TRUE(a.r.mv_dir > 0 && a.r.overwrite > 0 && a.r.shrink > 0 && a.r.rm_dir > 0);
    }
}

struct find_path {
    const char *path;           /* Wanted. */
    bool found;                 /* It exists. */
    uint64_t size;              /* Its size. */
};

static int
find_path_fn(void *arg, const char *path, bool is_dir, uint64_t size)
{
    struct find_path *f = arg;
    (void)is_dir;
    if (strcmp(path, f->path) == 0) {
        f->found = true;
        f->size = size;
        return 1;
    }
    return 0;
}

/* The shape a core write or truncate must have in the oracle's state. */
static bool
ace_shape_ok(const struct oracle *m, const struct trace_step *s, bool append)
{
    if (s->op != TRACE_WRITE && s->op != TRACE_TRUNCATE) {
        return true;
    }
    struct find_path f = { s->path, false, 0 };
    CHECK_EQ(oracle_walk(m, find_path_fn, &f) >= 0, 1);
    if (!f.found) {
        return false;
    }
    if (s->op == TRACE_TRUNCATE) {
        return s->length < f.size;                      /* A shrink. */
    }
    return append ? s->offset == f.size                 /* At the end. */
        : s->offset + s->length <= f.size;              /* Inside the data. */
}

/* Replays a case in the oracle without step skip (NONE: all): true if
 * every step succeeds and every core operation has its shape. */
static bool
ace_replay(const struct gen_ace_case *c, uint64_t skip)
{
    struct oracle *m = oracle_new();
    assert_non_null(m);
    bool ok = true;
    uint32_t core = 0;
    for (uint32_t i = 0; i < c->trace->count && ok; i++) {
        const struct trace_step *s = &c->trace->steps[i];
        if (c->role[i] == GEN_ACE_CORE) {
            const char *name = gen_ace_menu_name(c->menu[core++]);
            ok = i == skip || ace_shape_ok(m, s, strstr(name, "append") != NULL);
        }
        if (i != skip && ok) {
            ok = oracle_apply(m, s) == 0;
        }
    }
    oracle_free(m);
    return ok;
}

/* The roles of a case's steps agree with its sequence. */
static void
ace_check_roles(const struct gen_ace_case *c)
{
    const struct trace *t = c->trace;
    CHECK_TRUE(t->count <= GEN_ACE_STEPS_MAX);
    CHECK_EQ(t->steps[t->count - 1].op, TRACE_SYNC);          /* Ends persisted. */
    uint32_t core = 0, persist = 0;
    for (uint32_t i = 0; i < t->count; i++) {
        CHECK_EQ(t->steps[i].expect, 0);
        if (c->role[i] == GEN_ACE_CORE) {
            CHECK_EQ(c->core_step[core], i);
            core++;
        } else if (c->role[i] == GEN_ACE_PERSIST) {
            CHECK_EQ(t->steps[i].op, TRACE_SYNC);
            CHECK_EQ(c->role[i - 1], GEN_ACE_CORE);
            CHECK_TRUE(c->sync_after[core - 1]);
            persist++;
        }
    }
    CHECK_EQ(core, c->length);
    uint32_t syncs = 0;
    for (uint32_t p = 0; p < c->length; p++) {
        syncs += c->sync_after[p];
    }
    CHECK_EQ(persist, syncs);
    CHECK_TRUE(c->sync_after[c->length - 1]);
}

static uint64_t
trace_hash(const struct trace *t)
{
    uint64_t h = 0xcbf29ce484222325ull;
    char line[TRACE_LINE_MAX];
    for (uint32_t i = 0; i < t->count; i++) {
        trace_step_format(&t->steps[i], line, sizeof(line));
        for (const char *p = line; *p != '\0'; p++) {
            h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
        }
        h = (h ^ '\n') * 0x100000001b3ull;
    }
    return h;
}

static int
ace_deps_fn(void *arg, const struct gen_ace_case *c)
{
    struct ace_tally *a = arg;
    ace_check_roles(c);
    if (!ace_replay(c, NONE)) {
        util_note("%s: does not run in the oracle with its dependencies", c->trace->name);
        fail();
    }
    for (uint32_t i = 0; i < c->trace->count; i++) {
        if (c->role[i] == GEN_ACE_DEP && ace_replay(c, i)) {
            util_note("%s: step %u is a dependency nothing needs", c->trace->name, i + 1);
            fail();
        }
        a->dep_steps += c->role[i] == GEN_ACE_DEP;
    }
    if (c->length == 1) {
        uint32_t deps = c->trace->count - 2;            /* Less the core step and its sync. */
        CHECK_EQ(deps, ace_deps_alone[c->menu[0]]);
    }
    a->hashes[a->count++] = trace_hash(c->trace);
    return 0;
}

static int
u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Every dependency step is needed, and the sequences make distinct traces
 * (as many as GENERATORS.md says: a few sequences coincide). */
static void
gen_ace_dependencies(void **state)
{
    (void)state;
    static const uint64_t distinct[3] = { 14, 379, 10038 };
    for (uint32_t length = 1; length <= 3; length++) {
        struct ace_tally a = { 0 };
        a.hashes = calloc(ace_counts[length - 1], sizeof(uint64_t));
        assert_non_null(a.hashes);
        CHECK_ERR(gen_ace(length, ace_deps_fn, &a), 0);
        qsort(a.hashes, a.count, sizeof(uint64_t), u64_cmp);
        uint64_t unique = 0;
        for (uint64_t i = 0; i < a.count; i++) {
            unique += i == 0 || a.hashes[i] != a.hashes[i - 1];
        }
        util_note("ace-%u: %" PRIu64 " traces, %" PRIu64 " distinct, %" PRIu64
                " dependency steps", length, a.count, unique, a.dep_steps);
        CHECK_EQ(unique, distinct[length - 1]);
        free(a.hashes);
    }
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gen_ace_counts),
        cmocka_unit_test(gen_ace_dependencies),
        cmocka_unit_test(gen_ace_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
