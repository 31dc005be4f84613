/*
 * sim/check/gcov.h: the gcov runtime, when the binary is a COV=1 build.
 *
 * Forked checker workers leave with _exit, which skips gcov's exit handler,
 * so they dump their counts first; --coverage-out resets the counts at the
 * start of a campaign. The Makefile defines CRASHSIM_COVERAGE with --coverage
 * (weak references would not pull the functions out of libgcov).
 */
#ifndef SIM_CHECK_GCOV_H
#define SIM_CHECK_GCOV_H

#include <stdbool.h>

#ifdef CRASHSIM_COVERAGE
void __gcov_dump(void);
void __gcov_reset(void);
static inline bool cov_enabled(void) { return true; }
static inline void cov_dump(void) { __gcov_dump(); }
static inline void cov_reset(void) { __gcov_reset(); }
#else
static inline bool cov_enabled(void) { return false; }
static inline void cov_dump(void) { }
static inline void cov_reset(void) { }
#endif

#endif /* SIM_CHECK_GCOV_H */
