#!/usr/bin/env python3
"""A small methods x shots study for docs/results.md: runs `chromatune trial` once per item
(classification on fashion-mnist and fashion-mnist-shift, grounding on fashion-ref and
fashion-ref-shift), appends each result to a JSON-lines file (so an interrupted study resumes
where it stopped) and prints markdown tables of mean accuracy +- 95% CI (Student t) over the
data seeds.

Usage: study.py --bin build/chromatune --out study.jsonl [--backbone NAME] [--seeds 1,2,3]
                [--shots 1,4,16] [--epochs-scale 0.25] [--eval-size 500] [--tables-only]
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
       9: 2.262}
COOP_EPOCHS = {1: 50, 2: 100, 4: 100, 8: 200, 16: 200}

CLASSIFICATION = [("zero-shot", {}, False), ("ensemble", {}, False),
                  ("coop", {"ctx_len": 8}, True), ("linear-probe", {}, True),
                  ("finetune", {}, True)]
GROUNDING = [("zero-shot", {}, False), ("red-circle", {}, False), ("cpt", {}, False),
             ("cpt", {"palette": "cpt-5"}, False), ("cpt", {"lr": 0.01}, True),
             ("finetune", {}, True)]


def items(args):
    seeds = [int(s) for s in args.seeds.split(",")]
    shots = [int(s) for s in args.shots.split(",")]
    for task, datasets, methods, unit in [
            ("classification", ["fashion-mnist", "fashion-mnist-shift"], CLASSIFICATION,
             "per_class"),
            ("grounding", ["fashion-ref", "fashion-ref-shift"], GROUNDING, "total")]:
        for dataset in datasets:
            for method, params, trains in methods:
                for k in (shots if trains else [0]):
                    for seed in (seeds if trains else [0]):
                        p = dict(params)
                        if trains:
                            base = COOP_EPOCHS.get(k, 200) if method != "linear-probe" else 200
                            p["epochs"] = max(1, int(base * args.epochs_scale))
                        yield {"task": task, "dataset": dataset, "backbone": args.backbone,
                               "method": method, "shots": k, "shot_unit": unit,
                               "data_seed": seed, "train_seed": 1, "params": p,
                               "eval_size": args.eval_size}


def label(item):
    m = item["method"]
    if m == "cpt":
        m += " palette" if "palette" in item["params"] else ""
        m += " tuned" if item["params"].get("epochs", 0) > 0 else ""
    return m


def key(item):
    return json.dumps(item, sort_keys=True)


def tables(results):
    groups = {}
    for item, acc in results:
        groups.setdefault((item["task"], item["dataset"]), {}).setdefault(
            (label(item), item["shots"]), []).append(acc)
    out = []
    for (task, dataset), cells in sorted(groups.items()):
        shots = sorted({k for _, k in cells})
        methods = []
        for m, _ in cells:
            if m not in methods:
                methods.append(m)
        out.append(f"\n### {task}: {dataset}\n")
        out.append("| method | " + " | ".join(f"K={k}" for k in shots) + " |")
        out.append("| --- | " + " | ".join("---" for _ in shots) + " |")
        for m in methods:
            row = []
            for k in shots:
                v = cells.get((m, k))
                if not v:
                    row.append("")
                elif len(v) == 1:
                    row.append(f"{100 * v[0]:.1f}")
                else:
                    half = T95.get(len(v) - 1, 1.96) * statistics.stdev(v) / math.sqrt(len(v))
                    row.append(f"{100 * statistics.mean(v):.1f} ± {100 * half:.1f} (n={len(v)})")
            out.append(f"| {m} | " + " | ".join(row) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--backbone", default="builtin:tiny-clip")
    ap.add_argument("--cache-dir", default="runs/cache")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--shots", default="1,4,16")
    ap.add_argument("--epochs-scale", type=float, default=1.0)
    ap.add_argument("--eval-size", type=int, default=2000)
    ap.add_argument("--tables-only", action="store_true")
    args = ap.parse_args()
    done = {}
    if os.path.exists(args.out):
        for line in open(args.out):
            rec = json.loads(line)
            done[key(rec["item"])] = rec
    if not args.tables_only:
        for item in items(args):
            if key(item) in done:
                continue
            start = time.time()
            proc = subprocess.run([args.bin, "trial", "--quiet", "--cache-dir", args.cache_dir,
                                   "--spec", json.dumps(item)], capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"FAILED {json.dumps(item)}: {proc.stderr.strip()}", file=sys.stderr)
                continue
            res = json.loads(proc.stdout)
            rec = {"item": item, "accuracy": res["metrics"]["accuracy"],
                   "seconds": time.time() - start}
            done[key(item)] = rec
            with open(args.out, "a") as f:
                f.write(json.dumps(rec) + "\n")
            print(f"{label(item)} {item['dataset']} K={item['shots']} seed={item['data_seed']}: "
                  f"{rec['accuracy']:.3f} ({rec['seconds']:.0f} s)", file=sys.stderr, flush=True)
    print(tables([(r["item"], r["accuracy"]) for r in done.values()]))


if __name__ == "__main__":
    main()
