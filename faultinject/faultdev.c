/*
 * faultinject/faultdev.c: a device that fails on schedule (see faultdev.h).
 */
#include "faultdev.h"

#include <stdlib.h>
#include <string.h>

static int
fd_read(const struct bdev *bdev, uint64_t block, void *buffer)
{
    struct faultdev *d = bdev->context;
    ASSERT(block < bdev->block_count);
    if (fault_hit(&d->faults, FAULT_DEV_READ_EIO)) {
        return FS_EIO;
    }
    int err = d->inner->read(d->inner, block, buffer);
    if (!err && fault_hit(&d->faults, FAULT_DEV_READ_BITFLIP)) {
        uint64_t bit = (block * 2654435761u + d->faults.hit_count[FAULT_DEV_READ_BITFLIP])
            % (8ull * bdev->block_size);
        ((uint8_t *)buffer)[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    return err;
}

static int
fd_write(const struct bdev *bdev, uint64_t block, const void *buffer)
{
    struct faultdev *d = bdev->context;
    ASSERT(block < bdev->block_count);
    if (fault_hit(&d->faults, FAULT_DEV_WRITE_EIO)) {
        return FS_EIO;
    }
    if (fault_hit(&d->faults, FAULT_DEV_WRITE_FULL)) {
        return FS_ENOSPC;
    }
    if (fault_hit(&d->faults, FAULT_DEV_WRITE_LOST)) {
        return 0;
    }
    if (fault_hit(&d->faults, FAULT_DEV_WRITE_MISDIRECT)) {
        block = (block + 1) % bdev->block_count;
    }
    return d->inner->write(d->inner, block, buffer);
}

static int
fd_flush(const struct bdev *bdev)
{
    struct faultdev *d = bdev->context;
    ASSERT(d->inner->flush != NULL);
    if (fault_hit(&d->faults, FAULT_DEV_FLUSH_EIO)) {
        return FS_EIO;
    }
    return d->inner->flush(d->inner);
}

static void
fd_mark(const struct bdev *bdev, const char *what, uint64_t qgen)
{
    struct faultdev *d = bdev->context;
    if (d->inner->mark != NULL) {
        d->inner->mark(d->inner, what, qgen);
    }
}

int
faultdev_init(struct faultdev *d, const struct bdev *inner)
{
    ASSERT(inner != NULL);
    memset(d, 0, sizeof(*d));
    d->inner = inner;
    fault_reset(&d->faults);
    d->bdev = (struct bdev){ d, inner->block_size, inner->block_count, fd_read, fd_write,
        fd_flush, fd_mark };
    return 0;
}

void
faultdev_deinit(struct faultdev *d)
{
    memset(d, 0, sizeof(*d));
}
