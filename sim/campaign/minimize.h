/*
 * sim/campaign/minimize.h: delta debugging of a failing crash state.
 *
 * Two axes. The workload: ddmin over its steps — a candidate keeps a subset
 * of the steps, is recorded afresh, and its crash states (same device model
 * and fault plan) are checked in order until one gives the same outcome; the
 * smallest such workload wins, with that state. The faults: each lost write
 * and the tear of that state is dropped in turn while the outcome stays. The
 * result is written as a regression case and described in words.
 */
#ifndef SIM_CAMPAIGN_MINIMIZE_H
#define SIM_CAMPAIGN_MINIMIZE_H

#include <stdint.h>

/* Minimizes state id of run run_id (0: latest) in db; writes the case to out.
 * Returns 0 done, 1 the state is not a violation (nothing to minimize), 2 on
 * error. */
int minimize_run(const char *id, const char *db, int64_t run_id, const char *out);

#endif /* SIM_CAMPAIGN_MINIMIZE_H */
