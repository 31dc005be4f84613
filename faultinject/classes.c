/*
 * faultinject/classes.c: the tables of classes.h as arrays, and the lookups
 * by index, name and capability that the rest of faultinject/, the campaign
 * code and the result store use.
 *
 * Every array here is an expansion of its X-macro, so it cannot fall out of
 * step with the enum of the same table; the columns a lookup does not need
 * are dropped by the expansion.
 */
#include "classes.h"

#include <string.h>

#include "../fs/base.h"
#include "../traces/names.h"

static const struct {
    const char *name;           /* As --model spells it. */
    uint32_t caps;              /* enum device_cap bits. */
} models[MODEL_COUNT] = {
#define X(NAME, name, caps) { name, caps },
    DEVICE_MODELS(X)
#undef X
};

static const char *const verdict_names[FAULT_VERDICT_COUNT] = {
#define X(NAME, name) name,
    FAULT_VERDICTS(X)
#undef X
};

static const struct fault_class_info classes[FAULT_CLASS_COUNT] = {
#define X(NAME, name, ELEMENT, element, count, needs, verdict, media, id, id_args) \
    { name, FAULT_CLASS_##NAME, verdict, element, needs, media, id },
    FAULT_CLASSES(X)
#undef X
};

static const struct {
    char letter;                /* In a state id. */
    const char *what;           /* For explanations. */
} fills[TORN_FILL_COUNT] = {
#define X(NAME, fill, what) { fill, what },
    TORN_FILLS(X)
#undef X
};

const char *
device_model_name(enum device_model m)
{
    ASSERT(m < MODEL_COUNT);
    ASSERT(models[m].name != NULL);
    return models[m].name;
}

int
device_model_parse(const char *s, enum device_model *out)
{
    ASSERT(s != NULL);
    ASSERT(out != NULL);
    int32_t i = names_find(models, sizeof(models[0]), MODEL_COUNT, s);
    if (i < 0) {
        return -1;
    }
    *out = (enum device_model)i;
    return 0;
}

bool
device_model_drops(enum device_model m)
{
    ASSERT(m < MODEL_COUNT);
    return (models[m].caps & DEVICE_DROPS) != 0;
}

bool
device_model_tears(enum device_model m)
{
    ASSERT(m < MODEL_COUNT);
    return (models[m].caps & DEVICE_TEARS) != 0;
}

bool
device_model_lies(enum device_model m)
{
    ASSERT(m < MODEL_COUNT);
    return (models[m].caps & DEVICE_LIES) != 0;
}

bool
device_model_media(enum device_model m)
{
    ASSERT(m < MODEL_COUNT);
    return (models[m].caps & DEVICE_MEDIA) != 0;
}

bool
device_model_applies(enum device_model model, uint32_t class_index)
{
    ASSERT(model < MODEL_COUNT);
    ASSERT(class_index < CRASH_FAULT_CLASSES);
    return (models[model].caps & classes[class_index].needs) == classes[class_index].needs;
}

const struct fault_class_info *
fault_class_info(uint32_t index)
{
    ASSERT(index < CRASH_FAULT_CLASSES);
    ASSERT(classes[index].index == index);
    return &classes[index];
}

const char *
crash_fault_class_name(uint32_t index)
{
    return fault_class_info(index)->name;
}

enum fault_class
fault_class_of_media(enum media_fault media)
{
    ASSERT(media != MEDIA_NONE);
    ASSERT(media < MEDIA_COUNT);
    for (uint32_t i = 0; i < CRASH_FAULT_CLASSES; i++) {
        if (classes[i].media_fault == media) {
            return (enum fault_class)i;
        }
    }
    ASSERT(!"a media fault with no class in FAULT_CLASSES");
    return FAULT_CLASS_CUT;
}

const char *
fault_verdict_name(enum fault_verdict verdict)
{
    ASSERT(verdict < FAULT_VERDICT_COUNT);
    ASSERT(verdict_names[verdict] != NULL);
    return verdict_names[verdict];
}

char
torn_fill_letter(enum torn_fill fill)
{
    ASSERT(fill < TORN_FILL_COUNT);
    ASSERT(fills[fill].letter != '\0');
    return fills[fill].letter;
}

int
torn_fill_parse(char letter)
{
    for (uint32_t i = 0; i < TORN_FILL_COUNT; i++) {
        if (fills[i].letter == letter) {
            return (int)i;
        }
    }
    return -1;
}

const char *
torn_fill_describe(char letter)
{
    int fill = torn_fill_parse(letter);
    ASSERT(fill >= 0);
    return fills[fill].what;
}
