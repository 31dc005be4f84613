#!/bin/sh
# tests/shard.sh BUILD: explore --shard I/N and crashsim merge, in TAP.
# Every standard workload is explored whole and as N = 1, 2, 3 and 7 shards;
# the N shards' databases merged must hold the whole run state by state
# (ids, cuts, faults, signatures, duplicate links, outcomes, reasons, sync
# points, leaks, corruption counts, probes) with the same plan totals and
# write log, finished. Then what merge refuses or reports: a missing shard
# (exit 1, named), an unfinished one (a shard killed before a commit, then
# resumed), a shard of another recording or shard count (exit 2, OUT
# untouched), the same shard twice (nothing changes), OUT as an input, and
# a merge killed before each of its commits and run again.
set -u
B="${1:-build}/crashsim"
. "$(dirname "$0")/lib/tap.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$T" || exit 1

# What must be equal, deterministic columns only.
rows() {
    sqlite3 "$1" "SELECT s.state_id, s.cut, s.fault_class, s.drops, s.torn_op, s.torn_sectors,
        s.torn_fill, s.signature, s.dup_of, s.pass, s.last_write, s.last_block_type, r.outcome,
        r.violation, r.reason, r.recovered_sync, r.legal_lo, r.legal_hi, r.leaked_blocks,
        r.corrupt_count, r.probes FROM states s JOIN results r USING (run_id, state_id)
        ORDER BY s.state_id"
}
run_row() {
    sqlite3 "$1" "SELECT shard, wlog_hash, op_count, state_count, distinct_count, run_violation,
        finished_at IS NOT NULL, (SELECT count(*) FROM wlog), (SELECT count(*) FROM syncs)
        FROM runs"
}

for w in "$root"/traces/workloads/*.trace; do
    name=$(basename "$w" .trace)
    "$B" explore -w "$w" -q -j2 --db "whole-$name.db" >/dev/null 2>&1
    rows "whole-$name.db" >"whole-$name.rows"
    run_row "whole-$name.db" >"whole-$name.run"
    for shards in 1 2 3 7; do
        i=1; fail=""
        rm -f merged.db
        while [ "$i" -le "$shards" ]; do
            "$B" explore -w "$w" -q -j2 --shard "$i/$shards" --db "s$i.db" >/dev/null 2>&1
            rc=$?
            [ "$rc" -le 1 ] || fail="$fail shard $i/$shards exit $rc;"
            [ "$(sqlite3 "s$i.db" "SELECT shard FROM runs")" = "$i/$shards" ] \
                || fail="$fail shard $i/$shards not stored as such;"
            i=$((i + 1))
        done
        set --
        i=1
        while [ "$i" -le "$shards" ]; do set -- "$@" "s$i.db"; i=$((i + 1)); done
        "$B" merge merged.db "$@" >merge.out 2>&1 || fail="$fail merge exit $?;"
        rows merged.db >merged.rows
        cmp -s merged.rows "whole-$name.rows" || fail="$fail states differ;"
        [ "$(run_row merged.db)" = "$(cat "whole-$name.run")" ] || fail="$fail run differs;"
        if [ -z "$fail" ]; then ok "$name: $shards shards merged = the whole run"
        else notok "$name: $shards shards merged = the whole run:$fail"
            diff "whole-$name.rows" merged.rows | head -5 | sed 's/^/# /'; fi
        rm -f s*.db s*.db-wal s*.db-shm
    done
done

# The shards partition the states: each distinct image is checked once.
w="$root/traces/workloads/default.trace"
for i in 1 2 3; do "$B" explore -w "$w" -q -j2 --shard "$i/3" --db "p$i.db" >/dev/null 2>&1; done
total=0
for i in 1 2 3; do
    total=$((total + $(sqlite3 "p$i.db" "SELECT count(*) FROM states WHERE dup_of IS NULL")))
done
check "3 shards check every distinct state once" "$total" \
    "$(sqlite3 whole-default.db "SELECT distinct_count FROM runs")"
check "no state is in two shards" "$(for i in 1 2 3; do sqlite3 "p$i.db" "SELECT state_id FROM states"; done | sort | uniq -d | wc -l)" 0

# A missing shard: exit 1, named, the run not finished; then complete.
expect "merge of 2 of 3 shards exits 1" 1 "$B" merge part.db p1.db p3.db
grep_out "it names the missing shard" "missing shards 2/3"
check "the merged run is not finished" "$(sqlite3 part.db "SELECT finished_at IS NULL FROM runs")" 1
expect "merging the last shard finishes it" 0 "$B" merge part.db p2.db
rows part.db >part.rows
check "and it is the whole run" "$(cmp -s part.rows whole-default.rows && echo same)" same

# The same shard again changes nothing.
sqlite3 part.db .dump >before.sql
expect "merging a shard twice" 0 "$B" merge part.db p2.db p2.db p1.db
sqlite3 part.db .dump >after.sql
check "changes nothing" "$(cmp -s before.sql after.sql && echo same)" same

# Another recording (its write log differs) or another N: refused, OUT untouched.
cp p2.db other.db
sqlite3 other.db "UPDATE runs SET wlog_hash = '0123456789abcdef'"
expect "a shard of another recording is refused" 2 "$B" merge part.db other.db
grep_out "with a reason" "another recording"
"$B" explore -w "$w" -q -j2 --shard 2/4 --db four.db >/dev/null 2>&1
expect "a shard of another shard count is refused" 2 "$B" merge part.db four.db
sqlite3 part.db .dump >after.sql
check "OUT is untouched by refused inputs" "$(cmp -s before.sql after.sql && echo same)" same
expect "OUT as an input is refused" 2 "$B" merge part.db part.db
expect "a missing input is refused" 2 "$B" merge part.db nosuch.db
expect "no inputs is a usage error" 2 "$B" merge part.db
expect "a bad --shard is a usage error" 2 "$B" explore -w "$w" --shard 4/3 --db x.db
expect "--shard 0/3 is a usage error" 2 "$B" explore -w "$w" --shard 0/3 --db x.db
expect "--shard 1/0 is a usage error" 2 "$B" explore -w "$w" --shard 1/0 --db x.db

# An unfinished shard (killed before its third commit), merged, then resumed
# and merged again.
CRASHSIM_STORE_EXIT_AT=3 "$B" explore -w "$w" -q -j2 --shard 2/3 --db cut.db >/dev/null 2>&1
expect "a merge with an unfinished shard exits 1" 1 "$B" merge cutm.db p1.db cut.db p3.db
grep_out "it names the unfinished shard" "unfinished shards 2"
"$B" explore -w "$w" -q -j2 --shard 2/3 --resume --db cut.db >/dev/null 2>&1
expect "the resumed shard merged again finishes the run" 0 "$B" merge cutm.db cut.db
rows cutm.db >cutm.rows
check "and it is the whole run" "$(cmp -s cutm.rows whole-default.rows && echo same)" same

# A merge killed before each of its commits (the schema, then one per input),
# then run again: the whole run.
k=1
while [ "$k" -le 4 ]; do
    rm -f km.db km.db-wal km.db-shm
    CRASHSIM_STORE_EXIT_AT=$k "$B" merge km.db p1.db p2.db p3.db >/dev/null 2>&1
    "$B" merge km.db p1.db p2.db p3.db >/dev/null 2>&1
    rc=$?
    rows km.db >km.rows
    check "merge killed before commit $k, run again: the whole run (exit $rc)" \
        "$rc $(cmp -s km.rows whole-default.rows && echo same)" "0 same"
    k=$((k + 1))
done

# A shard stored by schema version 4 (no run_shards, no sampled_out_count) merges too.
for i in 1 2 3; do
    cp "p$i.db" "v4-$i.db"
    sqlite3 "v4-$i.db" "DROP TABLE run_shards; ALTER TABLE runs DROP COLUMN sampled_out_count;
        PRAGMA user_version = 4"
done
expect "shards of schema version 4 merge" 0 "$B" merge v4m.db v4-1.db v4-2.db v4-3.db
rows v4m.db >v4m.rows
check "into the whole run" "$(cmp -s v4m.rows whole-default.rows && echo same)" same

# The explored fraction: what the plan enumerated, what sampling left out.
expect "a sampled plan" 1 "$B" explore -w "$w" -m writeback -f pass,flush,prefix,reorder:2 \
    --samples 8 -q -j2 --db sampled.db
grep_out "the summary says what sampling left out" "explored: [0-9]* of the plan's [0-9]* crash states"
check "the run stores it, and the space is the states plus it" \
    "$(sqlite3 sampled.db "SELECT sampled_out_count > 0 FROM runs")" 1
planned=$(sqlite3 sampled.db "SELECT state_count FROM runs")
space=$(sqlite3 sampled.db "SELECT state_count + sampled_out_count FROM runs")
grep_out "the summary's numbers are the stored ones" "explored: $planned of the plan's $space crash states"
for i in 1 2; do
    "$B" explore -w "$w" -m writeback -f pass,flush,prefix,reorder:2 --samples 8 -q -j2 \
        --shard "$i/2" --db "sp$i.db" >/dev/null 2>&1
done
expect "the sampled campaign's shards merge" 0 "$B" merge spm.db sp1.db sp2.db
grep_out "merge states the explored fraction" "explored: $planned of the plans' $space crash states"

# A config key that names no shard (a hand-edited or foreign row) is refused.
cp p1.db badkey.db
sqlite3 badkey.db "UPDATE runs SET config_key = 'w1 =x'"
expect "a shard whose configuration names no shard is refused" 2 "$B" merge badkey-m.db badkey.db
grep_out "with a reason" "does not name its shard"

# Other runs are copied as they are, once.
expect "a whole run merges as it is" 0 "$B" merge copy.db whole-default.db whole-default.db
rows copy.db >copy.rows
check "one copy, equal" "$(sqlite3 copy.db "SELECT count(*) FROM runs") $(cmp -s copy.rows whole-default.rows && echo same)" "1 same"
echo "1..$n"
