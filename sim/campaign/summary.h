/*
 * sim/campaign/summary.h: what a campaign tells its user while it runs and
 * when it ends — the tallies of every result a run holds, the live progress
 * line and the table of outcomes by fault class.
 *
 * The tallies count results whoever stored them: this invocation, or an
 * earlier one of a resumed run. The progress line goes to stderr: on a
 * terminal redrawn in place, otherwise a plain line every PROGRESS_PLAIN_NS.
 */
#ifndef SIM_CAMPAIGN_SUMMARY_H
#define SIM_CAMPAIGN_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../faultinject/plan.h"
#include "../check/outcome.h"

#define PROGRESS_PLAIN_NS 5000000000ull     /* Between plain progress lines. */

struct tally {
    uint64_t counts[OUTCOME_COUNT][CRASH_FAULT_CLASSES];  /* States by outcome, fault class. */
    uint64_t finished;              /* States with a result. */
    uint64_t violations;            /* Of which violating. */
    uint64_t unchecked;             /* Of which not checked (not final). */
};

struct progress {
    uint64_t t0_ns;                 /* When the invocation began. */
    uint64_t last_line_ns;          /* When the last plain line was printed. */
    bool tty;                       /* stderr is a terminal: redraw in place. */
    bool silent;                    /* Print nothing (--quiet, or one of many campaigns). */
};

/* Counts one state's result. */
void tally_add(struct tally *t, enum outcome o, uint32_t fault_class);

void progress_start(struct progress *p, bool silent);
/* The progress line, when due (always when final) over count states. */
void progress_line(struct progress *p, const struct tally *t, size_t count, bool final);

/* The table of outcomes (rows) by fault class (columns, those used). */
void summary_table(const struct tally *t);

#endif /* SIM_CAMPAIGN_SUMMARY_H */
