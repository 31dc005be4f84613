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
 *     w812-flip640b9001x4  ... bits 9001 and three more, drawn from the op
 *                          and bit 9001 alone (crash_flip_bits), so the
 *                          id replays without the plan (flip:4)
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
 * from after it); and the media faults: flip:N (N bits of the write's block
 * flipped, default 1, the first drawn from the seed), lost (the write never
 * persisted), misdirect (it landed on another block), unreadable (its block
 * reads back as a device error). A fault the device model does not allow is
 * not enumerated (crashsim explore refuses such a plan:
 * fault_plan_check_model; crashsim matrix applies one plan to every model).
 * forge:N (N forged variants, default 1, of a metadata block, the field and
 * bit of each drawn from the seed) is no device fault: it applies under
 * every model; nor is repoint:N (N variants of a metadata block with one of
 * its block pointers naming another block in use, drawn from the seed).
 *
 * Where the media classes strike. At the end of the log, once per write (the
 * states and ids of stored runs): flip, lost and misdirect every write, a
 * misdirected one onto the next block or, half the time, a block the log
 * leaves in place; unreadable, forge and repoint the writes the log leaves in
 * place. At every earlier cut the plan's selectors take, too: flip, lost,
 * unreadable, forge and repoint the writes live at the cut (bytes a later
 * write replaced before the cut would not show: such a state would be the
 * plain cut's image, so it is not enumerated), misdirect every write before
 * the cut (a replaced write's misdirected copy still stands where it
 * landed), onto a block in use at the cut (one a write of the log holds
 * there, not its own), drawn from the seed. Per cut and class, up to
 * plan->samples writes, the rest drawn from the cut's seed and counted in
 * left_out (a write's forged or repointed variants as N each: at most that
 * many).
 *
 * The names of all of these — models, plan elements, fault classes, the
 * pieces of an id, torn fills — and which model applies which class are one
 * table each in faultinject/classes.h; what each fault does to the bytes of
 * a crash image is faultinject/damage.h's.
 */
#ifndef FAULTINJECT_PLAN_H
#define FAULTINJECT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../traces/oplog.h"
#include "classes.h"

#define CRASH_DROPS_MAX 8u
#define CRASH_NONE UINT32_MAX
#define CRASH_ID_MAX 128u

struct crash_state {
    uint32_t cut;                       /* Ops [0, cut) were issued. */
    uint32_t torn;                      /* Write op torn, or CRASH_NONE. */
    uint16_t torn_sectors;              /* Leading sectors of its new content that landed. */
    char torn_fill;                     /* What the other sectors hold: a TORN_FILLS letter,
                                           'o', 'z' or 'g'. */
    uint8_t drop_count;                 /* Entries of drops. */
    uint8_t liar;                       /* The drops cross a flush the device acknowledged. */
    uint32_t drops[CRASH_DROPS_MAX];    /* Write ops lost, ascending, each < cut. */
    uint8_t media;                      /* enum media_fault (faultinject/classes.h). */
    uint8_t flip_count;                 /* MEDIA_FLIP: bits inverted, 1..FLIP_BITS_MAX, the
                                           first flip_bit (crash_flip_bits); else 0. */
    uint32_t media_op;                  /* The write op it struck. */
    uint32_t flip_bit;                  /* MEDIA_FLIP, MEDIA_FORGE: the bit, from the block's
                                           start; MEDIA_REPOINT: the pointer's byte offset. */
    uint32_t target;                    /* MEDIA_REPOINT: the block the pointer now names;
                                           MEDIA_MISDIRECT: the block the write landed on
                                           (CRASH_NONE: the next one). */
};

struct fault_plan {
    uint32_t kinds;             /* PLAN_* bits (faultinject/classes.h). */
    uint32_t reorder_k;         /* Largest number of lost writes per state. */
    uint32_t samples;           /* Per cut: reorder subsets, lying-flush losses and, per
                                   media class, writes struck beyond this many are
                                   sampled. */
    uint32_t flip_n;            /* Bits each flip state inverts (flip:N). */
    uint32_t forge_n;           /* Forged variants per metadata write (forge:N). */
    uint32_t repoint_n;         /* Repointed variants per metadata write (repoint:N). */
    uint64_t seed;              /* Seeds the sampling. */
};

#define FORGE_VARIANTS_MAX 4096u
#define FLIP_BITS_MAX 64u           /* Bits one flip state may invert (flip:N). */

/* Parses "pass,flush,prefix,reorder:2,torn,flip:4,lost,misdirect,forge:16,unreadable,liar"
 * (the elements of PLAN_CUTS and FAULT_CLASSES, faultinject/classes.h). On
 * error returns -1 and names the bad element in err. */
int fault_plan_parse(const char *s, struct fault_plan *plan, char *err, size_t err_size);
/* The elements fault_plan_parse takes, for usage texts: "pass, flush, prefix,
 * reorder:K with K 1..8, torn, ..., liar". */
void fault_plan_usage(char *buf, size_t size);
/* The normal form: the elements in table order, a count where it is not the
 * default (docs/SCHEMA.md, runs.faults). */
void fault_plan_format(const struct fault_plan *plan, char *buf, size_t size);
/* 0 when the model applies every fault class of the plan; else -1, with the
 * first class it does not apply and the models that do, in err. */
int fault_plan_check_model(const struct fault_plan *plan, enum device_model model, char *err,
        size_t err_size);

/* Enumerates the crash states of an op log (traces/oplog.h; its ops are
 * cut, its write contents forged) under a model and plan into a growing
 * array (*states, *count, freed by the caller), in ascending cut order.
 * Returns 0 or -1 when memory runs out. */
int fault_plan_enumerate(const struct oplog *log, enum device_model model,
        const struct fault_plan *plan, struct crash_state **states, size_t *count);
/* The same, and *left_out: the states of the plan's space that sampling did
 * not draw (reorder subsets, lying-flush losses and, per media class, struck
 * writes past plan->samples at a cut), so a reader knows what fraction of
 * the space the states are. */
int fault_plan_enumerate_counted(const struct oplog *log, enum device_model model,
        const struct fault_plan *plan, struct crash_state **states, size_t *count,
        uint64_t *left_out);

/* Ids. crash_id_parse returns -1 on malformed ids. */
void crash_id_format(const struct crash_state *s, char *buf, size_t size);
int crash_id_parse(const char *id, struct crash_state *s);
/* The bits a MEDIA_FLIP state inverts in its block of block_size bytes, in
 * bits[0..flip_count): flip_bit, then flip_count - 1 more, distinct, drawn
 * from a stream seeded by the op and flip_bit alone, so the id replays them
 * without the plan. Returns flip_count. */
uint32_t crash_flip_bits(const struct crash_state *s, uint32_t block_size,
        uint32_t bits[FLIP_BITS_MAX]);
/* Whether write op is one of the state's lost writes. */
bool crash_state_dropped(const struct crash_state *s, uint32_t op);

/* The fault class of a state (FAULT_CLASSES, faultinject/classes.h): its
 * media fault if it has one, else liar, torn, drop or cut; as an index
 * 0..CRASH_FAULT_CLASSES-1 and as the name the results table stores. What
 * the checker accepts for each differs: see fault_class_info()->verdict. */
uint32_t crash_fault_class_index(const struct crash_state *s);
const char *crash_fault_class(const struct crash_state *s);

#endif /* FAULTINJECT_PLAN_H */
