/*
 * sim/campaign/inputs.c: workloads and stored runs (see inputs.h).
 */
#include "inputs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WLOG_TEXT_SIZE 128u         /* Bytes of a write-log run's text. */

char *
input_wlog_text(uint64_t wlog_hash)
{
    char *text = malloc(WLOG_TEXT_SIZE);
    if (text != NULL) {
        snprintf(text, WLOG_TEXT_SIZE, INPUT_WLOG_TEXT_PREFIX ": write log %016" PRIx64
                ", no trace\n", wlog_hash);
    }
    return text;
}

int
input_run(struct store *st, int64_t *run_id, struct run_info *info, uint64_t *wlog_hash,
        struct trace *t, struct record_config *rc, char *err, size_t err_size)
{
    if (store_run_get(st, run_id, info, wlog_hash) != 0) {
        snprintf(err, err_size, "no such run");
        return -1;
    }
    const char *text = info->workload_text;
    int code = 0;
    size_t prefix_size = strlen(INPUT_WLOG_TEXT_PREFIX);
    if (text == NULL || strncmp(text, INPUT_WLOG_TEXT_PREFIX, prefix_size) == 0) {
        snprintf(err, err_size, "run %" PRId64 " explored a write-log file, not a trace: explore "
                "it again with --wlog", *run_id);
        code = -1;
    } else if (trace_parse_text(info->workload_name, text, t, err, err_size) != 0) {
        code = -1;
    }
    free((void *)info->workload_text);          /* store_run_get strdup's it. */
    info->workload_text = NULL;
    *rc = (struct record_config){ info->block_size, info->device_size, info->arenas,
        SYNC_PROFILE_FAITHFUL };
    if (code == 0 && sync_profile_parse(info->profile, &rc->profile) != 0) {
        snprintf(err, err_size, "run %" PRId64 ": unknown profile '%s'", *run_id, info->profile);
        code = -1;
    }
    return code;
}

int
input_rerecord(struct store *st, int64_t *run_id, struct run_info *info, struct trace *t,
        struct recording *rec, char *err, size_t err_size)
{
    uint64_t wlog_hash = 0;
    struct record_config rc;
    if (input_run(st, run_id, info, &wlog_hash, t, &rc, err, err_size) != 0
            || record_workload(&rc, t, rec, err, err_size) != 0) {
        return -1;
    }
    if (rec->wlog_hash != wlog_hash) {
        snprintf(err, err_size, "run %" PRId64 ": the workload now records a different write log "
                "(%016" PRIx64 ", stored %016" PRIx64 "): the code changed since the run",
                *run_id, rec->wlog_hash, wlog_hash);
        return -1;
    }
    return 0;
}

int
input_workload(const char *path, unsigned given, struct record_config *rec, char **text)
{
    ASSERT(path != NULL && rec != NULL && text != NULL);
    char err[512];
    struct trace t;
    if (trace_load(path, &t, text, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    trace_free(&t);
    struct trace_geometry g;
    if (trace_geometry_parse(path, *text, strlen(*text), &g, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        free(*text);
        *text = NULL;
        return -1;
    }
    if (g.device_size_given && (given & INPUT_GIVEN_SIZE) == 0) {
        rec->device_size = g.device_size;
    }
    if (g.block_size_given && (given & INPUT_GIVEN_BLOCK) == 0) {
        rec->block_size = g.block_size;
    }
    if (g.arena_count_given && (given & INPUT_GIVEN_ARENAS) == 0) {
        rec->arenas = g.arena_count;
    }
    return 0;
}
