#!/bin/sh
# tests/gen.sh BUILD: end-to-end tests of `crashsim gen` (docs/GEN.md), in TAP.
#
# It checks the exit codes of every usage error and of --help, that gen
# random writes the same bytes for the same arguments and other bytes for
# another seed, that what it writes runs with `crashsim run` on the size its
# header suggests (4 KiB and 16 KiB blocks), that gen ace prints the counts
# of traces/GENERATORS.md, and that gen ace --out writes one file per
# workload, named ace-LENGTH-INDEX.trace, each running cleanly on 1 MiB.
set -u
B="${1:-build}/crashsim"
. "$(dirname "$0")/lib/tap.sh"

# ---- Usage. ----
expect "gen --help" 0 "$B" gen --help
grep_out "gen --help names both generators" "gen ace --length"
expect "gen random --help" 0 "$B" gen random --help
grep_out "gen random --help explains --max-size" "max-size"
expect "gen ace --help" 0 "$B" gen ace --help
grep_out "gen ace --help gives the counts" "N=2: 392"
expect "gen without a generator" 2 "$B" gen
expect "gen with an unknown generator" 2 "$B" gen bogus
expect "gen random without --seed" 2 "$B" gen random --ops 5
expect "gen random without --ops" 2 "$B" gen random --seed 5
expect "gen random with too many ops" 2 "$B" gen random --seed 1 --ops 100001
expect "gen random with --files 0" 2 "$B" gen random --seed 1 --ops 5 --files 0
expect "gen random with --max-size 0" 2 "$B" gen random --seed 1 --ops 5 --max-size 0
expect "gen random with a bad seed" 2 "$B" gen random --seed x --ops 5
expect "gen random with an extra argument" 2 "$B" gen random --seed 1 --ops 5 extra
expect "gen random into a missing directory" 2 "$B" gen random --seed 1 --ops 5 -o "$T/no/x"
expect "gen ace without --length" 2 "$B" gen ace
expect "gen ace --length 0" 2 "$B" gen ace --length 0
expect "gen ace --length 5" 2 "$B" gen ace --length 5
expect "gen ace --out into a missing parent" 2 "$B" gen ace --length 1 --out "$T/no/dir"

# ---- gen random. ----
expect "gen random to stdout" 0 "$B" gen random --seed 42 --ops 400
cp "$T/out" "$T/r1.trace"
grep_out "the header repeats the command" "crashsim gen random --seed 42 --ops 400 --files 8 --max-size 64K"
expect "gen random -o FILE" 0 "$B" gen random --seed 42 --ops 400 -o "$T/r2.trace"
if cmp -s "$T/r1.trace" "$T/r2.trace"; then ok "the same arguments give the same bytes"; else
    notok "the same arguments give the same bytes"; fi
expect "gen random, another seed" 0 "$B" gen random --seed 43 --ops 400 -o "$T/r3.trace"
if cmp -s "$T/r1.trace" "$T/r3.trace"; then notok "another seed gives another trace"; else
    ok "another seed gives another trace"; fi
steps=$(grep -vc '^#' "$T/r1.trace")
if [ "$steps" -eq 400 ]; then ok "400 steps"; else notok "400 steps ($steps)"; fi
for op in mkdir create write truncate rm mv sync tick "snap label" "snap fork" "snap delete" expect=; do
    if grep -q "^$op\| $op" "$T/r1.trace"; then ok "the trace has '$op'"; else
        notok "the trace has '$op'"; fi
done
size=$(sed -n 's/.*at least --size \([0-9]*M\).*/\1/p' "$T/r1.trace")
for bs in 4K 16K; do
    expect "it runs on the suggested --size $size, $bs blocks" 0 \
        "$B" run "$T/r1.trace" --image "$T/r.img" --mkfs --size "$size" --block-size "$bs"
done
expect "a larger one runs on its suggested size" 0 \
    "$B" gen random --seed 7 --ops 1500 --files 16 --max-size 256K -o "$T/r4.trace"
size=$(sed -n 's/.*at least --size \([0-9]*M\).*/\1/p' "$T/r4.trace")
expect "it runs on --size $size" 0 "$B" run "$T/r4.trace" --image "$T/r.img" --mkfs \
    --size "$size" --block-size 4K
expect "the image checks clean" 0 "$B" check "$T/r.img"

# ---- gen ace. ----
for lc in 1:14 2:392 3:10976; do
    l=${lc%%:*}; c=${lc##*:}
    expect "gen ace --length $l" 0 "$B" gen ace --length "$l"
    grep_out "length $l has $c workloads" "^$c ACE workloads of length $l$"
done
expect "gen ace --length 2 --out DIR" 0 "$B" gen ace --length 2 --out "$T/ace"
grep_out "it says where" "392 ACE workloads of length 2 written to"
files=$(ls "$T/ace" | wc -l)
if [ "$files" -eq 392 ]; then ok "392 files"; else notok "392 files ($files)"; fi
if [ -f "$T/ace/ace-2-000.trace" ] && [ -f "$T/ace/ace-2-391.trace" ]; then
    ok "named ace-2-000 .. ace-2-391"; else notok "named ace-2-000 .. ace-2-391"; fi
grep -q "^# core 2: " "$T/ace/ace-2-117.trace" && ok "the header names the core operations" \
    || notok "the header names the core operations"
bad=0
for f in "$T"/ace/*.trace; do
    "$B" run "$f" --image "$T/a.img" --mkfs --size 1M --block-size 4K >/dev/null 2>"$T/err" \
        || { bad=$((bad + 1)); sed 's/^/# /' "$T/err" | head -3; }
done
if [ "$bad" -eq 0 ]; then ok "every length-2 workload runs on 1M, 4K blocks"; else
    notok "every length-2 workload runs on 1M, 4K blocks ($bad failed)"; fi
echo "1..$n"
