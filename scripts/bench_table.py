#!/usr/bin/env python3
"""Print criterion results as Markdown tables for BENCHMARKS.md.

Run after `cargo bench --bench losses` / `cargo bench --bench optim`:

    python3 scripts/bench_table.py
    python3 scripts/bench_table.py benches/peers/target/criterion   # the peers crate

For every group it prints one row per input size: the median time of each
function, `naive / ndloss` (the speed-up over the code a user would write) and
`roofline / ndloss` (the fraction of the copy-bandwidth reference measured in
the same run, meaningful once the data leaves the caches). After a run
with `--features rayon`, a second table gives each parallel function's
speed-up over its one-thread run (`_1thread`, timed just before it).
Standard library
only; reads target/criterion/<group>/<function>/<size>/new/estimates.json
(or the criterion directory given as the only argument).
"""

import json
import os
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "target", "criterion")


def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def size_key(s):
    try:
        return (0, int(s))
    except ValueError:
        parts = s.split("x")
        return (1, [int(p) for p in parts]) if all(p.isdigit() for p in parts) else (2, s)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else ROOT
    if not os.path.isdir(root):
        sys.exit("no target/criterion: run cargo bench first")
    for group in sorted(os.listdir(root)):
        gdir = os.path.join(root, group)
        if not os.path.isdir(gdir) or group == "report":
            continue
        funcs = sorted(f for f in os.listdir(gdir) if os.path.isdir(os.path.join(gdir, f)) and f != "report")
        table = {}
        for f in funcs:
            for size in os.listdir(os.path.join(gdir, f)):
                est = os.path.join(gdir, f, size, "new", "estimates.json")
                if os.path.exists(est):
                    with open(est) as fh:
                        table.setdefault(size, {})[f] = json.load(fh)["median"]["point_estimate"]
        if not table:
            continue
        order = [f for f in ("ndloss", "naive", "naive_zip", "copy_roofline", "stream_roofline") if f in funcs]
        order += [f for f in funcs if f not in order]
        print(f"\n### {group}\n")
        head = ["size"] + order + ["naive / ndloss", "roofline / ndloss"]
        print("| " + " | ".join(head) + " |")
        print("|" + " --- |" * len(head))
        for size in sorted(table, key=size_key):
            row = table[size]
            cells = [size] + [fmt(row[f]) if f in row else "" for f in order]
            nd = row.get("ndloss")
            naive = row.get("naive", row.get("naive_zip"))
            roof = row.get("copy_roofline")
            cells.append(f"{naive / nd:.2f}×" if nd and naive else "")
            cells.append(f"{roof / nd:.0%}" if nd and roof else "")
            print("| " + " | ".join(cells) + " |")
        speedups(table)


def speedups(table):
    """With the `rayon` feature: `X_1thread / X_rayon` (and `_rayon_in_pool`)
    per size, from the one-thread run timed just before the parallel one."""
    rows = []
    for size in sorted(table, key=size_key):
        row = table[size]
        for f in sorted(row):
            if not f.endswith("_1thread"):
                continue
            base = f[: -len("_1thread")]
            for par in (base + "_rayon", base + "_rayon_in_pool"):
                if par in row:
                    rows.append((size, par, row[f], row[par]))
    if rows:
        print("\n| size | parallel run | one thread | parallel | speed-up |")
        print("| --- | --- | --- | --- | --- |")
        for size, par, one, two in rows:
            print(f"| {size} | {par} | {fmt(one)} | {fmt(two)} | {one / two:.2f}× |")


if __name__ == "__main__":
    main()
