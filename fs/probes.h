/*
 * fs/probes.h: named probes in the recovery and checking code, one table.
 *
 * A probe is a bit set when the code passes a point worth knowing about in a
 * crash campaign: which superblock recovery chose, whether log replay cut at
 * a barrier, what fs_check found. Probes cost one OR; they are on in every
 * build. The bits accumulate process-wide until fs_probes_take() returns and
 * clears them, so a checker reads the probes of one crash state at a time.
 * A probe's bit is its row in the table, which a result database stores
 * (results.probes): new probes go at the end, so old rows keep their names.
 */
#ifndef FS_PROBES_H
#define FS_PROBES_H

#include <stdint.h>

#define PROBES(X) \
    X(MOUNT_SB0,             "mount.sb0")              /* recovery used sb0 */ \
    X(MOUNT_SB1_FALLBACK,    "mount.sb1_fallback")     /* sb0 invalid: used sb1 */ \
    X(MOUNT_NO_SUPER,        "mount.no_superblock")    /* neither superblock valid */ \
    X(MOUNT_H0,              "mount.h0")               /* an arena's h0 matched */ \
    X(MOUNT_H1_FALLBACK,     "mount.h1_fallback")      /* h0 did not match: used h1 */ \
    X(MOUNT_NO_HEADER,       "mount.no_arena_header")  /* neither header matched */ \
    X(LOG_REPLAY_CHAIN,      "log.replay_chain")       /* replay followed a chain link */ \
    X(LOG_REPLAY_OLD_SYNC,   "log.replay_old_barrier") /* replay passed an older barrier */ \
    X(LOG_REPLAY_CUT,        "log.replay_cut")         /* replay stopped at the barrier */ \
    X(LOG_TRUNCATE_TAIL,     "log.truncate_tail")      /* entries after it were dropped */ \
    X(LOG_REPLAY_TO_END,     "log.replay_to_end")      /* no committed barrier: whole log */ \
    X(LOG_REPLAY_BAD,        "log.replay_corrupt")     /* replay found a bad block or entry */ \
    X(MOUNT_SNAP_BAD,        "mount.snapshot_tree_bad") /* label or record unreadable */ \
    X(SYNC_COMPRESS,         "sync.compress")          /* the first sync compressed logs */ \
    X(SYNC_LOG_GROW,         "sync.log_grow")          /* a log chained a new block */ \
    X(SYNC_DEFERRED,         "sync.deferred_release")  /* pass 4 released deferred frees */ \
    X(SNAP_RECLAIM,          "snap.reclaim")           /* a snapshot's deadlists reclaimed */ \
    X(CHECK_CLEAN,           "check.clean")            /* fs_check found nothing */ \
    X(CHECK_WARNING,         "check.warning")          /* a stale or damaged second copy */ \
    X(CHECK_LEAK_FOUND,      "check.leak_found")       /* allocated, unreachable blocks */ \
    X(CHECK_CORRUPT_FOUND,   "check.corrupt_found")    /* corruption */ \
    X(CHECK_SB1_STALE,       "check.sb1_stale")        /* sb1 older than sb0 */ \
    X(CHECK_H1_STALE,        "check.h1_stale")         /* h1 differs from h0 */ \
    X(FS_BROKE,              "fs.broke")               /* went read-only on corruption */ \
    X(SYNC_COMPRESS_NO_ROOM, "sync.compress_no_room")  /* a compression was due: no room */ \
    X(SYNC_STALE_FIRST,      "sync.stale_copy_first")  /* a stale h1 or sb1 written first */

enum fs_probe {
#define X(id, name) FS_PROBE_##id,
    PROBES(X)
#undef X
    FS_PROBE_COUNT
};

_Static_assert(FS_PROBE_COUNT <= 64, "probes fit one 64-bit bitmap");

extern uint64_t fs_probe_bits;

#ifdef FS_PROBES_OFF                /* Only to measure what probes cost (make bench). */
#define FS_PROBE(id) ((void)0)
#else
#define FS_PROBE(id) (fs_probe_bits |= 1ull << FS_PROBE_##id)
#endif

/* The probes hit since the last call, and clears them. */
uint64_t fs_probes_take(void);
/* The name of probe bit i ("mount.sb1_fallback"), NULL past the last. */
const char *fs_probe_name(uint32_t i);

#endif /* FS_PROBES_H */
