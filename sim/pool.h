/*
 * sim/pool.h: checker workers — forked processes that each check many crash
 * states.
 *
 * Each worker inherits the recording (copy-on-write after fork) and checks
 * the state indices it is sent, in batches, answering one fixed-size record
 * per state. A worker that dies mid-batch (an assertion in the file system,
 * a segfault) or exceeds the per-state time limit is reaped: the state it was
 * on gets the outcome assert, signal or timeout with the last line the worker
 * printed, the rest of its batch goes back to the queue, and a fresh worker
 * takes its place. The campaign goes on.
 */
#ifndef SIM_POOL_H
#define SIM_POOL_H

#include "../faultinject/plan.h"
#include "checker.h"

#define POOL_JOBS_MAX 64u
#define POOL_TICK_MS 250            /* pool_next returns at least this often. */

struct pool_result {
    uint32_t index;             /* State index. */
    uint32_t worker;            /* Worker slot that checked it. */
    struct state_result r;      /* The verdict. */
};

struct pool;

/* Starts jobs workers over states[0..count) of rec; timeout_ms per state. */
int pool_start(struct pool **out, const struct recording *rec, const struct crash_state *states,
        size_t count, uint32_t jobs, uint32_t timeout_ms);
/* Queues a state index for checking. */
void pool_queue(struct pool *p, uint32_t index);
/* Waits for the next result; returns 0 and fills *out, 1 when every queued
 * state is done, 2 when POOL_TICK_MS passed without a result (a chance to
 * commit and report progress), or -1 on an operational error. */
int pool_next(struct pool *p, struct pool_result *out);
void pool_stop(struct pool *p);

#endif /* SIM_POOL_H */
