/*
 * fs/mutants.h: the seeded bugs the harness must catch, one table.
 *
 * Each is a compile-time switch, off in every normal build: building with
 * -DMUTANT_<NAME> (make MUTANT=<NAME>) plants that bug. The code of a mutant
 * sits next to the code it breaks, under #ifdef MUTANT_<NAME>. The class is
 * the GEFS bug class (GEFS.md §14) it stands for.
 */
#ifndef FS_MUTANTS_H
#define FS_MUTANTS_H

#define MUTANTS(X) \
    X(REPLAY_PAST_BARRIER, "log replay", \
      "log replay ignores the barrier and replays past the committed sync")

#endif /* FS_MUTANTS_H */
