/*
 * sim/campaign/regress.c: the regression corpus (see regress.h).
 *
 * A case file is read by the trace reader (traces/trace.h, trace_load), so it
 * gets every check a trace file gets (a regular file, the size cap, no NUL
 * byte anywhere, no control character in a word) with the same messages; the
 * "#@" directives are then taken from its text, which therefore holds no NUL.
 */
#include "regress.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../fs/format.h"
#include "../check/checker.h"
#include "../../traces/names.h"

#define REGRESS_DIRECTIVE_MAX 512u  /* Bytes of a "#@" line after "#@ ", NUL included. */

static int
state_directive(struct regress_case *c, const char *val)
{
    char id[NEST_ID_MAX], outcome[32];
    int used = 0;
    if (c->state_count == REGRESS_STATES_MAX
            || sscanf(val, "%511s %31s %n", id, outcome, &used) != 2 || val[used] != '\0') {
        return -1;
    }
    uint32_t i = c->state_count;
    if (regress_state_parse(c, i, id) != 0 || outcome_parse(outcome, &c->expect[i]) != 0) {
        return -1;
    }
    c->state_count++;
    return 0;
}

static int
directive(struct regress_case *c, enum regress_directive d, const char *val)
{
    uint64_t v;
    switch (d) {
    case REGRESS_DIR_MODEL:
        return device_model_parse(val, &c->model);
    case REGRESS_DIR_PROFILE:
        return sync_profile_parse(val, &c->rec.profile);
    case REGRESS_DIR_SIZE:
        return trace_number_parse(val, &c->rec.device_size) ? 0 : -1;
    case REGRESS_DIR_BLOCK_SIZE: {
        bool ok = trace_number_parse(val, &v) && fmt_block_size_valid(v);
        c->rec.block_size = (uint32_t)v;
        return ok ? 0 : -1;
    }
    case REGRESS_DIR_ARENAS: {
        bool ok = trace_number_parse(val, &v) && v <= FMT_ARENA_COUNT_MAX;
        c->rec.arenas = (uint32_t)v;
        return ok ? 0 : -1;
    }
    case REGRESS_DIR_WLOG: {
        char *end;
        c->wlog_hash = strtoull(val, &end, 16);
        return *end == '\0' && end != val ? 0 : -1;
    }
    case REGRESS_DIR_CATCHES:
        snprintf(c->catches, sizeof(c->catches), "%s", val);
        return 0;
    case REGRESS_DIR_STATE:
        return state_directive(c, val);
    case REGRESS_DIR_COUNT:
        break;
    }
    return -1;
}

static const char *const directive_names[] = {
#define X(id, name) name,
    REGRESS_DIRECTIVES(X)
#undef X
};

const char *
regress_directive_name(enum regress_directive d)
{
    ASSERT(d < REGRESS_DIR_COUNT);
    return directive_names[d];
}

int
regress_state_parse(struct regress_case *c, uint32_t i, const char *id)
{
    ASSERT(i < REGRESS_STATES_MAX);
    struct crash_state levels[NEST_DEPTH_MAX];
    int depth = nest_id_parse(id, levels, NEST_DEPTH_MAX);
    if (depth < 1) {
        return -1;
    }
    c->depth[i] = (uint8_t)depth;
    c->states[i] = levels[depth - 1];
    for (int l = 0; l + 1 < depth; l++) {
        c->above[i][l] = levels[l];
    }
    return 0;
}

void
regress_state_id(const struct regress_case *c, uint32_t i, char *buf, size_t size)
{
    ASSERT(i < c->state_count);
    struct nest_link chain[NEST_DEPTH_MAX - 1];
    uint32_t up = c->depth[i] > 1 ? c->depth[i] - 1u : 0u;
    for (uint32_t l = 0; l < up; l++) {
        chain[l] = (struct nest_link){ c->above[i][l], 0 };
    }
    nest_id_format(chain, up, &c->states[i], buf, size);
}

/* Applies one "#@" line of n bytes (no newline); -1 with why in err. */
static int
directive_line(struct regress_case *c, const char *path, uint32_t line, const char *p, size_t n,
        char *err, size_t err_size)
{
    char buf[REGRESS_DIRECTIVE_MAX], key[32];
    ASSERT(n >= 2 && strncmp(p, "#@", 2) == 0);
    if (n < 4 || p[2] != ' ') {
        snprintf(err, err_size, "%s:%u:1: bad directive '%.*s' (#@ KEY VALUE)", path, line,
                (int)FS_MIN(n, 100), p);
        return -1;
    }
    if (n - 3 >= sizeof(buf)) {
        snprintf(err, err_size, "%s:%u:1: directive too long (%zu bytes, at most %zu)", path,
                line, n, sizeof(buf) + 2);
        return -1;
    }
    memcpy(buf, p + 3, n - 3);
    buf[n - 3] = '\0';
    int used = 0;
    int32_t d = sscanf(buf, "%31s %n", key, &used) != 1 ? -1
        : names_find(directive_names, sizeof(directive_names[0]), REGRESS_DIR_COUNT, key);
    if (d < 0 || directive(c, (enum regress_directive)d, buf + used) != 0) {
        snprintf(err, err_size, "%s:%u:1: bad directive '%.100s'", path, line, buf);
        return -1;
    }
    return 0;
}

/* Starts an empty case named by the last element of path. */
static void
case_init(struct regress_case *c, const char *path)
{
    memset(c, 0, sizeof(*c));
    c->rec = RECORD_CONFIG_DEFAULT;
    c->model = MODEL_ORDERED;
    const char *base = strrchr(path, '/');
    snprintf(c->name, sizeof(c->name), "%s", base != NULL ? base + 1 : path);
}

/* Takes the "#@" directives of c->text; messages name path. */
static int
case_directives(struct regress_case *c, const char *path, char *err, size_t err_size)
{
    uint32_t line = 1;
    for (const char *p = c->text; *p != '\0'; line++) {      /* Bound: the file's lines. */
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        if (n >= 2 && strncmp(p, "#@", 2) == 0
                && directive_line(c, path, line, p, n, err, err_size) != 0) {
            regress_free(c);
            return -1;
        }
        p += n + (nl != NULL);
    }
    if (c->state_count == 0) {
        snprintf(err, err_size, "%s:1:1: no '#@ state ID OUTCOME' line", path);
        regress_free(c);
        return -1;
    }
    return 0;
}

int
regress_load(const char *path, struct regress_case *c, char *err, size_t err_size)
{
    case_init(c, path);
    struct trace t;
    if (trace_load(path, &t, &c->text, err, err_size) != 0) {
        return -1;          /* The trace reader's checks and messages, as crashsim run's. */
    }
    trace_free(&t);
    return case_directives(c, path, err, err_size);
}

int
regress_parse(const char *name, const char *text, size_t size, struct regress_case *c,
        char *err, size_t err_size)
{
    case_init(c, name);
    struct trace t;
    if (trace_parse_buf(name, text, size, TRACE_STEPS_MAX, &t, err, err_size) != 0) {
        return -1;
    }
    trace_free(&t);
    c->text = malloc(size + 1);
    if (c->text == NULL) {
        snprintf(err, err_size, "%s:1:1: out of memory", name);
        return -1;
    }
    memcpy(c->text, text, size);        /* Parsed: no NUL inside. */
    c->text[size] = '\0';
    return case_directives(c, name, err, err_size);
}

void
regress_free(struct regress_case *c)
{
    free(c->text);
    c->text = NULL;
}

int
regress_write(FILE *out, const struct regress_case *c, const char *comment,
        const char *trace_text)
{
    fprintf(out, "# crashsim regression case: %s\n", comment);
    fprintf(out, "#@ model %s\n#@ profile %s\n#@ size %" PRIu64 "\n#@ block-size %u\n",
            device_model_name(c->model), sync_profile_name(c->rec.profile),
            c->rec.device_size, c->rec.block_size);
    if (c->rec.arenas != 0) {
        fprintf(out, "#@ arenas %u\n", c->rec.arenas);
    }
    fprintf(out, "#@ wlog %016" PRIx64 "\n", c->wlog_hash);
    if (c->catches[0] != '\0') {
        fprintf(out, "#@ catches %s\n", c->catches);
    }
    for (uint32_t i = 0; i < c->state_count; i++) {
        char id[NEST_ID_MAX];
        regress_state_id(c, i, id, sizeof(id));
        fprintf(out, "#@ state %s %s\n", id, outcome_name(c->expect[i]));
    }
    fprintf(out, "\n%s", trace_text);
    return ferror(out) ? -1 : 0;
}

#define RR_SETUP UINT32_MAX         /* A record about the case, not a state. */

struct rr {
    uint32_t index;                 /* State index, or RR_SETUP. */
    uint8_t outcome;                /* enum outcome. */
    char reason[240];               /* Why. */
};

static void
rr_send(int fd, uint32_t index, uint8_t outcome, const char *reason)
{
    struct rr r = { index, outcome, "" };
    snprintf(r.reason, sizeof(r.reason), "%s", reason);
    ssize_t n = write(fd, &r, sizeof(r));
    (void)n;
}

/* The checker of pinned state i's level (nest_descend); NULL with why. */
static struct checker *
rr_level(struct nest *n, const struct regress_case *c, uint32_t i, const char **why)
{
    static char err[256];
    struct crash_state levels[NEST_DEPTH_MAX];
    struct nest_link chain[NEST_DEPTH_MAX];
    uint32_t depth = c->depth[i] > 1 ? c->depth[i] : 1u;
    for (uint32_t l = 0; l + 1 < depth; l++) {
        levels[l] = c->above[i][l];
    }
    levels[depth - 1] = c->states[i];
    struct checker *ck = nest_descend(n, levels, depth, chain, err, sizeof(err));
    *why = err;
    return ck;
}

/* The child: record the workload and check every pinned state. */
static _Noreturn void
rr_child(const struct regress_case *c, int fd)
{
    struct trace t;
    struct recording rec;
    char err[512];
    if (trace_parse_text(c->name, c->text, &t, err, sizeof(err)) != 0
            || record_workload(&c->rec, &t, &rec, err, sizeof(err)) != 0) {
        rr_send(fd, RR_SETUP, OUTCOME_CHECK_FAILED, err);
        _exit(3);
    }
    if (c->wlog_hash != 0 && rec.wlog_hash != c->wlog_hash) {
        snprintf(err, sizeof(err), "stale: the workload now records write log %016" PRIx64
                ", the case was made for %016" PRIx64, rec.wlog_hash, c->wlog_hash);
        rr_send(fd, RR_SETUP, OUTCOME_CHECK_FAILED, err);
        _exit(3);
    }
    if (rec.violation[0] != '\0') {
        rr_send(fd, RR_SETUP, OUTCOME_CHECK_FAILED, rec.violation);
        _exit(3);
    }
    static struct nest n;
    if (nest_init(&n, &rec, false) != 0) {
        _exit(3);
    }
    for (uint32_t i = 0; i < c->state_count; i++) {
        struct state_result r;
        const char *why = NULL;
        struct checker *ck = rr_level(&n, c, i, &why);
        if (ck == NULL) {
            rr_send(fd, i, OUTCOME_COUNT, why);
        } else if (checker_check(ck, &c->states[i], &r) != 0) {
            rr_send(fd, i, OUTCOME_COUNT, "the state does not fit the write log");
        } else {
            rr_send(fd, i, r.outcome, r.reason);
        }
    }
    _exit(0);
}

int
regress_observe(const struct regress_case *c, enum outcome *got, char (*why)[240], char *err,
        size_t err_size)
{
    int fds[2];
    fflush(NULL);
    if (pipe(fds) != 0) {
        snprintf(err, err_size, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_size, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        rr_child(c, fds[1]);
    }
    close(fds[1]);
    uint32_t next = 0;
    int rc = 0;
    struct rr r;
    while (rc == 0 && read(fds[0], &r, sizeof(r)) == (ssize_t)sizeof(r)) {
        if (r.index == RR_SETUP || r.index != next) {
            snprintf(err, err_size, "%s", r.reason);
            rc = -1;
            break;
        }
        if (r.outcome >= OUTCOME_COUNT) {
            char id[NEST_ID_MAX];
            regress_state_id(c, next, id, sizeof(id));
            snprintf(err, err_size, "%s: %s", id, r.reason);
            rc = -1;
            break;
        }
        got[next] = (enum outcome)r.outcome;
        snprintf(why[next++], 240, "%s", r.reason);
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (rc == 0 && next < c->state_count) {
        int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        got[next] = sig == SIGABRT ? OUTCOME_ASSERT : OUTCOME_SIGNAL;
        snprintf(why[next++], 240, "the checker died: %s", sig ? strsignal(sig) : "exit");
        while (next < c->state_count) {
            got[next] = OUTCOME_CHECK_FAILED;
            snprintf(why[next++], 240, "not checked: an earlier state killed the checker");
        }
    }
    return rc;
}

int
regress_run(const struct regress_case *c, bool verbose, FILE *out)
{
    enum outcome got[REGRESS_STATES_MAX];
    char why[REGRESS_STATES_MAX][240], err[512];
    if (regress_observe(c, got, why, err, sizeof(err)) != 0) {
        fprintf(out, "FAIL  %s: %s\n", c->name, err);
        return 1;
    }
    uint32_t bad = 0;
    for (uint32_t i = 0; i < c->state_count; i++) {
        char id[NEST_ID_MAX];
        regress_state_id(c, i, id, sizeof(id));
        if (got[i] != c->expect[i]) {
            fprintf(out, "FAIL  %s: %s: expected %s, got %s (%s)\n", c->name, id,
                    outcome_name(c->expect[i]), outcome_name(got[i]), why[i]);
            bad++;
        } else if (verbose) {
            fprintf(out, "      %s: %s: %s\n", c->name, id, outcome_name(got[i]));
        }
    }
    if (bad == 0) {
        fprintf(out, "ok    %s (%u states)\n", c->name, c->state_count);
    }
    return bad == 0 ? 0 : 1;
}
