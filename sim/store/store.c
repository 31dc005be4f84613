/*
 * sim/store/store.c: the SQLite result store (see store.h and docs/SCHEMA.md).
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../fs/format.h"
#include "../../fs/probes.h"
#include "../clock.h"
#include "store_impl.h"

#define BATCH_ROWS 512u
#define BATCH_NS 250000000ull       /* A batch is committed after at most this long. */

/* The schema of STORE_SCHEMA_VERSION. journal_mode is set apart: it cannot
 * change inside a transaction. */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS workloads ("
    " workload_id INTEGER PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,"
    " text TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS runs ("
    " run_id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,"
    " git_rev TEXT, seed INTEGER NOT NULL, workload_id INTEGER REFERENCES workloads,"
    " model TEXT NOT NULL, profile TEXT NOT NULL, faults TEXT NOT NULL,"
    " block_size INTEGER NOT NULL, device_size INTEGER NOT NULL, arenas INTEGER NOT NULL,"
    " jobs INTEGER, shard TEXT, config_key TEXT NOT NULL,"
    " wlog_hash TEXT, op_count INTEGER, write_count INTEGER, flush_count INTEGER,"
    " state_count INTEGER, distinct_count INTEGER, run_violation TEXT,"
    " duration_ns INTEGER, memo_hit_rate REAL, hashed_per_state REAL, sampled_out_count INTEGER,"
    " depth INTEGER NOT NULL DEFAULT 1, nested_state_count INTEGER,"
    " nested_distinct_count INTEGER);"
    "CREATE TABLE IF NOT EXISTS wlog ("
    " run_id INTEGER NOT NULL, op_index INTEGER NOT NULL, kind TEXT NOT NULL,"
    " block INTEGER, content_hash TEXT, epoch INTEGER NOT NULL, qgen INTEGER NOT NULL,"
    " pass INTEGER, activity TEXT, block_type TEXT, mark TEXT,"
    " PRIMARY KEY (run_id, op_index)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS syncs ("
    " run_id INTEGER NOT NULL, sync_index INTEGER NOT NULL, step_index INTEGER,"
    " trace_line INTEGER, start_op INTEGER NOT NULL, end_op INTEGER NOT NULL,"
    " digest TEXT NOT NULL, PRIMARY KEY (run_id, sync_index)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS states ("
    " run_id INTEGER NOT NULL, state_id TEXT NOT NULL, cut INTEGER NOT NULL,"
    " fault_class TEXT NOT NULL, drops TEXT, torn_op INTEGER, torn_sectors INTEGER,"
    " torn_fill TEXT, signature TEXT NOT NULL, dup_of TEXT, pass INTEGER,"
    " last_write INTEGER, last_block_type TEXT, parent TEXT,"
    " depth INTEGER NOT NULL DEFAULT 1,"
    " PRIMARY KEY (run_id, state_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS results ("
    " run_id INTEGER NOT NULL, state_id TEXT NOT NULL, outcome TEXT NOT NULL,"
    " violation INTEGER NOT NULL, reason TEXT, recovered_sync INTEGER,"
    " legal_lo INTEGER, legal_hi INTEGER, leaked_blocks INTEGER, corrupt_count INTEGER,"
    " duration_ns INTEGER, worker INTEGER, probes INTEGER,"
    " retries INTEGER NOT NULL DEFAULT 0,"
    " memo_lookups INTEGER, memo_hits INTEGER, hashed INTEGER,"
    " PRIMARY KEY (run_id, state_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS run_shards ("
    " run_id INTEGER NOT NULL, shard_index INTEGER NOT NULL, shard_count INTEGER NOT NULL,"
    " started_at TEXT NOT NULL, finished_at TEXT, git_rev TEXT, duration_ns INTEGER,"
    " nested_state_count INTEGER, nested_distinct_count INTEGER,"
    " PRIMARY KEY (run_id, shard_index)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS probes ("
    " bit INTEGER PRIMARY KEY, name TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS outcome_kinds ("
    " outcome TEXT PRIMARY KEY, rank INTEGER NOT NULL, kind TEXT NOT NULL,"
    " violation INTEGER NOT NULL, meaning TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS fault_classes ("
    " fault_class TEXT PRIMARY KEY, rank INTEGER NOT NULL, element TEXT NOT NULL,"
    " verdict TEXT NOT NULL, models TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS device_models ("
    " model TEXT PRIMARY KEY, rank INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sync_profiles ("
    " profile TEXT PRIMARY KEY, rank INTEGER NOT NULL);"
    "CREATE VIEW IF NOT EXISTS outcomes AS"
    " SELECT r.run_id, r.outcome, s.fault_class, count(*) AS states"
    " FROM results r JOIN states s USING (run_id, state_id) GROUP BY 1, 2, 3;"
    "CREATE VIEW IF NOT EXISTS violations AS"
    " SELECT r.run_id, r.state_id, r.outcome, r.reason, s.fault_class, s.pass, s.cut,"
    "  s.last_block_type, s.depth, s.parent FROM results r JOIN states s USING (run_id, state_id)"
    " WHERE r.violation;"
    "CREATE VIEW IF NOT EXISTS violations_by_pass AS"
    " SELECT run_id, coalesce(pass, 255) AS pass, outcome, count(*) AS states"
    " FROM violations GROUP BY 1, 2, 3;"
    "CREATE VIEW IF NOT EXISTS violations_by_fault_class AS"
    " SELECT run_id, fault_class, outcome, count(*) AS states FROM violations GROUP BY 1, 2, 3;"
    "CREATE VIEW IF NOT EXISTS nested_outcomes AS"
    " SELECT r.run_id, s.depth, r.outcome, count(*) AS states"
    " FROM results r JOIN states s USING (run_id, state_id) WHERE s.depth > 1"
    " GROUP BY 1, 2, 3;";

/* The columns later versions added to tables an older one had: version 2
 * results.retries; version 3 added tables only (the names: outcome_kinds,
 * fault_classes, device_models, sync_profiles), which the schema creates;
 * version 4 the memo's counts (NULL in the rows stored before); version 5
 * added run_shards (crashsim merge's record of shards) and
 * runs.sampled_out_count; version 6 nesting: states.parent and depth,
 * runs.depth and the nested counts, run_shards' nested counts (an upgrade
 * also remakes the violations view, which gained depth and parent). An
 * upgrade adds each one its table lacks; the NOT NULL ones read their
 * default (depth 1) in the rows it finds. */
static const struct {
    const char *table;
    const char *column;
    const char *decl;
} added_columns[] = {
    { "results", "retries", "INTEGER NOT NULL DEFAULT 0" },
    { "results", "memo_lookups", "INTEGER" },
    { "results", "memo_hits", "INTEGER" },
    { "results", "hashed", "INTEGER" },
    { "runs", "memo_hit_rate", "REAL" },
    { "runs", "hashed_per_state", "REAL" },
    { "runs", "sampled_out_count", "INTEGER" },
    { "runs", "depth", "INTEGER NOT NULL DEFAULT 1" },
    { "runs", "nested_state_count", "INTEGER" },
    { "runs", "nested_distinct_count", "INTEGER" },
    { "states", "parent", "TEXT" },
    { "states", "depth", "INTEGER NOT NULL DEFAULT 1" },
    { "run_shards", "nested_state_count", "INTEGER" },
    { "run_shards", "nested_distinct_count", "INTEGER" },
};



static const char *const stmt_sql[ST_COUNT] = {
    "INSERT OR REPLACE INTO states (run_id, state_id, cut, fault_class, drops, torn_op,"
    " torn_sectors, torn_fill, signature, dup_of, pass, last_write, last_block_type, parent,"
    " depth) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT OR REPLACE INTO results (run_id, state_id, outcome, violation, reason,"
    " recovered_sync, legal_lo, legal_hi, leaked_blocks, corrupt_count, duration_ns, worker,"
    " probes, retries, memo_lookups, memo_hits, hashed)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT OR REPLACE INTO wlog (run_id, op_index, kind, block, content_hash, epoch, qgen,"
    " pass, activity, block_type, mark) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
};



/* The page cache of a writing connection, KiB: the states and results
 * b-trees of a large campaign stay in memory instead of being read back. */
#define STORE_CACHE_KIB "16384"

static uint64_t commit_count;       /* Commits by this process (the exit hook counts them). */
static uint64_t commit_exit_at;     /* CRASHSIM_STORE_EXIT_AT, 0 when unset. */

int
store_exec(struct store *s, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "crashsim: sqlite: %s\n", msg != NULL ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Ends the open transaction: the one place a write becomes durable. */
int
store_commit(struct store *s)
{
    ASSERT(!s->read_only);
    ASSERT(!sqlite3_get_autocommit(s->db));     /* A transaction is open. */
    commit_count++;
    if (commit_exit_at != 0 && commit_count == commit_exit_at) {
        _exit(STORE_EXIT_HOOK);                 /* Test hook: as a kill -9 would. */
    }
    return store_exec(s, "COMMIT");
}

static void
exit_hook_read(void)
{
    const char *v = getenv("CRASHSIM_STORE_EXIT_AT");
    commit_exit_at = v != NULL ? strtoull(v, NULL, 10) : 0;
}

/* Once per process, before the first connection: the harness is single
 * threaded (workers are processes that never touch the store), so SQLite
 * needs no mutexes and keeps no memory statistics behind a global lock. */
static void
store_configure(void)
{
    static bool configured;
    if (!configured) {
        configured = true;
        (void)sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);   /* SQLITE_MISUSE if SQLite was */
        (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);   /* already set up: harmless. */
    }
}

/* One integer from a query with no parameters; -1 when it fails. */
int64_t
store_query_int(struct store *s, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK
            && sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

/* The schema version of the open database: 1 (the unversioned crashsim
 * schema) to STORE_SCHEMA_VERSION, 0 for an empty file; -1 with why in err
 * for a file that is no crashsim database or one of a newer version. */
static int
schema_version(struct store *s, const char *path, char *err, size_t err_size)
{
    int64_t v = store_query_int(s, "PRAGMA user_version");
    int64_t tables = store_query_int(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table'");
    if (v < 0 || tables < 0) {
        snprintf(err, err_size, "%s: not a crashsim database (%s)", path, sqlite3_errmsg(s->db));
        return -1;
    }
    if (v > STORE_SCHEMA_VERSION) {
        snprintf(err, err_size, "%s: database schema version %" PRId64 " is newer than this "
                "crashsim's (%d): use a newer crashsim", path, v, STORE_SCHEMA_VERSION);
        return -1;
    }
    if (tables == 0) {
        return 0;
    }
    int64_t ours = store_query_int(s, "SELECT count(*) FROM pragma_table_info('runs') WHERE name = "
            "'config_key'");
    if (ours != 1) {
        snprintf(err, err_size, "%s: not a crashsim database (it holds other tables)", path);
        return -1;
    }
    return v < 1 ? 1 : (int)v;
}

/* Runs sql once for each row that bind fills; -1 on the first failure. */
static int
rows_insert(struct store *s, const char *sql, uint32_t count,
        void (*bind)(sqlite3_stmt *st, uint32_t i))
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    int rc = SQLITE_DONE;
    for (uint32_t i = 0; i < count && rc == SQLITE_DONE; i++) {
        bind(st, i);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void
bind_probe(sqlite3_stmt *st, uint32_t i)
{
    sqlite3_bind_int64(st, 1, i);
    sqlite3_bind_text(st, 2, fs_probe_name(i), -1, SQLITE_STATIC);
}

static void
bind_outcome(sqlite3_stmt *st, uint32_t i)
{
    enum outcome o = (enum outcome)i;
    sqlite3_bind_text(st, 1, outcome_name(o), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, i);
    sqlite3_bind_text(st, 3, outcome_kind_name(outcome_kind(o)), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, outcome_is_violation(o));
    sqlite3_bind_text(st, 5, outcome_meaning(o), -1, SQLITE_STATIC);
}

static void
bind_fault_class(sqlite3_stmt *st, uint32_t i)
{
    const struct fault_class_info *fc = fault_class_info(i);
    char models[64] = "";
    size_t used = 0;
    for (uint32_t m = 0; m < MODEL_COUNT; m++) {
        if (device_model_applies((enum device_model)m, i)) {
            used += (size_t)snprintf(models + used, sizeof(models) - used, "%s%s",
                    used ? "," : "", device_model_name((enum device_model)m));
        }
    }
    ASSERT(used < sizeof(models));
    sqlite3_bind_text(st, 1, fc->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, fc->index);
    sqlite3_bind_text(st, 3, fc->element, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, fault_verdict_name(fc->verdict), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, models, -1, SQLITE_TRANSIENT);
}

static void
bind_model(sqlite3_stmt *st, uint32_t i)
{
    sqlite3_bind_text(st, 1, device_model_name((enum device_model)i), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, i);
}

static void
bind_profile(sqlite3_stmt *st, uint32_t i)
{
    sqlite3_bind_text(st, 1, sync_profile_name((enum sync_profile)i), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, i);
}

/* The names the code spells and the database keeps for analysis/, written
 * afresh: probes, outcomes, fault classes, device models, sync profiles. */
static int
names_write(struct store *s)
{
    uint32_t probes = 0;
    while (fs_probe_name(probes) != NULL) {
        probes++;
    }
    static const struct {
        const char *sql;                    /* The insert. */
        uint32_t count;                     /* Rows. */
        void (*bind)(sqlite3_stmt *st, uint32_t i);  /* Fills row i. */
    } tables[] = {
        { "INSERT INTO probes (bit, name) VALUES (?,?)", 0, bind_probe },
        { "INSERT INTO outcome_kinds (outcome, rank, kind, violation, meaning) "
            "VALUES (?,?,?,?,?)", OUTCOME_COUNT, bind_outcome },
        { "INSERT INTO fault_classes (fault_class, rank, element, verdict, models) "
            "VALUES (?,?,?,?,?)", CRASH_FAULT_CLASSES, bind_fault_class },
        { "INSERT INTO device_models (model, rank) VALUES (?,?)", MODEL_COUNT, bind_model },
        { "INSERT INTO sync_profiles (profile, rank) VALUES (?,?)", SYNC_PROFILE_COUNT,
            bind_profile },
    };
    if (store_exec(s, "DELETE FROM probes; DELETE FROM outcome_kinds; DELETE FROM fault_classes; "
            "DELETE FROM device_models; DELETE FROM sync_profiles") != 0) {
        return -1;
    }
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        uint32_t count = t == 0 ? probes : tables[t].count;
        if (rows_insert(s, tables[t].sql, count, tables[t].bind) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Creates the schema or upgrades an older version, and writes the names, in
 * one transaction. */
static int
schema_write(struct store *s, int version)
{
    ASSERT(version >= 0 && version <= STORE_SCHEMA_VERSION);
    char sql[160];
    if (store_exec(s, "BEGIN IMMEDIATE") != 0) {
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; version > 0 && rc == 0 && i < FS_ARRAY_COUNT(added_columns); i++) {
        /* A table the version lacks altogether (run_shards before 5) is
         * made whole by the schema below. */
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM pragma_table_info('%s')",
                added_columns[i].table);
        bool table = store_query_int(s, sql) > 0;
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
                added_columns[i].table, added_columns[i].column);
        if (table && store_query_int(s, sql) == 0) {
            snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", added_columns[i].table,
                    added_columns[i].column, added_columns[i].decl);
            rc = store_exec(s, sql);
        }
    }
    if (rc == 0 && version > 0 && version < 6) {
        rc = store_exec(s, "DROP VIEW IF EXISTS violations");   /* Made again with depth. */
    }
    rc = rc == 0 ? store_exec(s, schema) : rc;
    rc = rc == 0 ? names_write(s) : rc;
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
    rc = rc == 0 ? store_exec(s, sql) : rc;
    if (rc != 0) {
        store_exec(s, "ROLLBACK");
        return -1;
    }
    return store_commit(s);
}

static int
open_fail(struct store *s, char *err, size_t err_size, const char *path, const char *why)
{
    if (why != NULL) {
        snprintf(err, err_size, "%s: %s", path, why);
    }
    store_close(s);
    return -1;
}

int
store_open(struct store **out, const char *path, char *err, size_t err_size)
{
    ASSERT(path != NULL && out != NULL);
    struct store *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    exit_hook_read();
    store_configure();
    if (sqlite3_open(path, &s->db) != SQLITE_OK) {
        return open_fail(s, err, err_size, path, sqlite3_errmsg(s->db));
    }
    sqlite3_busy_timeout(s->db, 5000);
    int version = schema_version(s, path, err, err_size);
    if (version < 0) {
        return open_fail(s, err, err_size, path, NULL);
    }
    /* A new file holds nothing to lose: it is switched to WAL and given its
     * schema without waiting for the disk, then every later commit is
     * synchronous=NORMAL. A kill -9 at any point leaves either no schema or
     * the whole schema, as before (the OS keeps what was written). */
    if (store_exec(s, version == 0 ? "PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL"
            : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL") != 0) {
        return open_fail(s, err, err_size, path, "cannot switch to WAL mode");
    }
    if (schema_write(s, version) != 0) {
        return open_fail(s, err, err_size, path, version == 0 ? "cannot create the schema"
                : "cannot upgrade the schema");
    }
    if (store_exec(s, "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-" STORE_CACHE_KIB) != 0) {
        return open_fail(s, err, err_size, path, "cannot set the page cache");
    }
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v2(s->db, stmt_sql[i], -1, &s->st[i], NULL) != SQLITE_OK) {
            return open_fail(s, err, err_size, path, sqlite3_errmsg(s->db));
        }
    }
    *out = s;
    return 0;
}

/* Opens path read-only; a WAL database whose -shm file cannot be created (a
 * file the user may only read, in a directory they may not write) is opened
 * immutable: with no -wal file beside it, the file holds every commit. */
static int
open_read_only(struct store *s, const char *path)
{
    char uri[4200];
    const char *forms[2] = { "file:%s?mode=ro", "file:%s?immutable=1" };
    for (int i = 0; i < 2; i++) {
        char quoted[4096];
        size_t n = 0;
        for (const char *p = path; *p != '\0' && n + 4 < sizeof(quoted); p++) {
            bool plain = *p != '?' && *p != '#' && *p != '%';
            n += (size_t)snprintf(quoted + n, sizeof(quoted) - n, plain ? "%c" : "%%%02X",
                    (unsigned)(unsigned char)*p);
        }
        snprintf(uri, sizeof(uri), forms[i], quoted);
        sqlite3_close(s->db);
        s->db = NULL;
        int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
        if (sqlite3_open_v2(uri, &s->db, flags, NULL) == SQLITE_OK
                && store_query_int(s, "SELECT count(*) FROM sqlite_master") >= 0) {
            return 0;
        }
    }
    return -1;
}

int
store_open_read(struct store **out, const char *path, char *err, size_t err_size)
{
    ASSERT(path != NULL && out != NULL);
    struct store *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    s->read_only = true;
    if (access(path, F_OK) != 0) {
        return open_fail(s, err, err_size, path, "no such database");
    }
    if (open_read_only(s, path) != 0) {
        return open_fail(s, err, err_size, path, s->db != NULL ? sqlite3_errmsg(s->db)
                : "cannot open");
    }
    sqlite3_busy_timeout(s->db, 5000);
    int version = schema_version(s, path, err, err_size);
    if (version <= 0) {
        return open_fail(s, err, err_size, path, version == 0 ? "an empty database (no runs)"
                : NULL);
    }
    *out = s;
    return 0;
}

void
store_close(struct store *s)
{
    if (s == NULL) {
        return;
    }
    if (!s->read_only && s->db != NULL) {
        store_flush(s);
    }
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(s->st[i]);
    }
    sqlite3_close(s->db);
    free(s);
}

void
store_hex64(char *buf, uint64_t v)
{
    snprintf(buf, 17, "%016" PRIx64, v);
}

static void
now_iso(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Counts a row into the batch transaction, opening it first if needed. */
static int
begin(struct store *s)
{
    ASSERT(!s->read_only);
    if (s->pending == 0) {
        if (store_exec(s, "BEGIN") != 0) {
            return -1;
        }
        s->begun_ns = clock_now_ns();
    }
    s->pending++;
    return 0;
}

int
store_flush(struct store *s)
{
    if (s->read_only || s->pending == 0) {
        return 0;
    }
    s->pending = 0;
    return store_commit(s);
}

static int
step_done(struct store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "crashsim: sqlite: %s\n", sqlite3_errmsg(s->db));
        return -1;
    }
    bool due = s->pending >= BATCH_ROWS || clock_now_ns() - s->begun_ns >= BATCH_NS;
    return due ? store_flush(s) : 0;      /* Bounds what a SIGKILL can lose. */
}

/* The workload row of text: found, or with insert (inside the caller's
 * transaction) made. 0 when there is none, -1 on an error. */
static int64_t
workload_id(struct store *s, const char *name, const char *text, bool insert)
{
    char hash[17];
    store_hex64(hash, fmt_hash(text, strlen(text)));
    sqlite3_stmt *st;
    if (insert && sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO workloads(name, hash, text) "
            "VALUES (?,?,?)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, text, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            return -1;
        }
    }
    int64_t id = -1;
    if (sqlite3_prepare_v2(s->db, "SELECT workload_id FROM workloads WHERE hash = ?", -1, &st,
            NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(st);
    return id;
}

/* The run's depth, 0 read as 1 (no nesting). */
static uint32_t
run_depth(const struct run_info *i)
{
    return i->depth == 0 ? 1 : i->depth;
}

/* The configuration key: what --resume matches and merge joins shards by.
 * The depth joins it only above 1, so a run without nesting keeps the key
 * older code gave it; "shard=" stays last (merge cuts the key there). */
static void
config_key(const struct run_info *i, int64_t workload, char *buf, size_t size)
{
    char depth[24] = "";
    if (run_depth(i) > 1) {
        snprintf(depth, sizeof(depth), " depth=%u", run_depth(i));
    }
    int n = snprintf(buf, size, "w%" PRId64 " %s %s %s seed=%" PRIu64 " bs=%u size=%" PRIu64
            " arenas=%u%s shard=%s", workload, i->model, i->profile, i->faults, i->seed,
            i->block_size, i->device_size, i->arenas, depth, i->shard);
    ASSERT(n > 0 && (size_t)n < size);
    ASSERT(strncmp(buf + (size_t)n - strlen(i->shard) - 6, "shard=", 6) == 0);  /* Last. */
}

int
store_run_resumable(struct store *s, const struct run_info *info, struct run_resumable *out)
{
    memset(out, 0, sizeof(*out));
    int64_t wid = workload_id(s, info->workload_name, info->workload_text, false);
    if (wid == 0) {
        return 0;                           /* No run ever had this workload. */
    }
    char key[512];
    config_key(info, wid, key, sizeof(key));
    sqlite3_stmt *st;
    if (wid < 0 || store_flush(s) != 0 || sqlite3_prepare_v2(s->db, "SELECT run_id, wlog_hash "
            "FROM runs WHERE config_key = ? AND finished_at IS NULL ORDER BY run_id DESC LIMIT 1",
            -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->run_id = sqlite3_column_int64(st, 0);
        const unsigned char *h = sqlite3_column_text(st, 1);
        out->has_wlog = h != NULL;
        out->wlog_hash = h != NULL ? strtoull((const char *)h, NULL, 16) : 0;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
run_insert(struct store *s, const struct run_info *info, const struct run_setup *setup,
        int64_t *run_id)
{
    int64_t wid = workload_id(s, info->workload_name, info->workload_text, true);
    char key[512], now[32], hash[17];
    if (wid <= 0) {
        return -1;
    }
    config_key(info, wid, key, sizeof(key));
    now_iso(now, sizeof(now));
    store_hex64(hash, setup->wlog_hash);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO runs(started_at, git_rev, seed, workload_id, "
            "model, profile, faults, block_size, device_size, arenas, jobs, shard, config_key, "
            "wlog_hash, op_count, write_count, flush_count, state_count, distinct_count, "
            "run_violation, sampled_out_count, depth, nested_state_count, nested_distinct_count) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    const char *texts[] = { now, info->git_rev, NULL, NULL, info->model, info->profile,
        info->faults, NULL, NULL, NULL, NULL, info->shard, key, hash };
    for (int i = 0; i < (int)(sizeof(texts) / sizeof(texts[0])); i++) {
        if (texts[i] != NULL) {
            sqlite3_bind_text(st, i + 1, texts[i], -1, SQLITE_TRANSIENT);
        }
    }
    sqlite3_bind_int64(st, 3, (sqlite3_int64)info->seed);
    sqlite3_bind_int64(st, 4, wid);
    sqlite3_bind_int64(st, 8, info->block_size);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)info->device_size);
    sqlite3_bind_int64(st, 10, info->arenas);
    sqlite3_bind_int64(st, 11, info->jobs);
    sqlite3_bind_int64(st, 15, setup->log->count);
    sqlite3_bind_int64(st, 16, setup->log->write_count);
    sqlite3_bind_int64(st, 17, setup->log->flush_count);
    sqlite3_bind_int64(st, 18, (sqlite3_int64)setup->state_count);
    sqlite3_bind_int64(st, 19, (sqlite3_int64)setup->distinct_count);
    if (setup->run_violation != NULL && setup->run_violation[0] != '\0') {
        sqlite3_bind_text(st, 20, setup->run_violation, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_int64(st, 21, (sqlite3_int64)setup->sampled_out_count);
    sqlite3_bind_int64(st, 22, run_depth(info));
    sqlite3_bind_int64(st, 23, (sqlite3_int64)setup->nested_count);
    sqlite3_bind_int64(st, 24, (sqlite3_int64)setup->nested_distinct);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    *run_id = sqlite3_last_insert_rowid(s->db);
    return rc == SQLITE_DONE ? 0 : -1;
}

static const char *
type_label(uint16_t type)
{
    return fmt_type_name(type);
}

/* The write log's rows, inside the caller's transaction; kinds, activities
 * and marks by the op log's names (traces/oplog.h). */
static int
wlog_insert(struct store *s, int64_t run_id, const struct oplog *log)
{
    sqlite3_stmt *st = s->st[ST_WLOG];
    for (uint32_t i = 0; i < log->count; i++) {
        const struct oplog_op *op = &log->ops[i];
        char hash[17];
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int64(st, 2, i);
        sqlite3_bind_text(st, 3, oplog_op_kind_name((enum oplog_op_kind)op->kind), -1,
                SQLITE_STATIC);
        if (op->kind == OPLOG_OP_WRITE) {
            store_hex64(hash, log->pool.hashes[op->content]);
            sqlite3_bind_int64(st, 4, (sqlite3_int64)op->block);
            sqlite3_bind_text(st, 5, hash, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 10, type_label(op->type), -1, SQLITE_STATIC);
        }
        sqlite3_bind_int64(st, 6, op->epoch);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)op->qgen);
        if (op->pass != OPLOG_PASS_NONE) {
            sqlite3_bind_int64(st, 8, op->pass);
        }
        sqlite3_bind_text(st, 9, oplog_activity_name((enum oplog_activity)op->activity), -1,
                SQLITE_STATIC);
        if (op->kind == OPLOG_OP_MARK) {
            sqlite3_bind_text(st, 11, oplog_mark_name(op->mark), -1, SQLITE_STATIC);
        }
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (rc != SQLITE_DONE) {
            fprintf(stderr, "crashsim: sqlite: %s\n", sqlite3_errmsg(s->db));
            return -1;
        }
    }
    return 0;
}

static int
syncs_insert(struct store *s, int64_t run_id, const struct syncpt *syncs, uint32_t count)
{
    for (uint32_t k = 0; k < count; k++) {
        const struct syncpt *p = &syncs[k];
        char hash[17], sql[256];
        store_hex64(hash, p->digest);
        snprintf(sql, sizeof(sql), "INSERT INTO syncs (run_id, sync_index, step_index, "
                "trace_line, start_op, end_op, digest) VALUES (%" PRId64 ", %u, %u, %u, %u, %u, "
                "'%s')", run_id, k, p->step, p->line, p->start_op, p->end_op, hash);
        if (store_exec(s, sql) != 0) {
            return -1;
        }
    }
    return 0;
}

int
store_run_create(struct store *s, const struct run_info *info, const struct run_setup *setup,
        int64_t *run_id)
{
    ASSERT(!s->read_only);
    ASSERT(setup->log != NULL && (setup->syncs != NULL || setup->sync_count == 0));
    if (store_flush(s) != 0 || store_exec(s, "BEGIN IMMEDIATE") != 0) {
        return -1;
    }
    int rc = run_insert(s, info, setup, run_id);
    rc = rc == 0 ? wlog_insert(s, *run_id, setup->log) : rc;
    rc = rc == 0 ? syncs_insert(s, *run_id, setup->syncs, setup->sync_count) : rc;
    if (rc != 0) {
        store_exec(s, "ROLLBACK");
        return -1;
    }
    return store_commit(s);
}

int
store_run_end(struct store *s, int64_t run_id, const struct run_setup *setup,
        uint64_t duration_ns, bool complete)
{
    char now[32];
    now_iso(now, sizeof(now));
    sqlite3_stmt *st;
    if (store_flush(s) != 0 || store_exec(s, "BEGIN IMMEDIATE") != 0) {
        return -1;
    }
    if (sqlite3_prepare_v2(s->db, "UPDATE runs SET finished_at=?, state_count=?, "
            "distinct_count=?, run_violation=?, duration_ns=coalesce(duration_ns, 0) + ?, "
            "sampled_out_count=?7, "
            "nested_state_count=max(coalesce(nested_state_count, 0), ?8), "
            "nested_distinct_count=max(coalesce(nested_distinct_count, 0), ?9), "
            "memo_hit_rate=(SELECT 1.0 * sum(memo_hits) / nullif(sum(memo_lookups), 0) "
            " FROM results WHERE run_id=?6), "
            "hashed_per_state=(SELECT 1.0 * sum(hashed) / nullif(count(hashed), 0) "
            " FROM results WHERE run_id=?6) "
            "WHERE run_id=?6", -1, &st, NULL) != SQLITE_OK) {
        store_exec(s, "ROLLBACK");
        return -1;
    }
    if (complete) {
        sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_int64(st, 2, (sqlite3_int64)setup->state_count);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)setup->distinct_count);
    if (setup->run_violation != NULL && setup->run_violation[0] != '\0') {
        sqlite3_bind_text(st, 4, setup->run_violation, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_int64(st, 5, (sqlite3_int64)duration_ns);
    sqlite3_bind_int64(st, 6, run_id);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)setup->sampled_out_count);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)setup->nested_count);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)setup->nested_distinct);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        store_exec(s, "ROLLBACK");
        return -1;
    }
    return store_commit(s);
}

int
store_memo_stats(struct store *s, int64_t run_id, struct memo_stats *out)
{
    sqlite3_stmt *st;
    *out = (struct memo_stats){ 0, 0, 0, 0 };
    if (store_flush(s) != 0 || sqlite3_prepare_v2(s->db, "SELECT count(hashed), "
            "coalesce(sum(memo_lookups), 0), coalesce(sum(memo_hits), 0), "
            "coalesce(sum(hashed), 0) FROM results WHERE run_id = ?", -1, &st, NULL)
            != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = (struct memo_stats){ (uint64_t)sqlite3_column_int64(st, 0),
            (uint64_t)sqlite3_column_int64(st, 1), (uint64_t)sqlite3_column_int64(st, 2),
            (uint64_t)sqlite3_column_int64(st, 3) };
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

int
store_done_states(struct store *s, int64_t run_id,
        void (*fn)(void *arg, const char *id, enum outcome o), void *arg)
{
    sqlite3_stmt *st;
    if (store_flush(s) != 0 || sqlite3_prepare_v2(s->db, "SELECT state_id, outcome FROM results "
            "WHERE run_id = ?", -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, run_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        enum outcome o;
        const char *name = (const char *)sqlite3_column_text(st, 1);
        if (name == NULL || outcome_parse(name, &o) != 0) {
            fprintf(stderr, "crashsim: run %" PRId64 ": unknown outcome '%s' (a newer "
                    "crashsim's?)\n", run_id, name != NULL ? name : "");
            rc = SQLITE_ERROR;
            break;
        }
        fn(arg, (const char *)sqlite3_column_text(st, 0), o);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The text columns of a state row that are made here, kept until the row is
 * stepped so that they are bound without a copy. */
struct state_text {
    char drops[CRASH_DROPS_MAX * 12 + 1];   /* "3.7.9": the dropped writes. */
    char sig[17];                           /* The signature in hex. */
    char fill[2];                           /* The torn fill byte. */
};

/* The row's depth, 0 read as 1. Ours to keep consistent with the id
 * grammar (docs/SCHEMA.md): a nested state's id is its parent's, '/', and
 * its own, one '/' per level below the top. */
static uint32_t
state_depth(const struct state_row *r)
{
    uint32_t depth = r->depth == 0 ? 1 : r->depth;
    ASSERT((depth == 1) == (r->parent == NULL));
    uint32_t slashes = 0;
    for (const char *p = r->state_id; *p != '\0' && slashes < depth; p++) {
        slashes += *p == '/';
    }
    ASSERT(slashes == depth - 1);
    if (r->parent != NULL) {
        size_t n = strlen(r->parent);
        ASSERT(strncmp(r->state_id, r->parent, n) == 0);
        ASSERT(r->state_id[n] == '/');
    }
    return depth;
}

static void
bind_state(sqlite3_stmt *st, int64_t run_id, const struct state_row *r, struct state_text *t)
{
    const struct crash_state *c = r->state;
    ASSERT(c->drop_count <= CRASH_DROPS_MAX);
    t->drops[0] = '\0';
    for (uint32_t i = 0, n = 0; i < c->drop_count; i++) {
        n += (uint32_t)snprintf(t->drops + n, sizeof(t->drops) - n, "%s%u", i ? "." : "",
                c->drops[i]);
    }
    store_hex64(t->sig, r->signature);
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, r->state_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, c->cut);
    sqlite3_bind_text(st, 4, crash_fault_class(c), -1, SQLITE_STATIC);
    if (c->drop_count > 0) {
        sqlite3_bind_text(st, 5, t->drops, -1, SQLITE_STATIC);
    }
    if (c->torn != CRASH_NONE) {
        t->fill[0] = c->torn_fill;
        t->fill[1] = '\0';
        sqlite3_bind_int64(st, 6, c->torn);
        sqlite3_bind_int64(st, 7, c->torn_sectors);
        sqlite3_bind_text(st, 8, t->fill, -1, SQLITE_STATIC);
    }
    sqlite3_bind_text(st, 9, t->sig, -1, SQLITE_STATIC);
    if (r->dup_of != NULL) {
        sqlite3_bind_text(st, 10, r->dup_of, -1, SQLITE_STATIC);
    }
    if (r->pass != OPLOG_PASS_NONE) {
        sqlite3_bind_int64(st, 11, r->pass);
    }
    if (r->last_write != UINT32_MAX) {
        sqlite3_bind_int64(st, 12, r->last_write);
        sqlite3_bind_text(st, 13, r->last_block_type, -1, SQLITE_STATIC);
    }
    if (r->parent != NULL) {
        sqlite3_bind_text(st, 14, r->parent, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64(st, 15, state_depth(r));
}

/* Every text is bound SQLITE_STATIC: row, r and the state_text live until
 * both statements have been stepped and reset. */
int
store_result(struct store *s, int64_t run_id, const struct state_row *row,
        const struct result_row *r)
{
    if (begin(s) != 0) {
        return -1;
    }
    struct state_text text;
    bind_state(s->st[ST_STATE], run_id, row, &text);
    int rc = sqlite3_step(s->st[ST_STATE]);
    sqlite3_reset(s->st[ST_STATE]);
    sqlite3_clear_bindings(s->st[ST_STATE]);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "crashsim: sqlite: %s\n", sqlite3_errmsg(s->db));
        return -1;
    }
    sqlite3_stmt *st = s->st[ST_RESULT];
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, row->state_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, outcome_name(r->outcome), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, outcome_is_violation(r->outcome));
    sqlite3_bind_text(st, 5, r->reason, -1, SQLITE_STATIC);
    if (r->recovered_sync >= 0) {
        sqlite3_bind_int64(st, 6, r->recovered_sync);
    }
    sqlite3_bind_int64(st, 7, r->legal_lo);
    sqlite3_bind_int64(st, 8, r->legal_hi);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)r->leaked_blocks);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)r->corrupt_count);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)r->duration_ns);
    sqlite3_bind_int64(st, 12, r->worker);
    sqlite3_bind_int64(st, 13, (sqlite3_int64)r->probes);
    sqlite3_bind_int64(st, 14, r->retries);
    if (r->checked) {                       /* A duplicate was not checked itself. */
        sqlite3_bind_int64(st, 15, r->memo_lookups);
        sqlite3_bind_int64(st, 16, r->memo_hits);
        sqlite3_bind_int64(st, 17, r->hashed);
    }
    return step_done(s, st);
}

static const char *
keep(struct store *s, int slot, const unsigned char *text)
{
    snprintf(s->text[slot], sizeof(s->text[slot]), "%s", text != NULL ? (const char *)text : "");
    return s->text[slot];
}

/* Whether the table of database db of the connection ("main", or an
 * attached one's name) has the column: a database opened read-only, or attached, keeps the
 * schema of the version that wrote it. */
bool
store_has_column(struct store *s, const char *db, const char *table, const char *column)
{
    char sql[200];
    int n = snprintf(sql, sizeof(sql), "SELECT count(*) FROM pragma_table_info('%s', '%s') "
            "WHERE name = '%s'", table, db, column);
    ASSERT(n > 0 && (size_t)n < sizeof(sql));
    return store_query_int(s, sql) == 1;
}

static bool
has_column(struct store *s, const char *table, const char *column)
{
    return store_has_column(s, "main", table, column);
}

int
store_run_get(struct store *s, int64_t *run_id, struct run_info *info, uint64_t *wlog_hash)
{
    sqlite3_stmt *st;
    const char *sql = has_column(s, "runs", "depth")
        ? "SELECT r.run_id, r.git_rev, r.seed, w.name, w.text, r.model, r.profile, "
        "r.faults, r.block_size, r.device_size, r.arenas, r.wlog_hash, r.shard, r.depth FROM runs r "
        "JOIN workloads w USING (workload_id) WHERE r.run_id = ? OR (? = 0) "
        "ORDER BY r.run_id DESC LIMIT 1"
        : "SELECT r.run_id, r.git_rev, r.seed, w.name, w.text, r.model, r.profile, "
        "r.faults, r.block_size, r.device_size, r.arenas, r.wlog_hash, r.shard, 1 FROM runs r "
        "JOIN workloads w USING (workload_id) WHERE r.run_id = ? OR (? = 0) "
        "ORDER BY r.run_id DESC LIMIT 1";
    if (store_flush(s) != 0 || sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, *run_id);
    sqlite3_bind_int64(st, 2, *run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *run_id = sqlite3_column_int64(st, 0);
        info->git_rev = keep(s, 0, sqlite3_column_text(st, 1));
        info->seed = (uint64_t)sqlite3_column_int64(st, 2);
        info->workload_name = keep(s, 1, sqlite3_column_text(st, 3));
        const unsigned char *text = sqlite3_column_text(st, 4);
        info->workload_text = text != NULL ? strdup((const char *)text) : NULL;
        info->model = keep(s, 2, sqlite3_column_text(st, 5));
        info->profile = keep(s, 3, sqlite3_column_text(st, 6));
        info->faults = keep(s, 4, sqlite3_column_text(st, 7));
        info->block_size = (uint32_t)sqlite3_column_int64(st, 8);
        info->device_size = (uint64_t)sqlite3_column_int64(st, 9);
        info->arenas = (uint32_t)sqlite3_column_int64(st, 10);
        const unsigned char *h = sqlite3_column_text(st, 11);
        *wlog_hash = h != NULL ? strtoull((const char *)h, NULL, 16) : 0;
        info->shard = keep(s, 5, sqlite3_column_text(st, 12));
        int64_t depth = sqlite3_column_int64(st, 13);
        info->depth = depth >= 1 && depth <= UINT32_MAX ? (uint32_t)depth : 1;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

int
store_probe_stats(struct store *s, int64_t run_id,
        void (*fn)(void *arg, uint32_t bit, const char *name, uint64_t hits, const char *first),
        void *arg)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT p.bit, p.name, (SELECT count(*) FROM results r WHERE r.run_id = ?1 "
        "AND (r.probes >> p.bit) & 1), (SELECT r.state_id FROM results r JOIN states t "
        "USING (run_id, state_id) WHERE r.run_id = ?1 AND (r.probes >> p.bit) & 1 "
        "ORDER BY t.cut, t.state_id LIMIT 1) FROM probes p ORDER BY p.bit";
    if (store_flush(s) != 0 || sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, run_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *first = sqlite3_column_text(st, 3);
        fn(arg, (uint32_t)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                (uint64_t)sqlite3_column_int64(st, 2), first != NULL ? (const char *)first : NULL);
    }
    sqlite3_finalize(st);
    return 0;
}

int
store_depth_tally(struct store *s, int64_t run_id, uint64_t states[2], uint64_t violations[2])
{
    ASSERT(states != NULL && violations != NULL);
    states[0] = states[1] = violations[0] = violations[1] = 0;
    if (store_flush(s) != 0) {
        return -1;
    }
    /* Older than nesting: every state is a top-level one. */
    const char *level = has_column(s, "states", "depth") ? "t.depth > 1" : "0";
    char sql[400];
    int n = snprintf(sql, sizeof(sql), "SELECT %s, count(*), coalesce(sum(r.violation), 0) "
            "FROM results r JOIN states t USING (run_id, state_id) WHERE r.run_id = "
            "CASE WHEN ?1 = 0 THEN (SELECT max(run_id) FROM runs) ELSE ?1 END GROUP BY 1", level);
    ASSERT(n > 0 && (size_t)n < sizeof(sql));
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, run_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int nested = sqlite3_column_int(st, 0) != 0;
        states[nested] = (uint64_t)sqlite3_column_int64(st, 1);
        violations[nested] = (uint64_t)sqlite3_column_int64(st, 2);
        ASSERT(violations[nested] <= states[nested]);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}
