#!/bin/sh
# tests/reach.sh BUILD: the deep standard workloads reach what their headers
# say, measured on the file system itself, in TAP.
#
# A workload's header says what it reaches (a tree of height 4, a compressed
# log of three blocks, a deadlist of three blocks merged, ENOSPC at every kind
# of step, ...). A step that does what it expects proves only that the trace
# ran; this test proves the depth. Each workload runs with `crashsim run
# --mkfs` on the geometry of its `# geometry:` line and `--reach`, and the
# test reads the counters it prints (fs/reach.h: `name value` lines). A
# counter describes the mounted file system at the end of the run, so a
# shape the workload builds and later takes apart (a deadlist that a
# deletion frees, the most snapshots alive at once) is measured on a prefix:
# the workload's lines up to the step named, run the same way. Reach that is
# about crash states (a recovery whose first sync cannot compress) is
# measured over a campaign with `crashsim probes`. File contents (holes,
# bytes cut off by a truncate) are read back with `crashsim cat` and `stat`.
#
# Every bound is at or below what the workload reaches today and at the
# depth its header claims, so a workload (or a file-system change) that
# stops reaching it fails here.
set -u
B="${1:-build}/crashsim"
R=$(cd "$(dirname "$0")/.." && pwd)
W="$R/traces/workloads"
. "$(dirname "$0")/lib/tap.sh"

# geometry FILE: the options of the workload's "# geometry:" line.
geometry() {
    sed -n 's/^# geometry://p' "$1"
}

# prefix NAME STEP: $T/NAME.trace is the workload's lines before the first
# line that is exactly STEP (its header and geometry line included).
prefix() {
    awk -v s="$2" '$0 == s { exit } { print }' "$W/$1.trace" >"$T/$1.trace"
    if [ "$(wc -l <"$T/$1.trace")" -eq "$(wc -l <"$W/$1.trace")" ]; then
        notok "$1.trace has the step '$2'"
    fi
}

# runs DESC FILE IMAGE [OPTION]: runs FILE on a fresh IMAGE with its
# workload's geometry (and OPTION).
runs() {
    base=$(basename "$2" .trace)
    # shellcheck disable=SC2046 # the geometry is words of options
    expect "$1" 0 "$B" run "$2" --image "$T/$3" --mkfs $(geometry "$W/$base.trace") ${4:-}
}

# reach DESC FILE IMAGE: runs FILE with --reach; the counters go to $T/reach.
reach() {
    runs "$1" "$2" "$3" --reach
    cp "$T/out" "$T/reach"
}

# value NAME: the counter NAME of the last reach (empty if not printed).
value() {
    awk -v k="$1" '$1 == k { print $2 }' "$T/reach"
}

# at_least DESC NAME MIN: counter NAME is at least MIN.
at_least() {
    v=$(value "$2")
    if [ -n "$v" ] && [ "$v" -ge "$3" ]; then ok "$1 ($2 $v)"; else
        notok "$1 ($2 '$v', want at least $3)"; fi
}

# at_most DESC NAME MAX: counter NAME is at most MAX.
at_most() {
    v=$(value "$2")
    if [ -n "$v" ] && [ "$v" -le "$3" ]; then ok "$1 ($2 $v)"; else
        notok "$1 ($2 '$v', want at most $3)"; fi
}

# zeros DESC IMAGE PATH FROM TO: bytes [FROM, TO) of PATH read as zeros (and
# the file is at least TO bytes long).
zeros() {
    "$B" cat "$T/$2" "$3" >"$T/cat" 2>"$T/err"
    size=$(wc -c <"$T/cat")
    nonzero=$(tail -c +"$(($4 + 1))" "$T/cat" | head -c "$(($5 - $4))" | tr -d '\000' | wc -c)
    if [ "$size" -ge "$5" ] && [ "$nonzero" -eq 0 ]; then ok "$1"; else
        notok "$1 (size $size, $nonzero non-zero bytes in [$4, $5))"; fi
}

# size_of IMAGE PATH: the size stat prints.
size_of() {
    "$B" stat "$T/$1" "$2" | sed -n 's/^size: //p'
}

# ---- deep-tree: height 4, pivots full of maximum-length keys. ----
reach "deep-tree runs" "$W/deep-tree.trace" dt.img
at_least "deep-tree: a tree four levels high" tree.height 4
at_least "deep-tree: a root over pivots over pivots" tree.level3.nodes 2
at_least "deep-tree: a pivot holds seven children" tree.pivot_children_max 7
# Seven 256-byte keys with their pointers: within one entry (288 bytes) of
# the pivot's capacity, so an eighth does not fit.
fill=$(value tree.pivot_fill_max)
cap=$(value tree.pivot_fill_cap)
if [ -n "$fill" ] && [ -n "$cap" ] && [ $((cap - fill)) -lt 288 ]; then
    ok "deep-tree: the fullest pivot is within one entry of capacity ($fill of $cap bytes)"
else
    notok "deep-tree: the fullest pivot is within one entry of capacity ('$fill' of '$cap')"
fi
names=$(awk '$1 == "create" { n = split($2, e, "/"); if (length(e[n]) == 244) c++ } END { print c + 0 }' \
    "$W/deep-tree.trace")
check "deep-tree: its 300 names are 244 bytes (FS_NAME_MAX)" "$names" 300

# ---- fragmented-log: deadlists of three blocks, merged; a long log. ----
prefix fragmented-log "snap delete b"
reach "fragmented-log up to the deletion of b runs" "$T/fragmented-log.trace" fl1.img
at_least "fragmented-log: a deadlist of three blocks" deadlist.chain_max 3
at_least "fragmented-log: 1060 blocks in deadlists" deadlist.entries 1060
check "fragmented-log: labels a and b alive" "$(value snap.labels)" 2
prefix fragmented-log "snap delete a"
reach "fragmented-log up to the deletion of a runs" "$T/fragmented-log.trace" fl2.img
check "fragmented-log: b deleted" "$(value snap.labels)" 1
at_least "fragmented-log: b's deadlists merged, still three blocks" deadlist.chain_max 3
at_least "fragmented-log: every kill kept in the merged deadlist" deadlist.entries 1060
reach "fragmented-log runs" "$W/fragmented-log.trace" fl.img
at_least "fragmented-log: a compression wrote three log blocks" log.compressed_max 3
at_least "fragmented-log: a log chain of four blocks" log.chain_max 4
at_least "fragmented-log: the chain is four blocks at the last commit" arena.0.log_blocks 4
check "fragmented-log: no deadlist left once a is gone" "$(value deadlist.lists)" 0

# ---- many-snapshots: many alive at once, sparse files, cut blocks. ----
prefix many-snapshots "snap delete s6"
reach "many-snapshots up to its peak runs" "$T/many-snapshots.trace" ms1.img
at_least "many-snapshots: nine labels alive at once" snap.labels 9
at_least "many-snapshots: and a fork besides main" snap.forks 2
at_least "many-snapshots: deadlists held by the labels" deadlist.lists 8
reach "many-snapshots runs" "$W/many-snapshots.trace" ms.img
at_least "many-snapshots: eight labels alive at the end" snap.labels 8
deletes=$(grep -c '^snap delete [a-z0-9]*$' "$W/many-snapshots.trace")
if [ "$deletes" -ge 6 ]; then ok "many-snapshots: $deletes deletions between the labels"; else
    notok "many-snapshots: $deletes deletions between the labels (want 6)"; fi
zeros "many-snapshots: a hole of 253 blocks reads as zeros" ms.img /d/s 12288 1048576
check "many-snapshots: the sparse file is 4 MiB" "$(size_of ms.img /d/s)" 4194304
prefix many-snapshots "write /d/u 60000 9000 seed=16"
reach "many-snapshots up to a grow past a cut runs" "$T/many-snapshots.trace" ms2.img
check "many-snapshots: /d/u ends inside a block" "$(size_of ms2.img /d/u)" 77777
zeros "many-snapshots: the bytes a cut inside a block dropped stay zeros" ms2.img /d/u 20481 77777

# ---- large-file: a cut inside a block, holes of many blocks. ----
prefix large-file "truncate /big 20M"
reach "large-file up to its shrink runs (with --reach)" "$T/large-file.trace" lf1.img
# One sync compresses each of its 8 arenas' logs: more compressions than syncs.
check "large-file: compressions counted per arena, more than syncs" \
    "$(($(value stats.log_compressions) > $(value stats.syncs)))" 1
check "large-file: cut at 11 MiB + 6 KiB + 512" "$(size_of lf1.img /big)" 11540992
if [ $((11540992 % 4096)) -ne 0 ]; then ok "large-file: the cut is inside a block"; else
    notok "large-file: the cut is inside a block"; fi
prefix large-file "write /big 20M 3000 seed=11"
runs "large-file up to its grow runs" "$T/large-file.trace" lf2.img
zeros "large-file: the cut-off bytes and MiBs after them read as zeros" lf2.img /big \
    11540992 20971520

# ---- out-of-space: ENOSPC everywhere, then no room to compress. ----
reach "out-of-space runs (every expect=ENOSPC met)" "$W/out-of-space.trace" en.img
for op in write create mkdir mv truncate "snap label" "snap fork"; do
    c=$(grep -c "^$op .* expect=ENOSPC$" "$W/out-of-space.trace")
    if [ "$c" -ge 1 ]; then ok "out-of-space: $op fails with ENOSPC ($c)"; else
        notok "out-of-space: $op fails with ENOSPC"; fi
done
at_least "out-of-space: the allocator refused each" stats.enospc 8
at_most "out-of-space: arena 0 ends with fewer than three free blocks" \
    arena.0.free_blocks 2
at_least "out-of-space: arena 1 has room beyond its reserve" arena.1.free_blocks 9
at_least "out-of-space: eight labels alive" snap.labels 8
expect "out-of-space: check is clean" 0 "$B" check "$T/en.img"
expect "out-of-space: a campaign explores it" 0 "$B" explore -q -j 2 \
    -w "$W/out-of-space.trace" --db "$T/en.db"
expect "out-of-space: probes lists the campaign" 0 "$B" probes --db "$T/en.db"
states=$(awk '$1 == "sync.compress_no_room" { print $2 }' "$T/out")
if [ -n "$states" ] && [ "$states" -ge 50 ]; then
    ok "out-of-space: $states crash states recover to a sync that cannot compress"
else
    notok "out-of-space: crash states recover to a sync that cannot compress ('$states')"
fi

echo "1..$n"
