/*
 * sim/cli/cmd_regress.c: crashsim regress (replay the regression corpus) and
 * crashsim pin (make a regression case from crash states).
 */
#include <dirent.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../fs/format.h"
#include "../../traces/trace.h"
#include "../check/checker.h"
#include "cli.h"
#include "../campaign/inputs.h"
#include "../campaign/minimize.h"
#include "../campaign/regress.h"

static const char regress_help[] =
    "usage: crashsim regress [-v] [DIR|CASE...]\n"
    "\n"
    "Replays regression cases (default: every *.case in traces/regress): records\n"
    "each case's workload, rebuilds its pinned crash states and checks each in a\n"
    "child process. A state that now gives another outcome fails the case with\n"
    "its id and both outcomes; so does a workload whose write log no longer\n"
    "matches the one the ids refer to (the case is stale: pin it again). The\n"
    "format is in traces/regress/README.md.\n"
    "\n"
    "  -v, --verbose   print every state, not only failures\n"
    "  -h, --help      this text\n"
    "\n"
    "Exit status: 0 every case passed, 1 a case failed, 2 usage or operational error.\n";

static int
case_order(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.case files of dir, sorted; NULL-terminated (free each and the array). */
static char **
list_cases(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    *count = 0;
    if (d == NULL) {
        return NULL;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".case") != 0) {
            continue;
        }
        char **more = realloc(names, (*count + 2) * sizeof(char *));
        if (more == NULL) {
            break;
        }
        names = more;
        size_t len = strlen(dir) + n + 2;
        names[*count] = malloc(len);
        if (names[*count] != NULL) {
            snprintf(names[(*count)++], len, "%s/%s", dir, e->d_name);
        }
    }
    closedir(d);
    if (names != NULL) {
        qsort(names, *count, sizeof(char *), case_order);
    }
    return names;
}

static int
run_cases(char **paths, size_t count, bool verbose)
{
    uint32_t passed = 0, failed = 0, errors = 0;
    for (size_t i = 0; i < count; i++) {
        struct regress_case c;
        char err[512];
        if (regress_load(paths[i], &c, err, sizeof(err)) != 0) {
            printf("ERROR %s\n", err);
            errors++;
            continue;
        }
        int rc = regress_run(&c, verbose, stdout);
        passed += rc == 0;
        failed += rc == 1;
        errors += rc == 2;
        regress_free(&c);
    }
    printf("%u cases: %u passed, %u failed%s\n", passed + failed + errors, passed,
            failed + errors, errors ? " (some could not run)" : "");
    return errors ? EXIT_USAGE : failed ? EXIT_VIOLATIONS : EXIT_OK;
}

int
cmd_regress(int argc, char **argv)
{
    static const struct option opts[] = {
        { "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool verbose = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(regress_help, stdout);
            return EXIT_OK;
        }
        if (c != 'v') {
            fputs(regress_help, stderr);
            return EXIT_USAGE;
        }
        verbose = true;
    }
    const char *dir = optind == argc ? "traces/regress" : argv[optind];
    size_t len = strlen(dir), count = 0;
    char **paths = NULL;
    if (optind + 1 >= argc && (len < 5 || strcmp(dir + len - 5, ".case") != 0)) {
        paths = list_cases(dir, &count);
        if (paths == NULL) {
            cli_error("regress", "%s: no regression cases (*.case) found", dir);
            return EXIT_USAGE;
        }
        int rc = run_cases(paths, count, verbose);
        for (size_t i = 0; i < count; i++) {
            free(paths[i]);
        }
        free(paths);
        return rc;
    }
    return run_cases(argv + optind, (size_t)(argc - optind), verbose);
}

static const char pin_help[] =
    "usage: crashsim pin --workload FILE -o CASE [options] STATE...\n"
    "\n"
    "Makes a regression case: records FILE, checks each crash STATE (an id such\n"
    "as w812 or w812-torn811s3z of that recording, or a nested one such as\n"
    "w19/w12) and writes CASE with the\n"
    "outcome each gives now, so `crashsim regress` fails if it ever changes.\n"
    "\n"
    "  -w, --workload FILE   the trace\n"
    "  -o, --out CASE        the case file to write\n"
    "  -m, --model M         device model of the states (default ordered)\n"
    "  -p, --profile P       faithful (default) or hardened\n"
    "      --size SIZE       image size (default: the trace's '# geometry:' line,\n"
    "                        else 8M)\n"
    "      --block-size SIZE 4K, 8K or 16K (default: the trace's, else 16K)\n"
    "      --arenas N        arena count (default: the trace's, else by size)\n"
    "  -c, --comment TEXT    what the case proves (its first line)\n"
    "      --catches NAME    the seeded bug of fs/mutants.h the case exposes\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 written, 2 usage or operational error.\n";

enum { PIN_SIZE = 256, PIN_BLOCK, PIN_ARENAS, PIN_CATCHES };

static int
pin_opt(int c, struct regress_case *rc, const char **workload, const char **out,
        const char **comment)
{
    uint64_t v;
    switch (c) {
    case 'w': *workload = optarg; return 0;
    case 'o': *out = optarg; return 0;
    case 'c': *comment = optarg; return 0;
    case 'm': return device_model_parse(optarg, &rc->model);
    case 'p':
        return sync_profile_parse(optarg, &rc->rec.profile);
    case PIN_SIZE: return cli_parse_size(optarg, &rc->rec.device_size) ? 0 : -1;
    case PIN_BLOCK:
        rc->rec.block_size = cli_parse_size(optarg, &v) && fmt_block_size_valid(v)
            ? (uint32_t)v : 0;
        return rc->rec.block_size ? 0 : -1;
    case PIN_ARENAS:
        rc->rec.arenas = cli_parse_u64(optarg, &v) && v <= FMT_ARENA_COUNT_MAX ? (uint32_t)v : 99;
        return rc->rec.arenas <= FMT_ARENA_COUNT_MAX ? 0 : -1;
    case PIN_CATCHES: snprintf(rc->catches, sizeof(rc->catches), "%s", optarg); return 0;
    default: return -1;
    }
}

/* Records the case's workload once to learn the write-log hash its ids use. */
static int
pin_hash(struct regress_case *c, char *err, size_t err_size)
{
    struct trace t;
    struct recording rec;
    if (trace_parse_text(c->name, c->text, &t, err, err_size) != 0) {
        return -1;
    }
    int rc = record_workload(&c->rec, &t, &rec, err, err_size);
    c->wlog_hash = rec.wlog_hash;
    if (rc == 0 && rec.violation[0] != '\0') {
        snprintf(err, err_size, "%.400s", rec.violation);
        rc = -1;
    }
    recording_free(&rec);
    trace_free(&t);
    return rc;
}

static int
pin_write(struct regress_case *c, const char *workload, const char *out, const char *comment)
{
    enum outcome got[REGRESS_STATES_MAX];
    char why[REGRESS_STATES_MAX][240], err[512];
    if (pin_hash(c, err, sizeof(err)) != 0 || regress_observe(c, got, why, err, sizeof(err)) != 0) {
        cli_error("pin", "%s", err);
        return EXIT_USAGE;
    }
    for (uint32_t i = 0; i < c->state_count; i++) {
        char id[NEST_ID_MAX];
        regress_state_id(c, i, id, sizeof(id));
        c->expect[i] = got[i];
        printf("%s: %s (%s)\n", id, outcome_name(got[i]), why[i]);
    }
    FILE *f = fopen(out, "w");
    char line[512];
    snprintf(line, sizeof(line), "%s", comment != NULL ? comment : workload);
    if (f == NULL || regress_write(f, c, line, c->text) != 0 || fclose(f) != 0) {
        cli_error("pin", "%s: cannot write", out);
        return EXIT_USAGE;
    }
    printf("wrote %s\n", out);
    return EXIT_OK;
}

int
cmd_pin(int argc, char **argv)
{
    static const struct option opts[] = {
        { "workload", required_argument, NULL, 'w' }, { "out", required_argument, NULL, 'o' },
        { "model", required_argument, NULL, 'm' }, { "profile", required_argument, NULL, 'p' },
        { "comment", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
        { "size", required_argument, NULL, PIN_SIZE },
        { "block-size", required_argument, NULL, PIN_BLOCK },
        { "arenas", required_argument, NULL, PIN_ARENAS },
        { "catches", required_argument, NULL, PIN_CATCHES }, { NULL, 0, NULL, 0 },
    };
    static struct regress_case rc;
    memset(&rc, 0, sizeof(rc));
    rc.rec = RECORD_CONFIG_DEFAULT;
    const char *workload = NULL, *out = NULL, *comment = NULL;
    unsigned given = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:o:m:p:c:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(pin_help, stdout);
            return EXIT_OK;
        }
        if (pin_opt(c, &rc, &workload, &out, &comment) != 0) {
            fputs(pin_help, stderr);
            return EXIT_USAGE;
        }
        given |= c == PIN_SIZE ? INPUT_GIVEN_SIZE : c == PIN_BLOCK ? INPUT_GIVEN_BLOCK
            : c == PIN_ARENAS ? INPUT_GIVEN_ARENAS : 0u;
    }
    if (workload == NULL || out == NULL || optind == argc
            || argc - optind > (int)REGRESS_STATES_MAX) {
        cli_error("pin", "need --workload, --out and 1..%u states", REGRESS_STATES_MAX);
        return EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        if (regress_state_parse(&rc, rc.state_count++, argv[i]) != 0) {
            cli_error("pin", "'%s' is not a crash-state id", argv[i]);
            return EXIT_USAGE;
        }
    }
    snprintf(rc.name, sizeof(rc.name), "%s", workload);
    if (input_workload(workload, given, &rc.rec, &rc.text) != 0) {
        return EXIT_USAGE;
    }
    int code = pin_write(&rc, workload, out, comment);
    regress_free(&rc);
    return code;
}

static const char minimize_help[] =
    "usage: crashsim minimize ID [--db FILE] [--run N] [-o CASE]\n"
    "\n"
    "Delta-debugs failing crash state ID of run N (default: the latest): removes\n"
    "workload steps while some crash state of the smaller workload (same device\n"
    "model and fault plan) still gives the same outcome, then drops lost and\n"
    "torn writes that are not needed. Prints the counter-example in words and\n"
    "writes it as a regression case (default: minimized.case). A nested ID\n"
    "(w19/w12: a crash during the post-recovery run of w19, explore --nested)\n"
    "keeps its depth: the smaller workload must have some state that recovers\n"
    "a legal state and a state of its post-recovery run with the same outcome.\n"
    "\n"
    "  -d, --db FILE   result database (default results.db)\n"
    "  -n, --run N     run id (default: the latest run)\n"
    "  -o, --out CASE  where to write the case (default minimized.case)\n"
    "  -h, --help      this text\n"
    "\n"
    "Exit status: 0 minimized, 1 the state is not a violation, 2 usage or\n"
    "operational error.\n";

int
cmd_minimize(int argc, char **argv)
{
    const char *db, *out = "minimized.case";
    uint64_t run;
    int status = cli_db_run_options(argc, argv, minimize_help, &db, &run, &out, NULL);
    if (status >= 0) {
        return status;
    }
    if (optind + 1 != argc || access(db, R_OK) != 0) {
        cli_error("minimize", optind + 1 != argc ? "expected one crash-state ID"
                : "%s: no such database", db);
        return EXIT_USAGE;
    }
    return minimize_run(argv[optind], db, (int64_t)run, out);
}
