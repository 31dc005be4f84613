/*
 * sim/campaign/summary.c: tallies, the progress line and the outcome table
 * (see summary.h).
 */
#include "summary.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../fs/base.h"
#include "../clock.h"

void
tally_add(struct tally *t, enum outcome o, uint32_t fault_class)
{
    ASSERT(o < OUTCOME_COUNT);
    ASSERT(fault_class < CRASH_FAULT_CLASSES);
    t->counts[o][fault_class]++;
    t->finished++;
    t->violations += outcome_is_violation(o);
    t->unchecked += !outcome_is_final(o);
}

void
progress_start(struct progress *p, bool silent)
{
    memset(p, 0, sizeof(*p));
    p->t0_ns = clock_now_ns();
    p->tty = isatty(STDERR_FILENO);
    p->silent = silent;
}

void
progress_line(struct progress *p, const struct tally *t, size_t count, bool final)
{
    ASSERT(t->finished <= count);
    if (p->silent) {
        return;
    }
    uint64_t now = clock_now_ns(), el = now - p->t0_ns;
    if (!p->tty && !final && now - p->last_line_ns < PROGRESS_PLAIN_NS) {
        return;
    }
    p->last_line_ns = now;
    double rate = el > 0 ? (double)t->finished * 1e9 / (double)el : 0;
    double eta = rate > 0 ? (double)(count - t->finished) / rate : 0;
    fprintf(stderr, "%sstates %" PRIu64 "/%zu (%.0f%%)  %.0f/s  violations %" PRIu64
            "  ETA %u:%02u%s", p->tty ? "\r" : "", t->finished, count,
            count ? 100.0 * (double)t->finished / (double)count : 100.0, rate, t->violations,
            (unsigned)(eta / 60), (unsigned)eta % 60, p->tty && !final ? "  " : "\n");
}

void
summary_table(const struct tally *t)
{
    bool used[CRASH_FAULT_CLASSES] = { false };
    for (uint32_t k = 0; k < CRASH_FAULT_CLASSES; k++) {
        used[k] = k <= FAULT_CLASS_TORN;    /* cut, drop, torn: a column even when empty. */
        for (uint32_t o = 0; o < OUTCOME_COUNT; o++) {
            used[k] = used[k] || t->counts[o][k] > 0;
        }
    }
    printf("\n%-22s", "outcome");
    for (uint32_t k = 0; k < CRASH_FAULT_CLASSES; k++) {
        if (used[k]) {
            printf(" %10s", crash_fault_class_name(k));
        }
    }
    printf("\n");
    for (uint32_t o = 0; o < OUTCOME_COUNT; o++) {
        uint64_t all = 0;
        for (uint32_t k = 0; k < CRASH_FAULT_CLASSES; k++) {
            all += t->counts[o][k];
        }
        if (all == 0) {
            continue;
        }
        printf("%-22s", outcome_name((enum outcome)o));
        for (uint32_t k = 0; k < CRASH_FAULT_CLASSES; k++) {
            if (used[k]) {
                printf(" %10" PRIu64, t->counts[o][k]);
            }
        }
        printf("\n");
    }
}
