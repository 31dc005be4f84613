/*
 * tests/fuzz/trace.c: fuzz target "trace" — the trace reader
 * (traces/trace.h), its "# geometry:" line and a regression case's "#@"
 * directives (sim/campaign/regress.h), on any bytes.
 *
 * Properties, beyond no crash, hang, leak or sanitizer report:
 *   - an error is "fuzz:LINE:COL: message" with LINE a line of the input and
 *     COL inside it (or just past its end), and leaves nothing allocated;
 *   - a trace that parses holds no NUL byte, and each step formats to a
 *     line that parses back to the same step;
 *   - a geometry line that parses gives values the recorder accepts;
 *   - a case that parses has 1..REGRESS_STATES_MAX states, each of whose
 *     ids formats and parses back to the same state.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../faultinject/classes.h"
#include "../../fs/base.h"
#include "../../fs/format.h"
#include "../../sim/campaign/regress.h"
#include "../../sim/check/outcome.h"
#include "../../traces/trace.h"

#define ERR_SIZE 512u
/* Steps per input: more is "too many steps". 32 steps of struct trace_step
 * (2 KiB each, two paths) stay below 128 KiB, which under ASan is an mmap a
 * parse; any line of the format fits in the first 32. */
#define STEPS_MAX 32u

/* CRASHSIM_FUZZ_PLANT=TEXT plants a finding: an input that holds TEXT
 * fails a property. tests/fuzz.sh uses it to see a finding found,
 * minimized and kept; unset, it does nothing. */
static const char *plant;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    plant = getenv("CRASHSIM_FUZZ_PLANT");
    if (plant != NULL && plant[0] == '\0') {
        plant = NULL;
    }
    return 0;
}

/* Whether the input holds needle. */
static bool
holds(const uint8_t *data, size_t size, const char *needle)
{
    size_t n = strlen(needle);
    for (const uint8_t *p = data, *end = data + size;
            (p = memchr(p, needle[0], (size_t)(end - p))) != NULL; p++) {
        if ((size_t)(end - p) < n) {
            return false;
        }
        if (memcmp(p, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

/* An error message names a position of the input: LINE:COL after "fuzz:". */
static void
require_position(const char *err, const uint8_t *data, size_t size)
{
    unsigned line = 0, col = 0;
    FUZZ_REQUIRE(sscanf(err, "fuzz:%u:%u: ", &line, &col) == 2, "error without a position: %s",
            err);
    const uint8_t *p = data, *end = data + size;
    for (unsigned l = 1; l < line; l++) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        FUZZ_REQUIRE(nl != NULL, "error names line %u of fewer: %s", line, err);
        p = nl + 1;
    }
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
    FUZZ_REQUIRE(line >= 1 && col >= 1 && (col <= len + 1 || col == TRACE_LINE_MAX + 1),
            "error names column %u of a %zu-byte line: %s", col, len, err);
}

static void
trace_steps(const uint8_t *data, size_t size)
{
    char err[ERR_SIZE];
    struct trace t;
    if (trace_parse_buf("fuzz", (const char *)data, size, STEPS_MAX, &t, err, sizeof(err)) != 0) {
        require_position(err, data, size);
        FUZZ_REQUIRE(t.count == 0 && t.steps == NULL, "a failed parse left steps");
        return;
    }
    FUZZ_STAGE(ACCEPTED);
    FUZZ_REQUIRE(size == 0 || memchr(data, '\0', size) == NULL, "a trace with a NUL parsed");
    /* Every step formatted, one a line, parses back to the same steps. */
    static char *text;                  /* Kept between inputs; grows. */
    static size_t cap;
    size_t used = 0;
    for (uint32_t i = 0; i < t.count; i++) {
        if (cap - used < TRACE_LINE_MAX + 2) {
            cap = used + TRACE_LINE_MAX * 64;
            text = realloc(text, cap);
            FUZZ_REQUIRE(text != NULL, "out of memory");
        }
        trace_step_format(&t.steps[i], text + used, TRACE_LINE_MAX);
        used += strlen(text + used);
        text[used++] = '\n';
    }
    struct trace u;
    FUZZ_REQUIRE(trace_parse_buf("again", text, used, STEPS_MAX, &u, err, sizeof(err)) == 0,
            "the steps format to lines that do not parse: %s", err);
    FUZZ_REQUIRE(u.count == t.count, "%u steps format to %u", t.count, u.count);
    for (uint32_t i = 0; i < t.count; i++) {
        FUZZ_REQUIRE(trace_step_same(&t.steps[i], &u.steps[i]),
                "step %u formats to a line that parses to another step", i);
    }
    trace_free(&u);
    trace_free(&t);
}

static void
geometry(const uint8_t *data, size_t size)
{
    char err[ERR_SIZE];
    struct trace_geometry g;
    if (trace_geometry_parse("fuzz", (const char *)data, size, &g, err, sizeof(err)) != 0) {
        require_position(err, data, size);
        return;
    }
    if (g.device_size_given) {
        FUZZ_REQUIRE(g.device_size >= TRACE_GEOMETRY_SIZE_MIN, "size %llu below the minimum",
                (unsigned long long)g.device_size);
    }
    if (g.block_size_given) {
        FUZZ_REQUIRE(fmt_block_size_valid(g.block_size), "block size %u", g.block_size);
        FUZZ_REQUIRE(!g.device_size_given || g.device_size % g.block_size == 0,
                "size %llu not whole blocks of %u", (unsigned long long)g.device_size,
                g.block_size);
    }
    if (g.arena_count_given) {
        FUZZ_REQUIRE(g.arena_count >= 1 && g.arena_count <= FMT_ARENA_COUNT_MAX, "arenas %u",
                g.arena_count);
    }
}

static void
regress_case(const uint8_t *data, size_t size)
{
    char err[ERR_SIZE];
    static struct regress_case c, d;        /* Large: kept off the stack. */
    if (regress_parse("fuzz", (const char *)data, size, &c, err, sizeof(err)) != 0) {
        require_position(err, data, size);
        FUZZ_REQUIRE(c.text == NULL, "a failed case kept its text");
        return;
    }
    FUZZ_REQUIRE(c.state_count >= 1 && c.state_count <= REGRESS_STATES_MAX, "%u states",
            c.state_count);
    FUZZ_REQUIRE(c.expect[0] < OUTCOME_COUNT, "outcome %d", (int)c.expect[0]);
    for (uint32_t i = 0; i < c.state_count; i++) {
        char id[NEST_ID_MAX];
        regress_state_id(&c, i, id, sizeof(id));
        d = c;
        FUZZ_REQUIRE(regress_state_parse(&d, i, id) == 0, "state %u's id '%s' does not parse",
                i, id);
        FUZZ_REQUIRE(d.depth[i] == c.depth[i]
                && memcmp(&d.states[i], &c.states[i], sizeof(c.states[i])) == 0
                && memcmp(d.above[i], c.above[i], sizeof(c.above[i])) == 0,
                "state %u's id '%s' parses to another state", i, id);
    }
    regress_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > TRACE_FILE_SIZE_MAX) {
        return 0;
    }
    FUZZ_REQUIRE(plant == NULL || !holds(data, size, plant), "the planted finding '%s'", plant);
    trace_steps(data, size);
    geometry(data, size);
    if (holds(data, size, "#@")) {
        regress_case(data, size);       /* Without a directive a case is refused as a trace. */
    }
    return 0;
}

size_t
fuzz_max_len(void)
{
    return FUZZ_TRACE_INPUT_MAX;
}

void
fuzz_dict(FILE *out)
{
    char name[64], tok[64];
    for (uint32_t op = 0; op < TRACE_OP_COUNT; op++) {
        snprintf(name, sizeof(name), "op_%u", op);
        snprintf(tok, sizeof(tok), "%s ", trace_op_name((enum trace_op)op));
        fuzz_dict_str(out, name, tok);
    }
    for (int e = -1; e >= -128; e--) {
        const char *n = fs_strerror(e);
        if (strcmp(n, fs_strerror(-1000)) != 0) {           /* A code of fs/base.h. */
            snprintf(name, sizeof(name), "expect_%d", -e);
            snprintf(tok, sizeof(tok), " expect=%s", n + 3);    /* Without "FS_". */
            fuzz_dict_str(out, name, tok);
        }
    }
    fuzz_dict_str(out, "seed", " seed=");
    fuzz_dict_str(out, "geometry", "# geometry:");
    fuzz_dict_str(out, "opt_size", " --size ");
    fuzz_dict_str(out, "opt_block_size", " --block-size ");
    fuzz_dict_str(out, "opt_arenas", " --arenas ");
    fuzz_dict_str(out, "k", "4K");
    fuzz_dict_str(out, "m", "1M");
    fuzz_dict_str(out, "g", "1G");
    fuzz_dict_str(out, "directive", "\n#@ ");
    for (uint32_t d = 0; d < REGRESS_DIR_COUNT; d++) {
        snprintf(name, sizeof(name), "dir_%u", d);
        snprintf(tok, sizeof(tok), "#@ %s ", regress_directive_name((enum regress_directive)d));
        fuzz_dict_str(out, name, tok);
    }
    for (uint32_t m = 0; m < MODEL_COUNT; m++) {
        snprintf(name, sizeof(name), "model_%u", m);
        fuzz_dict_str(out, name, device_model_name((enum device_model)m));
    }
    for (uint32_t o = 0; o < OUTCOME_COUNT; o++) {
        snprintf(name, sizeof(name), "outcome_%u", o);
        snprintf(tok, sizeof(tok), " %s", outcome_name((enum outcome)o));
        fuzz_dict_str(out, name, tok);
    }
}
