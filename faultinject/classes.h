/*
 * faultinject/classes.h: the names of faultinject/, one X-macro table per set
 * (XFS manner): device models, fault verdicts, the cut selectors of a fault
 * plan, the fault classes of crash states and the fills of a torn write.
 *
 * Everything that spells one of these names derives from its table: the
 * --model and --faults vocabularies (parse, the normal order of
 * fault_plan_format, the errors that list them), which models apply which
 * class (fault_plan_check_model), the state-id grammar (crash_id_format and
 * crash_id_parse, faultinject/plan.c), the class of a state and its name as
 * the results store keeps it (crash_fault_class), and whether a class is
 * judged as a media fault (sim/check/checker.h). The store writes the tables
 * into the database, so analysis/ reads them instead of copying them.
 *
 * The order of each table is stored: fault classes are counted by index
 * (crash_fault_class_index) and stored databases and tests rely on today's
 * order; the plan's normal order is the cut selectors, then the classes.
 * Add a row at the end, never in the middle.
 */
#ifndef FAULTINJECT_CLASSES_H
#define FAULTINJECT_CLASSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a device model lets go wrong. fault_plan_check_model names a model's
 * first missing capability in this order. */
enum device_cap {
    DEVICE_DROPS = 0x1,     /* A volatile cache: writes since the last flush may be lost. */
    DEVICE_TEARS = 0x2,     /* The write in flight may tear at sector granularity. */
    DEVICE_LIES = 0x4,      /* A flush may be acknowledged and not done. */
    DEVICE_MEDIA = 0x8,     /* The medium flips bits, loses, misdirects, fails reads. */
};

/* X(NAME, name, caps): enum device_model MODEL_NAME, as --model spells it,
 * and what the disk may do (faultinject/plan.h describes each model). */
#define DEVICE_MODELS(X) \
    X(ORDERED,   "ordered",   0u) \
    X(WRITEBACK, "writeback", DEVICE_DROPS) \
    X(TORN,      "torn",      DEVICE_TEARS) \
    X(HOSTILE,   "hostile",   DEVICE_DROPS | DEVICE_TEARS | DEVICE_LIES | DEVICE_MEDIA)

enum device_model {
#define X(NAME, name, caps) MODEL_##NAME,
    DEVICE_MODELS(X)
#undef X
    MODEL_COUNT
};

const char *device_model_name(enum device_model m);
/* 0, or -1 for a name no model has. */
int device_model_parse(const char *s, enum device_model *out);
/* Its capabilities, one by one. */
bool device_model_drops(enum device_model m);
bool device_model_tears(enum device_model m);
bool device_model_lies(enum device_model m);
bool device_model_media(enum device_model m);

/* X(NAME, name): how the checker judges a state of a class
 * (sim/check/checker.h). */
#define FAULT_VERDICTS(X) \
    X(EXACT,  "exact")  /* A legal sync point, or a violation. */ \
    X(MEDIA,  "media")  /* Also detected (named damage) or rolled_back (an older state). */ \
    X(FORGED, "forged") /* As media, and also accepted (a state no hash can refuse). */

enum fault_verdict {
#define X(NAME, name) FAULT_VERDICT_##NAME,
    FAULT_VERDICTS(X)
#undef X
    FAULT_VERDICT_COUNT
};

/* The value of struct crash_state's media field: the media fault of a state,
 * one per media class of FAULT_CLASSES (its media column). */
enum media_fault {
    MEDIA_NONE,
    MEDIA_FLIP,             /* Bits of the write's block read inverted. */
    MEDIA_LOST,             /* The write never reached the medium. */
    MEDIA_MISDIRECT,        /* It landed on another block instead. */
    MEDIA_FORGE,            /* A bit inverted before hashing, every hash resealed. */
    MEDIA_UNREADABLE,       /* Its block reads back as a device error. */
    MEDIA_REPOINT,          /* A pointer in it names another block, hashes resealed. */
    MEDIA_COUNT
};

/* The shapes of a class's piece of a state id (faultinject/plan.h). */
enum crash_id_args {
    CRASH_ID_CUT,           /* w<cut>: every id starts with it. */
    CRASH_ID_DROPS,         /* <op>.<op>...: the lost writes, ascending. */
    CRASH_ID_TORN,          /* <op>s<sectors><fill>. */
    CRASH_ID_OP,            /* <op>: the write struck. */
    CRASH_ID_OP_BIT,        /* <op>b<bit>. */
    CRASH_ID_OP_BITS,       /* <op>b<bit>, or <op>b<bit>x<count> when more than one bit
                               flipped (crash_flip_bits draws the others). */
    CRASH_ID_OP_TARGET,     /* <op>, or <op>t<block> when the target is not the next block. */
    CRASH_ID_OP_OFFSET_TARGET,  /* <op>o<byte offset>t<block>. */
};

/* X(NAME, name): enum plan_cut PLAN_CUT_NAME and its --faults element: the
 * cuts a plan takes (class "cut"; faultinject/plan.h). */
#define PLAN_CUTS(X) \
    X(PASS,   "pass")   /* At each sync-pass boundary. */ \
    X(FLUSH,  "flush")  /* After each flush. */ \
    X(PREFIX, "prefix") /* After each write. */

enum plan_cut {
#define X(NAME, name) PLAN_CUT_##NAME,
    PLAN_CUTS(X)
#undef X
    PLAN_CUT_COUNT
};

/*
 * The fault classes of crash states, in stored index order:
 *   X(NAME, name, ELEMENT, element, count, needs, verdict, media, id, id_args)
 *     NAME      enum fault_class FAULT_CLASS_NAME.
 *     name      The class as the results store spells it (states.fault_class).
 *     ELEMENT   PLAN_ELEMENT: the fault plan's bit for it (NONE: none).
 *     element   Its --faults element ("": none; cuts come from PLAN_CUTS).
 *     count     PLAN_COUNT(field of struct fault_plan, letter, max, needed):
 *               the element takes ":count", needed or else 1; PLAN_COUNT_NONE.
 *     needs     The device capabilities a model must have to apply it.
 *     verdict   FAULT_VERDICT_*: how the checker judges its states.
 *     media     MEDIA_*: the media field of its states (MEDIA_NONE: none).
 *     id, id_args  Its piece of a state id: a prefix and what follows.
 * PLAN_COUNT and PLAN_COUNT_NONE are defined where the column is used
 * (faultinject/plan.c); the other users of the table drop it unexpanded.
 */
#define FAULT_CLASSES(X) \
    X(CUT,        "cut",        NONE,       "",           PLAN_COUNT_NONE, \
        0u,           FAULT_VERDICT_EXACT,  MEDIA_NONE,       "w",        CRASH_ID_CUT) \
    X(DROP,       "drop",       REORDER,    "reorder",    PLAN_COUNT(reorder_k, "K", \
        CRASH_DROPS_MAX, true), \
        DEVICE_DROPS, FAULT_VERDICT_EXACT,  MEDIA_NONE,       "-drop",    CRASH_ID_DROPS) \
    X(TORN,       "torn",       TORN,       "torn",       PLAN_COUNT_NONE, \
        DEVICE_TEARS, FAULT_VERDICT_EXACT,  MEDIA_NONE,       "-torn",    CRASH_ID_TORN) \
    X(FLIP,       "flip",       FLIP,       "flip",       PLAN_COUNT(flip_n, "N", \
        FLIP_BITS_MAX, false), \
        DEVICE_MEDIA, FAULT_VERDICT_MEDIA,  MEDIA_FLIP,       "-flip",    CRASH_ID_OP_BITS) \
    X(LOST,       "lost",       LOST,       "lost",       PLAN_COUNT_NONE, \
        DEVICE_MEDIA, FAULT_VERDICT_MEDIA,  MEDIA_LOST,       "-lost",    CRASH_ID_OP) \
    X(MISDIRECT,  "misdirect",  MISDIRECT,  "misdirect",  PLAN_COUNT_NONE, \
        DEVICE_MEDIA, FAULT_VERDICT_MEDIA,  MEDIA_MISDIRECT,  "-mis",     CRASH_ID_OP_TARGET) \
    X(FORGE,      "forge",      FORGE,      "forge",      PLAN_COUNT(forge_n, "N", \
        FORGE_VARIANTS_MAX, false), \
        0u,           FAULT_VERDICT_FORGED, MEDIA_FORGE,      "-forge",   CRASH_ID_OP_BIT) \
    X(UNREADABLE, "unreadable", UNREADABLE, "unreadable", PLAN_COUNT_NONE, \
        DEVICE_MEDIA, FAULT_VERDICT_MEDIA,  MEDIA_UNREADABLE, "-eio",     CRASH_ID_OP) \
    X(REPOINT,    "repoint",    REPOINT,    "repoint",    PLAN_COUNT(repoint_n, "N", \
        FORGE_VARIANTS_MAX, false), \
        0u,           FAULT_VERDICT_FORGED, MEDIA_REPOINT,    "-repoint", \
        CRASH_ID_OP_OFFSET_TARGET) \
    X(LIAR,       "liar",       LIAR,       "liar",       PLAN_COUNT_NONE, \
        DEVICE_LIES,  FAULT_VERDICT_EXACT,  MEDIA_NONE,       "-lie",     CRASH_ID_DROPS)

enum fault_class {
#define X(NAME, name, ELEMENT, element, count, needs, verdict, media, id, id_args) \
    FAULT_CLASS_##NAME,
    FAULT_CLASSES(X)
#undef X
    FAULT_CLASS_COUNT
};

#define CRASH_FAULT_CLASSES ((uint32_t)FAULT_CLASS_COUNT)

/* The bits of struct fault_plan's kinds: the cut selectors first, then one
 * per class that has an element, in table order (fault_plan_format's order). */
#define PLAN_CUT_BIT(cut) (1u << (cut))
#define PLAN_CLASS_BIT(cls) (1u << (PLAN_CUT_COUNT - 1u + (uint32_t)(cls)))

#define PLAN_PASS PLAN_CUT_BIT(PLAN_CUT_PASS)
#define PLAN_FLUSH PLAN_CUT_BIT(PLAN_CUT_FLUSH)
#define PLAN_PREFIX PLAN_CUT_BIT(PLAN_CUT_PREFIX)

enum plan_element {
#define X(NAME, name, ELEMENT, element, count, needs, verdict, media, id, id_args) \
    PLAN_##ELEMENT = FAULT_CLASS_##NAME == FAULT_CLASS_CUT ? 0 : PLAN_CLASS_BIT(FAULT_CLASS_##NAME),
    FAULT_CLASSES(X)
#undef X
};

/* The media faults as a plan names them: the classes a faulty medium alone
 * enables (flip, lost, misdirect, unreadable). */
#define PLAN_MEDIA_X(NAME, name, ELEMENT, element, count, needs, verdict, media, id, id_args) \
    | ((needs) == DEVICE_MEDIA ? (uint32_t)PLAN_##ELEMENT : 0u)
#define PLAN_MEDIA (0u FAULT_CLASSES(PLAN_MEDIA_X))

/* One row of FAULT_CLASSES, for code that iterates the table (the result
 * store writes it into the database). */
struct fault_class_info {
    const char *name;               /* As states.fault_class spells it. */
    uint32_t index;                 /* 0..CRASH_FAULT_CLASSES-1: the stored order. */
    enum fault_verdict verdict;     /* How the checker judges its states: not EXACT for
                                       a media fault, whose acceptable outcomes differ. */
    const char *element;            /* Its --faults element, "" when none. */
    uint32_t needs;                 /* enum device_cap bits a model must have to apply it. */
    uint8_t media_fault;            /* enum media_fault of its states, MEDIA_NONE: none. */
    const char *id;                 /* Its state-id prefix ("w" for the cut itself). */
};

/* Row index of the table, index < CRASH_FAULT_CLASSES. */
const struct fault_class_info *fault_class_info(uint32_t index);
/* Its name: cut, drop, torn, flip, lost, misdirect, forge, unreadable,
 * repoint, liar. */
const char *crash_fault_class_name(uint32_t index);
/* The class of a media fault (media != MEDIA_NONE). */
enum fault_class fault_class_of_media(enum media_fault media);
/* Whether model applies the class (has every capability it needs). */
bool device_model_applies(enum device_model model, uint32_t class_index);

const char *fault_verdict_name(enum fault_verdict verdict);

/* X(NAME, fill, what): the bytes after the sectors of a torn write that
 * landed, by their letter in a state id. */
#define TORN_FILLS(X) \
    X(OLD,     'o', "the old content") \
    X(ZERO,    'z', "zeros") \
    X(GARBAGE, 'g', "garbage")

enum torn_fill {
#define X(NAME, fill, what) TORN_FILL_##NAME,
    TORN_FILLS(X)
#undef X
    TORN_FILL_COUNT
};

/* The letter of fill; the fill of a letter (-1: none). */
char torn_fill_letter(enum torn_fill fill);
int torn_fill_parse(char letter);
/* What the other sectors hold, for explanations: "zeros". */
const char *torn_fill_describe(char letter);

#endif /* FAULTINJECT_CLASSES_H */
