/*
 * faultinject/faultdev.h: a device that fails on schedule — a wrapper around any
 * struct bdev that asks faultinject/fault.h at every operation whether to
 * fail it, and how (EIO, a flipped bit, a lost or misdirected write, no
 * space). The wrapped device keeps the pristine bytes; the faults are the
 * wrapper's alone.
 */
#ifndef FAULTINJECT_FAULTDEV_H
#define FAULTINJECT_FAULTDEV_H

#include "fault.h"
#include "../fs/bdev.h"

struct faultdev {
    struct bdev bdev;               /* What the file system sees. */
    const struct bdev *inner;       /* The device underneath. */
    struct fault_state faults;      /* Schedule and counters. */
};

int faultdev_init(struct faultdev *d, const struct bdev *inner);
void faultdev_deinit(struct faultdev *d);

#endif /* FAULTINJECT_FAULTDEV_H */
