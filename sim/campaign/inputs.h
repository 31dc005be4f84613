/*
 * sim/campaign/inputs.h: what a campaign starts from — a workload trace file
 * with the geometry it names, or a run stored in a result database, recorded
 * again.
 *
 * A workload is read through the one trace reader (traces/trace.h: a regular
 * file within the size cap that parses, errors as FILE:LINE:COL) and its
 * "# geometry:" line gives each field of the recording's geometry that the
 * command line did not. A stored run is rebuilt from its workload text and
 * configuration; input_rerecord records it again and refuses a recording
 * whose write log is not the one the run stored (the code changed since).
 * A run that explored a write-log file stores a text of comments only that
 * names the log by its hash (input_wlog_text), so it has a config key of its
 * own and cannot be mistaken for a trace's run.
 */
#ifndef SIM_CAMPAIGN_INPUTS_H
#define SIM_CAMPAIGN_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "../record/runner.h"
#include "../store/store.h"

/* Geometry fields a command line gave; the trace's "# geometry:" line gives
 * the others. */
enum {
    INPUT_GIVEN_SIZE = 1u,          /* --size */
    INPUT_GIVEN_BLOCK = 2u,         /* --block-size */
    INPUT_GIVEN_ARENAS = 4u,        /* --arenas */
};

#define INPUT_WLOG_TEXT_PREFIX "# crashsim explore --wlog"  /* Opens a write-log run's text. */

/* Reads the workload at path and takes from its "# geometry:" line each field
 * of *rec that given does not name. *text receives the file's bytes (the
 * caller frees them). 0, or -1 after printing "FILE:LINE:COL: why". */
int input_workload(const char *path, unsigned given, struct record_config *rec, char **text);

/* The stored text of a run that explored a write log with hash wlog_hash
 * (the caller frees it); NULL when memory runs out. */
char *input_wlog_text(uint64_t wlog_hash);

/* A stored run's trace and the recording configuration it ran with (the
 * run's facts in *info; its write-log hash in *wlog_hash). Run 0 means the
 * latest. 0, or -1 with why in err: no such run, a run of a write-log file, a
 * trace that no longer parses. */
int input_run(struct store *st, int64_t *run_id, struct run_info *info, uint64_t *wlog_hash,
        struct trace *t, struct record_config *rc, char *err, size_t err_size);

/* The same, recorded again into *rec, which must give the stored write log. */
int input_rerecord(struct store *st, int64_t *run_id, struct run_info *info, struct trace *t,
        struct recording *rec, char *err, size_t err_size);

#endif /* SIM_CAMPAIGN_INPUTS_H */
