/*
 * traces/oplog.h: the op log — the device operations a recording keeps, in
 * memory, and the names they are stored under.
 *
 * Model. A log is a sequence of ops, each with an index: a write (a block
 * and its new content), a flush (the device's volatile cache emptied), or a
 * mark (a label the file system announced through fs/bdev.h's mark hook; it
 * touches no block). Every op carries the state the ops before it left: the
 * flush epoch (flushes completed before it), and, from the last marks, the
 * queue generation, the sync pass and the activity. A write also carries its
 * block's type (from the content's first two bytes) and the previous write
 * to the same block. Contents live in a pool keyed by XXH3: each distinct
 * content is stored once, however often it is written, and an op holds its
 * index. Crash states, write-log files and the result store are all built
 * from this and nothing else.
 *
 * A log is begun (oplog_start) at some state: before that, flushes and marks
 * only move the current state (the epoch, qgen, pass and activity the first
 * op will carry) and writes are not kept. An oplog_disk is a log together
 * with the device's image when the log began (the base): with the log it
 * gives every block's bytes at every cut. The base is sparse: only blocks
 * written before the log began (what mkfs wrote, a write-log file's base
 * section) that are not all zero are stored, each distinct content once; any
 * other block reads as zeros, what a fresh device holds. Memory is a word per
 * block for the index plus the contents written, never the device's size.
 *
 * Names. The op kinds and the activities are one X-macro table each; the
 * marks are fs/bdev.h's BDEV_MARKS, plus "other" for a mark the log does not
 * know (a foreign dm-log-writes log's own). Every module that prints, stores
 * or parses these names takes them from here.
 *
 * Ownership: a log owns its ops, its pool and its per-block last writes; an
 * oplog_disk owns its base (pool, per-block index, zero block) and its log. Appending may run out of memory
 * (FS_ENOMEM): the log is then as it was before the call. Nothing here
 * includes anything above fs/bdev.h, fs/base.h and fs/format.h.
 */
#ifndef TRACES_OPLOG_H
#define TRACES_OPLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "../fs/base.h"
#include "../fs/bdev.h"

#define OPLOG_NONE UINT32_MAX           /* No op, no content. */
#define OPLOG_PASS_NONE 0xffu           /* Not inside a sync. */

/* The kinds of op, with the names the result store gives them. The values
 * are stored in native write-log files (traces/WLOG.md): never reorder. */
#define OPLOG_OP_KINDS(X) \
    X(WRITE, "write")       /* A block written: block, content, type. */ \
    X(FLUSH, "flush")       /* The volatile cache flushed: a flush epoch ends. */ \
    X(MARK,  "mark")        /* A label the file system announced; touches no block. */

enum oplog_op_kind {
#define X(id, name) OPLOG_OP_##id,
    OPLOG_OP_KINDS(X)
#undef X
    OPLOG_OP_KIND_COUNT
};

/* Marks: fs/bdev.h's (index = enum bdev_mark), then "other". */
#define OPLOG_MARK_OTHER ((uint32_t)BDEV_MARK_COUNT)     /* A mark the log does not know. */
#define OPLOG_MARK_COUNT (OPLOG_MARK_OTHER + 1u)

/* Activities: what writes after a mark are doing, until a mark of a sync
 * pass or the end of a sync. Each is begun by the mark of its name (the
 * BDEV_MARKS row named here). Stored as numbers in native files, after
 * OPLOG_ACT_NONE (0): never reorder. */
#define OPLOG_ACTIVITIES(X) \
    X(LOG_GROW)             /* After log.grow: an allocation log chains a block. */ \
    X(LOG_COMPRESS)         /* After log.compress: a log is rewritten compressed. */ \
    X(DLIST_MERGE)          /* After dlist.merge: deadlists merge. */

enum oplog_activity {
    OPLOG_ACT_NONE,         /* Ordinary writes; named "". */
#define X(mark) OPLOG_ACT_##mark,
    OPLOG_ACTIVITIES(X)
#undef X
    OPLOG_ACT_COUNT
};

const char *oplog_op_kind_name(enum oplog_op_kind kind);
/* "sync.pass0" ... "sync.end" (bdev_mark_name), or "other". */
const char *oplog_mark_name(uint32_t mark);
/* The mark of that name ("other" included), or -1. */
int oplog_mark_lookup(const char *name);
/* The sync pass a mark begins (0..4), or OPLOG_PASS_NONE. */
uint8_t oplog_mark_pass(uint32_t mark);
/* "" for OPLOG_ACT_NONE, else the name of the mark that begins it. */
const char *oplog_activity_name(enum oplog_activity activity);

struct oplog_op {
    uint8_t kind;           /* enum oplog_op_kind. */
    uint8_t pass;           /* Sync pass 0..4 from the last sync.passN mark, or OPLOG_PASS_NONE. */
    uint8_t activity;       /* enum oplog_activity. */
    uint8_t mark;           /* For marks: 0..OPLOG_MARK_COUNT-1 (oplog_mark_name). */
    uint16_t type;          /* Block type of a write (first two bytes; data if unknown). */
    uint32_t content;       /* Pool index of a write's bytes, else OPLOG_NONE. */
    uint32_t epoch;         /* Flushes completed before this op. */
    uint32_t prev;          /* Previous write to the same block, or OPLOG_NONE. */
    uint64_t block;         /* Block number of a write, else 0. */
    uint64_t qgen;          /* Queue generation of the last mark. */
};

/* The content pool: each distinct block content once, keyed by XXH3. */
struct oplog_pool {
    uint8_t **chunks;       /* Chunks of contents, doubling up to a bound (oplog.c). */
    uint32_t chunk_count;   /* Allocated chunks. */
    uint32_t count;         /* Contents stored. */
    uint64_t *hashes;       /* XXH3 (fmt_hash) of each content. */
    uint32_t *table;        /* Open-addressing table of content indices (OPLOG_NONE: empty). */
    uint32_t table_mask;    /* Table size - 1. */
    uint32_t block_size;    /* Bytes per content. */
};

struct oplog {
    uint32_t block_size;    /* Bytes per block of the device logged. */
    uint64_t block_count;   /* Blocks of the device logged. */
    struct oplog_op *ops;   /* The ops, by index. */
    uint32_t count;         /* Ops logged. */
    uint32_t capacity;      /* Ops allocated. */
    struct oplog_pool pool; /* Contents of the writes. */
    uint32_t *last_write;   /* Per block: its latest write op, or OPLOG_NONE. */
    uint32_t write_count;   /* Writes logged. */
    uint32_t flush_count;   /* Flushes logged. */
    bool started;           /* Ops are kept (after oplog_start); before, they move the state. */
    uint32_t epoch;         /* Current state: flushes completed, */
    uint8_t pass;           /* the sync pass (or OPLOG_PASS_NONE), */
    uint8_t activity;       /* the activity (enum oplog_activity), */
    uint64_t qgen;          /* and the queue generation of the last mark. */
};

/* A device image and its op log: the device's bytes when the log began
 * (sparse: the blocks that are not all zero), and what happened since. */
/* An image under a disk's base (oplog_disk_set_lower): what a block the base
 * stores nothing for holds, instead of zeros. A nested recording's base is
 * the crash image of its parent state (sim/check/nested.h). */
struct oplog_lower {
    const uint8_t *(*block)(const void *context, uint64_t block);  /* Its bytes. */
    bool (*hash)(const void *context, uint64_t block, uint64_t *hash);
                                    /* Its content hash when known (fmt_hash), else false. */
    const void *context;
};

struct oplog_disk {
    struct oplog_pool base_pool;    /* Contents of the base's blocks that are not all zero. */
    uint32_t *base_index;   /* Per block: its base content in base_pool, or OPLOG_NONE (zeros). */
    uint64_t base_count;    /* Blocks with a base content (not all zero). */
    uint8_t *zero;          /* block_size zero bytes: the base of every other block. */
    struct oplog log;       /* The log; its geometry is the device's. */
    struct oplog_lower lower;   /* Under the base (block NULL: zeros). Borrowed: it must
                                   outlive the disk and not change while it is read. */
};

/* An empty log, not started, at epoch 0, qgen 0, no pass. 0 or FS_ENOMEM. */
int oplog_init(struct oplog *log, uint32_t block_size, uint64_t block_count);
void oplog_deinit(struct oplog *log);
/* Begins keeping ops (the log must be empty), at flush epoch and qgen, outside any sync. */
void oplog_start(struct oplog *log, uint32_t epoch, uint64_t qgen);

/* Appending: each returns 0 or FS_ENOMEM (the log is then unchanged). Before
 * oplog_start, write keeps nothing, flush advances the epoch and mark moves
 * the qgen, pass and activity. */
int oplog_write(struct oplog *log, uint64_t block, const uint8_t *bytes);
int oplog_flush(struct oplog *log);
/* mark: 0..OPLOG_MARK_COUNT-1. The state moves even when no memory is left. */
int oplog_mark(struct oplog *log, uint32_t mark, uint64_t qgen);

const uint8_t *oplog_pool_get(const struct oplog_pool *pool, uint32_t index);
/* The content of write op index. */
const uint8_t *oplog_op_bytes(const struct oplog *log, uint32_t index);
/* The content write op index left on its block at the end of the log; NULL
 * when a later write replaced it, or op index is no write. */
const uint8_t *oplog_live_bytes(const struct oplog *log, uint32_t index);
/* The write whose bytes block holds after ops [0, cut): the last write to it
 * before cut, or OPLOG_NONE (the base; also for a block off the device). A
 * write op is live at a cut when it is its block's writer there. Walks the
 * block's writes back from the last, through prev. */
uint32_t oplog_block_writer_at(const struct oplog *log, uint64_t block, uint32_t cut);
/* The content of the last write to block; NULL if it was never written or
 * is no block of the device. */
const uint8_t *oplog_block_last(const struct oplog *log, uint64_t block);

/* XXH3 of the whole log (kinds, marks, blocks, contents): equal logs have
 * equal hashes (runs.wlog_hash); the determinism tests compare it. */
uint64_t oplog_hash(const struct oplog *log);

/* An all-zero base and an empty log; allocates nothing of block_size per
 * block. 0 or FS_ENOMEM (disk is then empty). */
int oplog_disk_init(struct oplog_disk *disk, uint32_t block_size, uint64_t block_count);
void oplog_disk_deinit(struct oplog_disk *disk);
/* Sets a block of the base, before the log starts; all-zero bytes store
 * nothing. 0, or FS_ENOMEM with the base unchanged. */
int oplog_disk_base_set(struct oplog_disk *disk, uint64_t block, const uint8_t *bytes);
/* A device write: into the base before the log starts, else appended to the
 * log (oplog_write). 0 or FS_ENOMEM, nothing changed. */
int oplog_disk_write(struct oplog_disk *disk, uint64_t block, const uint8_t *bytes);
/* Lays an image under the base: a block the base stores nothing for reads
 * as the lower image's, not zeros. Before the log starts. */
void oplog_disk_set_lower(struct oplog_disk *disk, const struct oplog_lower *lower);
/* A block's bytes when the log began (the lower image's, or zeros, if none
 * were stored). */
const uint8_t *oplog_disk_base_block(const struct oplog_disk *disk, uint64_t block);
/* The first block at or after block whose base is not all zero, or
 * block_count: walks the stored base blocks in ascending order (not the
 * lower image's: a disk with one is not written to a file). */
uint64_t oplog_disk_base_next(const struct oplog_disk *disk, uint64_t block);
/* A block's bytes at the end of the log: its last write's, else the base's. */
const uint8_t *oplog_disk_block(const struct oplog_disk *disk, uint64_t block);
/* The content hash (fmt_hash) of oplog_disk_block's bytes, from the pool:
 * true, or false for a block that holds no stored content (all zeros). */
bool oplog_disk_hash(const struct oplog_disk *disk, uint64_t block, uint64_t *hash);

#endif /* TRACES_OPLOG_H */
