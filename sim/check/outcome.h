/*
 * sim/check/outcome.h: what checking a crash state can conclude.
 *
 * One table, OUTCOMES below, names every outcome; parsing, printing, storing
 * and counting derive from it. The outcomes fall into three kinds, listed here
 * in the table's order:
 *
 * Fine (the file system did what it must):
 *   ok                    recovered a legal state, fs_check clean
 *   ok_leak               ... with leaked blocks only (GEFS leaks by design after
 *                         some crashes)
 *   rolled_back           (media faults) a consistent older state after a fault
 *   detected              (media faults) recovery or fs_check refused the damage:
 *                         mount or a read failed with FS_ECORRUPT or FS_EIO
 *   accepted              (forged blocks) the recovered state differs from every
 *                         legal one, and every hash and check agrees with it:
 *                         the forged field holds data nothing can verify (a
 *                         length, a name, a time)
 * Violations (outcome_is_violation):
 *   unmountable           mount (recovery) failed
 *   corrupt               mounted, but fs_check found corruption or a read failed
 *   wrong_state           the recovered state is none of the legal ones (under a
 *                         media fault: silent wrong data)
 *   lost_sync             it is an older state: a completed sync was lost
 *   check_failed          after the post-recovery workload, remount or fs_check
 *                         failed, or the state changed (recovery not idempotent)
 *   post_recovery_failed  the post-recovery workload (create, write, remove,
 *                         sync) failed on the recovered file system
 *   assert                the file system hit an assertion (our bug)
 *   signal                the checker crashed: it died of a signal the checked
 *                         code raises (SIGSEGV, SIGBUS, ...) or exited with a
 *                         status no worker uses (a sanitizer's report); the
 *                         table is in sim/check/pool.c
 *   timeout               the check exceeded its time limit twice (a hang)
 * Neither (not final, outcome_is_final is false):
 *   unchecked             the state could not be checked for a reason outside
 *                         the file system (its worker was killed from outside
 *                         every time it tried, or could not be started);
 *                         neither fine nor a violation; --resume checks it
 *                         again, and no duplicate may inherit it as a verdict
 *
 * Every outcome but unchecked is final: a verdict on the state that checking
 * it again would repeat, because the checked code is deterministic (timeout
 * excepted, which is why it needs a second attempt; see sim/check/pool.h).
 */
#ifndef SIM_CHECK_OUTCOME_H
#define SIM_CHECK_OUTCOME_H

#include <stdbool.h>

#define OUTCOMES(X) \
    X(OK,                   "ok") \
    X(OK_LEAK,              "ok_leak") \
    X(ROLLED_BACK,          "rolled_back") \
    X(DETECTED,             "detected") \
    X(ACCEPTED,             "accepted") \
    X(UNMOUNTABLE,          "unmountable") \
    X(CORRUPT,              "corrupt") \
    X(WRONG_STATE,          "wrong_state") \
    X(LOST_SYNC,            "lost_sync") \
    X(CHECK_FAILED,         "check_failed") \
    X(POST_RECOVERY_FAILED, "post_recovery_failed") \
    X(ASSERT,               "assert") \
    X(SIGNAL,               "signal") \
    X(TIMEOUT,              "timeout") \
    X(UNCHECKED,            "unchecked")

enum outcome {
#define X(id, name) OUTCOME_##id,
    OUTCOMES(X)
#undef X
    OUTCOME_COUNT
};

const char *outcome_name(enum outcome o);
int outcome_parse(const char *s, enum outcome *out);
/* True for the violations listed above; false for the fine ones and unchecked. */
bool outcome_is_violation(enum outcome o);
/* True for a verdict on the state; false only for unchecked, which a later
 * attempt (--resume) must replace and a duplicate must not inherit. */
bool outcome_is_final(enum outcome o);

#endif /* SIM_CHECK_OUTCOME_H */
