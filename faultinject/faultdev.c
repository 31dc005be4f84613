/*
 * faultinject/faultdev.c: a device that fails on schedule (see faultdev.h).
 *
 * Each operation counts itself, then asks its fault points in a fixed order
 * (a read: EIO, short, then a bit flip of what was read; a write: EIO, no space,
 * lost, misdirected; a flush: EIO), so a schedule names the same operation
 * on every run. Every device point is hit once per operation, armed or not:
 * fault_state.hit_count[] then counts operations, and the k-th hit of a
 * point is the k-th operation of its kind.
 */
#include "faultdev.h"

#include <stdlib.h>
#include <string.h>

#include "damage.h"

/* fault_hit, counting what fired on the device too. */
static bool
fd_hit(struct faultdev *d, enum fault_point point)
{
    bool fire = fault_hit(&d->faults, point);
    d->fired_count += fire;
    return fire;
}

static int
fd_read(const struct bdev *bdev, uint64_t block, void *buffer)
{
    struct faultdev *d = bdev->context;
    ASSERT(block < bdev->block_count);
    ASSERT(buffer != NULL);
    d->read_count++;
    if (fd_hit(d, FAULT_DEV_READ_EIO)) {
        memset(buffer, FAULTDEV_READ_FILL, bdev->block_size);  /* A failed read returns no bytes. */
        return FS_EIO;
    }
    int err = d->inner->read(d->inner, block, buffer);
    if (!err && fd_hit(d, FAULT_DEV_READ_SHORT)) {
        /* The first half arrived, the rest did not: the contract's short read. */
        uint32_t half = bdev->block_size / 2;
        memset((uint8_t *)buffer + half, FAULTDEV_READ_FILL, bdev->block_size - half);
        return (int)half;
    }
    if (!err && fd_hit(d, FAULT_DEV_READ_BITFLIP)) {
        uint64_t bit = (block * 2654435761u + d->faults.hit_count[FAULT_DEV_READ_BITFLIP])
            % (8ull * bdev->block_size);
        damage_flip(buffer, bit);
    }
    return err;
}

static int
fd_write(const struct bdev *bdev, uint64_t block, const void *buffer)
{
    struct faultdev *d = bdev->context;
    ASSERT(block < bdev->block_count);
    ASSERT(buffer != NULL);
    d->write_count++;
    if (block == d->write_fail_block) {         /* From here on, as if the device died. */
        fault_arm(&d->faults, FAULT_DEV_WRITE_EIO, (struct fault_arming){ 0, FAULT_PERSISTENT });
    }
    if (fd_hit(d, FAULT_DEV_WRITE_EIO)) {
        return FS_EIO;
    }
    if (fd_hit(d, FAULT_DEV_WRITE_FULL)) {
        return FS_ENOSPC;
    }
    if (fd_hit(d, FAULT_DEV_WRITE_LOST)) {
        return 0;
    }
    if (fd_hit(d, FAULT_DEV_WRITE_MISDIRECT)) {
        block = (block + 1) % bdev->block_count;
    }
    return d->inner->write(d->inner, block, buffer);
}

static int
fd_flush(const struct bdev *bdev)
{
    struct faultdev *d = bdev->context;
    ASSERT(d->inner->flush != NULL);
    d->flush_count++;
    if (fd_hit(d, FAULT_DEV_FLUSH_EIO)) {
        return FS_EIO;
    }
    return d->inner->flush(d->inner);
}

static void
fd_mark(const struct bdev *bdev, enum bdev_mark mark, uint64_t qgen)
{
    struct faultdev *d = bdev->context;
    ASSERT(mark < BDEV_MARK_COUNT);
    d->mark_count++;
    if (d->inner->mark != NULL) {
        d->inner->mark(d->inner, mark, qgen);
    }
}

int
faultdev_init(struct faultdev *d, const struct bdev *inner)
{
    ASSERT(inner != NULL);
    ASSERT(inner->read != NULL && inner->write != NULL);
    memset(d, 0, sizeof(*d));
    d->inner = inner;
    d->write_fail_block = FAULTDEV_BLOCK_NONE;
    fault_reset(&d->faults);
    d->bdev = (struct bdev){ d, inner->block_size, inner->block_count, fd_read, fd_write,
        fd_flush, fd_mark, NULL };
    return 0;
}

void
faultdev_deinit(struct faultdev *d)
{
    memset(d, 0, sizeof(*d));
}

void
faultdev_fail_nth(struct faultdev *d, enum fault_point point, uint64_t index, bool persistent)
{
    ASSERT(d->inner != NULL);
    ASSERT(point < FAULT_POINT_COUNT);
    if (index == 0) {
        return;
    }
    fault_arm(&d->faults, point, (struct fault_arming){ index - 1,
        persistent ? FAULT_PERSISTENT : 1 });
}
