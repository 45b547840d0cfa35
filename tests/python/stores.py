"""Stores for the Python reader tests, written by the real write path.

fixture_store(): dashboard_fixture (tests/browser): a finished grounding sweep through the
coordinator's store calls (CreateSweep, leases, completions with metrics and curves, arrays
through ArtifactStore::WriteTrials): cpt colours and palette, red-circle and finetune, 3 data
seeds x 2 train seeds, curves and `predictions` arrays.
run_store(): `chromatune run` of a small noop sweep (the coordinator and worker processes);
noop trials store metrics and a one-point curve, no arrays.
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile

EXE = os.environ.get("CHROMATUNE_EXE", "")
FIXTURE = os.environ.get("CHROMATUNE_FIXTURE", "")
MPIRUN = shutil.which("mpirun")


def fixture_store(directory, sweep="fx", data_seeds=3, train_seeds=2, settings=1):
    db = os.path.join(directory, sweep.replace("/", "_") + ".sqlite")
    subprocess.run([FIXTURE, "--db", db, "--sweep", sweep, "--settings", str(settings),
                    "--data-seeds", str(data_seeds), "--train-seeds", str(train_seeds)],
                   check=True, capture_output=True, timeout=120)
    return db


NOOP_SWEEP = """name: {name}
task: classification
dataset: fashion-mnist
shots: [1, 2]
replicates: {{data_seeds: [1, 2, 3], train_seeds: [1, 2]}}
methods:
  - {{name: noop, value: {value}}}
"""


def run_store(directory, name="noop-run", value="0.25"):
    spec = os.path.join(directory, name + ".yaml")
    with open(spec, "w") as f:
        f.write(NOOP_SWEEP.format(name=name, value=value))
    db = os.path.join(directory, name + ".db")
    out = subprocess.run([EXE, "run", spec, "--db", db, "--workers", "1", "--no-progress"],
                         capture_output=True, text=True, timeout=180)
    if out.returncode != 0:
        raise RuntimeError(f"chromatune run failed: {out.stderr[-3000:]}")
    return db


def raw(db, sql, args=()):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


class TempDir:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="ct-python-")

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)
