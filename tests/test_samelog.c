/*
 * tests/test_samelog.c: `crashsim run` issues the device operations that
 * explore's recording logged, for every standard workload.
 *
 * Why. explore judges the crash states of a recording (record_workload,
 * sim/record/runner.h). An image made by `crashsim run` went through those
 * states only if crashsim run made the same device operations: the same
 * writes (block and bytes) and flushes, in the same order. Both apply a step
 * with runner_step; what surrounds the steps differs: crashsim run formats an
 * image file with cli_mkfs_image and checks each step's expect=, while the
 * recorder runs the oracle beside the file system and reads all of it at
 * every sync point. This test shows that none of that changes the operations.
 *
 * Method. For every trace of traces/workloads/ (on the geometry of its
 * "# geometry:" line; explore's default, 8 MiB of 16 KiB blocks, where it has
 * none) and for the edge trace below, in both profiles (faithful, hardened):
 *   1. record_workload, as explore calls it: the write log's hash and the
 *      recording device's final image. It must report no violation.
 *   2. The calls of crashsim run (run_image in sim/cli/cmd_run.c) on a fresh
 *      recording device: fs_format, fs_mount, runner_step for every step
 *      (each must return what its expect= says), fs_sync, fs_unmount. The
 *      log hash must be the recording's. oplog_hash covers every
 *      write's block and bytes and every flush and mark, in order: equal
 *      hashes mean equal operations, so the oracle's work between steps does
 *      not change them.
 *   3. The binary: BUILD/crashsim run TRACE --image FILE --mkfs with the same
 *      geometry and profile. An image file keeps no log, so the test
 *      compares what it does keep. Its bytes (the last write of every block,
 *      after the format) must equal the recording device's final image, and
 *      the "N device writes, M flushes" of its summary line must equal the
 *      recording's logged writes and flushes. Equal operations give equal
 *      images and counts; a different sequence that left every block's last
 *      bytes and both counts the same would go unseen. The negative control
 *      below shows that the drifts this project actually had do not.
 *
 * The edge trace holds the steps that the three old copies of the step
 * runner (crashsim run's, the recorder's, test_oracle's) applied differently:
 * writes larger than the 4 MiB chunk (one that starts inside a block, one
 * that chunks ending on 1 MiB file offsets would split), a clock tick that
 * saturates, and a write whose range ends past FS_FILE_SIZE_MAX only in its
 * second chunk. The negative control applies it with each old variant on a
 * recording device and requires a different log hash and a different final
 * image. So if crashsim run applied steps in any of those ways, step 3 would
 * fail.
 *
 * The binary is BUILD/crashsim, found beside BUILD/tests/test_samelog
 * through /proc/self/exe, or $CRASHSIM. A failure names samelog:TRACE:PROFILE.
 */
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#include "../sim/record/runner.h"
#include "../traces/trace.h"

#define PATH_SIZE 4096u                         /* Bytes of a file path here. */
#define WORKLOADS_GLOB "traces/workloads/*.trace"

/* Written to a scratch file by the tests that use it. */
static const char edge_trace[] =
    "# tests/test_samelog.c: the steps the old copies of the step runner applied differently.\n"
    "# geometry: --size 32M --block-size 4K\n"
    "create /big\n"
    "write /big 1000 6M seed=1      # two 4 MiB chunks, the second starting inside a block\n"
    "create /mid\n"
    "write /mid 512K 3M seed=2      # one chunk; four if chunks ended on 1 MiB offsets\n"
    "sync\n"
    "tick 18446744073709551615\n"
    "tick 5                         # saturates at 2^64-1 (wrapping gives 4)\n"
    "mkdir /late                    # stamped with the clock\n"
    "write /mid 0 4096 seed=3       # so is the file\n"
    "sync\n"
    "create /edge\n"
    "write /edge 281474972516352 4198400 seed=4 expect=EFBIG   # past 2^48 in chunk two\n"
    "sync\n";

/* One case: a trace on a geometry, in a profile. */
struct samelog_case {
    const char *path;               /* The trace file. */
    struct trace trace;             /* Parsed. */
    struct record_config config;    /* Geometry and profile, as explore takes them. */
    char id[PATH_SIZE + 32];        /* "samelog:TRACE:PROFILE", for failures. */
};

/* The step runners the negative control compares against (runner_step is NONE). */
enum drift {
    DRIFT_NONE,                     /* runner_step itself. */
    DRIFT_CHUNK_1MIB,               /* Old crashsim run: chunks ending on 1 MiB file offsets. */
    DRIFT_TICK_WRAP,                /* Old test_oracle: a tick that wraps around. */
    DRIFT_WRITE_PARTIAL,            /* Old recorder: chunks written up to the FS_EFBIG one. */
    DRIFT_COUNT
};

/* Parses the trace at path and takes its geometry as explore's --workload does. */
static void
case_load(struct samelog_case *c, const char *path, bool hardened)
{
    memset(c, 0, sizeof(*c));
    c->path = path;
    struct trace_geometry g;
    util_trace_load(path, &c->trace, &g);
    c->config = (struct record_config){
        .block_size = g.block_size_given ? g.block_size : FMT_BLOCK_SIZE_DEFAULT,
        .device_size = g.device_size_given ? g.device_size : RECORD_DEVICE_SIZE_DEFAULT,
        .arenas = g.arena_count_given ? g.arena_count : 0,
        .profile = hardened ? SYNC_PROFILE_HARDENED : SYNC_PROFILE_FAITHFUL,
    };
    const char *base = strrchr(path, '/');
    snprintf(c->id, sizeof(c->id), "samelog:%s:%s", base != NULL ? base + 1 : path,
            sync_profile_name(c->config.profile));
    CHECK_TRUE(c->trace.count > 0);
    CHECK_TRUE(c->config.device_size % c->config.block_size == 0);
}

/* The write steps of the old copies, for the negative control only. */
static int
drift_write(struct fs *fs, const struct trace_step *s, enum drift drift)
{
    static uint8_t buf[4u * MIB];
    uint64_t chunk_size = drift == DRIFT_CHUNK_1MIB ? MIB : sizeof(buf);
    if (drift == DRIFT_CHUNK_1MIB
            && (s->offset > FS_FILE_SIZE_MAX || s->length > FS_FILE_SIZE_MAX - s->offset)) {
        return fs_write(fs, s->path, FS_FILE_SIZE_MAX + 1, buf, 0);
    }
    if (s->length == 0) {
        return fs_write(fs, s->path, s->offset, buf, 0);
    }
    for (uint64_t done = 0; done < s->length;) {
        uint64_t off = s->offset + done;
        uint64_t n = drift == DRIFT_CHUNK_1MIB ? chunk_size - off % chunk_size : chunk_size;
        n = FS_MIN(n, s->length - done);
        trace_fill(s->seed, done, buf, (size_t)n);
        int err = fs_write(fs, s->path, off, buf, (size_t)n);
        if (err) {
            return err;
        }
        done += n;
    }
    return 0;
}

/* Applies s as runner_step does, or as the old copy named by drift did. */
static int
step_apply(struct fs **fs, struct runner_dev *rd, const struct trace_step *s, enum drift drift)
{
    if (s->op == TRACE_WRITE && (drift == DRIFT_CHUNK_1MIB || drift == DRIFT_WRITE_PARTIAL)) {
        return drift_write(*fs, s, drift);
    }
    if (s->op == TRACE_TICK && drift == DRIFT_TICK_WRAP) {
        fs_clock_set(*fs, fs_clock(*fs) + s->ns);
        return 0;
    }
    return runner_step(fs, rd, s);
}

/*
 * Step 2 (and the negative control): crashsim run's calls on a fresh
 * recording device, which the caller deinits. Every step must return what
 * it expects.
 */
static void
plain_run(const struct samelog_case *c, enum drift drift, struct sim_dev *dev)
{
    const struct record_config *rc = &c->config;
    CHECK_EQ(sim_dev_init(dev, rc->block_size, rc->device_size / rc->block_size), 0);
    struct fs_format_config fc = { .arena_count = rc->arenas };
    struct runner_dev rd = { &dev->bdev,
        { .flush_at_pass_boundaries = rc->profile == SYNC_PROFILE_HARDENED }, { 0 } };
    struct fs *fs = NULL;
    CHECK_ERR(fs_format(&dev->bdev, &fc), 0);
    CHECK_ERR(fs_mount(&fs, rd.bdev, &rd.config), 0);
    CHECK_EQ(sim_dev_record_start(dev), 0);
    for (uint32_t i = 0; i < c->trace.count; i++) {
        const struct trace_step *s = &c->trace.steps[i];
        int err = step_apply(&fs, &rd, s, drift);
        if (err != s->expect) {
            util_note("%s: line %" PRIu32 ": got %s, expected %s", c->id, s->line,
                    fs_strerror(err), fs_strerror(s->expect));
        }
        CHECK_ERR(err, s->expect);
    }
    CHECK_ERR(fs_sync(fs), 0);
    CHECK_ERR(fs_unmount(fs), 0);
}

/* Step 1: the recording, which must agree with the oracle throughout. */
static void
record(const struct samelog_case *c, struct recording *rec)
{
    char err[512];
    if (record_workload(&c->config, &c->trace, rec, err, sizeof(err)) != 0) {
        fail_msg("%s: record_workload: %s", c->id, err);
    }
    if (rec->violation[0] != '\0') {
        fail_msg("%s: record_workload: %s", c->id, rec->violation);
    }
    CHECK_EQ(rec->steps_run, c->trace.count);
    CHECK_TRUE(rec->dev.disk.log.write_count > 0);
}

/* This build's crashsim: $CRASHSIM, else BUILD/crashsim for BUILD/tests/<this>. */
static void
crashsim_path(char *out, size_t size)
{
    const char *env = getenv("CRASHSIM");
    if (env != NULL && env[0] != '\0') {
        snprintf(out, size, "%s", env);
        return;
    }
    char self[PATH_SIZE];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    CHECK_TRUE(n > 0);
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    CHECK_TRUE(slash != NULL);
    *slash = '\0';                          /* BUILD/tests */
    slash = strrchr(self, '/');
    CHECK_TRUE(slash != NULL);
    *slash = '\0';                          /* BUILD */
    int len = snprintf(out, size, "%s/crashsim", self);
    CHECK_TRUE(len > 0 && (size_t)len < size);
    if (access(out, X_OK) != 0) {
        fail_msg("%s: not built (make BUILD=%s %s), or set CRASHSIM", out, self, out);
    }
}

/* Runs argv (argv[0] a path) with stdout and stderr into out_path; its exit status. */
static int
spawn(char *const argv[], const char *out_path)
{
    fflush(stdout);
    pid_t pid = fork();
    CHECK_TRUE(pid >= 0);
    if (pid == 0) {
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
            _exit(126);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The whole file at path, NUL-terminated; *size its bytes. */
static uint8_t *
file_read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    CHECK_EQ(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    CHECK_TRUE(n >= 0);
    rewind(f);
    uint8_t *p = malloc((size_t)n + 1);
    assert_non_null(p);
    CHECK_EQ(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    p[n] = '\0';
    *size = (size_t)n;
    return p;
}

/* The first block where dev's image differs from other's (other NULL: from
 * the flat image), or the block count when none does. A recording disk keeps
 * no flat image: each block is read as the file system would read it. */
static uint64_t
image_differs_at(const struct sim_dev *dev, const struct sim_dev *other, const uint8_t *image)
{
    uint32_t bs = dev->bdev.block_size;
    for (uint64_t b = 0; b < dev->bdev.block_count; b++) {
        const uint8_t *want = other != NULL ? oplog_disk_block(&other->disk, b)
            : image + b * bs;
        if (memcmp(oplog_disk_block(&dev->disk, b), want, bs) != 0) {
            return b;
        }
    }
    return dev->bdev.block_count;
}

/* Step 3: crashsim run --mkfs of the trace into dir/image; returns the image,
 * and the writes and flushes its summary line reports. */
static uint8_t *
binary_run(const struct samelog_case *c, const char *dir, size_t *size, uint64_t *writes,
        uint64_t *flushes)
{
    char bin[PATH_SIZE], image[PATH_SIZE], out[PATH_SIZE];
    char dev_size[32], block_size[32], arenas[32];
    crashsim_path(bin, sizeof(bin));
    snprintf(image, sizeof(image), "%s/image", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(dev_size, sizeof(dev_size), "%" PRIu64, c->config.device_size);
    snprintf(block_size, sizeof(block_size), "%" PRIu32, c->config.block_size);
    snprintf(arenas, sizeof(arenas), "%" PRIu32, c->config.arenas);
    char *argv[16] = { bin, "run", (char *)c->path, "--image", image, "--mkfs", "--size",
        dev_size, "--block-size", block_size };
    int argc = 10;
    if (c->config.arenas != 0) {
        argv[argc++] = "--arenas";
        argv[argc++] = arenas;
    }
    if (c->config.profile == SYNC_PROFILE_HARDENED) {
        argv[argc++] = "--hardened";
    }
    int rc = spawn(argv, out);
    size_t n;
    char *text = (char *)file_read_all(out, &n);
    const char *at = strstr(text, " device writes, ");
    while (at != NULL && at > text && at[-1] >= '0' && at[-1] <= '9') {
        at--;                               /* Back to the first digit of the count. */
    }
    if (rc != 0 || at == NULL || sscanf(at, "%" SCNu64 " device writes, %" SCNu64 " flushes",
            writes, flushes) != 2) {
        fail_msg("%s: crashsim run exited %d:\n%s", c->id, rc, text);
    }
    free(text);
    return file_read_all(image, size);
}

/* Runs the three steps of the top of the file for one case. */
static void
samelog_check(struct samelog_case *c, const char *dir)
{
    struct recording *rec = calloc(1, sizeof(*rec));
    struct sim_dev *plain = calloc(1, sizeof(*plain));
    assert_non_null(rec);
    assert_non_null(plain);
    record(c, rec);
    plain_run(c, DRIFT_NONE, plain);
    uint64_t plain_hash = oplog_hash(&plain->disk.log);
    size_t image_size = 0;
    uint64_t writes = 0, flushes = 0;
    uint8_t *image = binary_run(c, dir, &image_size, &writes, &flushes);
    util_note("%s: %" PRIu32 " steps, %" PRIu32 " writes, %" PRIu32 " flushes, log %016" PRIx64
            "; plain %016" PRIx64 "; crashsim run: %" PRIu64 " writes, %" PRIu64 " flushes",
            c->id, c->trace.count, rec->dev.disk.log.write_count, rec->dev.disk.log.flush_count,
            rec->wlog_hash, plain_hash, writes, flushes);
    size_t device_size = (size_t)c->config.device_size;
    CHECK_EQ(plain_hash, rec->wlog_hash);
    uint64_t blocks = rec->dev.bdev.block_count;
    CHECK_EQ(image_differs_at(plain, &rec->dev, NULL), blocks);
    CHECK_EQ(image_size, device_size);
    uint64_t at = image_differs_at(&rec->dev, NULL, image);
    if (at != blocks) {
        fail_msg("%s: crashsim run's image differs from the recording's at block %" PRIu64,
                c->id, at);
    }
    CHECK_EQ(writes, rec->dev.disk.log.write_count);
    CHECK_EQ(flushes, rec->dev.disk.log.flush_count);
    free(image);
    sim_dev_deinit(plain);
    free(plain);
    recording_free(rec);
    free(rec);
}

/* ---- Scratch directory: the group's state. ---- */

static int
scratch_make(void **state)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = malloc(PATH_SIZE);
    if (dir == NULL) {
        return -1;
    }
    snprintf(dir, PATH_SIZE, "%s/samelog.XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

static int
scratch_remove(void **state)
{
    static const char *const names[] = { "image", "out", "edge.trace" };
    char *dir = *state;
    char path[PATH_SIZE + 16];
    for (size_t i = 0; i < FS_ARRAY_COUNT(names); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        (void)unlink(path);
    }
    int rc = rmdir(dir);
    free(dir);
    return rc;
}

/* Writes the edge trace into dir; returns its path. */
static const char *
edge_write(const char *dir, char *path, size_t size)
{
    snprintf(path, size, "%s/edge.trace", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    CHECK_EQ(fwrite(edge_trace, 1, sizeof(edge_trace) - 1, f), sizeof(edge_trace) - 1);
    CHECK_EQ(fclose(f), 0);
    return path;
}

/* ---- Tests. ---- */

static void
workloads_check(const char *dir, bool hardened)
{
    glob_t g;
    CHECK_EQ(glob(WORKLOADS_GLOB, 0, NULL, &g), 0);     /* Run from the repository root. */
    CHECK_TRUE(g.gl_pathc > 0);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct samelog_case c;
        case_load(&c, g.gl_pathv[i], hardened);
        samelog_check(&c, dir);
        trace_free(&c.trace);
    }
    globfree(&g);
}

static void
samelog_workloads_faithful(void **state)
{
    workloads_check(*state, false);
}

static void
samelog_workloads_hardened(void **state)
{
    workloads_check(*state, true);
}

static void
edge_check(const char *dir, bool hardened)
{
    char path[PATH_SIZE + 16];
    struct samelog_case c;
    case_load(&c, edge_write(dir, path, sizeof(path)), hardened);
    samelog_check(&c, dir);
    trace_free(&c.trace);
}

static void
samelog_edge_faithful(void **state)
{
    edge_check(*state, false);
}

static void
samelog_edge_hardened(void **state)
{
    edge_check(*state, true);
}

/* The negative control: applied as an old copy of the step runner did, the
 * edge trace makes another write log and another final image. */
static void
samelog_drifts_change_the_log(void **state)
{
    char path[PATH_SIZE + 16];
    struct samelog_case c;
    case_load(&c, edge_write(*state, path, sizeof(path)), false);
    struct sim_dev *now = calloc(1, sizeof(*now)), *old = calloc(1, sizeof(*old));
    assert_non_null(now);
    assert_non_null(old);
    plain_run(&c, DRIFT_NONE, now);
    static const char *const names[DRIFT_COUNT] = { "runner_step", "1 MiB file-offset chunks",
        "a wrapping tick", "chunks written up to FS_EFBIG" };
    for (int d = DRIFT_NONE + 1; d < DRIFT_COUNT; d++) {
        plain_run(&c, (enum drift)d, old);
        bool same_log = oplog_hash(&old->disk.log) == oplog_hash(&now->disk.log);
        bool same_image = image_differs_at(old, now, NULL) == now->bdev.block_count;
        util_note("%s: %s: %s log, %s image", c.id, names[d], same_log ? "same" : "another",
                same_image ? "same" : "another");
        CHECK_TRUE(!same_log);
        CHECK_TRUE(!same_image);
        sim_dev_deinit(old);
    }
    sim_dev_deinit(now);
    free(now);
    free(old);
    trace_free(&c.trace);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(samelog_drifts_change_the_log),
        cmocka_unit_test(samelog_edge_faithful),
        cmocka_unit_test(samelog_edge_hardened),
        cmocka_unit_test(samelog_workloads_faithful),
        cmocka_unit_test(samelog_workloads_hardened),
    };
    return cmocka_run_group_tests(tests, scratch_make, scratch_remove);
}
