#!/bin/sh
# tests/workers.sh BUILD: checker workers that die, in TAP (sim/check/workers.h).
#
# A worker killed from outside the file system (kill -9, the OOM killer) is
# no verdict on the state it was on: the state is checked again in a fresh
# worker, and only a death that reproduces on every attempt is recorded, as
# unchecked (neither fine nor a violation). Deaths the checked code causes
# itself (a segfault, an assertion) are recorded at once; a timeout counts
# only when its retry times out too.
set -u
B="${1:-build}/crashsim"
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/campaign.sh"
outcomes() {  # outcomes DB: "outcome:count" per outcome, one line
    q "$1" 'select outcome, count(*) from results group by 1' | tr '|\n' ': ' | sed 's/ $//'
}
has_outcome() {  # has_outcome DB NAME: the states with that outcome
    q "$1" "select count(*) from results where outcome = '$2'"
}

# A first campaign names the states: X is the last distinct one.
check "clean campaign exits 0" "$(run base.db)" 0
total=$(q base.db 'select count(*) from states')
X=$(q base.db 'select state_id from states where dup_of is null order by cut desc limit 1')
check "clean campaign: every state has a result" "$(q base.db 'select count(*) from results')" \
    "$total"

kill_worker() {  # kill_worker DB SIGNAL: a campaign whose worker sleeps on X gets SIGNAL
    CRASHSIM_INJECT="$X:sleep" "$B" explore --workload "$T/w.trace" --db "$T/$1" -q -j 1 \
        >"$T/$1.out" 2>&1 &
    pid=$!
    sleep 0.5
    i=0
    while [ "$i" -lt 10 ]; do
        c=$(sqlite3 "$T/$1" 'select count(*) from results' 2>/dev/null || echo 0)
        [ "${c:-0}" -gt 0 ] && break
        sleep 0.1; i=$((i + 1))
    done
    pkill -"$2" -P "$pid"
    check "$2: a worker of the campaign was there to kill" "$?" 0
    wait "$pid"
    check "$2 of a worker: the campaign exits 0" "$?" 0
}

# (1) kill -9 from outside: the worker sleeps on X (the hook waits before the
# per-state timer), the test kills it, X is checked again and the campaign
# ends as if nothing had happened.
kill_worker k9.db KILL
check "kill -9 of a worker: no violations" "$(q k9.db 'select count(*) from violations')" 0
check "kill -9 of a worker: nothing unchecked, no signal" \
    "$(has_outcome k9.db unchecked),$(has_outcome k9.db signal)" "0,0"
check "kill -9 of a worker: every state has a result" \
    "$(q k9.db 'select count(*) from results')" "$total"
check "kill -9 of a worker: the same outcomes as the clean campaign" "$(outcomes k9.db)" \
    "$(outcomes base.db)"

# A SIGALRM is what the per-state timer sends: one that does not come again
# (a loaded machine) gives the retry's result, not a timeout.
kill_worker alrm.db ALRM
check "a timeout that does not reproduce: no timeout, no violations" \
    "$(has_outcome alrm.db timeout),$(q alrm.db 'select count(*) from violations')" "0,0"
check "a timeout that does not reproduce: the same outcomes as the clean campaign" \
    "$(outcomes alrm.db)" "$(outcomes base.db)"

# (2) A worker killed on X on every attempt (an OOM kill that reproduces): X
# is unchecked after 1 + POOL_RETRIES_MAX attempts, which is no violation;
# its duplicates are not checked either. The campaign is an operational
# failure (exit 2) that says so, the run stays unfinished, and --resume
# checks exactly the unchecked states.
check "killed on every attempt: exit 2 (not checked is no verdict)" \
    "$(CRASHSIM_INJECT="$X:kill" run kill.db)" 2
grep_out "killed on every attempt: the summary says --resume checks them" \
    "could not be checked.*--resume"
check "killed on every attempt: the state is unchecked" \
    "$(q kill.db "select outcome from results where state_id = '$X'")" unchecked
check "killed on every attempt: no violations" "$(q kill.db 'select count(*) from violations')" 0
check "killed on every attempt: no signal outcome" "$(has_outcome kill.db signal)" 0
check "killed on every attempt: every state has a result" \
    "$(q kill.db 'select count(*) from results')" "$total"
check "killed on every attempt: its duplicates are unchecked too, none other" \
    "$(q kill.db "select count(*) from results r join states s using (run_id, state_id)
        where r.outcome = 'unchecked' and s.state_id <> '$X' and s.dup_of is not '$X'")" 0
check "killed on every attempt: the reason names the deaths" \
    "$(q kill.db "select reason from results where state_id = '$X'" | grep -c 'SIGKILL on 3 attempts')" 1
check "killed on every attempt: the run is unfinished" \
    "$(q kill.db 'select finished_at is null from runs')" 1
check "killed on every attempt: --resume checks them and exits 0" "$(run kill.db --resume)" 0
check "after --resume: nothing unchecked, the clean outcomes, the run finished" \
    "$(has_outcome kill.db unchecked),$(q kill.db 'select finished_at is not null from runs')" "0,1"
check "after --resume: the clean campaign's outcomes" "$(outcomes kill.db)" "$(outcomes base.db)"

# (3) Deaths the checked code causes are recorded as before: a segfault and
# an assertion at once, a hang after its retry also runs out of time.
for what in segv:signal abort:assert hang:timeout; do
    inj=${what%%:*}; want=${what#*:}
    t0=$(date +%s%N)
    rc=$(CRASHSIM_INJECT="$X:$inj" run inj-$inj.db --timeout 1)
    t1=$(date +%s%N)
    check "injected $inj: the campaign finishes with violations (exit 1)" "$rc" 1
    check "injected $inj: recorded as $want" \
        "$(q inj-$inj.db "select outcome from results where state_id = '$X'")" "$want"
    check "injected $inj: nothing unchecked" "$(has_outcome inj-$inj.db unchecked)" 0
    check "injected $inj: every other state still checked" \
        "$(q inj-$inj.db 'select count(*) from results')" "$total"
done
check "injected hang: the timeout was tried twice (at least 2 s)" \
    "$([ $(((t1 - t0) / 1000000)) -ge 2000 ] && echo yes)" yes

# A hook on a state that does not exist changes nothing.
check "a hook on no state: exits 0" "$(CRASHSIM_INJECT="w999999:kill" run none.db)" 0
check "a hook on no state: the clean outcomes" "$(outcomes none.db)" "$(outcomes base.db)"
