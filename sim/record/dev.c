/*
 * sim/record/dev.c: the recording disk (see dev.h).
 *
 * The device keeps no image of its own: its oplog_disk is the image. Each
 * callback hands the op to the disk: a write before recording starts sets
 * the block in the sparse base (mkfs's writes), one after it is appended to
 * the log, and a read answers from the block's last write in the log, else
 * from the base, else zeros. So memory grows with the blocks written, never
 * with the device's size. A write the disk finds no memory for changes
 * nothing: the file system sees FS_ENOMEM and the recording is abandoned.
 */
#include "dev.h"

#include <string.h>

static int
dev_read(const struct bdev *bdev, uint64_t block, void *buffer)
{
    const struct sim_dev *dev = bdev->context;
    ASSERT(block < dev->bdev.block_count);
    memcpy(buffer, oplog_disk_block(&dev->disk, block), dev->bdev.block_size);
    return 0;
}

static int
dev_write(const struct bdev *bdev, uint64_t block, const void *buffer)
{
    struct sim_dev *dev = bdev->context;
    ASSERT(block < dev->bdev.block_count);
    return oplog_disk_write(&dev->disk, block, buffer);
}

static bool
dev_hash(const struct bdev *bdev, uint64_t block, uint64_t *hash)
{
    const struct sim_dev *dev = bdev->context;
    ASSERT(block < dev->bdev.block_count);
    return oplog_disk_hash(&dev->disk, block, hash);
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
        dev_flush, dev_mark, dev_hash };
}

int
sim_dev_init(struct sim_dev *dev, uint32_t block_size, uint64_t block_count)
{
    ASSERT(block_size >= BDEV_SECTOR_SIZE);
    memset(dev, 0, sizeof(*dev));
    if (oplog_disk_init(&dev->disk, block_size, block_count) != 0) {
        return FS_ENOMEM;
    }
    dev_attach(dev);
    return 0;
}

void
sim_dev_deinit(struct sim_dev *dev)
{
    oplog_disk_deinit(&dev->disk);
    memset(dev, 0, sizeof(*dev));
}

int
sim_dev_record_start(struct sim_dev *dev)
{
    struct oplog *log = &dev->disk.log;
    ASSERT(!log->started);
    ASSERT(dev->bdev.context == dev);
    oplog_start(log, log->epoch, log->qgen);    /* The base is what was written before. */
    return 0;
}

void
sim_dev_adopt(struct sim_dev *dev, struct oplog_disk *disk)
{
    ASSERT(disk->base_index != NULL);
    ASSERT(disk->log.started);
    memset(dev, 0, sizeof(*dev));
    dev->disk = *disk;
    memset(disk, 0, sizeof(*disk));
    dev_attach(dev);
}
