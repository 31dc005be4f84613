/*
 * traces/wlog.c: write-log files (see wlog.h; the byte layouts are in
 * traces/WLOG.md): the public entry points, format detection, file I/O,
 * summaries, and the native crashsim codec. The dm-log-writes codec is
 * traces/dmlog.c; the two share traces/wlog_impl.h.
 *
 * Method. Writing walks a log and its base image (struct oplog_disk) and lays
 * them out in one malloc'ed buffer, sized exactly beforehand, then checksums
 * it (native) and writes it whole. Reading takes the whole file into memory,
 * detects the format by its magic, checks the header against the file's size
 * before anything else is allocated, then rebuilds the log by appending to a
 * fresh one: the base goes into the disk's base, the log starts, and every
 * write, flush and mark is appended as the recording disk once appended it.
 * The op log derives every field of every op; the native reader then
 * compares each with the field stored in the file, so a file the reader
 * accepts means exactly what its bytes say, and writing the log back gives
 * the same bytes (the native encoding is canonical: base blocks ascending and
 * not zero, contents numbered in order of first write, each stored once).
 * This module knows nothing above the op log: a recording with sync points
 * made from a file is the campaign code's (sim/campaign/inputs.h).
 *
 * Invariants. Every read from the buffer is preceded by a bounds check against
 * its size; every count read from a file is bounded (by the file's size, by
 * WLOG_OP_COUNT_MAX, by WLOG_DEVICE_SIZE_MAX) before it sizes a loop or an
 * allocation. Malformed input yields FS_ECORRUPT and one reason; ASSERTs are
 * only about our own data (a log being written, sizes computed here).
 *
 * Ownership: wlog_encode's buffer is the caller's; a decoded oplog_disk is
 * the caller's (oplog_disk_deinit); nothing is kept between calls.
 */
#include "wlog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../fs/format.h"
#include "wlog_impl.h"

static const char native_magic[8] = WLOG_NATIVE_MAGIC;

#define NATIVE_MARK_NONE    0xffu       /* Op record's mark byte for writes and flushes. */
#define NATIVE_NAMES_MAX    255u        /* Mark names in the table (255 is NATIVE_MARK_NONE). */
#define NATIVE_BASE_REC     8u          /* Bytes before a base block's content: its number. */
#define CHECKSUM_SIZE       8u          /* Trailing fmt_hash. */

STATIC_ASSERT(WLOG_HEADER_SIZE == 8 + 4 * 4 + 2 * 8 + 4 * 4 + 2 * 8, "native header layout");
STATIC_ASSERT(WLOG_OP_SIZE == 4 * 1 + 2 * 2 + 2 * 4 + 2 * 8, "native op record layout");
STATIC_ASSERT(WLOG_DEVICE_SIZE_MAX / WLOG_BLOCK_SIZE_MIN <= UINT32_MAX, "block numbers fit");
STATIC_ASSERT(OPLOG_MARK_COUNT < NATIVE_MARK_NONE, "every mark has a name-table index");

/* ---- Shared helpers. ---- */

/* The flush epoch and queue generation when recording began: those of the
 * first op (a mark's own qgen stands in: nothing before it carries the old). */
void
wlog_initial_state(const struct oplog *log, uint32_t *epoch0, uint64_t *qgen0)
{
    *epoch0 = log->count > 0 ? log->ops[0].epoch : log->epoch;
    *qgen0 = log->count > 0 ? log->ops[0].qgen : log->qgen;
}

/* Appends one op of kind to a started log, as the recording disk would;
 * 0 or FS_ENOMEM. */
static int
log_append(struct oplog *log, uint8_t kind, uint64_t block, const uint8_t *bytes, uint32_t mark,
        uint64_t qgen)
{
    ASSERT(log->started);
    ASSERT(kind != OPLOG_OP_WRITE || block < log->block_count);
    if (kind == OPLOG_OP_WRITE) {
        return oplog_write(log, block, bytes);
    }
    return kind == OPLOG_OP_FLUSH ? oplog_flush(log) : oplog_mark(log, mark, qgen);
}

/* ---- Format names. ---- */

const char *
wlog_format_name(enum wlog_format format)
{
    ASSERT(format < WLOG_FORMAT_COUNT);
    return format == WLOG_FORMAT_CRASHSIM ? "crashsim" : "dm-log-writes";
}

int
wlog_format_parse(const char *s, enum wlog_format *out)
{
    ASSERT(out != NULL);
    for (uint32_t f = 0; s != NULL && f < WLOG_FORMAT_COUNT; f++) {
        if (strcmp(s, wlog_format_name((enum wlog_format)f)) == 0) {
            *out = (enum wlog_format)f;
            return 0;
        }
    }
    return -1;
}

int
wlog_format_detect(const uint8_t *buf, size_t size, enum wlog_format *out)
{
    ASSERT(buf != NULL || size == 0);
    if (size >= sizeof(native_magic) && memcmp(buf, native_magic, sizeof(native_magic)) == 0) {
        *out = WLOG_FORMAT_CRASHSIM;
        return 0;
    }
    if (size >= 8 && le_get64(buf) == WLOG_DM_MAGIC) {
        *out = WLOG_FORMAT_DM_LOG_WRITES;
        return 0;
    }
    return -1;
}

/* ==== The native format: writing. ==== */

static size_t
native_names_size(void)
{
    size_t n = 0;
    for (uint32_t i = 0; i < OPLOG_MARK_COUNT; i++) {
        n += 1 + strlen(oplog_mark_name(i));
    }
    return n;
}

static size_t
native_size(const struct oplog *log, uint64_t base_count)
{
    size_t bs = log->block_size;
    return WLOG_HEADER_SIZE + native_names_size() + (size_t)base_count * (NATIVE_BASE_REC + bs)
        + (size_t)log->pool.count * bs + (size_t)log->count * WLOG_OP_SIZE + CHECKSUM_SIZE;
}

static uint8_t *
native_put_header(uint8_t *p, const struct oplog *log, uint64_t base_count)
{
    uint32_t epoch0;
    uint64_t qgen0;
    wlog_initial_state(log, &epoch0, &qgen0);
    memcpy(p, native_magic, sizeof(native_magic));
    le_put32(p + 8, WLOG_VERSION);
    le_put32(p + 12, WLOG_HEADER_SIZE);
    le_put32(p + 16, log->block_size);
    le_put32(p + 20, OPLOG_MARK_COUNT);
    le_put64(p + 24, log->block_count);
    le_put64(p + 32, base_count);
    le_put32(p + 40, log->pool.count);
    le_put32(p + 44, log->count);
    le_put32(p + 48, epoch0);
    le_put32(p + 52, 0);                    /* flags */
    le_put64(p + 56, qgen0);
    le_put64(p + 64, oplog_hash(log));
    p += WLOG_HEADER_SIZE;
    for (uint32_t i = 0; i < OPLOG_MARK_COUNT; i++) {
        const char *name = oplog_mark_name(i);
        size_t len = strlen(name);
        ASSERT(len > 0 && len <= UINT8_MAX);
        *p++ = (uint8_t)len;
        memcpy(p, name, len);
        p += len;
    }
    return p;
}

static void
native_put_op(uint8_t *p, const struct oplog_op *op)
{
    bool write = op->kind == OPLOG_OP_WRITE;
    ASSERT(op->kind < OPLOG_OP_KIND_COUNT);
    ASSERT(op->kind != OPLOG_OP_MARK || op->mark < OPLOG_MARK_COUNT);
    p[0] = op->kind;
    p[1] = op->pass;
    p[2] = op->activity;
    p[3] = op->kind == OPLOG_OP_MARK ? op->mark : (uint8_t)NATIVE_MARK_NONE;
    le_put16(p + 4, write ? op->type : 0);
    le_put16(p + 6, 0);
    le_put32(p + 8, op->epoch);
    le_put32(p + 12, write ? op->content : OPLOG_NONE);
    le_put64(p + 16, write ? op->block : 0);
    le_put64(p + 24, op->qgen);
}

static void
native_encode(const struct oplog_disk *disk, uint8_t *buf)
{
    const struct oplog *log = &disk->log;
    uint64_t base_count = disk->base_count;
    size_t n = native_size(log, base_count);
    size_t bs = log->block_size;
    uint8_t *p = native_put_header(buf, log, base_count);
    for (uint64_t b = oplog_disk_base_next(disk, 0); b < log->block_count;
            b = oplog_disk_base_next(disk, b + 1)) {
        le_put64(p, b);
        memcpy(p + NATIVE_BASE_REC, oplog_disk_base_block(disk, b), bs);
        p += NATIVE_BASE_REC + bs;
    }
    for (uint32_t i = 0; i < log->pool.count; i++) {
        memcpy(p, oplog_pool_get(&log->pool, i), bs);
        p += bs;
    }
    for (uint32_t i = 0; i < log->count; i++) {
        ASSERT(log->ops[i].kind != OPLOG_OP_WRITE || log->ops[i].content < log->pool.count);
        native_put_op(p, &log->ops[i]);
        p += WLOG_OP_SIZE;
    }
    ASSERT((size_t)(p - buf) == n - CHECKSUM_SIZE);
    le_put64(p, fmt_hash(buf, n - CHECKSUM_SIZE));
}

/* ==== The native format: reading. ==== */

struct native_header {
    uint32_t block_size;        /* Bytes per block. */
    uint32_t name_count;        /* Entries of the mark-name table. */
    uint64_t block_count;       /* Blocks. */
    uint64_t base_count;        /* Base records. */
    uint32_t content_count;     /* Contents. */
    uint32_t op_count;          /* Op records. */
    uint32_t epoch0;            /* Flush epoch when recording began. */
    uint64_t qgen0;             /* Queue generation when recording began. */
    uint64_t log_hash;          /* oplog_hash the writer computed. */
};

/* What a reader needs while it goes through the sections. */
struct native_reader {
    const uint8_t *buf;             /* The file. */
    size_t size;                    /* Its bytes. */
    struct native_header h;         /* Its header. */
    uint8_t mark_map[NATIVE_NAMES_MAX]; /* File name index -> mark (oplog_mark_name). */
    size_t base_pos;                /* Offset of the base section. */
    size_t contents_pos;            /* Offset of the contents. */
    size_t ops_pos;                 /* Offset of the op records. */
    char *err;                      /* Reason on failure. */
    size_t err_size;                /* Bytes of err. */
};

static int
native_header_fields(struct native_reader *r)
{
    const uint8_t *p = r->buf;
    struct native_header *h = &r->h;
    if (le_get32(p + 8) != WLOG_VERSION) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "header: version %" PRIu32 ", this reader "
                "knows %u", le_get32(p + 8), WLOG_VERSION);
    }
    if (le_get32(p + 12) != WLOG_HEADER_SIZE || le_get32(p + 52) != 0) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "header: header size %" PRIu32 " or flags "
                "0x%" PRIx32 " invalid", le_get32(p + 12), le_get32(p + 52));
    }
    *h = (struct native_header){ le_get32(p + 16), le_get32(p + 20), le_get64(p + 24),
        le_get64(p + 32), le_get32(p + 40), le_get32(p + 44), le_get32(p + 48), le_get64(p + 56),
        le_get64(p + 64) };
    if (!pow2_in(h->block_size, WLOG_BLOCK_SIZE_MIN, WLOG_BLOCK_SIZE_MAX)) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "header: block size %" PRIu32 " is not a "
                "power of two in [%u, %u]", h->block_size, WLOG_BLOCK_SIZE_MIN,
                WLOG_BLOCK_SIZE_MAX);
    }
    uint64_t count_max = WLOG_DEVICE_SIZE_MAX / h->block_size;
    if (h->block_count == 0 || h->block_count > count_max) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "header: block count %" PRIu64 " outside "
                "[1, %" PRIu64 "]", h->block_count, count_max);
    }
    if (h->name_count > NATIVE_NAMES_MAX || h->base_count > h->block_count
            || h->op_count > WLOG_OP_COUNT_MAX || h->content_count > h->op_count) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "header: absurd counts (%" PRIu32 " mark "
                "names, %" PRIu64 " base blocks, %" PRIu32 " contents, %" PRIu32 " ops)",
                h->name_count, h->base_count, h->content_count, h->op_count);
    }
    return 0;
}

/* The mark-name table: each name known, none twice. */
static int
native_names(struct native_reader *r, size_t *pos)
{
    bool seen[NATIVE_NAMES_MAX] = { false };
    for (uint32_t i = 0; i < r->h.name_count; i++) {
        size_t len = *pos < r->size ? r->buf[*pos] : 0;
        if (*pos >= r->size || len == 0 || len > r->size - *pos - 1) {
            return fail(FS_ECORRUPT, r->err, r->err_size, "mark name %" PRIu32 ": truncated or "
                    "empty", i);
        }
        char name[UINT8_MAX + 1];
        memcpy(name, r->buf + *pos + 1, len);
        name[len] = '\0';
        *pos += 1 + len;
        int m = strlen(name) == len ? oplog_mark_lookup(name) : -1;
        if (m < 0 || seen[m]) {
            char q[41];
            return fail(FS_ECORRUPT, r->err, r->err_size, "mark name %" PRIu32 ": '%s' is %s", i,
                    quote(name, len, q, sizeof(q)), m < 0 ? "not a mark the op log knows"
                    : "listed twice");
        }
        seen[m] = true;
        r->mark_map[i] = (uint8_t)m;
    }
    return 0;
}

static int
native_header(struct native_reader *r)
{
    if (r->size < WLOG_HEADER_SIZE + CHECKSUM_SIZE) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "%zu bytes: too short for a header", r->size);
    }
    int rc = native_header_fields(r);
    size_t pos = WLOG_HEADER_SIZE;
    if (rc == 0) {
        rc = native_names(r, &pos);
    }
    if (rc != 0) {
        return rc;
    }
    /* Each count is bounded above, so these products cannot overflow 64 bits. */
    uint64_t bs = r->h.block_size;
    uint64_t rest = r->h.base_count * (NATIVE_BASE_REC + bs) + (uint64_t)r->h.content_count * bs
        + (uint64_t)r->h.op_count * WLOG_OP_SIZE + CHECKSUM_SIZE;
    if (r->size - pos != rest) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "file has %zu bytes, its header's counts "
                "make %" PRIu64 " (truncated or extended)", r->size, (uint64_t)pos + rest);
    }
    uint64_t sum = le_get64(r->buf + r->size - CHECKSUM_SIZE);
    if (fmt_hash(r->buf, r->size - CHECKSUM_SIZE) != sum) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "checksum mismatch: the file is damaged");
    }
    r->base_pos = pos;
    r->contents_pos = pos + (size_t)(r->h.base_count * (NATIVE_BASE_REC + bs));
    r->ops_pos = r->contents_pos + (size_t)r->h.content_count * (size_t)bs;
    return 0;
}

/* Base blocks: ascending, on the device, not all zero; into the base. */
static int
native_base(struct native_reader *r, struct oplog_disk *disk)
{
    size_t bs = r->h.block_size;
    const uint8_t *p = r->buf + r->base_pos;
    for (uint64_t i = 0; i < r->h.base_count; i++, p += NATIVE_BASE_REC + bs) {
        uint64_t b = le_get64(p);
        if (b >= r->h.block_count || (i > 0 && b <= le_get64(p - NATIVE_BASE_REC - bs))) {
            return fail(FS_ECORRUPT, r->err, r->err_size, "base record %" PRIu64 ": block %"
                    PRIu64 " is off the device or not after the previous one", i, b);
        }
        if (bytes_zero(p + NATIVE_BASE_REC, bs)) {
            return fail(FS_ECORRUPT, r->err, r->err_size, "base record %" PRIu64 ": block %"
                    PRIu64 " is all zero (zero blocks are not stored)", i, b);
        }
        if (oplog_disk_base_set(disk, b, p + NATIVE_BASE_REC) != 0) {
            return fail(FS_ENOMEM, r->err, r->err_size, "base record %" PRIu64 ": out of memory",
                    i);
        }
    }
    return 0;
}

/* An op record as stored. */
struct native_op {
    uint8_t kind;               /* enum oplog_op_kind. */
    uint8_t pass;               /* Sync pass or OPLOG_PASS_NONE. */
    uint8_t activity;           /* enum oplog_activity. */
    uint8_t mark;               /* Name-table index, or NATIVE_MARK_NONE. */
    uint16_t type;              /* Block type of a write. */
    uint16_t reserved;          /* Zero. */
    uint32_t epoch;             /* Flushes before it. */
    uint32_t content;           /* Content index of a write, else OPLOG_NONE. */
    uint64_t block;             /* Block of a write, else 0. */
    uint64_t qgen;              /* Queue generation. */
};

static void
native_op_get(const uint8_t *p, struct native_op *o)
{
    *o = (struct native_op){ p[0], p[1], p[2], p[3], le_get16(p + 4), le_get16(p + 6),
        le_get32(p + 8), le_get32(p + 12), le_get64(p + 16), le_get64(p + 24) };
}

/* The fields that depend only on the record itself. */
static const char *
native_op_shape(const struct native_reader *r, const struct native_op *o)
{
    if (o->kind >= OPLOG_OP_KIND_COUNT) {
        return "unknown kind";
    }
    if (o->reserved != 0) {
        return "reserved field is not zero";
    }
    if (o->kind == OPLOG_OP_WRITE) {
        if (o->block >= r->h.block_count) {
            return "write off the device";
        }
        if (o->content >= r->h.content_count) {
            return "content index beyond the contents";
        }
        return o->mark == NATIVE_MARK_NONE ? NULL : "a write with a mark";
    }
    if (o->block != 0 || o->content != OPLOG_NONE || o->type != 0) {
        return "block, content or type set on a flush or mark";
    }
    if (o->kind == OPLOG_OP_MARK) {
        return o->mark < r->h.name_count ? NULL : "mark index beyond the name table";
    }
    return o->mark == NATIVE_MARK_NONE ? NULL : "a flush with a mark";
}

/* The stored fields against those the device derived. */
static int
native_op_check(struct native_reader *r, uint32_t i, const struct native_op *o,
        const struct oplog_op *got)
{
    const char *what = NULL;
    uint64_t want = 0, have = 0;
#define FIELD(name, stored, derived) \
    if (what == NULL && (uint64_t)(stored) != (uint64_t)(derived)) { \
        what = name; have = (uint64_t)(stored); want = (uint64_t)(derived); \
    }
    FIELD("content index (contents are numbered by first write)", o->content, got->content);
    FIELD("block type", o->type, got->type);
    FIELD("flush epoch", o->epoch, got->epoch);
    FIELD("qgen", o->qgen, got->qgen);
    FIELD("sync pass", o->pass, got->pass);
    FIELD("activity", o->activity, got->activity);
#undef FIELD
    if (what == NULL) {
        return 0;
    }
    return fail(FS_ECORRUPT, r->err, r->err_size, "op %" PRIu32 ": stored %s %" PRIu64 ", but the "
            "operations before it make %" PRIu64, i, what, have, want);
}

static int
native_ops(struct native_reader *r, struct oplog *log)
{
    size_t bs = r->h.block_size;
    const uint8_t *contents = r->buf + r->contents_pos;
    for (uint32_t i = 0; i < r->h.op_count; i++) {
        struct native_op o;
        native_op_get(r->buf + r->ops_pos + (size_t)i * WLOG_OP_SIZE, &o);
        const char *why = native_op_shape(r, &o);
        if (why != NULL) {
            return fail(FS_ECORRUPT, r->err, r->err_size, "op %" PRIu32 ": %s", i, why);
        }
        uint32_t mark = o.kind == OPLOG_OP_MARK ? r->mark_map[o.mark] : 0;
        const uint8_t *bytes = o.kind == OPLOG_OP_WRITE ? contents + (size_t)o.content * bs : NULL;
        int rc = log_append(log, o.kind, o.block, bytes, mark, o.qgen);
        if (rc != 0) {
            return fail(rc, r->err, r->err_size, "op %" PRIu32 ": out of memory", i);
        }
        rc = native_op_check(r, i, &o, &log->ops[i]);
        if (rc != 0) {
            return rc;
        }
    }
    if (log->pool.count != r->h.content_count) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "content %" PRIu32 " is never written (%"
                PRIu32 " stored)", log->pool.count, r->h.content_count);
    }
    if (oplog_hash(log) != r->h.log_hash) {
        return fail(FS_ECORRUPT, r->err, r->err_size, "log hash %016" PRIx64 " in the header, the "
                "log makes %016" PRIx64, r->h.log_hash, oplog_hash(log));
    }
    return 0;
}

static int
native_decode(const uint8_t *buf, size_t size, struct oplog_disk *disk, char *err,
        size_t err_size)
{
    struct native_reader r = { .buf = buf, .size = size, .err = err, .err_size = err_size };
    int rc = native_header(&r);
    if (rc != 0) {
        return rc;
    }
    if (oplog_disk_init(disk, r.h.block_size, r.h.block_count) != 0) {
        return fail(FS_ENOMEM, err, err_size, "out of memory for a %" PRIu64 "-block device",
                r.h.block_count);
    }
    rc = native_base(&r, disk);
    if (rc == 0) {
        oplog_start(&disk->log, r.h.epoch0, r.h.qgen0);
        rc = native_ops(&r, &disk->log);
    }
    return rc;
}

/* ==== Both formats. ==== */

int
wlog_encode(const struct oplog_disk *disk, enum wlog_format format, uint8_t **out,
        size_t *size)
{
    ASSERT(disk != NULL && out != NULL && size != NULL);
    size_t n = wlog_encoded_size(disk, format);
    uint8_t *buf = malloc(n);
    if (buf == NULL) {
        return FS_ENOMEM;
    }
    wlog_encode_into(disk, format, buf);
    *out = buf;
    *size = n;
    return 0;
}

size_t
wlog_encoded_size(const struct oplog_disk *disk, enum wlog_format format)
{
    ASSERT(disk != NULL && format < WLOG_FORMAT_COUNT);
    return format == WLOG_FORMAT_CRASHSIM ? native_size(&disk->log, disk->base_count)
        : wlog_dm_size(disk);
}

void
wlog_encode_into(const struct oplog_disk *disk, enum wlog_format format, uint8_t *buf)
{
    ASSERT(disk != NULL && buf != NULL && format < WLOG_FORMAT_COUNT);
    if (format == WLOG_FORMAT_CRASHSIM) {
        native_encode(disk, buf);
    } else {
        wlog_dm_encode(disk, buf);
    }
}

int
wlog_decode(const uint8_t *buf, size_t size, const struct wlog_geometry *geometry,
        struct oplog_disk *disk, enum wlog_format *format, char *err, size_t err_size)
{
    ASSERT(buf != NULL || size == 0);
    ASSERT(disk != NULL);
    memset(disk, 0, sizeof(*disk));
    if (err_size > 0) {
        err[0] = '\0';
    }
    enum wlog_format f;
    if (wlog_format_detect(buf, size, &f) != 0) {
        return fail(FS_ECORRUPT, err, err_size, "not a write log (no crashsim or dm-log-writes "
                "magic)");
    }
    if (format != NULL) {
        *format = f;
    }
    int rc = f == WLOG_FORMAT_CRASHSIM ? native_decode(buf, size, disk, err, err_size)
        : wlog_dm_decode(buf, size, geometry, disk, err, err_size);
    if (rc != 0) {
        oplog_disk_deinit(disk);
    }
    return rc;
}

int
wlog_write_file(const char *path, const struct oplog_disk *disk, enum wlog_format format,
        char *err, size_t err_size)
{
    uint8_t *buf;
    size_t size;
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        return fail(FS_EINVAL, err, err_size, "%.200s: path too long", path);
    }
    if (wlog_encode(disk, format, &buf, &size) != 0) {
        return fail(FS_ENOMEM, err, err_size, "out of memory encoding the log");
    }
    FILE *f = fopen(tmp, "wb");
    bool ok = f != NULL && fwrite(buf, 1, size, f) == size;
    ok = f != NULL && fclose(f) == 0 && ok;
    int e = errno;
    free(buf);
    if (!ok || rename(tmp, path) != 0) {
        e = ok ? errno : e;
        remove(tmp);
        return fail(FS_EIO, err, err_size, "%.200s: cannot write: %s", path, strerror(e));
    }
    return 0;
}

/* The whole file, malloc'ed, at most WLOG_FILE_SIZE_MAX bytes. */
static int
file_slurp(const char *path, uint8_t **out, size_t *size, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (f == NULL || fstat(fileno(f), &st) != 0) {
        int e = errno;
        if (f != NULL) {
            fclose(f);
        }
        return fail(FS_EIO, err, err_size, "%.200s: cannot read: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > WLOG_FILE_SIZE_MAX) {
        fclose(f);
        return fail(FS_EIO, err, err_size, "%.200s: not a regular file of at most %" PRIu64
                " bytes", path, (uint64_t)WLOG_FILE_SIZE_MAX);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n > 0 ? n : 1);
    size_t got = buf != NULL ? fread(buf, 1, n, f) : 0;
    fclose(f);
    if (buf == NULL || got != n) {
        free(buf);
        return fail(buf == NULL ? FS_ENOMEM : FS_EIO, err, err_size, "%.200s: cannot read %zu "
                "bytes", path, n);
    }
    *out = buf;
    *size = n;
    return 0;
}

int
wlog_read_file(const char *path, const struct wlog_geometry *geometry, struct oplog_disk *disk,
        enum wlog_format *format, char *err, size_t err_size)
{
    uint8_t *buf = NULL;
    size_t size = 0;
    memset(disk, 0, sizeof(*disk));
    int rc = file_slurp(path, &buf, &size, err, err_size);
    if (rc != 0) {
        return rc;
    }
    rc = wlog_decode(buf, size, geometry, disk, format, err, err_size);
    free(buf);
    return rc;
}

void
wlog_summarize(const struct oplog_disk *disk, struct wlog_summary *s)
{
    const struct oplog *log = &disk->log;
    ASSERT(s != NULL);
    ASSERT(log->write_count + log->flush_count <= log->count);
    *s = (struct wlog_summary){ log->block_size, log->block_count, disk->base_count,
        log->count, log->write_count, log->flush_count,
        log->count - log->write_count - log->flush_count, log->pool.count, oplog_hash(log) };
}
