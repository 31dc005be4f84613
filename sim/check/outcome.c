/*
 * sim/check/outcome.c: outcome names, kinds and meanings (see outcome.h).
 */
#include "outcome.h"

#include <string.h>

#include "../../fs/base.h"
#include "../../traces/names.h"

static const struct {
    const char *name;               /* As stored and printed. */
    enum outcome_kind kind;         /* What it means for the run. */
    const char *meaning;            /* One line. */
} outcomes[OUTCOME_COUNT] = {
#define X(id, name, kind, meaning) { name, OUTCOME_KIND_##kind, meaning },
    OUTCOMES(X)
#undef X
};

static const char *const kind_names[OUTCOME_KIND_COUNT] = {
#define X(id, name) name,
    OUTCOME_KINDS(X)
#undef X
};

const char *
outcome_name(enum outcome o)
{
    ASSERT(o < OUTCOME_COUNT);
    return outcomes[o].name;
}

int
outcome_parse(const char *s, enum outcome *out)
{
    int32_t i = names_find(outcomes, sizeof(outcomes[0]), OUTCOME_COUNT, s);
    if (i < 0) {
        return -1;
    }
    *out = (enum outcome)i;
    return 0;
}

enum outcome_kind
outcome_kind(enum outcome o)
{
    ASSERT(o < OUTCOME_COUNT);
    ASSERT(outcomes[o].kind < OUTCOME_KIND_COUNT);
    return outcomes[o].kind;
}

const char *
outcome_kind_name(enum outcome_kind k)
{
    ASSERT(k < OUTCOME_KIND_COUNT);
    return kind_names[k];
}

const char *
outcome_meaning(enum outcome o)
{
    ASSERT(o < OUTCOME_COUNT);
    return outcomes[o].meaning;
}

bool
outcome_is_violation(enum outcome o)
{
    return outcome_kind(o) == OUTCOME_KIND_VIOLATION;
}

bool
outcome_is_final(enum outcome o)
{
    bool final = outcome_kind(o) != OUTCOME_KIND_UNCHECKED;
    ASSERT(final || !outcome_is_violation(o));      /* Not final is never a violation. */
    return final;
}
