/*
 * sim/cli/cmd_cluster.c: crashsim merge — the databases of a campaign's
 * shards (explore --shard I/N), or of any campaigns, joined into one.
 */
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "../store/store.h"

static const char merge_help[] =
    "usage: crashsim merge OUT.db IN.db...\n"
    "\n"
    "Merges result databases into OUT.db (created if missing). The shards of one\n"
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
    return store_merge(argv[optind], (const char *const *)&argv[optind + 1],
            argc - optind - 1, stdout);
}
