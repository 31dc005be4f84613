/*
 * sim/check/nested.h: nested crash states — power cut again while a
 * recovered state runs its post-recovery workload.
 *
 * A state P of a recording that recovered a legal sync point S_k is the
 * parent of a nested recording (sim/record/runner.h, record_nested): the
 * post-recovery workload, run by the checker's mount of P's image, recorded
 * on a disk whose base is P's bytes. Its crash states are enumerated by the
 * same fault plan and device model, and each is checked like any state
 * (sim/check/checker.h) against the nested recording's sync points: the
 * recovered state S_k, then S_k with the workload's steps up to each sync
 * that completed. A nested state's id is its parent's id, '/', and its own:
 *     w812-drop805/w31-torn30s3z    state w31-torn30s3z of the post-recovery
 *                                   run on the image of w812-drop805
 * and so on for each level (A/B/C is depth 3). The chain of a nested state
 * is the link of every level above it: the state and the sync point it
 * recovered, which says what the level below was recorded from.
 *
 * struct nest keeps one checker per level over that level's recording and
 * remakes a level only when the chain above it changes, so states of one
 * parent, checked one after another, share one nested recording. A level's
 * recording reads its parent's image through the parent level's crash view
 * (crash_view_lower), which nest_level sets to the parent state first.
 */
#ifndef SIM_CHECK_NESTED_H
#define SIM_CHECK_NESTED_H

#include "checker.h"

#define NEST_DEPTH_MAX 4u                       /* --depth at most. */
#define NEST_ID_MAX (NEST_DEPTH_MAX * CRASH_ID_MAX)

struct nest_link {
    struct crash_state state;                   /* A state of its level. */
    uint32_t recovered;                         /* The sync point its check recovered. */
};

/* A nested state to check: the levels above it and the state. */
struct nest_item {
    struct nest_link chain[NEST_DEPTH_MAX - 1]; /* The levels above, top first. */
    uint32_t depth;                             /* Entries of chain (1..): the state's
                                                   depth is depth + 1. */
    struct crash_state state;                   /* A state of the level under chain. */
};

/* Splits "A/B/..." into states[0..depth); returns the depth (1 for a
 * top-level id), or -1 for a malformed id or one deeper than max. */
int nest_id_parse(const char *id, struct crash_state *states, uint32_t max);
/* Formats the id of state s under chain[0..depth) (depth 0: s's own id). */
void nest_id_format(const struct nest_link *chain, uint32_t depth, const struct crash_state *s,
        char *buf, size_t size);

struct nest_level {
    struct recording rec;                       /* Levels 1..: the nested recording. */
    struct checker checker;                     /* Over the level's recording. */
    bool ready;                                 /* checker initialised. */
    char key[NEST_ID_MAX];                      /* Levels 1..: the chain id it was made
                                                   for ("" none). */
};

struct nest {
    const struct recording *top;                /* Level 0. */
    bool memo;                                  /* Checkers check memoized. */
    struct nest_level lv[NEST_DEPTH_MAX];       /* lv[0] over top; lv[d] under chain[0..d). */
    uint64_t recorded;                          /* Nested recordings made. */
};

/* Whether a state with this outcome may be a parent: it recovered a legal
 * sync point (ok, ok_leak) and is judged exactly (no media fault or forged
 * block: those are judged by other rules, and their image is no legal
 * state's). */
bool nest_expandable(const struct crash_state *s, enum outcome o);

/* 0, or FS_ENOMEM. The top recording's sync points must keep their oracles
 * (nested recordings clone them). */
int nest_init(struct nest *n, const struct recording *top, bool memo);
void nest_deinit(struct nest *n);
/* The checker of the level under chain[0..depth) (depth 0: the top
 * recording's), making every nested recording on the way that is not made
 * yet, and setting each parent level's view to its state. NULL with why in
 * err when a recording cannot be made (out of memory, or a parent that does
 * not fit its recording). The checker's recording (checker->rec) holds the
 * level's sync points, and rec->violation what went wrong while recording. */
struct checker *nest_level(struct nest *n, const struct nest_link *chain, uint32_t depth,
        char *err, size_t err_size);

/* The checker of the level of states[depth - 1]: checks each state above
 * it (states[0..depth - 1)) in its level to find the sync point it
 * recovered, filling chain[0..depth - 1). NULL with why in err when one of
 * them may be no parent (nest_expandable) or a level cannot be made. */
struct checker *nest_descend(struct nest *n, const struct crash_state *states, uint32_t depth,
        struct nest_link *chain, char *err, size_t err_size);

#endif /* SIM_CHECK_NESTED_H */
