#!/usr/bin/python3
"""scripts/coverage-areas.py [--group NAME] COVERAGE.json: branch coverage of
the areas the issue tracks — the recovery code (superblock and arena-header
selection, log replay and truncation, mount, the snapshot-tree lookups of
mount) and fs_check — from a gcovr JSON file (gcovr --json). Prints one line
per area and the functions below 80%; --group names the group of runs the
file holds (campaigns, tests, all) in each line.

scripts/coverage imports it: totals() and areas() are the one place that
counts lines and branches of a gcovr JSON file."""
import argparse
import json

AREAS = {
    "recovery": {
        "fs/fs.c": {"mount_super", "mount_arena", "header_check", "mount_load", "fs_mount",
                    "arena_size_bound", "mount_fail"},
        "fs/alloc.c": {"alloc_replay", "replay_block", "entry_range_check"},
        "fs/snap.c": {"snap_mount", "label_get", "record_get"},
    },
    "fs_check": {"fs/check.c": None, "fs/checktree.c": None, "fs/checkkill.c": None},
}
BELOW_SHARE = 0.8           # A function under this share of its branches is listed.


def function_of(functions, line):
    name = None
    for start, fn in functions:
        if start <= line:
            name = fn
    return name


def code_lines(f):
    """The lines of file entry f that gcovr counts (code, not excluded)."""
    return [line for line in f["lines"]
            if not line.get("gcovr/noncode") and not line.get("gcovr/excluded")]


def totals(data):
    """{"lines": (covered, total), "branches": (covered, total)} over every file."""
    lines = [0, 0]
    branches = [0, 0]
    for f in data["files"]:
        for line in code_lines(f):
            lines[0] += line["count"] > 0
            lines[1] += 1
            for branch in line["branches"]:
                branches[0] += branch["count"] > 0
                branches[1] += 1
    return {"lines": tuple(lines), "branches": tuple(branches)}


def areas(data):
    """[(area, covered, total, {(file, function): (total, covered)})] for AREAS."""
    out = []
    for area, files in AREAS.items():
        total = covered = 0
        per = {}
        for f in data["files"]:
            wanted = files.get(f["file"], False)
            if wanted is False:
                continue
            functions = sorted((fn["lineno"], fn["name"]) for fn in f["functions"])
            for line in code_lines(f):
                fn = function_of(functions, line["line_number"])
                if wanted is not None and fn not in wanted:
                    continue
                for branch in line["branches"]:
                    hit = branch["count"] > 0
                    total += 1
                    covered += hit
                    t, c = per.get((f["file"], fn), (0, 0))
                    per[(f["file"], fn)] = (t + 1, c + hit)
        out.append((area, covered, total, per))
    return out


def share(covered, total):
    return 100.0 * covered / total if total else 0.0


def area_lines(data, group=None, functions=True):
    """The printed lines: one per area, then (functions) its functions below BELOW_SHARE."""
    label = f"{group} " if group else ""
    out = []
    for area, covered, total, per in areas(data):
        out.append(f"coverage: {label}{area}: {covered}/{total} branches "
                   f"({share(covered, total):.1f}%)")
        for (path, fn), (t, c) in sorted(per.items()):
            if functions and c < BELOW_SHARE * t:
                out.append(f"    {path} {fn}: {c}/{t}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--group", help="the group of runs the file holds, printed in each line")
    parser.add_argument("json", help="a gcovr JSON file (gcovr --json)")
    args = parser.parse_args()
    with open(args.json) as f:
        data = json.load(f)
    print("\n".join(area_lines(data, args.group)))


if __name__ == "__main__":
    main()
