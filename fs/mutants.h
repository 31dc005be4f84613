/*
 * fs/mutants.h: the seeded bugs the harness must catch, one table.
 *
 * Each is a compile-time switch, off in every normal build: building with
 * -DMUTANT_<NAME> (make MUTANT=<NAME>) plants that bug. The code of a mutant
 * sits next to the code it breaks, under #ifdef MUTANT_<NAME>. The class is
 * the GEFS bug class (GEFS.md §14) it stands for; a class that starts with
 * "equivalent" marks a mutant that cannot change any outcome the device
 * models allow, and the description says why. `make mutants`
 * (scripts/mutants) builds each one and runs one fixed suite against it.
 */
#ifndef FS_MUTANTS_H
#define FS_MUTANTS_H

#define MUTANTS(X) \
    X(SUPER_BEFORE_HEADERS, "sync ordering", \
      "passes 1 and 2 swapped: the superblocks are queued a generation before the primary " \
      "arena headers (h0)") \
    X(HEADERS_SAME_PASS, "sync ordering", \
      "h0 and h1 of every arena are written in the same pass (1), so no header copy is " \
      "stable while the other is rewritten") \
    X(BARRIER_TAIL_UNWRITTEN, "sync ordering", \
      "pass 0 appends the barrier but does not write the log tail; it reaches the disk only" \
      " when the log next grows") \
    X(REPLAY_PAST_BARRIER, "log replay", \
      "log replay ignores the barrier and replays past the committed sync") \
    X(DEFERRED_LOGGED_LATE, "allocation accounting", \
      "the frees a commit makes possible are logged after its barrier (GEFS L4): a crash " \
      "before the next commit leaks them") \
    X(DEFERRED_FREE_AT_ONCE, "H1 premature reuse", \
      "deferred frees (reclaimed deadlists, snapshot sweeps, replaced snapshot-tree blocks)" \
      " go into the free map at once, reusable before the commit that frees them is durable") \
    X(DLIST_REWRITE_IN_PLACE, "H2 in-place rewrite", \
      "new kills for an existing deadlist are appended into its committed head block, " \
      "rewritten in place, instead of a new block") \
    X(WQ_ADDR_ORDER, "write ordering", \
      "the write queue is ordered by address only, ignoring qgen (sb0 at block 0 goes " \
      "first)") \
    X(SNAPTREE_FREE_EARLY, "H1 premature reuse", \
      "replaced snapshot-tree blocks (the pass-4 deferred frees) are freed at once, before " \
      "the superblock that stops referencing them is written") \
    X(LOG_GROW_UNRECORDED, "allocation accounting", \
      "log growth does not log the new log block's own allocation: replay sees it free") \
    X(LOG_GROW_TAIL_FIRST, "equivalent here: write ordering", \
      "log growth writes the old tail (pointing at the new block) before the new block. " \
      "Equivalent in our design: replay stops at the committed barrier, which is in or " \
      "before the old tail, so no committed state follows the new pointer; both writes " \
      "precede the pass-0 flush and the superblock") \
    X(COMPRESS_SWITCH_EARLY, "write ordering", \
      "compression runs after the barriers and switches the packed header to the new chain," \
      " whose tail is written only at the next sync") \
    X(ARENA_HASH_STALE, "commit integrity", \
      "the arena hash in the superblock is taken from the header as packed before its final" \
      " update (the previous sync's)") \
    X(NEXTQID_NOT_PERSISTED, "metadata persistence", \
      "the superblock keeps nextqid from format: after remount qids are reused") \
    X(SNAP_OP_NOT_DIRTY, "lost commit", \
      "a snapshot operation (label, fork, delete) does not mark the snapshot tree dirty, " \
      "so the sync after it keeps the old snapshot-tree root in the superblock") \
    X(KILL_GEN_OFF_BY_ONE, "kill or free", \
      "kill-or-free compares generations with <= instead of <: blocks of the last committed" \
      " generation are freed at once instead of killed") \
    X(DELETE_MERGE_WRONG_BIRTH, "deadlist reclaim", \
      "snapshot deletion keeps (merges) deadlists with birth < pred instead of <= pred: " \
      "birth == pred is freed while still alive") \
    X(TRUNCATE_KEEPS_BLOCKS, "space accounting", \
      "a shrinking truncate does not release (clear) the data blocks past the new size") \
    X(REMOVE_KEEPS_BLOCKS, "space accounting", \
      "removing a file does not release (clear) its data blocks") \
    X(SHORT_PULL_RESTART, "tree update", \
      "after a short pull tree_upsert restarts each pass from the first message of the " \
      "batch, re-applying messages") \
    X(LOOKUP_SKIP_ROOT_BUFFER, "tree lookup", \
      "lookup does not apply the messages buffered in the root") \
    X(HARDENED_NO_FLUSH_BEFORE_SUPER, "sync ordering", \
      "hardened profile: the flush before pass 2 (the superblocks) is missing") \
    X(FMAP_COALESCE_GAP, "allocation accounting", \
      "free-map coalescing merges a neighbour one block away, taking the block between (in " \
      "use) with it") \
    X(DATA_NO_VERIFY, "verification", \
      "data blocks are read (and found in the cache) without hash verification") \
    X(REPLAY_KEEP_ONE_PAST, "log replay", \
      "log-replay truncation keeps the first entry after the committed barrier") \
    X(PARTIAL_WRITE_STALE, "file data", \
      "a write into part of a block starts from zeros, not the block's old bytes: the rest " \
      "of the block reads as zeros") \
    X(STALE_COPY_LAST, "sync ordering", \
      "the first sync after a mount that found h1 or sb1 stale (a crash between the " \
      "superblocks and h1) writes the copies in the usual order, overwriting first the only " \
      "copy the durable superblock can use (found by nested crashes)")

#endif /* FS_MUTANTS_H */
