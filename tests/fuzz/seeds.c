/*
 * tests/fuzz/seeds.c: fuzz-seeds, the seed corpora of the fuzz targets,
 * made from workloads (`make fuzz-corpus` runs it on the standard
 * workloads and the regression cases).
 *
 *   fuzz-seeds [--states N] OUTDIR TRACE...
 *
 * Each TRACE is recorded on the fuzzing geometry (image.h: 1 MiB, 4 KiB
 * blocks, one arena) as `crashsim explore` records a workload; where the
 * small device makes a step fail, the recording ends there and what was
 * recorded is used. Then:
 *   OUTDIR/trace/NAME         the trace file itself;
 *   OUTDIR/wlog/NAME.crashsim, NAME.dm-log-writes
 *                             the write log of its first steps (up to
 *                             WLOG_SEED_STEPS, as many as fit whole in
 *                             FUZZ_WLOG_INPUT_MAX bytes), in both formats;
 *   OUTDIR/mount/NAME-ID      crash states of the recording (device model
 *                             torn, plan pass,flush,prefix,torn: at most N,
 *                             spread over the log, and the final image),
 *                             as image inputs;
 *   OUTDIR/mount-sealed/NAME-ID   those of the images that fit whole in an
 *                             input with room for every edit
 *                             (FUZZ_SEALED_IMAGE_MAX), with no edits.
 * Identical images are written once. Exit status 0, 1 when a trace could
 * not be read or recorded (the others are still written), 2 on a usage
 * error or a file that cannot be written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "image.h"
#include "../../faultinject/plan.h"
#include "../../fs/base.h"
#include "../../fs/format.h"
#include "../../sim/check/crash.h"
#include "../../sim/record/runner.h"
#include "../../traces/trace.h"
#include "../../traces/wlog.h"

#define STATES_DEFAULT 24u
#define SEEN_MAX 65536u
#define SEED_PLAN "pass,flush,prefix,torn"
#define WLOG_SEED_STEPS 8u          /* Steps of a trace whose write log is a wlog seed. */

static uint64_t seen[SEEN_MAX];
static uint32_t seen_count;
static uint32_t sealed_count;       /* Images small enough for mount-sealed. */

static void
usage(FILE *out)
{
    fprintf(out,
        "usage: fuzz-seeds [--states N] OUTDIR TRACE...\n"
        "\n"
        "Records each TRACE on the fuzzing geometry (1 MiB, 4 KiB blocks, one\n"
        "arena; a step the small device fails ends the recording) and writes the\n"
        "seed corpora of the fuzz targets under OUTDIR: trace/ (the files),\n"
        "wlog/ (the write log of its first steps in both formats), mount/ (up\n"
        "to N crash states\n"
        "per trace, model torn, plan " SEED_PLAN ", and the final image) and\n"
        "mount-sealed/ (those that fit whole with room for edits, no edits).\n"
        "\n"
        "  -s, --states N   crash states per trace (default %u)\n"
        "  -h, --help       this text\n"
        "\n"
        "Exit status: 0 all written, 1 a trace could not be read or recorded,\n"
        "2 usage error or a file that cannot be written.\n", STATES_DEFAULT);
}

static int
write_file(const char *dir, const char *name, const void *head, size_t head_size,
        const void *bytes, size_t size)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(head, 1, head_size, f) != head_size
            || fwrite(bytes, 1, size, f) != size || fclose(f) != 0) {
        fprintf(stderr, "fuzz-seeds: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int
make_dir(const char *out, const char *sub, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", out, sub);
    if (mkdir(out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "fuzz-seeds: %s: %s\n", out, strerror(errno));
        return -1;
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "fuzz-seeds: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

struct dirs {
    char trace[4096], wlog[4096], mount[4096], sealed[4096];
};

/* One crash state's image, as a mount and a mount-sealed seed. */
static int
state_seed(const struct dirs *d, const char *name, struct crash_view *v,
        const struct crash_state *s, uint8_t *bytes)
{
    if (crash_view_set(v, s) != 0) {
        return 0;
    }
    for (uint64_t b = 0; b < FUZZ_BLOCK_COUNT; b++) {
        memcpy(bytes + b * FUZZ_BLOCK_SIZE, crash_view_block(v, b), FUZZ_BLOCK_SIZE);
    }
    uint8_t *img;
    size_t size = fuzz_image_encode(bytes, &img);
    if (size == 0) {
        fprintf(stderr, "fuzz-seeds: out of memory\n");
        return -1;
    }
    uint64_t h = fmt_hash(img, size);
    for (uint32_t i = 0; i < seen_count; i++) {
        if (seen[i] == h) {
            free(img);
            return 0;
        }
    }
    if (seen_count < SEEN_MAX) {
        seen[seen_count++] = h;
    }
    char id[CRASH_ID_MAX], file[512];
    crash_id_format(s, id, sizeof(id));
    snprintf(file, sizeof(file), "%s-%s", name, id);
    uint8_t head[4] = { (uint8_t)size, (uint8_t)(size >> 8), (uint8_t)(size >> 16),
        (uint8_t)(size >> 24) };
    int rc = write_file(d->mount, file, NULL, 0, img, size);
    if (rc == 0 && size <= FUZZ_SEALED_IMAGE_MAX) {     /* Whole, with room for edits. */
        rc = write_file(d->sealed, file, head, sizeof(head), img, size);
        sealed_count++;
    }
    free(img);
    return rc;
}

/* The write log of the trace's first steps, as many as WLOG_SEED_STEPS
 * or fewer so that it fits whole in FUZZ_WLOG_INPUT_MAX bytes in both
 * formats (the wlog target's -max_len). */
static int
wlog_seeds(const struct dirs *d, const char *name, const struct record_config *cfg,
        const struct trace *t)
{
    for (uint32_t k = FS_MIN(t->count, WLOG_SEED_STEPS); k >= 1; k--) {
        struct trace first = *t;
        first.count = k;
        struct recording rec;
        char err[1024];
        if (record_workload(cfg, &first, &rec, err, sizeof(err)) != 0) {
            continue;               /* Reported with the whole trace's recording. */
        }
        uint8_t *buf[WLOG_FORMAT_COUNT] = { NULL };
        size_t size[WLOG_FORMAT_COUNT];
        bool fits = true;
        for (uint32_t f = 0; f < WLOG_FORMAT_COUNT; f++) {
            fits = wlog_encode(&rec.dev.disk, (enum wlog_format)f, &buf[f], &size[f]) == 0
                && size[f] <= FUZZ_WLOG_INPUT_MAX && fits;
        }
        recording_free(&rec);
        int rc = 0;
        for (uint32_t f = 0; f < WLOG_FORMAT_COUNT; f++) {
            char file[512];
            snprintf(file, sizeof(file), "%s.%s", name, wlog_format_name((enum wlog_format)f));
            if (fits && rc == 0) {
                rc = write_file(d->wlog, file, NULL, 0, buf[f], size[f]);
            }
            free(buf[f]);
        }
        if (fits) {
            return rc;
        }
    }
    return 0;
}

/* Returns 0, 1 (this trace could not be used), or -1 (a write failed). */
static int
seed_trace(const struct dirs *d, const char *path, uint32_t states_max, uint8_t *bytes)
{
    const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    char name[256], err[1024];
    snprintf(name, sizeof(name), "%s", base);
    char *dot = strrchr(name, '.');
    if (dot != NULL) {
        *dot = '\0';
    }
    struct trace t;
    char *text;
    if (trace_load(path, &t, &text, err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz-seeds: %s\n", err);
        return 1;
    }
    int rc = write_file(d->trace, base, NULL, 0, text, strlen(text));
    free(text);
    struct record_config cfg = { FUZZ_BLOCK_SIZE, (uint64_t)FUZZ_BLOCK_COUNT * FUZZ_BLOCK_SIZE,
        FUZZ_ARENAS, SYNC_PROFILE_FAITHFUL };
    struct recording rec;
    if (rc == 0) {
        rc = wlog_seeds(d, name, &cfg, &t);
    }
    if (rc == 0 && record_workload(&cfg, &t, &rec, err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz-seeds: %s: %s\n", path, err);
        trace_free(&t);
        return 1;
    }
    trace_free(&t);
    if (rc != 0) {
        return -1;
    }
    if (rec.violation[0] != '\0') {
        printf("fuzz-seeds: %s: recorded %u of its steps (%.*s)\n", path, rec.steps_run, 120,
                rec.violation);
    }
    struct fault_plan plan;
    struct crash_state *states = NULL;
    size_t count = 0;
    struct crash_view v;
    if (rc == 0 && (fault_plan_parse(SEED_PLAN, &plan, err, sizeof(err)) != 0
            || fault_plan_enumerate(&rec.dev.disk.log, MODEL_TORN, &plan, &states, &count) != 0
            || crash_view_init(&v, &rec.dev.disk) != 0)) {
        fprintf(stderr, "fuzz-seeds: %s: cannot enumerate its crash states\n", path);
        free(states);
        recording_free(&rec);
        return -1;
    }
    uint32_t taken = 0;
    for (size_t i = 0; rc == 0 && count > 0 && taken < states_max; taken++) {
        rc = state_seed(d, name, &v, &states[i], bytes);
        i = (size_t)(taken + 1) * count / states_max;
        if (i >= count) {
            break;
        }
    }
    struct crash_state last = { .cut = rec.dev.disk.log.count, .torn = CRASH_NONE };
    if (rc == 0) {
        rc = state_seed(d, name, &v, &last, bytes);
    }
    crash_view_deinit(&v);
    free(states);
    recording_free(&rec);
    return rc != 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
    uint32_t states_max = STATES_DEFAULT;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if ((strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--states") == 0) && i + 1 < argc) {
            char *end;
            unsigned long n = strtoul(argv[++i], &end, 10);
            if (*end != '\0' || n == 0 || n > 100000) {
                fprintf(stderr, "fuzz-seeds: --states takes 1..100000, not '%s'\n", argv[i]);
                return 2;
            }
            states_max = (uint32_t)n;
            continue;
        }
        fprintf(stderr, "fuzz-seeds: unknown option '%s'\n", argv[i]);
        usage(stderr);
        return 2;
    }
    if (argc - i < 2) {
        usage(stderr);
        return 2;
    }
    static struct dirs d;
    const char *out = argv[i++];
    if (make_dir(out, "trace", d.trace, sizeof(d.trace)) != 0
            || make_dir(out, "wlog", d.wlog, sizeof(d.wlog)) != 0
            || make_dir(out, "mount", d.mount, sizeof(d.mount)) != 0
            || make_dir(out, "mount-sealed", d.sealed, sizeof(d.sealed)) != 0) {
        return 2;
    }
    uint8_t *bytes = malloc((size_t)FUZZ_BLOCK_COUNT * FUZZ_BLOCK_SIZE);
    if (bytes == NULL) {
        fprintf(stderr, "fuzz-seeds: out of memory\n");
        return 2;
    }
    int status = 0, traces = argc - i;
    for (; i < argc; i++) {
        int rc = seed_trace(&d, argv[i], states_max, bytes);
        if (rc < 0) {
            free(bytes);
            return 2;
        }
        status |= rc;
    }
    free(bytes);
    printf("fuzz-seeds: %u images (%u small enough for mount-sealed) from %d traces in %s\n",
            seen_count, sealed_count, traces, out);
    return status;
}
