/*
 * sim/record/dev.c: the recording disk (see dev.h).
 *
 * Each callback does the device's part (the image) and hands the op to the
 * log, which keeps it once recording has started and otherwise only moves
 * its state. A write the log finds no memory for still reached the image:
 * the file system sees FS_ENOMEM and the recording is abandoned. Until the
 * log starts, a write lands in the base as well, so the base is the image
 * when it starts without a copy of the whole device.
 */
#include "dev.h"

#include <stdlib.h>
#include <string.h>

static int
dev_read(const struct bdev *bdev, uint64_t block, void *buffer)
{
    const struct sim_dev *dev = bdev->context;
    ASSERT(block < dev->bdev.block_count);
    memcpy(buffer, dev->image + block * dev->bdev.block_size, dev->bdev.block_size);
    return 0;
}

static int
dev_write(const struct bdev *bdev, uint64_t block, const void *buffer)
{
    struct sim_dev *dev = bdev->context;
    ASSERT(block < dev->bdev.block_count);
    memcpy(dev->image + block * dev->bdev.block_size, buffer, dev->bdev.block_size);
    if (!dev->disk.log.started) {           /* The base is the image until the log starts. */
        memcpy(dev->disk.base + block * dev->bdev.block_size, buffer, dev->bdev.block_size);
    }
    return oplog_write(&dev->disk.log, block, buffer);
}

static int
dev_flush(const struct bdev *bdev)
{
    struct sim_dev *dev = bdev->context;
    ASSERT(dev != NULL);
    return oplog_flush(&dev->disk.log);
}

static void
dev_mark(const struct bdev *bdev, enum bdev_mark mark, uint64_t qgen)
{
    struct sim_dev *dev = bdev->context;
    ASSERT(mark < BDEV_MARK_COUNT);
    (void)oplog_mark(&dev->disk.log, mark, qgen);   /* A mark never fails: out of memory, the
                                                       log lacks it and the state moved. */
}

static void
dev_attach(struct sim_dev *dev)
{
    const struct oplog *log = &dev->disk.log;
    dev->bdev = (struct bdev){ dev, log->block_size, log->block_count, dev_read, dev_write,
        dev_flush, dev_mark };
}

int
sim_dev_init(struct sim_dev *dev, uint32_t block_size, uint64_t block_count)
{
    ASSERT(block_size >= BDEV_SECTOR_SIZE);
    memset(dev, 0, sizeof(*dev));
    dev->image = calloc(block_count, block_size);
    if (dev->image == NULL || oplog_disk_init(&dev->disk, block_size, block_count) != 0) {
        sim_dev_deinit(dev);
        return FS_ENOMEM;
    }
    dev_attach(dev);
    return 0;
}

void
sim_dev_deinit(struct sim_dev *dev)
{
    free(dev->image);
    oplog_disk_deinit(&dev->disk);
    memset(dev, 0, sizeof(*dev));
}

int
sim_dev_record_start(struct sim_dev *dev)
{
    struct oplog *log = &dev->disk.log;
    ASSERT(!log->started);
    ASSERT(dev->image != NULL);
    /* No copy: dev_write kept the base equal to the image, and the pages of
     * blocks never written stay untouched (a copy faulted in both devices). */
    oplog_start(log, log->epoch, log->qgen);
    return 0;
}

int
sim_dev_adopt(struct sim_dev *dev, struct oplog_disk *disk)
{
    const struct oplog *log = &disk->log;
    ASSERT(disk->base != NULL);
    ASSERT(log->started);
    memset(dev, 0, sizeof(*dev));
    dev->image = malloc((size_t)log->block_count * log->block_size);
    if (dev->image == NULL) {
        return FS_ENOMEM;
    }
    for (uint64_t b = 0; b < log->block_count; b++) {
        memcpy(dev->image + b * log->block_size, oplog_disk_block(disk, b), log->block_size);
    }
    dev->disk = *disk;
    memset(disk, 0, sizeof(*disk));
    dev_attach(dev);
    return 0;
}
