/*
 * sim/record/dev.h: the recording disk — an in-memory block device implementing
 * fs/bdev.h that keeps every operation in an op log (traces/oplog.h).
 *
 * The device keeps, in its oplog_disk, the image at the moment recording
 * began (the base: sparse, only the blocks written before, by mkfs) and the
 * log of every write, flush and mark since: the raw material of every crash
 * state. The bytes a reader sees now are the disk's (oplog_disk_block: the
 * block's last write, else its base, else zeros); there is no image of the
 * whole device, so a device costs two words per block plus the contents
 * written. What each op records — the content in the pool, the flush epoch,
 * the queue generation, sync pass and activity the file system's marks
 * announced, the block type — is the op log's to derive; the device only
 * hands it each operation. Before sim_dev_record_start nothing is logged:
 * writes go into the base, and flushes and marks still move the state the
 * first op will carry (the flush epoch and qgen of formatting carry over into
 * the log).
 */
#ifndef SIM_RECORD_DEV_H
#define SIM_RECORD_DEV_H

#include "../../fs/bdev.h"
#include "../../traces/oplog.h"

struct sim_dev {
    struct bdev bdev;           /* The contract fs/ sees; context points here. */
    struct oplog_disk disk;     /* The base (the image when recording began) and the log:
                                   together, what reads see now. */
};

int sim_dev_init(struct sim_dev *dev, uint32_t block_size, uint64_t block_count);
void sim_dev_deinit(struct sim_dev *dev);
/* Starts logging: what was written so far is the base. Copies nothing; 0. */
int sim_dev_record_start(struct sim_dev *dev);
/* A recording disk that goes on from a log read from a file (traces/wlog.h):
 * takes disk over, leaving *disk empty; reads see the log's end, and
 * recording continues. Allocates nothing. */
void sim_dev_adopt(struct sim_dev *dev, struct oplog_disk *disk);

#endif /* SIM_RECORD_DEV_H */
