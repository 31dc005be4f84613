/*
 * faultinject/faultdev.h: a device that fails on schedule — the one faulty
 * device wrapper of the project. It wraps any struct bdev and asks
 * faultinject/fault.h at every operation whether to fail it, and how (EIO, a
 * short read, a flipped bit, a lost or misdirected write, no space). The wrapped device
 * keeps the pristine bytes; the faults are the wrapper's alone, as are its
 * counters of operations, so a test can also use it only to count.
 *
 * Schedules (SQLite's fault loop): fault_arm(&d->faults, point, {k, repeat})
 * lets k hits of point succeed, then fails repeat of them (FAULT_PERSISTENT:
 * every one after). faultdev_fail_nth arms the k-th (1-based) read or write
 * in one call. write_fail_block starts failing writes at the first write to
 * that block, and every write after it (a crash just before the block would
 * have landed).
 *
 * A short read (FAULT_DEV_READ_SHORT) returns half a block, as fs/bdev.h
 * allows, and leaves FAULTDEV_READ_FILL bytes in the other half; the next
 * read of the block is whole unless the schedule fails it too.
 * A failed read fills the buffer with FAULTDEV_READ_FILL bytes, so a caller
 * that uses the bytes of a failed read reads garbage, not a stale block. A
 * failed write leaves the device unchanged. Marks are passed through.
 */
#ifndef FAULTINJECT_FAULTDEV_H
#define FAULTINJECT_FAULTDEV_H

#include "fault.h"
#include "../fs/bdev.h"

#define FAULTDEV_READ_FILL 0xa5u    /* What a failed read leaves in the buffer. */
#define FAULTDEV_BLOCK_NONE UINT64_MAX

struct faultdev {
    struct bdev bdev;               /* What the file system sees; context is this struct. */
    const struct bdev *inner;       /* The device underneath, which holds the bytes. */
    struct fault_state faults;      /* Schedule and counters per fault point. */
    uint64_t read_count;            /* Reads seen, failed ones included. */
    uint64_t write_count;           /* Writes seen, failed ones included. */
    uint64_t flush_count;           /* Flushes seen, failed ones included. */
    uint64_t mark_count;            /* Marks seen. */
    uint64_t fired_count;           /* Operations failed or damaged, at every point. */
    uint64_t write_fail_block;      /* Its first write arms every write from then on to fail
                                       (FAULT_DEV_WRITE_EIO); FAULTDEV_BLOCK_NONE: none. */
};

int faultdev_init(struct faultdev *d, const struct bdev *inner);
void faultdev_deinit(struct faultdev *d);

/* Fails the index-th (1-based; 0: none) hit of point, and with persistent
 * every later one too. */
void faultdev_fail_nth(struct faultdev *d, enum fault_point point, uint64_t index,
        bool persistent);

#endif /* FAULTINJECT_FAULTDEV_H */
