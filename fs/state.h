/*
 * fs/state.h: the state of a mounted file system, shared by the modules of fs/.
 *
 * Ownership: fs_mount sizes every buffer from struct fs_config and the
 * superblock and carves them out of one allocation (fs->mem); after mount
 * nothing is allocated. One thread runs the file system; there are no locks.
 *
 * Three kinds of free exist, and the difference is the crash argument:
 *   - a block born after the last commit was never part of a committed state:
 *     it is freed at once (log Free1, back into the free map; a pending write
 *     of it is cancelled);
 *   - a block of a committed state that a commit makes free (reclaimed
 *     deadlists, the old snapshot tree, the old log chain after compression)
 *     is "deferred": logged before the barrier of the commit that frees it, but
 *     kept out of the free map until that commit's superblock is durable
 *     (sync pass 4). This is how GEFS hazard H1 cannot happen here;
 *   - a block still referenced by a snapshot is killed into a deadlist.
 */
#ifndef FS_STATE_H
#define FS_STATE_H

#include "bdev.h"
#include "format.h"
#include "fs.h"

/* Steps of the generation, qid and queue counters one commit and the call
 * before it may take. A counter this close to FMT_QGEN_LIMIT (which no
 * file system reaches by use: 2^56 commits) is exhausted: a create is
 * FS_ENOSPC and a commit refuses, rather than write a superblock mount
 * would reject. */
#define FS_COUNTER_SLACK 16u

static inline bool
fs_counter_exhausted(uint64_t counter)
{
    return counter >= FMT_QGEN_LIMIT - FS_COUNTER_SLACK;
}

struct range {
    uint64_t off;           /* Byte address of the first free block. */
    uint64_t len;           /* Bytes, a multiple of the block size, > 0. */
};

struct arena {
    uint64_t start;             /* Byte address of h0; h1 follows, then usable space. */
    bool h1_stale;              /* Mount used h0 and h1 does not carry its hash (a crash
                                   between the superblocks and h1): the next sync writes
                                   h1 first (fs.c, sync_queue). */
    uint64_t size;              /* Usable bytes from start + 2 blocks. */
    uint64_t used;              /* Allocated bytes as the log says (replay-equivalent). */
    uint64_t free_bytes;        /* Bytes in the free map (excludes deferred frees). */
    uint64_t reserve;           /* Bytes ordinary allocations leave free. */
    struct range *free;         /* Sorted, coalesced, non-touching free ranges. */
    uint32_t free_count;        /* Ranges in use. */
    uint32_t free_cap;          /* Ranges allocated; bounds free_count. */
    struct bptr loghd;          /* First block of the allocation log. */
    uint64_t logtl_addr;        /* Address of the tail block, kept in memory. */
    uint8_t *logtl;             /* The tail block image (header packed at write). */
    uint32_t logsz;             /* Bytes used in the tail's data area. */
    bool logtl_dirty;           /* Tail has entries not yet written. */
    uint64_t *chain;            /* Addresses of the log chain's blocks, head first. */
    uint32_t chain_cap;         /* Bound of the chain. */
    uint32_t log_block_count;   /* Blocks in the chain (GEFS nlog). */
    uint32_t log_block_count_last; /* Chain length after the last compression. */
    uint32_t log_cut_block;     /* Chain position (from 1) of the block holding the
                                 * committed barrier at mount; 0: replay found none. */
    uint32_t log_cut_size;      /* Bytes of entries replay dropped after that barrier. */
    uint8_t *hdr;               /* The packed header, identical for h0 and h1. */
    uint64_t hdr_hash;          /* fmt_hash of hdr, the superblock's arena hash. */
    struct fmt_arena_header hdr_fields; /* What hdr holds. */
};

#define CBLK_DIRTY  0x1u    /* Built in memory, not yet written. */
#define CBLK_QUEUED 0x2u    /* A write-queue entry holds a reference. */
#define CBLK_FREED  0x4u    /* Freed while queued: the write is cancelled. */

struct cblk {
    uint8_t *buf;           /* block_size bytes. */
    uint64_t addr;          /* Byte address; FMT_ADDR_NIL when the slot is empty. */
    uint64_t hash;          /* fmt_hash(buf) once final. */
    uint64_t gen;           /* Birth generation (from its pointer or its creation). */
    uint16_t type;          /* FMT_TYPE_*. */
    uint16_t flags;         /* CBLK_*. */
    uint32_t ref;           /* Holders, the write queue included. */
    struct cblk *hnext;     /* Hash chain of cached addresses. */
    struct cblk *lprev;     /* LRU list of unreferenced slots. */
    struct cblk *lnext;
};

#define WQ_FENCE 1u
#define WQ_WRITE 2u
#define WQ_FREE  3u

struct wq_entry {
    uint64_t qgen;          /* Queue generation at enqueue. */
    uint64_t addr;          /* Block address (0 for fences). */
    uint32_t op;            /* WQ_FENCE < WQ_WRITE < WQ_FREE in drain order. */
    struct cblk *b;         /* The cached block to write, or NULL. */
    const uint8_t *raw;     /* A raw buffer to write (headers, superblocks), or NULL. */
};

/* A tree (tree.h): the mounted file-system tree or the snapshot tree. */
struct tree {
    struct bptr root;       /* Root node. */
    uint32_t height;        /* A single leaf is 1. */
    uint64_t gen;           /* Snapshot id the tree was loaded as (0: snapshot tree). */
    uint64_t memgen;        /* Birth generation of blocks written now. */
    uint64_t pred;          /* Predecessor snapshot, GEN_NONE for none. */
    uint64_t base;          /* Fork base: kills of blocks born at or before it are not
                             * recorded (the other chain owns them); GEN_NONE for none. */
    bool is_snap;           /* The snapshot tree: every release is deferred. */
    bool dirty;             /* Changed since the last commit. */
};

/* A block killed in generation killer, born in birth: bound for a deadlist at
 * the next commit (snap.c). */
struct kill {
    uint64_t killer;        /* Generation that stopped referencing it. */
    uint64_t birth;         /* Its birth generation. */
    uint64_t addr;          /* The block. */
};

struct msg;

#define WBATCH_VALUE_SIZE 48u   /* Bytes of a batch value: a data pointer or the wstat. */

STATIC_ASSERT(WBATCH_VALUE_SIZE >= FMT_PTR_SIZE, "a batch value holds a data pointer");
STATIC_ASSERT(WBATCH_VALUE_SIZE >= 1 + 8 + 8, "a batch value holds the size and mtime wstat");

/* The batch of one atomic write (ops.c): keys, values and messages of up to
 * cap data blocks and the size update. */
struct wbatch {
    uint32_t cap;                       /* Data blocks per batch. */
    struct msg *msgs;                   /* cap + 1 messages. */
    uint8_t (*keys)[FMT_KEY_MAX];       /* Their keys. */
    uint8_t (*vals)[WBATCH_VALUE_SIZE]; /* Their values: pointers, the wstat. */
    uint64_t *addrs;                    /* New data blocks, freed again on failure. */
};

/* The block history: a ring of the latest block events, GEFS's per-block
 * trace, for an ASSERT on a block to print (bio.h). "History", not "trace":
 * a trace in this project is a workload. */
#define HISTORY_RING_COUNT 512u

struct history_event {
    uint64_t addr;          /* Block address. */
    uint64_t qgen;          /* Queue generation when it happened. */
    char what;              /* a=alloc f=free d=deferred w=write r=read c=cancel k=kill. */
};

/* The read verifier of one block type (bio.h): NULL if buf, whose type field
 * says type already, is well formed, else the reason. */
typedef const char *bio_verifier(uint32_t block_size, const uint8_t *buf, uint16_t type);

#define BIO_VERIFIER_COUNT (FMT_TYPE_ARENA + 1u)   /* Block types 0..5 have a slot. */

struct fs {
    const struct bdev *bdev;        /* The device; owned by the caller. */
    struct fs_config config;        /* As given to mount, defaults filled in. */
    uint32_t block_size;            /* Bytes per block (the device's). */
    uint64_t block_count;           /* Device blocks. */
    bool read_only;                 /* Mounted read-only, or broken. */
    bool broken;                    /* Corruption or a device error was seen. */
    int broken_err;                 /* The error that broke it. */
    uint64_t broken_addr;           /* Block involved. */
    char broken_why[96];            /* Reason, for reports. */
    bool use_reserve;               /* Allocations may dip into the reserve. */
    bool dirty;                     /* Something changed since the last commit. */

    struct fmt_super sb;            /* The committed superblock. */
    uint32_t sb_index;              /* 0 or 1: which copy mount used. */
    bool sb1_stale;                 /* Mount used sb0 and sb1 is older or invalid: the next
                                       sync writes sb1 first (fs.c, sync_queue). */
    char sb0_why[64];               /* Why sb0 was rejected, "" if it was not. */
    uint64_t qgen;                  /* Current write-queue generation. */
    uint64_t nextqid;               /* Next qid. */
    uint64_t nextgen;               /* Next generation. */

    uint32_t arena_count;           /* Arenas. */
    struct arena arenas[FMT_ARENA_COUNT_MAX]; /* Their state. */
    uint32_t arena_header_used[FMT_ARENA_COUNT_MAX]; /* 0: h0 was good at mount, 1: h1. */
    uint64_t alloc_count;           /* Allocations so far: round-robin arena choice. */

    uint64_t *deferred;             /* Frees awaiting a commit: see the essay above. */
    uint32_t deferred_count;        /* Entries. */
    uint32_t deferred_logged;       /* Entries [0, logged) are in the log already. */
    uint32_t deferred_cap;          /* Bound. */

    struct cblk *cache;             /* Slots. */
    uint32_t cache_count;           /* Slots, from config. */
    struct cblk **cache_hash;       /* Address hash table heads. */
    uint32_t cache_hash_mask;       /* Table size - 1. */
    struct cblk lru;                /* Sentinel: lnext is least recently used. */

    struct wq_entry *wq;            /* Min-heap by (qgen, op, addr). */
    uint32_t wq_count;              /* Entries. */
    uint32_t wq_cap;                /* Bound. */
    uint64_t pass_qgen[5];          /* Queue generation of each sync pass, 0 if none. */

    uint8_t *scratch;               /* One block for building log blocks. */
    uint8_t *sbbuf;                 /* The packed superblock of the commit in flight. */
    uint64_t *compress_blocks;      /* Preallocated blocks of a log compression. */
    uint32_t compress_cap;          /* Bound of compress_blocks. */

    struct tree_ws *tws;            /* Bε-tree workspace (treeupdate.c). */
    struct wbatch *wbatch;          /* One atomic write (ops.c). */
    struct tree snap;               /* The snapshot tree. */
    struct tree tree;               /* The mounted file-system tree. */
    char label[FMT_NAME_MAX + 1];   /* The label it was mounted from. */
    struct tree view;               /* Another label's tree, read through fs_view. */
    bool viewing;                   /* Path reads go to view instead of tree. */
    bool tree_mutable;              /* Mutable label on a read-write mount. */
    uint64_t clock_ns;              /* Logical clock for times, set by the caller. */
    struct kill *kills;             /* Kills awaiting the next commit. */
    uint32_t kill_count;            /* Entries. */
    uint32_t kill_cap;              /* Bound (one per device block). */

    struct fs_stats stats;          /* Counters for tests and reports. */
    struct history_event history[HISTORY_RING_COUNT]; /* Recent block events. */
    uint32_t history_next;          /* Next slot of the ring. */

    /* Calls up, wired by fs.c at format and mount, so that no layer names
     * the one above it (docs/DESIGN.md, "Layers of fs/"). */
    bio_verifier *verifiers[BIO_VERIFIER_COUNT]; /* Per block type; NULL: unknown type. */
    int (*tree_release)(struct fs *fs, struct tree *t, struct bptr bp);
                                    /* Kill or free of a block a tree stops using. */
    void *mem;                      /* The one allocation everything above lives in. */
    bool mem_lent;                  /* It is fs_config.mem, the caller's: not freed. */
};

#endif /* FS_STATE_H */
