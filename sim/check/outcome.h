/*
 * sim/check/outcome.h: what checking a crash state can conclude.
 *
 * One table, OUTCOMES below, names every outcome with its kind
 * (OUTCOME_KINDS) and meaning; parsing, printing, storing, counting and the
 * database's outcome_kinds table (which analysis/ reads) derive from it. In
 * the table's order:
 *
 * Fine (the file system did what it must; the last three acceptable only for
 * media-fault and forged states, which the checker alone gives them):
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
 *                         table is in sim/check/workers.c
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
 * excepted, which is why it needs a second attempt; see sim/check/workers.h).
 */
#ifndef SIM_CHECK_OUTCOME_H
#define SIM_CHECK_OUTCOME_H

#include <stdbool.h>

/* Kinds of outcome: what a verdict means for the run. */
#define OUTCOME_KINDS(X) \
    X(FINE,       "fine")           /* The file system did what it must. */ \
    X(ACCEPTABLE, "acceptable")     /* Fine for a media-fault or forged state only. */ \
    X(VIOLATION,  "violation")      /* A crash-consistency violation. */ \
    X(UNCHECKED,  "unchecked")      /* No verdict: the state could not be checked. */

enum outcome_kind {
#define X(id, name) OUTCOME_KIND_##id,
    OUTCOME_KINDS(X)
#undef X
    OUTCOME_KIND_COUNT
};

/* Every outcome: its id, name, kind and meaning (stored in the database's
 * outcome_kinds table, which analysis/ reads). */
#define OUTCOMES(X) \
    X(OK, "ok", FINE, "recovered a legal state, fs_check clean") \
    X(OK_LEAK, "ok_leak", FINE, "recovered a legal state, with leaked blocks only") \
    X(ROLLED_BACK, "rolled_back", ACCEPTABLE, \
        "a media fault: recovered a consistent older state") \
    X(DETECTED, "detected", ACCEPTABLE, \
        "a media fault: recovery, a read or fs_check refused the damage") \
    X(ACCEPTED, "accepted", ACCEPTABLE, \
        "a forged block: a state every hash and check agrees with") \
    X(UNMOUNTABLE, "unmountable", VIOLATION, "mount (recovery) failed") \
    X(CORRUPT, "corrupt", VIOLATION, "fs_check found corruption, or a read failed") \
    X(WRONG_STATE, "wrong_state", VIOLATION, \
        "the recovered state is none of the legal ones (a media fault: silent wrong data)") \
    X(LOST_SYNC, "lost_sync", VIOLATION, "an older state: a completed sync was lost") \
    X(CHECK_FAILED, "check_failed", VIOLATION, \
        "after the post-recovery workload: remount or fs_check failed, or the state changed") \
    X(POST_RECOVERY_FAILED, "post_recovery_failed", VIOLATION, \
        "the post-recovery workload failed") \
    X(ASSERT, "assert", VIOLATION, "the file system hit an assertion") \
    X(SIGNAL, "signal", VIOLATION, "the checker crashed (a signal the checked code raises)") \
    X(TIMEOUT, "timeout", VIOLATION, "the check exceeded its time limit twice (a hang)") \
    X(UNCHECKED, "unchecked", UNCHECKED, \
        "not checked: its worker was killed from outside the file system on every attempt")

enum outcome {
#define X(id, name, kind, meaning) OUTCOME_##id,
    OUTCOMES(X)
#undef X
    OUTCOME_COUNT
};

const char *outcome_name(enum outcome o);
int outcome_parse(const char *s, enum outcome *out);
enum outcome_kind outcome_kind(enum outcome o);
const char *outcome_kind_name(enum outcome_kind k);
/* One line saying what the outcome means. */
const char *outcome_meaning(enum outcome o);
/* True for the violations listed above; false for the fine ones and unchecked. */
bool outcome_is_violation(enum outcome o);
/* True for a verdict on the state; false only for unchecked, which a later
 * attempt (--resume) must replace and a duplicate must not inherit. */
bool outcome_is_final(enum outcome o);

#endif /* SIM_CHECK_OUTCOME_H */
