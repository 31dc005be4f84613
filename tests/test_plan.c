/*
 * tests/test_plan.c: crash-state ids and fault plans (faultinject/plan.h).
 *
 * What it proves:
 *   - every kind of id (cut, lost writes, a torn write, each media fault)
 *     formats and parses back to the same state, and malformed or impossible
 *     ids are refused;
 *   - fault plans parse and format in one normal order, and unknown
 *     elements are named in the error;
 *   - the media faults are enumerated once per write at the end of the log,
 *     only under the hostile model, with the flipped bit inside the block
 *     and fixed by the seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../faultinject/plan.h"

static void
roundtrip(const char *id)
{
    struct crash_state s;
    assert_int_equal(crash_id_parse(id, &s), 0);
    char back[CRASH_ID_MAX];
    crash_id_format(&s, back, sizeof(back));
    assert_string_equal(back, id);
}

static void
ids_round_trip(void **state)
{
    (void)state;
    roundtrip("w0");
    roundtrip("w812");
    roundtrip("w812-drop805.809");
    roundtrip("w812-torn811s3z");
    roundtrip("w812-drop805-torn811s3g");
    roundtrip("w173-flip30b108152");
    roundtrip("w173-lost30");
    roundtrip("w173-mis30");
    roundtrip("w173-drop100-mis30");
    struct crash_state s;
    assert_int_equal(crash_id_parse("w173-flip30b9", &s), 0);
    assert_int_equal(s.media, MEDIA_FLIP);
    assert_int_equal(s.media_op, 30);
    assert_int_equal(s.flip_bit, 9);
    assert_string_equal(crash_fault_class(&s), "flip");
    assert_int_equal(crash_id_parse("w173-lost3", &s), 0);
    assert_string_equal(crash_fault_class(&s), "lost");
    assert_int_equal(crash_id_parse("w173-mis3", &s), 0);
    assert_string_equal(crash_fault_class(&s), "misdirect");
    assert_int_equal(crash_id_parse("w173-drop3", &s), 0);
    assert_int_equal(s.media, MEDIA_NONE);
    assert_string_equal(crash_fault_class(&s), "drop");
}

static void
bad_ids(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "w", "x12", "w12x", "w12-drop", "w12-drop12", "w12-drop5.3", "w12-torn11s0z",
        "w12-torn11s3q", "w12-flip12b3", "w12-flip3", "w12-flip3b", "w12-lost", "w12-lost12",
        "w12-mis", "w12-mis40", "w12-lost3-mis4", "w12-lost3x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct crash_state s;
        if (crash_id_parse(bad[i], &s) == 0) {
            fail_msg("'%s' parsed as a crash-state id", bad[i]);
        }
    }
}

static void
plans(void **state)
{
    (void)state;
    struct fault_plan p;
    char err[128], buf[128];
    assert_int_equal(fault_plan_parse("misdirect,torn,lost,pass,flip,reorder:2", &p, err,
            sizeof(err)), 0);
    assert_int_equal(p.kinds, PLAN_PASS | PLAN_REORDER | PLAN_TORN | PLAN_MEDIA);
    fault_plan_format(&p, buf, sizeof(buf));
    assert_string_equal(buf, "pass,reorder:2,torn,flip,lost,misdirect");
    assert_int_equal(fault_plan_parse("pass,flips", &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'flips'"));
    assert_int_equal(fault_plan_parse("", &p, err, sizeof(err)), -1);
}

/* A log of writes and flushes: 0 w, 1 w, 2 flush, 3 w, 4 mark, 5 w. */
static const struct plan_op log_ops[] = {
    { 0, 0, 0, 8 }, { 0, 0, 0, 8 }, { 1, 0, 0, 0 }, { 0, 0, 1, 8 }, { 2, 0, 1, 0 }, { 0, 0, 1, 8 },
};

static size_t
count_media(const struct crash_state *s, size_t n, enum media_fault kind)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        c += s[i].media == kind;
    }
    return c;
}

static void
media_enumeration(void **state)
{
    (void)state;
    struct fault_plan p;
    char err[128];
    assert_int_equal(fault_plan_parse("pass,flip,lost,misdirect", &p, err, sizeof(err)), 0);
    uint32_t n = sizeof(log_ops) / sizeof(log_ops[0]);
    struct crash_state *s;
    size_t count;
    assert_int_equal(fault_plan_enumerate(log_ops, n, MODEL_WRITEBACK, &p, &s, &count), 0);
    assert_int_equal(count_media(s, count, MEDIA_FLIP) + count_media(s, count, MEDIA_LOST)
            + count_media(s, count, MEDIA_MISDIRECT), 0);
    free(s);

    p.seed = 7;
    assert_int_equal(fault_plan_enumerate(log_ops, n, MODEL_HOSTILE, &p, &s, &count), 0);
    assert_int_equal(count_media(s, count, MEDIA_FLIP), 4);     /* Four writes. */
    assert_int_equal(count_media(s, count, MEDIA_LOST), 4);
    assert_int_equal(count_media(s, count, MEDIA_MISDIRECT), 4);
    uint32_t bits7[4], k = 0;
    for (size_t i = 0; i < count; i++) {
        if (s[i].media == MEDIA_NONE) {
            continue;
        }
        assert_int_equal(s[i].cut, n);                          /* At the end of the log. */
        assert_int_equal(log_ops[s[i].media_op].kind, 0);       /* Each strikes a write. */
        if (s[i].media == MEDIA_FLIP) {
            assert_true(s[i].flip_bit < 8u * 512u * 8u);
            bits7[k++] = s[i].flip_bit;
        }
    }
    free(s);

    p.seed = 8;                                 /* Another seed, other bits. */
    assert_int_equal(fault_plan_enumerate(log_ops, n, MODEL_HOSTILE, &p, &s, &count), 0);
    bool differ = false;
    k = 0;
    for (size_t i = 0; i < count; i++) {
        if (s[i].media == MEDIA_FLIP) {
            differ = differ || s[i].flip_bit != bits7[k];
            k++;
        }
    }
    assert_true(differ);
    free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids_round_trip),
        cmocka_unit_test(bad_ids),
        cmocka_unit_test(plans),
        cmocka_unit_test(media_enumeration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
