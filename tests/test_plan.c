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
 *     and fixed by the seed;
 *   - forged blocks (forge:N) are enumerated under every model, up to N
 *     distinct bits for each write whose bytes the log leaves in place and
 *     that is a metadata block, and for no other write;
 *   - unreadable blocks (hostile only), once per write the log leaves in
 *     place;
 *   - a lying flush (liar, hostile only): at each cut, a write from before
 *     the last flush is lost, alone or with one after it;
 *   - repointed blocks (repoint:N, any model): each state names one block
 *     pointer of a metadata block the log leaves in place and another such
 *     block, never the pointer's own block or the one it named;
 *   - the tables of faultinject/classes.h keep their stored names and order
 *     (fault classes by index, models, the plan's normal order), every plan
 *     element parses and formats back to itself, and a model is refused
 *     exactly the classes whose capabilities it lacks, named in the error.
 * The enumerations run over small op logs (traces/oplog.h) built here by the
 * log's own appends, so epochs and "left in place" are the log's to derive.
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
    roundtrip("w173-mis30t7");
    roundtrip("w173-drop100-mis30");
    roundtrip("w173-forge30b800");
    roundtrip("w173-eio30");
    roundtrip("w173-repoint30o4000t17");
    roundtrip("w812-lie640.809");
    roundtrip("w812-lie640");
    roundtrip("w173-drop100-eio30");
    struct crash_state s;
    assert_int_equal(crash_id_parse("w173-flip30b9", &s), 0);
    assert_int_equal(s.media, MEDIA_FLIP);
    assert_int_equal(s.media_op, 30);
    assert_int_equal(s.flip_bit, 9);
    assert_string_equal(crash_fault_class(&s), "flip");
    assert_int_equal(crash_id_parse("w173-lost3", &s), 0);
    assert_string_equal(crash_fault_class(&s), "lost");
    assert_int_equal(crash_id_parse("w173-mis3t0", &s), 0);
    assert_int_equal(s.target, 0);                          /* Block 0, the superblock. */
    assert_int_equal(crash_id_parse("w173-mis3", &s), 0);
    assert_int_equal(s.target, CRASH_NONE);                 /* The next block. */
    assert_string_equal(crash_fault_class(&s), "misdirect");
    assert_int_equal(crash_id_parse("w173-forge3b801", &s), 0);
    assert_int_equal(s.media, MEDIA_FORGE);
    assert_int_equal(s.media_op, 3);
    assert_int_equal(s.flip_bit, 801);
    assert_string_equal(crash_fault_class(&s), "forge");
    assert_int_equal(crash_fault_class_index(&s), 6);
    assert_int_equal(crash_id_parse("w173-eio5", &s), 0);
    assert_int_equal(s.media, MEDIA_UNREADABLE);
    assert_int_equal(s.media_op, 5);
    assert_string_equal(crash_fault_class(&s), "unreadable");
    assert_int_equal(crash_fault_class_index(&s), 7);
    assert_int_equal(crash_id_parse("w173-repoint5o100t7", &s), 0);
    assert_int_equal(s.media, MEDIA_REPOINT);
    assert_int_equal(s.flip_bit, 100);
    assert_int_equal(s.target, 7);
    assert_string_equal(crash_fault_class(&s), "repoint");
    assert_int_equal(crash_id_parse("w812-lie640.809", &s), 0);
    assert_int_equal(s.liar, 1);
    assert_int_equal(s.drop_count, 2);
    assert_string_equal(crash_fault_class(&s), "liar");
    assert_int_equal(crash_fault_class_index(&s), 9);
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
        "w12-mis", "w12-mis40", "w12-lost3-mis4", "w12-lost3x", "w12-mis3t", "w12-mis3tx",
        "w12-forge3", "w12-forge12b1",
        "w12-forge3b", "w12-forg3b1", "w12-eio", "w12-eio12", "w12-eio3b1", "w12-repoint3o1",
        "w12-repoint3t1o1", "w12-repoint3o1t", "w12-repoint12o1t1", "w12-lie", "w12-lie12",
        "w12-lie5.3",
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
    char err[256], buf[128];
    assert_int_equal(fault_plan_parse("misdirect,torn,lost,pass,flip,reorder:2", &p, err,
            sizeof(err)), 0);
    assert_int_equal(p.kinds, PLAN_PASS | PLAN_REORDER | PLAN_TORN | PLAN_FLIP | PLAN_LOST
            | PLAN_MISDIRECT);
    fault_plan_format(&p, buf, sizeof(buf));
    assert_string_equal(buf, "pass,reorder:2,torn,flip,lost,misdirect");
    assert_int_equal(fault_plan_parse("pass,flips", &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'flips'"));
    assert_int_equal(fault_plan_parse("", &p, err, sizeof(err)), -1);
    assert_int_equal(fault_plan_parse("forge,pass", &p, err, sizeof(err)), 0);
    assert_int_equal(p.forge_n, 1);
    fault_plan_format(&p, buf, sizeof(buf));
    assert_string_equal(buf, "pass,forge");
    assert_int_equal(fault_plan_parse("forge:16,flip", &p, err, sizeof(err)), 0);
    assert_int_equal(p.kinds, PLAN_FORGE | PLAN_FLIP);
    assert_int_equal(p.forge_n, 16);
    fault_plan_format(&p, buf, sizeof(buf));
    assert_string_equal(buf, "flip,forge:16");
    assert_int_equal(fault_plan_parse("unreadable,forge,flip", &p, err, sizeof(err)), 0);
    fault_plan_format(&p, buf, sizeof(buf));
    assert_string_equal(buf, "flip,forge,unreadable");
    assert_int_equal(fault_plan_parse("repoint:8,forge:2", &p, err, sizeof(err)), 0);
    assert_int_equal(p.repoint_n, 8);
    fault_plan_format(&p, buf, sizeof(buf));
    assert_string_equal(buf, "forge:2,repoint:8");
    assert_int_equal(fault_plan_parse("forge:0", &p, err, sizeof(err)), -1);
    assert_int_equal(fault_plan_parse("forge:5000", &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "forge:N"));
    assert_int_equal(fault_plan_parse("forge:x", &p, err, sizeof(err)), -1);
}

/* The stored names: databases and analysis/ rely on this order. */
static void
tables(void **state)
{
    (void)state;
    static const char *const names[] = { "cut", "drop", "torn", "flip", "lost", "misdirect",
        "forge", "unreadable", "repoint", "liar" };
    assert_int_equal(CRASH_FAULT_CLASSES, sizeof(names) / sizeof(names[0]));
    uint32_t judged[FAULT_VERDICT_COUNT] = { 0 };
    for (uint32_t i = 0; i < CRASH_FAULT_CLASSES; i++) {
        const struct fault_class_info *c = fault_class_info(i);
        assert_string_equal(c->name, names[i]);
        assert_string_equal(crash_fault_class_name(i), names[i]);
        assert_int_equal(c->index, i);
        judged[c->verdict]++;
        if (c->media_fault != MEDIA_NONE) {
            assert_int_equal(fault_class_of_media((enum media_fault)c->media_fault), i);
        }
    }
    assert_int_equal(judged[FAULT_VERDICT_MEDIA], 4);     /* flip, lost, misdirect, unreadable */
    assert_int_equal(judged[FAULT_VERDICT_FORGED], 2);    /* forge, repoint */
    assert_string_equal(fault_verdict_name(FAULT_VERDICT_MEDIA), "media");
    static const char *const models[] = { "ordered", "writeback", "torn", "hostile" };
    for (uint32_t m = 0; m < MODEL_COUNT; m++) {
        enum device_model got;
        assert_string_equal(device_model_name((enum device_model)m), models[m]);
        assert_int_equal(device_model_parse(models[m], &got), 0);
        assert_int_equal(got, m);
    }
    assert_int_equal(PLAN_MEDIA, PLAN_FLIP | PLAN_LOST | PLAN_MISDIRECT | PLAN_UNREADABLE);
    assert_int_equal(PLAN_LIAR, 0x800);             /* The last of the twelve elements. */
    assert_string_equal(torn_fill_describe('z'), "zeros");
    assert_int_equal(torn_fill_parse('q'), -1);
}

/* Each element alone, and all of them together, in the normal order. */
static void
plan_elements(void **state)
{
    (void)state;
    static const char *const each[] = { "pass", "flush", "prefix", "reorder:3", "torn", "flip",
        "lost", "misdirect", "forge", "forge:7", "unreadable", "repoint", "repoint:2", "liar" };
    struct fault_plan p;
    char err[256], buf[160];
    for (size_t i = 0; i < sizeof(each) / sizeof(each[0]); i++) {
        assert_int_equal(fault_plan_parse(each[i], &p, err, sizeof(err)), 0);
        fault_plan_format(&p, buf, sizeof(buf));
        assert_string_equal(buf, each[i]);
    }
    const char *all = "pass,flush,prefix,reorder:8,torn,flip,lost,misdirect,forge,unreadable,"
        "repoint:4096,liar";
    assert_int_equal(fault_plan_parse("liar,repoint:4096,unreadable,forge,misdirect,lost,flip,"
            "torn,reorder:8,prefix,flush,pass", &p, err, sizeof(err)), 0);
    fault_plan_format(&p, buf, sizeof(buf));
    assert_string_equal(buf, all);
    static const char *const bad[] = { "reorder", "reorder:0", "reorder:9", "cut", "drop",
        "pass:2", "torn:1", "forge:", "repoint:4097", "" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (fault_plan_parse(bad[i], &p, err, sizeof(err)) == 0) {
            fail_msg("'%s' parsed as a fault plan", bad[i]);
        }
    }
    assert_int_equal(fault_plan_parse("pass,drop", &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "reorder:K with K 1..8"));
    assert_non_null(strstr(err, "repoint or repoint:N with N 1..4096"));
}

/* Which model applies which element, and the first refusal named. */
static void
plan_models(void **state)
{
    (void)state;
    struct fault_plan p;
    char err[256];
    assert_int_equal(fault_plan_parse("pass,flush,prefix,forge,repoint", &p, err, sizeof(err)),
            0);
    for (uint32_t m = 0; m < MODEL_COUNT; m++) {
        assert_int_equal(fault_plan_check_model(&p, (enum device_model)m, err, sizeof(err)), 0);
    }
    assert_int_equal(fault_plan_parse("pass,reorder:1,torn", &p, err, sizeof(err)), 0);
    assert_int_equal(fault_plan_check_model(&p, MODEL_TORN, err, sizeof(err)), -1);
    assert_string_equal(err, "the torn model does not apply 'reorder': use --model writeback "
            "or hostile, or leave 'reorder' out");
    assert_int_equal(fault_plan_check_model(&p, MODEL_WRITEBACK, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'torn': use --model torn or hostile"));
    /* Capability order: a lying flush is named before a media fault. */
    assert_int_equal(fault_plan_parse("unreadable,flip,liar", &p, err, sizeof(err)), 0);
    assert_int_equal(fault_plan_check_model(&p, MODEL_WRITEBACK, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'liar': use --model hostile"));
    assert_int_equal(fault_plan_check_model(&p, MODEL_HOSTILE, err, sizeof(err)), 0);
    for (uint32_t c = 0; c < CRASH_FAULT_CLASSES; c++) {
        bool media = fault_class_info(c)->verdict == FAULT_VERDICT_MEDIA;
        assert_int_equal(device_model_applies(MODEL_WRITEBACK, c), !media
                && c != FAULT_CLASS_TORN && c != FAULT_CLASS_LIAR);
        assert_true(device_model_applies(MODEL_HOSTILE, c));
    }
}

/* One op of a hand-made log of 4 KiB blocks. */
struct step {
    char what;                  /* 'w' a write, 'f' a flush, 'p' a sync.pass0 mark. */
    uint64_t block;             /* A write's block. */
    const uint8_t *bytes;       /* A write's bytes; NULL: a block of zeros. */
};

#define LOG_BLOCKS 64u          /* Blocks of the device a hand-made log writes. */

static void
log_make(struct oplog *log, const struct step *steps, uint32_t n)
{
    static const uint8_t zeros[4096];
    assert_int_equal(oplog_init(log, 4096, LOG_BLOCKS), 0);
    oplog_start(log, 0, 0);
    for (uint32_t i = 0; i < n; i++) {
        const struct step *st = &steps[i];
        int rc = st->what == 'w' ? oplog_write(log, st->block, st->bytes ? st->bytes : zeros)
            : st->what == 'f' ? oplog_flush(log) : oplog_mark(log, BDEV_MARK_SYNC_PASS0, 0);
        assert_int_equal(rc, 0);
    }
    assert_int_equal(log->count, n);
}

/* A log of writes and flushes: 0 w, 1 w, 2 flush, 3 w, 4 mark, 5 w. */
static const struct step log_steps[] = {
    { 'w', 0, NULL }, { 'w', 1, NULL }, { 'f', 0, NULL }, { 'w', 2, NULL }, { 'p', 0, NULL },
    { 'w', 3, NULL },
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
    uint32_t n = sizeof(log_steps) / sizeof(log_steps[0]);
    struct oplog log;
    log_make(&log, log_steps, n);
    struct crash_state *s;
    size_t count;
    assert_int_equal(fault_plan_enumerate(&log, MODEL_WRITEBACK, &p, &s, &count), 0);
    assert_int_equal(count_media(s, count, MEDIA_FLIP) + count_media(s, count, MEDIA_LOST)
            + count_media(s, count, MEDIA_MISDIRECT), 0);
    free(s);

    p.seed = 7;
    assert_int_equal(fault_plan_enumerate(&log, MODEL_HOSTILE, &p, &s, &count), 0);
    assert_int_equal(count_media(s, count, MEDIA_FLIP), 4);     /* Four writes. */
    assert_int_equal(count_media(s, count, MEDIA_LOST), 4);
    assert_int_equal(count_media(s, count, MEDIA_MISDIRECT), 4);
    uint32_t bits7[4], k = 0;
    for (size_t i = 0; i < count; i++) {
        if (s[i].media == MEDIA_NONE) {
            continue;
        }
        assert_int_equal(s[i].cut, n);                          /* At the end of the log. */
        assert_int_equal(log.ops[s[i].media_op].kind, OPLOG_OP_WRITE);  /* Each strikes a write. */
        if (s[i].media == MEDIA_FLIP) {
            assert_true(s[i].flip_bit < 8u * 512u * 8u);
            bits7[k++] = s[i].flip_bit;
        }
    }
    free(s);

    p.seed = 8;                                 /* Another seed, other bits. */
    assert_int_equal(fault_plan_enumerate(&log, MODEL_HOSTILE, &p, &s, &count), 0);
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
    oplog_deinit(&log);
}

/* A leaf with one record, a data block, and a log block. */
static void
forge_blocks(uint8_t *leaf, uint8_t *data, uint8_t *log)
{
    memset(leaf, 0, 4096);
    leaf[1] = 2;                                    /* type leaf */
    leaf[3] = 1;                                    /* nval 1 */
    leaf[5] = 9;                                    /* valsz: 2 + 3 + 2 + 2 */
    leaf[6] = 0x0f;                                 /* offset table: 4090 - 9 = 4081 */
    leaf[7] = 0xf1;
    uint8_t *r = leaf + 6 + 4081;
    r[1] = 3;                                       /* nk */
    r[2] = 1;
    r[6] = 2;                                       /* nv */
    memset(data, 0xa5, 4096);
    data[0] = 0;
    data[1] = 0;                                    /* Type 0: a data block. */
    memset(log, 0, 4096);
    log[1] = 3;                                     /* type log */
    log[3] = 16;                                    /* logsz: two entries */
}

/* A leaf of one file-data pointer (Kdat key, 24-byte value) naming block 11. */
static uint32_t
pointer_leaf(uint8_t *leaf)
{
    memset(leaf, 0, 4096);
    leaf[1] = 2;                                    /* type leaf */
    leaf[3] = 1;                                    /* nval 1 */
    leaf[5] = 45;                                   /* valsz: 2 + 17 + 2 + 24 */
    uint32_t off = 4090 - 45;
    leaf[6] = (uint8_t)(off >> 8);
    leaf[7] = (uint8_t)off;
    uint8_t *r = leaf + 6 + off;
    r[1] = 17;                                      /* nk; kind 0 (Kdat) */
    r[2 + 17 + 1] = 24;                             /* nv */
    uint8_t *v = r + 2 + 17 + 2;
    v[6] = 0xb0;                                    /* addr 11 * 4096 = 0xb000 */
    return (uint32_t)(v - leaf);
}

static void
repoint_enumeration(void **state)
{
    (void)state;
    static uint8_t leaf[4096], data[4096], log[4096], dleaf[4096];
    forge_blocks(leaf, data, log);
    uint32_t at = pointer_leaf(dleaf);
    /* Blocks 10 leaf, 11 data, 13 log, 14 the pointer leaf. */
    const struct step steps[] = {
        { 'w', 10, leaf }, { 'w', 11, data }, { 'f', 0, NULL }, { 'w', 13, log },
        { 'w', 14, dleaf },
    };
    struct oplog ops;
    log_make(&ops, steps, 5);
    struct fault_plan p;
    char err[256];
    assert_int_equal(fault_plan_parse("repoint:8", &p, err, sizeof(err)), 0);
    struct crash_state *s;
    size_t count;
    assert_int_equal(fault_plan_enumerate(&ops, MODEL_ORDERED, &p, &s, &count), 0);
    uint32_t on_leaf = 0;
    for (size_t i = 0; i < count; i++) {
        if (s[i].media == MEDIA_NONE) {
            continue;
        }
        assert_int_equal(s[i].media, MEDIA_REPOINT);
        uint64_t own = ops.ops[s[i].media_op].block;
        assert_true(s[i].target != own || own == 13);       /* Only a log loops on itself. */
        assert_true(s[i].target == 10 || s[i].target == 11 || s[i].target == 13
                || s[i].target == 14);                      /* A block left in place. */
        if (own == 14) {
            assert_int_equal(s[i].flip_bit, at);            /* The one pointer. */
            assert_true(s[i].target != 11);                 /* Not the block it named. */
            on_leaf++;
        } else {
            assert_int_equal(own, 13);                      /* The log's next pointer. */
            assert_int_equal(s[i].flip_bit, 12);
        }
    }
    assert_true(on_leaf >= 1 && on_leaf <= 3);              /* Distinct targets: 10, 13. */
    bool loop = false;
    for (size_t i = 0; i < count; i++) {
        loop = loop || (s[i].media == MEDIA_REPOINT && s[i].target == 13);
    }
    assert_true(loop);                                      /* The log names itself. */
    free(s);

    /* A misdirected write lands next door or on another block left in place. */
    uint32_t far = 0, near = 0;
    for (uint64_t seed = 0; seed < 8; seed++) {
        assert_int_equal(fault_plan_parse("misdirect", &p, err, sizeof(err)), 0);
        p.seed = seed;
        assert_int_equal(fault_plan_enumerate(&ops, MODEL_HOSTILE, &p, &s, &count), 0);
        for (size_t i = 0; i < count; i++) {
            if (s[i].media != MEDIA_MISDIRECT) {
                continue;
            }
            uint64_t own = ops.ops[s[i].media_op].block;
            assert_true(s[i].target != own && s[i].target != own + 1);
            bool next = s[i].target == CRASH_NONE;
            assert_true(next || s[i].target == 10 || s[i].target == 11 || s[i].target == 13
                    || s[i].target == 14);
            near += next;
            far += !next;
        }
        free(s);
    }
    assert_true(near > 0 && far > 0);
    oplog_deinit(&ops);
}

/* The last flush before each cut lied: a write from before it is lost,
 * alone or with one write after it; hostile only. */
static void
liar_enumeration(void **state)
{
    (void)state;
    /* 0 w, 1 w, 2 flush, 3 w, 4 w. */
    static const struct step steps[] = {
        { 'w', 0, NULL }, { 'w', 1, NULL }, { 'f', 0, NULL }, { 'w', 2, NULL }, { 'w', 3, NULL },
    };
    struct oplog ops;
    log_make(&ops, steps, 5);
    struct fault_plan p;
    char err[256];
    assert_int_equal(fault_plan_parse("liar", &p, err, sizeof(err)), 0);
    struct crash_state *s;
    size_t count;
    assert_int_equal(fault_plan_enumerate(&ops, MODEL_WRITEBACK, &p, &s, &count), 0);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal(s[i].liar, 0);                     /* Flushes are honest there. */
    }
    free(s);
    assert_int_equal(fault_plan_enumerate(&ops, MODEL_HOSTILE, &p, &s, &count), 0);
    uint32_t at[6] = { 0 };                                 /* Liar states per cut. */
    for (size_t i = 0; i < count; i++) {
        if (!s[i].liar) {
            continue;
        }
        at[s[i].cut]++;
        assert_true(s[i].drops[0] < 2);                     /* One from before the flush, */
        assert_true(s[i].drop_count == 1                    /* and maybe one after it. */
                || (s[i].drop_count == 2 && s[i].drops[1] >= 3 && s[i].drops[1] < s[i].cut));
    }
    assert_int_equal(at[3], 0);                             /* No write since the flush: no cut. */
    assert_int_equal(at[4], 4);                             /* x {none, 3}. */
    assert_int_equal(at[5], 6);                             /* x {none, 3, 4}. */
    assert_int_equal(at[0] + at[1] + at[2], 0);             /* No flush to lie about yet. */
    free(s);
    oplog_deinit(&ops);
}

static void
forge_enumeration(void **state)
{
    (void)state;
    static uint8_t leaf[4096], data[4096], log[4096];
    forge_blocks(leaf, data, log);
    /* 0 leaf (live), 1 data (live), 2 log (overwritten by 4: not forged), 3 flush, 4 log. */
    const struct step steps[] = {
        { 'w', 10, leaf }, { 'w', 11, data }, { 'w', 12, log }, { 'f', 0, NULL },
        { 'w', 12, log },
    };
    struct oplog ops;
    log_make(&ops, steps, 5);
    struct fault_plan p;
    char err[128];
    assert_int_equal(fault_plan_parse("forge:6", &p, err, sizeof(err)), 0);
    struct crash_state *s;
    size_t count;
    assert_int_equal(fault_plan_enumerate(&ops, MODEL_ORDERED, &p, &s, &count), 0);
    uint32_t per_op[5] = { 0 };
    for (size_t i = 0; i < count; i++) {
        if (s[i].media == MEDIA_NONE) {
            continue;                                           /* The end of the log itself. */
        }
        assert_int_equal(s[i].media, MEDIA_FORGE);              /* Nothing but forges asked. */
        assert_int_equal(s[i].cut, 5);
        per_op[s[i].media_op]++;
        assert_true(s[i].flip_bit / 8 < 4096);
        for (size_t j = 0; j < i; j++) {
            assert_false(s[j].media_op == s[i].media_op && s[j].flip_bit == s[i].flip_bit);
        }
    }
    assert_true(per_op[0] >= 2 && per_op[0] <= 6);             /* Distinct bits, at most N. */
    assert_true(per_op[4] >= 2 && per_op[4] <= 6);
    assert_int_equal(per_op[1], 0);                             /* Data: no fields. */
    assert_int_equal(per_op[2], 0);                             /* Overwritten. */
    free(s);
    assert_int_equal(fault_plan_parse("pass,flip,forge", &p, err, sizeof(err)), 0);
    assert_int_equal(fault_plan_enumerate(&ops, MODEL_WRITEBACK, &p, &s, &count), 0);
    assert_int_equal(count_media(s, count, MEDIA_FLIP), 0);     /* flip: hostile only. */
    assert_int_equal(count_media(s, count, MEDIA_FORGE), 2);    /* One each: leaf, log. */
    free(s);
    assert_int_equal(fault_plan_parse("pass,unreadable", &p, err, sizeof(err)), 0);
    assert_int_equal(fault_plan_enumerate(&ops, MODEL_WRITEBACK, &p, &s, &count), 0);
    assert_int_equal(count_media(s, count, MEDIA_UNREADABLE), 0);   /* Hostile only. */
    free(s);
    assert_int_equal(fault_plan_enumerate(&ops, MODEL_HOSTILE, &p, &s, &count), 0);
    assert_int_equal(count_media(s, count, MEDIA_UNREADABLE), 3);   /* The writes left in place. */
    for (size_t i = 0; i < count; i++) {
        assert_true(s[i].media != MEDIA_UNREADABLE || (s[i].media_op != 2 && s[i].cut == 5));
    }
    free(s);
    oplog_deinit(&ops);
}

/* The end-of-log media states of a small log, as the planner made them before
 * it enumerated media faults at earlier cuts: stored ids name these states,
 * so they must stay the same states, ids and order. Ops: 0 w10 leaf, 1 w11
 * data, 2 flush, 3 w13 log, 4 pass mark, 5 w14 pointer leaf, 6 w11 data
 * again, 7 flush, 8 w12 data. */
static void
end_of_log_pinned(void **state)
{
    (void)state;
    static uint8_t leaf[4096], data[4096], log[4096], dleaf[4096], data2[4096];
    forge_blocks(leaf, data, log);
    pointer_leaf(dleaf);
    memset(data2, 0x5a, sizeof(data2));
    data2[0] = 0;
    data2[1] = 0;
    const struct step steps[] = {
        { 'w', 10, leaf }, { 'w', 11, data }, { 'f', 0, NULL }, { 'w', 13, log },
        { 'p', 0, NULL }, { 'w', 14, dleaf }, { 'w', 11, data2 }, { 'f', 0, NULL },
        { 'w', 12, data },
    };
    struct oplog ops;
    log_make(&ops, steps, 9);
    struct fault_plan p;
    char err[256];
    assert_int_equal(fault_plan_parse("pass,flip,lost,misdirect,unreadable,forge:2,repoint:2", &p,
            err, sizeof(err)), 0);
    p.seed = 5;
    struct crash_state *s;
    size_t count;
    assert_int_equal(fault_plan_enumerate(&ops, MODEL_HOSTILE, &p, &s, &count), 0);
    static const char pinned[] = "w9 w9-forge0b32724 w9-forge0b47 w9-flip0b692 w9-lost0 "
        "w9-mis0t13 w9-eio0 w9-flip1b13271 w9-lost1 w9-mis1 w9-forge3b333 w9-forge3b241 "
        "w9-flip3b29561 w9-lost3 w9-mis3 w9-eio3 w9-repoint3o12t13 w9-repoint3o12t10 "
        "w9-forge5b63 w9-forge5b32417 w9-flip5b3733 w9-lost5 w9-mis5 w9-eio5 "
        "w9-repoint5o4072t10 w9-repoint5o4072t12 w9-flip6b27121 w9-lost6 w9-mis6 w9-eio6 "
        "w9-flip8b26248 w9-lost8 w9-mis8t11 w9-eio8 ";
    char got[sizeof(pinned) + CRASH_ID_MAX] = "";
    size_t used = 0;
    for (size_t i = 0; i < count && used + CRASH_ID_MAX < sizeof(got); i++) {
        if (s[i].cut == 9) {
            crash_id_format(&s[i], got + used, CRASH_ID_MAX);
            used += strlen(got + used);
            got[used++] = ' ';
            got[used] = '\0';
        }
    }
    assert_string_equal(got, pinned);
    free(s);
    oplog_deinit(&ops);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ids_round_trip),
        cmocka_unit_test(bad_ids),
        cmocka_unit_test(plans),
        cmocka_unit_test(tables),
        cmocka_unit_test(plan_elements),
        cmocka_unit_test(plan_models),
        cmocka_unit_test(media_enumeration),
        cmocka_unit_test(forge_enumeration),
        cmocka_unit_test(repoint_enumeration),
        cmocka_unit_test(liar_enumeration),
        cmocka_unit_test(end_of_log_pinned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
