#!/usr/bin/python3
"""scripts/coverage-areas.py COVERAGE.json: branch coverage of the areas the
issue tracks — the recovery code (superblock and arena-header selection, log
replay and truncation, mount, the snapshot-tree lookups of mount) and fs_check
— from a gcovr JSON file (gcovr --json). Prints one line per area and the
functions below 80%."""
import json
import sys

AREAS = {
    "recovery": {
        "fs/fs.c": {"mount_super", "mount_arena", "header_check", "mount_load", "fs_mount",
                    "arena_size_bound", "mount_fail"},
        "fs/alloc.c": {"alloc_replay", "replay_block", "entry_range_check"},
        "fs/snap.c": {"snap_mount", "label_get", "record_get"},
    },
    "fs_check": {"fs/check.c": None, "fs/checktree.c": None},
}


def function_of(functions, line):
    name = None
    for start, fn in functions:
        if start <= line:
            name = fn
    return name


def main():
    data = json.load(open(sys.argv[1]))
    for area, files in AREAS.items():
        total = covered = 0
        per = {}
        for f in data["files"]:
            wanted = files.get(f["file"], False)
            if wanted is False:
                continue
            functions = sorted((fn["lineno"], fn["name"]) for fn in f["functions"])
            for line in f["lines"]:
                fn = function_of(functions, line["line_number"])
                if wanted is not None and fn not in wanted:
                    continue
                for branch in line["branches"]:
                    hit = branch["count"] > 0
                    total += 1
                    covered += hit
                    t, c = per.get((f["file"], fn), (0, 0))
                    per[(f["file"], fn)] = (t + 1, c + hit)
        share = 100.0 * covered / total if total else 0.0
        print(f"coverage: {area}: {covered}/{total} branches ({share:.1f}%)")
        for (path, fn), (t, c) in sorted(per.items()):
            if c < 0.8 * t:
                print(f"    {path} {fn}: {c}/{t}")


if __name__ == "__main__":
    main()
