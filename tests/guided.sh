#!/bin/sh
# tests/guided.sh BUILD: end-to-end tests of `crashsim gen guided`
# (docs/GEN.md), in TAP.
#
# It checks the usage errors (exit 2 with a message), then runs the search
# for a fixed budget of candidates from the standard workloads and asserts:
# it keeps workloads, and every feature a kept workload reached first is one
# the standard workloads, evaluated the same way, did not reach (their
# feature list comes from a run of no candidates with --list-features); at
# least one of those is a structural counter (run: or recovered:); every kept
# trace has the guided geometry line and the features comment, and runs
# cleanly with `crashsim run --mkfs` on that geometry; the same seed gives
# the same corpus byte for byte and another seed another; --from the corpus
# continues its numbering; and `crashsim explore` takes a kept workload.
set -u
B="${1:-build}/crashsim"
R=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/lib/tap.sh"
GEOMETRY="--size 2M --block-size 4K --arenas 1"
N=120

# ---- Usage. ----
expect "gen guided --help" 0 "$B" gen guided --help
grep_out "the help lists the mutations" "^  splice "
grep_out "the help lists the feature sources" "^  recovered "
expect "gen --help names guided" 0 "$B" gen --help
grep_out "gen --help shows its usage" "gen guided (--seconds S | --candidates N)"
expect "without --out" 2 "$B" gen guided --candidates 1
grep_out "it says so" "guided: --out is required"
expect "without a budget" 2 "$B" gen guided --out "$T/x"
grep_out "it names both budgets" "--seconds or --candidates is required"
expect "--seconds 0" 2 "$B" gen guided --seconds 0 --out "$T/x"
expect "a bad --candidates" 2 "$B" gen guided --candidates x --out "$T/x"
grep_out "it names the bad value" "bad --candidates 'x'"
expect "a bad --seed" 2 "$B" gen guided --candidates 1 --seed -1 --out "$T/x"
expect "an unknown option" 2 "$B" gen guided --candidates 1 --out "$T/x" --bogus
expect "an extra argument" 2 "$B" gen guided --candidates 1 --out "$T/x" extra
: >"$T/file"
expect "an --out below a file" 2 "$B" gen guided --candidates 1 --out "$T/file/x"
grep_out "it names the directory" "file/x"
expect "an --out that is a file" 2 "$B" gen guided --candidates 1 --out "$T/file"
grep_out "it says it is not a directory" "not a directory"
expect "a missing --from" 2 "$B" gen guided --candidates 1 --out "$T/x" --from "$T/none"
grep_out "it names the --from directory" "none"

# ---- The standard workloads' features. ----
expect "the seeds alone" 0 "$B" gen guided --candidates 0 --from "$R/traces/workloads" \
    --out "$T/base" --list-features
grep_out "each seed is evaluated" "^seed default.trace: [0-9]* features"
sed -n 's/^feature //p' "$T/out" >"$T/seed-features"
check "the seeds reach features" "$(test -s "$T/seed-features" && echo yes)" yes
check "nothing is kept without candidates" "$(ls "$T/base" | wc -l)" 0

# ---- A fixed budget. ----
expect "$N candidates from the standard workloads" 0 "$B" gen guided --candidates $N --seed 3 \
    --from "$R/traces/workloads" --out "$T/c1"
cp "$T/out" "$T/c1.out"
grep_out "a summary at the end" "^$N candidates run, [1-9][0-9]* kept, [0-9]* features"
kept=$(ls "$T/c1" | grep -c '\.trace$')
check "it kept workloads ($kept)" "$([ "$kept" -ge 1 ] && echo yes)" yes
check "one line each says what it reached first" "$(grep -c '^[0-9]*-.*\.trace: ' "$T/c1.out")" \
    "$kept"
sed -n 's/^[0-9]*-[a-z-]*\.trace: //p' "$T/c1.out" | tr ',' '\n' | sed 's/^ //' >"$T/first"
old=$(grep -cxF -f "$T/seed-features" "$T/first")
check "no feature reached first is one the standard workloads reach" "$old" 0
structural=$(grep -c '^run:\|^recovered:' "$T/first")
check "some are structural counters ($structural)" "$([ "$structural" -ge 1 ] && echo yes)" yes

bad=0
for f in "$T"/c1/*.trace; do
    head -1 "$f" | grep -qx "# geometry: $GEOMETRY" || bad=$((bad + 1))
    grep -q "^# It reached first" "$f" || bad=$((bad + 1))
    # shellcheck disable=SC2086
    "$B" run "$f" --image "$T/r.img" --mkfs $GEOMETRY >"$T/run.out" 2>&1 || {
        bad=$((bad + 1)); sed 's/^/# /' "$T/run.out" | head -5; }
done
check "every kept trace has its header and runs cleanly with crashsim run" "$bad" 0

expect "the same seed again" 0 "$B" gen guided --candidates $N --seed 3 \
    --from "$R/traces/workloads" --out "$T/c2"
check "gives the same corpus" "$(diff -r "$T/c1" "$T/c2" >/dev/null && echo same)" same
expect "another seed" 0 "$B" gen guided --candidates 20 --seed 4 --from "$R/traces/workloads" \
    --out "$T/c3"
check "gives another corpus" "$(diff -r "$T/c1" "$T/c3" >/dev/null && echo same)" ""

expect "--from the corpus into itself" 0 "$B" gen guided --candidates 10 --seed 5 \
    --from "$T/c1" --out "$T/c1"
grep_out "each of its traces is a seed" "^seed 0000-"
first=$(printf '%04d' "$kept")
added=$(ls "$T/c1" | grep -c '\.trace$')
check "numbering goes on after the traces there" \
    "$([ "$added" -eq "$kept" ] || ls "$T/c1" | grep -q "^$first-" && echo yes)" yes

one=$(ls "$T"/c1/*.trace | head -1)
expect "crashsim explore takes a kept workload" 0 "$B" explore --workload "$one" -q \
    --db "$T/e.db" --jobs 1
grep_out "explore checks its crash states" "states"
