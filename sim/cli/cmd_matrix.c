/*
 * sim/cli/cmd_matrix.c: crashsim matrix — the survival matrix: every standard
 * workload under every device model and sync profile, one campaign each, the
 * violations of each in a table (and every run in the database, where the
 * report draws the matrix).
 *
 * With --nested every campaign also checks nested crash states (crashs in the
 * post-recovery workload of each recovered state, sim/campaign/explore.h),
 * and the table splits them from the top-level ones: the cells count the
 * top-level states (depth 1) and a last column the nested ones (depth 2 and
 * more) of the row's campaigns, both read back from the store
 * (store_depth_tally: the run each campaign just made, the database's
 * latest).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../../fs/format.h"
#include "../store/store.h"
#include "cli.h"
#include "../campaign/explore.h"
#include "../campaign/inputs.h"

#define MATRIX_WORKLOADS_MAX 64u
#define MATRIX_DEPTH_MAX NEST_DEPTH_MAX  /* --depth N, at most (explore's). */

static const char matrix_help[] =
    "usage: crashsim matrix [--db FILE] [--faults LIST] [--jobs N] [--samples N]\n"
    "                       [--nested [--nested-in CELLS]] [--depth N] [DIR]\n"
    "\n"
    "Runs every workload of DIR (default traces/workloads) under every device\n"
    "model (ordered, writeback, torn, hostile) and sync profile (faithful,\n"
    "hardened) with the fault plan LIST (default pass,flush,prefix,reorder:1,\n"
    "torn,flip,lost,misdirect,unreadable,liar; the media faults and the lying\n"
    "flush apply to hostile only), each on the geometry its '# geometry:' line\n"
    "names, stores every run and prints the violations of each cell. A cell is\n"
    "the violating states over the states checked; 0 means the file system\n"
    "survived that disk.\n"
    "\n"
    "  -d, --db FILE      result database (default results.db)\n"
    "  -f, --faults LIST  fault plan (see crashsim explore --help)\n"
    "  -j, --jobs N       worker processes per campaign\n"
    "      --samples N    per cut, the lost-write subsets and the writes each media\n"
    "                     fault strikes beyond which they are sampled (default 64)\n"
    "      --nested       also check nested crash states (crashes during the\n"
    "                     post-recovery workload, depth 2) in the cells of\n"
    "                     --nested-in: the cells count the top-level states, a\n"
    "                     last column 'nested' the nested states of the row's\n"
    "                     nested campaigns (violating / states)\n"
    "      --nested-in CELLS  MODEL/PROFILE,... or all (default\n"
    "                     ordered/faithful,writeback/hardened; implies --nested)\n"
    "      --depth N      nesting depth, 2 to 4 (implies --nested; 1: none)\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 the table was made (violations are findings, not errors),\n"
    "2 usage or operational error.\n";

/* The top-level and nested states of the campaign just run, and their
 * violations, from the store ([0] top level, [1] nested). 0, or -1. */
static int
matrix_tally(const char *db, uint64_t states[2], uint64_t violations[2])
{
    struct store *s;
    char err[512];
    if (store_open_read(&s, db, err, sizeof(err)) != 0) {
        cli_error("matrix", "%s", err);
        return -1;
    }
    int rc = store_depth_tally(s, 0, states, violations);
    store_close(s);
    if (rc != 0) {
        cli_error("matrix", "%s: cannot count the nested states", db);
    }
    return rc;
}

/* One cell: the workload under model m and the profile, printed; with
 * --nested its nested states added to nested[] (violations, states). The
 * campaign's exit code, or 2. */
static int
matrix_cell(struct explore_config *cfg, const char *path, const char *text,
        const struct record_config *rec, uint32_t m, uint32_t hardened, uint64_t nested[2],
        uint32_t nest_cells)
{
    ASSERT(m < MODEL_COUNT);
    ASSERT(hardened < 2);
    struct explore_config cell_cfg = *cfg;      /* Nested or not, by the cell. */
    cell_cfg.nested = cfg->nested && (nest_cells & (1u << (2 * m + hardened)));
    cfg = &cell_cfg;
    cfg->rec = *rec;
    cfg->rec.profile = (enum sync_profile)hardened;
    cfg->model = (enum device_model)m;
    cfg->workload = path;
    struct explore_totals t = { 0 };
    char *owned = strdup(text);
    int code = owned != NULL ? explore_campaign(cfg, path, owned, &t) : 2;
    if (code == 2) {
        return 2;
    }
    uint64_t states = t.states, violations = t.violations;
    if (cfg->nested) {
        uint64_t level_states[2], level_violations[2];
        if (matrix_tally(cfg->db, level_states, level_violations) != 0) {
            return 2;
        }
        states = level_states[0];
        violations = level_violations[0];
        nested[0] += level_violations[1];
        nested[1] += level_states[1];
    }
    /* A violation while recording counts as one violating state. */
    violations += code == 1 && t.violations == 0;
    char cell[32];
    snprintf(cell, sizeof(cell), "%" PRIu64 "/%" PRIu64, violations, states);
    printf(" %12s", cell);
    fflush(stdout);
    return code;
}

/* The cells of --nested-in, a bit 2 * model + hardened each: "all", or
 * MODEL/PROFILE,...; -1 for a cell that is none. */
static int
nest_cells_parse(const char *s, uint32_t *cells)
{
    if (strcmp(s, "all") == 0) {
        *cells = (1u << (2 * MODEL_COUNT)) - 1;
        return 0;
    }
    *cells = 0;
    while (*s != '\0') {
        size_t n = strcspn(s, ",");
        char one[64];
        if (n == 0 || n >= sizeof(one)) {
            return -1;
        }
        memcpy(one, s, n);
        one[n] = '\0';
        char *slash = strchr(one, '/');
        enum device_model m;
        enum sync_profile p;
        if (slash == NULL) {
            return -1;
        }
        *slash = '\0';
        if (device_model_parse(one, &m) != 0 || sync_profile_parse(slash + 1, &p) != 0) {
            return -1;
        }
        *cells |= 1u << (2 * (uint32_t)m + (uint32_t)p);
        s += n + (s[n] == ',');
    }
    return *cells != 0 ? 0 : -1;
}

/* One row of the table: the workload under each model and profile, and with
 * --nested the nested states of them all. */
static int
matrix_row(struct explore_config *cfg, const char *path, uint32_t nest_cells)
{
    const char *base = strrchr(path, '/');
    printf("%-24s", base != NULL ? base + 1 : path);
    fflush(stdout);
    struct record_config rec = RECORD_CONFIG_DEFAULT;
    char *text = NULL;
    if (input_workload(path, 0, &rec, &text) != 0) {
        printf("\n");
        return -1;
    }
    uint64_t nested[2] = { 0, 0 };          /* Violating nested states, nested states. */
    int rc = 0;
    for (uint32_t m = 0; rc == 0 && m < MODEL_COUNT; m++) {
        for (uint32_t hardened = 0; rc == 0 && hardened < 2; hardened++) {
            rc = matrix_cell(cfg, path, text, &rec, m, hardened, nested, nest_cells) == 2
                ? -1 : 0;
        }
    }
    if (rc == 0 && cfg->nested) {
        char cell[32];
        snprintf(cell, sizeof(cell), "%" PRIu64 "/%" PRIu64, nested[0], nested[1]);
        printf(" %12s", cell);
    }
    printf("\n");
    free(text);
    return rc;
}

int
cmd_matrix(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, NULL, 'd' }, { "faults", required_argument, NULL, 'f' },
        { "jobs", required_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
        { "nested", no_argument, NULL, 'N' }, { "depth", required_argument, NULL, 'D' },
        { "nested-in", required_argument, NULL, 'I' }, { "samples", required_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    struct explore_config cfg = { .db = "results.db", .jobs = 2, .timeout_ms = 10000,
        .quiet = true, .tally_only = true };
    const char *faults = "pass,flush,prefix,reorder:1,torn,flip,lost,misdirect,unreadable,liar";
    uint64_t v, samples = 64;
    uint32_t nest_cells = 0;
    nest_cells_parse("ordered/faithful,writeback/hardened", &nest_cells);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:f:j:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(matrix_help, stdout);
            return EXIT_OK;
        }
        if (c == 'd') {
            cfg.db = optarg;
        } else if (c == 'f') {
            faults = optarg;
        } else if (c == 'j' && cli_parse_u64(optarg, &v) && v >= 1 && v <= 64) {
            cfg.jobs = (uint32_t)v;
        } else if (c == 'N') {
            cfg.nested = true;
        } else if (c == 'I' && nest_cells_parse(optarg, &nest_cells) == 0) {
            cfg.nested = true;
        } else if (c == 'S' && cli_parse_u64(optarg, &v) && v >= 1 && v <= 1000000) {
            samples = v;
        } else if (c == 'D' && cli_parse_u64(optarg, &v) && v >= 1 && v <= MATRIX_DEPTH_MAX) {
            cfg.depth = (uint32_t)v;
        } else {
            fputs(matrix_help, stderr);
            return EXIT_USAGE;
        }
    }
    char err[256];
    if (optind + 1 < argc || fault_plan_parse(faults, &cfg.plan, err, sizeof(err)) != 0) {
        cli_error("matrix", optind + 1 < argc ? "at most one DIR" : "--faults: %s", err);
        return EXIT_USAGE;
    }
    cfg.plan.samples = (uint32_t)samples;
    if (cfg.depth > 1 || (cfg.nested && cfg.depth == 0)) {
        cfg.nested = true;                  /* --depth N implies --nested, which is depth 2. */
        cfg.depth = cfg.depth > 1 ? cfg.depth : 2;
    } else if (cfg.depth == 1) {
        cfg.nested = false;                 /* --depth 1: no nesting, whatever --nested said. */
    }
    char *paths[MATRIX_WORKLOADS_MAX];
    int32_t listed = input_workload_dir(optind < argc ? argv[optind] : "traces/workloads", paths,
            MATRIX_WORKLOADS_MAX);
    uint32_t n = listed > 0 ? (uint32_t)listed : 0;
    if (n == 0) {
        cli_error("matrix", "%s", listed < 0 && errno == E2BIG ? "more than 64 workloads"
                : listed < 0 ? strerror(errno) : "no *.trace workloads found");
        return EXIT_USAGE;
    }
    printf("violating states / states, faults %s\n%-24s", faults, "workload");
    for (uint32_t m = 0; m < MODEL_COUNT; m++) {
        printf(" %12.12s %12.12s", device_model_name((enum device_model)m), "+hardened");
    }
    if (cfg.nested) {
        char head[24];
        snprintf(head, sizeof(head), "nested:%u", cfg.depth);
        printf(" %12s", head);
    }
    printf("\n");
    int rc = 0;
    for (uint32_t i = 0; i < n; i++) {
        rc = rc == 0 ? matrix_row(&cfg, paths[i], nest_cells) : rc;
        free(paths[i]);
    }
    printf("runs stored in %s; crashsim report draws the matrix\n", cfg.db);
    return rc == 0 ? EXIT_OK : EXIT_USAGE;
}
