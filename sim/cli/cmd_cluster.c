/*
 * sim/cli/cmd_cluster.c: campaigns beyond one machine, with the schedulers
 * researchers have: crashsim jobs (a job list for GNU parallel or any
 * runner), crashsim slurm (the same list as a Slurm array job and a merge
 * job that depends on it) and crashsim merge (the shards' databases, or any
 * campaigns', joined into one). No scheduler, daemon or protocol of our own:
 * a job is a shell command, a result is a database file.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "../campaign/explore.h"
#include "../campaign/inputs.h"
#include "../store/store.h"

static const char merge_help[] =
    "usage: crashsim merge OUT.db IN.db|DIR...\n"
    "\n"
    "Merges result databases (each IN.db, and every *.db of each DIR) into OUT.db\n"
    "(created if missing). The shards of one\n"
    "campaign (crashsim explore --shard I/N: the same configuration and write log)\n"
    "become one run whose states, duplicate links and outcomes are the unsharded\n"
    "run's; it is finished when all N shards are there and finished. Every other\n"
    "run is copied as it is. Merging the same database twice changes nothing, and\n"
    "each input is merged in one transaction: an interrupted merge leaves OUT as\n"
    "it was before or after an input; run it again to complete it.\n"
    "\n"
    "  -h, --help   this text\n"
    "\n"
    "Exit status: 0 merged, every merged run finished; 1 merged, but a merged run\n"
    "of OUT lacks shards or holds unfinished ones (named on standard output); 2\n"
    "usage or operational error, or an input refused: a shard of another\n"
    "recording or shard count than the run it would join, a database that is\n"
    "not crashsim's or of a newer schema, OUT itself as an input.\n";

static int
db_name(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 3 && strcmp(e->d_name + n - 3, ".db") == 0;
}

/* An input: a database, or every *.db of a directory in name order,
 * appended to *ins. EXIT_OK, or EXIT_USAGE with why. */
static int
merge_inputs(const char *arg, char ***ins, int *count)
{
    struct stat st;
    struct dirent **names = NULL;
    int n = 1;
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
        n = scandir(arg, &names, db_name, alphasort);
        if (n < 0) {
            cli_error("merge", "%s: %s", arg, strerror(errno));
            return EXIT_USAGE;
        }
    }
    char **grown = realloc(*ins, (size_t)(*count + n + 1) * sizeof(char *));
    int status = grown != NULL ? EXIT_OK : EXIT_USAGE;
    *ins = grown != NULL ? grown : *ins;
    for (int i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", arg, names != NULL ? names[i]->d_name : "");
        char *copy = status == EXIT_OK ? strdup(names != NULL ? path : arg) : NULL;
        if (copy != NULL) {
            (*ins)[(*count)++] = copy;
        }
        status = copy != NULL ? status : EXIT_USAGE;
        free(names != NULL ? names[i] : NULL);
    }
    free(names);
    return status;
}

int
cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(merge_help, stdout);
            return EXIT_OK;
        }
        fputs(merge_help, stderr);
        return EXIT_USAGE;
    }
    if (argc - optind < 2) {
        cli_error("merge", argc - optind == 0 ? "OUT.db and at least one IN.db are required"
                : "at least one IN.db is required");
        fputs(merge_help, stderr);
        return EXIT_USAGE;
    }
    char **ins = NULL;
    int count = 0, status = EXIT_OK;
    for (int i = optind + 1; i < argc && status == EXIT_OK; i++) {
        status = merge_inputs(argv[i], &ins, &count);
    }
    if (status == EXIT_OK) {
        status = store_merge(argv[optind], (const char *const *)ins, count, stdout);
    }
    for (int i = 0; i < count; i++) {
        free(ins[i]);
    }
    free(ins);
    return status;
}

/*
 * Job lists. A grid is workloads x models x profiles x fault plans, each
 * campaign cut into N shards; a job is one shard of one campaign, written as
 * one self-contained shell command: absolute paths, every option spelled,
 * its own database under OUT/shards. A job exits 0 when the campaign ran
 * (violations are findings, stored in its database), non-zero only when it
 * could not run: that is what GNU parallel's --joblog and Slurm's job states
 * count as a failure. Merging is one more command, run after every job.
 */
#define GRID_WORKLOADS_MAX 100000u  /* Workloads of one grid, at most. */
#define GRID_PLANS_MAX 16u          /* --faults plans, at most. */

struct grid {
    char **workloads;               /* Absolute trace paths. */
    uint32_t workload_count;        /* Entries. */
    bool models[MODEL_COUNT];       /* --models. */
    bool profiles[SYNC_PROFILE_COUNT]; /* --profiles. */
    const char *plans[GRID_PLANS_MAX]; /* --faults, each a plan. */
    uint32_t plan_count;            /* Entries. */
    uint32_t shards;                /* N of every campaign. */
    uint32_t jobs;                  /* Worker processes per job (explore --jobs). */
    uint64_t seed;                  /* explore --seed. */
    uint32_t depth;                 /* explore --depth (nested crashes), 1: none. */
    char self[4096];                /* This crashsim, absolute. */
    char out[4096];                 /* OUT, absolute. */
    const char *partition;          /* slurm --partition, or NULL. */
    const char *time;               /* slurm --time, or NULL. */
    bool submit;                    /* slurm --submit. */
};

/* s quoted for sh: in single quotes, each ' as '\''. */
static void
sh_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s != '\0'; s++) {
        if (*s == '\'') {
            fputs("'\\''", f);
        } else {
            fputc(*s, f);
        }
    }
    fputc('\'', f);
}

/* A workload argument: a trace file, or a directory of them. 0, or -1. */
static int
grid_add_workloads(struct grid *g, const char *arg)
{
    struct stat st;
    if (stat(arg, &st) != 0) {
        cli_error("jobs", "%s: %s", arg, strerror(errno));
        return -1;
    }
    uint32_t room = GRID_WORKLOADS_MAX - g->workload_count;
    char **found = calloc((size_t)room + 2, sizeof(char *));
    int32_t n = 1;
    if (found == NULL) {
        cli_error("jobs", "out of memory");
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {                  /* One more than fits: too many is an error. */
        n = input_workload_dir(arg, found, room + 1);
        if (n <= 0 || (uint32_t)n > room) {
            cli_error("jobs", "%s: %s", arg, n < 0 ? strerror(errno) : n == 0
                    ? "no *.trace workloads" : "more workloads than a grid takes");
            for (int32_t i = 0; i < n; i++) {
                free(found[i]);
            }
            free(found);
            return -1;
        }
    } else if ((found[0] = strdup(arg)) == NULL) {
        free(found);
        return -1;
    }
    int rc = 0;
    for (int32_t i = 0; i < n; i++) {
        struct record_config rec = RECORD_CONFIG_DEFAULT;
        char *text = NULL, *abs = NULL;
        if (rc == 0 && (input_workload(found[i], 0, &rec, &text) != 0
                || (abs = realpath(found[i], NULL)) == NULL
                || g->workload_count == GRID_WORKLOADS_MAX)) {
            if (abs == NULL && text != NULL) {
                cli_error("jobs", "%s: %s", found[i], strerror(errno));
            } else if (text != NULL) {
                cli_error("jobs", "more than %u workloads", GRID_WORKLOADS_MAX);
            }
            rc = -1;
        }
        if (rc == 0) {
            g->workloads[g->workload_count++] = abs;
        } else {
            free(abs);
        }
        free(text);
        free(found[i]);
    }
    free(found);
    return rc;
}

/* "a,b,c" of names parse() knows into flags; 0, or -1 naming the bad one. */
static int
grid_names(const char *list, bool *flags, uint32_t count, int (*parse)(const char *, uint32_t *),
        const char *what)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", list);
    memset(flags, 0, count * sizeof(bool));
    for (char *save = NULL, *w = strtok_r(buf, ",", &save); w != NULL;
            w = strtok_r(NULL, ",", &save)) {
        uint32_t v;
        if (parse(w, &v) != 0 || v >= count) {
            cli_error("jobs", "%s: unknown %s '%s'", list, what, w);
            return -1;
        }
        flags[v] = true;
    }
    return 0;
}

static int
parse_model(const char *s, uint32_t *out)
{
    enum device_model m;
    int rc = device_model_parse(s, &m);
    *out = (uint32_t)m;
    return rc;
}

static int
parse_profile(const char *s, uint32_t *out)
{
    enum sync_profile p;
    int rc = sync_profile_parse(s, &p);
    *out = (uint32_t)p;
    return rc;
}

/* Every plan must apply to every model of the grid. 0, or -1. */
static int
grid_check_plans(struct grid *g)
{
    if (g->plan_count == 0) {
        g->plans[g->plan_count++] = "pass,flush,prefix";
    }
    for (uint32_t p = 0; p < g->plan_count; p++) {
        struct fault_plan plan;
        char err[256];
        if (fault_plan_parse(g->plans[p], &plan, err, sizeof(err)) != 0) {
            cli_error("jobs", "--faults %s: %s", g->plans[p], err);
            return -1;
        }
        for (uint32_t m = 0; m < MODEL_COUNT; m++) {
            if (g->models[m] && fault_plan_check_model(&plan, (enum device_model)m, err,
                    sizeof(err)) != 0) {
                cli_error("jobs", "--faults %s with --models %s: %s", g->plans[p],
                        device_model_name((enum device_model)m), err);
                return -1;
            }
        }
    }
    return 0;
}

/* The database of one job: OUT/shards/NAME-MODEL-PROFILE-pPLAN-IofN.db. */
static void
job_db(FILE *f, const struct grid *g, uint32_t w, uint32_t m, uint32_t p, uint32_t k, uint32_t i)
{
    const char *base = strrchr(g->workloads[w], '/') + 1;
    char path[8192];
    snprintf(path, sizeof(path), "%s/shards/%.*s-%s-%s-p%u-%uof%u.db", g->out,
            (int)(strlen(base) > 6 ? strlen(base) - 6 : strlen(base)), base,
            device_model_name((enum device_model)m), sync_profile_name((enum sync_profile)p),
            k, i, g->shards);
    sh_quote(f, path);
}

/* Writes every job line to f, in workload, model, profile, plan, shard
 * order; returns how many. */
static uint64_t
grid_write_jobs(FILE *f, const struct grid *g)
{
    uint64_t count = 0;
    for (uint32_t w = 0; w < g->workload_count; w++) {
        for (uint32_t m = 0; m < MODEL_COUNT; m++) {
            for (uint32_t p = 0; p < SYNC_PROFILE_COUNT; p++) {
                for (uint32_t k = 0; k < g->plan_count && g->models[m] && g->profiles[p]; k++) {
                    for (uint32_t i = 1; i <= g->shards; i++) {
                        sh_quote(f, g->self);
                        fputs(" explore --workload ", f);
                        sh_quote(f, g->workloads[w]);
                        fprintf(f, " --model %s --profile %s --faults ",
                                device_model_name((enum device_model)m),
                                sync_profile_name((enum sync_profile)p));
                        sh_quote(f, g->plans[k]);
                        fprintf(f, " --seed %" PRIu64 " --jobs %u --shard %u/%u --resume ",
                                g->seed, g->jobs, i, g->shards);
                        if (g->depth > 1) {
                            fprintf(f, "--depth %u ", g->depth);
                        }
                        fputs("--quiet --db ", f);
                        job_db(f, g, w, m, p, k, i);
                        fputs(" >/dev/null || [ $? -eq 1 ]\n", f);
                        count++;
                    }
                }
            }
        }
    }
    return count;
}

/* The merge command: every database of OUT/shards into OUT/results.db. */
static void
grid_write_merge(FILE *f, const struct grid *g)
{
    char path[8192];
    sh_quote(f, g->self);
    fputs(" merge ", f);
    snprintf(path, sizeof(path), "%s/results.db", g->out);
    sh_quote(f, path);
    fputc(' ', f);
    snprintf(path, sizeof(path), "%s/shards", g->out);
    sh_quote(f, path);
    fputc('\n', f);
}

/* Creates dir (and its parents' last level) if missing. 0, or -1. */
static int
make_dir(const char *cmd, const char *dir)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        cli_error(cmd, "%s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Writes OUT/NAME by fill(f, g); executable scripts get mode 0755. 0, or -1. */
static int
write_file(const char *cmd, const struct grid *g, const char *name, bool script,
        void (*fill)(FILE *f, const struct grid *g))
{
    char path[8192], tmp[8200];
    snprintf(path, sizeof(path), "%s/%s", g->out, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        cli_error(cmd, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    fill(f, g);
    if (ferror(f) | (fclose(f) != 0) || chmod(tmp, script ? 0755 : 0644) != 0
            || rename(tmp, path) != 0) {
        cli_error(cmd, "%s: cannot write: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void
fill_jobs(FILE *f, const struct grid *g)
{
    grid_write_jobs(f, g);
}

static void
fill_merge(FILE *f, const struct grid *g)
{
    fputs("#!/bin/sh\n# Merges every shard database of this grid into results.db (crashsim merge):\n"
            "# exit 0 every campaign complete, 1 shards missing or unfinished (named).\n", f);
    grid_write_merge(f, g);
}

/* The grid's options, shared by jobs and slurm. Returns -1 to go on, else
 * the exit status. */
static int
grid_options(const char *cmd, const char *help, int argc, char **argv, struct grid *g)
{
    enum { OPT_MODELS = 256, OPT_PROFILES, OPT_SHARDS, OPT_PARTITION, OPT_TIME, OPT_SUBMIT,
        OPT_DEPTH };
    static const struct option opts[] = {
        { "workloads", required_argument, NULL, 'w' }, { "models", required_argument, NULL, OPT_MODELS },
        { "profiles", required_argument, NULL, OPT_PROFILES },
        { "faults", required_argument, NULL, 'f' }, { "shards", required_argument, NULL, OPT_SHARDS },
        { "seed", required_argument, NULL, 's' }, { "jobs", required_argument, NULL, 'j' },
        { "out", required_argument, NULL, 'o' }, { "partition", required_argument, NULL, OPT_PARTITION },
        { "time", required_argument, NULL, OPT_TIME }, { "submit", no_argument, NULL, OPT_SUBMIT },
        { "depth", required_argument, NULL, OPT_DEPTH },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    bool slurm = strcmp(cmd, "slurm") == 0;
    const char *out = NULL;
    uint64_t v;
    int c;
    optind = 1;
    g->models[MODEL_ORDERED] = true;
    g->profiles[SYNC_PROFILE_FAITHFUL] = true;
    g->shards = 1;
    g->jobs = 1;
    g->depth = 1;
    while ((c = getopt_long(argc, argv, "w:f:s:j:o:h", opts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'h': fputs(help, stdout); return EXIT_OK;
        case 'w': rc = grid_add_workloads(g, optarg); break;
        case OPT_MODELS: rc = grid_names(optarg, g->models, MODEL_COUNT, parse_model, "model"); break;
        case OPT_PROFILES:
            rc = grid_names(optarg, g->profiles, SYNC_PROFILE_COUNT, parse_profile, "profile");
            break;
        case 'f':
            rc = g->plan_count < GRID_PLANS_MAX ? 0 : -1;
            g->plans[g->plan_count < GRID_PLANS_MAX ? g->plan_count++ : 0] = optarg;
            break;
        case OPT_SHARDS:
            rc = cli_parse_u64(optarg, &v) && v >= 1 && v <= EXPLORE_SHARDS_MAX ? 0 : -1;
            g->shards = (uint32_t)v;
            break;
        case 's': rc = cli_parse_u64(optarg, &g->seed) ? 0 : -1; break;
        case OPT_DEPTH:
            rc = cli_parse_u64(optarg, &v) && v >= 1 && v <= NEST_DEPTH_MAX ? 0 : -1;
            g->depth = (uint32_t)v;
            break;
        case 'j':
            rc = cli_parse_u64(optarg, &v) && v >= 1 && v <= 64 ? 0 : -1;
            g->jobs = (uint32_t)v;
            break;
        case 'o': out = optarg; break;
        case OPT_PARTITION: rc = slurm ? 0 : -1; g->partition = optarg; break;
        case OPT_TIME: rc = slurm ? 0 : -1; g->time = optarg; break;
        case OPT_SUBMIT: rc = slurm ? 0 : -1; g->submit = true; break;
        default: rc = -1; break;
        }
        if (rc != 0) {
            if (c != '?' && c != 'w') {
                cli_error(cmd, "bad value '%s' for an option", optarg != NULL ? optarg : "");
            }
            fputs(help, stderr);
            return EXIT_USAGE;
        }
    }
    for (; optind < argc; optind++) {       /* --workloads A B C: the shell's expansion. */
        if (grid_add_workloads(g, argv[optind]) != 0) {
            return EXIT_USAGE;
        }
    }
    if (g->workload_count == 0 || out == NULL) {
        cli_error(cmd, g->workload_count == 0 ? "--workloads is required" : "--out is required");
        fputs(help, stderr);
        return EXIT_USAGE;
    }
    if (grid_check_plans(g) != 0) {
        return EXIT_USAGE;
    }
    char sub[8200];
    ssize_t n = readlink("/proc/self/exe", g->self, sizeof(g->self) - 1);
    if (n <= 0 || make_dir(cmd, out) != 0 || realpath(out, g->out) == NULL) {
        cli_error(cmd, "%s: %s", n <= 0 ? "/proc/self/exe" : out, strerror(errno));
        return EXIT_USAGE;
    }
    g->self[n] = '\0';
    snprintf(sub, sizeof(sub), "%s/shards", g->out);
    int rc = make_dir(cmd, sub);
    snprintf(sub, sizeof(sub), "%s/logs", g->out);
    rc = rc == 0 ? make_dir(cmd, sub) : rc;
    return rc == 0 ? -1 : EXIT_USAGE;
}

static void
grid_free(struct grid *g)
{
    for (uint32_t i = 0; i < g->workload_count; i++) {
        free(g->workloads[i]);
    }
    free(g->workloads);
}

static int
grid_start(const char *cmd, const char *help, int argc, char **argv, struct grid *g)
{
    memset(g, 0, sizeof(*g));
    g->workloads = calloc(GRID_WORKLOADS_MAX, sizeof(char *));
    if (g->workloads == NULL) {
        cli_error(cmd, "out of memory");
        return EXIT_USAGE;
    }
    int status = grid_options(cmd, help, argc, argv, g);
    if (status < 0 && (write_file(cmd, g, "jobs.txt", false, fill_jobs) != 0
            || write_file(cmd, g, "merge.sh", true, fill_merge) != 0)) {
        status = EXIT_USAGE;
    }
    return status;
}

static const char jobs_help[] =
    "usage: crashsim jobs --workloads DIR|FILE... --out DIR [options]\n"
    "\n"
    "Prints the job list of a campaign grid: every workload (a trace, or every\n"
    "*.trace of a directory) under every --models, --profiles and --faults plan,\n"
    "each campaign cut into --shards N slices (explore --shard I/N), one\n"
    "self-contained shell command per line: absolute paths, its own database in\n"
    "DIR/shards. A job exits 0 when its campaign ran (violations are stored, not\n"
    "errors) and non-zero when it could not run; run again, it resumes. The list\n"
    "is also written to DIR/jobs.txt and the merge command to DIR/merge.sh\n"
    "(crashsim merge DIR/results.db DIR/shards), to run after every job:\n"
    "\n"
    "  parallel --joblog DIR/joblog < DIR/jobs.txt && sh DIR/merge.sh\n"
    "  parallel --sshloginfile HOSTS --joblog DIR/joblog < DIR/jobs.txt   (DIR shared)\n"
    "\n"
    "  -w, --workloads DIR|FILE...  traces (further operands are workloads too)\n"
    "      --models LIST     comma list of device models (default ordered)\n"
    "      --profiles LIST   comma list of faithful, hardened (default faithful)\n"
    "  -f, --faults PLAN     a fault plan (crashsim explore --help); repeat for more\n"
    "                        plans (default pass,flush,prefix); each must apply to\n"
    "                        every model\n"
    "      --shards N        slices per campaign (default 1)\n"
    "  -s, --seed N          explore --seed (default 0)\n"
    "      --depth N         explore --depth: nested crashes down to depth N, 2..4\n"
    "                        (default 1: none)\n"
    "  -j, --jobs N          worker processes per job (default 1)\n"
    "  -o, --out DIR         where the databases, jobs.txt and merge.sh go\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 written, 2 usage or operational error (a trace that does not\n"
    "parse is named FILE:LINE:COL).\n";

int
cmd_jobs(int argc, char **argv)
{
    struct grid g;
    int status = grid_start("jobs", jobs_help, argc, argv, &g);
    if (status < 0) {
        uint64_t n = grid_write_jobs(stdout, &g);
        fprintf(stderr, "crashsim jobs: %" PRIu64 " jobs in %s/jobs.txt; after them, the merge "
                "(%s/merge.sh):\n", n, g.out, g.out);
        grid_write_merge(stderr, &g);
        status = EXIT_OK;
    }
    grid_free(&g);
    return status;
}

/*
 * Slurm. One array job runs the job list, a task per line (or, past
 * SLURM_ARRAY_MAX tasks, task t runs lines t, t + max, ...: Slurm's default
 * MaxArraySize is 1001); a merge job depends on it (afterok), so it runs
 * once every task succeeded. A failed task is rerun as Slurm reruns any
 * array task (sbatch --array=3,7 DIR/array.sbatch; its job resumes its
 * database), then the merge (sbatch DIR/merge.sbatch).
 */
#define SLURM_ARRAY_MAX 1000u       /* Array tasks of one job, at most. */

static uint64_t
grid_job_count(const struct grid *g)
{
    uint64_t per = 0;
    for (uint32_t m = 0; m < MODEL_COUNT; m++) {
        for (uint32_t p = 0; p < SYNC_PROFILE_COUNT; p++) {
            per += g->models[m] && g->profiles[p];
        }
    }
    return per * g->workload_count * g->plan_count * g->shards;
}

static void
sbatch_header(FILE *f, const struct grid *g, const char *name, const char *log)
{
    fprintf(f, "#!/bin/sh\n#SBATCH --job-name=%s\n#SBATCH --output=%s/logs/%s\n", name, g->out,
            log);
    if (g->partition != NULL) {
        fprintf(f, "#SBATCH --partition=%s\n", g->partition);
    }
    if (g->time != NULL) {
        fprintf(f, "#SBATCH --time=%s\n", g->time);
    }
}

static void
fill_array(FILE *f, const struct grid *g)
{
    uint64_t jobs = grid_job_count(g);
    uint64_t tasks = jobs < SLURM_ARRAY_MAX ? jobs : SLURM_ARRAY_MAX;
    sbatch_header(f, g, "crashsim", "%A_%a.out");
    fprintf(f, "#SBATCH --array=1-%" PRIu64 "\n#SBATCH --cpus-per-task=%u\n"
            "# Task T runs line T of jobs.txt, then T + %" PRIu64 ", ... (%" PRIu64 " lines).\n"
            "set -e\nline=$SLURM_ARRAY_TASK_ID\nwhile [ \"$line\" -le %" PRIu64 " ]; do\n"
            "    sh -c \"$(sed -n \"${line}p\" ", tasks, g->jobs, tasks, jobs, jobs);
    char path[8192];
    snprintf(path, sizeof(path), "%s/jobs.txt", g->out);
    sh_quote(f, path);
    fprintf(f, ")\"\n    line=$((line + %" PRIu64 "))\ndone\n", tasks);
}

static void
fill_merge_sbatch(FILE *f, const struct grid *g)
{
    sbatch_header(f, g, "crashsim-merge", "merge.out");
    grid_write_merge(f, g);
}

/* Runs argv, its standard output's first line into out. 0 when it exited 0. */
static int
run_capture(char *const argv[], char *out, size_t size)
{
    int fd[2];
    if (pipe(fd) != 0) {
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    size_t n = 0;
    ssize_t r;
    while (pid > 0 && n + 1 < size && (r = read(fd[0], out + n, size - n - 1)) > 0) {
        n += (size_t)r;
    }
    close(fd[0]);
    out[n] = '\0';
    out[strcspn(out, "\n")] = '\0';
    int status;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)
        && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int
slurm_submit(const struct grid *g)
{
    char array[8192], merge[8192], id[128], dep[160], mid[128];
    snprintf(array, sizeof(array), "%s/array.sbatch", g->out);
    snprintf(merge, sizeof(merge), "%s/merge.sbatch", g->out);
    char *sub_array[] = { "sbatch", "--parsable", array, NULL };
    if (run_capture(sub_array, id, sizeof(id)) != 0 || id[0] == '\0') {
        cli_error("slurm", "sbatch %s failed (is Slurm's sbatch on PATH and the cluster up?)",
                array);
        return EXIT_USAGE;
    }
    id[strcspn(id, ";")] = '\0';                /* "ID;CLUSTER" on a federation. */
    snprintf(dep, sizeof(dep), "--dependency=afterok:%s", id);
    char *sub_merge[] = { "sbatch", "--parsable", dep, merge, NULL };
    if (run_capture(sub_merge, mid, sizeof(mid)) != 0 || mid[0] == '\0') {
        cli_error("slurm", "array job %s submitted, but sbatch %s failed", id, merge);
        return EXIT_USAGE;
    }
    mid[strcspn(mid, ";")] = '\0';
    printf("array job %s (%" PRIu64 " jobs), merge job %s (afterok:%s)\n", id,
            grid_job_count(g), mid, id);
    return EXIT_OK;
}

static const char slurm_help[] =
    "usage: crashsim slurm --workloads DIR|FILE... --out DIR [options] [--submit]\n"
    "\n"
    "Writes the job list of crashsim jobs (the same options) to DIR/jobs.txt, a\n"
    "Slurm array job DIR/array.sbatch (task T runs line T; past 1000 lines, task T\n"
    "also runs T + 1000, ...) and DIR/merge.sbatch (crashsim merge DIR/results.db\n"
    "DIR/shards). With --submit it submits the array, then the merge with\n"
    "--dependency=afterok on it, and prints both job ids. Logs go to DIR/logs.\n"
    "A task fails only when its campaign could not run; rerun failed tasks with\n"
    "sbatch --array=3,7 DIR/array.sbatch (they resume their databases), then\n"
    "sbatch DIR/merge.sbatch.\n"
    "\n"
    "  (the options of crashsim jobs, and:)\n"
    "      --partition P     #SBATCH --partition\n"
    "      --time T          #SBATCH --time (per array task)\n"
    "      --submit          submit both jobs with sbatch\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 written (and submitted), 2 usage or operational error, or\n"
    "sbatch failed.\n";

int
cmd_slurm(int argc, char **argv)
{
    struct grid g;
    int status = grid_start("slurm", slurm_help, argc, argv, &g);
    if (status < 0) {
        status = write_file("slurm", &g, "array.sbatch", true, fill_array) != 0
            || write_file("slurm", &g, "merge.sbatch", true, fill_merge_sbatch) != 0
            ? EXIT_USAGE : EXIT_OK;
        if (status == EXIT_OK && !g.submit) {
            printf("%" PRIu64 " jobs: sbatch %s/array.sbatch, then sbatch "
                    "--dependency=afterok:ID %s/merge.sbatch (or --submit)\n", grid_job_count(&g),
                    g.out, g.out);
        }
        status = status == EXIT_OK && g.submit ? slurm_submit(&g) : status;
    }
    grid_free(&g);
    return status;
}
