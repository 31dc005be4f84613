/*
 * sim/check/crash.h: crash images — a crash state of a recording, seen as a block
 * device, built without copying the image.
 *
 * The view keeps a copy-on-write overlay over the recording's base image: a
 * per-block reference to the pool content of the latest write before the
 * cut. Moving the cut forward applies the writes in between; moving it back
 * rebuilds from the base. A state's faults (lost writes, a torn write, a
 * media fault) are a handful of per-block overrides on top. What each fault
 * does to the bytes is faultinject/damage.h's: the view tells it which write
 * each block holds and lays the blocks it answers with over the image.
 * Writes made while checking the state (recovery's next sync, the
 * post-recovery workload) go to a private scratch layer that is thrown away
 * before the next state.
 *
 * The signature of a state is an order-independent hash of every block that
 * differs from the base: states with equal signatures read identical bytes,
 * so the explorer checks only one of them.
 */
#ifndef SIM_CHECK_CRASH_H
#define SIM_CHECK_CRASH_H

#include "../../faultinject/damage.h"
#include "../../faultinject/plan.h"
#include "../../traces/oplog.h"

#define CRASH_OVERRIDES_MAX (CRASH_DROPS_MAX + 3u + DAMAGE_BLOCKS_MAX)

struct crash_view {
    struct bdev bdev;                   /* The crash image as a device. */
    const struct oplog_disk *disk;      /* The recording: its base and log. */
    uint32_t cut;                       /* Prefix the overlay reflects. */
    uint32_t *map;                      /* Per block: write op of its content, or OPLOG_NONE. */
    uint64_t *hash;                     /* Per block: that content's hash, where map has one. */
    uint64_t sig;                       /* Signature of the prefix overlay. */
    uint64_t state_sig;                 /* Signature with the state's overrides. */
    uint64_t ov_block[CRASH_OVERRIDES_MAX];     /* Overridden blocks. */
    const uint8_t *ov_bytes[CRASH_OVERRIDES_MAX]; /* Their bytes (NULL: the base). */
    uint32_t ov_count;                  /* Entries. */
    uint8_t *torn_buf;                  /* Bytes of a torn block. */
    struct damage damage;               /* The state's media fault: the blocks it changed
                                           (a flipped, forged, resealed block's bytes in
                                           damage.buf) and the unreadable block. */
    uint64_t *meta;                     /* Metadata blocks of the image at meta_cut. */
    uint64_t meta_count;                /* Entries. */
    uint32_t meta_cut;                  /* Cut they were found at, or OPLOG_NONE. */
    uint32_t *slot;                     /* Per block: scratch slot, or OPLOG_NONE. */
    uint8_t *scratch;                   /* Scratch blocks. */
    uint64_t *touched;                  /* Blocks with a scratch slot. */
    uint32_t scratch_used;              /* Slots in use. */
    uint32_t scratch_cap;               /* Bound. */
    uint64_t scratch_writes;            /* Writes to scratch since the last reset. */
    bool write_fail;                    /* A write found no slot: the state is too big. */
};

int crash_view_init(struct crash_view *v, const struct oplog_disk *disk);
/* With on, the view tells the file system the content hash of every block
 * that holds a write of the log (struct bdev's hash), from the pool, so
 * blocks verified by hash need not be hashed again; off (the default), the
 * file system hashes every block it reads. */
void crash_view_memo(struct crash_view *v, bool on);
void crash_view_deinit(struct crash_view *v);

/* Makes the view show state s (and drops earlier scratch writes). Returns -1
 * if s does not fit the recording (cut beyond the log, a drop that is not a
 * write, ...). */
int crash_view_set(struct crash_view *v, const struct crash_state *s);

/* Forgets scratch writes: the view shows the state again. */
void crash_view_reset(struct crash_view *v);

/* The state's bytes of a block (no check's writes may be in the scratch
 * layer), valid until the view changes; and its content hash when the view
 * knows it (view_hash's rule). */
const uint8_t *crash_view_block(const struct crash_view *v, uint64_t block);
bool crash_view_hash(const struct crash_view *v, uint64_t block, uint64_t *hash);
/* The view as the image under another disk's base (oplog_disk_set_lower):
 * a nested recording of the state it shows. The view must then keep
 * showing that state, with no scratch writes, while the disk is read. */
struct oplog_lower crash_view_lower(const struct crash_view *v);
/* Points the view at another disk (a nested recording), keeping what it
 * allocated when the geometry is the same; the view shows nothing set until
 * crash_view_set. 0 or FS_ENOMEM (the view is then deinitialised). */
int crash_view_rebind(struct crash_view *v, const struct oplog_disk *disk);

/* The blocks whose bytes the state's faults changed, for explanations. */
uint32_t crash_view_overrides(const struct crash_view *v, const uint64_t **blocks);

#endif /* SIM_CHECK_CRASH_H */
