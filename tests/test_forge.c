/*
 * tests/test_forge.c: forged blocks (faultinject/forge.h) and their
 * resealing (faultinject/damage.h) in crash views (sim/check/crash.c).
 *
 * What it proves:
 *   - forge_pick draws bits only inside the fields of a metadata block (a
 *     superblock, arena header, log block, leaf, pivot), differently for
 *     different seeds, and none for a data block;
 *   - forge_seal makes a forged superblock and log block carry their own
 *     hashes again, where an unsealed one is refused;
 *   - in a crash view of a recorded workload, every forged and every
 *     repointed state reseals up
 *     to the superblocks: no metadata block of the image still holds the old
 *     hash of a block the forge changed, and each changed block but the
 *     struck one holds the new hash of another;
 *   - the checker never finds a violation in those states (the file system
 *     refuses or takes each forged field, and never crashes on one), and
 *     both refusals and acceptances occur.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../faultinject/forge.h"
#include "../fs/format.h"
#include "../sim/check/checker.h"
#include "../sim/record/runner.h"
#include "../traces/trace.h"
#include "util.h"

#define BS 4096u

static const char workload[] =
    "mkdir /d\n"
    "create /d/a\n"
    "write /d/a 0 9000 seed=1\n"
    "sync\n"
    "snap label main s1\n"
    "create /d/b\n"
    "write /d/b 4096 5000 seed=2\n"
    "mv /d/a /d/c\n"
    "sync\n";

/* The image of a formatted and used file system in memory. */
static void
image(struct bdev *dev)
{
    util_mem_open(dev, BS, 256);
    struct fs *fs = util_format_mount(dev, 1);
    assert_int_equal(fs_mkdir(fs, "/d"), 0);
    assert_int_equal(fs_create(fs, "/d/a"), 0);
    uint8_t buf[3000];
    util_fill_random(buf, sizeof(buf), 5);
    assert_int_equal(fs_write(fs, "/d/a", 0, buf, sizeof(buf)), 0);
    util_unmount(fs);
}

static const uint8_t *
block_of(const struct bdev *dev, uint64_t b, uint8_t *buf)
{
    assert_int_equal(dev->read(dev, b, buf), 0);
    return buf;
}

/* Each seed's bit lies in a field the type has: checked by the field ranges. */
static void
picks_lie_in_fields(void **state)
{
    (void)state;
    struct bdev dev;
    image(&dev);
    uint8_t buf[BS];
    uint32_t seen_types = 0;
    for (uint64_t b = 0; b < dev.block_count; b++) {
        block_of(&dev, b, buf);
        uint16_t t = fmt_get16(buf);
        if (!forge_is_meta(buf, BS)) {
            assert_int_equal(forge_pick(buf, BS, 1), FORGE_NONE);
            continue;
        }
        uint32_t distinct = 0, first = FORGE_NONE;
        for (uint64_t seed = 0; seed < 64; seed++) {
            uint32_t bit = forge_pick(buf, BS, seed);
            assert_int_not_equal(bit, FORGE_NONE);
            assert_true(bit / 8 < BS);
            uint32_t byte = bit / 8;
            if (t == FMT_TYPE_SUPER) {
                uint32_t n = fmt_get32(buf + 16);
                assert_true((byte >= 8 && byte < 32) || (byte >= 40 && byte < 112)
                        || (byte >= 112 && byte < 112 + 16 * n && (byte - 112) % 16 < 8));
                seen_types |= 1;
            } else if (t == FMT_TYPE_ARENA) {
                assert_true((byte >= 2 && byte < 10) || (byte >= 18 && byte < 34));
                seen_types |= 2;
            } else if (t == FMT_TYPE_LOG) {
                uint32_t logsz = fmt_get16(buf + 2);
                assert_true((byte >= 2 && byte < 4) || (byte >= 12 && byte < 20)
                        || (byte >= 28 && byte < 36)
                        || (byte >= FMT_LOG_HEADER_SIZE && byte < FMT_LOG_HEADER_SIZE + logsz));
                seen_types |= 4;
            } else if (t == FMT_TYPE_LEAF || t == FMT_TYPE_PIVOT) {
                assert_true(byte >= 2);
                seen_types |= 8;
            }
            distinct += first != bit;
            first = first == FORGE_NONE ? bit : first;
        }
        assert_true(distinct > 1);          /* Seeds choose among the fields. */
    }
    assert_int_equal(seen_types, 15);
    uint8_t zero[BS] = { 0 };
    assert_int_equal(forge_pick(zero, BS, 3), FORGE_NONE);      /* Type 0: data. */
    bdev_mem_close(&dev);
}

static void
seal_superblock_and_log(void **state)
{
    (void)state;
    struct bdev dev;
    image(&dev);
    uint8_t buf[BS];
    struct fmt_super sb;
    block_of(&dev, 0, buf);
    assert_null(fmt_super_unpack(buf, BS, dev.block_count, &sb));
    uint64_t qid = fmt_get64(buf + 80);
    fmt_put64(buf + 80, qid + 1);                               /* nextqid */
    assert_non_null(fmt_super_unpack(buf, BS, dev.block_count, &sb));
    forge_seal(buf, BS);
    assert_null(fmt_super_unpack(buf, BS, dev.block_count, &sb));
    assert_true(sb.nextqid == qid + 1);

    bool found = false;
    for (uint64_t b = 0; b < dev.block_count && !found; b++) {
        block_of(&dev, b, buf);
        if (fmt_get16(buf) != FMT_TYPE_LOG || fmt_get16(buf + 2) < 8) {
            continue;
        }
        found = true;
        buf[FMT_LOG_HEADER_SIZE] ^= 0x40;
        uint32_t logsz = fmt_get16(buf + 2);
        assert_true(fmt_get64(buf + 4) != fmt_hash(buf + FMT_LOG_HEADER_SIZE, logsz));
        forge_seal(buf, BS);
        assert_true(fmt_get64(buf + 4) == fmt_hash(buf + FMT_LOG_HEADER_SIZE, logsz));
    }
    assert_true(found);
    bdev_mem_close(&dev);
}

static bool
holds(const uint8_t *b, uint64_t hash)
{
    uint8_t f[8];
    fmt_put64(f, hash);
    for (uint32_t i = 0; i + 8 <= BS; i++) {
        if (memcmp(b + i, f, 8) == 0) {
            return true;
        }
    }
    return false;
}

static void
views_reseal_and_checker_holds(void **state)
{
    (void)state;
    struct trace t;
    char err[512];
    assert_int_equal(trace_parse_text("forge", workload, &t, err, sizeof(err)), 0);
    struct record_config rc = { .block_size = BS, .device_size = 1u << 20 };
    struct recording *rec = calloc(1, sizeof(*rec));
    assert_non_null(rec);
    assert_int_equal(record_workload(&rc, &t, rec, err, sizeof(err)), 0);
    assert_string_equal(rec->violation, "");

    struct fault_plan p;
    assert_int_equal(fault_plan_parse("forge:24,repoint:16", &p, err, sizeof(err)), 0);
    struct crash_state *s;
    size_t count;
    assert_int_equal(fault_plan_enumerate(&rec->dev.disk.log, MODEL_ORDERED, &p, &s, &count), 0);
    assert_true(count > 50);

    struct checker ck;
    assert_int_equal(checker_init(&ck, rec), 0);
    uint32_t by_outcome[OUTCOME_COUNT] = { 0 };
    uint32_t resealed = 0, repointed = 0, cycles = 0;
    uint8_t *orig = malloc(BS), *now = malloc(BS);
    assert_non_null(orig);
    assert_non_null(now);
    for (size_t i = 0; i < count; i++) {
        if (s[i].media != MEDIA_FORGE && s[i].media != MEDIA_REPOINT) {
            continue;
        }
        repointed += s[i].media == MEDIA_REPOINT;
        assert_int_equal(crash_view_set(&ck.view, &s[i]), 0);
        struct crash_view *v = &ck.view;
        /* A pointer aimed at its own ancestor makes a cycle of hashes no
         * sealing can satisfy: resealing stops at its bound. Forged bits
         * always seal. */
        assert_true(!v->damage.partial || s[i].media == MEDIA_REPOINT);
        assert_true(v->damage.count >= 1);
        resealed += v->damage.count > 1;
        cycles += v->damage.partial;
        for (uint32_t k = 0; k < v->damage.count && !v->damage.partial; k++) {
            uint64_t b = v->damage.block[k];
            uint32_t op = v->map[b];
            const uint8_t *o = op != OPLOG_NONE ? oplog_op_bytes(&rec->dev.disk.log, op)
                : oplog_disk_base_block(&rec->dev.disk, b);
            memcpy(orig, o, BS);
            uint64_t old = fmt_hash(orig, BS);
            for (uint64_t m = 0; m < v->bdev.block_count; m++) {
                assert_int_equal(v->bdev.read(&v->bdev, m, now), 0);
                if (forge_is_meta(now, BS) && holds(now, old)) {
                    fail_msg("%zu: block %llu still names the old bytes of block %llu", i,
                            (unsigned long long)m, (unsigned long long)b);
                }
            }
            if (k > 0) {                    /* A holder: it names another changed block. */
                const uint8_t *fb = v->damage.bytes[k];
                bool names = false;
                for (uint32_t j = 0; j < v->damage.count && !names; j++) {
                    names = j != k && holds(fb, fmt_hash(v->damage.bytes[j], BS));
                }
                assert_true(names);
            }
        }
        struct state_result r;
        assert_int_equal(checker_check(&ck, &s[i], &r), 0);
        if (outcome_is_violation((enum outcome)r.outcome)) {
            char id[CRASH_ID_MAX];
            crash_id_format(&s[i], id, sizeof(id));
            fail_msg("%s: %s: %s", id, outcome_name((enum outcome)r.outcome), r.reason);
        }
        by_outcome[r.outcome]++;
    }
    assert_true(resealed > 0);              /* Forged blocks named by others were resealed. */
    assert_true(repointed > cycles);
    assert_true(by_outcome[OUTCOME_DETECTED] > 0);
    assert_true(by_outcome[OUTCOME_OK] + by_outcome[OUTCOME_OK_LEAK] + by_outcome[OUTCOME_ACCEPTED]
            > 0);
    free(orig);
    free(now);
    checker_deinit(&ck);
    free(s);
    recording_free(rec);
    free(rec);
    trace_free(&t);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(picks_lie_in_fields),
        cmocka_unit_test(seal_superblock_and_log),
        cmocka_unit_test(views_reseal_and_checker_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
