/*
 * sim/cli/cmd_gen.c: `crashsim gen`: writes generated traces (traces/gen.h,
 * traces/GENERATORS.md).
 *
 *   crashsim gen random --seed N --ops N [--files N] [--max-size BYTES] [-o FILE]
 *   crashsim gen ace --length N [--out DIR]
 *   crashsim gen guided (--seconds S | --candidates N) --out DIR [--seed N] [--from DIR]
 *
 * random writes one trace (standard output by default) with a header comment
 * that repeats the command, so a trace file says how to make it again. ace
 * counts the workloads of a length and, with --out, writes each to
 * DIR/ace-LENGTH-INDEX.trace (INDEX zero-padded to the width of the largest,
 * so the files sort in index order). guided grows a corpus of workloads
 * that reach new features (sim/campaign/guided.h); only its options are
 * here. Exit status: 0 done, 1 (guided) a violation found, 2 usage or I/O
 * error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../fs/base.h"
#include "../../traces/gen.h"
#include "../../traces/trace.h"
#include "../campaign/features.h"
#include "../campaign/guided.h"
#include "../campaign/mutate.h"
#include "cli.h"

#define GEN_FILES_DEFAULT       8u              /* --files */
#define GEN_MAX_SIZE_DEFAULT    (64u * 1024u)   /* --max-size, bytes. */
#define GEN_IMAGE_SIZE_MIN      (8u << 20)      /* Bytes: the smallest image suggested. */

static const char gen_help[] =
    "usage: crashsim gen random --seed N --ops N [--files N] [--max-size BYTES] [-o FILE]\n"
    "       crashsim gen ace --length N [--out DIR]\n"
    "       crashsim gen guided (--seconds S | --candidates N) --out DIR [--seed N]\n"
    "                           [--from DIR] [--list-features]\n"
    "\n"
    "Generates traces (format: traces/FORMAT.md; generators: traces/GENERATORS.md).\n"
    "  random  one seeded random workload using every operation of the format\n"
    "  ace     every ACE workload of a length (bounded-exhaustive, CrashMonkey style)\n"
    "  guided  a corpus of workloads that each reach something new (coverage-guided)\n"
    "\n"
    "'crashsim gen random --help', 'crashsim gen ace --help' and 'crashsim gen\n"
    "guided --help' explain each.\n"
    "Exit status: 0 done, 1 (guided) a violation found, 2 usage or I/O error.\n";

static const char gen_random_help[] =
    "usage: crashsim gen random --seed N --ops N [--files N] [--max-size BYTES] [-o FILE]\n"
    "\n"
    "Writes a random trace of N steps made from the seed: mkdir, create, writes\n"
    "(appends, overwrites, writes past the end), truncates (shrink and grow), rm and\n"
    "mv of files and directories, sync (about every 10 steps), tick, snap\n"
    "label/fork/delete (about every 25) and a few steps that must fail (expect=).\n"
    "Every step does what it says on a fresh image large enough (the header comment\n"
    "suggests a size). The same arguments always give the same trace.\n"
    "\n"
    "  -s, --seed N          the seed (required)\n"
    "  -n, --ops N           steps, 0..100000 (required)\n"
    "  -f, --files N         files alive at once, at most, 1..64 (default 8)\n"
    "  -m, --max-size BYTES  no file grows past this, 1..64M (default 64K)\n"
    "  -o, --output FILE     write to FILE instead of standard output\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 written, 2 usage or I/O error.\n";

static const char gen_ace_help[] =
    "usage: crashsim gen ace --length N [--out DIR]\n"
    "\n"
    "Enumerates the ACE workloads of length N: every sequence of N core operations\n"
    "from a menu of 14 over /A, /A/foo, /A/baz, /B, /bar and label s1, each followed\n"
    "by sync or nothing (the last by sync), with the steps each operation depends on\n"
    "inserted before it. Prints how many there are (N=1: 14, N=2: 392, N=3: 10976,\n"
    "N=4: 307328); with --out writes each to DIR/ace-N-INDEX.trace, its header\n"
    "comment naming the sequence. They are made for --size 1M --block-size 4K.\n"
    "\n"
    "  -l, --length N   core operations, 1..4 (required)\n"
    "  -o, --out DIR    write one file per workload into DIR (created if missing)\n"
    "  -h, --help       this text\n"
    "\n"
    "Exit status: 0 done, 2 usage or I/O error.\n";

struct gen_random_opts {
    bool seed_given;            /* --seed was given. */
    uint64_t seed;              /* --seed */
    uint64_t op_count;          /* --ops; UINT64_MAX if not given. */
    uint64_t file_count;        /* --files */
    uint64_t size_max;          /* --max-size, bytes. */
    const char *output;         /* --output, or NULL for standard output. */
};

/* Handles one option of gen random; returns -1 to go on, else the exit status. */
static int
gen_random_option(int c, struct gen_random_opts *o)
{
    ASSERT(o != NULL);
    ASSERT(c != -1);
    switch (c) {
    case 's':
        o->seed_given = cli_parse_u64(optarg, &o->seed);
        if (!o->seed_given) {
            cli_error("gen", "bad --seed '%s' (a decimal number)", optarg);
            return EXIT_USAGE;
        }
        return -1;
    case 'n':
        if (!cli_parse_u64(optarg, &o->op_count) || o->op_count > GEN_STEPS_MAX) {
            cli_error("gen", "bad --ops '%s' (0..%u)", optarg, GEN_STEPS_MAX);
            return EXIT_USAGE;
        }
        return -1;
    case 'f':
        if (!cli_parse_u64(optarg, &o->file_count) || o->file_count < 1
                || o->file_count > GEN_FILES_MAX) {
            cli_error("gen", "bad --files '%s' (1..%u)", optarg, GEN_FILES_MAX);
            return EXIT_USAGE;
        }
        return -1;
    case 'm':
        if (!cli_parse_size(optarg, &o->size_max) || o->size_max < 1
                || o->size_max > GEN_SIZE_MAX) {
            cli_error("gen", "bad --max-size '%s' (1 to 64M, e.g. 64K)", optarg);
            return EXIT_USAGE;
        }
        return -1;
    case 'o': o->output = optarg; return -1;
    case 'h': fputs(gen_random_help, stdout); return EXIT_OK;
    default: fputs(gen_random_help, stderr); return EXIT_USAGE;
    }
}

static int
gen_random_args(int argc, char **argv, struct gen_random_opts *o)
{
    static const struct option opts[] = {
        { "seed", required_argument, NULL, 's' },
        { "ops", required_argument, NULL, 'n' },
        { "files", required_argument, NULL, 'f' },
        { "max-size", required_argument, NULL, 'm' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    ASSERT(argc >= 1);
    *o = (struct gen_random_opts){ .op_count = UINT64_MAX, .file_count = GEN_FILES_DEFAULT,
        .size_max = GEN_MAX_SIZE_DEFAULT };
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "s:n:f:m:o:h", opts, NULL)) != -1) {
        int rc = gen_random_option(c, o);
        if (rc != -1) {
            return rc;
        }
    }
    const char *why = optind != argc ? "unexpected argument"
        : !o->seed_given ? "--seed is required"
        : o->op_count == UINT64_MAX ? "--ops is required" : NULL;
    if (why != NULL) {
        cli_error("gen", "random: %s", why);
        fputs(gen_random_help, stderr);
        return EXIT_USAGE;
    }
    ASSERT(o->op_count <= GEN_STEPS_MAX);
    return -1;
}

/* The image size the header suggests: room for every label's copy of the
 * data, a power of two, at least GEN_IMAGE_SIZE_MIN. */
static uint64_t
gen_image_size(const struct gen_random_opts *o)
{
    ASSERT(o->size_max <= GEN_SIZE_MAX);
    ASSERT(o->file_count <= GEN_FILES_MAX);
    uint64_t want = 8 * o->file_count * o->size_max;
    uint64_t size = GEN_IMAGE_SIZE_MIN;
    while (size < want) {
        size *= 2;
    }
    return size;
}

/* A byte count as the trace format writes it: the largest exact K, M or G. */
static void
gen_size_word(uint64_t v, char *buf, size_t size)
{
    static const char units[] = "GMK";
    ASSERT(buf != NULL && size > 0);
    for (uint32_t i = 0; i < 3; i++) {
        uint64_t unit = 1ull << (10 * (3 - i));
        if (v != 0 && v % unit == 0) {
            snprintf(buf, size, "%" PRIu64 "%c", v / unit, units[i]);
            return;
        }
    }
    snprintf(buf, size, "%" PRIu64, v);
}

static int
gen_cmd_random(int argc, char **argv)
{
    struct gen_random_opts o;
    int rc = gen_random_args(argc, argv, &o);
    if (rc != -1) {
        return rc;
    }
    struct trace t;
    int err = gen_random(o.seed, (uint32_t)o.op_count, (uint32_t)o.file_count, o.size_max, &t);
    if (err) {
        cli_error("gen", "random: %s", fs_strerror(err));
        return EXIT_USAGE;
    }
    char header[512], max_size[32];
    gen_size_word(o.size_max, max_size, sizeof(max_size));
    snprintf(header, sizeof(header), "Random workload (traces/GENERATORS.md), made by:\n"
            "crashsim gen random --seed %" PRIu64 " --ops %" PRIu64 " --files %" PRIu64
            " --max-size %s\nRun it on a fresh image of at least --size %" PRIu64
            "M (any block size).", o.seed, o.op_count, o.file_count, max_size,
            gen_image_size(&o) >> 20);
    FILE *out = o.output != NULL ? fopen(o.output, "w") : stdout;
    if (out == NULL) {
        cli_error("gen", "%s: %s", o.output, strerror(errno));
        trace_free(&t);
        return EXIT_USAGE;
    }
    rc = trace_write(out, &t, header) == 0 ? EXIT_OK : EXIT_USAGE;
    if (out != stdout && fclose(out) != 0) {
        rc = EXIT_USAGE;
    }
    if (rc != EXIT_OK) {
        cli_error("gen", "%s: write error", o.output != NULL ? o.output : "standard output");
    }
    trace_free(&t);
    return rc;
}

struct gen_ace_out {
    const char *dir;            /* --out, or NULL to count only. */
    uint32_t width;             /* Digits of the largest index. */
    uint64_t written;           /* Workloads emitted. */
    bool failed;                /* A file could not be written (reported). */
};

/* gen_ace's callback: counts, and writes one file when asked to. */
static int
gen_ace_emit(void *arg, const struct gen_ace_case *c)
{
    struct gen_ace_out *o = arg;
    ASSERT(c->index == o->written);
    ASSERT(c->trace != NULL);
    o->written++;
    if (o->dir == NULL) {
        return 0;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/ace-%" PRIu32 "-%0*" PRIu64 ".trace", o->dir, c->length,
            (int)o->width, c->index);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        cli_error("gen", "%s: %s", path, strerror(errno));
        o->failed = true;
        return 1;
    }
    int err = gen_ace_write(f, c);
    if (fclose(f) != 0 || err != 0) {
        cli_error("gen", "%s: write error", path);
        o->failed = true;
        return 1;
    }
    return 0;
}

static int
gen_ace_args(int argc, char **argv, uint64_t *length, const char **dir)
{
    static const struct option opts[] = {
        { "length", required_argument, NULL, 'l' },
        { "out", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    ASSERT(argc >= 1);
    *length = 0;
    *dir = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "l:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (!cli_parse_u64(optarg, length) || *length < 1 || *length > GEN_ACE_LENGTH_MAX) {
                cli_error("gen", "bad --length '%s' (1..%u)", optarg, GEN_ACE_LENGTH_MAX);
                return EXIT_USAGE;
            }
            break;
        case 'o': *dir = optarg; break;
        case 'h': fputs(gen_ace_help, stdout); return EXIT_OK;
        default: fputs(gen_ace_help, stderr); return EXIT_USAGE;
        }
    }
    const char *why = optind != argc ? "unexpected argument"
        : *length == 0 ? "--length is required" : NULL;
    if (why != NULL) {
        cli_error("gen", "ace: %s", why);
        fputs(gen_ace_help, stderr);
        return EXIT_USAGE;
    }
    return -1;
}

static int
gen_cmd_ace(int argc, char **argv)
{
    uint64_t length;
    struct gen_ace_out o = { 0 };
    int rc = gen_ace_args(argc, argv, &length, &o.dir);
    if (rc != -1) {
        return rc;
    }
    ASSERT(length >= 1 && length <= GEN_ACE_LENGTH_MAX);
    if (o.dir != NULL && mkdir(o.dir, 0777) != 0 && errno != EEXIST) {
        cli_error("gen", "%s: %s", o.dir, strerror(errno));
        return EXIT_USAGE;
    }
    uint64_t count = gen_ace_count((uint32_t)length);
    for (uint64_t n = count - 1; ; n /= 10) {
        o.width++;
        if (n < 10) {
            break;
        }
    }
    int err = gen_ace((uint32_t)length, gen_ace_emit, &o);
    if (err != 0 || o.failed) {
        if (!o.failed) {
            cli_error("gen", "ace: %s", fs_strerror(err));
        }
        return EXIT_USAGE;
    }
    ASSERT(o.written == count);
    printf("%" PRIu64 " ACE workloads of length %" PRIu64 "%s%s\n", o.written, length,
            o.dir != NULL ? " written to " : "", o.dir != NULL ? o.dir : "");
    return EXIT_OK;
}

static const char gen_guided_help[] =
    "usage: crashsim gen guided (--seconds S | --candidates N) --out DIR [--seed N]\n"
    "                           [--from DIR] [--list-features]\n"
    "\n"
    "Grows a corpus of workloads, each of which reaches something no workload\n"
    "before it reached. A candidate is a corpus trace with one to three mutations;\n"
    "it runs on a fresh image of " GUIDED_GEOMETRY ", is recorded,\n"
    "and %u evenly spaced crash states of the " GUIDED_MODEL_NAME " model (faults\n"
    GUIDED_FAULTS ") are recovered and checked as crashsim explore checks them.\n"
    "What it reached is a set of features, SOURCE:NAME or SOURCE:NAME=BUCKET: a\n"
    "probe of fs/probes.h, a counter of fs/reach.h bucketed 1, 2, 3, 4-7, 8-15,\n"
    "... (as AFL buckets hit counts), or a checker outcome. A candidate with a\n"
    "feature none before it had is kept: written to DIR/NNNN-MUTATIONS.trace with\n"
    "a '# geometry:' line, each step's expect= set to what it did (so crashsim run\n"
    "--mkfs on that geometry runs it cleanly), and a comment naming the features\n"
    "it reached first, which are printed too. Such files are workloads for\n"
    "crashsim explore --workload and crashsim matrix DIR. A candidate that finds a\n"
    "violation goes to DIR/violations/ instead. At the end, a summary: candidates\n"
    "run, kept, features, violations. docs/GEN.md says more.\n"
    "\n"
    "  -t, --seconds S       stop after S seconds (1..86400)\n"
    "  -n, --candidates N    stop after N candidates (0..10000000): the same seed,\n"
    "                        seeds and N give the same corpus, byte for byte\n"
    "  -o, --out DIR         where kept workloads go (created if missing; numbering\n"
    "                        continues after the traces already there)\n"
    "  -s, --seed N          seeds every choice (default 1)\n"
    "  -f, --from DIR        start from the traces of DIR (a corpus, or\n"
    "                        traces/workloads): their features count as reached\n"
    "                        and they are the first parents; default: one empty trace\n"
    "  -l, --list-features   print every feature reached, 'feature NAME' a line, last\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 done, 1 a violation found (the search goes on), 2 usage or\n"
    "I/O error (an --out that cannot be written, a --from that cannot be read).\n";

/* The help, with the numbers and tables it names. */
static void
gen_guided_usage(FILE *out)
{
    fprintf(out, gen_guided_help, GUIDED_STATES_MAX);
    fputs("\nMutations:\n", out);
#define X(id, word, what) fprintf(out, "  %-10s %s\n", word, what);
    MUTATIONS(X)
#undef X
    fputs("Feature sources:\n", out);
#define X(id, word, when) fprintf(out, "  %-10s %s\n", word, when);
    FEATURE_SOURCES(X)
#undef X
}

/* Handles one option of gen guided; returns -1 to go on, else the exit status. */
static int
gen_guided_option(int c, struct guided_config *o)
{
    ASSERT(o != NULL);
    uint64_t v;
    switch (c) {
    case 't':
        if (!cli_parse_u64(optarg, &v) || v < 1 || v > 86400) {
            cli_error("gen", "guided: bad --seconds '%s' (1..86400)", optarg);
            return EXIT_USAGE;
        }
        o->seconds_max = v;
        return -1;
    case 'n':
        if (!cli_parse_u64(optarg, &v) || v > 10000000) {
            cli_error("gen", "guided: bad --candidates '%s' (0..10000000)", optarg);
            return EXIT_USAGE;
        }
        o->candidates_max = v;
        return -1;
    case 's':
        if (!cli_parse_u64(optarg, &o->seed)) {
            cli_error("gen", "guided: bad --seed '%s' (a decimal number)", optarg);
            return EXIT_USAGE;
        }
        return -1;
    case 'o': o->out_dir = optarg; return -1;
    case 'f': o->from_dir = optarg; return -1;
    case 'l': o->list_features = true; return -1;
    case 'h': gen_guided_usage(stdout); return EXIT_OK;
    default: gen_guided_usage(stderr); return EXIT_USAGE;
    }
}

static int
gen_cmd_guided(int argc, char **argv)
{
    static const struct option opts[] = {
        { "seconds", required_argument, NULL, 't' },
        { "candidates", required_argument, NULL, 'n' },
        { "out", required_argument, NULL, 'o' },
        { "seed", required_argument, NULL, 's' },
        { "from", required_argument, NULL, 'f' },
        { "list-features", no_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    ASSERT(argc >= 1);
    struct guided_config o = { .seed = 1, .candidates_max = UINT64_MAX };
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "t:n:o:s:f:lh", opts, NULL)) != -1) {
        int rc = gen_guided_option(c, &o);
        if (rc != -1) {
            return rc;
        }
    }
    const char *why = optind != argc ? "unexpected argument"
        : o.out_dir == NULL ? "--out is required"
        : o.seconds_max == 0 && o.candidates_max == UINT64_MAX
        ? "--seconds or --candidates is required" : NULL;
    if (why != NULL) {
        cli_error("gen", "guided: %s", why);
        gen_guided_usage(stderr);
        return EXIT_USAGE;
    }
    return guided_run(&o);
}

int
cmd_gen(int argc, char **argv)
{
    ASSERT(argc >= 1);
    ASSERT(argv != NULL);
    if (argc < 2) {
        cli_error("gen", "expected a generator: random, ace or guided");
        fputs(gen_help, stderr);
        return EXIT_USAGE;
    }
    const char *what = argv[1];
    if (strcmp(what, "--help") == 0 || strcmp(what, "-h") == 0) {
        fputs(gen_help, stdout);
        return EXIT_OK;
    }
    if (strcmp(what, "random") == 0) {
        return gen_cmd_random(argc - 1, argv + 1);
    }
    if (strcmp(what, "ace") == 0) {
        return gen_cmd_ace(argc - 1, argv + 1);
    }
    if (strcmp(what, "guided") == 0) {
        return gen_cmd_guided(argc - 1, argv + 1);
    }
    cli_error("gen", "unknown generator '%s' (random, ace or guided)", what);
    fputs(gen_help, stderr);
    return EXIT_USAGE;
}
