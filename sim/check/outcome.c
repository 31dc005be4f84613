/*
 * sim/check/outcome.c: outcome names (see outcome.h).
 */
#include "outcome.h"

#include <string.h>

#include "../../fs/base.h"

static const char *const names[OUTCOME_COUNT] = {
#define X(id, name) name,
    OUTCOMES(X)
#undef X
};

const char *
outcome_name(enum outcome o)
{
    ASSERT(o < OUTCOME_COUNT);
    return names[o];
}

int
outcome_parse(const char *s, enum outcome *out)
{
    for (uint32_t i = 0; i < OUTCOME_COUNT; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum outcome)i;
            return 0;
        }
    }
    return -1;
}

bool
outcome_is_violation(enum outcome o)
{
    ASSERT(o < OUTCOME_COUNT);
    return o != OUTCOME_OK && o != OUTCOME_OK_LEAK && o != OUTCOME_ROLLED_BACK
        && o != OUTCOME_DETECTED && o != OUTCOME_ACCEPTED && o != OUTCOME_UNCHECKED;
}

bool
outcome_is_final(enum outcome o)
{
    ASSERT(o < OUTCOME_COUNT);
    bool final = o != OUTCOME_UNCHECKED;
    ASSERT(final || !outcome_is_violation(o));      /* Not final is never a violation. */
    return final;
}
