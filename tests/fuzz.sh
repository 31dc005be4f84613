#!/bin/sh
# tests/fuzz.sh BUILD: the fuzz targets (tests/fuzz/README.md), in TAP. It
# uses build-fuzz/ (clang, libFuzzer, ASan+UBSan) and its seed corpora,
# which `make test` builds first (make fuzz-corpus); BUILD is not used.
#   - every regression input of tests/fuzz/regress/TARGET replays without a
#     finding, under the sanitizers, and every open finding of
#     tests/fuzz/open/TARGET (found, not fixed) still fails its property;
#   - every seed replays without a finding, and the image seeds of sync
#     points (ids wN, no fault) all mount and are found sound: a seed corpus
#     that stopped mounting would fuzz error paths only;
#   - the replay programs, fuzz-seeds and scripts/fuzz refuse bad usage
#     (exit 2), and --dict and --max-len answer in libFuzzer's formats;
#   - a smoke run of every target, FUZZ_SMOKE_SECONDS each (default 30),
#     two at a time: each runs inputs and finds nothing;
#   - a planted finding (the trace target's CRASHSIM_FUZZ_PLANT) is found,
#     minimized and kept as a regression input that reproduces it;
#   - kill -9 of scripts/fuzz while it keeps that finding leaves only whole
#     inputs in regress/, and nothing it started running past one
#     minimization step.
set -u
. "$(dirname "$0")/lib/tap.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
F="$root/build-fuzz"
smoke=${FUZZ_SMOKE_SECONDS:-30}
targets="mount mount-sealed trace wlog"

for t in $targets; do
    if [ ! -x "$F/fuzz/$t" ] || [ ! -x "$F/fuzz/replay-$t" ] || [ ! -d "$F/seeds/$t" ]; then
        notok "build-fuzz has no $t target or seeds (make fuzz-corpus)"
        exit 1
    fi
done

# Regression inputs: every finding kept so far, under the sanitizers.
for t in $targets; do
    d="$root/tests/fuzz/regress/$t"
    if [ -d "$d" ] && [ -n "$(ls "$d")" ]; then
        count=$(ls "$d" | wc -l)
        expect "$t: the $count regression inputs replay without a finding" 0 "$F/fuzz/replay-$t" "$d"
        grep_out "$t: the replay ran all $count" "$count inputs ran, no finding"
    fi
done

# Open findings: found, not fixed yet (tests/fuzz/README.md says why). Each
# must still fail its property; once it passes, it belongs in regress/.
for t in $targets; do
    d="$root/tests/fuzz/open/$t"
    [ -d "$d" ] || continue
    for f in "$d"/*; do
        "$F/fuzz/replay-$t" "$f" >"$T/out" 2>"$T/err"
        rc=$?
        if [ "$rc" -gt 128 ] && grep -q "fuzz property failed" "$T/err"; then
            ok "$t: open finding $(basename "$f") still fails its property"
        else
            notok "$t: open finding $(basename "$f") no longer fails (exit $rc): move it to regress/"
        fi
    done
done

# Seeds: all of them run clean; the images mount and are sound.
for t in $targets; do
    count=$(ls "$F/seeds/$t" | wc -l)
    if [ "$count" -lt 20 ]; then
        notok "$t: $count seeds (fewer than 20: fuzz-seeds lost its workloads?)"
        continue
    fi
    expect "$t: its $count seeds replay without a finding" 0 "$F/fuzz/replay-$t" "$F/seeds/$t"
    case $t in
    mount|mount-sealed)
        # shellcheck disable=SC2046
        plain=$(ls "$F/seeds/$t" | grep -cE -- '-w[0-9]+$')
        expect "$t: its $plain seeds of sync points replay" 0 "$F/fuzz/replay-$t" \
            $(ls -d "$F/seeds/$t"/* | grep -E -- '-w[0-9]+$')
        grep_out "$t: every sync point's image mounts" "^  $plain mounted read-only"
        grep_out "$t: every sync point's image is sound" "^  $plain found sound by fs_check" ;;
    wlog)
        grep_out "$t: every seed is accepted" "^  $count accepted by the parser" ;;
    trace)
        # The target parses 32 steps an input: longer traces are "too many steps".
        accepted=$(sed -n 's/^  \([0-9]*\) accepted by the parser$/\1/p' "$T/out")
        if [ "${accepted:-0}" -ge 5 ]; then ok "$t: $accepted seeds of at most 32 steps are accepted"
        else notok "$t: ${accepted:-0} seeds accepted (fewer than 5)"; fi ;;
    esac
done

# Usage and answers.
for t in $targets; do
    expect "replay-$t --max-len prints a number" 0 "$F/fuzz/replay-$t" --max-len
    check "replay-$t --max-len is a positive number" \
        "$(grep -c '^[1-9][0-9]*$' "$T/out")" 1
    expect "replay-$t --dict" 0 "$F/fuzz/replay-$t" --dict
    check "replay-$t --dict: every line is name=\"...\"" \
        "$(grep -vc '^[a-z0-9_]*="[^"]*"$' "$T/out")" 0
    expect "replay-$t without an input is a usage error" 2 "$F/fuzz/replay-$t"
    expect "replay-$t of a missing file exits 2" 2 "$F/fuzz/replay-$t" "$T/no-such-file"
    expect "replay-$t rejects an unknown option" 2 "$F/fuzz/replay-$t" --bogus x
done
expect "fuzz-seeds without a trace is a usage error" 2 "$F/fuzz/fuzz-seeds" "$T/seeds"
expect "fuzz-seeds --states 0 is a usage error" 2 "$F/fuzz/fuzz-seeds" --states 0 "$T/seeds" \
    "$root/traces/workloads/default.trace"
expect "fuzz-seeds of a missing trace exits 1, the others written" 1 "$F/fuzz/fuzz-seeds" \
    --states 2 "$T/seeds" "$T/no-such.trace" "$root/traces/workloads/default.trace"
check "fuzz-seeds wrote the trace it could read" "$(ls "$T/seeds/trace")" "default.trace"
expect "scripts/fuzz rejects an unknown target" 2 /usr/bin/python3 "$root/scripts/fuzz" \
    --targets mount,bogus
expect "scripts/fuzz rejects --seconds 0" 2 /usr/bin/python3 "$root/scripts/fuzz" --seconds 0

# The smoke run: every target, no finding.
expect "a ${smoke} s smoke run of every target finds nothing" 0 /usr/bin/python3 \
    "$root/scripts/fuzz" --smoke --seconds "$smoke" --jobs 2 --regress "$T/regress-smoke"
cat "$T/out" | sed 's/^/# /'
for t in $targets; do
    line=$(grep "^$t " "$T/out")
    inputs=$(echo "$line" | awk '{gsub(",", "", $2); print $2}')
    if [ -n "$inputs" ] && [ "$inputs" -gt 0 ]; then ok "$t: the smoke run ran $inputs inputs"; else
        notok "$t: the smoke run ran no inputs ('$line')"; fi
done
grep_out "the smoke run reports coverage" "^target .*edges .*features"

# A planted finding: found, minimized, kept, and it reproduces.
export CRASHSIM_FUZZ_PLANT="snap fork"
expect "a planted finding ends the run with exit 1" 1 \
    /usr/bin/python3 "$root/scripts/fuzz" --smoke --seconds 20 --targets trace \
    --minimize-seconds 5 --regress "$T/regress"
grep_out "the finding is named with its reason" "the planted finding 'snap fork'"
kept=$(ls "$T/regress/trace" 2>/dev/null | head -n 1)
check "it is kept as one regression input" "$(ls "$T/regress/trace" 2>/dev/null | wc -l)" 1
if [ -n "$kept" ] && grep -q "snap fork" "$T/regress/trace/$kept"; then
    ok "the kept input holds the planted text"; else notok "the kept input holds the planted text"; fi
small=$(grep -l "snap fork" "$F/seeds/trace"/* | xargs wc -c | sort -n | head -n 1 | awk '{print $1}')
size=$(wc -c < "$T/regress/trace/$kept" 2>/dev/null || echo 0)
if [ "$size" -gt 0 ] && [ "$size" -lt "$small" ]; then
    ok "it is minimized ($size bytes, the smallest seed holding it has $small)"; else
    notok "it is minimized ($size bytes, the smallest seed holding it has $small)"; fi
"$F/fuzz/replay-trace" "$T/regress/trace/$kept" >"$T/out" 2>"$T/err"
if [ $? -gt 128 ] && grep -q "fuzz property failed" "$T/err"; then
    ok "replayed with the plant, it fails again"; else notok "replayed with the plant, it fails again"; fi
unset CRASHSIM_FUZZ_PLANT
expect "replayed without the plant, it passes" 0 "$F/fuzz/replay-trace" "$T/regress/trace/$kept"

# kill -9 of scripts/fuzz while it keeps the planted finding (it is found
# in the first second; minimizing it takes the next ~15): what regress/
# holds is whole at every moment (the minimized input is staged under a
# dot name, which replay and the next run skip, then renamed into place),
# and nothing it started runs on (allowed: one minimization step's time, 5 s
# here, for a step that libFuzzer runs through sh). TMPDIR marks the
# processes of these runs.
export CRASHSIM_FUZZ_PLANT="snap fork"
cut=0 bad=0 orphans=0
for delay in 1 5; do
    rm -rf "$T/kr" "$T/kt"
    mkdir -p "$T/kt"
    TMPDIR="$T/kt" /usr/bin/python3 "$root/scripts/fuzz" --smoke --seconds 20 --targets trace \
        --minimize-seconds 5 --regress "$T/kr" >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null && cut=$((cut + 1))
    wait "$pid" 2>/dev/null
    i=0
    while pgrep -f "$T/kt" >/dev/null && [ $i -lt 35 ]; do sleep 0.2; i=$((i + 1)); done
    if pgrep -f "$T/kt" >/dev/null; then
        orphans=$((orphans + 1))
        pkill -9 -f "$T/kt"
    fi
    for f in "$T/kr/trace"/*; do
        [ -f "$f" ] && bad=$((bad + 1))
    done
done
unset CRASHSIM_FUZZ_PLANT
check "kill -9 loop: both runs were killed while they ran" "$cut" 2
check "kill -9 loop: a run killed before it keeps the finding leaves no input in regress/" \
    "$bad" 0
check "kill -9 loop: nothing it started runs on past one minimization step" "$orphans" 0

# What a kill between staging and renaming leaves: a dot name, which replay
# skips and the next run removes.
mkdir -p "$T/kr/trace"
printf 'half an inp' >"$T/kr/trace/.crash-0123456789ab.tmp"
expect "replay of regress/ skips a staged input" 0 "$F/fuzz/replay-trace" "$T/kr/trace"
grep_out "it ran none" "0 inputs ran"
expect "a run after a kill finds nothing" 0 /usr/bin/python3 "$root/scripts/fuzz" --smoke \
    --seconds 1 --targets trace --regress "$T/kr"
check "and removes what the kill left staged" "$(ls -A "$T/kr/trace" | wc -l)" 0
