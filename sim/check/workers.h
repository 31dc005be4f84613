/*
 * sim/check/workers.h: checker workers — forked processes that each check many crash
 * states.
 *
 * Each worker inherits the recording (copy-on-write after fork) and checks
 * the state indices it is sent, in batches: it puts one fixed-size record per
 * state in a page it shares with the parent, and wakes the parent once per
 * batch (or the parent looks at every tick). A worker that dies mid-batch is reaped: the state it was on is
 * judged by how the worker died, the rest of its batch goes back to the
 * queue, and a fresh worker takes its place. The campaign goes on.
 *
 * Whose death it was. The checked code is deterministic, so a death it
 * causes itself reproduces, and one it does not cause says nothing about the
 * file system. sim/check/workers.c holds the one table that sorts deaths:
 *   - a signal the checked code raises (SIGABRT: an assertion; SIGSEGV,
 *     SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS: a crash), or an exit status no
 *     worker uses (a sanitizer's report): the outcome assert or signal, at
 *     once, with the last line the worker printed;
 *   - SIGALRM, our own per-state timer: a loaded machine can cause it too, so
 *     the state is tried once more (WORKERS_TIMEOUT_RETRIES_MAX) and is a
 *     timeout only if the retry runs out of time as well; a retry that
 *     finishes gives its own result;
 *   - anything else is infrastructure: a signal from outside (SIGKILL from a
 *     user or the OOM killer, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE,
 *     SIGUSR1, ...) or an exit status of the worker's own (it lost its result
 *     pipe, or stopped early). The state is tried again in a fresh worker, at
 *     most WORKERS_RETRIES_MAX times; if every attempt dies so, workers_next returns
 *     it with the outcome unchecked (neither fine nor a violation) and a
 *     reason naming the deaths.
 * A retry goes to the front of the queue. result.retries says how many
 * attempts were lost before the one that gave the result, so every state
 * takes at most 1 + WORKERS_RETRIES_MAX + WORKERS_TIMEOUT_RETRIES_MAX attempts.
 *
 * Workers that cannot be started. A slot whose fork fails, or whose worker
 * exits at once because it could not set up its checker, is not charged to
 * any state (the state goes back to the front of the queue) but to the slot:
 * it is tried again a tick later, and after WORKERS_START_FAILURES_MAX such
 * failures in a row it is given up, with a message on stderr. The other slots
 * go on; when every slot is given up, workers_next returns -1 (an operational
 * error: the run stays unfinished and --resume continues it).
 */
#ifndef SIM_CHECK_WORKERS_H
#define SIM_CHECK_WORKERS_H

#include "../../faultinject/plan.h"
#include "checker.h"
#include "nested.h"

#define WORKERS_JOBS_MAX 64u
#define WORKERS_TICK_MS 250            /* workers_next returns at least this often. */
#define WORKERS_RETRIES_MAX 2u         /* Retries of a state whose worker died from outside. */
#define WORKERS_TIMEOUT_RETRIES_MAX 1u /* Retries of a state that ran out of time. */
#define WORKERS_START_FAILURES_MAX 3u  /* Failed starts in a row before a slot is given up. */

struct worker_result {
    uint32_t index;             /* State index. */
    uint32_t worker;            /* Worker slot that checked it. */
    uint32_t retries;           /* Attempts lost before this result (deaths, a timeout). */
    struct state_result r;      /* The verdict, or unchecked with why. */
};

struct workers;

/* Starts jobs workers over states[0..count) of rec; timeout_ms per state;
 * with memo, each worker checks memoized (checker_memo) for its lifetime.
 * Fails only if memory runs out or not one worker can be started. */
int workers_start(struct workers **out, const struct recording *rec, const struct crash_state *states,
        size_t count, uint32_t jobs, uint32_t timeout_ms, bool memo);
/* The same over nested states items[0..count) (sim/check/nested.h): each
 * worker makes the nested recordings of the items' chains as it meets them
 * (rec's sync points must keep their oracles), and indices are items'. */
int workers_start_nested(struct workers **out, const struct recording *rec,
        const struct nest_item *items, size_t count, uint32_t jobs, uint32_t timeout_ms, bool memo);
/* Queues a state index for checking. */
void workers_queue(struct workers *p, uint32_t index);
/* Waits for the next result; returns 0 and fills *out, 1 when every queued
 * state is done, 2 when WORKERS_TICK_MS passed without a result (a chance to
 * commit and report progress), or -1 on an operational error (poll failed,
 * or no worker can be started). A result's outcome may be unchecked
 * (outcome_is_final false): the caller must not treat it as a verdict. */
int workers_next(struct workers *p, struct worker_result *out);
void workers_stop(struct workers *p);

#endif /* SIM_CHECK_WORKERS_H */
