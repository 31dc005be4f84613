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
 *
 * A write-log file (traces/wlog.h) becomes a recording without an oracle
 * (input_wlog): the sync points come from mounting the states the file
 * system's own marks delimit.
 */
#ifndef SIM_CAMPAIGN_INPUTS_H
#define SIM_CAMPAIGN_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "../../traces/wlog.h"
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

/* The workloads of a directory: the paths "DIR/NAME" of its files named
 * *.trace, in name order, at most max (out[max]; the caller frees each).
 * The count, or -1 when dir cannot be read, holds more than max traces
 * (errno E2BIG: never a subset) or memory runs out (errno says which). */
int32_t input_workload_dir(const char *dir, char **out, uint32_t max);

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

/*
 * A recording from a write-log file, for exploring its crash states without
 * the workload that made it. There is no oracle, so the sync points come
 * from the file system itself: S_0 is the base image mounted; a further
 * point ends at each "sync.end" mark (the state of the log cut right after
 * the mark, mounted read-only), beginning at the first sync.passN mark after
 * the previous point; a log that does not end with sync.end gets a last
 * point for its whole length. A crash may then legally recover the last sync
 * completed or one in flight, as with the oracle: the checker's verdicts
 * keep their meaning (atomic, durable syncs; fs_check; the post-recovery
 * workload), except that nothing checks that a sync point itself holds what
 * the workload wrote. Sync points have no oracle (oracle NULL). If a sync
 * point does not mount, rec->violation says so and its digest is 0.
 * config: the file's geometry, arenas 0, hardened iff the log has flushes.
 * geometry (NULL: none given) is what wlog_read_file takes: the block size a
 * foreign dm-log-writes log needs, and what a log that states its own must
 * agree with. Returns 0 or -1 with a reason in err (rec is then empty).
 */
int input_wlog(const char *path, const struct wlog_geometry *geometry, struct recording *rec,
        char *err, size_t err_size);

#endif /* SIM_CAMPAIGN_INPUTS_H */
