#!/bin/sh
# tests/run_tests.sh BUILD: scripts/run-tests itself, on a build directory of
# made-up test programs (named zz_fake, which ONLY selects, so the inner run
# runs nothing else). In TAP.
#   - with JOBS=2 it counts passes, failures, and a crash without a failing
#     line, prints each program whole, in start order, with its wall time,
#     and ends with "N passed, N failed" and exit 1;
#   - bad JOBS is a usage error (exit 2);
#   - TERM stops the programs still running, with what they started.
set -u
. "$(dirname "$0")/lib/tap.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
B="$T/build"
mkdir -p "$B/tests"
fake() {  # fake NAME BODY: a test program of the made-up build
    printf '#!/bin/sh\n%s\n' "$2" >"$B/tests/$1"
    chmod +x "$B/tests/$1"
}
fake test_zz_fake_a 'sleep 1; echo "ok 1 - a"; echo "ok 2 - a again"'
fake test_zz_fake_b 'echo "ok 1 - b"; echo "not ok 2 - b fails"'
fake test_zz_fake_c 'echo "ok 1 - c"; exit 3'

ONLY=zz_fake JOBS=2 "$root/scripts/run-tests" "$B" >"$T/out" 2>"$T/err"
check "a failing run exits 1" "$?" 1
grep_out "it ends with the counts: 4 passed, 2 failed" "^4 passed, 2 failed$"
grep_out "a crash without a failing line is named" \
    "not ok - test_zz_fake_c: exit status 3 without a failing test line"
check "the programs print in start order, each whole" \
    "$(grep -E '^(== |ok |not ok )' "$T/out" | tr '\n' '|')" \
    "== test_zz_fake_a|ok 1 - a|ok 2 - a again|== test_zz_fake_b|ok 1 - b|not ok 2 - b fails|== test_zz_fake_c|ok 1 - c|not ok - test_zz_fake_c: exit status 3 without a failing test line (crash?)|"
grep_out "each program's wall time follows it" "^# test_zz_fake_a: [0-9]* s$"
grep_out "the failing programs are named" "^failed in: test_zz_fake_b test_zz_fake_c$"

ONLY=zz_fake JOBS=x "$root/scripts/run-tests" "$B" >"$T/out" 2>"$T/err"
check "JOBS=x is a usage error" "$?" 2
grep_out "and says so" "JOBS must be a positive number"

# TERM while a program and its child run: both go.
fake test_zz_fake_a "sleep 37.25 & wait"
rm "$B/tests/test_zz_fake_b" "$B/tests/test_zz_fake_c"
ONLY=zz_fake JOBS=2 "$root/scripts/run-tests" "$B" >"$T/out" 2>&1 &
pid=$!
i=0
while ! pgrep -f "$B/tests/test_zz_fake_a" >/dev/null && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
sleep 0.3
kill -TERM "$pid"
wait "$pid"
check "TERM: run-tests exits 130" "$?" 130
i=0
while pgrep -f "$B/tests/test_zz_fake_a" >/dev/null && [ $i -lt 30 ]; do
    sleep 0.1
    i=$((i + 1))
done
check "TERM: the program it ran is gone" "$(pgrep -f "$B/tests/test_zz_fake_a" | wc -l)" 0
pkill -9 -f "$B/tests/test_zz_fake_a" 2>/dev/null
sleep_left=$(pgrep -f "^sleep 37.25$" | wc -l)
check "TERM: and so is what it started" "$sleep_left" 0
