#!/usr/bin/env python3
"""Best accuracy found against compute spent (trial-epochs) for grid, random, TPE, ASHA and
TPE+ASHA searches run by chromatune, and for Optuna (TPE + SuccessiveHalvingPruner) on the
same objective and budget. Builtin tiny-clip on Fashion-MNIST, tuning on the val split and
reporting test accuracy of the configuration chosen on val, over 3 data seeds.

  CHROMATUNE_EXE=build/chromatune bench/search/search_bench.py [--space coop|finetune|all]
      [--workers 2] [--out runs/bench-search] [--optuna]

Needs a LibTorch build of chromatune ($CHROMATUNE_EXE); --optuna needs Debian's
python3-optuna. Writes OUT/results.json and prints a Markdown table for docs/benchmarks.md.

Compute is counted in trial-epochs: a done trial costs its epochs, a stopped one the epochs
it trained (info.epochs_run). The grid's best (the reference) is the configuration with the
best mean val accuracy over the data seeds; "gap" is its test accuracy minus the chosen one's.

Optuna arm: Optuna has no way to stop a chromatune trial mid-run, so each rung runs as its own
`chromatune trial` with epochs = the rung's resource (a restart, as users of Optuna without
checkpoints do); its trial-epochs count every one of those runs. Each Optuna trial is the
mean over the same 3 data seeds (the paired objective); Optuna's pruner sees that mean.
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time

EXE = os.environ.get("CHROMATUNE_EXE", "build/chromatune")
DATA_SEEDS = [1, 2, 3]
SHOTS = 4
MAX_EPOCHS = 27
ASHA = {"name": "asha", "resource": "epochs", "min": 3, "max": MAX_EPOCHS, "eta": 3}

# The spaces of the issue: lr, weight decay, ctx_len (CoOp) / last_k_blocks (fine-tuning);
# epochs is the resource (max) in every arm.
SPACES = {
    "coop": {"grid": {"lr": [0.0005, 0.002, 0.008, 0.032], "ctx_len": [4, 8, 16],
                      "weight_decay": [0.0, 0.0005]},
             "dist": {"lr": {"log_uniform": [0.0005, 0.032]}, "ctx_len": {"choice": [4, 8, 16]},
                      "weight_decay": {"choice": [0.0, 0.0005]}}},
    "finetune": {"grid": {"lr": [1.0e-5, 3.0e-5, 1.0e-4, 3.0e-4], "last_k_blocks": [0, 1, 2],
                          "weight_decay": [0.0, 0.01]},
                 "dist": {"lr": {"log_uniform": [1.0e-5, 3.0e-4]},
                          "last_k_blocks": {"choice": [0, 1, 2]},
                          "weight_decay": {"choice": [0.0, 0.01]}}},
}
GRID_SIZE = 24  # 4 x 3 x 2 configurations per space
SAMPLES = 24    # random and TPE: as many configurations as the grid (ASHA makes them cheaper)


def yaml_value(v):
    return json.dumps(v)


def sweep_yaml(name, method, params, search, epochs=None):
    lines = [f"name: {name}", "task: classification",
             "dataset: {source: fashion-mnist, eval: {split: [val, test]}}",
             "backbone: builtin:tiny-clip", f"shots: [{SHOTS}]",
             f"replicates: {{data_seeds: {DATA_SEEDS}, train_seeds: [1]}}", "methods:",
             f"  - name: {method}"]
    for k, v in params.items():
        lines.append(f"    {k}: {yaml_value(v)}")
    if epochs is not None:
        lines.append(f"    epochs: {epochs}")
    lines.append(f"search: {json.dumps(search)}")
    lines.append("objective: {metric: accuracy/val, mode: max}")
    return "\n".join(lines) + "\n"


def run_sweep(out, name, text, workers):
    path = os.path.join(out, name + ".yaml")
    db = os.path.join(out, name + ".db")
    with open(path, "w") as f:
        f.write(text)
    start = time.time()
    subprocess.run([EXE, "run", path, "--db", db, "--workers", str(workers)], check=True,
                   stdout=subprocess.DEVNULL)
    return db, time.time() - start


def curve_from_store(db):
    """(trial-epochs so far, best val mean so far, its test mean) after each finished config."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT t.id, t.state, t.params_json, t.info_json, t.updated_ms, "
        " (SELECT value FROM metrics m WHERE m.trial_id = t.id AND m.name = 'accuracy/val'), "
        " (SELECT value FROM metrics m WHERE m.trial_id = t.id AND m.name = 'accuracy/test') "
        "FROM trials t WHERE t.state IN ('done', 'stopped') ORDER BY t.updated_ms, t.id").fetchall()
    configs, spent, curve = {}, 0, []
    best = (-1.0, None, None)
    for _id, state, params, info, _ms, val, test in rows:
        p = json.loads(params)
        info = json.loads(info) if info else {}
        spent += info.get("epochs_run", p.get("epochs", 0)) if state == "stopped" else p.get("epochs", 0)
        key = json.dumps({k: v for k, v in p.items()}, sort_keys=True)
        c = configs.setdefault(key, {"val": [], "test": [], "stopped": False})
        c["stopped"] |= state == "stopped"
        if state == "done" and val is not None:
            c["val"].append(val)
            c["test"].append(test)
        if not c["stopped"] and len(c["val"]) == len(DATA_SEEDS):
            mean_val = sum(c["val"]) / len(c["val"])
            if mean_val > best[0]:
                best = (mean_val, sum(c["test"]) / len(c["test"]), key)
        curve.append((spent, best[0], best[1]))
    return curve


def optuna_arm(out, method, space, budget):
    import optuna
    rungs = [3, 9]  # min 3, eta 3, below max 27
    spent = [0]
    history = []

    def run_trial(params, epochs, seed):
        item = json.loads(subprocess.run(
            [EXE, "sweep", "plan", os.path.join(out, "optuna-probe.yaml"), "--format", "json"],
            check=True, capture_output=True, text=True).stdout)["items"][0]
        item["params"].update(params)
        item["params"]["epochs"] = epochs
        item["data_seed"] = seed
        r = json.loads(subprocess.run([EXE, "trial", "--spec", json.dumps(item)], check=True,
                                      capture_output=True, text=True).stdout)
        spent[0] += epochs
        return r["metrics"]["accuracy/val"], r["metrics"].get("accuracy/test")

    with open(os.path.join(out, "optuna-probe.yaml"), "w") as f:
        f.write(sweep_yaml("optuna-probe", method, {}, {"mode": "grid"}, epochs=MAX_EPOCHS))

    def objective(trial):
        params = {}
        for name, dist in space["dist"].items():
            if "log_uniform" in dist:
                params[name] = trial.suggest_float(name, *dist["log_uniform"], log=True)
            else:
                params[name] = trial.suggest_categorical(name, dist["choice"])
        for step, epochs in enumerate(rungs + [MAX_EPOCHS]):
            vals = [run_trial(params, epochs, s) for s in DATA_SEEDS]
            mean_val = sum(v for v, _ in vals) / len(vals)
            if epochs == MAX_EPOCHS:
                test = sum(t for _, t in vals) / len(vals)
                history.append((spent[0], mean_val, test))
                return mean_val
            trial.report(mean_val, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return mean_val

    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=0),
                                pruner=optuna.pruners.SuccessiveHalvingPruner(
                                    min_resource=1, reduction_factor=3))
    start = time.time()
    while spent[0] < budget:
        study.optimize(objective, n_trials=1)
    curve, best = [], (-1.0, None)
    for s, v, t in history:
        if v > best[0]:
            best = (v, t)
        curve.append((s, best[0], best[1]))
    return curve, time.time() - start


def best_at(curve, budget):
    """(val, test) of the best configuration found within `budget` trial-epochs."""
    best = (-1.0, None)
    for spent, val, test in curve:
        if spent <= budget:
            best = (val, test)
    return best


def first_within(curve, target):
    """Trial-epochs spent when the best val first reached `target`; None if never."""
    for spent, val, _ in curve:
        if val >= target:
            return spent
    return None


def table(results):
    """The Markdown table of docs/benchmarks.md from {(space, arm): (curve, wall_s)}. The goal
    (issue 17): within 0.5 points of the full grid's best val at <= 1/3 of its trial-epochs."""
    lines = ["| space | search | trial-epochs | best val (3 data seeds) | its test | test gap to "
             "grid's choice | best val at 1/3 of grid's budget | trial-epochs to within 0.5 pt "
             "of grid's best val | wall s |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for (method, arm), (curve, wall) in results.items():
        grid_curve = results[(method, "grid")][0]
        grid_spent, grid_val, grid_test = grid_curve[-1]
        spent, val, test = curve[-1] if curve else (0, float("nan"), None)
        gap = (grid_test - test) * 100 if test is not None and grid_test is not None else float("nan")
        third_val, _ = best_at(curve, grid_spent / 3)
        reached = first_within(curve, grid_val - 0.005)
        reached_text = "never" if reached is None else f"{reached} ({reached / grid_spent:.0%})"
        lines.append(f"| {method} | {arm} | {spent} | {val:.4f} | "
                     f"{'-' if test is None else round(test, 4)} | {gap:+.2f} pt | "
                     f"{'-' if third_val < 0 else round(third_val, 4)} | {reached_text} | "
                     f"{wall:.0f} |")
    return lines


def tabulate(files):
    """The table from results.json files of earlier runs (--tabulate)."""
    results = {}
    for path in files:
        with open(path) as f:
            for key, entry in json.load(f).items():
                method, arm = key.split("/", 1)
                results[(method, arm)] = ([tuple(p) for p in entry["curve"]], entry["wall_s"])
    for line in table(results):
        print(line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tabulate", nargs="+", metavar="RESULTS_JSON",
                    help="print the table of earlier runs' results.json files and exit")
    ap.add_argument("--space", default="all", choices=["coop", "finetune", "all"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="runs/bench-search")
    ap.add_argument("--optuna", action="store_true")
    args = ap.parse_args()
    if args.tabulate:
        return tabulate(args.tabulate)
    os.makedirs(args.out, exist_ok=True)
    results = {}
    for method in (["coop", "finetune"] if args.space == "all" else [args.space]):
        space = SPACES[method]
        arms = {
            "grid": (space["grid"], {"mode": "grid"}, MAX_EPOCHS),
            "random": (space["dist"], {"mode": "random", "samples": SAMPLES, "seed": 1}, MAX_EPOCHS),
            "tpe": (space["dist"], {"mode": "tpe", "samples": SAMPLES, "seed": 1, "n_startup": 8},
                    MAX_EPOCHS),
            "asha": (space["grid"], {"mode": "grid", "scheduler": ASHA}, None),
            "tpe+asha": (space["dist"], {"mode": "tpe", "samples": SAMPLES, "seed": 1,
                                         "n_startup": 8, "scheduler": ASHA}, None),
        }
        for arm, (params, search, epochs) in arms.items():
            name = f"{method}-{arm.replace('+', '-')}"
            db, wall = run_sweep(args.out, name, sweep_yaml(name, method, params, search, epochs),
                                 args.workers)
            results[(method, arm)] = (curve_from_store(db), wall)
            print(f"{name}: {results[(method, arm)][0][-1]} in {wall:.0f} s", file=sys.stderr)
        if args.optuna:
            grid_spent = results[(method, "grid")][0][-1][0]
            results[(method, "optuna")] = optuna_arm(args.out, method, space, grid_spent / 3)
    for line in table(results):
        print(line)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({f"{m}/{a}": {"curve": c, "wall_s": w} for (m, a), (c, w) in results.items()},
                  f, indent=1)


if __name__ == "__main__":
    main()
