/*
 * sim/cli/cmd_probes.c: crashsim probes — which recovery paths a campaign reached.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "../store/store.h"

static const char probes_help[] =
    "usage: crashsim probes [--db FILE] [--run N]\n"
    "\n"
    "Lists every recovery and checking probe (fs/probes.h) with the number of\n"
    "crash states of run N (default: the latest) that hit it and the first such\n"
    "state in write-log order, then names the probes no state reached.\n"
    "\n"
    "  -d, --db FILE   result database (default results.db)\n"
    "  -n, --run N     run id (default: the latest run)\n"
    "  -h, --help      this text\n"
    "\n"
    "Exit status: 0 listed, 2 usage or operational error.\n";

struct probes_ctx {
    uint32_t unreached;         /* Probes no state hit. */
    char names[64][40];         /* Their names. */
};

static void
probe_line(void *arg, uint32_t bit, const char *name, uint64_t hits, const char *first)
{
    struct probes_ctx *c = arg;
    printf("%-28s %10" PRIu64 "  %s\n", name, hits, first != NULL ? first : "-");
    if (hits == 0 && c->unreached < 64) {
        snprintf(c->names[c->unreached++], sizeof(c->names[0]), "%s", name);
    }
    (void)bit;
}

int
cmd_probes(int argc, char **argv)
{
    const char *db;
    uint64_t run;
    int status = cli_db_run_options(argc, argv, probes_help, &db, &run, NULL, NULL);
    if (status >= 0) {
        return status;
    }
    if (optind != argc || access(db, R_OK) != 0) {
        cli_error("probes", optind != argc ? "unexpected argument" : "%s: no such database", db);
        return EXIT_USAGE;
    }
    struct store *s;
    char err[256];
    if (store_open_read(&s, db, err, sizeof(err)) != 0) {
        cli_error("probes", "%s", err);
        return EXIT_USAGE;
    }
    int64_t id = (int64_t)run;
    struct run_info info;
    uint64_t hash;
    int rc = store_run_get(s, &id, &info, &hash);
    if (rc == 0) {
        free((void *)info.workload_text);
        printf("run %" PRId64 ": %s, %s/%s, faults %s\n\n%-28s %10s  %s\n", id,
                info.workload_name, info.model, info.profile, info.faults, "probe", "states",
                "first state");
        struct probes_ctx ctx = { 0 };
        rc = store_probe_stats(s, id, probe_line, &ctx);
        printf("\n%u probes reached by no state%s", ctx.unreached, ctx.unreached ? ":" : "");
        for (uint32_t i = 0; i < ctx.unreached; i++) {
            printf(" %s", ctx.names[i]);
        }
        printf("\n");
    } else {
        cli_error("probes", "%s: no such run", db);
    }
    store_close(s);
    return rc == 0 ? EXIT_OK : EXIT_USAGE;
}
