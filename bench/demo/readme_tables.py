#!/usr/bin/env python3
"""The README's result tables from a demo store: mean accuracy over data seeds per method and
shot count, read from `chromatune report --format json` (the same numbers as docs/results.md).

Usage: bench/demo/readme_tables.py [--bin build/chromatune] [--db runs/demo.sqlite]
Prints four markdown tables: few-shot classification on plain and shifted Fashion-MNIST,
grounding on plain and shifted FashionRef."""

import argparse
import json
import subprocess
import sys

SHOTS = [0, 1, 4, 16]


def report(binary, db, sweep):
    out = subprocess.run([binary, "report", "--db", db, "--sweep", sweep, "--format", "json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["cells"]


def colour(params, key):
    v = (params or {}).get(key)
    if isinstance(v, dict):
        return v.get("name")
    if isinstance(v, list):
        return "palette"
    return None


def row_label(cell):
    m, p = cell["method"], cell.get("params") or {}
    if m == "cpt":
        what = "palette (5 colours)" if p.get("palette") else (colour(p, "color") or "?")
        tuned = p.get("epochs", 0) > 0
        return f"CPT {what}, {'prompt-tuned' if tuned else 'zero-shot'}"
    return {"zero-shot": 'zero-shot ("a photo of a {}.")', "ensemble": "ensemble (CLIP-7)",
            "coop": "CoOp (16 context vectors)", "vpt": "VPT (4 shallow tokens)",
            "linear-probe": "linear probe", "finetune": "fine-tuning",
            "red-circle": "red circle"}.get(m, m)


def table(title, columns):
    """columns: [(heading, cells)]; one row per label, in first-seen order."""
    rows, order = {}, []
    for ci, (_, cells) in enumerate(columns):
        for c in cells:
            if c["shots"] not in SHOTS:
                continue
            label = row_label(c)
            if label not in rows:
                rows[label] = {}
                order.append(label)
            rows[label][(ci, c["shots"])] = c["mean"]
    heads = [f"{h} {s} shot{'s' if s != 1 else ''}" if h else f"{s} shot{'s' if s != 1 else ''}"
             for h, _ in columns for s in SHOTS]
    keys = [(ci, s) for ci in range(len(columns)) for s in SHOTS]
    used = [k for k in keys if any(k in rows[r] for r in order)]
    lines = [f"| {title} | " + " | ".join(heads[keys.index(k)] for k in used) + " |",
             "| --- |" + " ---: |" * len(used)]
    for r in order:
        lines.append(f"| {r} | " + " | ".join(
            f"{100 * rows[r][k]:.1f}%" if k in rows[r] else "" for k in used) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/chromatune")
    ap.add_argument("--db", default="runs/demo.sqlite")
    a = ap.parse_args()
    plain = report(a.bin, a.db, "demo-classification")
    shift = report(a.bin, a.db, "demo-classification-shift")
    ground = report(a.bin, a.db, "demo-grounding")
    ground_shift = report(a.bin, a.db, "demo-grounding-shift")
    print(table("Fashion-MNIST, 10 classes", [("", plain)]))
    print()
    print(table("shifted Fashion-MNIST", [("", shift)]))
    print()
    print(table("FashionRef grounding", [("", ground)]))
    print()
    print(table("shifted FashionRef grounding", [("", ground_shift)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
