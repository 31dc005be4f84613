/*
 * traces/dmlog.c: the dm-log-writes codec of write-log files (see wlog.h; the
 * byte layout and our marks are in traces/WLOG.md). wlog_encode and
 * wlog_decode (traces/wlog.c) call it for WLOG_FORMAT_DM_LOG_WRITES; the two
 * files share traces/wlog_impl.h.
 *
 * The format is the on-disk log of Linux's dm-log-writes target
 * (drivers/md/dm-log-writes.c): a super sector (struct log_write_super), then
 * one entry sector per request (struct log_write_entry, then a mark's name),
 * each write followed by its data sectors. It knows sectors, not blocks, and
 * nothing of epochs or queue generations, so our own marks carry them: a
 * first "crashsim.device" mark gives the geometry and the starting epoch and
 * qgen, plain writes up to a "crashsim.base" mark fill the base image, and a
 * "crashsim.qgen N" mark goes before each mark that changes the qgen.
 *
 * Method, writing. The export is sized exactly beforehand (dm_size) and laid
 * out in one buffer: the super, the prologue (device mark, the base's
 * non-zero blocks, base mark), then per op a write of one block's sectors, a
 * flush entry, or a mark named by oplog_mark_name.
 *
 * Method, reading. The super and every entry are checked against the file's
 * size before the device is allocated; the geometry comes from our device
 * mark, else from the caller (a foreign log), and may not disagree with it.
 * Entries are then applied in order: a write is cut at block boundaries and
 * each piece appended as a whole block over the block's current bytes (its
 * last write's, else the base's); a discard writes zeros; REQ_PREFLUSH is a
 * flush before the data, FUA one after it; marks the op log does not know
 * become OPLOG_MARK_OTHER, and the kernel's trailing teardown mark is
 * dropped. Export then import gives back the same log, field by field
 * (wlog.h).
 *
 * Invariants. As in wlog.c: every read from the buffer is bounds checked,
 * every count from the file is bounded (WLOG_OP_COUNT_MAX, WLOG_DEVICE_SIZE_MAX,
 * the file's size) before it sizes a loop or an allocation, malformed input
 * is FS_ECORRUPT with one reason, and ASSERTs are about our own data only.
 *
 * Ownership: the entry table and the scratch block live for one decode; the
 * encoded buffer and the decoded disk are the caller's.
 */
#include "wlog_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fs/bdev.h"

#define DM_NAME_MAX         255u        /* Bytes of a mark name we compare (longer: "other"). */
#define DM_TEXT_MAX         160u        /* Bytes of our own mark texts. */

STATIC_ASSERT(WLOG_DM_SUPER_SIZE == 3 * 8 + 4, "struct log_write_super");
STATIC_ASSERT(WLOG_DM_ENTRY_SIZE == 4 * 8, "struct log_write_entry");
STATIC_ASSERT(WLOG_DM_SECTOR_SIZE == BDEV_SECTOR_SIZE, "a dm sector is a device sector");
STATIC_ASSERT(WLOG_BLOCK_SIZE_MIN >= WLOG_DM_SECTOR_SIZE, "a block holds whole dm sectors");
STATIC_ASSERT(DM_TEXT_MAX < WLOG_DM_SECTOR_SIZE - WLOG_DM_ENTRY_SIZE, "our marks fit a sector");

/* ==== dm-log-writes: writing. ==== */

/* One entry: the entry sector (header, then a mark's name), then the data. */
static uint8_t *
dm_put_entry(uint8_t *p, uint64_t sector, uint64_t nr_sectors, uint64_t flags, const char *name,
        const uint8_t *data)
{
    size_t len = name != NULL ? strlen(name) : 0;
    ASSERT(len < WLOG_DM_SECTOR_SIZE - WLOG_DM_ENTRY_SIZE);
    ASSERT((flags & WLOG_DM_FLAG_MARK) == 0 || nr_sectors == 0);
    memset(p, 0, WLOG_DM_SECTOR_SIZE);
    le_put64(p, sector);
    le_put64(p + 8, nr_sectors);
    le_put64(p + 16, flags);
    le_put64(p + 24, len);
    memcpy(p + WLOG_DM_ENTRY_SIZE, name != NULL ? name : "", len);
    p += WLOG_DM_SECTOR_SIZE;
    if (data != NULL) {
        memcpy(p, data, nr_sectors * WLOG_DM_SECTOR_SIZE);
        p += nr_sectors * WLOG_DM_SECTOR_SIZE;
    }
    return p;
}

static uint8_t *
dm_put_write(uint8_t *p, uint32_t block_size, uint64_t block, const uint8_t *data)
{
    uint64_t per = block_size / WLOG_DM_SECTOR_SIZE;
    return dm_put_entry(p, block * per, per, 0, NULL, data);
}

/* Marks a qgen change needs before op i (0 or 1), tracking the running qgen. */
static bool
dm_qgen_change(const struct oplog_op *op, uint64_t *qgen)
{
    ASSERT(op->kind == OPLOG_OP_MARK || op->qgen == *qgen);  /* Only marks change it. */
    if (op->kind != OPLOG_OP_MARK || op->qgen == *qgen) {
        return false;
    }
    *qgen = op->qgen;
    return true;
}

/* Entries and bytes of the export, the header sector included. */
static void
dm_size(const struct oplog *log, uint64_t base_count, uint64_t *entries, size_t *size)
{
    uint32_t epoch0;
    uint64_t qgen;
    wlog_initial_state(log, &epoch0, &qgen);
    uint64_t n = 2 + base_count + log->count;       /* device mark, base writes, base mark, ops */
    for (uint32_t i = 0; i < log->count; i++) {
        n += dm_qgen_change(&log->ops[i], &qgen);
    }
    *entries = n;
    *size = (size_t)(1 + n) * WLOG_DM_SECTOR_SIZE
        + (size_t)(base_count + log->write_count) * log->block_size;
}

static uint8_t *
dm_put_prologue(uint8_t *p, const struct oplog_disk *disk)
{
    const struct oplog *log = &disk->log;
    uint32_t epoch0;
    uint64_t qgen0;
    char text[DM_TEXT_MAX];
    wlog_initial_state(log, &epoch0, &qgen0);
    snprintf(text, sizeof(text), WLOG_DM_MARK_DEVICE " block_size=%" PRIu32 " block_count=%"
            PRIu64 " epoch=%" PRIu32 " qgen=%" PRIu64, log->block_size, log->block_count, epoch0,
            qgen0);
    p = dm_put_entry(p, 0, 0, WLOG_DM_FLAG_MARK, text, NULL);
    for (uint64_t b = oplog_disk_base_next(disk, 0); b < log->block_count;
            b = oplog_disk_base_next(disk, b + 1)) {
        p = dm_put_write(p, log->block_size, b, oplog_disk_base_block(disk, b));
    }
    return dm_put_entry(p, 0, 0, WLOG_DM_FLAG_MARK, WLOG_DM_MARK_BASE, NULL);
}

size_t
wlog_dm_size(const struct oplog_disk *disk)
{
    uint64_t entries;
    size_t n;
    dm_size(&disk->log, disk->base_count, &entries, &n);
    return n;
}

void
wlog_dm_encode(const struct oplog_disk *disk, uint8_t *buf)
{
    const struct oplog *log = &disk->log;
    uint64_t entries;
    size_t n;
    dm_size(log, disk->base_count, &entries, &n);
    memset(buf, 0, WLOG_DM_SECTOR_SIZE);
    le_put64(buf, WLOG_DM_MAGIC);
    le_put64(buf + 8, WLOG_DM_VERSION);
    le_put64(buf + 16, entries);
    le_put32(buf + 24, WLOG_DM_SECTOR_SIZE);
    uint8_t *p = dm_put_prologue(buf + WLOG_DM_SECTOR_SIZE, disk);
    uint32_t epoch0;
    uint64_t qgen;
    wlog_initial_state(log, &epoch0, &qgen);
    for (uint32_t i = 0; i < log->count; i++) {
        const struct oplog_op *op = &log->ops[i];
        if (dm_qgen_change(op, &qgen)) {
            char text[DM_TEXT_MAX];
            snprintf(text, sizeof(text), WLOG_DM_MARK_QGEN " %" PRIu64, qgen);
            p = dm_put_entry(p, 0, 0, WLOG_DM_FLAG_MARK, text, NULL);
        }
        if (op->kind == OPLOG_OP_WRITE) {
            p = dm_put_write(p, log->block_size, op->block, oplog_op_bytes(log, i));
        } else if (op->kind == OPLOG_OP_FLUSH) {
            p = dm_put_entry(p, 0, 0, WLOG_DM_FLAG_FLUSH, NULL, NULL);
        } else {
            ASSERT(op->mark < OPLOG_MARK_COUNT);
            p = dm_put_entry(p, 0, 0, WLOG_DM_FLAG_MARK, oplog_mark_name(op->mark), NULL);
        }
    }
    ASSERT((size_t)(p - buf) == n);
}

/* ==== dm-log-writes: reading. ==== */

/* One entry as read and checked. */
struct dm_entry {
    uint64_t sector;            /* First sector (units of the log's sectorsize). */
    uint64_t nr_sectors;        /* Sectors written or discarded. */
    uint64_t flags;             /* WLOG_DM_FLAG_*. */
    size_t name_pos;            /* Offset of a mark's name in the file. */
    size_t name_len;            /* Its bytes. */
    size_t data_pos;            /* Offset of the data in the file. */
};

struct dm_reader {
    const uint8_t *buf;             /* The file. */
    size_t size;                    /* Its bytes. */
    uint32_t sector_size;           /* log_write_super.sectorsize. */
    uint64_t entry_count;           /* log_write_super.nr_entries. */
    struct dm_entry *entries;       /* Every entry. */
    uint32_t block_size;            /* Device geometry: bytes per block. */
    uint64_t block_count;           /* Device geometry: blocks. */
    uint32_t epoch0;                /* From the crashsim.device mark, else 0. */
    uint64_t qgen0;                 /* From the crashsim.device mark, else 0. */
    uint64_t first_op;              /* Entries before this one are the prologue. */
    uint8_t *scratch;               /* A block for read-modify-write. */
    char *err;                      /* Reason on failure. */
    size_t err_size;                /* Bytes of err. */
};

static int
dm_super(struct dm_reader *r)
{
    if (r->size < WLOG_DM_SUPER_SIZE) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "%zu bytes: too short for a "
                "log_write_super", r->size);
    }
    uint64_t version = le_get64(r->buf + 8);
    r->entry_count = le_get64(r->buf + 16);
    r->sector_size = le_get32(r->buf + 24);
    if (version != WLOG_DM_VERSION) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "super: version %" PRIu64 ", dm-log-writes "
                "has %u", version, WLOG_DM_VERSION);
    }
    if (!pow2_in(r->sector_size, WLOG_DM_SECTOR_SIZE, WLOG_BLOCK_SIZE_MAX)
            || r->size < r->sector_size) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "super: sectorsize %" PRIu32 " is not a "
                "power of two in [512, %u] or the file is shorter", r->sector_size,
                WLOG_BLOCK_SIZE_MAX);
    }
    if (!bytes_zero(r->buf + WLOG_DM_ENTRY_SIZE, r->sector_size - WLOG_DM_ENTRY_SIZE)) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "super: the rest of its sector is not zero");
    }
    uint64_t room = (r->size - r->sector_size) / r->sector_size;
    if (r->entry_count > room || r->entry_count > WLOG_OP_COUNT_MAX) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "super: nr_entries %" PRIu64 ", but the "
                "file holds at most %" PRIu64 " entries", r->entry_count, room);
    }
    return 0;
}

/* An entry's flags, name and padding, as the kernel writes them. */
static const char *
dm_entry_shape(const struct dm_reader *r, const uint8_t *p, struct dm_entry *e)
{
    uint64_t data_len = le_get64(p + 24);
    uint64_t all = WLOG_DM_FLAG_FLUSH | WLOG_DM_FLAG_FUA | WLOG_DM_FLAG_DISCARD
        | WLOG_DM_FLAG_MARK | WLOG_DM_FLAG_METADATA;
    size_t room = r->sector_size - WLOG_DM_ENTRY_SIZE;
    if (e->flags & ~all) {
        return "unknown flags";
    }
    if (e->flags == 0 && e->nr_sectors == 0) {
        return "an all-zero entry";
    }
    if (e->flags & WLOG_DM_FLAG_MARK) {
        if (e->flags != WLOG_DM_FLAG_MARK || e->nr_sectors != 0 || data_len >= room) {
            return "a mark with other flags, data sectors, or a name longer than its sector";
        }
        e->name_len = (size_t)data_len;
        if (memchr(p + WLOG_DM_ENTRY_SIZE, 0, e->name_len) != NULL) {
            return "a mark name with a NUL byte";
        }
    } else if (data_len != 0) {
        return "data_len set on an entry that is not a mark";
    } else if (e->nr_sectors == 0 && !(e->flags & WLOG_DM_FLAG_FLUSH)) {
        return "no sectors and no flush";
    } else if ((e->flags & WLOG_DM_FLAG_DISCARD)
            && (e->flags & (WLOG_DM_FLAG_FLUSH | WLOG_DM_FLAG_FUA))) {
        return "a discard with a flush or FUA";
    }
    if (!bytes_zero(p + WLOG_DM_ENTRY_SIZE + e->name_len, room - e->name_len)) {
        return "its sector is not zero after the header";
    }
    return NULL;
}

static int
dm_entries(struct dm_reader *r)
{
    size_t pos = r->sector_size;
    uint64_t ss = r->sector_size;
    for (uint64_t i = 0; i < r->entry_count; i++) {
        struct dm_entry *e = &r->entries[i];
        if (r->size - pos < ss) {
            return fail(FS_ECORRUPT, r->err, r->err_size, "entry %" PRIu64 ": truncated", i);
        }
        const uint8_t *p = r->buf + pos;
        *e = (struct dm_entry){ le_get64(p), le_get64(p + 8), le_get64(p + 16),
            pos + WLOG_DM_ENTRY_SIZE, 0, pos + ss };
        const char *why = dm_entry_shape(r, p, e);
        if (why != NULL) {
            return fail(FS_ECORRUPT, r->err, r->err_size, "entry %" PRIu64 " (at byte %zu): %s",
                    i, pos, why);
        }
        uint64_t limit = WLOG_DEVICE_SIZE_MAX / ss;
        if (e->sector > limit || e->nr_sectors > limit - e->sector) {
            return fail(FS_ECORRUPT, r->err, r->err_size, "entry %" PRIu64 ": sectors %" PRIu64
                    "+%" PRIu64 " beyond any device", i, e->sector, e->nr_sectors);
        }
        pos += ss;
        if (!(e->flags & WLOG_DM_FLAG_DISCARD)) {
            if (e->nr_sectors > (r->size - pos) / ss) {
                return fail(FS_ECORRUPT, r->err, r->err_size, "entry %" PRIu64 ": its %" PRIu64
                        " data sectors run past the end of the file", i, e->nr_sectors);
            }
            pos += (size_t)(e->nr_sectors * ss);
        }
    }
    return 0;
}

/* A mark's name, NUL-terminated (a longer one is cut; it then matches
 * none of ours). */
static void
dm_name(const struct dm_reader *r, const struct dm_entry *e, char *name)
{
    size_t len = FS_MIN(e->name_len, (size_t)DM_NAME_MAX);
    memcpy(name, r->buf + e->name_pos, len);
    name[len] = '\0';
}

static bool
dm_is_mark(const struct dm_reader *r, const struct dm_entry *e, const char *want)
{
    char name[DM_NAME_MAX + 1];
    if (!(e->flags & WLOG_DM_FLAG_MARK)) {
        return false;
    }
    dm_name(r, e, name);
    return strcmp(name, want) == 0;
}

/* Parses "KEY=N" at *s (followed by a space or the end); false on junk. */
static bool
dm_field(const char **s, const char *key, uint64_t max, uint64_t *out)
{
    size_t k = strlen(key);
    if (strncmp(*s, key, k) != 0 || (*s)[k] != '=' || (*s)[k + 1] < '0' || (*s)[k + 1] > '9') {
        return false;
    }
    errno = 0;
    char *end;
    unsigned long long v = strtoull(*s + k + 1, &end, 10);
    if (errno != 0 || v > max || (*end != ' ' && *end != '\0')) {
        return false;
    }
    *out = v;
    *s = *end == ' ' ? end + 1 : end;
    return true;
}

/* "crashsim.device block_size=B block_count=N epoch=E qgen=Q". */
static int
dm_device_mark(struct dm_reader *r, const struct dm_entry *e)
{
    char text[DM_NAME_MAX + 1];
    dm_name(r, e, text);
    const char *s = text + strlen(WLOG_DM_MARK_DEVICE " ");
    uint64_t bs, count, epoch, qgen;
    if (strncmp(text, WLOG_DM_MARK_DEVICE " ", strlen(WLOG_DM_MARK_DEVICE " ")) != 0
            || !dm_field(&s, "block_size", WLOG_BLOCK_SIZE_MAX, &bs)
            || !dm_field(&s, "block_count", UINT64_MAX, &count)
            || !dm_field(&s, "epoch", UINT32_MAX, &epoch)
            || !dm_field(&s, "qgen", UINT64_MAX, &qgen) || *s != '\0') {
        char q[81];
        return fail(FS_ECORRUPT, r->err, r->err_size, "entry 0: malformed mark '%s'",
                quote(text, strlen(text), q, sizeof(q)));
    }
    r->block_size = (uint32_t)bs;
    r->block_count = count;
    r->epoch0 = (uint32_t)epoch;
    r->qgen0 = qgen;
    return 0;
}

/* The device's size without a crashsim.device mark: up to the last sector written. */
static uint64_t
dm_extent_blocks(const struct dm_reader *r)
{
    uint64_t end = 0;
    for (uint64_t i = 0; i < r->entry_count; i++) {
        const struct dm_entry *e = &r->entries[i];
        if (e->nr_sectors > 0) {
            end = FS_MAX(end, (e->sector + e->nr_sectors) * r->sector_size);
        }
    }
    return (end + r->block_size - 1) / r->block_size;
}

static int
dm_geometry(struct dm_reader *r, const struct wlog_geometry *g)
{
    struct wlog_geometry none = { 0, 0 };
    g = g != NULL ? g : &none;
    bool ours = r->entry_count > 0 && (r->entries[0].flags & WLOG_DM_FLAG_MARK)
        && r->entries[0].name_len >= strlen(WLOG_DM_MARK_DEVICE)
        && memcmp(r->buf + r->entries[0].name_pos, WLOG_DM_MARK_DEVICE,
                strlen(WLOG_DM_MARK_DEVICE)) == 0;
    if (ours) {
        int rc = dm_device_mark(r, &r->entries[0]);
        if (rc != 0) {
            return rc;
        }
        if ((g->block_size != 0 && g->block_size != r->block_size)
                || (g->block_count != 0 && g->block_count != r->block_count)) {
            return fail(FS_EINVAL, r->err, r->err_size, "the log says %" PRIu64 " blocks of %"
                    PRIu32 " bytes, not what was given", r->block_count, r->block_size);
        }
        r->first_op = 1;
    } else if (g->block_size == 0) {
        return fail(FS_EINVAL, r->err, r->err_size, "a dm-log-writes log without a "
                WLOG_DM_MARK_DEVICE " mark needs a block size");
    } else {
        r->block_size = g->block_size;
        r->block_count = g->block_count != 0 ? g->block_count : FS_MAX(1, dm_extent_blocks(r));
    }
    if (!pow2_in(r->block_size, WLOG_BLOCK_SIZE_MIN, WLOG_BLOCK_SIZE_MAX) || r->block_count == 0
            || r->block_count > WLOG_DEVICE_SIZE_MAX / r->block_size) {
        return fail(ours ? FS_ECORRUPT : FS_EINVAL, r->err, r->err_size, "geometry: %" PRIu64
                " blocks of %" PRIu32 " bytes is not a device this reader takes", r->block_count,
                r->block_size);
    }
    return 0;
}

/* Writes (or with data NULL zeroes) sectors [sector, sector + n) block by
 * block: whole blocks directly, partial ones over the block's current bytes
 * (its last write's, else the base's). Before the log starts this only
 * fills the base. */
static int
dm_apply(struct dm_reader *r, struct oplog_disk *disk, const struct dm_entry *e,
        const uint8_t *data)
{
    struct oplog *log = &disk->log;
    uint64_t bs = r->block_size;
    uint64_t off = e->sector * r->sector_size, end = off + e->nr_sectors * r->sector_size;
    if (end > log->block_count * bs) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "a write to sectors %" PRIu64 "+%" PRIu64
                " beyond the device's %" PRIu64 " blocks", e->sector, e->nr_sectors,
                log->block_count);
    }
    while (off < end) {
        uint64_t b = off / bs, in = off % bs, len = FS_MIN(bs - in, end - off);
        memcpy(r->scratch, oplog_disk_block(disk, b), bs);
        if (data != NULL) {
            memcpy(r->scratch + in, data, len);
            data += len;
        } else {
            memset(r->scratch + in, 0, len);
        }
        if (log->started && log->count >= WLOG_OP_COUNT_MAX) {
            return fail(FS_ECORRUPT, r->err, r->err_size, "more than %u operations",
                    WLOG_OP_COUNT_MAX);
        }
        if (oplog_disk_write(disk, b, r->scratch) != 0) {    /* The base until the log starts. */
            return fail(FS_ENOMEM, r->err, r->err_size, "out of memory");
        }
        off += len;
    }
    return 0;
}

/* The base: entries up to a crashsim.base mark, all plain writes. */
static int
dm_base(struct dm_reader *r, struct oplog_disk *disk)
{
    uint64_t end = r->entry_count;
    for (uint64_t i = r->first_op; i < r->entry_count && end == r->entry_count; i++) {
        end = dm_is_mark(r, &r->entries[i], WLOG_DM_MARK_BASE) ? i : end;
    }
    if (end == r->entry_count) {
        return 0;                               /* No base: a device of zeros. */
    }
    for (uint64_t i = r->first_op; i < end; i++) {
        const struct dm_entry *e = &r->entries[i];
        if ((e->flags & ~(uint64_t)WLOG_DM_FLAG_METADATA) != 0) {
            return fail(FS_ECORRUPT, r->err, r->err_size, "entry %" PRIu64 ": not a plain write "
                    "before the " WLOG_DM_MARK_BASE " mark", i);
        }
        int rc = dm_apply(r, disk, e, r->buf + e->data_pos);
        if (rc != 0) {
            return rc;
        }
    }
    r->first_op = end + 1;
    return 0;
}

/* A mark after the prologue: ours set the qgen or are refused; others go to
 * the log (names it does not know become "other"). */
static int
dm_mark(struct dm_reader *r, struct oplog *log, uint64_t i, uint64_t *qgen)
{
    char name[DM_NAME_MAX + 1];
    dm_name(r, &r->entries[i], name);
    if (strncmp(name, WLOG_DM_MARK_QGEN " ", strlen(WLOG_DM_MARK_QGEN " ")) == 0) {
        const char *s = name + strlen(WLOG_DM_MARK_QGEN " ");
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (*s < '0' || *s > '9' || errno != 0 || *end != '\0') {
            char q[61];
            return fail(FS_ECORRUPT, r->err, r->err_size, "entry %" PRIu64 ": malformed mark "
                    "'%s'", i, quote(name, strlen(name), q, sizeof(q)));
        }
        *qgen = v;
        return 0;
    }
    if (strncmp(name, "crashsim.", strlen("crashsim.")) == 0) {
        char q[61];
        return fail(FS_ECORRUPT, r->err, r->err_size, "entry %" PRIu64 ": mark '%s' out of "
                "place or unknown", i, quote(name, strlen(name), q, sizeof(q)));
    }
    if (i + 1 == r->entry_count && strcmp(name, WLOG_DM_MARK_END) == 0) {
        return 0;                               /* The kernel's teardown, not the file system's. */
    }
    int mark = oplog_mark_lookup(name);
    return oplog_mark(log, mark < 0 ? OPLOG_MARK_OTHER : (uint32_t)mark, *qgen) == 0 ? 0
        : fail(FS_ENOMEM, r->err, r->err_size, "out of memory");
}

static int
dm_ops(struct dm_reader *r, struct oplog_disk *disk)
{
    struct oplog *log = &disk->log;
    uint64_t qgen = r->qgen0;
    for (uint64_t i = r->first_op; i < r->entry_count; i++) {
        const struct dm_entry *e = &r->entries[i];
        int rc = 0;
        if (log->count >= WLOG_OP_COUNT_MAX) {
            return fail(FS_ECORRUPT, r->err, r->err_size, "more than %u operations",
                    WLOG_OP_COUNT_MAX);
        }
        if (e->flags & WLOG_DM_FLAG_MARK) {
            rc = dm_mark(r, log, i, &qgen);
        } else if (e->flags & WLOG_DM_FLAG_DISCARD) {
            rc = dm_apply(r, disk, e, NULL);    /* A discard reads back as zeros. */
        } else {
            if (e->flags & WLOG_DM_FLAG_FLUSH) {    /* REQ_PREFLUSH: before the data. */
                rc = oplog_flush(log);
            }
            if (rc == 0 && e->nr_sectors > 0) {
                rc = dm_apply(r, disk, e, r->buf + e->data_pos);
            }
            if (rc == 0 && (e->flags & WLOG_DM_FLAG_FUA)) {     /* Durable at once. */
                rc = oplog_flush(log);
            }
        }
        if (rc == FS_ENOMEM && r->err_size > 0 && r->err[0] == '\0') {
            rc = fail(rc, r->err, r->err_size, "entry %" PRIu64 ": out of memory", i);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

int
wlog_dm_decode(const uint8_t *buf, size_t size, const struct wlog_geometry *g,
        struct oplog_disk *disk, char *err, size_t err_size)
{
    struct dm_reader r = { .buf = buf, .size = size, .err = err, .err_size = err_size };
    int rc = dm_super(&r);
    if (rc == 0) {
        r.entries = calloc((size_t)r.entry_count + 1, sizeof(struct dm_entry));
        rc = r.entries == NULL ? fail(FS_ENOMEM, err, err_size, "out of memory") : dm_entries(&r);
    }
    if (rc == 0) {
        rc = dm_geometry(&r, g);
    }
    if (rc == 0 && oplog_disk_init(disk, r.block_size, r.block_count) != 0) {
        rc = fail(FS_ENOMEM, err, err_size, "out of memory for a %" PRIu64 "-block device",
                r.block_count);
    }
    if (rc == 0) {
        r.scratch = malloc(r.block_size);
        rc = r.scratch == NULL ? fail(FS_ENOMEM, err, err_size, "out of memory")
            : dm_base(&r, disk);
    }
    if (rc == 0) {
        oplog_start(&disk->log, r.epoch0, r.qgen0);
        rc = dm_ops(&r, disk);
    }
    free(r.scratch);
    free(r.entries);
    return rc;
}
