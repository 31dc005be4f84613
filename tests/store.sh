#!/bin/sh
# tests/store.sh BUILD: the result store under interruption, in TAP.
#
# The crash-point loop, SQLite style: for k = 1, 2, ... a campaign is made to
# _exit (no cleanup, as a kill -9) just before its k-th commit
# (CRASHSIM_STORE_EXIT_AT=k: the schema, the run's set-up, each batch of
# results, the finish), then resumed; the final database must equal an
# uninterrupted run's on every column but timing and worker slot, and the
# resumed invocation must print the whole run's totals and exit as the
# uninterrupted one did. The loop ends at the first k the campaign never
# reaches. Then a few kill -9 of the whole process group at fixed delays,
# each followed by --resume, must give the same database too. Also: runs
# whose finish, write log or code changed are resumed truthfully or refused,
# schema versions, and read-only databases.
set -u
B="${1:-build}/crashsim"
. "$(dirname "$0")/lib/tap.sh"
skip() { n=$((n + 1)); echo "not ok $n # SKIP $1"; }
. "$(dirname "$0")/lib/campaign.sh"

# A writeback cache under the faithful sync: violations, so the exit status
# and the printed violation count both have something to say.
explore() {  # explore DB ARGS...: the campaign; its output in $T/out, its status echoed
    db=$1; shift
    "$B" explore --workload "$T/w.trace" --model writeback --profile faithful \
        --faults pass,flush,prefix,reorder:1 --db "$T/$db" -q -j 2 "$@" >"$T/out" 2>"$T/err"
    echo $?
}
# Everything a run stores but timing, worker slots and run ids.
canon() {
    sqlite3 "$T/$1" "
        select 'w', name, hash, length(text) from workloads order by hash;
        select 'r', seed, model, profile, faults, block_size, device_size, arenas, shard,
            wlog_hash, op_count, write_count, flush_count, state_count, distinct_count,
            run_violation, finished_at is not null from runs order by run_id;
        select 'l', * from wlog order by run_id, op_index;
        select 's', * from syncs order by run_id, sync_index;
        select 'c', * from states order by run_id, state_id;
        select 'v', run_id, state_id, outcome, violation, reason, recovered_sync, legal_lo,
            legal_hi, leaked_blocks, corrupt_count, probes, retries from results
            order by run_id, state_id;
        select 'p', * from probes order by bit;" | md5sum
}
# The summary a user reads: the outcome table, the totals and the failing
# ids, with the time and the database's name left out.
totals() {
    sed -n '/^outcome/,/^$/p; s/\(violations\), [0-9.]* s;.*/\1/p; s/^  \(w[^ ]*\) .*/\1/p' \
        "$T/out" | grep -v '^$'
}

ref_rc=$(explore ref.db)
check "reference campaign finds violations (exit 1)" "$ref_rc" 1
ref=$(canon ref.db)
totals > "$T/ref.totals"
check "reference run is finished" "$(q ref.db 'select finished_at is not null from runs')" 1

# The crash-point loop.
k=1
bad=""
while [ "$k" -le 200 ]; do
    rm -f "$T/k.db" "$T/k.db-wal" "$T/k.db-shm"
    rc=$(CRASHSIM_STORE_EXIT_AT=$k explore k.db)
    if [ "$rc" -ne 86 ]; then
        check "a campaign that commits fewer than $k times runs through" "$rc" "$ref_rc"
        break
    fi
    # What the kill left: a run row never exists without its recording.
    if [ -f "$T/k.db" ] && [ "$(q k.db "select count(*) from runs r where wlog_hash is null
            or op_count <> (select count(*) from wlog w where w.run_id = r.run_id)
            or not exists (select 1 from syncs s where s.run_id = r.run_id)" 2>/dev/null || echo 0)" != 0 ]; then
        bad="$bad k=$k:set-up"
    fi
    rc=$(explore k.db --resume)
    totals > "$T/k.totals"
    if [ "$rc" != "$ref_rc" ]; then bad="$bad k=$k:exit=$rc"; fi
    if [ "$(canon k.db)" != "$ref" ]; then bad="$bad k=$k:database"; fi
    if ! cmp -s "$T/k.totals" "$T/ref.totals"; then bad="$bad k=$k:totals"; fi
    k=$((k + 1))
done
check "crash-point loop: killed before commit 1..$((k - 1)), no run without its recording, each resume equals the reference" \
    "${bad:-none}" none
check "crash-point loop: the campaign commits more than 5 times" \
    "$([ "$k" -gt 6 ] && echo yes)" yes

# kill -9 of the whole process group at delays of 10% to 55% of an
# uninterrupted run's wall time (about 1.5 s on 2 cores), each time resumed,
# on a campaign long enough to be cut several times: every fault class.
W="$(dirname "$0")/../traces/workloads/tree-splits.trace"
BIG_FAULTS=pass,flush,prefix,reorder:1,torn,flip,lost,misdirect,unreadable,liar,forge:8,repoint:4
big() {  # big DB ARGS...: the long campaign
    db=$1; shift
    "$B" explore --workload "$W" --model hostile --profile hardened \
        --faults "$BIG_FAULTS" --db "$T/$db" -q -j 2 "$@"
}
t0=$(date +%s%N)
big bref.db >"$T/out" 2>"$T/err"
big_rc=$?
wall_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
totals > "$T/bref.totals"
bref=$(canon bref.db)
kills=0
last_rc=
for pct in 10 25 40 55; do
    delay=$(awk "BEGIN { printf \"%.3f\", $wall_ms * $pct / 100000 }")
    setsid "$B" explore --workload "$W" --model hostile --profile hardened \
        --faults "$BIG_FAULTS" --db "$T/g.db" -q -j 2 --resume >"$T/out" 2>"$T/err" &
    pid=$!
    sleep "$delay"
    if ! kill -9 "-$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null
        last_rc=$?                          # It finished first: nothing left to cut.
        break
    fi
    wait "$pid" 2>/dev/null
    kills=$((kills + 1))
done
check "kill -9 loop: at least three campaigns were cut" "$([ "$kills" -ge 3 ] && echo yes)" yes
if [ -z "$last_rc" ]; then                  # Else a resume already finished the run.
    big g.db --resume >"$T/out" 2>"$T/err"
    last_rc=$?
fi
check "kill -9 loop: the last resume exits as the reference" "$last_rc" "$big_rc"
check "kill -9 loop: the database equals the reference" "$(canon g.db)" "$bref"
totals > "$T/g.totals"
check "kill -9 loop: the printed totals are the whole run's" \
    "$(cmp -s "$T/g.totals" "$T/bref.totals" && echo same)" same

# The finish lost (what a SIGKILL between the last batch and the finish
# leaves): --resume checks nothing and reports the whole run.
cp "$T/ref.db" "$T/f.db"
q f.db "update runs set finished_at = null, state_count = null, distinct_count = null"
rc=$(explore f.db --resume)
totals > "$T/f.totals"
check "finish lost: --resume exits 1, as the run has violations" "$rc" 1
check "finish lost: it prints the whole run's totals" \
    "$(cmp -s "$T/f.totals" "$T/ref.totals" && echo same)" same
grep_out "finish lost: it says the run was resumed" "resumed: the table counts every result"
check "finish lost: the run is finished again, totals filled" \
    "$(q f.db 'select finished_at is not null, state_count, distinct_count from runs')" \
    "$(q ref.db 'select 1, state_count, distinct_count from runs')"

# A run without its write log (made by an older crashsim whose set-up was
# cut) is reported as broken, never continued.
cp "$T/ref.db" "$T/b.db"
q b.db "update runs set finished_at = null, wlog_hash = null; delete from wlog"
check "no write log: --resume refuses (exit 2)" "$(explore b.db --resume)" 2
grep_out "no write log: the run is named broken" "run 1 is broken"
# A run whose stored write log is not the one the code records now.
cp "$T/ref.db" "$T/h.db"
q h.db "update runs set finished_at = null, wlog_hash = '0000000000000001'"
check "another write log: --resume refuses (exit 2)" "$(explore h.db --resume)" 2
grep_out "another write log: both hashes are named" "recorded write log 0000000000000001"
check "another write log: nothing was added" "$(q h.db 'select count(*) from runs')" 1

# Schema versions.
check "a new database has the schema version" "$(q ref.db 'pragma user_version')" 6
cp "$T/ref.db" "$T/new.db"
q new.db "pragma user_version = 99"
check "a newer schema: explore refuses (exit 2)" "$(explore new.db)" 2
grep_out "a newer schema: both versions are named" "schema version 99 is newer than this crashsim's (6)"
expect "a newer schema: replay refuses (exit 2)" 2 "$B" replay w0 --db "$T/new.db"
grep_out "a newer schema: replay names both versions" "schema version 99"
q other.db "create table things (x); insert into things values (1)"
check "another program's database: explore refuses (exit 2)" "$(explore other.db)" 2
grep_out "another program's database: said so" "not a crashsim database"
check "another program's database: left as it was" "$(q other.db 'select count(*) from sqlite_master')" 1
head -c 4096 /dev/urandom > "$T/junk.db"
check "a file that is no database: explore refuses (exit 2)" "$(explore junk.db)" 2
grep_out "a file that is no database: said so" "not a crashsim database"
# The unversioned schema (version 1): results had no retries column.
cp "$T/ref.db" "$T/v1.db"
q v1.db "pragma user_version = 0; create table r2 as select run_id, state_id, outcome, violation,
    reason, recovered_sync, legal_lo, legal_hi, leaked_blocks, corrupt_count, duration_ns,
    worker, probes from results; drop view violations; drop view outcomes;
    drop view violations_by_pass; drop view violations_by_fault_class; drop view nested_outcomes;
    drop table results;
    alter table r2 rename to results"
expect "version 1: replay reads it as it is" 0 "$B" replay w0 --db "$T/v1.db"
check "version 1: replay left it at version 1" "$(q v1.db 'pragma user_version')" 0
check "version 1: explore upgrades it and adds a run" "$(explore v1.db)" 1
check "version 1: now version 6, with retries" \
    "$(q v1.db "pragma user_version"),$(q v1.db "select count(*) from results where retries = 0
        and run_id = 1")" "6,$(q ref.db 'select count(*) from results')"
# Version 3: no memo counts. The upgrade adds them, NULL for the rows it
# finds; the new run's checked states have them, and the run its rates.
cp "$T/ref.db" "$T/v3.db"
q v3.db "pragma user_version = 3; alter table results drop column memo_lookups;
    alter table results drop column memo_hits; alter table results drop column hashed;
    alter table runs drop column memo_hit_rate; alter table runs drop column hashed_per_state;
    drop table run_shards"
check "version 3: explore upgrades it and adds a run" "$(explore v3.db)" 1
check "version 3: now version 6; old rows without counts, new checked rows with them" \
    "$(q v3.db "pragma user_version; select count(hashed) from results where run_id = 1;
        select count(*) = count(hashed) from results r join states s using (run_id, state_id)
        where run_id = 2 and s.dup_of is null;
        select memo_hit_rate > 0 and hashed_per_state > 0 from runs where run_id = 2")" \
    "$(printf '6\n0\n1\n1')"
check "version 3: the upgrade made the shards table" \
    "$(q v3.db "select count(*) from sqlite_master where name = 'run_shards'")" 1
grep_out "version 3: the summary gives the memo's hit rate" "^memo: [0-9.]*% of [0-9]* lookups known"

# Read-only commands work on a database the user may only read.
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
mkdir "$T/ro"
cp "$T/ref.db" "$T/ro/r.db"
chmod 755 "$T" "$T/ro"
chmod 644 "$T/ro/r.db"
if ! $NOBODY "$B" --version >/dev/null 2>&1 || $NOBODY touch "$T/ro/x" 2>/dev/null; then
    skip "cannot run crashsim as an unprivileged user that may only read (setpriv)"
else
    bad=$(q ref.db "select state_id from violations order by cut limit 1")
    expect "read-only: replay works (exit 1 for a violation)" 1 $NOBODY "$B" replay "$bad" \
        --db "$T/ro/r.db"
    expect "read-only: probes works" 0 $NOBODY "$B" probes --db "$T/ro/r.db"
    mkdir "$T/out-ro"
    chmod 777 "$T/out-ro"
    expect "read-only: wlog export works" 0 $NOBODY "$B" wlog export 1 --db "$T/ro/r.db" \
        -o "$T/out-ro/w.log"
    if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
        expect "read-only: report works" 0 $NOBODY "$B" report --db "$T/ro/r.db" \
            -o "$T/out-ro/report"
        expect "read-only: compare works" 0 $NOBODY /usr/bin/python3 \
            "$(dirname "$0")/../analysis/compare.py" "$T/ro/r.db" "$T/ro/r.db"
    else
        skip "read-only: report and compare need python3-matplotlib (make deps)"
    fi
    check "read-only: nothing was written beside it" "$(ls "$T/ro")" "r.db"
fi
