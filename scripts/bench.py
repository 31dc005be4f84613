#!/usr/bin/python3
"""scripts/bench.py BUILD: crash states checked per CPU-second.

Runs crash campaigns with one worker (so CPU time is the checker's, not the
scheduler's) and reports, per configuration: distinct states checked and
duplicate states recorded per CPU-second of the whole campaign (recording,
enumeration, checking and SQLite included), the median and 99th percentile
wall time of checking one state, and the peak memory of the largest process.
It varies the fault plan, the image size and the workload length, so the
table shows how the cost grows. A configuration crashsim refuses (exit 2, such
as an image larger than the machine can hold) prints "refused: <reason>" on
its row and the bench goes on. The last row compares wall-clock time with one
worker and with two on the same campaign; the last, crashsim merge's rate
(result rows per second) over a campaign's four shards and the databases'
size per million states. The 5000-step row alone checks
about 200,000 distinct states (about a minute of CPU on this machine).
Speed is measured here, never asserted in a test.
"""
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "--measure" else "build"
CRASHSIM = os.path.join(BUILD, "crashsim")
DEFAULT = "traces/workloads/default.trace"


def synthetic(path, steps, seed):
    """A workload of about `steps` steps: creates, writes, overwrites, syncs."""
    rng = random.Random(seed)
    lines = ["mkdir /b"]
    files = []
    while len(lines) < steps:
        k = rng.random()
        if k < 0.15 or not files:
            files.append(f"/b/f{len(files)}")
            lines.append(f"create {files[-1]}")
        elif k < 0.85:
            f = rng.choice(files)
            lines.append(f"write {f} {rng.randrange(0, 65536)} {rng.randrange(1, 20000)} "
                         f"seed={len(lines)}")
        else:
            lines.append("sync")
    with open(path, "w") as out:
        out.write("# synthetic benchmark workload\n" + "\n".join(lines) + "\n")


def measured(argv):
    """Runs argv in a fresh process whose children's usage is argv's alone:
    prints the exit code, CPU seconds, peak RSS in KB and wall seconds on one
    line, then argv's stderr."""
    pid = os.fork()
    if pid == 0:
        start = time.monotonic()
        proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.monotonic() - start
        u = resource.getrusage(resource.RUSAGE_CHILDREN)
        sys.stdout.buffer.write(b"%d %f %d %f\n" % (proc.returncode, u.ru_utime + u.ru_stime,
                                                    u.ru_maxrss, wall))
        sys.stdout.buffer.write(proc.stderr)
        sys.stdout.flush()
        os._exit(0)
    os.waitpid(pid, 0)


def explore(workload, db, size, model, profile, faults, jobs, extra=()):
    """One campaign, measured: (exit code, CPU s, peak RSS MB, wall s, stderr)."""
    out = subprocess.run([sys.executable, __file__, "--measure", CRASHSIM, "explore",
                          "--workload", workload, "--db", db, "--size", size, "--model",
                          model, "--profile", profile, "--faults", faults, "-j", str(jobs),
                          "-q"] + list(extra), stdout=subprocess.PIPE, text=True).stdout
    head, _, err = out.partition("\n")
    code, cpu, rss_kb, wall = head.split()
    return int(code), float(cpu), int(rss_kb) / 1024, float(wall), err


def refusal(err):
    """The last line crashsim wrote: why it refused."""
    lines = [line for line in err.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no message"


def run(name, workload, size, model, profile, faults, extra=()):
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "bench.db")
        code, cpu, rss, _, err = explore(workload, db, size, model, profile, faults, 1, extra)
        if code == 2:
            print(f"{name:<34} refused: {refusal(err)}")
            return
        con = sqlite3.connect(db)
        distinct, dups = con.execute(
            "SELECT sum(dup_of IS NULL), sum(dup_of IS NOT NULL) FROM states").fetchone()
        times = [r[0] for r in con.execute(
            "SELECT r.duration_ns FROM results r JOIN states s USING (run_id, state_id) "
            "WHERE s.dup_of IS NULL ORDER BY 1")]
        writes = con.execute("SELECT write_count FROM runs").fetchone()[0]
        con.close()
    p50 = times[len(times) // 2] / 1e3 if times else 0
    p99 = times[min(len(times) - 1, len(times) * 99 // 100)] / 1e3 if times else 0
    print(f"{name:<34} {writes:>6} {distinct:>8} {dups:>8} {distinct / cpu:>10.0f} "
          f"{dups / cpu:>10.0f} {p50:>8.0f} {p99:>8.0f} {rss:>7.0f}")


def main():
    if not os.access(CRASHSIM, os.X_OK):
        sys.exit(f"bench: {CRASHSIM} not built (run make)")
    print(f"{'configuration':<34} {'writes':>6} {'distinct':>8} {'dups':>8} "
          f"{'dist/cpu-s':>10} {'dups/cpu-s':>10} {'p50 us':>8} {'p99 us':>8} {'max MB':>7}")
    # pass,flush,prefix,reorder:1,torn, less what each model does not apply.
    cut, cache, heavy = "pass,flush,prefix", "pass,flush,prefix,reorder:1", \
        "pass,flush,prefix,reorder:1,torn"
    run("default 8M ordered/faithful", DEFAULT, "8M", "ordered", "faithful", cut)
    run("default 8M writeback/hardened", DEFAULT, "8M", "writeback", "hardened", cache)
    run("default 8M writeback/faithful", DEFAULT, "8M", "writeback", "faithful", cache)
    run("default 8M hostile/faithful", DEFAULT, "8M", "hostile", "faithful", heavy)
    run("default 32M writeback/faithful", DEFAULT, "32M", "writeback", "faithful", cache)
    run("default 128M writeback/faithful", DEFAULT, "128M", "writeback", "faithful", cache)
    run("default 1G writeback/faithful", DEFAULT, "1G", "writeback", "faithful", cache)
    # The default arena count grows with the device; with it fixed, the
    # device's size alone is what changes.
    run("default 8M 4 arenas writeback/f", DEFAULT, "8M", "writeback", "faithful", cache,
        ("--arenas", "4"))
    run("default 1G 4 arenas writeback/f", DEFAULT, "1G", "writeback", "faithful", cache,
        ("--arenas", "4"))
    run("default 8M writeback/f --no-memo", DEFAULT, "8M", "writeback", "faithful", cache,
        ("--no-memo",))
    with tempfile.TemporaryDirectory() as tmp:
        for steps in (50, 200, 800):
            path = os.path.join(tmp, f"syn{steps}.trace")
            synthetic(path, steps, steps)
            run(f"synthetic {steps} steps 8M writeback/f", path, "8M", "writeback",
                "faithful", cache)
        path = os.path.join(tmp, "syn5000.trace")
        synthetic(path, 5000, 5000)
        run("synthetic 5000 steps 64M writeback/f", path, "64M", "writeback", "faithful", cache)
        path = os.path.join(tmp, "syn800.trace")
        scaling("synthetic 800 steps 8M -j1 vs -j2", path, "8M", "writeback", "faithful", cache)
        merging("merge: synthetic 800 steps, 4 shards", path, "8M", "hostile", "faithful",
                heavy, 4)


def scaling(name, workload, size, model, profile, faults):
    """Wall-clock seconds of one campaign with -j1 and with -j2, and their ratio."""
    walls = {}
    with tempfile.TemporaryDirectory() as tmp:
        for jobs in (1, 2):
            db = os.path.join(tmp, f"j{jobs}.db")
            code, _, _, wall, err = explore(workload, db, size, model, profile, faults, jobs)
            if code == 2:
                print(f"{name:<34} refused: {refusal(err)}")
                return
            walls[jobs] = wall
    print(f"{name:<34} wall -j1 {walls[1]:.2f} s, -j2 {walls[2]:.2f} s, "
          f"-j1/-j2 {walls[1] / walls[2]:.2f}x")


def merging(name, workload, size, model, profile, faults, shards):
    """crashsim merge of a campaign's shards into a new database: result rows
    merged per second of wall time, and database bytes per million states."""
    with tempfile.TemporaryDirectory() as tmp:
        dbs = []
        for i in range(1, shards + 1):
            db = os.path.join(tmp, f"shard{i}.db")
            code, _, _, _, err = explore(workload, db, size, model, profile, faults, 1,
                                         ("--shard", f"{i}/{shards}"))
            if code == 2:
                print(f"{name:<34} refused: {refusal(err)}")
                return
            dbs.append(db)
        out = os.path.join(tmp, "merged.db")
        start = time.monotonic()
        proc = subprocess.run([CRASHSIM, "merge", out] + dbs, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        wall = time.monotonic() - start
        if proc.returncode != 0:
            print(f"{name:<34} merge failed (exit {proc.returncode}): {refusal(proc.stderr)}")
            return
        con = sqlite3.connect(out)
        rows = con.execute("SELECT count(*) FROM results").fetchone()[0]
        con.close()
        size_b = sum(os.path.getsize(d) + (os.path.getsize(d + "-wal")
                                           if os.path.exists(d + "-wal") else 0) for d in dbs)
    print(f"{name:<34} {rows} rows in {wall:.2f} s: {rows / wall:.0f} rows/s; "
          f"shard databases {size_b / rows * 1e6 / 2**20:.0f} MiB per million states")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        measured(sys.argv[2:])
    else:
        main()
