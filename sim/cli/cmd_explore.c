/*
 * sim/cli/cmd_explore.c: crashsim explore and crashsim replay.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../fs/format.h"
#include "cli.h"
#include "../campaign/explore.h"
#include "../campaign/inputs.h"
#include "../campaign/replay.h"

static const char explore_help[] =
    "usage: crashsim explore --workload FILE [options]\n"
    "\n"
    "Runs FILE (traces/FORMAT.md) on a simulated disk that records every write,\n"
    "enumerates the crash states the device model and fault plan allow, checks\n"
    "each distinct one in worker processes (mount with the file system's own\n"
    "recovery, fs_check, compare with the oracle's legal states, a post-recovery\n"
    "workload, remount and check again), and stores every result in SQLite.\n"
    "\n"
    "  -w, --workload FILE   the trace to run (or --wlog, or --gen); a directory:\n"
    "                        a campaign per *.trace in it, in name order, each on\n"
    "                        its own '# geometry:' (a gen guided corpus, say)\n"
    "      --gen ace:N|random:SEED:OPS  a campaign per generated workload (crashsim gen):\n"
    "                        every ACE workload of length N, or one random one; the\n"
    "                        image defaults to --size 1M --block-size 4K\n"
    "  -m, --model M         ordered (default), writeback, torn or hostile:\n"
    "                        what the disk promises (see faultinject/plan.h)\n"
    "  -f, --faults LIST     comma list of pass, flush, prefix, reorder:K, torn,\n"
    "                        liar (hostile: the last flush before a cut lied, a\n"
    "                        write from before it is lost too) and\n"
    "                        the media faults flip or flip:N, lost, misdirect,\n"
    "                        unreadable (hostile only: per write, N bits of its\n"
    "                        block flipped (default 1), the write lost for good,\n"
    "                        landed on another block, or its block unreadable\n"
    "                        (EIO); detected and rolled_back are then acceptable\n"
    "                        outcomes), and forge:N and repoint:N (any model: N\n"
    "                        states per metadata block, a bit of one of its\n"
    "                        fields inverted before hashing, or one of its block\n"
    "                        pointers naming another block, every hash resealed;\n"
    "                        detected and accepted are acceptable outcomes, a\n"
    "                        crash, hang or assertion never is); each media class\n"
    "                        at the end of the log and at every cut the plan\n"
    "                        takes, on the writes live there\n"
    "                        (default pass,flush,prefix); reorder needs writeback\n"
    "                        or hostile, torn needs torn or hostile: a fault the\n"
    "                        model does not apply is a usage error\n"
    "  -p, --profile P       faithful (default: no flushes, as GEFS) or hardened\n"
    "                        (a flush at each sync-pass boundary)\n"
    "  -s, --seed N          seed for sampled fault combinations (default 0)\n"
    "  -j, --jobs N          worker processes (default: the number of CPUs)\n"
    "  -d, --db FILE         result database (default results.db)\n"
    "  -r, --resume          continue the unfinished run of this configuration (its\n"
    "                        write log must be the one recorded now; states not\n"
    "                        checked yet, or unchecked, are checked; the summary\n"
    "                        and exit status cover the whole run)\n"
    "      --size SIZE       device size (default: the trace's '# geometry:' line,\n"
    "                        else 8M)\n"
    "      --block-size SIZE 4K, 8K or 16K (default: the trace's, else 16K)\n"
    "      --arenas N        arena count (default: the trace's, else by size)\n"
    "      --samples N       per cut: reorder subsets, lying-flush losses and, per\n"
    "                        media class, writes struck beyond which they are\n"
    "                        sampled (64; the end of the log is never sampled)\n";

static const char explore_help_more[] =
    "      --timeout SECS    per crash state (default 10)\n"
    "      --no-memo         check every state in full: hash every block and file\n"
    "                        chunk read, though an earlier state of the campaign\n"
    "                        verified the same content (the default knows a block\n"
    "                        by the hash of its bytes and checks it once per worker;\n"
    "                        verdicts are the same either way)\n"
    "      --shard I/N       check only the I-th of N disjoint slices of the crash\n"
    "                        states (1 <= I <= N): the same slices on every machine;\n"
    "                        each distinct image is checked by one shard, and\n"
    "                        crashsim merge joins the N databases into the run an\n"
    "                        unsharded campaign makes (the run's shard column is\n"
    "                        'I/N'; --resume continues a shard)\n"
    "      --nested          nested crashes: every state that recovered a legal\n"
    "                        state is a parent; its post-recovery run (mount, the\n"
    "                        post-recovery workload, unmount, remount) is\n"
    "                        recorded on its image and that run's crash states\n"
    "                        are checked too, with the same model and plan, down\n"
    "                        to --depth; ids extend the parent's: w812/w31-drop29\n"
    "      --depth N         levels of nesting, 2..4 (default 2); implies --nested\n"
    "      --save-failures DIR  write each violation as a regression case in DIR\n"
    "      --coverage-out DIR   (COV=1 builds) write this campaign's coverage of fs/\n"
    "                        as gcovr JSON in DIR, for gcovr --add-tracefile\n"
    "      --wlog FILE       explore a write-log file (crashsim wlog; traces/WLOG.md)\n"
    "                        instead of a workload: its geometry, no oracle (sync\n"
    "                        points are the log's own sync.end states); a foreign\n"
    "                        dm-log-writes log needs --block-size (and --size, if\n"
    "                        the device is larger than its last write), as for\n"
    "                        crashsim wlog import\n"
    "  -q, --quiet           no progress line\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 no violations, 1 violations found (or the file system\n"
    "disagreed with the oracle while running), 2 usage or operational error,\n"
    "including states left unchecked (workers killed from outside the file\n"
    "system on every attempt; --resume checks them).\n";

/* The help, in two strings: a compiler need not take longer ones. */
static void
explore_usage(FILE *out)
{
    fputs(explore_help, out);
    fputs(explore_help_more, out);
}

enum { OPT_SIZE = 256, OPT_BLOCK, OPT_ARENAS, OPT_SAMPLES, OPT_TIMEOUT, OPT_SAVE, OPT_COVERAGE, OPT_WLOG,
    OPT_GEN, OPT_NO_MEMO, OPT_SHARD, OPT_NESTED, OPT_DEPTH };

static int
explore_opt(int c, struct explore_config *cfg, const char **faults)
{
    uint64_t v;
    switch (c) {
    case 'w': cfg->workload = optarg; return 0;
    case 'm': return device_model_parse(optarg, &cfg->model) == 0 ? 0 : -1;
    case 'f': *faults = optarg; return 0;
    case 'p':
        return sync_profile_parse(optarg, &cfg->rec.profile);
    case 's': return cli_parse_u64(optarg, &cfg->seed) ? 0 : -1;
    case 'j':
        if (!cli_parse_u64(optarg, &v) || v < 1 || v > 64) {
            return -1;
        }
        cfg->jobs = (uint32_t)v;
        return 0;
    case 'd': cfg->db = optarg; return 0;
    case 'r': cfg->resume = true; return 0;
    case 'q': cfg->quiet = true; return 0;
    case OPT_SAVE: cfg->save_failures = optarg; return 0;
    case OPT_COVERAGE: cfg->coverage_out = optarg; return 0;
    case OPT_GEN: cfg->gen = optarg; return 0;
    case OPT_WLOG: cfg->wlog = optarg; return 0;
    case OPT_NO_MEMO: cfg->no_memo = true; return 0;
    case OPT_SHARD: return explore_shard_parse(optarg, &cfg->shard_index, &cfg->shard_count);
    case OPT_NESTED:
        cfg->nested = true;
        cfg->depth = cfg->depth ? cfg->depth : 2;
        return 0;
    case OPT_DEPTH:
        if (!cli_parse_u64(optarg, &v) || v < 2 || v > NEST_DEPTH_MAX) {
            return -1;
        }
        cfg->nested = true;
        cfg->depth = (uint32_t)v;
        return 0;
    case OPT_SIZE: return cli_parse_size(optarg, &cfg->rec.device_size) ? 0 : -1;
    case OPT_BLOCK:
        if (!cli_parse_size(optarg, &v) || !fmt_block_size_valid(v)) {
            return -1;
        }
        cfg->rec.block_size = (uint32_t)v;
        return 0;
    case OPT_ARENAS:
        if (!cli_parse_u64(optarg, &v) || v < 1 || v > FMT_ARENA_COUNT_MAX) {
            return -1;
        }
        cfg->rec.arenas = (uint32_t)v;
        return 0;
    case OPT_SAMPLES:
        if (!cli_parse_u64(optarg, &v) || v < 1 || v > 1000000) {
            return -1;
        }
        cfg->plan.samples = (uint32_t)v;
        return 0;
    case OPT_TIMEOUT:
        if (!cli_parse_u64(optarg, &v) || v < 1 || v > 3600) {
            return -1;
        }
        cfg->timeout_ms = (uint32_t)(v * 1000);
        return 0;
    default:
        return -1;
    }
}

/* The workload source and its geometry: the trace's "# geometry:" line for
 * each field no option gave, or a write-log file's own (--block-size and
 * --size only for a foreign log). Returns -1 to go on, else the exit status;
 * *text receives a trace's bytes. */
static int
explore_source(struct explore_config *cfg, unsigned given, char **text)
{
    int sources = (cfg->wlog != NULL) + (cfg->workload != NULL) + (cfg->gen != NULL);
    if (sources != 1 || (cfg->wlog && (cfg->save_failures || cfg->nested))) {
        cli_error("explore", sources == 0 ? "--workload, --wlog or --gen is required"
                : sources > 1 ? "--workload, --wlog and --gen exclude each other"
                : cfg->nested ? "--nested needs a trace: a nested recording starts from the "
                "oracle's state at the sync point its parent recovered, and a write log has "
                "no oracle" : "--save-failures needs a trace");
        explore_usage(stderr);
        return EXIT_USAGE;
    }
    if (cfg->wlog != NULL) {
        const char *why = given & INPUT_GIVEN_ARENAS ? "--arenas does not apply to --wlog "
            "(the log holds a formatted device)" : (given & INPUT_GIVEN_SIZE)
            && !(given & INPUT_GIVEN_BLOCK) ? "--size with --wlog needs --block-size"
            : (given & INPUT_GIVEN_SIZE) && cfg->rec.device_size % cfg->rec.block_size != 0
            ? "--size is not a whole number of --block-size blocks" : NULL;
        if (why != NULL) {
            cli_error("explore", "%s", why);
            return EXIT_USAGE;
        }
        cfg->wlog_block_size = given & INPUT_GIVEN_BLOCK ? cfg->rec.block_size : 0;
        cfg->wlog_device_size = given & INPUT_GIVEN_SIZE ? cfg->rec.device_size : 0;
    }
    if (cfg->gen != NULL && given == 0) {
        cfg->rec.device_size = 1u << 20;    /* ACE and random workloads are small. */
        cfg->rec.block_size = 4096;
    }
    struct stat st;
    if (cfg->workload != NULL && stat(cfg->workload, &st) == 0 && S_ISDIR(st.st_mode)) {
        cfg->workload_dir = cfg->workload;      /* Each trace's geometry, at its campaign. */
        cfg->workload = NULL;
        cfg->given = given;
        return -1;
    }
    if (cfg->workload != NULL && input_workload(cfg->workload, given, &cfg->rec,
            text) != 0) {
        return EXIT_USAGE;
    }
    cfg->workload_text = *text;
    return -1;
}

/* The fault plan of --faults, which the device model must apply. Returns -1
 * to go on, else the exit status. */
static int
explore_plan(struct explore_config *cfg, const char *faults)
{
    uint32_t samples = cfg->plan.samples;
    char err[256];
    if (fault_plan_parse(faults, &cfg->plan, err, sizeof(err)) != 0
            || fault_plan_check_model(&cfg->plan, cfg->model, err, sizeof(err)) != 0) {
        cli_error("explore", "--faults: %s", err);
        return EXIT_USAGE;
    }
    cfg->plan.samples = samples;
    cfg->plan.seed = cfg->seed;
    return -1;
}

int
cmd_explore(int argc, char **argv)
{
    static const struct option opts[] = {
        { "workload", required_argument, NULL, 'w' }, { "model", required_argument, NULL, 'm' },
        { "faults", required_argument, NULL, 'f' }, { "profile", required_argument, NULL, 'p' },
        { "seed", required_argument, NULL, 's' }, { "jobs", required_argument, NULL, 'j' },
        { "db", required_argument, NULL, 'd' }, { "resume", no_argument, NULL, 'r' },
        { "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' },
        { "size", required_argument, NULL, OPT_SIZE },
        { "block-size", required_argument, NULL, OPT_BLOCK },
        { "arenas", required_argument, NULL, OPT_ARENAS },
        { "samples", required_argument, NULL, OPT_SAMPLES },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "save-failures", required_argument, NULL, OPT_SAVE },
        { "coverage-out", required_argument, NULL, OPT_COVERAGE },
        { "gen", required_argument, NULL, OPT_GEN },
        { "wlog", required_argument, NULL, OPT_WLOG },
        { "no-memo", no_argument, NULL, OPT_NO_MEMO },
        { "shard", required_argument, NULL, OPT_SHARD },
        { "nested", no_argument, NULL, OPT_NESTED },
        { "depth", required_argument, NULL, OPT_DEPTH },
        { NULL, 0, NULL, 0 },
    };
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct explore_config cfg = { .rec = RECORD_CONFIG_DEFAULT,
        .model = MODEL_ORDERED, .jobs = cpus > 0 && cpus <= 64 ? (uint32_t)cpus : 1,
        .db = "results.db", .timeout_ms = 10000 };
    const char *faults = "pass,flush,prefix";
    unsigned given = 0;
    cfg.plan.samples = 64;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:m:f:p:s:j:d:rqh", opts, NULL)) != -1) {
        if (c == 'h') {
            explore_usage(stdout);
            return EXIT_OK;
        }
        given |= c == OPT_SIZE ? INPUT_GIVEN_SIZE : c == OPT_BLOCK ? INPUT_GIVEN_BLOCK
            : c == OPT_ARENAS ? INPUT_GIVEN_ARENAS : 0u;
        if (explore_opt(c, &cfg, &faults) != 0) {
            if (c != '?') {
                cli_error("explore", "bad value '%s' for an option", optarg);
            }
            explore_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        cli_error("explore", "unexpected argument '%s'", argv[optind]);
        explore_usage(stderr);
        return EXIT_USAGE;
    }
    char *text = NULL;
    int code = explore_source(&cfg, given, &text);
    if (code < 0) {
        code = explore_plan(&cfg, faults);
    }
    if (code < 0) {
        code = explore_run(&cfg);
    }
    free(text);
    return code;
}

static const char replay_help[] =
    "usage: crashsim replay ID [--db FILE] [--run N] [--mount LABEL]\n"
    "\n"
    "Re-records the workload of run N (default: the latest) from the database,\n"
    "rebuilds crash state ID (e.g. w812, w812-drop805.809, w812-torn811s3z; a\n"
    "nested one, w812/w31: state w31 of the post-recovery run of w812, explains\n"
    "each level: the parent, its nested recording, the state) and\n"
    "checks it in this process, explaining it: the writes that make the state\n"
    "(named by file-system structure and sync pass), the label recovery mounted,\n"
    "what recovery chose, every fs_check finding, and how the recovered state\n"
    "differs from the legal one. A state is recovered by mounting the label\n"
    "that was mounted at its cut (\"main\" unless a mount step chose another).\n"
    "\n"
    "  -d, --db FILE        result database (default results.db)\n"
    "  -n, --run N          run id (default: the latest run)\n"
    "  -m, --mount LABEL    recover by mounting LABEL instead (what the state\n"
    "                       looks like through another label; a label other\n"
    "                       than the one mounted at the cut is judged against\n"
    "                       the same legal sync points, so it is a violation\n"
    "                       unless both show the same)\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 the state is fine, 1 it is a violation, 2 usage or\n"
    "operational error (including a write log that no longer matches the run).\n";

int
cmd_replay(int argc, char **argv)
{
    const char *db, *mount = NULL;
    uint64_t run;
    int rc = cli_db_run_options(argc, argv, replay_help, &db, &run, NULL, &mount);
    if (rc >= 0) {
        return rc;
    }
    if (optind + 1 != argc) {
        cli_error("replay", "expected one crash-state ID");
        fputs(replay_help, stderr);
        return EXIT_USAGE;
    }
    if (access(db, R_OK) != 0) {
        cli_error("replay", "%s: no such database", db);
        return EXIT_USAGE;
    }
    return replay_run(argv[optind], db, (int64_t)run, mount);
}
