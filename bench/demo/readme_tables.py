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


def table(title, cells):
    """One row per method setting (first-seen order), one column per shot count in SHOTS that
    any row has."""
    rows = {}
    for c in cells:
        if c["shots"] in SHOTS:
            rows.setdefault(row_label(c), {})[c["shots"]] = c["mean"]
    used = [s for s in SHOTS if any(s in r for r in rows.values())]
    lines = [f"| {title} | " + " | ".join(f"{s} shot{'' if s == 1 else 's'}" for s in used) + " |",
             "| --- |" + " ---: |" * len(used)]
    for label, r in rows.items():
        lines.append(f"| {label} | " + " | ".join(
            f"{100 * r[s]:.1f}%" if s in r else "" for s in used) + " |")
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
    print(table("Fashion-MNIST, 10 classes", plain))
    print()
    print(table("shifted Fashion-MNIST", shift))
    print()
    print(table("FashionRef grounding", ground))
    print()
    print(table("shifted FashionRef grounding", ground_shift))
    return 0


if __name__ == "__main__":
    sys.exit(main())
