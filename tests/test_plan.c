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

#include "../faultinject/forge.h"
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
    roundtrip("w173-flip30b108152x4");
    roundtrip("w173-flip30b108152x64");
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
        "w12-lie5.3", "w12-flip3b1x1", "w12-flip3b1x65", "w12-flip3b1x", "w12-flip3b1x0",
        "w12-forge3b1x2", "w12-flip3x2",
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

/* The states of a kind at one cut. */
static size_t
count_media_at(const struct crash_state *s, size_t n, enum media_fault kind, uint32_t cut)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        c += s[i].media == kind && s[i].cut == cut;
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
    assert_int_equal(count_media_at(s, count, MEDIA_FLIP, n), 4);   /* Four writes. */
    assert_int_equal(count_media_at(s, count, MEDIA_LOST, n), 4);
    assert_int_equal(count_media_at(s, count, MEDIA_MISDIRECT, n), 4);
    uint32_t bits7[4], k = 0;
    for (size_t i = 0; i < count; i++) {
        if (s[i].media == MEDIA_NONE || s[i].cut != n) {
            continue;                           /* The end of the log's (earlier cuts: below). */
        }
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
        if (s[i].media == MEDIA_FLIP && s[i].cut == n) {
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
        if (s[i].media == MEDIA_NONE || s[i].cut != 5) {
            continue;                                       /* Earlier cuts: media_cuts. */
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
            if (s[i].cut < 5) {                             /* Earlier: a block in use there. */
                assert_true(s[i].target != own && s[i].target != CRASH_NONE);
                assert_true(oplog_block_writer_at(&ops, s[i].target, s[i].cut) != OPLOG_NONE);
                continue;
            }
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
    uint32_t per_op[5] = { 0 }, at4[5] = { 0 };
    for (size_t i = 0; i < count; i++) {
        if (s[i].media == MEDIA_NONE) {
            continue;                                           /* The cuts themselves. */
        }
        assert_int_equal(s[i].media, MEDIA_FORGE);              /* Nothing but forges asked. */
        assert_true(s[i].cut == 4 || s[i].cut == 5);            /* After the flush; the end. */
        if (s[i].cut == 4) {
            at4[s[i].media_op]++;
            continue;
        }
        per_op[s[i].media_op]++;
        assert_true(s[i].flip_bit / 8 < 4096);
        for (size_t j = 0; j < i; j++) {
            assert_false(s[j].cut == s[i].cut && s[j].media_op == s[i].media_op
                    && s[j].flip_bit == s[i].flip_bit);
        }
    }
    assert_true(per_op[0] >= 2 && per_op[0] <= 6);             /* Distinct bits, at most N. */
    assert_true(per_op[4] >= 2 && per_op[4] <= 6);
    assert_int_equal(per_op[1], 0);                             /* Data: no fields. */
    assert_int_equal(per_op[2], 0);                             /* Overwritten. */
    assert_true(at4[0] >= 2 && at4[2] >= 2);    /* Before op 4, op 2's log is still there, */
    assert_int_equal(at4[1], 0);                /* the data block has no fields, */
    assert_int_equal(at4[4], 0);                /* and op 4 is not issued yet. */
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

/* Formats, parses and formats again: the same id and the same state. */
static void
id_same(const struct crash_state *a)
{
    char id[CRASH_ID_MAX], back[CRASH_ID_MAX];
    crash_id_format(a, id, sizeof(id));
    struct crash_state b;
    assert_int_equal(crash_id_parse(id, &b), 0);
    crash_id_format(&b, back, sizeof(back));
    assert_string_equal(back, id);
    assert_int_equal(b.cut, a->cut);
    assert_int_equal(b.media, a->media);
    assert_int_equal(b.media_op, a->media_op);
    assert_int_equal(b.flip_bit, a->flip_bit);
    assert_int_equal(b.flip_count, a->flip_count);
    assert_true(a->media != MEDIA_REPOINT || b.target == a->target);
    assert_true(a->media != MEDIA_MISDIRECT || b.target == a->target);
}

/* Ascending cuts, and no id twice. */
static void
ordered_unique(const struct crash_state *s, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        assert_true(i == 0 || s[i - 1].cut <= s[i].cut);
        id_same(&s[i]);
        char a[CRASH_ID_MAX];
        crash_id_format(&s[i], a, sizeof(a));
        for (size_t j = i + 1; j < count && s[j].cut == s[i].cut; j++) {
            char b[CRASH_ID_MAX];
            crash_id_format(&s[j], b, sizeof(b));
            if (strcmp(a, b) == 0) {
                fail_msg("'%s' enumerated twice", a);
            }
        }
    }
}

/* Writes before cut whose bytes are still on their block there. */
static uint32_t
live_at(const struct oplog *log, uint32_t cut)
{
    uint32_t live = 0;
    for (uint32_t i = 0; i < cut; i++) {
        live += log->ops[i].kind == OPLOG_OP_WRITE
            && oplog_block_writer_at(log, log->ops[i].block, cut) == i;
    }
    return live;
}

/* Media faults at every cut the plan takes, not only the end: each class
 * strikes the writes live at the cut (misdirected: every write before it,
 * onto a block in use there); unsampled, all of them. */
static void
media_cuts(void **state)
{
    (void)state;
    static uint8_t leaf[4096], data[4096], log[4096], dleaf[4096];
    forge_blocks(leaf, data, log);
    pointer_leaf(dleaf);
    /* 10 leaf, 11 data, 13 log, 14 pointer leaf; 11 and 10 written again. */
    const struct step steps[] = {
        { 'w', 10, leaf }, { 'w', 11, data }, { 'f', 0, NULL }, { 'w', 13, log },
        { 'w', 14, dleaf }, { 'w', 11, NULL }, { 'w', 10, leaf }, { 'w', 15, data },
    };
    uint32_t n = 8;
    struct oplog ops;
    log_make(&ops, steps, n);
    struct fault_plan p;
    char err[256];
    assert_int_equal(fault_plan_parse("prefix,flip,lost,misdirect,unreadable,forge:2,repoint:2",
            &p, err, sizeof(err)), 0);
    p.seed = 11;
    struct crash_state *s;
    size_t count;
    uint64_t left_out;
    assert_int_equal(fault_plan_enumerate_counted(&ops, MODEL_HOSTILE, &p, &s, &count,
            &left_out), 0);
    assert_int_equal(left_out, 0);                  /* A handful of writes: nothing sampled. */
    ordered_unique(s, count);
    uint32_t earlier[MEDIA_COUNT] = { 0 };
    for (size_t i = 0; i < count; i++) {
        if (s[i].media == MEDIA_NONE || s[i].cut == n) {
            continue;
        }
        earlier[s[i].media]++;
        uint32_t c = s[i].cut, op = s[i].media_op;
        uint64_t own = ops.ops[op].block;
        assert_true(op < c);
        if (s[i].media == MEDIA_MISDIRECT) {        /* Onto a block in use, not its own. */
            assert_true(s[i].target != own);
            assert_true(oplog_block_writer_at(&ops, s[i].target, c) != OPLOG_NONE);
        } else {                                    /* Its bytes still on its block. */
            assert_int_equal(oplog_block_writer_at(&ops, own, c), op);
        }
        if (s[i].media == MEDIA_FORGE || s[i].media == MEDIA_REPOINT) {
            assert_true(forge_is_meta(oplog_op_bytes(&ops, op), 4096));
        }
    }
    for (uint32_t m = MEDIA_NONE + 1; m < MEDIA_COUNT; m++) {
        if (earlier[m] == 0) {
            fail_msg("no %s state before the end of the log",
                    crash_fault_class_name(fault_class_of_media((enum media_fault)m)));
        }
    }
    for (uint32_t c = 1; c < n; c++) {              /* All of them: none was sampled out. */
        if (ops.ops[c - 1].kind == OPLOG_OP_FLUSH) {
            continue;                               /* prefix cuts after writes only. */
        }
        uint32_t live = live_at(&ops, c), writes = c - (c > 2);
        assert_int_equal(count_media_at(s, count, MEDIA_FLIP, c), live);
        assert_int_equal(count_media_at(s, count, MEDIA_LOST, c), live);
        assert_int_equal(count_media_at(s, count, MEDIA_UNREADABLE, c), live);
        assert_int_equal(count_media_at(s, count, MEDIA_MISDIRECT, c), live >= 2 ? writes : 0);
    }
    assert_int_equal(count_media_at(s, count, MEDIA_LOST, 6), 4);   /* Op 5 replaced op 1, */
    assert_int_equal(count_media_at(s, count, MEDIA_MISDIRECT, 6), 5);  /* still misdirected. */
    free(s);
    oplog_deinit(&ops);
}

/* Thirty leaves on thirty blocks, a cut after each, four samples: each
 * class strikes min(live, 4) writes per cut, and the rest are left out. */
static void
media_cuts_sampled(void **state)
{
    (void)state;
    static uint8_t leaf[4096], data[4096], log[4096];
    forge_blocks(leaf, data, log);
    struct step steps[30];
    for (uint32_t i = 0; i < 30; i++) {
        steps[i] = (struct step){ 'w', 1 + i, leaf };
    }
    struct oplog ops;
    log_make(&ops, steps, 30);
    struct fault_plan p;
    char err[256];
    assert_int_equal(fault_plan_parse("prefix,flip,lost,misdirect,unreadable,forge:2,repoint:3",
            &p, err, sizeof(err)), 0);
    p.samples = 4;
    p.seed = 3;
    struct crash_state *s;
    size_t count;
    uint64_t left_out;
    assert_int_equal(fault_plan_enumerate_counted(&ops, MODEL_HOSTILE, &p, &s, &count,
            &left_out), 0);
    ordered_unique(s, count);
    /* Per cut c < 30, c writes are live: flip, lost, unreadable, misdirect
     * one state each, forge 2 and repoint 3 at most, per write left out. */
    uint64_t expect = 0;
    for (uint32_t c = 5; c < 30; c++) {
        expect += (uint64_t)(c - 4) * (4 + 2 + 3);
    }
    assert_int_equal(left_out, expect);
    for (uint32_t c = 1; c < 30; c++) {
        uint32_t want = c < 4 ? c : 4;
        assert_int_equal(count_media_at(s, count, MEDIA_FLIP, c), want);
        assert_int_equal(count_media_at(s, count, MEDIA_LOST, c), want);
        assert_int_equal(count_media_at(s, count, MEDIA_UNREADABLE, c), want);
        assert_int_equal(count_media_at(s, count, MEDIA_MISDIRECT, c), c >= 2 ? want : 0);
        assert_true(count_media_at(s, count, MEDIA_FORGE, c) <= 2u * want);
        assert_true(count_media_at(s, count, MEDIA_FORGE, c) >= want);
    }
    assert_int_equal(count_media_at(s, count, MEDIA_FLIP, 30), 30);     /* The end: all. */
    free(s);
    oplog_deinit(&ops);
}

/* The ids of an enumeration, in order, space-separated, into out. */
static void
ids_of(const struct oplog *ops, const struct fault_plan *p, char *out, size_t size)
{
    struct crash_state *s;
    size_t count, used = 0;
    assert_int_equal(fault_plan_enumerate(ops, MODEL_HOSTILE, p, &s, &count), 0);
    out[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        assert_true(used + CRASH_ID_MAX + 1 < size);
        crash_id_format(&s[i], out + used, CRASH_ID_MAX);
        used += strlen(out + used);
        out[used++] = ' ';
        out[used] = '\0';
    }
    free(s);
}

/* The same seed draws the same states; another draws others. */
static void
media_cuts_determinism(void **state)
{
    (void)state;
    static uint8_t leaf[4096], data[4096], log[4096];
    static char a[1 << 18], b[1 << 18];
    forge_blocks(leaf, data, log);
    struct step steps[20];
    for (uint32_t i = 0; i < 20; i++) {
        steps[i] = (struct step){ 'w', 1 + i % 12, i % 3 ? leaf : data };
    }
    struct oplog ops;
    log_make(&ops, steps, 20);
    struct fault_plan p;
    char err[256];
    assert_int_equal(fault_plan_parse("prefix,flip:3,lost,misdirect,unreadable,forge:2,repoint",
            &p, err, sizeof(err)), 0);
    p.samples = 3;
    p.seed = 21;
    ids_of(&ops, &p, a, sizeof(a));
    ids_of(&ops, &p, b, sizeof(b));
    assert_string_equal(a, b);
    p.seed = 22;
    ids_of(&ops, &p, b, sizeof(b));
    assert_string_not_equal(a, b);
    oplog_deinit(&ops);
}

/* flip:N: N bits per state, the first drawn from the seed, the others from
 * the id, so the id alone names them all. */
static void
flip_n(void **state)
{
    (void)state;
    struct fault_plan p;
    char err[256], buf[64];
    assert_int_equal(fault_plan_parse("flip:4", &p, err, sizeof(err)), 0);
    assert_int_equal(p.flip_n, 4);
    fault_plan_format(&p, buf, sizeof(buf));
    assert_string_equal(buf, "flip:4");
    assert_int_equal(fault_plan_parse("flip:1,pass", &p, err, sizeof(err)), 0);
    fault_plan_format(&p, buf, sizeof(buf));
    assert_string_equal(buf, "pass,flip");
    assert_int_equal(fault_plan_parse("flip:65", &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "flip or flip:N with N 1..64"));
    assert_int_equal(fault_plan_parse("pass,flip:4", &p, err, sizeof(err)), 0);
    uint32_t n = sizeof(log_steps) / sizeof(log_steps[0]);
    struct oplog log;
    log_make(&log, log_steps, n);
    struct crash_state *s;
    size_t count, flips = 0;
    assert_int_equal(fault_plan_enumerate(&log, MODEL_HOSTILE, &p, &s, &count), 0);
    for (size_t i = 0; i < count; i++) {
        if (s[i].media != MEDIA_FLIP) {
            continue;
        }
        flips++;
        assert_int_equal(s[i].flip_count, 4);
        char id[CRASH_ID_MAX];
        crash_id_format(&s[i], id, sizeof(id));
        assert_non_null(strstr(id, "x4"));
        id_same(&s[i]);
        uint32_t bits[FLIP_BITS_MAX], again[FLIP_BITS_MAX];
        assert_int_equal(crash_flip_bits(&s[i], 4096, bits), 4);
        assert_int_equal(bits[0], s[i].flip_bit);
        for (uint32_t j = 0; j < 4; j++) {
            assert_true(bits[j] < 4096u * 8u);
            for (uint32_t k = 0; k < j; k++) {
                assert_true(bits[k] != bits[j]);
            }
        }
        struct crash_state parsed;
        assert_int_equal(crash_id_parse(id, &parsed), 0);
        crash_flip_bits(&parsed, 4096, again);
        assert_memory_equal(bits, again, 4 * sizeof(uint32_t));
    }
    assert_int_equal(flips, 4 + 3);     /* Four writes at the end, three live at cut 4. */
    free(s);
    struct crash_state one;
    assert_int_equal(crash_id_parse("w9-flip3b77", &one), 0);
    assert_int_equal(one.flip_count, 1);
    uint32_t bit[FLIP_BITS_MAX];
    assert_int_equal(crash_flip_bits(&one, 4096, bit), 1);
    assert_int_equal(bit[0], 77);
    assert_int_equal(crash_id_parse("w9-flip3b77x64", &one), 0);
    assert_int_equal(crash_flip_bits(&one, 512, bit), 64);     /* Distinct in a small block. */
    for (uint32_t j = 0; j < 64; j++) {
        for (uint32_t k = 0; k < j; k++) {
            assert_true(bit[k] != bit[j]);
        }
    }
    oplog_deinit(&log);
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
        cmocka_unit_test(media_cuts),
        cmocka_unit_test(media_cuts_sampled),
        cmocka_unit_test(media_cuts_determinism),
        cmocka_unit_test(flip_n),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
