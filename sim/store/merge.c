/*
 * sim/store/merge.c: crashsim merge — result databases joined into one (see
 * store.h, store_merge, and docs/SCHEMA.md "Shards and merging").
 *
 * Model. A campaign run whole is one `runs` row; run as N shards (explore
 * --shard I/N) it is N rows, one per database, each holding the states of its
 * slice and the same write log, sync points and plan totals (state_count,
 * distinct_count count the whole campaign's states in every shard). Merging
 * copies each input run into OUT:
 *   - a whole run (shard '') is copied as it is, once: a run OUT already
 *     holds with the same configuration, write log and start time is the
 *     same run, and only gains what it lacks;
 *   - a shard joins the merged run of its campaign: OUT's run with the same
 *     configuration (config_key with "shard=" empty, as an unsharded run's)
 *     that holds shards. It is made from the first shard seen, with the
 *     shard's write log and sync points. A shard whose write log differs
 *     from the merged run's, or whose N differs, is refused: it is another
 *     recording (the code changed), never mixed in.
 * States and results are copied by their keys, so merging a shard twice
 * changes nothing; a final result replaces an `unchecked` one (a shard
 * resumed and finished since it was last merged), never the reverse. The
 * merged run's shards are rows of run_shards; it is finished when all N are
 * there, each finished, and every state of the plan has a final result, and
 * its duration is the sum of the shards'. So are its nested counts
 * (runs.nested_state_count, nested_distinct_count): a shard enumerates the
 * nested states of its own top-level states only, so each shard's counts
 * are its slice's, kept in its run_shards row and summed from there (merging
 * a shard twice still changes nothing). Inputs of schema version 4 and 5
 * merge with depth 1, no parent and no nested counts.
 *
 * Transactions. Each input is merged in one transaction: a kill at any
 * moment leaves OUT as it was before that input or after it, and running
 * the same merge again completes it. Inputs are read through ATTACH, with
 * INSERT ... SELECT, so rows never pass through C.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store_impl.h"

#define MERGE_KEY_MAX 600u          /* Bytes of a config_key. */
#define MERGE_RUNS_MAX 1000000u     /* Runs of one input database, at most. */

/* One run of an input database. */
struct src_run {
    int64_t id;                     /* Its run_id there. */
    char key[MERGE_KEY_MAX];        /* config_key, with OUT's workload id. */
    char wlog_hash[17];             /* Its write-log hash ("" if none). */
    char started[32];               /* started_at. */
    uint32_t shard_index;           /* I of "I/N"; 0 for a whole run. */
    uint32_t shard_count;           /* N; 0 for a whole run. */
};

static const char run_columns[] =
    "started_at, finished_at, git_rev, seed, workload_id, model, profile, faults, "
    "block_size, device_size, arenas, jobs, shard, config_key, wlog_hash, op_count, "
    "write_count, flush_count, state_count, distinct_count, run_violation, duration_ns, "
    "memo_hit_rate, hashed_per_state, sampled_out_count, depth, nested_state_count, "
    "nested_distinct_count";

/* What an older input lacks, read as NULL or its default: runs.sampled_out_count
 * (version 5 added it); runs.depth and the nested counts, states.parent and
 * depth (version 6). */
static bool src_has_sampled_out;    /* runs.sampled_out_count. */
static bool src_has_run_depth;      /* runs.depth, nested_state_count, nested_distinct_count. */
static bool src_has_state_depth;    /* states.parent, states.depth. */

/* The input's runs columns of nesting, as a select list over src.runs. */
static const char *
src_run_nesting(void)
{
    return src_has_run_depth ? "depth, nested_state_count, nested_distinct_count"
        : "1, NULL, NULL";
}

static const char result_columns[] =
    "state_id, outcome, violation, reason, recovered_sync, legal_lo, legal_hi, "
    "leaked_blocks, corrupt_count, duration_ns, worker, probes, retries, memo_lookups, "
    "memo_hits, hashed";

static void
text_copy(char *dst, size_t size, const unsigned char *src)
{
    snprintf(dst, size, "%s", src != NULL ? (const char *)src : "");
}

/* Prepares sql and binds the int64 arguments (?1, ?2, ...) and the texts
 * after them. 0, or -1 with the message on stderr. */
static int
prepare_bound(struct store *s, const char *sql, const int64_t *ints, int int_count,
        const char *const *texts, int text_count, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
        fprintf(stderr, "crashsim merge: sqlite: %s\n", sqlite3_errmsg(s->db));
        return -1;
    }
    for (int i = 0; i < int_count; i++) {
        sqlite3_bind_int64(*st, i + 1, ints[i]);
    }
    for (int i = 0; i < text_count; i++) {
        sqlite3_bind_text(*st, int_count + i + 1, texts[i], -1, SQLITE_TRANSIENT);
    }
    return 0;
}

/* Runs sql once with those arguments. 0, or -1 with the message on stderr. */
static int
run_sql(struct store *s, const char *sql, const int64_t *ints, int int_count,
        const char *const *texts, int text_count)
{
    sqlite3_stmt *st;
    if (prepare_bound(s, sql, ints, int_count, texts, text_count, &st) != 0) {
        return -1;
    }
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "crashsim merge: sqlite: %s\n", sqlite3_errmsg(s->db));
        return -1;
    }
    return 0;
}

/* The first column of the first row as an integer: 1 found, 0 no row, -1. */
static int
find_int(struct store *s, const char *sql, const int64_t *ints, int int_count,
        const char *const *texts, int text_count, int64_t *out)
{
    sqlite3_stmt *st;
    if (prepare_bound(s, sql, ints, int_count, texts, text_count, &st) != 0) {
        return -1;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* "I/N" into its numbers; 0, or -1 when it is not one. */
static int
shard_parse(const char *text, uint32_t *index, uint32_t *count)
{
    unsigned i, n;
    char tail;
    if (sscanf(text, "%u/%u%c", &i, &n, &tail) != 2 || i < 1 || i > n) {
        return -1;
    }
    *index = i;
    *count = n;
    return 0;
}

/* The runs of the attached input, their keys rewritten to OUT's workload
 * ids (the workloads are copied first). *runs is malloc'd. -1 on an error,
 * 2 on an input this code refuses (a malformed shard). */
static int
src_runs(struct store *s, const char *path, struct src_run **runs, size_t *count)
{
    sqlite3_stmt *st;
    *runs = NULL;
    *count = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT r.run_id, r.config_key, r.wlog_hash, "
            "coalesce(r.shard, ''), r.started_at, o.workload_id FROM src.runs r "
            "JOIN src.workloads w ON w.workload_id = r.workload_id "
            "JOIN main.workloads o ON o.hash = w.hash ORDER BY r.run_id", -1, &st, NULL)
            != SQLITE_OK) {
        fprintf(stderr, "crashsim merge: %s: %s\n", path, sqlite3_errmsg(s->db));
        return -1;
    }
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *count < MERGE_RUNS_MAX) {
        if (*count == cap) {
            cap = cap ? 2 * cap : 16;
            struct src_run *grown = realloc(*runs, cap * sizeof(**runs));
            if (grown == NULL) {
                sqlite3_finalize(st);
                return -1;
            }
            *runs = grown;
        }
        struct src_run *r = &(*runs)[(*count)++];
        memset(r, 0, sizeof(*r));
        r->id = sqlite3_column_int64(st, 0);
        const char *key = (const char *)sqlite3_column_text(st, 1);
        key = key != NULL ? key : "";
        snprintf(r->key, sizeof(r->key), "w%" PRId64 "%s", (int64_t)sqlite3_column_int64(st, 5),
                key + strcspn(key, " "));
        text_copy(r->wlog_hash, sizeof(r->wlog_hash), sqlite3_column_text(st, 2));
        const char *shard = (const char *)sqlite3_column_text(st, 3);
        text_copy(r->started, sizeof(r->started), sqlite3_column_text(st, 4));
        if (shard[0] != '\0' && shard_parse(shard, &r->shard_index, &r->shard_count) != 0) {
            fprintf(stderr, "crashsim merge: %s: run %" PRId64 " has shard '%s', not I/N\n",
                    path, r->id, shard);
            sqlite3_finalize(st);
            return 2;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Copies the input run's states and results into run out_id: new keys
 * inserted, an unchecked result replaced by a final one. */
static int
copy_results(struct store *s, int64_t out_id, int64_t src_id)
{
    char sql[1400];
    int64_t ids[2] = { out_id, src_id };
    const char *unchecked = outcome_name(OUTCOME_UNCHECKED);
    snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO main.states (run_id, state_id, cut, "
            "fault_class, drops, torn_op, torn_sectors, torn_fill, signature, dup_of, pass, "
            "last_write, last_block_type, parent, depth) SELECT ?1, state_id, cut, fault_class, "
            "drops, torn_op, torn_sectors, torn_fill, signature, dup_of, pass, last_write, "
            "last_block_type, %s FROM src.states WHERE run_id = ?2",
            src_has_state_depth ? "parent, depth" : "NULL, 1");
    if (run_sql(s, sql, ids, 2, NULL, 0) != 0) {
        return -1;
    }
    snprintf(sql, sizeof(sql), "INSERT INTO main.results (run_id, %s) SELECT ?1, %s "
            "FROM src.results WHERE run_id = ?2 ON CONFLICT (run_id, state_id) DO UPDATE SET "
            "outcome = excluded.outcome, violation = excluded.violation, reason = excluded.reason, "
            "recovered_sync = excluded.recovered_sync, legal_lo = excluded.legal_lo, "
            "legal_hi = excluded.legal_hi, leaked_blocks = excluded.leaked_blocks, "
            "corrupt_count = excluded.corrupt_count, duration_ns = excluded.duration_ns, "
            "worker = excluded.worker, probes = excluded.probes, retries = excluded.retries, "
            "memo_lookups = excluded.memo_lookups, memo_hits = excluded.memo_hits, "
            "hashed = excluded.hashed WHERE results.outcome = ?3 AND excluded.outcome != ?3",
            result_columns, result_columns);
    return run_sql(s, sql, ids, 2, &unchecked, 1);
}

/* A new run in OUT from the input's run r: its row (a merged run's with the
 * unsharded key, no shard and no finish yet), write log and sync points. */
static int
copy_run(struct store *s, const struct src_run *r, bool merged, int64_t *out_id)
{
    char sql[1400];
    snprintf(sql, sizeof(sql), "INSERT INTO main.runs (%s) SELECT started_at, "
            "CASE WHEN ?3 THEN NULL ELSE finished_at END, git_rev, seed, "
            "(SELECT o.workload_id FROM main.workloads o JOIN src.workloads w ON w.hash = o.hash "
            " WHERE w.workload_id = r.workload_id), model, profile, faults, block_size, "
            "device_size, arenas, jobs, CASE WHEN ?3 THEN '' ELSE shard END, ?4, wlog_hash, "
            "op_count, write_count, flush_count, state_count, distinct_count, run_violation, "
            "CASE WHEN ?3 THEN NULL ELSE duration_ns END, memo_hit_rate, hashed_per_state, "
            "%s, %s FROM src.runs r WHERE run_id = ?2", run_columns,
            src_has_sampled_out ? "sampled_out_count" : "NULL", src_run_nesting());
    char key[MERGE_KEY_MAX];
    snprintf(key, sizeof(key), "%s", r->key);
    if (merged) {
        key[strlen(key) - strlen(strrchr(key, '=') + 1)] = '\0';     /* "shard=" */
    }
    const char *text = key;
    int64_t ints[3] = { 0, r->id, merged };
    if (run_sql(s, sql, ints, 3, &text, 1) != 0) {
        return -1;
    }
    *out_id = sqlite3_last_insert_rowid(s->db);
    int64_t ids[2] = { *out_id, r->id };
    return run_sql(s, "INSERT INTO main.wlog SELECT ?1, op_index, kind, block, content_hash, "
            "epoch, qgen, pass, activity, block_type, mark FROM src.wlog WHERE run_id = ?2",
            ids, 2, NULL, 0) != 0 || run_sql(s, "INSERT INTO main.syncs SELECT ?1, sync_index, "
            "step_index, trace_line, start_op, end_op, digest FROM src.syncs WHERE run_id = ?2",
            ids, 2, NULL, 0) != 0 ? -1 : 0;
}

/* A whole run: copied once; a copy OUT holds gains what it lacks. */
static int
merge_whole(struct store *s, const struct src_run *r)
{
    const char *texts[3] = { r->key, r->wlog_hash, r->started };
    int64_t out_id;
    int found = find_int(s, "SELECT run_id FROM main.runs WHERE config_key = ?1 AND "
            "coalesce(wlog_hash, '') = ?2 AND started_at = ?3 AND run_id NOT IN "
            "(SELECT run_id FROM main.run_shards)", NULL, 0, texts, 3, &out_id);
    if (found < 0 || (found == 0 && copy_run(s, r, false, &out_id) != 0)) {
        return -1;
    }
    int64_t ids[2] = { out_id, r->id };
    char sql[900];
    snprintf(sql, sizeof(sql), "UPDATE main.runs SET (finished_at, duration_ns, memo_hit_rate, "
            "hashed_per_state, state_count, distinct_count, run_violation, nested_state_count, "
            "nested_distinct_count) = (SELECT finished_at, duration_ns, memo_hit_rate, "
            "hashed_per_state, state_count, distinct_count, run_violation, %s FROM src.runs "
            "WHERE run_id = ?2) WHERE run_id = ?1 AND finished_at IS NULL", src_has_run_depth
            ? "nested_state_count, nested_distinct_count" : "NULL, NULL");
    if (found == 1 && run_sql(s, sql, ids, 2, NULL, 0) != 0) {
        return -1;
    }
    return copy_results(s, out_id, r->id);
}

/* A shard: into its campaign's merged run, made if OUT has none. 0, -1 on an
 * error, 2 refused (another recording, or another N). */
static int
merge_shard(struct store *s, const char *path, const struct src_run *r, int64_t *merged)
{
    char base[MERGE_KEY_MAX];
    snprintf(base, sizeof(base), "%s", r->key);
    char *eq = strrchr(base, '=');
    if (eq == NULL || eq - base < 5 || strncmp(eq - 5, "shard", 5) != 0) {
        fprintf(stderr, "crashsim merge: %s: run %" PRId64 "'s configuration does not name "
                "its shard\n", path, r->id);
        return 2;
    }
    eq[1] = '\0';
    const char *texts[1] = { base };
    int64_t out_id;
    int found = find_int(s, "SELECT run_id FROM main.runs WHERE config_key = ?1 AND run_id IN "
            "(SELECT run_id FROM main.run_shards) ORDER BY run_id DESC", NULL, 0, texts, 1,
            &out_id);
    if (found < 0) {
        return -1;
    }
    if (found == 1) {
        int64_t n = 0, same = 0;
        const char *hash = r->wlog_hash;
        if (find_int(s, "SELECT max(shard_count) FROM main.run_shards WHERE run_id = ?1",
                &out_id, 1, NULL, 0, &n) < 0 || find_int(s, "SELECT count(*) FROM main.runs "
                "WHERE run_id = ?1 AND coalesce(wlog_hash, '') = ?2", &out_id, 1, &hash, 1,
                &same) < 0) {
            return -1;
        }
        if (same != 1 || n != r->shard_count) {
            fprintf(stderr, "crashsim merge: %s: run %" PRId64 " (shard %u/%u) is %s than the "
                    "shards merged into run %" PRId64 " (%s): it is not a shard of the same "
                    "campaign; merge it into another database\n", path, r->id, r->shard_index,
                    r->shard_count, same != 1 ? "another recording (its write log differs)"
                    : "a slice of another shard count", out_id, same != 1
                    ? "the code that recorded them differs" : "N must be equal");
            return 2;
        }
    } else if (copy_run(s, r, true, &out_id) != 0) {
        return -1;
    }
    *merged = out_id;
    int64_t ints[4] = { out_id, r->id, r->shard_index, r->shard_count };
    char sql[1000];
    snprintf(sql, sizeof(sql), "INSERT INTO main.run_shards (run_id, shard_index, shard_count, "
            "started_at, finished_at, git_rev, duration_ns, nested_state_count, "
            "nested_distinct_count) SELECT ?1, ?3, ?4, started_at, finished_at, git_rev, "
            "duration_ns, %s FROM src.runs WHERE run_id = ?2 ON CONFLICT (run_id, shard_index) "
            "DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at, "
            "git_rev = excluded.git_rev, duration_ns = excluded.duration_ns, "
            "nested_state_count = excluded.nested_state_count, "
            "nested_distinct_count = excluded.nested_distinct_count "
            "WHERE run_shards.finished_at IS NULL", src_has_run_depth
            ? "nested_state_count, nested_distinct_count" : "NULL, NULL");
    if (run_sql(s, sql, ints, 4, NULL, 0) != 0) {
        return -1;
    }
    return copy_results(s, out_id, r->id);
}

/* The merged run's totals from its shards: finished when every shard is
 * there and finished (a finished shard holds a final result for each of its
 * states); the memo's rates once it is, from every result. */
static int
merged_update(struct store *s, int64_t run_id)
{
    int64_t finished = 0;
    if (run_sql(s, "UPDATE main.runs SET "
            "started_at = (SELECT min(started_at) FROM run_shards WHERE run_id = ?1), "
            "duration_ns = (SELECT sum(duration_ns) FROM run_shards WHERE run_id = ?1), "
            "nested_state_count = (SELECT sum(nested_state_count) FROM run_shards "
            " WHERE run_id = ?1), "
            "nested_distinct_count = (SELECT sum(nested_distinct_count) FROM run_shards "
            " WHERE run_id = ?1), "
            "finished_at = (SELECT CASE WHEN count(finished_at) = max(shard_count) "
            " THEN max(finished_at) END FROM run_shards WHERE run_id = ?1) "
            "WHERE run_id = ?1", &run_id, 1, NULL, 0) != 0
            || find_int(s, "SELECT finished_at IS NOT NULL FROM main.runs WHERE run_id = ?1",
                &run_id, 1, NULL, 0, &finished) < 0) {
        return -1;
    }
    return !finished ? 0 : run_sql(s, "UPDATE main.runs SET (memo_hit_rate, hashed_per_state) = "
            "(SELECT 1.0 * sum(memo_hits) / nullif(sum(memo_lookups), 0), "
            " 1.0 * sum(hashed) / nullif(count(hashed), 0) FROM results WHERE run_id = ?1) "
            "WHERE run_id = ?1", &run_id, 1, NULL, 0);
}

/* Checks that path is a crashsim database of version 4 or later and not
 * OUT itself. 0, or 2 with why on stderr. */
static int
input_check(const char *out_path, const char *path)
{
    struct stat a, b;
    if (stat(out_path, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev
            && a.st_ino == b.st_ino) {
        fprintf(stderr, "crashsim merge: %s is the output database itself\n", path);
        return 2;
    }
    struct store *in;
    char err[600];
    if (store_open_read(&in, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "crashsim merge: %s\n", err);
        return 2;
    }
    int64_t version = store_query_int(in, "PRAGMA user_version");
    store_close(in);
    if (version < 4) {
        fprintf(stderr, "crashsim merge: %s: schema version %" PRId64 " is too old to merge "
                "(4 or later; crashsim explore --db %s upgrades it when it next writes)\n",
                path, version, path);
        return 2;
    }
    return 0;
}

/* Whether the attached input's table has the column. */
static bool
src_has(struct store *s, const char *table, const char *column)
{
    return store_has_column(s, "src", table, column);
}

/* One input, in one transaction; the merged runs it joined are brought up
 * to date in it. 0, -1 on an error, 2 refused (OUT as it was). */
static int
merge_input(struct store *s, const char *path)
{
    const char *texts[1] = { path };
    if (run_sql(s, "ATTACH DATABASE ?1 AS src", NULL, 0, texts, 1) != 0) {
        return -1;
    }
    struct src_run *runs = NULL;
    size_t count = 0;
    src_has_sampled_out = src_has(s, "runs", "sampled_out_count");
    src_has_run_depth = src_has(s, "runs", "depth") && src_has(s, "runs", "nested_state_count")
        && src_has(s, "runs", "nested_distinct_count");
    src_has_state_depth = src_has(s, "states", "depth") && src_has(s, "states", "parent");
    int rc = store_exec(s, "BEGIN IMMEDIATE");
    rc = rc == 0 ? store_exec(s, "INSERT OR IGNORE INTO main.workloads (name, hash, text) "
            "SELECT name, hash, text FROM src.workloads ORDER BY workload_id") : rc;
    rc = rc == 0 ? src_runs(s, path, &runs, &count) : rc;
    int64_t *merged = calloc(count + 1, sizeof(int64_t));
    rc = rc == 0 && merged == NULL ? -1 : rc;
    size_t merged_count = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        rc = runs[i].shard_count == 0 ? merge_whole(s, &runs[i])
            : merge_shard(s, path, &runs[i], &merged[merged_count++]);
    }
    for (size_t i = 0; rc == 0 && i < merged_count; i++) {
        rc = merged_update(s, merged[i]);
    }
    free(merged);
    free(runs);
    rc = rc == 0 ? store_commit(s) : (store_exec(s, "ROLLBACK"), rc);
    int detached = store_exec(s, "DETACH DATABASE src");
    return rc != 0 ? rc : detached;
}

/* The merged runs of OUT that are not finished: which shards are missing
 * or unfinished. Returns how many runs are unfinished, -1 on an error. */
static int
report_unfinished(struct store *s, FILE *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT r.run_id, w.name, r.model, r.profile, r.faults, "
            "max(h.shard_count), group_concat(CASE WHEN h.finished_at IS NULL THEN "
            "h.shard_index END), group_concat(h.shard_index) FROM runs r "
            "JOIN run_shards h USING (run_id) JOIN workloads w USING (workload_id) "
            "WHERE r.finished_at IS NULL GROUP BY r.run_id ORDER BY r.run_id", -1, &st, NULL)
            != SQLITE_OK) {
        return -1;
    }
    int unfinished = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        unfinished++;
        int64_t n = sqlite3_column_int64(st, 5);
        const char *present = (const char *)sqlite3_column_text(st, 7);
        const char *open = (const char *)sqlite3_column_text(st, 6);
        fprintf(out, "run %" PRId64 " (%s %s/%s %s) is not finished:", (int64_t)sqlite3_column_int64(st, 0),
                sqlite3_column_text(st, 1), sqlite3_column_text(st, 2), sqlite3_column_text(st, 3),
                sqlite3_column_text(st, 4));
        const char *sep = " missing shards ";
        for (int64_t i = 1; i <= n; i++) {
            char want[24];
            snprintf(want, sizeof(want), "%" PRId64, i);
            bool there = false;
            for (const char *p = present; p != NULL && *p != '\0'; p += strcspn(p, ","),
                    p += *p == ',') {
                there |= strncmp(p, want, strlen(want)) == 0 && (p[strlen(want)] == ','
                        || p[strlen(want)] == '\0');
            }
            if (!there) {
                fprintf(out, "%s%" PRId64 "/%" PRId64, sep, i, n);
                sep = ", ";
            }
        }
        if (open != NULL) {
            fprintf(out, "%sunfinished shards %s (of %" PRId64 "): finish them with "
                    "crashsim explore --resume, then merge again", sep[0] == ',' ? "; " : " ",
                    open, n);
        }
        fputc('\n', out);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? unfinished : -1;
}

int
store_merge(const char *out_path, const char *const *in_paths, int in_count, FILE *out)
{
    for (int i = 0; i < in_count; i++) {
        if (input_check(out_path, in_paths[i]) != 0) {
            return 2;
        }
    }
    struct store *s;
    char err[600];
    if (store_open(&s, out_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "crashsim merge: %s\n", err);
        return 2;
    }
    int rc = 0;
    for (int i = 0; rc == 0 && i < in_count; i++) {
        rc = merge_input(s, in_paths[i]);
        if (rc < 0) {
            fprintf(stderr, "crashsim merge: %s: cannot merge it into %s\n", in_paths[i],
                    out_path);
        }
    }
    int unfinished = rc == 0 ? report_unfinished(s, out) : 0;
    int64_t runs = rc == 0 ? store_query_int(s, "SELECT count(*) FROM runs") : 0;
    int64_t rows = rc == 0 ? store_query_int(s, "SELECT count(*) FROM results") : 0;
    const char *whole = "FROM runs WHERE coalesce(shard, '') = ''";
    char sql[5][160];
    int64_t sums[5];
    const char *cols[5] = { "state_count", "sampled_out_count", "distinct_count",
        "nested_state_count", "nested_distinct_count" };
    for (int i = 0; i < 5; i++) {
        snprintf(sql[i], sizeof(sql[i]), "SELECT coalesce(sum(%s), 0) %s", cols[i], whole);
        sums[i] = rc == 0 ? store_query_int(s, sql[i]) : 0;
    }
    store_close(s);
    if (rc != 0 || unfinished < 0) {
        return 2;
    }
    fprintf(out, "%s: %" PRId64 " runs, %" PRId64 " results; %d merged run%s not finished\n"
            "explored: %" PRId64 " of the plans' %" PRId64 " crash states (%" PRId64 " left out "
            "by sampling), %" PRId64 " distinct and checked\n", out_path, runs, rows, unfinished,
            unfinished == 1 ? "" : "s", sums[0], sums[0] + sums[1], sums[1], sums[2]);
    if (sums[3] > 0) {
        fprintf(out, "nested: %" PRId64 " crash states below the top level, %" PRId64
                " distinct and checked\n", sums[3], sums[4]);
    }
    return unfinished > 0 ? 1 : 0;
}
