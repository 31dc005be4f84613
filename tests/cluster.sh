#!/bin/sh
# tests/cluster.sh BUILD: campaigns beyond one machine, in TAP. A job list
# (crashsim jobs) run by GNU parallel, and the same grid on a real
# single-node Slurm cluster (crashsim slurm --submit: an array job of 4
# shards and a merge job that depends on it), each merged database compared
# state by state with unsharded runs of the same configurations. The test
# starts munge, slurmctld and slurmd itself from configuration it generates
# in its scratch directory and stops them by the pids it started; it skips
# the Slurm part (saying why) only where the daemons cannot start.
set -u
B="${1:-build}/crashsim"
case $B in /*) ;; *) B="$(pwd)/$B" ;; esac
. "$(dirname "$0")/lib/tap.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
W="$root/traces/workloads/default.trace"
W2="$root/traces/workloads/full-disk.trace"

# Every deterministic column of every run's states, keyed by configuration.
rows() {
    sqlite3 "$1" "SELECT w.hash, r.model, r.profile, r.faults, r.wlog_hash, r.state_count,
        r.distinct_count, r.finished_at IS NOT NULL, s.state_id, s.cut, s.fault_class, s.drops,
        s.signature, s.dup_of, s.pass, res.outcome, res.reason, res.recovered_sync,
        res.legal_lo, res.legal_hi, res.leaked_blocks, res.corrupt_count, res.probes
        FROM runs r JOIN workloads w USING (workload_id) JOIN states s USING (run_id)
        JOIN results res USING (run_id, state_id) ORDER BY 1, 2, 3, 4, s.state_id"
}

# The unsharded runs of the grid: two workloads, ordered and writeback, hardened.
for w in "$W" "$W2"; do
    for m in ordered writeback; do
        "$B" explore -w "$w" -m "$m" -p hardened -q -j2 --db "$T/whole.db" >/dev/null 2>&1
    done
done
rows "$T/whole.db" >"$T/whole.rows"
"$B" explore -w "$W" -q -j2 --db "$T/whole1.db" >/dev/null 2>&1
rows "$T/whole1.db" >"$T/whole1.rows"

# ---- crashsim jobs: the list, and its errors. ----
expect "jobs: a grid of 2 workloads x 2 models x 4 shards" 0 "$B" jobs --workloads "$W" "$W2" \
    --models ordered,writeback --profiles hardened --shards 4 -j 1 --out "$T/par"
check "jobs: one line per shard of each campaign" "$(wc -l <"$T/out" | tr -d ' ')" 16
check "jobs: jobs.txt holds the same lines" "$(cmp -s "$T/out" "$T/par/jobs.txt" && echo same)" same
grep_out "jobs: says where the merge command is" "merge.sh"
expect "jobs: an unknown model is a usage error" 2 "$B" jobs -w "$W" --models fast --out "$T/x"
grep_out "jobs: it names the model" "unknown model 'fast'"
expect "jobs: a plan the model does not apply" 2 "$B" jobs -w "$W" --faults reorder:1 --out "$T/x"
expect "jobs: --out is required" 2 "$B" jobs -w "$W"
printf 'create /a\nwrite /a 0 1 sed=1\n' >"$T/bad.trace"
expect "jobs: a trace that does not parse" 2 "$B" jobs -w "$T/bad.trace" --out "$T/x"
grep_out "jobs: named as FILE:LINE:COL" "bad.trace:2:"

# A directory of many traces: every one is a job, never a subset.
mkdir -p "$T/many"
i=1
while [ $i -le 70 ]; do cp "$W" "$T/many/w$i.trace"; i=$((i + 1)); done
expect "jobs: a directory of 70 traces" 0 "$B" jobs -w "$T/many" --out "$T/manyjobs"
check "jobs: 70 jobs, one per trace" "$(wc -l <"$T/out" | tr -d ' ')" 70
expect "matrix: more workloads than it takes is an error, not a subset" 2 \
    "$B" matrix "$T/many" --db "$T/many.db"
grep_out "matrix: it says so" "more than 64 workloads"

# ---- GNU parallel runs the list; merge.sh joins it. ----
if command -v parallel >/dev/null 2>&1; then
    parallel --will-cite -j 2 --joblog "$T/par/joblog" <"$T/par/jobs.txt" >/dev/null 2>&1
    check "parallel: every job exited 0" \
        "$(awk 'NR > 1 && $7 != 0' "$T/par/joblog" | wc -l | tr -d ' ') $(($(wc -l <"$T/par/joblog") - 1))" "0 16"
    expect "parallel: merge.sh merges the 16 shards, every run finished" 0 sh "$T/par/merge.sh"
    rows "$T/par/results.db" >"$T/par.rows"
    check "parallel: the merged runs equal the unsharded runs state by state" \
        "$(cmp -s "$T/par.rows" "$T/whole.rows" && echo same)" same
    check "parallel: 4 merged runs" "$(sqlite3 "$T/par/results.db" "SELECT count(*) FROM runs")" 4
    # A job lost (its database removed): merge names it, the run stays unfinished.
    mv "$T/par/shards/default-writeback-hardened-p0-3of4.db" "$T/lost.db"
    expect "parallel: a lost shard: merge exits 1" 1 "$B" merge "$T/lost-merge.db" "$T/par/shards"
    grep_out "parallel: it names the missing shard" "missing shards 3/4"
    expect "parallel: running the job again and merging completes it" 0 sh -c \
        "sed -n 7p '$T/par/jobs.txt' | sh && '$B' merge '$T/lost-merge.db' '$T/par/shards'"
else
    for d in "parallel runs the list" "merge.sh" "equal" "4 runs" "lost" "named" "again"; do
        n=$((n + 1)); echo "not ok $n # SKIP GNU parallel is not installed (scripts/install-deps)"
    done
fi

# ---- A single-node Slurm cluster: started here, stopped by pid. ----
S="$T/slurm"
mkdir -p "$S/state" "$S/spool"
pids=""
stop_daemons() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$p" 2>/dev/null
    done
    pids=""
}
trap 'stop_daemons; rm -rf "$T"' EXIT
skip=""
for d in munged mungekey slurmctld slurmd sbatch scontrol; do
    command -v "$d" >/dev/null 2>&1 || [ -x "/usr/sbin/$d" ] || skip="$skip $d"
done
[ -z "$skip" ] && [ "$(id -u)" -eq 0 ] || skip="${skip:+missing:$skip}${skip:-not root}"
PATH="$PATH:/usr/sbin"
if [ -z "$skip" ]; then
    host=$(hostname -s)
    port=$((20000 + $$ % 20000))
    mungekey -c -k "$S/munge.key" >/dev/null 2>&1 && chmod 600 "$S/munge.key"
    munged -F -f --key-file="$S/munge.key" --socket="$S/munge.sock" --pid-file="$S/munged.pid" \
        --log-file="$S/munged.log" --seed-file="$S/munged.seed" >/dev/null 2>&1 &
    pids="$pids $!"
    cat >"$S/slurm.conf" <<EOF
ClusterName=crashsim
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$S/munge.sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=crashsim Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF="$S/slurm.conf"
    i=0
    while [ ! -S "$S/munge.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    slurmctld -D -f "$S/slurm.conf" >"$S/ctld.out" 2>&1 &
    pids="$pids $!"
    slurmd -D -f "$S/slurm.conf" >"$S/d.out" 2>&1 &
    pids="$pids $!"
    i=0
    until sinfo -h -o %t 2>/dev/null | grep -q idle; do
        sleep 0.2; i=$((i + 1))
        if [ $i -ge 100 ]; then
            skip="the daemons did not come up in 20 s: $(tail -n 2 "$S/slurmctld.log" "$S/slurmd.log" 2>/dev/null | tr '\n' ' ')"
            break
        fi
    done
fi
if [ -z "$skip" ]; then
    ok "slurm: munge, slurmctld and slurmd are up (node $host idle)"
    expect "slurm: --submit submits the array and the merge" 0 "$B" slurm --workloads "$W" \
        --shards 4 --out "$T/sl" --partition crashsim --time 10 --submit
    grep_out "slurm: it prints both job ids" "array job [0-9]*.*merge job [0-9]*"
    array=$(sed -n 's/^array job \([0-9]*\).*/\1/p' "$T/out")
    merge=$(sed -n 's/.*merge job \([0-9]*\).*/\1/p' "$T/out")
    check "slurm: the merge job depends on the array (afterok)" \
        "$(scontrol show job "$merge" 2>/dev/null | grep -c "Dependency=afterok:${array}")" 1
    state=""
    i=0
    while [ $i -lt 600 ]; do
        state=$(scontrol show job "$merge" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
        case $state in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) break ;; esac
        sleep 0.2; i=$((i + 1))
    done
    check "slurm: the merge job completed" "$state" COMPLETED
    check "slurm: 4 array tasks completed with exit 0" \
        "$(scontrol show job "$array" 2>/dev/null | grep -c 'JobState=COMPLETED .*' )" 4
    rows "$T/sl/results.db" >"$T/sl.rows" 2>/dev/null
    check "slurm: the merged run equals the unsharded run state by state" \
        "$(cmp -s "$T/sl.rows" "$T/whole1.rows" && echo same)" same
    check "slurm: each task's log is in DIR/logs" "$(ls "$T/sl/logs" | grep -c "^${array}_[1-4].out$")" 4
    # A failed task is rerun by index, as Slurm reruns any array task.
    rm -f "$T/sl/shards/"*2of4.db "$T/sl/results.db"
    rerun=$(sbatch --parsable --array=2 "$T/sl/array.sbatch" 2>/dev/null)
    again=$(sbatch --parsable --dependency="afterok:$rerun" "$T/sl/merge.sbatch" 2>/dev/null)
    i=0
    while [ $i -lt 600 ]; do
        state=$(scontrol show job "$again" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
        case $state in COMPLETED|FAILED|CANCELLED|TIMEOUT) break ;; esac
        sleep 0.2; i=$((i + 1))
    done
    rows "$T/sl/results.db" >"$T/sl2.rows" 2>/dev/null
    check "slurm: task 2 rerun with --array=2, merged again: the whole run" \
        "$state $(cmp -s "$T/sl2.rows" "$T/whole1.rows" && echo same)" "COMPLETED same"
else
    for d in up submit ids dependency merge tasks equal logs rerun; do
        n=$((n + 1)); echo "not ok $n # SKIP Slurm cannot start here: $skip"
    done
fi
stop_daemons
check "slurm: the daemons this test started are stopped" \
    "$(for p in $(cat "$S/munged.pid" "$S/slurmctld.pid" "$S/slurmd.pid" 2>/dev/null); do kill -0 "$p" 2>/dev/null && echo "$p"; done | wc -l | tr -d ' ')" 0
echo "1..$n"
