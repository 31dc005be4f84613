/*
 * tests/test_wlog.c: write-log files (traces/wlog.h, traces/WLOG.md).
 *
 * What it proves:
 *   - a recorded workload (record_workload on a trace parsed here, hardened so
 *     the log has flushes, and faithful) exported in either format and
 *     imported again is the same log: the same oplog_hash and, op by op,
 *     the same kind, block, content, type, flush epoch, qgen, sync pass,
 *     activity, mark and chain to the previous write, the same base image,
 *     final image and content pool; writing the import again gives the same
 *     bytes (the native encoding is canonical, and dm-log-writes -> native
 *     equals the direct native export);
 *   - the dm-log-writes file has the byte layout of Linux's format: the
 *     log_write_super fields at their offsets in sector 0, each
 *     log_write_entry in its own 512-byte sector with a mark's name after it
 *     and the rest zero, data in the sectors after the entry, walked here by
 *     an independent reader that follows xfstests' replay-log;
 *   - a dm-log-writes log as the kernel writes it for a foreign file system
 *     (partial-block writes, flush, FUA, discard, user marks, the teardown
 *     mark) imports with the documented conversions;
 *   - malformed files — truncated, wrong magic or version, a bad checksum,
 *     absurd counts, fields that disagree with the log, random bytes, and
 *     thousands of seeded mutations of both formats, also with the native
 *     checksum recomputed so the deeper checks run — are refused with a
 *     reason and never crash (run under SAN=1 as well);
 *   - input_wlog derives sync points from the log itself: S_0 and the
 *     end match the oracle's digests, every cut of a clean log checks ok,
 *     and lost writes under a volatile cache are still caught.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#include "../sim/campaign/inputs.h"
#include "../sim/check/checker.h"
#include "../traces/prng.h"
#include "../traces/wlog.h"

#ifndef FUZZ_ROUNDS
#define FUZZ_ROUNDS 3000u           /* Mutations per run; -DFUZZ_ROUNDS=N for a longer hunt. */
#endif

static const char workload[] =
    "mkdir /a\n"
    "create /a/f\n"
    "write /a/f 0 40000 seed=1\n"
    "create /b\n"
    "write /b 100 5000 seed=2\n"
    "sync\n"
    "write /a/f 8000 20000 seed=3\n"
    "mv /b /c\n"
    "sync\n"
    "snap label main s1\n"
    "rm /c\n"
    "truncate /a/f 10000\n"
    "sync\n";

/* Recorded once for the whole file. */
static struct recording rec_hardened;   /* 4 KiB blocks, 1 MiB, flushes between passes. */
static struct recording rec_faithful;   /* The same without flushes. */

static int
record(struct recording *rec, bool hardened)
{
    struct trace t;
    char err[256];
    struct record_config cfg = { 4 * KIB, 1 * MIB, 0, hardened };
    if (trace_parse_text("wlog.trace", workload, &t, err, sizeof(err)) != 0
            || record_workload(&cfg, &t, rec, err, sizeof(err)) != 0) {
        util_note("recording failed: %s", err);
        return -1;
    }
    trace_free(&t);
    return rec->violation[0] == '\0' ? 0 : -1;
}

static int
setup(void **state)
{
    (void)state;
    return record(&rec_hardened, true) != 0 || record(&rec_faithful, false) != 0 ? -1 : 0;
}

static int
teardown(void **state)
{
    (void)state;
    recording_free(&rec_hardened);
    recording_free(&rec_faithful);
    return 0;
}

/* ---- Helpers. ---- */

static uint64_t
rng_next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void
ops_expect_equal(const struct oplog *a, const struct oplog *b)
{
    for (uint32_t i = 0; i < a->count; i++) {
        const struct oplog_op *x = &a->ops[i], *y = &b->ops[i];
        if (memcmp(x, y, sizeof(*x)) != 0) {
            util_note("op %u differs: kind %u/%u block %llu/%llu pass %u/%u qgen %llu/%llu", i,
                    x->kind, y->kind, (unsigned long long)x->block, (unsigned long long)y->block,
                    x->pass, y->pass, (unsigned long long)x->qgen, (unsigned long long)y->qgen);
        }
        CHECK_EQ(x->kind, y->kind);
        CHECK_EQ(x->block, y->block);
        CHECK_EQ(x->content, y->content);
        CHECK_EQ(x->type, y->type);
        CHECK_EQ(x->epoch, y->epoch);
        CHECK_EQ(x->qgen, y->qgen);
        CHECK_EQ(x->pass, y->pass);
        CHECK_EQ(x->activity, y->activity);
        CHECK_EQ(x->mark, y->mark);
        CHECK_EQ(x->prev, y->prev);
    }
}

/* Every field of two logs, their base and final images and contents. */
static void
disk_expect_equal(const struct oplog_disk *a, const struct oplog_disk *b)
{
    const struct oplog *x = &a->log, *y = &b->log;
    CHECK_EQ(x->block_size, y->block_size);
    CHECK_EQ(x->block_count, y->block_count);
    CHECK_EQ(x->count, y->count);
    CHECK_EQ(x->write_count, y->write_count);
    CHECK_EQ(x->flush_count, y->flush_count);
    CHECK_EQ(x->pool.count, y->pool.count);
    CHECK_EQ(x->epoch, y->epoch);
    CHECK_EQ(x->qgen, y->qgen);
    CHECK_EQ(a->base_count, b->base_count);
    for (uint64_t blk = 0; blk < x->block_count; blk++) {
        CHECK_EQ(memcmp(oplog_disk_base_block(a, blk), oplog_disk_base_block(b, blk),
                x->block_size), 0);
        CHECK_EQ(memcmp(oplog_disk_block(a, blk), oplog_disk_block(b, blk), x->block_size), 0);
    }
    ops_expect_equal(x, y);
    for (uint32_t i = 0; i < x->pool.count; i++) {
        CHECK_EQ(memcmp(oplog_pool_get(&x->pool, i), oplog_pool_get(&y->pool, i), x->block_size),
                0);
    }
    CHECK_EQ(oplog_hash(x), oplog_hash(y));
}

/* The recording disk reads its log's end: what a decoded log's blocks are
 * compared against stands for the device. */
static void
image_is_log_end(const struct sim_dev *dev)
{
    const struct oplog *log = &dev->disk.log;
    uint8_t *buf = malloc(log->block_size);
    assert_non_null(buf);
    for (uint64_t b = 0; b < log->block_count; b++) {
        CHECK_ERR(dev->bdev.read(&dev->bdev, b, buf), 0);
        CHECK_EQ(memcmp(buf, oplog_disk_block(&dev->disk, b), log->block_size), 0);
    }
    free(buf);
}

static void
encode(const struct oplog_disk *disk, enum wlog_format f, uint8_t **buf, size_t *size)
{
    CHECK_ERR(wlog_encode(disk, f, buf, size), 0);
    CHECK_TRUE(*size > 0);
}

/* Decodes buf; the call must succeed. */
static void
decode_ok(const uint8_t *buf, size_t size, struct oplog_disk *disk, enum wlog_format want)
{
    char err[256] = "";
    enum wlog_format f;
    int rc = wlog_decode(buf, size, NULL, disk, &f, err, sizeof(err));
    if (rc != 0) {
        util_note("decode: %s", err);
    }
    CHECK_ERR(rc, 0);
    CHECK_EQ(f, want);
}

/* Decodes buf; the call must fail with code and a reason. */
static void
decode_bad(const uint8_t *buf, size_t size, int code, const char *reason_part)
{
    char err[256] = "";
    struct oplog_disk disk;
    int rc = wlog_decode(buf, size, NULL, &disk, NULL, err, sizeof(err));
    CHECK_ERR(rc, code);
    CHECK_TRUE(err[0] != '\0');
    if (reason_part != NULL && strstr(err, reason_part) == NULL) {
        util_note("reason '%s' does not mention '%s'", err, reason_part);
        CHECK_TRUE(false);
    }
    CHECK_EQ(disk.log.ops, NULL);               /* A failed decode leaves nothing behind. */
    CHECK_EQ(disk.base_index, NULL);
}

/* ---- Round trips. ---- */

static void
roundtrip(const struct sim_dev *dev, enum wlog_format f)
{
    uint8_t *buf, *again;
    size_t size, again_size;
    struct oplog_disk got;
    image_is_log_end(dev);
    encode(&dev->disk, f, &buf, &size);
    decode_ok(buf, size, &got, f);
    disk_expect_equal(&dev->disk, &got);
    encode(&got, f, &again, &again_size);
    CHECK_EQ(again_size, size);
    CHECK_EQ(memcmp(again, buf, size), 0);
    oplog_disk_deinit(&got);
    free(buf);
    free(again);
}

static void
wlog_roundtrip_native(void **state)
{
    (void)state;
    CHECK_TRUE(rec_hardened.dev.disk.log.flush_count > 0);
    CHECK_TRUE(rec_faithful.dev.disk.log.flush_count == 0);
    roundtrip(&rec_hardened.dev, WLOG_FORMAT_CRASHSIM);
    roundtrip(&rec_faithful.dev, WLOG_FORMAT_CRASHSIM);
}

static void
wlog_roundtrip_dm(void **state)
{
    (void)state;
    roundtrip(&rec_hardened.dev, WLOG_FORMAT_DM_LOG_WRITES);
    roundtrip(&rec_faithful.dev, WLOG_FORMAT_DM_LOG_WRITES);
}

/* dm-log-writes -> native gives the bytes of the direct native export. */
static void
wlog_cross_format(void **state)
{
    (void)state;
    uint8_t *dm, *native, *converted;
    size_t dm_size, native_size, converted_size;
    struct oplog_disk got;
    encode(&rec_hardened.dev.disk, WLOG_FORMAT_DM_LOG_WRITES, &dm, &dm_size);
    encode(&rec_hardened.dev.disk, WLOG_FORMAT_CRASHSIM, &native, &native_size);
    decode_ok(dm, dm_size, &got, WLOG_FORMAT_DM_LOG_WRITES);
    encode(&got, WLOG_FORMAT_CRASHSIM, &converted, &converted_size);
    CHECK_EQ(converted_size, native_size);
    CHECK_EQ(memcmp(converted, native, native_size), 0);
    CHECK_EQ(oplog_hash(&got.log), rec_hardened.wlog_hash);
    oplog_disk_deinit(&got);
    free(dm);
    free(native);
    free(converted);
}

static void
wlog_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_wlog.XXXXXX", path[64], err[256];
    CHECK_TRUE(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/x.log", dir);
    for (uint32_t f = 0; f < WLOG_FORMAT_COUNT; f++) {
        struct oplog_disk got;
        enum wlog_format found;
        CHECK_ERR(wlog_write_file(path, &rec_hardened.dev.disk, (enum wlog_format)f, err,
                sizeof(err)), 0);
        CHECK_ERR(wlog_read_file(path, NULL, &got, &found, err, sizeof(err)), 0);
        CHECK_EQ(found, f);
        disk_expect_equal(&rec_hardened.dev.disk, &got);
        oplog_disk_deinit(&got);
    }
    struct oplog_disk none;
    CHECK_ERR(wlog_read_file(dir, NULL, &none, NULL, err, sizeof(err)), FS_EIO);
    CHECK_ERR(wlog_read_file("/nonexistent/x", NULL, &none, NULL, err, sizeof(err)), FS_EIO);
    CHECK_TRUE(strstr(err, "/nonexistent/x") != NULL);
    CHECK_ERR(wlog_write_file("/nonexistent/x", &rec_hardened.dev.disk, WLOG_FORMAT_CRASHSIM, err,
            sizeof(err)), FS_EIO);
    unlink(path);
    rmdir(dir);
}

/* ---- The Linux layout, read as replay-log reads it. ---- */

static uint64_t
get_le(const uint8_t *p, uint32_t bytes)
{
    uint64_t v = 0;
    for (uint32_t i = bytes; i-- > 0;) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Checks the entry at *pos: its header fields, a mark's name, zero padding;
 * moves past it and its data, which must equal data (if not NULL). */
static void
dm_expect_entry(const uint8_t *buf, size_t size, size_t *pos, uint64_t sector,
        uint64_t nr_sectors, uint64_t flags, const char *name, const uint8_t *data)
{
    size_t len = name != NULL ? strlen(name) : 0;
    CHECK_TRUE(*pos + 512 <= size);
    const uint8_t *e = buf + *pos;
    CHECK_EQ(get_le(e, 8), sector);             /* log_write_entry.sector */
    CHECK_EQ(get_le(e + 8, 8), nr_sectors);     /* .nr_sectors */
    CHECK_EQ(get_le(e + 16, 8), flags);         /* .flags */
    CHECK_EQ(get_le(e + 24, 8), len);           /* .data_len */
    CHECK_EQ(memcmp(e + 32, name != NULL ? name : "", len), 0);
    for (size_t i = 32 + len; i < 512; i++) {
        CHECK_EQ(e[i], 0);
    }
    *pos += 512;
    if (nr_sectors > 0) {
        CHECK_TRUE(*pos + nr_sectors * 512 <= size);
        CHECK_TRUE(data != NULL);
        CHECK_EQ(memcmp(buf + *pos, data, nr_sectors * 512), 0);
        *pos += nr_sectors * 512;
    }
}

static uint64_t
dm_prologue(const struct oplog_disk *disk, const uint8_t *buf, size_t size, size_t *pos)
{
    const struct oplog *log = &disk->log;
    char text[200];
    uint32_t per = log->block_size / 512;
    snprintf(text, sizeof(text), "crashsim.device block_size=%u block_count=%llu epoch=%u "
            "qgen=%llu", log->block_size, (unsigned long long)log->block_count, log->ops[0].epoch,
            (unsigned long long)log->ops[0].qgen);
    dm_expect_entry(buf, size, pos, 0, 0, 8, text, NULL);
    uint64_t entries = 1;
    for (uint64_t b = 0; b < log->block_count; b++) {
        const uint8_t *bytes = oplog_disk_base_block(disk, b);
        bool zero = true;
        for (uint32_t i = 0; i < log->block_size && zero; i++) {
            zero = bytes[i] == 0;
        }
        if (!zero) {
            dm_expect_entry(buf, size, pos, b * per, per, 0, NULL, bytes);
            entries++;
        }
    }
    dm_expect_entry(buf, size, pos, 0, 0, 8, "crashsim.base", NULL);
    return entries + 1;
}

static void
wlog_dm_layout(void **state)
{
    (void)state;
    const struct oplog_disk *disk = &rec_hardened.dev.disk;
    const struct oplog *log = &disk->log;
    uint8_t *buf;
    size_t size, pos = 512;
    encode(disk, WLOG_FORMAT_DM_LOG_WRITES, &buf, &size);
    /* struct log_write_super in sector 0, the rest of the sector zero. */
    CHECK_EQ(get_le(buf, 8), 0x6a736677736872ull);     /* magic */
    CHECK_EQ(get_le(buf + 8, 8), 1);                    /* version */
    CHECK_EQ(get_le(buf + 24, 4), 512);                 /* sectorsize */
    for (size_t i = 28; i < 512; i++) {
        CHECK_EQ(buf[i], 0);
    }
    uint64_t entries = dm_prologue(disk, buf, size, &pos);
    uint32_t per = log->block_size / 512;
    uint64_t qgen = log->ops[0].qgen;
    for (uint32_t i = 0; i < log->count; i++) {
        const struct oplog_op *op = &log->ops[i];
        if (op->kind == OPLOG_OP_MARK && op->qgen != qgen) {
            char text[64];
            snprintf(text, sizeof(text), "crashsim.qgen %llu", (unsigned long long)op->qgen);
            dm_expect_entry(buf, size, &pos, 0, 0, 8, text, NULL);
            qgen = op->qgen;
            entries++;
        }
        if (op->kind == OPLOG_OP_WRITE) {
            dm_expect_entry(buf, size, &pos, op->block * per, per, 0, NULL,
                    oplog_op_bytes(log, i));
        } else if (op->kind == OPLOG_OP_FLUSH) {
            dm_expect_entry(buf, size, &pos, 0, 0, 1, NULL, NULL);
        } else {
            dm_expect_entry(buf, size, &pos, 0, 0, 8, oplog_mark_name(op->mark), NULL);
        }
        entries++;
    }
    CHECK_EQ(pos, size);                                /* Nothing after the last entry. */
    CHECK_EQ(get_le(buf + 16, 8), entries);             /* nr_entries */
    free(buf);
}

static void
wlog_native_layout(void **state)
{
    (void)state;
    const struct oplog *log = &rec_hardened.dev.disk.log;
    uint8_t *buf;
    size_t size;
    encode(&rec_hardened.dev.disk, WLOG_FORMAT_CRASHSIM, &buf, &size);
    CHECK_EQ(memcmp(buf, "CRSHWLOG", 8), 0);
    CHECK_EQ(get_le(buf + 8, 4), 1);
    CHECK_EQ(get_le(buf + 12, 4), 72);
    CHECK_EQ(get_le(buf + 16, 4), log->block_size);
    CHECK_EQ(get_le(buf + 20, 4), OPLOG_MARK_COUNT);
    CHECK_EQ(get_le(buf + 24, 8), log->block_count);
    CHECK_EQ(get_le(buf + 40, 4), log->pool.count);
    CHECK_EQ(get_le(buf + 44, 4), log->count);
    CHECK_EQ(get_le(buf + 64, 8), oplog_hash(log));
    CHECK_EQ(get_le(buf + size - 8, 8), fmt_hash(buf, size - 8));
    /* The last op record: a mark (sync.end), mark index, qgen. */
    const uint8_t *op = buf + size - 8 - 32;
    const struct oplog_op *last = &log->ops[log->count - 1];
    CHECK_EQ(op[0], last->kind);
    CHECK_EQ(op[3], last->mark);
    CHECK_EQ(get_le(op + 8, 4), last->epoch);
    CHECK_EQ(get_le(op + 24, 8), last->qgen);
    free(buf);
}

/* ---- Malformed native files. ---- */

static void
put_le(uint8_t *p, uint64_t v, uint32_t bytes)
{
    for (uint32_t i = 0; i < bytes; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void
reseal(uint8_t *buf, size_t size)
{
    put_le(buf + size - 8, fmt_hash(buf, size - 8), 8);
}

/* Offsets of a native file's sections. */
struct native_layout {
    size_t base_pos;            /* First base record. */
    size_t contents_pos;        /* First content. */
    size_t ops_pos;             /* First op record. */
};

static struct native_layout
native_layout(const struct oplog *log, size_t size)
{
    struct native_layout l;
    l.ops_pos = size - 8 - (size_t)log->count * 32;
    l.contents_pos = l.ops_pos - (size_t)log->pool.count * log->block_size;
    l.base_pos = 72;
    for (uint32_t i = 0; i < OPLOG_MARK_COUNT; i++) {
        l.base_pos += 1 + strlen(oplog_mark_name(i));
    }
    return l;
}

/* Applies one change to a copy (offset, value, bytes; resealed or not) and
 * expects the reason. */
static void
native_expect(const uint8_t *orig, size_t size, size_t off, uint64_t value, uint32_t bytes,
        bool sealed, const char *reason)
{
    uint8_t *buf = malloc(size);
    CHECK_TRUE(buf != NULL);
    memcpy(buf, orig, size);
    put_le(buf + off, value, bytes);
    if (sealed) {
        reseal(buf, size);
    }
    decode_bad(buf, size, FS_ECORRUPT, reason);
    free(buf);
}

/* The first op of kind (and, for writes, not the first write). */
static uint32_t
op_find(const struct oplog *log, uint8_t kind, uint32_t skip)
{
    for (uint32_t i = 0; i < log->count; i++) {
        if (log->ops[i].kind == kind && skip-- == 0) {
            return i;
        }
    }
    CHECK_TRUE(false);
    return 0;
}

static void
wlog_native_malformed(void **state)
{
    (void)state;
    const struct oplog *log = &rec_hardened.dev.disk.log;
    uint8_t *buf;
    size_t size;
    encode(&rec_hardened.dev.disk, WLOG_FORMAT_CRASHSIM, &buf, &size);
    decode_bad(buf, 0, FS_ECORRUPT, "not a write log");
    decode_bad(buf, 8, FS_ECORRUPT, "too short");
    size_t cuts[] = { 40, 72, 80, size / 2, size - 9, size - 1 };
    for (uint32_t i = 0; i < FS_ARRAY_COUNT(cuts); i++) {
        decode_bad(buf, cuts[i], FS_ECORRUPT, NULL);
    }
    native_expect(buf, size, 0, 0x41, 1, false, "not a write log");
    native_expect(buf, size, 8, 2, 4, false, "version");
    native_expect(buf, size, 16, 1000, 4, false, "block size");
    native_expect(buf, size, 24, 1ull << 40, 8, false, "block count");
    native_expect(buf, size, 44, 0xffffffffu, 4, false, "absurd counts");
    native_expect(buf, size, 40, log->count + 1, 4, false, "absurd counts");
    native_expect(buf, size, 32, get_le(buf + 32, 8) + 1, 8, false, "truncated or extended");
    native_expect(buf, size, 52, 1, 4, false, "flags");
    native_expect(buf, size, 72 + 1, 'X', 1, true, "not a mark");
    native_expect(buf, size, size / 2, buf[size / 2] ^ 0x10u, 1, false, "checksum");
    native_expect(buf, size, 64, 12345, 8, true, "log hash");

    struct native_layout l = native_layout(log, size);
    uint32_t w = op_find(log, OPLOG_OP_WRITE, 1), f = op_find(log, OPLOG_OP_FLUSH, 0);
    uint32_t m = op_find(log, OPLOG_OP_MARK, 0);
    size_t wo = l.ops_pos + (size_t)w * 32, fo = l.ops_pos + (size_t)f * 32;
    native_expect(buf, size, wo, 7, 1, true, "unknown kind");
    native_expect(buf, size, wo + 1, (log->ops[w].pass + 1u) & 0xffu, 1, true, "sync pass");
    native_expect(buf, size, wo + 2, log->ops[w].activity + 1u, 1, true, "activity");
    native_expect(buf, size, wo + 4, log->ops[w].type ^ 1u, 2, true, "block type");
    native_expect(buf, size, wo + 6, 1, 2, true, "reserved");
    native_expect(buf, size, wo + 8, log->ops[w].epoch + 1, 4, true, "flush epoch");
    native_expect(buf, size, wo + 24, log->ops[w].qgen + 1, 8, true, "qgen");
    native_expect(buf, size, wo + 16, log->block_count, 8, true, "off the device");
    native_expect(buf, size, wo + 12, log->pool.count, 4, true, "content index");
    native_expect(buf, size, wo + 3, 0, 1, true, "a write with a mark");
    native_expect(buf, size, fo + 16, 1, 8, true, "on a flush or mark");
    native_expect(buf, size, l.ops_pos + (size_t)m * 32 + 3, 200, 1, true, "name table");
    /* Contents stored twice, or numbered out of order of first write. */
    uint8_t *dup = malloc(size);
    CHECK_TRUE(dup != NULL);
    memcpy(dup, buf, size);
    memcpy(dup + l.contents_pos + log->block_size, dup + l.contents_pos, log->block_size);
    reseal(dup, size);
    decode_bad(dup, size, FS_ECORRUPT, "content index");
    /* A base block of zeros; base blocks out of order. */
    memcpy(dup, buf, size);
    memset(dup + l.base_pos + 8, 0, log->block_size);
    reseal(dup, size);
    decode_bad(dup, size, FS_ECORRUPT, "all zero");
    native_expect(buf, size, l.base_pos + 8 + log->block_size, 0, 8, true, "not after");
    /* One byte more. */
    uint8_t *longer = realloc(dup, size + 1);
    CHECK_TRUE(longer != NULL);
    memcpy(longer, buf, size);
    longer[size] = 0;
    decode_bad(longer, size + 1, FS_ECORRUPT, "truncated or extended");
    free(longer);
    free(buf);
}

/* ---- Malformed dm-log-writes files. ---- */

/* Offset of entry index (walking entries as replay-log does). */
static size_t
dm_entry_at(const uint8_t *buf, uint64_t index)
{
    size_t pos = 512;
    for (uint64_t i = 0; i < index; i++) {
        uint64_t nr = get_le(buf + pos + 8, 8), flags = get_le(buf + pos + 16, 8);
        pos += 512 + ((flags & 4) ? 0 : nr * 512);
    }
    return pos;
}

static void
dm_expect(const uint8_t *orig, size_t size, size_t off, const void *bytes, size_t len,
        int code, const char *reason)
{
    uint8_t *buf = malloc(size);
    CHECK_TRUE(buf != NULL);
    memcpy(buf, orig, size);
    memcpy(buf + off, bytes, len);
    decode_bad(buf, size, code, reason);
    free(buf);
}

static void
dm_expect_u64(const uint8_t *orig, size_t size, size_t off, uint64_t v, const char *reason)
{
    uint8_t le[8];
    put_le(le, v, 8);
    dm_expect(orig, size, off, le, 8, FS_ECORRUPT, reason);
}

static void
wlog_dm_malformed(void **state)
{
    (void)state;
    const struct oplog *log = &rec_hardened.dev.disk.log;
    uint8_t *buf;
    size_t size;
    encode(&rec_hardened.dev.disk, WLOG_FORMAT_DM_LOG_WRITES, &buf, &size);
    decode_bad(buf, 20, FS_ECORRUPT, "too short");
    decode_bad(buf, 600, FS_ECORRUPT, "nr_entries");
    decode_bad(buf, size - 1, FS_ECORRUPT, NULL);
    decode_bad(buf, size - 512 - 100, FS_ECORRUPT, NULL);
    dm_expect_u64(buf, size, 8, 2, "version");
    dm_expect_u64(buf, size, 24, 100, "sectorsize");
    dm_expect_u64(buf, size, 16, 1ull << 40, "nr_entries");
    dm_expect_u64(buf, size, 100, 1, "rest of its sector");
    size_t base = dm_entry_at(buf, 1), op = dm_entry_at(buf, 3);
    dm_expect_u64(buf, size, base + 16, 0x40, "unknown flags");
    dm_expect_u64(buf, size, base + 24, 5, "data_len");
    dm_expect_u64(buf, size, base + 200, 1, "not zero after");
    dm_expect_u64(buf, size, base, log->block_count * log->block_size / 512, "beyond the device");
    dm_expect_u64(buf, size, base + 8, 1ull << 50, "beyond any device");
    uint8_t zero[32] = { 0 };
    dm_expect(buf, size, base, zero, sizeof(zero), FS_ECORRUPT, "all-zero");
    dm_expect_u64(buf, size, 512 + 8, 1, "a mark with");
    dm_expect(buf, size, 512 + 32 + 16, "blok_", 5, FS_ECORRUPT, "malformed mark");
    dm_expect(buf, size, 512 + 32 + 9, "\0", 1, FS_ECORRUPT, "NUL");
    /* A second crashsim.base or an unknown crashsim mark among the ops. */
    size_t bm = dm_entry_at(buf, 2);
    while (get_le(buf + bm + 16, 8) != 8 || memcmp(buf + bm + 32, "crashsim.base", 13) != 0) {
        bm += 512 + get_le(buf + bm + 8, 8) * 512;
    }
    size_t mark = bm + 512;
    while (get_le(buf + mark + 16, 8) != 8) {
        mark += 512 + get_le(buf + mark + 8, 8) * 512;
    }
    uint8_t sector[512] = { 0 };
    put_le(sector + 16, 8, 8);
    put_le(sector + 24, 13, 8);
    memcpy(sector + 32, "crashsim.base", 13);
    dm_expect(buf, size, mark, sector, sizeof(sector), FS_ECORRUPT, "out of place");
    put_le(sector + 24, 15, 8);
    memcpy(sector + 32, "crashsim.qgen x", 15);
    dm_expect(buf, size, mark, sector, sizeof(sector), FS_ECORRUPT, "malformed mark");
    (void)op;
    free(buf);
}

/* ---- A log as the kernel writes it for a foreign file system. ---- */

struct dm_builder {
    uint8_t buf[64 * 512];      /* The log. */
    size_t size;                /* Bytes used. */
    uint64_t entries;           /* Entries added. */
};

static void
dm_add(struct dm_builder *b, uint64_t sector, uint64_t nr, uint64_t flags, const char *name,
        uint8_t fill)
{
    uint8_t *e = b->buf + b->size;
    memset(e, 0, 512);
    put_le(e, sector, 8);
    put_le(e + 8, nr, 8);
    put_le(e + 16, flags, 8);
    put_le(e + 24, name != NULL ? strlen(name) : 0, 8);
    if (name != NULL) {
        memcpy(e + 32, name, strlen(name));
    }
    b->size += 512;
    if (!(flags & 4)) {
        memset(b->buf + b->size, fill, nr * 512);
        b->size += nr * 512;
    }
    b->entries++;
    put_le(b->buf + 16, b->entries, 8);
}

static void
dm_foreign(struct dm_builder *b, bool end_last)
{
    memset(b, 0, sizeof(*b));
    put_le(b->buf, 0x6a736677736872ull, 8);
    put_le(b->buf + 8, 1, 8);
    put_le(b->buf + 24, 512, 4);
    b->size = 512;
    dm_add(b, 3, 1, 0, NULL, 0xaa);             /* Sector 3 of block 0. */
    dm_add(b, 0, 0, 1, NULL, 0);                /* An empty flush. */
    dm_add(b, 8, 16, 2 | 16, NULL, 0xbb);       /* FUA + METADATA: blocks 1 and 2. */
    if (!end_last) {
        dm_add(b, 0, 0, 8, "dm-log-writes-end", 0);
    }
    dm_add(b, 10, 2, 4, NULL, 0);               /* Discard sectors 10-11 (in block 1). */
    dm_add(b, 0, 0, 8, "user-mark", 0);
    dm_add(b, 24, 8, 1, NULL, 0xcc);            /* PREFLUSH with data: block 3. */
    if (end_last) {
        dm_add(b, 0, 0, 8, "dm-log-writes-end", 0);
    }
}

static void
wlog_dm_foreign(void **state)
{
    (void)state;
    static struct dm_builder b;
    dm_foreign(&b, true);
    struct oplog_disk dev;
    char err[256];
    decode_bad(b.buf, b.size, FS_EINVAL, "block size");
    struct wlog_geometry g = { 4096, 0 };
    CHECK_ERR(wlog_decode(b.buf, b.size, &g, &dev, NULL, err, sizeof(err)), 0);
    enum { W = OPLOG_OP_WRITE, F = OPLOG_OP_FLUSH, M = OPLOG_OP_MARK };
    static const uint8_t kinds[] = { W, F, W, W, F, W, M, F, W };
    static const uint64_t blocks[] = { 0, 0, 1, 2, 0, 1, 0, 0, 3 };
    static const uint32_t epochs[] = { 0, 0, 1, 1, 1, 2, 2, 2, 3 };
    CHECK_EQ(dev.log.block_count, 4);
    CHECK_EQ(dev.log.count, FS_ARRAY_COUNT(kinds));
    for (uint32_t i = 0; i < dev.log.count; i++) {
        CHECK_EQ(dev.log.ops[i].kind, kinds[i]);
        CHECK_EQ(dev.log.ops[i].block, blocks[i]);
        CHECK_EQ(dev.log.ops[i].epoch, epochs[i]);
    }
    CHECK_EQ(dev.log.ops[6].mark, OPLOG_MARK_OTHER);
    CHECK_EQ(strcmp(oplog_mark_name(dev.log.ops[6].mark), "other"), 0);
    const uint8_t *b0 = oplog_disk_block(&dev, 0), *b1 = oplog_disk_block(&dev, 1);
    const uint8_t *b2 = oplog_disk_block(&dev, 2), *b3 = oplog_disk_block(&dev, 3);
    CHECK_TRUE(b0[3 * 512 - 1] == 0 && b0[3 * 512] == 0xaa && b0[4 * 512] == 0);
    CHECK_TRUE(b1[1023] == 0xbb && b1[1024] == 0 && b1[2048] == 0xbb);
    CHECK_TRUE(b2[0] == 0xbb && b3[4095] == 0xcc);
    oplog_disk_deinit(&dev);
    /* The teardown mark elsewhere is an ordinary (other) mark; a device too small is refused. */
    dm_foreign(&b, false);
    CHECK_ERR(wlog_decode(b.buf, b.size, &g, &dev, NULL, err, sizeof(err)), 0);
    CHECK_EQ(dev.log.count, FS_ARRAY_COUNT(kinds) + 1);
    oplog_disk_deinit(&dev);
    g.block_count = 2;
    CHECK_ERR(wlog_decode(b.buf, b.size, &g, &dev, NULL, err, sizeof(err)), FS_ECORRUPT);
    CHECK_TRUE(strstr(err, "beyond the device") != NULL);
}

/* ---- Seeded mutations: refused with a reason, or read; never a crash. ---- */

static void
fuzz_mutate(uint8_t *buf, size_t *size, size_t cap, uint64_t *x, bool native)
{
    uint32_t how = (uint32_t)(rng_next(x) % 6);
    size_t n = *size;
    if (how == 0 || how == 5) {                 /* A few bytes anywhere, or in the tail. */
        size_t from = how == 5 && rng_next(x) % 2 ? n - FS_MIN(n, (size_t)4096) : 0;
        for (uint32_t k = (uint32_t)(rng_next(x) % 4); k < 4; k++) {
            buf[from + rng_next(x) % (n - from)] ^= (uint8_t)(1u << (rng_next(x) % 8));
        }
    } else if (how == 1) {                      /* Near the headers. */
        buf[rng_next(x) % FS_MIN(n, (size_t)2048)] = (uint8_t)rng_next(x);
    } else if (how == 2) {                      /* Truncated. */
        *size = (size_t)(rng_next(x) % n);
    } else if (how == 3) {                      /* An interesting value in a field. */
        static const uint64_t vals[] = { 0, 1, 8, 512, 0xffffffffu, 1ull << 63, UINT64_MAX };
        size_t off = (size_t)(rng_next(x) % (FS_MIN(n, (size_t)8192) - 8)) & ~(size_t)7;
        put_le(buf + off, vals[rng_next(x) % FS_ARRAY_COUNT(vals)], 8);
    } else {                                    /* Garbage appended. */
        size_t extra = (size_t)(rng_next(x) % 700) + 1;
        extra = FS_MIN(extra, cap - n);
        util_fill_random(buf + n, extra, rng_next(x));
        *size = n + extra;
    }
    if (how == 5 && native && *size >= 8) {
        reseal(buf, *size);                     /* Past the checksum: the deeper checks. */
    }
}

static void
fuzz_one(const uint8_t *buf, size_t size, uint32_t *accepted)
{
    char err[256] = "";
    struct oplog_disk dev;
    struct wlog_geometry g = { 4096, 0 };
    int rc = wlog_decode(buf, size, &g, &dev, NULL, err, sizeof(err));
    if (rc == 0) {
        (*accepted)++;
        CHECK_TRUE(dev.log.count <= WLOG_OP_COUNT_MAX);
        (void)oplog_hash(&dev.log);             /* Touches every op and content. */
        oplog_disk_deinit(&dev);
        return;
    }
    CHECK_TRUE(rc == FS_ECORRUPT || rc == FS_EINVAL);
    CHECK_TRUE(err[0] != '\0');
}

static void
wlog_fuzz(void **state)
{
    (void)state;
    uint8_t *orig[2], *buf;
    size_t size[2], cap = 0;
    uint32_t accepted[2] = { 0, 0 };
    for (uint32_t f = 0; f < 2; f++) {
        encode(&rec_faithful.dev.disk, (enum wlog_format)f, &orig[f], &size[f]);
        cap = FS_MAX(cap, size[f] + 1024);
    }
    buf = malloc(cap);
    CHECK_TRUE(buf != NULL);
    uint64_t x = PRNG_GOLDEN;
    for (uint32_t i = 0; i < FUZZ_ROUNDS; i++) {
        uint32_t f = i % 2;
        size_t n = size[f];
        memcpy(buf, orig[f], n);
        fuzz_mutate(buf, &n, cap, &x, f == WLOG_FORMAT_CRASHSIM);
        fuzz_one(buf, n, &accepted[f]);
    }
    for (uint32_t i = 0; i < 200; i++) {        /* Random bytes behind a valid magic. */
        size_t n = 8 + (size_t)(rng_next(&x) % 4096);
        util_fill_random(buf, n, rng_next(&x));
        memcpy(buf, i % 2 ? orig[1] : orig[0], i % 4 < 2 ? 8 : 32);
        fuzz_one(buf, n, &accepted[i % 2]);
    }
    util_note("fuzz: %u rounds; read anyway: %u native, %u dm-log-writes (data bytes changed)",
            FUZZ_ROUNDS + 200, accepted[0], accepted[1]);
    free(buf);
    free(orig[0]);
    free(orig[1]);
}

/* ---- Exploring an imported log: sync points from the file system. ---- */

static void
load(const struct oplog_disk *disk, struct recording *out)
{
    char dir[] = "/tmp/test_wlog.XXXXXX", path[64], err[256];
    CHECK_TRUE(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/x.log", dir);
    CHECK_ERR(wlog_write_file(path, disk, WLOG_FORMAT_DM_LOG_WRITES, err, sizeof(err)), 0);
    int rc = input_wlog(path, NULL, out, err, sizeof(err));
    if (rc != 0) {
        util_note("load: %s", err);
    }
    CHECK_EQ(rc, 0);
    unlink(path);
    rmdir(dir);
}

static bool
digest_known(const struct recording *oracle, uint64_t d)
{
    for (uint32_t k = 0; k < oracle->sync_count; k++) {
        if (oracle->syncs[k].digest == d) {
            return true;
        }
    }
    return false;
}

static void
wlog_load_sync_points(void **state)
{
    (void)state;
    const struct recording *oracle = &rec_faithful;
    struct recording rec;
    load(&oracle->dev.disk, &rec);
    CHECK_EQ(rec.violation[0], '\0');
    CHECK_EQ(rec.wlog_hash, oracle->wlog_hash);
    CHECK_EQ(rec.config.block_size, 4 * KIB);
    CHECK_EQ(rec.config.device_size, 1 * MIB);
    CHECK_TRUE(rec.config.profile == SYNC_PROFILE_FAITHFUL);
    CHECK_TRUE(rec.sync_count >= 4);
    CHECK_EQ(rec.syncs[0].digest, oracle->syncs[0].digest);
    CHECK_EQ(rec.syncs[rec.sync_count - 1].digest, oracle->syncs[oracle->sync_count - 1].digest);
    CHECK_EQ(rec.syncs[rec.sync_count - 1].end_op, rec.dev.disk.log.count);
    for (uint32_t k = 0; k < rec.sync_count; k++) {
        CHECK_TRUE(digest_known(oracle, rec.syncs[k].digest));
        CHECK_TRUE(rec.syncs[k].start_op <= rec.syncs[k].end_op);
        CHECK_TRUE(k == 0 || rec.syncs[k].start_op >= rec.syncs[k - 1].end_op);
    }
    /* Every cut of a clean log recovers a legal point. */
    struct checker c;
    CHECK_EQ(checker_init(&c, &rec), 0);
    for (uint32_t cut = 0; cut <= rec.dev.disk.log.count; cut++) {
        struct crash_state s = { .cut = cut, .torn = CRASH_NONE };
        struct state_result r;
        CHECK_EQ(checker_check(&c, &s, &r), 0);
        if (outcome_is_violation((enum outcome)r.outcome)) {
            util_note("cut %u: %s: %s", cut, outcome_name((enum outcome)r.outcome), r.reason);
        }
        CHECK_TRUE(!outcome_is_violation((enum outcome)r.outcome));
    }
    checker_deinit(&c);
    recording_free(&rec);
}

/* Lost writes under a volatile cache break GEFS's faithful sync: the derived
 * sync points must catch that too, and never accept a state the oracle
 * refuses. (They may refuse one it accepts: each commit counts as completed
 * at its sync.end, where the oracle waits for the API call to return — the
 * two commits of a snapshot step; see traces/WLOG.md.) */
static void
wlog_load_catches_lost_writes(void **state)
{
    (void)state;
    const struct recording *oracle = &rec_faithful;
    struct recording rec;
    load(&oracle->dev.disk, &rec);
    struct fault_plan plan = { .kinds = PLAN_PASS | PLAN_REORDER, .reorder_k = 1, .samples = 64 };
    struct crash_state *states;
    size_t count;
    CHECK_EQ(fault_plan_enumerate(&rec.dev.disk.log, MODEL_WRITEBACK, &plan, &states, &count), 0);
    struct checker mine, theirs;
    CHECK_EQ(checker_init(&mine, &rec), 0);
    CHECK_EQ(checker_init(&theirs, oracle), 0);
    uint32_t caught = 0, laxer = 0, stricter = 0;
    for (size_t i = 0; i < count; i++) {
        struct state_result a, b;
        CHECK_EQ(checker_check(&mine, &states[i], &a), 0);
        CHECK_EQ(checker_check(&theirs, &states[i], &b), 0);
        bool va = outcome_is_violation((enum outcome)a.outcome);
        bool vb = outcome_is_violation((enum outcome)b.outcome);
        caught += va;
        laxer += !va && vb;
        stricter += va && !vb;
        if (va != vb) {
            char id[CRASH_ID_MAX];
            crash_id_format(&states[i], id, sizeof(id));
            util_note("%s: derived %s (%s), oracle %s (%s)", id, outcome_name(a.outcome),
                    a.reason, outcome_name(b.outcome), b.reason);
        }
    }
    util_note("%zu writeback states: %u violations by derived sync points; %u accepted that the "
            "oracle refuses, %u refused that it accepts", count, caught, laxer, stricter);
    CHECK_TRUE(caught > 0);
    CHECK_EQ(laxer, 0);
    checker_deinit(&mine);
    checker_deinit(&theirs);
    free(states);
    recording_free(&rec);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wlog_roundtrip_native),
        cmocka_unit_test(wlog_roundtrip_dm),
        cmocka_unit_test(wlog_cross_format),
        cmocka_unit_test(wlog_files),
        cmocka_unit_test(wlog_dm_layout),
        cmocka_unit_test(wlog_native_layout),
        cmocka_unit_test(wlog_native_malformed),
        cmocka_unit_test(wlog_dm_malformed),
        cmocka_unit_test(wlog_dm_foreign),
        cmocka_unit_test(wlog_fuzz),
        cmocka_unit_test(wlog_load_sync_points),
        cmocka_unit_test(wlog_load_catches_lost_writes),
    };
    return cmocka_run_group_tests_name("wlog", tests, setup, teardown);
}
