/*
 * sim/cli/main.c: the crashsim command line: dispatch to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

const struct cli_command cli_commands[] = {
    { "explore", "run a crash-exploration campaign on a workload", cmd_explore },
    { "matrix", "the survival matrix: workloads x device models x sync profiles", cmd_matrix },
    { "replay", "re-run one crash state of a campaign and explain it", cmd_replay },
    { "probes", "which recovery probes the states of a campaign hit", cmd_probes },
    { "merge", "merge result databases: a campaign's shards into one run", cmd_merge },
    { "jobs", "a campaign grid as shard jobs, one shell command per line", cmd_jobs },
    { "slurm", "a campaign grid as a Slurm array job and a merge job", cmd_slurm },
    { "regress", "replay the regression corpus (traces/regress)", cmd_regress },
    { "pin",   "make a regression case from crash states", cmd_pin },
    { "minimize", "delta-debug a failing crash state to a small regression case", cmd_minimize },
    { "report", "write the HTML report of a result database", cmd_report },
    { "compare", "compare two runs: flipped states, new violations", cmd_compare },
    { "wlog",  "export a run's write log to a file, or import and verify one", cmd_wlog },
    { "mkfs",  "create a file system in an image file", cmd_mkfs },
    { "check", "check an image (fsck exit codes)", cmd_check },
    { "dump",  "decode one block of an image, like debugfs", cmd_dump },
    { "run",   "apply a trace (traces/FORMAT.md) to an image", cmd_run },
    { "gen",   "generate traces: seeded random, every ACE workload, or guided by coverage",
        cmd_gen },
    { "ls",    "list a directory of an image", cmd_ls },
    { "cat",   "copy a file of an image to standard output", cmd_cat },
    { "stat",  "print the directory entry of a path in an image", cmd_stat },
    { "snapshots", "list the snapshot labels of an image", cmd_snapshots },
    { "tree",  "print the B-epsilon tree of an image, node by node", cmd_tree },
    { NULL, NULL, NULL },
};

static void
usage(FILE *out)
{
    fprintf(out,
        "usage: crashsim COMMAND [ARGS]\n"
        "\n"
        "crashsim is a crash-consistency harness around a GEFS-design copy-on-write\n"
        "file system. Commands:\n\n");
    for (const struct cli_command *c = cli_commands; c->name != NULL; c++) {
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    }
    fprintf(out,
        "\n'crashsim COMMAND --help' explains a command. Exit codes: 0 success, 1\n"
        "violations found, 2 usage or operational error; check uses fsck codes\n"
        "(0 clean, 1 leaks only, 4 corruption, 8 operational error, 16 usage).\n");
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
            || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("crashsim %s\n", CRASHSIM_VERSION);
        return EXIT_OK;
    }
    for (const struct cli_command *c = cli_commands; c->name != NULL; c++) {
        if (strcmp(argv[1], c->name) == 0) {
            return c->run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "crashsim: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
