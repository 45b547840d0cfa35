#!/usr/bin/python3
"""Writes tests/data/stats_reference.json: reference values for storage/stats.

Computed independently of the C++ code with Debian's python3-scipy (1.10), python3-numpy
(1.24) and python3-mpmath (1.2):
- distribution functions (Student-t cdf/sf/pdf/quantile, normal) with mpmath at 50
  significant digits. scipy 1.10's t.ppf (cdflib's stdtrit) is accurate to
  only ~1e-9 relative (e.g. t.ppf(0.995, 3) = 5.84090929975643 vs 5.84090930973336) and
  returns ~7e-17 for ppf(0.5), so it cannot serve as a 1e-9 reference for quantiles or
  confidence intervals;
- tests with scipy.stats.ttest_rel and scipy.stats.wilcoxon (on differences rounded to
  12 decimals, see wilcoxons()); confidence intervals as
  mean +- (mpmath t quantile) * scipy.stats.sem;
- Holm-Bonferroni in numpy from its textbook definition (the step-down loop);
- the replicate model (storage/replicate_model.h) in numpy by another route: mean squares
  as differences of least-squares residual sums of squares of dummy-variable models.
Run from the repository root:

    /usr/bin/python3 tests/data/make_stats_reference.py

The output is deterministic (seeded); tests/storage/stats_test.cc compares every value
to 1e-9 relative (absolute for values below 1e-300).
"""
import json
import os
import sys

import mpmath as mp
import numpy as np
import scipy
from scipy import stats

mp.mp.dps = 50


def floats(xs):
    return [float(v) for v in xs]


def samples(rng):
    """Accuracy-like samples: multiples of 1/500, as a test set of 500 items gives."""
    out = [
        [0.5],
        [0.71, 0.74],
        [0.812, 0.79, 0.834, 0.802, 0.776],
        floats(np.round(rng.normal(0.6, 0.05, 16) * 500) / 500),
        floats(rng.normal(10.0, 3.0, 40)),
        [1e6 + 0.1, 1e6 + 0.2, 1e6 + 0.4],
    ]
    return out


def moments(rng):
    rows = []
    for xs in samples(rng):
        for ddof in (0, 1):
            row = {"x": xs, "ddof": ddof, "mean": float(np.mean(xs))}
            if len(xs) > ddof:
                row["var"] = float(np.var(xs, ddof=ddof))
                row["std"] = float(np.std(xs, ddof=ddof))
            rows.append(row)
    return rows


def mp_betainc(a, b, x):
    return mp.betainc(mp.mpf(a), mp.mpf(b), 0, mp.mpf(x), regularized=True)


def mp_t_tail(t, df):
    """P(T > |t|), without cancellation."""
    t, df = mp.mpf(t), mp.mpf(df)
    if t == 0:
        return mp.mpf(1) / 2
    return mp_betainc(df / 2, mp.mpf(1) / 2, df / (df + t * t)) / 2


def mp_t_sf(t, df):
    return mp_t_tail(t, df) if t >= 0 else 1 - mp_t_tail(t, df)


def mp_t_cdf(t, df):
    return mp_t_tail(t, df) if t <= 0 else 1 - mp_t_tail(t, df)


def mp_t_pdf(t, df):
    t, df = mp.mpf(t), mp.mpf(df)
    return (mp.gamma((df + 1) / 2) / (mp.sqrt(df * mp.pi) * mp.gamma(df / 2))
            * (1 + t * t / df) ** (-(df + 1) / 2))


def mp_t_ppf(p, df):
    """Bisection on the 50-digit sf in the tail q = min(p, 1 - p)."""
    p = mp.mpf(p)
    if p == mp.mpf(1) / 2:
        return mp.mpf(0)
    q = p if p < 0.5 else 1 - p
    lo, hi = mp.mpf(0), mp.mpf(1)
    while mp_t_sf(hi, df) > q:
        lo, hi = hi, hi * 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if mp_t_sf(mid, df) > q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2 * (-1 if p < 0.5 else 1)


def student_t():
    rows = []
    for df in (1.0, 2.0, 3.0, 4.5, 9.0, 29.0, 200.0, 1000.0):
        for t in (-40.0, -3.2, -1.0, -1e-4, 0.0, 0.3, 1.96, 2.7764451051977987, 12.0, 1e3):
            rows.append({"df": df, "t": t, "cdf": float(mp_t_cdf(t, df)),
                         "sf": float(mp_t_sf(t, df)),
                         "pdf": float(mp_t_pdf(t, df))})
    return rows


def student_t_quantiles():
    rows = []
    for df in (1.0, 2.0, 3.0, 4.5, 9.0, 29.0, 200.0, 1000.0):
        for p in (1e-10, 1e-4, 0.025, 0.2, 0.5, 0.6, 0.95, 0.975, 0.995, 1 - 1e-9):
            rows.append({"df": df, "p": p, "q": float(mp_t_ppf(p, df))})
    return rows


def normal():
    return [{"z": z, "cdf": float(mp.ncdf(z)), "sf": float(mp.ncdf(-z))}
            for z in (-8.0, -1.5, 0.0, 0.4, 1.959963984540054, 6.0, 20.0)]


def t_interval(xs, level):
    half = float(mp_t_ppf(0.5 + level / 2, len(xs) - 1)) * float(stats.sem(xs))
    return float(np.mean(xs)) - half, float(np.mean(xs)) + half


def confidence_intervals(rng):
    rows = []
    for xs in samples(rng):
        if len(xs) < 2:
            continue
        for level in (0.95, 0.9):
            lo, hi = t_interval(xs, level)
            rows.append({"x": xs, "level": level, "lo": float(lo), "hi": float(hi)})
    return rows


def paired_pairs(rng):
    """(name, x, y): accuracy-like paired samples."""
    def acc(mu, n, sd=0.03):
        return floats(np.round(np.clip(rng.normal(mu, sd, n), 0, 1) * 1000) / 1000)

    x8 = acc(0.7, 8)
    return [
        ("n3", [0.71, 0.74, 0.69], [0.66, 0.70, 0.70]),
        ("n5_positive", [0.8, 0.82, 0.85, 0.79, 0.9], [0.7, 0.75, 0.76, 0.74, 0.8]),
        ("n8", x8, acc(0.68, 8)),
        ("n12", acc(0.6, 12), acc(0.62, 12)),
        ("n20_shift", acc(0.55, 20), acc(0.5, 20)),
        ("n60", acc(0.7, 60, 0.05), acc(0.69, 60, 0.05)),
        ("ties", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [0.0, 1.0, 1.0, 5.0, 3.0, 3.0, 2.0]),
        ("zeros_and_ties", [5.0, 3.0, 4.0, 4.0, 6.0, 8.0, 2.0, 9.0, 1.0, 7.0, 6.0],
         [5.0, 1.0, 4.0, 2.0, 4.0, 3.0, 2.0, 5.0, 3.0, 1.0, 4.0]),
        ("all_tied", [2.0, 2.0, 2.0, 2.0], [1.0, 1.0, 1.0, 1.0]),
        # Continuous values: no ties, the exact distribution.
        ("n15_exact", floats(rng.normal(0.7, 0.03, 15)), floats(rng.normal(0.68, 0.03, 15))),
        ("n40_exact", floats(rng.normal(0.7, 0.03, 40)), floats(rng.normal(0.69, 0.03, 40))),
    ]


def ttests(pairs):
    rows = []
    for name, x, y in pairs:
        if name == "all_tied":
            continue
        res = stats.ttest_rel(x, y)
        d = np.subtract(x, y)
        lo, hi = t_interval(d, 0.95)
        rows.append({"name": name, "x": x, "y": y, "t": float(res.statistic),
                     "p": float(res.pvalue), "mean_diff": float(np.mean(d)),
                     "ci_lo": float(lo), "ci_hi": float(hi)})
    return rows


def wilcoxons(pairs):
    rows = []
    for name, x, y in pairs:
        # Differences rounded to 12 decimals, so that floating-point noise (0.8 - 0.7 vs
        # 0.85 - 0.75) does not split real ties; the C++ side runs these rows with
        # WilcoxonOptions::tolerance = 1e-12, as reports do.
        d = np.round(np.subtract(x, y), 12)
        nonzero = d[d != 0]
        ties = len(np.unique(np.abs(nonzero))) < len(nonzero)
        exact = len(nonzero) == len(d) and not ties and len(d) <= 50
        for correction in (True, False):
            # Exact distribution where it is valid (scipy's default method="auto" picks it
            # for n <= 50 without zeros); the normal approximation with tie correction for
            # ties or zeros (scipy 1.10's "auto" would still use the exact table with ties,
            # truncating tied ranks, which the C++ code deliberately does not).
            method = "exact" if exact else "approx"
            res = stats.wilcoxon(d, zero_method="wilcox", correction=correction,
                                 alternative="two-sided", method=method)
            rows.append({"name": name, "x": x, "y": y, "correction": correction,
                         "exact": exact, "statistic": float(res.statistic),
                         "p": float(res.pvalue)})
    return rows


def holm_reference(p):
    """Holm's step-down procedure, written from its definition."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (m - k) * p[i]))
        adjusted[i] = running
    return adjusted


def holm(rng):
    cases = [[0.01], [0.01, 0.04, 0.03, 0.005], [0.5, 0.2, 0.9, 0.04, 0.04],
             floats(rng.uniform(0, 0.2, 7)), [0.3, 0.6]]
    return [{"p": c, "adjusted": floats(holm_reference(c))} for c in cases]


def replicate_model_reference(trials):
    """The replicate model (storage/replicate_model.h) by another route: mean squares of the
    complete two-way table of pair means as differences of least-squares residual sums of
    squares of nested dummy-variable models (numpy.linalg.lstsq), the within-pair variance
    from numpy's per-pair variances, the interval with the 50-digit t quantile."""
    pairs = {}
    for b, d, v in trials:
        pairs.setdefault((b, d), []).append(v)
    backbones = sorted({b for b, _ in pairs})
    data = sorted(d for d in {d for _, d in pairs} if all((b, d) in pairs for b in backbones))
    nb, nd = len(backbones), len(data)
    cells = [(i, j, float(np.mean(pairs[(b, d)]))) for i, b in enumerate(backbones)
             for j, d in enumerate(data)]
    y = np.array([c[2] for c in cells])

    def rss(use_b, use_d):
        cols = [np.ones(len(cells))]
        if use_b:
            cols += [np.array([c[0] == i for c in cells], float) for i in range(1, nb)]
        if use_d:
            cols += [np.array([c[1] == j for c in cells], float) for j in range(1, nd)]
        x = np.column_stack(cols)
        beta = np.linalg.lstsq(x, y, rcond=None)[0]
        return float(np.sum((y - x @ beta) ** 2))

    nan = float("nan")
    full = rss(True, True)
    ms_b = (rss(False, True) - full) / (nb - 1) if nb > 1 and nd > 1 else nan
    ms_d = (rss(True, False) - full) / (nd - 1) if nb > 1 and nd > 1 else nan
    ms_r = full / ((nb - 1) * (nd - 1)) if nb > 1 and nd > 1 else nan
    if nb == 1 or nd == 1:
        ms = float(np.var(y, ddof=1))  # the one-way case
        ms_b, ms_d = (ms, nan) if nb > 1 else (nan, ms)
        variance, df = ms / len(y), len(y) - 1.0
        terms = []
    else:
        keep_b, keep_d = ms_b > ms_r, ms_d > ms_r
        terms = [(1.0 if keep_b else 0.0, ms_b, nb - 1.0), (1.0 if keep_d else 0.0, ms_d, nd - 1.0),
                 (1.0 - keep_b - keep_d, ms_r, (nb - 1.0) * (nd - 1.0))]
        total = sum(c * m for c, m, _ in terms)
        variance = total / (nb * nd)
        df = total ** 2 / sum((c * m) ** 2 / f for c, m, f in terms if c != 0)
    half = float(mp_t_ppf(mp.mpf("0.975"), mp.mpf(df))) * np.sqrt(variance)
    mean = float(np.mean(y))
    # Variance components.
    within = [v for vals in pairs.values() for v in (np.asarray(vals) - np.mean(vals))]
    var_e = float(np.sum(np.square(within)) / (len(trials) - len(pairs)))
    k = float(np.mean([1.0 / len(pairs[(b, d)]) for b in backbones for d in data]))
    if nb > 1 and nd > 1:
        var_b = max(0.0, (ms_b - ms_r) / nd)
        var_d = max(0.0, (ms_d - ms_r) / nb) + max(0.0, ms_r - k * var_e)
    elif nb > 1:
        var_b, var_d = max(0.0, ms_b - k * var_e), nan
    else:
        var_b, var_d = nan, max(0.0, ms_d - k * var_e)
    total_var = var_e + sum(v for v in (var_b, var_d) if v == v)
    row = {"mean": mean, "ms_backbone": ms_b, "ms_data": ms_d, "ms_residual": ms_r,
            "variance": float(variance), "df": float(df), "ci_lo": mean - half,
            "ci_hi": mean + half, "pairs_left_out": len(pairs) - nb * nd,
            "var_backbone": var_b, "var_data": var_d, "var_train": var_e,
            "share_backbone": var_b / total_var, "share_data": var_d / total_var,
            "share_train": var_e / total_var}
    # Not estimable: null in the JSON (NaN is not JSON).
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}


def replicate_models():
    rng = np.random.default_rng(20261207)

    def simulate(nb, nd, train, sd_b, sd_d, sd_bd, sd_e, extra=()):
        trials = []
        eff_d = rng.normal(0, sd_d, nd)
        for b in range(nb):
            eff_b = rng.normal(0, sd_b)
            for d in range(nd):
                pair = 0.6 + eff_b + eff_d[d] + rng.normal(0, sd_bd)
                for _ in range(train(b, d)):
                    trials.append([10 + b, 100 + d, float(pair + rng.normal(0, sd_e))])
        return trials + [list(t) for t in extra]

    cases = {
        "crossed": simulate(3, 4, lambda b, d: 2, 0.03, 0.02, 0.01, 0.01),
        # Unbalanced train seeds; data seed 999 only under backbone 10: left out of the table.
        "unbalanced": simulate(2, 3, lambda b, d: 1 + (b + d) % 3, 0.02, 0.03, 0.01, 0.02,
                               extra=[(10, 999, 0.5)]),
        "one_backbone": simulate(1, 5, lambda b, d: 3, 0.0, 0.03, 0.0, 0.01),
        "one_data_seed": simulate(4, 1, lambda b, d: 2, 0.03, 0.0, 0.0, 0.01),
        # Every data seed has the same mean over backbones, so MS_D = 0 < MS_R: var_D is
        # truncated at 0 (and MS_D leaves the variance of the mean).
        "truncated": [[b, d, m + e] for b, means in ((1, (0.60, 0.64, 0.62)),
                                                      (2, (0.70, 0.66, 0.68)))
                      for d, m in enumerate(means) for e in (0.005, -0.005)],
    }
    return [{"name": name, "trials": trials, **replicate_model_reference(trials)}
            for name, trials in cases.items()]


def main():
    rng = np.random.default_rng(20261127)
    pairs = paired_pairs(rng)  # the same pairs for both tests
    out = {
        "generator": "tests/data/make_stats_reference.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "mpmath": mp.__version__,
        "moments": moments(rng),
        "student_t": student_t(),
        "student_t_quantiles": student_t_quantiles(),
        "normal": normal(),
        "confidence_intervals": confidence_intervals(rng),
        "paired_t": ttests(pairs),
        "wilcoxon": wilcoxons(pairs),
        "holm": holm(rng),
        "replicate_model": replicate_models(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stats_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
