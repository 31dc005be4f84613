/*
 * sim/clock.h: the harness's one clock. Campaign timing, batch deadlines,
 * per-state durations and worker timeouts all read CLOCK_MONOTONIC through
 * clock_now_ns. The file system never reads a clock (its times come from the
 * logical clock of the trace's tick steps); only the harness around it does.
 */
#ifndef SIM_CLOCK_H
#define SIM_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds on the monotonic clock (an arbitrary origin). */
static inline uint64_t
clock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif /* SIM_CLOCK_H */
