/*
 * sim/check/checker.h: judging one crash state.
 *
 * For a state: mount it (the file system's own recovery), run fs_check,
 * compute the recovered state's digest and find it among the legal sync
 * points (else an older one: lost_sync; else wrong_state); then run a
 * post-recovery workload (create, write, sync, remove, sync), remount, check
 * again and require the same state (recovery is idempotent). The outcome and
 * a one-line reason go into struct state_result. With a verbose stream the
 * checker also explains what recovery chose and how the state differs.
 *
 * A state with a media fault (a flipped bit, a lost or misdirected write) is judged by what a damaged
 * medium allows: a refusal that names the damage (mount, fs_check or a read
 * failing with FS_ECORRUPT or FS_EIO) is detected, an older consistent state
 * is rolled_back; a read that succeeds with bytes of no legal state is
 * silent wrong data (wrong_state), a violation as ever. A forged block (a
 * wrong field under right hashes, faultinject/forge.h) is judged the same
 * way, except that a state no legal one matches is accepted: no hash can tell
 * a forged length or name. What stays a violation there is a crash, a hang, an
 * assertion, or an error that does not name the damage.
 */
#ifndef SIM_CHECK_CHECKER_H
#define SIM_CHECK_CHECKER_H

#include <stdio.h>

#include "crash.h"
#include "outcome.h"
#include "../record/runner.h"

struct state_result {
    uint8_t outcome;            /* enum outcome. */
    int32_t recovered;          /* Sync point recovered, -1 if none matched. */
    uint32_t legal_lo;          /* Legal sync points [lo, hi]. */
    uint32_t legal_hi;
    uint64_t leaked;            /* Leaked blocks fs_check reported. */
    uint64_t corrupt;           /* Corruption findings. */
    uint64_t duration_ns;       /* Wall time of the check. */
    uint64_t probes;            /* Recovery probes hit (bitmap). */
    uint32_t memo_lookups;      /* Blocks and file chunks asked of the memo (checker_memo). */
    uint32_t memo_hits;         /* Of them, known: neither read for a digest nor hashed. */
    uint32_t hashed;            /* Blocks and file chunks whose bytes were hashed. */
    char reason[200];           /* Why, in one line. */
};

struct checker {
    const struct recording *rec;    /* What the states come from. */
    struct crash_view view;         /* The state being checked. */
    FILE *verbose;                  /* Explanations (replay), or NULL. */
    int err;                        /* The last error of a mount, read or the workload. */
    struct oracle_memo *memo;       /* Chunk digests by content (checker_memo), or NULL. */
    struct fs_check_memo *check_memo;   /* Trees fs_check found sound (checker_memo), or NULL. */
    void (*recovered)(void *arg, struct fs *fs);
                                    /* Called with the recovered file system after the
                                     * post-recovery workload, before its unmount, when
                                     * that workload ran (NULL: none): what it reached
                                     * (crashsim gen guided). It must not write. */
    void *recovered_arg;            /* Its argument. */
};

int checker_init(struct checker *c, const struct recording *rec);
void checker_deinit(struct checker *c);
/* Memoized checking from now on, for the checker's lifetime: the view tells
 * the file system the content hash of every block the log wrote
 * (crash_view_memo), the digests keep file chunks and trees by content
 * (oracle_digest_fs_memo), and fs_check the trees it found sound
 * (fs_check_memo). Verdicts are a full check's: a block or chunk is
 * known only by the hash of its bytes, so damaged bytes are never known.
 * 0, or FS_ENOMEM (the checker then checks in full). */
int checker_memo(struct checker *c);

/* Checks state s. Returns -1 if s is not a state of this recording. */
/* "block N: " for an fs_check finding's block, "" for one about no block. */
void checker_finding_where(uint64_t block, char *buf, size_t size);

int checker_check(struct checker *c, const struct crash_state *s, struct state_result *r);

#endif /* SIM_CHECK_CHECKER_H */
