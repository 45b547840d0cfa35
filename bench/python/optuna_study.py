"""Optuna's trials_dataframe() on a 100,000-trial study in SQLite storage.

The study is made by Optuna itself (create_study, two trials run through optimize(), so
the schema, the study and the rows are Optuna's own), then grown to N trials by copying
those rows' shape with plain SQL inserts in one transaction (creating 100,000 trials
through Optuna's storage API takes about an hour here). Each trial carries what the
chromatune bench store carries: the drawn `value` (float), `shots` (int) and the replicate
seeds (`data_seed`, `train_seed` as user attributes), its objective value and its times.
Only load_study() + trials_dataframe() is measured.

Usage: /usr/bin/python3 optuna_study.py --dir DIR [--trials 100000] [--repeats 3]
Prints one JSON line per measurement.
"""

import argparse
import datetime
import json
import os
import random
import sqlite3
import time

import optuna


def build(path, n):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = "sqlite:///" + path
    study = optuna.create_study(study_name="bench", storage=url, direction="maximize")

    def objective(trial):
        value = trial.suggest_float("value", 0.2, 0.9)
        trial.suggest_int("shots", 1, 16, log=True)
        trial.set_user_attr("data_seed", 1)
        trial.set_user_attr("train_seed", 1)
        return value

    study.optimize(objective, n_trials=2)
    db = sqlite3.connect(path)
    (study_id,) = db.execute("SELECT study_id FROM studies WHERE study_name = 'bench'").fetchone()
    dists = dict(db.execute("SELECT param_name, distribution_json FROM trial_params "
                            "WHERE trial_id = 1").fetchall())
    rng = random.Random(1)
    start = datetime.datetime(2026, 1, 1)
    trials, params, values, attrs = [], [], [], []
    shots = [1, 2, 4, 8, 16]
    for number in range(2, n):
        trial_id = number + 1
        t0 = start + datetime.timedelta(milliseconds=number)
        trials.append((trial_id, number, study_id, "COMPLETE", str(t0),
                       str(t0 + datetime.timedelta(milliseconds=1))))
        v = rng.uniform(0.2, 0.9)
        params.append((trial_id, "value", v, dists["value"]))
        params.append((trial_id, "shots", float(shots[number % 5]), dists["shots"]))
        values.append((trial_id, 0, v, "FINITE"))
        attrs.append((trial_id, "data_seed", json.dumps(number % 10 + 1)))
        attrs.append((trial_id, "train_seed", json.dumps(number % 5 + 1)))
    with db:
        db.executemany("INSERT INTO trials(trial_id, number, study_id, state, datetime_start, "
                       "datetime_complete) VALUES (?, ?, ?, ?, ?, ?)", trials)
        db.executemany("INSERT INTO trial_params(trial_id, param_name, param_value, "
                       "distribution_json) VALUES (?, ?, ?, ?)", params)
        db.executemany("INSERT INTO trial_values(trial_id, objective, value, value_type) "
                       "VALUES (?, ?, ?, ?)", values)
        db.executemany("INSERT INTO trial_user_attributes(trial_id, key, value_json) "
                       "VALUES (?, ?, ?)", attrs)
    db.close()
    return url


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--trials", type=int, default=100000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    path = os.path.join(a.dir, "optuna.db")
    t0 = time.perf_counter()
    url = build(path, a.trials)
    print(json.dumps({"what": "optuna study written (setup, not measured)",
                      "trials": a.trials, "seconds": round(time.perf_counter() - t0, 2)}))
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        study = optuna.load_study(study_name="bench", storage=url)
        df = study.trials_dataframe()
        seconds = time.perf_counter() - t0
        print(json.dumps({"what": "optuna load_study + trials_dataframe()", "rows": len(df),
                          "columns": len(df.columns), "seconds": round(seconds, 3)}),
              flush=True)


if __name__ == "__main__":
    main()
