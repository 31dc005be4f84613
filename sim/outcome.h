/*
 * sim/outcome.h: what checking a crash state can conclude.
 *
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
 * Violations:
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
 *   signal                the checker died of a signal (a crash)
 *   timeout               the check exceeded its time limit (a hang)
 */
#ifndef SIM_OUTCOME_H
#define SIM_OUTCOME_H

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
    X(TIMEOUT,              "timeout")

enum outcome {
#define X(id, name) OUTCOME_##id,
    OUTCOMES(X)
#undef X
    OUTCOME_COUNT
};

const char *outcome_name(enum outcome o);
int outcome_parse(const char *s, enum outcome *out);
bool outcome_is_violation(enum outcome o);

#endif /* SIM_OUTCOME_H */
