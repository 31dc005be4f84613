#!/bin/sh
# tests/nested.sh BUILD: nested crash states (explore --nested), in TAP.
#
# A nested state is a crash during the post-recovery run of a recovered
# state (sim/check/nested.h). Checked here: what a nested campaign stores
# (parent, depth, ids that extend the parent's), that N parents reading one
# image share one nested enumeration and that states copying the parent's
# bytes share its result, --depth 3, replay and regress of nested ids, a
# crash injected into one nested state, usage errors, --shard/merge equal to
# the whole run, and the crash-point loop: a nested campaign made to _exit
# before each of its commits and resumed equals the uninterrupted run.
set -u
B="${1:-build}/crashsim"
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/campaign.sh"
D=traces/workloads/default.trace

# ---- What a nested campaign stores. ----
expect "default workload, ordered/faithful, --nested: no violation" 0 \
    "$B" explore --workload "$D" --db "$T/o.db" -q -j 2 --nested
grep_out "the summary has the nested part" "^nested crashes (depth 2..2): "
enums=$(sed -n 's/^nested crashes (depth 2..2): [0-9]* states in \([0-9]*\) nested.*/\1/p' "$T/out")
check "the run's depth is 2" "$(q o.db "select depth from runs")" 2
check "nested states are stored at depth 2" \
    "$([ "$(q o.db "select count(*) from states where depth = 2")" -gt 1000 ] && echo yes)" yes
check "every nested id is its parent's id, '/', and an id of its own" \
    "$(q o.db "select count(*) from states where depth = 2 and (parent is null
        or substr(state_id, 1, length(parent) + 1) <> parent || '/'
        or instr(substr(state_id, length(parent) + 2), '/') > 0)")" 0
check "every parent is a top-level state that recovered a legal state" \
    "$(q o.db "select count(*) from states s where depth = 2 and not exists (
        select 1 from results r join states p using (run_id, state_id)
        where p.run_id = s.run_id and p.state_id = s.parent and p.depth = 1
        and r.outcome in ('ok', 'ok_leak'))")" 0
check "the run's nested counts are the rows stored" \
    "$(q o.db "select nested_state_count = (select count(*) from states where depth = 2)
        from runs")" 1
check "every nested state has a result, and none is a violation" \
    "$(q o.db "select count(*) from states s left join results r using (run_id, state_id)
        where s.depth = 2 and (r.outcome is null or r.violation)")" 0
check "nested states are cut after log writes of the first sync's pass 0 (its compression)" \
    "$([ "$(q o.db "select count(*) from states where depth = 2 and pass = 0
        and last_block_type = 'log'")" -gt 100 ] && echo yes)" yes

# ---- Memoization. ----
# Parents that read identical bytes (duplicates at the top level) share one
# nested enumeration: the original's.
check "one nested enumeration per parent with a distinct image" "$enums" \
    "$(q o.db "select count(distinct parent) from states where depth = 2")"
check "no nested state under a duplicate parent" \
    "$(q o.db "select count(*) from states s join states p
        on p.run_id = s.run_id and p.state_id = s.parent where s.depth = 2
        and p.dup_of is not null")" 0
# A writeback campaign with lost writes has many parents with one image.
expect "writeback/hardened, reorder:1, --nested: no violation" 0 "$B" explore --workload \
    "$T/w.trace" --db "$T/wb.db" -q -j 2 --model writeback --profile hardened \
    --faults pass,flush,prefix,reorder:1 --nested
grp=$(q wb.db "select dup_of from states where depth = 1 and dup_of is not null
    and dup_of in (select parent from states where depth = 2)
    group by dup_of order by count(*) desc, dup_of limit 1")
size=$(q wb.db "select count(*) + 1 from states where dup_of = '$grp' and depth = 1")
check "a group of $size parents reads one image (at least 3)" \
    "$([ "$size" -ge 3 ] && echo yes)" yes
check "its nested enumeration was done once: under the original only" \
    "$(q wb.db "select count(distinct parent) from states where depth = 2 and parent in
        (select state_id from states where dup_of = '$grp' or state_id = '$grp')")" 1
dup=$(q wb.db "select state_id from states where dup_of = '$grp' and depth = 1
    order by state_id limit 1")
nid=$(q wb.db "select state_id from states where parent = '$grp' and dup_of is null
    and fault_class = 'cut' order by cut desc limit 1")
own=${nid#"$grp"/}
expect "replay $nid" 0 "$B" replay "$nid" --db "$T/wb.db"
verdict=$(sed -n "s|^$nid: ||p" "$T/out")
expect "replay $dup/$own: a duplicate parent has the same nested states" 0 \
    "$B" replay "$dup/$own" --db "$T/wb.db"
grep_out "with the same verdict" "^$dup/$own: $verdict\$"
check "states reading the parent's own bytes share its result" \
    "$(q wb.db "select count(*) from states s join results r using (run_id, state_id)
        join results p on p.run_id = s.run_id and p.state_id = s.parent
        where s.depth = 2 and s.dup_of = s.parent and r.outcome <> p.outcome")" 0
check "there are such states" \
    "$([ "$(q wb.db "select count(*) from states where depth = 2 and dup_of = parent")" -gt 0 ] \
        && echo yes)" yes
check "states reading identical bytes are checked once" \
    "$([ "$(q wb.db "select count(*) from states where depth = 2 and dup_of is not null
        and dup_of <> parent")" -gt 0 ] && echo yes)" yes

# ---- Replay and regress. ----
nid=$(q o.db "select state_id from states where depth = 2 and parent = 'w19'
    and state_id = 'w19/w12'")
check "w19/w12 exists (a crash in the first sync after a crash before h1)" "$nid" w19/w12
expect "replay w19/w12" 0 "$B" replay w19/w12 --db "$T/o.db"
grep_out "it explains the parent" "^parent w19:"
grep_out "the parent's verdict" "^w19: ok: recovered sync point 1"
grep_out "the nested recording" "^nested level 1: the post-recovery run on the image of w19"
grep_out "the nested state's verdict" "^w19/w12: ok: "
expect "replay of a nested id whose parent is no state: exit 2" 2 \
    "$B" replay w99999/w1 --db "$T/o.db"
expect "replay of a malformed nested id: exit 2" 2 "$B" replay "w19//w12" --db "$T/o.db"
grep_out "it says what an id is" "is not a crash-state id"
expect "replay of a nested id with --mount: exit 2" 2 \
    "$B" replay w19/w12 --db "$T/o.db" --mount main
expect "pin a nested state" 0 "$B" pin --workload "$D" -o "$T/n.case" w19/w12 w19/w13
expect "regress the case" 0 "$B" regress "$T/n.case"
grep_out "both states" "ok    n.case (2 states)"
sed 's/^#@ state w19\/w12 ok$/#@ state w19\/w12 unmountable/' "$T/n.case" > "$T/bad.case"
expect "a nested state whose outcome changed fails regress" 1 "$B" regress "$T/bad.case"
grep_out "naming the nested id" "w19/w12: expected unmountable, got ok"

# ---- Depth 3. ----
expect "--depth 3 on the small workload: no violation" 0 \
    "$B" explore --workload "$T/w.trace" --db "$T/d3.db" -q -j 2 --depth 3
check "depth-3 states have two slashes and a depth-2 parent" \
    "$(q d3.db "select count(*) from states s where depth = 3 and (length(state_id) -
        length(replace(state_id, '/', '')) <> 2 or not exists (select 1 from states p
        where p.run_id = s.run_id and p.state_id = s.parent and p.depth = 2))")" 0
check "there are depth-3 states" \
    "$([ "$(q d3.db "select count(*) from states where depth = 3")" -gt 0 ] && echo yes)" yes
id3=$(q d3.db "select state_id from states where depth = 3 and dup_of is null
    order by state_id limit 1")
expect "replay of depth-3 $id3" 0 "$B" replay "$id3" --db "$T/d3.db"
grep_out "explains the second level" "^nested level 2: "

# ---- A crash inside one nested state is that state's. ----
rc=$(CRASHSIM_INJECT=w19/w12:segv run inj.db -w "$D" --nested)
check "an injected crash in w19/w12 is a violation (exit 1)" "$rc" 1
check "w19/w12 died of a signal" "$(q inj.db "select outcome from results
    where state_id = 'w19/w12'")" signal
check "no other state is blamed" "$(q inj.db "select count(*) from results where violation")" 1

# ---- Usage. ----
expect "--depth 5: usage" 2 "$B" explore --workload "$D" --db "$T/u.db" --depth 5
expect "--depth 1: usage" 2 "$B" explore --workload "$D" --db "$T/u.db" --depth 1
"$B" wlog export 1 --db "$T/o.db" -o "$T/o.wlog" >/dev/null 2>&1
expect "--nested with --wlog: usage" 2 "$B" explore --wlog "$T/o.wlog" --db "$T/u.db" --nested
grep_out "it says why" "a write log has no oracle"

# ---- Shards. ----
FAULTS=pass,flush,prefix,reorder:1
canon() {  # every state and result of the nested run but timing and worker slot
    sqlite3 "$T/$1" "select 's', state_id, cut, fault_class, drops, signature, dup_of, pass,
        parent, depth from states order by state_id;
        select 'r', state_id, outcome, reason, recovered_sync, legal_lo, legal_hi,
        leaked_blocks from results order by state_id;
        select state_count, distinct_count, nested_state_count, nested_distinct_count,
        depth, finished_at is not null from runs" | md5sum
}
for i in 1 2 3; do
    "$B" explore --workload "$T/w.trace" --db "$T/s$i.db" -q -j 2 --model writeback \
        --profile hardened --faults "$FAULTS" --nested --shard "$i/3" >/dev/null 2>&1
done
expect "merge of 3 nested shards" 0 "$B" merge "$T/m.db" "$T/s1.db" "$T/s2.db" "$T/s3.db"
check "3 nested shards merged = the whole run" "$(canon m.db)" "$(canon wb.db)"

# ---- A job grid of nested campaigns (crashsim jobs --depth). ----
expect "jobs --depth 2" 0 "$B" jobs -w "$T/w.trace" --depth 2 -o "$T/grid"
check "each job line asks for nested crashes" "$(grep -c -- ' --depth 2 ' "$T/grid/jobs.txt")" \
    "$(wc -l < "$T/grid/jobs.txt")"
sh -c "$(head -1 "$T/grid/jobs.txt")"
check "the job stores a nested run" "$(sqlite3 "$(ls "$T"/grid/shards/*.db | head -1)" \
    "select depth, nested_state_count > 0 from runs")" "2|1"
expect "jobs --depth 5: usage" 2 "$B" jobs -w "$T/w.trace" --depth 5 -o "$T/grid5"

# ---- Memoized checking gives a full check's verdicts, nested states too. ----
"$B" explore --workload "$T/w.trace" --db "$T/full.db" -q -j 2 --model writeback \
    --profile hardened --faults "$FAULTS" --nested --no-memo >/dev/null 2>&1
check "--nested --no-memo stores what the memoized run stores" "$(canon full.db)" "$(canon wb.db)"

# ---- The crash-point loop. ----
nrun() {  # nrun DB ARGS...: the nested campaign; its output in $T/out, its status echoed
    db=$1; shift
    "$B" explore --workload "$T/w.trace" --db "$T/$db" -q -j 2 --model writeback \
        --profile hardened --faults "$FAULTS" --nested "$@" >"$T/out" 2>"$T/err"
    echo $?
}
ref=$(canon wb.db)
k=1
bad=""
while [ "$k" -le 300 ]; do
    rm -f "$T/k.db" "$T/k.db-wal" "$T/k.db-shm"
    rc=$(CRASHSIM_STORE_EXIT_AT=$k nrun k.db)
    if [ "$rc" -ne 86 ]; then
        check "a campaign that commits fewer than $k times runs through" "$rc" 0
        break
    fi
    rc=$(nrun k.db --resume)
    [ "$rc" = 0 ] || bad="$bad k=$k:exit=$rc"
    [ "$(canon k.db)" = "$ref" ] || bad="$bad k=$k:database"
    grep -q "^nested crashes (depth 2..2): " "$T/out" || bad="$bad k=$k:summary"
    k=$((k + 1))
done
check "crash-point loop: killed before commit 1..$((k - 1)), each resume equals the whole run" \
    "${bad:-none}" none
check "the nested campaign commits more than 5 times" "$([ "$k" -gt 6 ] && echo yes)" yes

# ---- Minimize a nested violation: the seeded bug STALE_COPY_LAST. ----
root=$(dirname "$(dirname "$B")")
MB=build-mutant-STALE_COPY_LAST
[ "$root" = "." ] || MB="$root/$MB"
if ! make -s MUTANT=STALE_COPY_LAST BUILD="$MB" "$MB/crashsim" >"$T/make" 2>&1; then
    notok "build the STALE_COPY_LAST mutant"; sed 's/^/# /' "$T/make"
else
    mkdir "$T/saved"
    "$MB/crashsim" explore --workload "$D" --db "$T/mut.db" --faults pass -q -j 2 --nested \
        --save-failures "$T/saved" >/dev/null 2>&1
    check "--save-failures wrote a case per violating nested original" \
        "$(ls "$T/saved" | grep -c '^default-ordered-faithful-w[0-9]*_w[0-9]*\.case$')" \
        "$(q mut.db "select count(*) from violations v join states s using (run_id, state_id)
            where s.depth = 2 and s.dup_of is null")"
    expect "the saved cases fail the same way under the bug" 0 "$MB/crashsim" regress "$T/saved"
    expect "and pass with the fix (regress fails)" 1 "$B" regress "$T/saved"
    check "under the bug only nested states fail" \
        "$(q mut.db "select min(depth) || ' ' || (count(*) > 0) from states
            join results using (run_id, state_id) where violation")" "2 1"
    mid=$(q mut.db "select state_id from violations order by state_id limit 1")
    expect "minimize $mid" 0 "$MB/crashsim" minimize "$mid" --db "$T/mut.db" -o "$T/min.case"
    grep_out "the counter-example is a state of the post-recovery run" \
        "of the post-recovery run (nesting level 1)"
    steps=$(grep -cv '^#\|^$' "$T/min.case")
    check "the workload shrank ($steps steps)" \
        "$([ "$steps" -lt "$(grep -cv '^#\|^$' "$D")" ] && echo yes)" yes
    check "the case pins a nested state" \
        "$(sed -n 's|^#@ state \([^ ]*/[^ ]*\) unmountable$|nested|p' "$T/min.case")" nested
    expect "the case still fails the same way under the bug" 0 "$MB/crashsim" regress "$T/min.case"
    expect "and the fixed file system passes it (regress fails)" 1 "$B" regress "$T/min.case"
fi
