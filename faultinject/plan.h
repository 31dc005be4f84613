/*
 * faultinject/plan.h: crash states, their ids, device models and the fault
 * plans that enumerate crash states over a recorded write log.
 *
 * A crash state is a cut of the write log — the operations before index
 * `cut` reached the device, the rest did not — plus faults the device model
 * allows at that cut: writes lost from the volatile cache (drops) and a torn
 * write. Ids are stable and printable; crashsim replay accepts them:
 *     w812                 ops 0..811 issued, nothing lost
 *     w812-drop805.809     ... but writes 805 and 809 never became durable
 *     w812-lie640.809      ... and write 640 was lost too although a flush
 *                          after it was acknowledged (a lying flush)
 *     w812-torn811s3z      ... write 811 persisted only its first 3 sectors;
 *                          the rest reads as o (old content), z (zeros) or
 *                          g (garbage, fixed by the op index)
 *     w812-flip640b9001    ... and bit 9001 of the block write 640 wrote has
 *                          flipped on the medium (a media fault)
 *     w812-lost640         ... write 640 was acknowledged but never persisted,
 *                          whatever flushes followed (a media fault)
 *     w812-mis640t17       ... write 640 landed on block 17 instead of its
 *                          own (a media fault; w812-mis640: on the next block)
 *     w812-eio640          ... the block write 640 wrote reads back as a
 *                          device error (a latent sector error; a media
 *                          fault)
 *     w812-repoint640o4000t17  ... the block pointer at byte 4000 of the
 *                          block write 640 wrote names block 17 (with its
 *                          hash), every hash resealed (forge.h)
 *     w812-forge640b9001   ... bit 9001 of the block write 640 wrote was
 *                          inverted before it was hashed, and every hash
 *                          that vouches for it agrees (a forged block, see
 *                          forge.h)
 *
 * Device models say what the disk promises:
 *     ordered    a completed write is durable (GEFS's own assumption)
 *     writeback  a volatile cache: a write is durable only after a later flush;
 *                at a crash any subset of the writes since the last completed
 *                flush may be lost
 *     torn       ordered, but the write in flight may tear at sector granularity
 *     hostile    writeback and torn together, and the medium flips bits,
 *                loses writes and misdirects them, and may acknowledge a
 *                flush it did not do
 * Fault plans choose cuts and variants: pass (each sync-pass boundary), flush
 * (after each flush), prefix (after each write), reorder:K (subsets of up to
 * K lost writes at each cut, exhaustive up to a limit and seeded sampling
 * beyond it), torn (the last write before each cut torn after 1, half and all
 * but one of its sectors, with each fill), liar (hostile: the last flush
 * before each cut lied, so a write from before it is lost, alone or with one
 * from after it); and the media faults, each once
 * per write at the end of the log: flip (one bit of the write's block
 * flipped, the bit drawn from the seed), lost (the write never persisted),
 * misdirect (it landed on the next block or, half the time, on a block the
 * log leaves in place, drawn from the seed), unreadable (its block, when the
 * log leaves it in place, reads back as a device error). A fault the device model does not
 * allow is not enumerated (crashsim explore refuses such a plan:
 * fault_plan_check_model; crashsim matrix applies one plan to every model). forge:N (N forged variants, default 1, of each
 * metadata block the log leaves in place, the field and bit of each drawn
 * from the seed) is no device fault: it applies under every model; nor is
 * repoint:N (N variants of each such block with one of its block pointers
 * naming another block the log leaves in place, drawn from the seed).
 */
#ifndef FAULTINJECT_PLAN_H
#define FAULTINJECT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRASH_DROPS_MAX 8u
#define CRASH_NONE UINT32_MAX
#define CRASH_ID_MAX 128u

struct crash_state {
    uint32_t cut;                       /* Ops [0, cut) were issued. */
    uint32_t torn;                      /* Write op torn, or CRASH_NONE. */
    uint16_t torn_sectors;              /* Leading sectors of its new content that landed. */
    char torn_fill;                     /* 'o', 'z' or 'g': what the other sectors hold. */
    uint8_t drop_count;                 /* Entries of drops. */
    uint8_t liar;                       /* The drops cross a flush the device acknowledged. */
    uint32_t drops[CRASH_DROPS_MAX];    /* Write ops lost, ascending, each < cut. */
    uint8_t media;                      /* enum media_fault. */
    uint32_t media_op;                  /* The write op it struck. */
    uint32_t flip_bit;                  /* MEDIA_FLIP, MEDIA_FORGE: the bit, from the block's
                                           start; MEDIA_REPOINT: the pointer's byte offset. */
    uint32_t target;                    /* MEDIA_REPOINT: the block the pointer now names;
                                           MEDIA_MISDIRECT: the block the write landed on
                                           (CRASH_NONE: the next one). */
};

enum media_fault {
    MEDIA_NONE,
    MEDIA_FLIP,             /* A bit of the write's block reads inverted. */
    MEDIA_LOST,             /* The write never reached the medium. */
    MEDIA_MISDIRECT,        /* It landed on the next block instead. */
    MEDIA_FORGE,            /* A bit inverted before hashing, every hash resealed. */
    MEDIA_UNREADABLE,       /* Its block reads back as a device error. */
    MEDIA_REPOINT,          /* A pointer in it names another block, hashes resealed. */
};

enum device_model {
    MODEL_ORDERED,
    MODEL_WRITEBACK,
    MODEL_TORN,
    MODEL_HOSTILE,
    MODEL_COUNT
};

#define PLAN_PASS    0x1u
#define PLAN_FLUSH   0x2u
#define PLAN_PREFIX  0x4u
#define PLAN_REORDER 0x8u
#define PLAN_TORN    0x10u
#define PLAN_FLIP    0x20u
#define PLAN_LOST    0x40u
#define PLAN_MISDIRECT 0x80u
#define PLAN_FORGE   0x100u
#define PLAN_UNREADABLE 0x200u
#define PLAN_REPOINT 0x400u
#define PLAN_LIAR    0x800u
#define PLAN_MEDIA   (PLAN_FLIP | PLAN_LOST | PLAN_MISDIRECT | PLAN_UNREADABLE)

struct fault_plan {
    uint32_t kinds;             /* PLAN_* bits. */
    uint32_t reorder_k;         /* Largest number of lost writes per state. */
    uint32_t samples;           /* Per cut: subsets beyond this many are sampled. */
    uint32_t forge_n;           /* Forged variants per metadata write (forge:N). */
    uint32_t repoint_n;         /* Repointed variants per metadata write (repoint:N). */
    uint64_t seed;              /* Seeds the sampling. */
};

#define FORGE_VARIANTS_MAX 4096u

/* The few facts about each logged operation the planner needs. */
struct plan_op {
    uint8_t kind;               /* 0 write, 1 flush, 2 mark (sim_op_kind order). */
    uint8_t mark;               /* For marks: 0..4 for sync.pass0..4, else other. */
    uint32_t epoch;             /* Flushes completed before it. */
    uint32_t sectors;           /* For writes: 512-byte sectors in the block. */
    const uint8_t *content;     /* For writes whose bytes the block still holds at the end of
                                   the log: those bytes (forge reads them); else NULL. */
    uint64_t block;             /* For writes: the block written. */
};

const char *device_model_name(enum device_model m);
int device_model_parse(const char *s, enum device_model *out);
bool device_model_drops(enum device_model m);
bool device_model_tears(enum device_model m);
bool device_model_lies(enum device_model m);
bool device_model_media(enum device_model m);

/* Parses "pass,flush,prefix,reorder:2,torn,flip,lost,misdirect,forge:16,unreadable,liar". On error returns -1 and names the
 * bad element in err. */
int fault_plan_parse(const char *s, struct fault_plan *plan, char *err, size_t err_size);
void fault_plan_format(const struct fault_plan *plan, char *buf, size_t size);
/* 0 when the model applies every fault class of the plan; else -1, with the
 * first class it does not apply and the models that do, in err. */
int fault_plan_check_model(const struct fault_plan *plan, enum device_model model, char *err,
        size_t err_size);

/* Enumerates the crash states of a log of n ops under a model and plan into a
 * growing array (*states, *count, freed by the caller), in ascending cut
 * order. Returns 0 or -1 when memory runs out. */
int fault_plan_enumerate(const struct plan_op *ops, uint32_t n, enum device_model model,
        const struct fault_plan *plan, struct crash_state **states, size_t *count);

/* Ids. crash_id_parse returns -1 on malformed ids. */
void crash_id_format(const struct crash_state *s, char *buf, size_t size);
int crash_id_parse(const char *id, struct crash_state *s);
/* The fault class of a state, for the results table: "cut", "drop", "torn",
 * the media faults "flip", "lost", "misdirect", "unreadable", "forge",
 * "repoint", and "liar" (what the checker accepts
 * for those differs, see sim/check/checker.h). */
const char *crash_fault_class(const struct crash_state *s);
/* The same as an index 0..CRASH_FAULT_CLASSES-1 in the order cut, drop, torn,
 * flip, lost, misdirect, forge, unreadable, repoint, liar, and its name. */
#define CRASH_FAULT_CLASSES 10u
uint32_t crash_fault_class_index(const struct crash_state *s);
const char *crash_fault_class_name(uint32_t index);

#endif /* FAULTINJECT_PLAN_H */
