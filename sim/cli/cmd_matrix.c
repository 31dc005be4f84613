/*
 * sim/cli/cmd_matrix.c: crashsim matrix — the survival matrix: every standard
 * workload under every device model and sync profile, one campaign each, the
 * violations of each in a table (and every run in the database, where the
 * report draws the matrix).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../../fs/format.h"
#include "cli.h"
#include "../campaign/explore.h"
#include "../campaign/inputs.h"

#define MATRIX_WORKLOADS_MAX 64u

static const char matrix_help[] =
    "usage: crashsim matrix [--db FILE] [--faults LIST] [--jobs N] [DIR]\n"
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
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 the table was made (violations are findings, not errors),\n"
    "2 usage or operational error.\n";

/* One row of the table: the workload under each model and profile. */
static int
matrix_row(struct explore_config *cfg, const char *path)
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
    for (uint32_t m = 0; m < MODEL_COUNT; m++) {
        for (uint32_t hardened = 0; hardened < 2; hardened++) {
            cfg->rec = rec;
            cfg->rec.profile = (enum sync_profile)hardened;
            cfg->model = (enum device_model)m;
            cfg->workload = path;
            struct explore_totals t = { 0 };
            char *owned = strdup(text);
            int code = owned != NULL ? explore_campaign(cfg, path, owned, &t) : 2;
            if (code == 2) {
                printf("\n");
                free(text);
                return -1;
            }
            /* A violation while recording counts as one violating state. */
            uint64_t violations = t.violations + (code == 1 && t.violations == 0);
            char cell[32];
            snprintf(cell, sizeof(cell), "%" PRIu64 "/%" PRIu64, violations, t.states);
            printf(" %12s", cell);
            fflush(stdout);
        }
    }
    printf("\n");
    free(text);
    return 0;
}

int
cmd_matrix(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, NULL, 'd' }, { "faults", required_argument, NULL, 'f' },
        { "jobs", required_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct explore_config cfg = { .db = "results.db", .jobs = 2, .timeout_ms = 10000,
        .quiet = true, .tally_only = true };
    const char *faults = "pass,flush,prefix,reorder:1,torn,flip,lost,misdirect,unreadable,liar";
    uint64_t v;
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
    cfg.plan.samples = 64;
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
    printf("\n");
    int rc = 0;
    for (uint32_t i = 0; i < n; i++) {
        rc = rc == 0 ? matrix_row(&cfg, paths[i]) : rc;
        free(paths[i]);
    }
    printf("runs stored in %s; crashsim report draws the matrix\n", cfg.db);
    return rc == 0 ? EXIT_OK : EXIT_USAGE;
}
