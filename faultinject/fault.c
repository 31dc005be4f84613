/*
 * faultinject/fault.c: fault points and their schedule (see fault.h).
 */
#include "fault.h"

#include <string.h>

#include "../fs/base.h"

static const char *const names[FAULT_POINT_COUNT] = {
#define X(point, name) name,
    FAULT_POINTS(X)
#undef X
};

void
fault_reset(struct fault_state *f)
{
    ASSERT(f != NULL);
    memset(f, 0, sizeof(*f));
}

void
fault_arm(struct fault_state *f, enum fault_point point, struct fault_arming arming)
{
    ASSERT(point < FAULT_POINT_COUNT);
    ASSERT(arming.repeat > 0);
    f->arm[point] = arming;
    f->armed[point] = true;
}

void
fault_disarm(struct fault_state *f)
{
    ASSERT(f != NULL);
    memset(f->armed, 0, sizeof(f->armed));
}

void
fault_fired(enum fault_point point)
{
    (void)point;
}

bool
fault_hit(struct fault_state *f, enum fault_point point)
{
    if (f == NULL) {
        return false;
    }
    ASSERT(point < FAULT_POINT_COUNT);
    f->hit_count[point]++;
    if (!f->armed[point]) {
        return false;
    }
    struct fault_arming *a = &f->arm[point];
    if (a->countdown > 0) {
        a->countdown--;
        return false;
    }
    if (a->repeat == 0) {
        return false;
    }
    if (a->repeat != FAULT_PERSISTENT) {
        a->repeat--;
    }
    f->fired_count[point]++;
    fault_fired(point);
    return true;
}

uint64_t
fault_fired_total(const struct fault_state *f)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < FAULT_POINT_COUNT; i++) {
        n += f->fired_count[i];
    }
    return n;
}

const char *
fault_point_name(enum fault_point point)
{
    ASSERT(point < FAULT_POINT_COUNT);
    return names[point];
}
