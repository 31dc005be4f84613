"""analysis/report_plots.py: the figures of analysis/report.py, drawn with
matplotlib into PNG files beside the page.

    import report_plots  # analysis/report_plots.py, beside this script

report.py reads the database (every number from a GROUP BY in SQLite), writes
index.html and calls one function here per figure with the numbers it read;
each function draws one PNG into the report's directory under a fixed name and
closes its figure. Nothing here opens the database or writes HTML; the page
links the files by name and says what they show.

Figures:
  writelog_runN.png  one run's outcomes along the write log: a marker per
                     (cut, outcome, sync pass, last block type), the sync
                     windows as bands, states and violations per cut on top
  survival.png       violating states per workload x device model / profile
  throughput.png     states covered against cumulative check time per run,
                     and the distribution of the time to check one state
  leaks.png          leaked blocks per state, non-violating and violating
  probes.png         hits per named recovery probe, never-hit ones in red

Outcome names, their order and which are violations come from the caller's
Style (report.py, from the database's name tables); what is here is style
only: colours by sync pass, markers by block type, sizes and limits. The
sync pass vocabulary (PASS_NONE, pass_label) lives here because the
write-log legend and report.py's tables both spell it.

Only Debian's python3-matplotlib and python3-numpy are needed.
"""

import collections
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

PASS_NONE = -1                                          # states.pass IS NULL.
PASS_COLOURS = {0: "#1f77b4", 1: "#ff7f0e", 2: "#2ca02c", 3: "#d62728", 4: "#9467bd",
                PASS_NONE: "#9e9e9e"}
BLOCK_MARKERS = {"log": "o", "leaf": "s", "pivot": "D", "data": "^", "deadlist": "v",
                 "arena": "P", "super": "*", None: "X"}
BLOCK_MARKER_OTHER = "h"

CUMULATIVE_POINTS_MAX = 4000    # Points per line in the cumulative-time plot.
CUMULATIVE_RUNS_MAX = 10        # Lines in that plot.
SYNC_LABELS_MAX = 40            # Sync windows labelled in a write-log plot.
DPI = 100


def pass_label(p):
    return "between syncs" if p == PASS_NONE else "pass %d" % p


def sync_windows(syncs):
    """Distinct non-empty [start_op, end_op) windows of the syncs rows, with the
    sync indices that share each ("sync 2-3": a step that records two sync
    points over the same operations, like snap label) and its trace line."""
    windows = collections.OrderedDict()
    for idx, start, end, line in syncs:
        if end > start:
            windows.setdefault((start, end), []).append((idx, line))
    out = []
    for (start, end), members in windows.items():
        first, last = members[0][0], members[-1][0]
        names = "sync %d" % first if first == last else "syncs %d-%d" % (first, last)
        out.append((start, end, names, members[-1][1]))
    return out


def plot_write_log(st, run, rows, syncs, out_dir):
    """One run's outcomes along the write log, from its (cut, outcome, pass,
    last block type, states, violating states) rows and its syncs rows
    (report.load_write_log); returns the PNG name."""
    rid = run["run_id"]
    outcomes = sorted({r[1] for r in rows}, key=st.outcome_key)
    ypos = {o: i for i, o in enumerate(outcomes)}
    max_cut = max(max(r[0] for r in rows), run.get("op_count") or 0, 1)

    height = max(3.4, 1.2 + 0.42 * len(outcomes))    # Room for the legend.
    fig, (top, ax) = plt.subplots(2, 1, figsize=(12, height + 1.2), sharex=True,
                                  gridspec_kw={"height_ratios": [1.1, height]})
    cut_arr = np.array([r[0] for r in rows], dtype=np.int64)
    per_cut = np.bincount(cut_arr, weights=[r[4] for r in rows], minlength=max_cut + 1)
    per_cut_viol = np.bincount(cut_arr, weights=[r[5] or 0 for r in rows],
                               minlength=max_cut + 1)
    edges = np.arange(len(per_cut) + 1) - 0.5
    top.stairs(per_cut, edges, fill=True, color="#cfd8dc", label="states")
    top.stairs(per_cut_viol, edges, fill=True, color="#c62828", label="violating")
    top.set_ylabel("states\nper cut", fontsize=9)
    top.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8, borderaxespad=0)
    top.yaxis.get_major_locator().set_params(integer=True)
    top.set_ylim(0, max(1.0, float(per_cut.max())) * 1.08)
    top.set_title("run %d: %s, %s/%s, faults %s" % (rid, run["workload"], run.get("model"),
                  run.get("profile"), run.get("faults")), fontsize=11, loc="left")

    for k, (start, end, names, line) in enumerate(sync_windows(syncs)):
        for a in (ax, top):
            a.axvspan(start - 0.5, end - 0.5, color="#eceff1" if k % 2 else "#e3f2fd",
                      zorder=0, lw=0)
            a.axvline(start - 0.5, color="#b0bec5", lw=0.6, zorder=1)
        if len(syncs) <= SYNC_LABELS_MAX:
            ax.text((start + end) / 2 - 0.5, len(outcomes) + 0.55 - 0.4 * (k % 2),
                    "%s%s" % (names, ", line %d" % line if line else ""),
                    ha="center", va="top", fontsize=7, color="#546e7a")

    groups = collections.defaultdict(list)
    for cut, o, p, bt, n, v in rows:
        groups[(p, bt)].append((cut, ypos[o], n))
    for (p, bt), pts in sorted(groups.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        arr = np.array(pts, dtype=float)
        ax.scatter(arr[:, 0], arr[:, 1], s=14 + 16 * np.log2(arr[:, 2]),
                   c=PASS_COLOURS.get(p, "#9e9e9e"), marker=BLOCK_MARKERS.get(
                       bt or None, BLOCK_MARKER_OTHER),
                   edgecolors="black", linewidths=0.3, alpha=0.85, zorder=3)
    ax.set_yticks(range(len(outcomes)))
    ax.set_yticklabels(outcomes)
    for lab in ax.get_yticklabels():
        if st.is_violation(lab.get_text()):
            lab.set_color("#b71c1c")
            lab.set_fontweight("bold")
    ax.set_ylim(-0.6, len(outcomes) + 0.6)          # A band on top for the sync labels.
    ax.set_xlim(-1, max_cut + 1)
    ax.set_xlabel("cut: operations issued before the crash (index into the write log)")
    ax.grid(axis="y", color="#ddd", lw=0.5)

    passes = sorted({p for p, _ in groups}, key=lambda p: (p == PASS_NONE, p))
    types = sorted({bt or None for _, bt in groups}, key=lambda t: (t is None, str(t)))
    blank = Patch(color="none")
    handles = [blank] + [Patch(color=PASS_COLOURS.get(p, "#9e9e9e")) for p in passes]
    labels = ["sync pass at the cut:"] + [pass_label(p) for p in passes]
    handles += [blank] + [Line2D([], [], marker=BLOCK_MARKERS.get(t, BLOCK_MARKER_OTHER),
                                 ls="", color="#555", markersize=7) for t in types]
    labels += ["last write's block:"] + [t or "no write yet" for t in types]
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8,
              handlelength=1.2, borderaxespad=0)
    fig.tight_layout()
    name = "writelog_run%d.png" % rid
    fig.savefig(os.path.join(out_dir, name), dpi=DPI)
    plt.close(fig)
    return name


def plot_survival(cells, workloads, cols, out_dir):
    """survival.png: the survival matrix as a heatmap, workloads down,
    (device model, profile) pairs across; cells as report.survival_cells."""
    fig_w = max(5.0, 1.15 * len(cols) + 2.5)
    fig_h = max(2.2, 0.6 * len(workloads) + 1.6)
    fig, ax = plt.subplots(figsize=(fig_w, fig_h))
    for i, w in enumerate(workloads):
        for j, mp in enumerate(cols):
            c = cells.get((w,) + mp)
            if c is None:
                colour, text = "#eeeeee", "—"
            else:
                bad = c["viol"] or c["run_violation"]
                colour = "#e57373" if bad else "#81c784"
                text = "%d%s%s" % (c["viol"], "!" if c["run_violation"] else "",
                                   "*" if c["unfinished"] else "")
                ax.text(j + 0.5, i + 0.78, "of %d" % c["states"], ha="center", va="center",
                        fontsize=7, color="#333")
            ax.add_patch(plt.Rectangle((j, i), 1, 1, facecolor=colour, edgecolor="white",
                                       lw=2))
            ax.text(j + 0.5, i + 0.42, text, ha="center", va="center", fontsize=10,
                    fontweight="bold" if text not in ("0", "—") else "normal")
    ax.set_xlim(0, len(cols))
    ax.set_ylim(len(workloads), 0)
    ax.set_xticks([j + 0.5 for j in range(len(cols))])
    ax.set_xticklabels(["%s\n%s" % mp for mp in cols], fontsize=9)
    ax.set_yticks([i + 0.5 for i in range(len(workloads))])
    ax.set_yticklabels(workloads, fontsize=9)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    ax.xaxis.tick_top()
    ax.set_title("violating states: workload × device model / profile", fontsize=10, pad=30)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "survival.png"), dpi=DPI)
    plt.close(fig)


def plot_throughput(per_run, runs, out_dir):
    """throughput.png: per run (the largest), states against cumulative check
    time; and the distribution of the time to check one state. per_run: run
    id -> results.duration_ns of its states in write-log order."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(13, 4.4))
    shown = sorted(sorted(per_run, key=lambda k: -len(per_run[k]))[:CUMULATIVE_RUNS_MAX])
    labels = {r["run_id"]: r for r in runs}
    for rid in shown:
        d = np.asarray(per_run[rid], dtype=np.float64) / 1e9
        cum = np.cumsum(d)
        idx = np.arange(1, len(d) + 1)
        step = max(1, len(d) // CUMULATIVE_POINTS_MAX)
        r = labels.get(rid, {})
        a1.plot(cum[::step], idx[::step], lw=1.4,
                label="run %d %s/%s" % (rid, r.get("model"), r.get("profile")))
    a1.set_xlabel("cumulative check time (s, sum of results.duration_ns)")
    a1.set_ylabel("states (in write-log order)")
    a1.set_title("states covered vs check time (slope = states per check-second)",
                 fontsize=10)
    if shown:
        a1.legend(fontsize=7, loc="lower right")
    if len(per_run) > len(shown):
        a1.text(0.01, 0.98, "the %d largest of %d runs" % (len(shown), len(per_run)),
                transform=a1.transAxes, va="top", fontsize=8, color="#666")
    all_d = np.concatenate([np.asarray(v, dtype=np.float64) for v in per_run.values()]) \
        if per_run else np.zeros(0)
    checked = all_d[all_d > 0] / 1e6
    if len(checked):
        lo, hi = max(checked.min(), 1e-3), max(checked.max(), 1e-3 * 1.01)
        bins = np.logspace(math.log10(lo), math.log10(hi * 1.0001), 40)
        a2.hist(checked, bins=bins, color="#5c6bc0")
        a2.set_xscale("log")
        med = float(np.median(checked))
        a2.axvline(med, color="#c62828", lw=1)
        a2.text(med, a2.get_ylim()[1] * 0.95, " median %.2f ms" % med, color="#c62828",
                fontsize=8, va="top")
        a2.set_title("time to check one state (%d checked, %d duplicates not checked)"
                     % (len(checked), len(all_d) - len(checked)), fontsize=10)
    else:
        a2.text(0.5, 0.5, "no durations stored", ha="center", va="center")
    a2.set_xlabel("ms per state (results.duration_ns > 0)")
    a2.set_ylabel("states")
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "throughput.png"), dpi=DPI)
    plt.close(fig)


def plot_leaks(st, zero, fine, bad, fine_outcomes, out_dir):
    """leaks.png: states by leaked blocks (at least one), stacked into
    non-violating (fine: blocks -> states, their outcomes fine_outcomes) and
    violating (bad); zero states leak nothing."""
    nonzero = sorted(set(fine) | set(bad))
    fig, ax = plt.subplots(figsize=(8, 3.4))
    if nonzero:
        ax.bar(nonzero, [fine[v] for v in nonzero], width=0.8, color="#8d6e63",
               label="not a violation%s" % (
                   " (%s)" % ", ".join(sorted(fine_outcomes, key=st.outcome_key))
                   if fine_outcomes else ""))
        ax.bar(nonzero, [bad[v] for v in nonzero], width=0.8, color="#e57373",
               bottom=[fine[v] for v in nonzero], label="violating state")
        ax.set_xlabel("leaked blocks in the state (results.leaked_blocks)")
        ax.set_ylabel("states")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8, frameon=False)
    else:
        ax.text(0.5, 0.5, "no state leaked blocks", ha="center", va="center", fontsize=12)
        ax.set_xticks([])
        ax.set_yticks([])
    nonzero = [(v, fine[v] + bad[v]) for v in nonzero]
    ax.set_title("leaks per state: %d states leak nothing, %d leak ≥1 block (not shown: 0)"
                 % (zero, sum(n for _, n in nonzero)), fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "leaks.png"), dpi=DPI)
    plt.close(fig)


def plot_probes(pairs, out_dir):
    """probes.png: states hitting each probe, (name, hits) in order; never-hit
    probes in red."""
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(pairs) + 1.2))
    ys = np.arange(len(pairs))
    ax.barh(ys, [max(h, 0) for _, h in pairs],
            color=["#c62828" if h == 0 else "#42a5f5" for _, h in pairs])
    ax.set_yticks(ys)
    ax.set_yticklabels([n for n, _ in pairs], fontsize=8)
    for y, (n, h), lab in zip(ys, pairs, ax.get_yticklabels()):
        if h == 0:
            lab.set_color("#c62828")
            ax.text(0, y, "  never hit", va="center", fontsize=8, color="#c62828")
    ax.invert_yaxis()
    ax.set_xlabel("states hitting the probe")
    ax.set_title("recovery probes (red: never hit)", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "probes.png"), dpi=DPI)
    plt.close(fig)
