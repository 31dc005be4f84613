#!/bin/sh
# tests/forkmount.sh BUILD: crash states of a mounted fork, in TAP.
# traces/workloads/fork-writes.trace forks main, mounts the fork f and
# writes, renames and removes inside it, then mounts main again. Its
# campaigns must find no violation; the states cut while f is mounted (from
# the sync point of "mount f", which begins where it ends, to that of
# "mount main") are recovered by mounting f; recovering one of them by
# mounting main instead is caught as a wrong state; replay gives each state
# the verdict its campaign stored. Two small traces add a main deleted while
# the fork is mounted (check --snapshot) and an immutable label mounted at
# the end (the post-recovery create must fail EROFS).
set -u
B="${1:-build}/crashsim"
. "$(dirname "$0")/lib/tap.sh"
W=traces/workloads/fork-writes.trace
q() { sqlite3 "$T/$1" "$2"; }
line() { grep -n "^$1 " "$W" | head -1 | cut -d: -f1; }

expect "default plan: no violation" 0 "$B" explore --workload "$W" --db "$T/f.db" -q -j 2
expect "writeback/hardened with lost writes: no violation" 0 "$B" explore --workload "$W" \
    --db "$T/wb.db" -q -j 2 --model writeback --profile hardened \
    --faults pass,flush,prefix,reorder:1
check "writeback/hardened has drop states" \
    "$([ "$(q wb.db "select count(*) from states where fault_class='drop'")" -gt 0 ] && echo yes)" yes

# The window of cuts with f mounted, from the sync points of the two mounts.
mf=$(line "mount f"); mm=$(line "mount main")
from=$(q f.db "select max(end_op) from syncs where trace_line=$mf")
to=$(q f.db "select max(end_op) from syncs where trace_line=$mm")
check "the mount point of f begins where it ends" \
    "$(q f.db "select count(*) from syncs where trace_line=$mf and start_op=end_op")" 1
inside="cut >= $from and cut < $to"
n_in=$(q f.db "select count(*) from states where $inside")
check "crash states land while f is mounted" "$([ "$n_in" -ge 20 ] && echo yes)" yes
check "they recover a legal sync point" \
    "$(q f.db "select count(*) from results join states using (run_id, state_id)
        where $inside and outcome <> 'ok'")" 0
check "no state with f mounted shares a result with one mounting main" \
    "$(q f.db "select count(*) from states s join states o
        on o.run_id = s.run_id and o.state_id = s.dup_of
        where (s.cut >= $from and s.cut < $to) <> (o.cut >= $from and o.cut < $to)")" 0

# Replay: the label mounted at the cut, the stored verdict, and a wrong mount.
id=$(q f.db "select state_id from states where $inside and dup_of is null
    order by cut desc limit 1")
expect "replay of $id is ok" 0 "$B" replay "$id" --db "$T/f.db"
grep_out "it is recovered by mounting f" 'mounted label "f" (the label mounted at the cut)'
grep_out "with the verdict the campaign stored" \
    "$id: ok: recovered sync point $(q f.db "select recovered_sync from results
        where state_id='$id'")\$"
expect "recovered by mounting main instead, it is a violation" 1 \
    "$B" replay "$id" --db "$T/f.db" --mount main
grep_out "a wrong state" "$id: wrong_state: "
expect "mounting a label it does not have: unmountable" 1 \
    "$B" replay "$id" --db "$T/f.db" --mount nosuch
grep_out "the label is named" "unmountable: mount of label nosuch: "
before=$(q f.db "select state_id from states where cut < $from and cut > 0
    order by cut desc limit 1")
expect "replay of $before, cut before the mount, is ok" 0 "$B" replay "$before" --db "$T/f.db"
grep_out "it is recovered by mounting main" 'mounted label "main"'

# The run step itself: the oracle beside it, every label compared.
expect "crashsim run --mkfs of the workload" 0 "$B" run "$W" --image "$T/f.img" --mkfs \
    --size 4M --block-size 4K
expect "main is as it was before the fork" 0 "$B" ls "$T/f.img" /d
grep_out "main keeps /d/a of 20 KiB" '20480  qid [0-9]*        a$'
expect "f holds its changes" 0 "$B" ls --snapshot f "$T/f.img" /d
grep_out "f's /d/a was truncated" '10240  qid [0-9]*        a$'
grep_out "f's /d/c grew" '20480  qid [0-9]*        c$'

# A trace that deletes main once the fork is mounted: the image has no
# main, so check and the inspection commands mount the fork by name.
printf 'create /a\nsnap fork main f\nmount f\nwrite /a 0 5K seed=1\nsnap delete main\n' \
    >"$T/nomain.trace"
expect "a trace deletes main while f is mounted" 0 "$B" run "$T/nomain.trace" \
    --image "$T/nomain.img" --mkfs --size 1M --block-size 4K
expect "check of an image without main cannot mount it" 8 "$B" check "$T/nomain.img"
grep_out "it names the missing label" "error: does not mount: .*no such snapshot label"
expect "check --snapshot f: clean" 0 "$B" check --snapshot f "$T/nomain.img"
expect "explore of it: no violation" 0 "$B" explore --workload "$T/nomain.trace" \
    --db "$T/n.db" -q -j 2 --size 1M --block-size 4K
check "its last state is recovered by mounting f" "$(q n.db "select outcome from results
    where state_id = (select state_id from states order by cut desc limit 1)")" ok

# An immutable label mounted at the end: the last state recovers it, where
# the post-recovery workload's create must fail FS_EROFS.
printf 'create /a\nsnap label main s\nmount s\ncreate /b expect=EROFS\n' >"$T/frozen.trace"
expect "explore with a label mounted at the end: no violation" 0 "$B" explore \
    --workload "$T/frozen.trace" --db "$T/s.db" -q -j 2 --size 1M --block-size 4K
last=$(q s.db "select state_id from states order by cut desc limit 1")
expect "replay of its last state $last is ok" 0 "$B" replay "$last" --db "$T/s.db"
grep_out "it is recovered by mounting s" 'mounted label "s" (the label mounted at the cut)'

echo "1..$n"
