"""A worked example of analysing a chromatune store in Python (docs/analysis.md).

    /usr/bin/python3 docs/analysis_example.py runs/demo.sqlite --out accuracy.png

1. loads the store (read-only; a running coordinator is never blocked),
2. plots accuracy against shots for each method with the report's 95% intervals
   (the best setting of each method, by its mean at the largest shot count),
3. compares one method with the baseline paired by data seed, computing the paired
   differences from the trials and putting them next to the report's numbers.

Options: --sweep NAME (default: the sweep with the most finished trials), --method M
(default: the trained method with the best mean at the most shots), --baseline B (default
finetune), --metric (default accuracy), --out PNG (default analysis.png).
Needs Debian's python3-pandas, python3-matplotlib and the chromatune binary for the report
(CHROMATUNE_EXE, PATH, or build/chromatune).
"""

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import chromatune  # noqa: E402


def matches(frame, setting):
    """Rows of `frame` whose param.<name> columns equal the setting {name: value}."""
    keep = np.ones(len(frame), dtype=bool)
    for name, value in setting.items():
        column = frame["param." + name]
        keep &= column.isna().values if value is None else (column == value).fillna(False).values
    return frame[keep]


def swept_setting(row, columns):
    return {c[len("param."):]: (None if row[c] is None or row[c] != row[c] else row[c])
            for c in columns}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", nargs="?", default="runs/demo.sqlite")
    ap.add_argument("--sweep")
    ap.add_argument("--method")
    ap.add_argument("--baseline", default="finetune")
    ap.add_argument("--metric", default="accuracy")
    ap.add_argument("--out", default="analysis.png")
    a = ap.parse_args()

    # 1. Load.
    store = chromatune.open(a.db)
    sweeps = store.sweeps()
    sweep = a.sweep or sweeps.sort_values("n_done", ascending=False)["name"].iloc[0]
    trials = store.trials(sweep, states=["done"])
    print(f"{a.db}: sweep {sweep}: {len(trials)} finished trials")
    print(trials.groupby(["method", "shots"]).size().unstack(fill_value=0).to_string())

    # 2. Accuracy against shots with the report's intervals, best setting per method.
    cells = store.cells(sweep, metric=a.metric)
    param_columns = [c for c in cells.columns if c.startswith("param.")]
    most = cells["shots"].max()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    best = {}
    for method, group in cells.groupby("method"):
        top = group[group["shots"] == group["shots"].max()].sort_values("mean").iloc[-1]
        setting = swept_setting(top, param_columns)
        best[method] = (setting, top["mean"] if top["shots"] == most else -np.inf)
        line = matches(group, setting).sort_values("shots")
        lo = (line["mean"] - line["ci95_lo"]).fillna(0).clip(lower=0)
        hi = (line["ci95_hi"] - line["mean"]).fillna(0).clip(lower=0)
        label = method + "".join(f" {k}={v}" for k, v in setting.items() if v is not None)
        ax.errorbar(line["shots"], line["mean"], yerr=[lo, hi], marker="o", capsize=3,
                    label=label)
    ax.set_xscale("symlog", base=2, linthresh=1)
    ax.set_xlabel("shots")
    ax.set_ylabel(f"{a.metric} (mean, 95% CI over replicates)")
    ax.set_title(sweep)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(a.out, dpi=120)
    print(f"wrote {a.out}")

    # 3. One method against the baseline, paired by data seed.
    trained = [m for m in best if m != a.baseline and best[m][1] > -np.inf]
    method = a.method or max(trained, key=lambda m: best[m][1], default=None)
    if method is None or a.baseline not in best:
        print(f"no paired comparison: needs trained methods and the baseline {a.baseline}")
        return 0
    paired = store.paired(sweep, baseline=a.baseline, metric=a.metric)
    setting = best[method][0]
    rows = matches(paired[paired["method"] == method], setting).sort_values("shots")
    print(f"\n{method} - {a.baseline}, paired by data seed (train seeds averaged first):")
    print("shots  pairs  diff (trials)  diff (report)  95% CI (report)       p(t) Holm  p(W) Holm")
    for _, r in rows.iterrows():
        if not r["baseline_found"]:
            continue
        at = trials[trials["shots"] == r["shots"]]
        ours = matches(at[at["method"] == method], setting)
        base = at[at["method"] == a.baseline]
        for name, value in (r["baseline_params"] or {}).items():
            base = base[base["param." + name] == chromatune.param_value(value)]
        by_seed = (ours.groupby("data_seed")["metric." + a.metric].mean() -
                   base.groupby("data_seed")["metric." + a.metric].mean()).dropna()
        ci = "-" if np.isnan(r["ci95_lo"]) else f"[{r['ci95_lo']:+.4f}, {r['ci95_hi']:+.4f}]"
        print(f"{r['shots']:5d}  {len(by_seed):5d}  {by_seed.mean():+13.4f}  "
              f"{r['mean_diff']:+13.4f}  {ci:20s}  {r['p_t_holm']:9.3g}  "
              f"{r['p_wilcoxon_holm']:9.3g}")
        if len(by_seed) != r["n_pairs"] or abs(by_seed.mean() - r["mean_diff"]) > 1e-12:
            print("the trials and the report disagree", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
