/*
 * sim/record/dev.h: the recording disk — an in-memory block device implementing
 * fs/bdev.h that keeps every operation in an op log (traces/oplog.h).
 *
 * The device keeps the bytes a reader sees now (the image) and, in its
 * oplog_disk, the image at the moment recording began (the base) and the log
 * of every write, flush and mark since: the raw material of every crash
 * state. What each op records — the content in the pool, the flush epoch,
 * the queue generation, sync pass and activity the file system's marks
 * announced, the block type — is the op log's to derive; the device only
 * hands it each operation. Before sim_dev_record_start nothing is logged,
 * but flushes and marks still move the state the first op will carry (the
 * flush epoch and qgen of formatting carry over into the log).
 */
#ifndef SIM_RECORD_DEV_H
#define SIM_RECORD_DEV_H

#include "../../fs/bdev.h"
#include "../../traces/oplog.h"

struct sim_dev {
    struct bdev bdev;           /* The contract fs/ sees; context points here. */
    uint8_t *image;             /* What reads see now. */
    struct oplog_disk disk;     /* The base (the image when recording began) and the log. */
};

int sim_dev_init(struct sim_dev *dev, uint32_t block_size, uint64_t block_count);
void sim_dev_deinit(struct sim_dev *dev);
/* Takes the current image as the base and starts logging. */
int sim_dev_record_start(struct sim_dev *dev);
/* A recording disk that goes on from a log read from a file (traces/wlog.h):
 * takes disk over, leaving *disk empty; the image is the log's end, and
 * recording continues. 0, or FS_ENOMEM with *disk still the caller's. */
int sim_dev_adopt(struct sim_dev *dev, struct oplog_disk *disk);

#endif /* SIM_RECORD_DEV_H */
