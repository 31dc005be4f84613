/*
 * sim/campaign/coverage.h: one campaign's gcov coverage of fs/, for
 * --coverage-out (COV=1 builds only).
 *
 * coverage_begin zeroes the counts: the build's .gcda files are removed and
 * this process's counters reset, so what follows counts this campaign only
 * (its forked workers dump theirs when they exit, sim/check/gcov.h).
 * coverage_end writes the counts as gcovr JSON, DIR/run-N.json, for
 * `gcovr --add-tracefile`. No shell is involved: files are removed with
 * nftw, directories made one by one, gcovr started with execvp.
 */
#ifndef SIM_CAMPAIGN_COVERAGE_H
#define SIM_CAMPAIGN_COVERAGE_H

#include <stdint.h>

/* 0, or -1 after saying why (not a gcov build, the directory cannot be made). */
int coverage_begin(const char *out_dir);
/* 0, or -1 after saying why (gcovr missing or failed). */
int coverage_end(const char *out_dir, int64_t run_id);

#endif /* SIM_CAMPAIGN_COVERAGE_H */
