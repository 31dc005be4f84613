/*
 * faultinject/fault.h: fault points, one table (XFS manner), and their
 * schedule (SQLite faultsim manner): a countdown of hits that succeed, then
 * a number of hits that fail (FAULT_PERSISTENT: every one after).
 *
 * Only sim/ and tests/ call it; fs/ has no fault hooks: device faults are
 * injected by a device wrapper (faultinject/faultdev.h) around the storage
 * contract, and a failing block allocation by a test that wraps the file
 * system's alloc_block at link time (tests/test_errpath.c).
 */
#ifndef FAULTINJECT_FAULT_H
#define FAULTINJECT_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#define FAULT_POINTS(X) \
    X(DEV_READ_EIO,        "dev.read.eio")        /* a read fails */ \
    X(DEV_READ_SHORT,      "dev.read.short")      /* half a block arrives; the rest on retry */ \
    X(DEV_READ_BITFLIP,    "dev.read.bitflip")    /* a read returns one bit flipped */ \
    X(DEV_WRITE_EIO,       "dev.write.eio")       /* a write fails, nothing written */ \
    X(DEV_WRITE_LOST,      "dev.write.lost")      /* acknowledged, never persisted */ \
    X(DEV_WRITE_MISDIRECT, "dev.write.misdirect") /* lands on the next block instead */ \
    X(DEV_WRITE_FULL,      "dev.write.full")      /* the device reports no space */ \
    X(DEV_FLUSH_EIO,       "dev.flush.eio")       /* a flush fails */ \
    X(ALLOC_BLOCK,         "alloc.block")         /* a block allocation fails */

enum fault_point {
#define X(point, name) FAULT_##point,
    FAULT_POINTS(X)
#undef X
    FAULT_POINT_COUNT
};

#define FAULT_PERSISTENT UINT64_MAX

struct fault_arming {
    uint64_t countdown;     /* Hits that succeed before the first fault. */
    uint64_t repeat;        /* Faults injected after that; FAULT_PERSISTENT: all. */
};

struct fault_state {
    struct fault_arming arm[FAULT_POINT_COUNT];     /* The schedule per point. */
    bool armed[FAULT_POINT_COUNT];                  /* Points with a schedule. */
    uint64_t hit_count[FAULT_POINT_COUNT];          /* Times each point was reached. */
    uint64_t fired_count[FAULT_POINT_COUNT];        /* Times it failed. */
};

void fault_reset(struct fault_state *f);
void fault_arm(struct fault_state *f, enum fault_point point, struct fault_arming arming);
void fault_disarm(struct fault_state *f);
/* Counts a hit of point; true if it must fail now. A NULL state never fails. */
bool fault_hit(struct fault_state *f, enum fault_point point);
/* Empty: there to hold a breakpoint when any fault fires. */
void fault_fired(enum fault_point point);
uint64_t fault_fired_total(const struct fault_state *f);
const char *fault_point_name(enum fault_point point);

#endif /* FAULTINJECT_FAULT_H */
