"""Optuna 3.1 side of the dispatch benchmark: P processes run a no-op objective against one
study in shared storage (SQLite or a journal file) until the study holds N trials.
Prints one JSON line: {"storage", "processes", "trials", "seconds", "trials_per_s",
"failed_processes", "errors"}. Failures are recorded as they happen, not hidden."""

import argparse
import json
import multiprocessing as mp
import os
import time
import traceback

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)


def make_storage(kind, path):
    if kind == "sqlite":
        return optuna.storages.RDBStorage(f"sqlite:///{path}")
    return optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(path))


def worker(kind, path, study_name, per_process, errors):
    try:
        study = optuna.load_study(study_name=study_name, storage=make_storage(kind, path))
        study.optimize(lambda trial: trial.suggest_float("x", 0, 1) * 0.0, n_trials=per_process)
    except Exception as e:  # recorded, the run goes on
        errors.put(f"{type(e).__name__}: {e}".splitlines()[0][:300])
        traceback.print_exc()
        raise SystemExit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--storage", choices=["sqlite", "journal"], required=True)
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--processes", type=int, default=4)
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    path = os.path.join(a.dir, f"optuna-{a.storage}.{'db' if a.storage == 'sqlite' else 'log'}")
    for p in (path, path + ".lock"):
        if os.path.exists(p):
            os.remove(p)
    name = "noop"
    optuna.create_study(study_name=name, storage=make_storage(a.storage, path))
    errors = mp.Queue()
    per = a.trials // a.processes
    procs = [mp.Process(target=worker, args=(a.storage, path, name, per, errors))
             for _ in range(a.processes)]
    start = time.time()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    seconds = time.time() - start
    failed = sum(1 for p in procs if p.exitcode != 0)
    errs = []
    while not errors.empty():
        errs.append(errors.get())
    try:
        study = optuna.load_study(study_name=name, storage=make_storage(a.storage, path))
        done = len([t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE])
    except Exception as e:
        done = 0
        errs.append(f"reading the study back: {type(e).__name__}: {e}"[:300])
    print(json.dumps({"storage": f"optuna-{a.storage}", "processes": a.processes,
                      "trials": done, "seconds": round(seconds, 3),
                      "trials_per_s": round(done / seconds, 1) if seconds > 0 else 0,
                      "failed_processes": failed, "errors": errs}))


if __name__ == "__main__":
    main()
