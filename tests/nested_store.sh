#!/bin/sh
# tests/nested_store.sh BUILD: the store, merge, report, compare and matrix
# for nested crash states (schema version 6), in TAP.
#
# A nested state is a crash state of the post-recovery workload run on
# another state's recovered image; its row holds its parent's id and its
# depth (docs/SCHEMA.md). Until explore --nested stores them, the nested rows
# here are inserted with sqlite3 beside the top-level ones a real campaign
# stored, as explore would: id "PARENT/OWN", parent PARENT, depth 2 (3 for
# "PARENT/OWN/OWN"), and the run's depth and nested counts. What is checked:
#   - a database of schema version 5 (made from a real one by dropping what
#     version 6 added) is read as it is by replay, report.py and compare.py,
#     and upgraded by explore: version 6, its rows depth 1 without parent;
#   - the configuration key of a run without nesting is the one version 5
#     made, so an unfinished run of a version-5 database resumes, whole;
#   - merge copies parent and depth and sums the shards' nested counts, once
#     however often a shard is merged; shards of version 5 still merge;
#   - report.py and compare.py show the nested states in their own columns
#     and rows, and count their violations;
#   - matrix --nested prints a nested column, and refuses a bad --depth.
set -u
BUILD=${1:-build}
if ! BUILD=$(cd "$BUILD" 2>/dev/null && pwd); then
    echo "not ok 1 - no build directory '${1:-build}'"
    exit 1
fi
B="$BUILD/crashsim"
PY=/usr/bin/python3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/lib/tap.sh"
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
cd "$T" || exit 1
W="$ROOT/traces/workloads/default.trace"
FAULTS=pass,flush,prefix,reorder:1
explore() {  # explore DB ARGS...: a writeback campaign of W; its exit status echoed
    db=$1; shift
    "$B" explore -w "$W" -m writeback -f "$FAULTS" -q -j2 --db "$db" "$@" >out.txt 2>&1
    echo $?
}
# What version 6 added, dropped: the file version 5 wrote.
to_v5() {
    sqlite3 "$1" "DROP VIEW violations_by_pass; DROP VIEW violations_by_fault_class;
        DROP VIEW violations; DROP VIEW nested_outcomes;
        ALTER TABLE states DROP COLUMN parent; ALTER TABLE states DROP COLUMN depth;
        ALTER TABLE runs DROP COLUMN depth; ALTER TABLE runs DROP COLUMN nested_state_count;
        ALTER TABLE runs DROP COLUMN nested_distinct_count;
        ALTER TABLE run_shards DROP COLUMN nested_state_count;
        ALTER TABLE run_shards DROP COLUMN nested_distinct_count;
        CREATE VIEW violations AS SELECT r.run_id, r.state_id, r.outcome, r.reason,
            s.fault_class, s.pass, s.cut, s.last_block_type FROM results r
            JOIN states s USING (run_id, state_id) WHERE r.violation;
        CREATE VIEW violations_by_pass AS SELECT run_id, coalesce(pass, 255) AS pass, outcome,
            count(*) AS states FROM violations GROUP BY 1, 2, 3;
        CREATE VIEW violations_by_fault_class AS SELECT run_id, fault_class, outcome,
            count(*) AS states FROM violations GROUP BY 1, 2, 3;
        PRAGMA user_version = 5"
}
rows() {  # Every deterministic column of the states and their results.
    sqlite3 "$1" "SELECT s.state_id, s.cut, s.fault_class, s.drops, s.signature, s.dup_of,
        s.pass, r.outcome, r.reason, r.legal_lo, r.legal_hi FROM states s
        JOIN results r USING (run_id, state_id) ORDER BY s.state_id"
}
# nest DB VIOLATE: nested rows under the first three originals of the run
# (by state id): PARENT/w3 and PARENT/w5-torn4s1z at depth 2, PARENT/w3/w1
# at depth 3 under the first; with VIOLATE=1 the first parent's PARENT/w3 and
# its duplicate PARENT/w5-torn4s1z are corrupt.
# The run becomes a depth-3 run with those counts (4 of 7 distinct).
nest() {
    sqlite3 "$1" "CREATE TEMP TABLE p AS SELECT state_id FROM states WHERE dup_of IS NULL
            ORDER BY state_id LIMIT 3;
        INSERT INTO states (run_id, state_id, cut, fault_class, signature, dup_of, parent, depth)
            SELECT 1, state_id || '/w3', 3, 'cut', '00000000000000a1', NULL, state_id, 2 FROM p
            UNION ALL SELECT 1, state_id || '/w5-torn4s1z', 5, 'torn', '00000000000000a2',
                state_id || '/w3', state_id, 2 FROM p;
        INSERT INTO states (run_id, state_id, cut, fault_class, signature, parent, depth)
            SELECT 1, state_id || '/w3/w1', 1, 'cut', '00000000000000a3', state_id || '/w3', 3
            FROM p ORDER BY state_id LIMIT 1;
        INSERT INTO results (run_id, state_id, outcome, violation, reason, legal_lo, legal_hi)
            SELECT 1, state_id, 'ok', 0, 'nested, fine', 0, 1 FROM states WHERE depth > 1;
        UPDATE results SET outcome = 'corrupt', violation = 1, reason = 'check: nested'
            WHERE $2 AND state_id IN ((SELECT min(state_id) FROM p) || '/w3',
                (SELECT min(state_id) FROM p) || '/w5-torn4s1z');
        UPDATE runs SET depth = 3, nested_state_count = 7, nested_distinct_count = 4,
            config_key = replace(config_key, ' shard=', ' depth=3 shard=')"
}

if ! command -v sqlite3 >/dev/null 2>&1; then
    skip "no sqlite3 command-line shell (make deps)"
    echo "1..$n"
    exit 0
fi

# A version-5 database: read as it is, then upgraded with depth 1.
check "a campaign" "$(explore ref.db)" 1
rows ref.db >ref.rows
cp ref.db v5.db
to_v5 v5.db
check "the version-5 copy has no nesting columns" "$(sqlite3 v5.db "PRAGMA user_version;
    SELECT count(*) FROM pragma_table_info('states') WHERE name IN ('parent', 'depth')")" \
    "$(printf '5\n0')"
bad=$(sqlite3 ref.db "SELECT state_id FROM violations ORDER BY cut, state_id LIMIT 1")
expect "version 5: replay reads it as it is" 1 "$B" replay "$bad" --db v5.db
check "version 5: replay left it at version 5" "$(sqlite3 v5.db 'PRAGMA user_version')" 5
check "version 5: explore upgrades it and adds a run" "$(explore v5.db)" 1
check "version 5 upgraded: version 6, the old rows depth 1 without parent, runs depth 1" \
    "$(sqlite3 v5.db "PRAGMA user_version;
        SELECT count(*) FROM states WHERE run_id = 1 AND depth = 1 AND parent IS NULL;
        SELECT group_concat(depth) FROM runs;
        SELECT count(*) FROM states WHERE depth IS NULL OR depth != 1")" \
    "$(printf '6\n%s\n1,1\n0' "$(wc -l <ref.rows)")"
check "version 5 upgraded: the violations view has depth and parent, nested_outcomes exists" \
    "$(sqlite3 v5.db "SELECT count(*) FROM pragma_table_info('violations')
        WHERE name IN ('depth', 'parent'); SELECT count(*) FROM nested_outcomes;
        SELECT count(*) = (SELECT count(*) FROM results WHERE violation AND run_id = 1)
        FROM violations WHERE run_id = 1 AND depth = 1")" "$(printf '2\n0\n1')"
check "version 5 upgraded: the new run's rows are the old run's" \
    "$(sqlite3 v5.db "SELECT count(*) FROM (SELECT state_id, outcome FROM results
        WHERE run_id = 1 EXCEPT SELECT state_id, outcome FROM results WHERE run_id = 2)")" 0

# The configuration key without nesting is version 5's: an unfinished run
# of a version-5 database resumes, to the whole run.
key=$(sqlite3 ref.db "SELECT config_key FROM runs")
check "a key without nesting has no depth and ends in the shard" \
    "$(echo "$key" | grep -c '^w1 writeback faithful pass,flush,prefix,reorder:1 seed=0 bs=[0-9]* size=[0-9]* arenas=[0-9]* shard=$')" 1
CRASHSIM_STORE_EXIT_AT=3 "$B" explore -w "$W" -m writeback -f "$FAULTS" -q -j2 \
    --db cut.db >/dev/null 2>&1
check "a campaign killed before its third commit is unfinished" \
    "$(sqlite3 cut.db "SELECT finished_at IS NULL, config_key FROM runs")" "1|$key"
to_v5 cut.db
check "its version-5 copy resumes (exit 1: the run's violations)" "$(explore cut.db --resume)" 1
check "into the same run, finished, at version 6" \
    "$(sqlite3 cut.db "SELECT count(*), min(finished_at IS NOT NULL) FROM runs;
        PRAGMA user_version")" "$(printf '1|1\n6')"
rows cut.db >cut.rows
check "and the resumed run is the whole run" "$(cmp -s cut.rows ref.rows && echo same)" same

# Merge: two shards with nested rows.
for i in 1 2; do
    "$B" explore -w "$W" -m writeback -f "$FAULTS" -q -j2 --shard "$i/2" --db "s$i.db" \
        >/dev/null 2>&1
    cp "s$i.db" "plain$i.db"
done
nest s1.db 0
nest s2.db 1
check "a shard's nested rows" "$(sqlite3 s2.db "SELECT depth, count(*), count(parent),
    sum(violation) FROM states JOIN results USING (run_id, state_id) GROUP BY 1")" \
    "$(printf '1|%s|0|%s\n2|6|6|2\n3|1|1|0' "$(sqlite3 s2.db "SELECT count(*) FROM states
        WHERE depth = 1")" "$(sqlite3 s2.db "SELECT sum(violation) FROM results r JOIN states s
        USING (run_id, state_id) WHERE depth = 1")")"
expect "the shards with nested rows merge" 0 "$B" merge m.db s1.db s2.db
grep_out "merge counts the nested states" "nested: 14 crash states below the top level, 8 distinct"
check "the merged run: depth 3, the shards' nested counts summed, the depth in its key" \
    "$(sqlite3 m.db "SELECT depth, nested_state_count, nested_distinct_count, shard,
        config_key LIKE '% arenas=% depth=3 shard=' FROM runs")" "3|14|8||1"
for i in 1 2; do
    sqlite3 "s$i.db" "SELECT state_id, parent, depth FROM states WHERE depth > 1"
done | sort >nested.want
check "merge copies every nested state's parent and depth" \
    "$(sqlite3 m.db "SELECT state_id, parent, depth FROM states WHERE depth > 1" | sort |
        cmp -s - nested.want && echo same) $(wc -l <nested.want)" "same 14"
check "and the top-level states are the whole run's" \
    "$(sqlite3 m.db "SELECT count(*) FROM states WHERE depth = 1 AND parent IS NULL")" \
    "$(wc -l <ref.rows)"
sqlite3 m.db .dump >before.sql
expect "merging the shards again" 0 "$B" merge m.db s2.db s1.db s2.db
sqlite3 m.db .dump >after.sql
check "changes nothing: the nested counts are summed once" \
    "$(cmp -s before.sql after.sql && echo same)" same
cp plain1.db v5s1.db
cp plain2.db v5s2.db
to_v5 v5s1.db
to_v5 v5s2.db
expect "shards of schema version 5 merge" 0 "$B" merge v5m.db v5s1.db v5s2.db
check "with depth 1, no parents and no nested counts" \
    "$(sqlite3 v5m.db "SELECT depth, nested_state_count IS NULL FROM runs;
        SELECT count(*) FROM states WHERE depth != 1 OR parent IS NOT NULL")" "$(printf '1|1\n0')"
rows v5m.db >v5m.rows
check "into the whole run" "$(cmp -s v5m.rows ref.rows && echo same)" same
expect "a shard of version 5 and one of version 6 merge" 0 "$B" merge mixed.db v5s1.db plain2.db
check "into the whole run as well" \
    "$(rows mixed.db | cmp -s - ref.rows && echo same)" same

# report.py and compare.py.
if ! "$PY" -c 'import matplotlib, numpy, sqlite3' 2>/dev/null; then
    skip "$PY cannot import matplotlib, numpy and sqlite3 (make deps)"
else
    expect "report.py renders the merged nested run" 0 "$PY" "$ROOT/analysis/report.py" \
        --db m.db -o rep
    grep_out "it counts the nested states" "rep/index.html: 1 runs, $(( $(wc -l <ref.rows) + 14 )) states"
    page=rep/index.html
    check "the headline names the nested states and their violation" \
        "$(grep -o '<span id="nested-total">(of them 14 nested states at depth 2, 3, <span class="viol">2 violating' "$page" | wc -l)" 1
    check "the runs table has the nested columns" \
        "$(grep -c '<th>depth</th><th>nested states</th><th>nested violations</th>' "$page")" 1
    check "a nested outcome table, per run and depth" \
        "$(grep -c 'id="nested-outcomes"' "$page") $(grep -c '<th>run 1 depth 2</th><th>run 1 depth 3</th>' "$page")" "1 1"
    check "the survival matrix has a nested column with the nested violations" \
        "$(grep -c '<th>nested</th>' "$page") $(grep -c '<td class="bad">2 / 14 (depth 3)</td>' "$page")" "1 1"
    check "the write-log plot and the consistency notes count top-level states only" \
        "$(grep -c 'Run totals, stored rows and duplicate links agree' "$page")" 1
    expect "report.py renders a version-5 database" 0 "$PY" "$ROOT/analysis/report.py" \
        --db v5m.db -o rep5
    check "without nested columns" "$(grep -c 'nested' rep5/index.html)" 0

    cp plain1.db base.db
    expect "compare: a nested violation is new in B (exit 1)" 1 "$PY" \
        "$ROOT/analysis/compare.py" v5m.db m.db
    grep_out "the verdict counts it as nested" "violating states that A did not have (.*2 of them nested)"
    grep_out "nested outcomes in their own rows" "^nested outcome  *A  *B  *change"
    grep_out "nested states compared" "^  nested states  *0  *14  *+14"
    grep_out "nested violations compared" "^  nested violating  *0  *2  *+2"
    grep_out "per depth" "^    depth 3  *0  *2  *+2"
    grep_out "the nested violation classes apart" "new in B: *corrupt/cut (nested) (1 states), corrupt/torn (nested) (1 states)"
    grep_out "the top-level rows count the top-level states" "^  all states  *$(wc -l <ref.rows)  *$(wc -l <ref.rows)  *+0"
    expect "compare: a run against itself (exit 0)" 0 "$PY" "$ROOT/analysis/compare.py" m.db m.db
    expect "compare: two version-5 databases" 0 "$PY" "$ROOT/analysis/compare.py" v5m.db v5s1.db
    check "print no nested rows" "$(grep -c '^nested outcome' out)" 0
fi

# matrix --nested: the nested column; --depth bounds.
mkdir wd
cp "$ROOT/traces/workloads/default.trace" wd/
expect "matrix --nested" 0 "$B" matrix --nested -f pass --db mx.db wd
grep_out "prints a nested column" "hostile    +hardened     nested:2$"
grep_out "with the row's nested states, none violating" "^default.trace .* 0/[1-9][0-9]*$"
nested_of() { sed -n 's|^default.trace .* 0/\([0-9]*\)$|\1|p' "$T/out"; }
both=$(nested_of)
expect "matrix --nested-in ordered/faithful" 0 "$B" matrix --nested-in ordered/faithful -f pass \
    --db mxo.db wd
check "nests fewer cells than the default (ordered/faithful and writeback/hardened)" \
    "$([ "$(nested_of)" -gt 0 ] && [ "$(nested_of)" -lt "$both" ] && echo yes)" yes
check "the nested column is the ordered/faithful run's nested states" "$(nested_of)" \
    "$(sqlite3 mxo.db "select nested_state_count from runs where model = 'ordered'
        and profile = 'faithful'")"
expect "matrix --nested-in nosuch/thing is a usage error" 2 "$B" matrix --nested-in nosuch/thing wd
expect "matrix --depth 3" 0 "$B" matrix --depth 3 -f pass --db mx3.db wd
grep_out "names the depth" "nested:3$"
expect "matrix without --nested" 0 "$B" matrix -f pass --db mx1.db wd
check "prints no nested column" "$(grep -c nested "$T/out")" 0
expect "matrix --depth 9 is a usage error" 2 "$B" matrix --depth 9 wd
expect "matrix --depth 0 is a usage error" 2 "$B" matrix --depth 0 wd
echo "1..$n"
