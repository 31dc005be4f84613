/*
 * sim/record/dev.h: the recording disk — an in-memory block device implementing
 * fs/bdev.h that keeps every operation in a write log.
 *
 * Every write, flush and mark gets an index in the log. A write records the
 * block, a reference into the content pool (contents keyed by XXH3, stored
 * once however often they are written), the flush epoch (flushes completed
 * before it), the queue generation and sync pass announced by the last marks,
 * and the block's type. The device keeps the bytes a reader sees now (the
 * image) and the image at the moment recording began (the base): together
 * with the log they are the raw material of every crash state.
 */
#ifndef SIM_RECORD_DEV_H
#define SIM_RECORD_DEV_H

#include "../../fs/bdev.h"

#define SIM_PASS_NONE 0xffu         /* Not inside a sync. */

enum sim_op_kind {
    SIM_OP_WRITE,
    SIM_OP_FLUSH,
    SIM_OP_MARK,
};

enum sim_activity {
    SIM_ACT_NONE,           /* Ordinary writes. */
    SIM_ACT_LOG_GROW,       /* After a "log.grow" mark, until the next mark. */
    SIM_ACT_LOG_COMPRESS,   /* "log.compress". */
    SIM_ACT_DLIST_MERGE,    /* "dlist.merge". */
    SIM_ACT_COUNT
};

struct sim_op {
    uint8_t kind;           /* enum sim_op_kind. */
    uint8_t pass;           /* Sync pass 0..4 from the last "sync.passN", or SIM_PASS_NONE. */
    uint8_t activity;       /* enum sim_activity. */
    uint8_t mark;           /* For marks: index into sim_mark_names. */
    uint16_t type;          /* Block type of a write (first two bytes; data if unknown). */
    uint32_t content;       /* Pool index of a write's bytes. */
    uint32_t epoch;         /* Flushes completed before this op. */
    uint32_t prev;          /* Previous write to the same block, or SIM_NONE. */
    uint64_t block;         /* Block number of a write. */
    uint64_t qgen;          /* Queue generation of the last mark. */
};

#define SIM_NONE UINT32_MAX

extern const char *const sim_mark_names[];
uint32_t sim_mark_count(void);

struct sim_pool {
    uint8_t **chunks;       /* Chunks of SIM_POOL_CHUNK blocks. */
    uint32_t chunk_count;   /* Allocated chunks. */
    uint32_t count;         /* Contents stored. */
    uint64_t *hashes;       /* XXH3 of each content. */
    uint32_t *table;        /* Open-addressing table of content indices (SIM_NONE: empty). */
    uint32_t table_mask;    /* Table size - 1. */
    uint32_t block_size;    /* Bytes per content. */
};

#define SIM_POOL_CHUNK 256u

struct sim_dev {
    struct bdev bdev;           /* The contract fs/ sees; context points here. */
    uint32_t block_size;        /* Bytes per block. */
    uint64_t block_count;       /* Blocks. */
    uint8_t *image;             /* What reads see now. */
    uint8_t *base;              /* The image when recording began. */
    uint32_t *last_write;       /* Per block: its latest write op, or SIM_NONE. */
    struct sim_op *ops;         /* The write log. */
    uint32_t op_count;          /* Entries. */
    uint32_t op_cap;            /* Allocated entries. */
    struct sim_pool pool;       /* Contents of writes. */
    bool recording;             /* Log operations (after sim_dev_record_start). */
    uint32_t epoch;             /* Flushes completed. */
    uint8_t pass;               /* Current sync pass. */
    uint8_t activity;           /* Current activity. */
    uint64_t qgen;              /* Queue generation of the last mark. */
    uint32_t write_count;       /* Writes logged. */
    uint32_t flush_count;       /* Flushes logged. */
};

int sim_dev_init(struct sim_dev *dev, uint32_t block_size, uint64_t block_count);
void sim_dev_deinit(struct sim_dev *dev);
/* Takes the current image as the base and starts logging. */
int sim_dev_record_start(struct sim_dev *dev);

const uint8_t *sim_pool_get(const struct sim_pool *pool, uint32_t index);
/* Stores bytes (if new) and returns their index, or SIM_NONE when out of memory. */
uint32_t sim_pool_put(struct sim_pool *pool, const uint8_t *bytes);

/* XXH3 of the whole write log (kinds, blocks, contents, marks): equal logs
 * have equal hashes; the determinism tests compare it. */
uint64_t sim_dev_log_hash(const struct sim_dev *dev);

/* The planner's view of the log (faultinject/plan.h): kinds, marks, epochs,
 * sectors and the bytes of each write. NULL when memory runs out; free it. */
struct plan_op;
struct plan_op *sim_dev_plan_ops(const struct sim_dev *dev);

#endif /* SIM_RECORD_DEV_H */
