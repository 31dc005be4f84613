/*
 * sim/campaign/replay.h: crashsim replay — one stored crash state rebuilt
 * and checked again in this process, with an explanation.
 *
 * The run's workload is recorded again from the database (sim/campaign/
 * inputs.h; refused if the write log no longer matches), the state is built
 * from its id, and the checker runs verbosely: the writes that make the
 * state, named by structure and sync pass (last issued, lost, torn, struck
 * by a media fault), what recovery chose, every fs_check finding, and how
 * the recovered state differs from the legal one.
 */
#ifndef SIM_CAMPAIGN_REPLAY_H
#define SIM_CAMPAIGN_REPLAY_H

#include <stdint.h>

/* Re-runs state id of run run_id (0: the latest) of db and explains it,
 * recovering it by mounting label mount (NULL: the label mounted at its
 * cut). Returns 0 if the state is fine, 1 if it is a violation, 2 on error. */
int replay_run(const char *id, const char *db, int64_t run_id, const char *mount);

#endif /* SIM_CAMPAIGN_REPLAY_H */
