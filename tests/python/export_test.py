"""`chromatune export`: trials, curves, cells and paired rows as CSV and JSON Lines, the same
rows and numbers as the Python reader and the report, with CSV text cells neutralised
against spreadsheet formulas (numbers never)."""

import csv
import io
import json
import math
import os
import subprocess
import unittest

import numpy as np

import chromatune
from stores import EXE, MPIRUN, TempDir, fixture_store, raw, run_store

# A free-text sweep name (the store allows any): a formula, a comma and a quote.
SWEEP = '=HYPERLINK("x"),1'


def export(db, sweep, what, fmt, *extra):
    out = subprocess.run([EXE, "export", "--db=" + db, "--sweep=" + sweep, "--what", what,
                          "--format", fmt, *extra], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise AssertionError(f"export failed ({out.returncode}): {out.stderr}")
    return out.stdout


def neutral(text):
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def same_cell(cell, value):
    """A CSV cell against the reader's value: empty for absent, numbers by value, text
    neutralised."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or \
            str(value) == "<NA>":
        return cell == ""
    if isinstance(value, (bool, np.bool_)):
        return cell == ("true" if value else "false")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return cell != "" and float(cell) == float(value)
    return cell == neutral(str(value))


class ExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.db = fixture_store(cls.tmp.path, sweep=SWEEP)
        cls.store = chromatune.open(cls.db)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_trials_csv_is_the_readers_frame(self):
        frame = self.store.trials(SWEEP)
        rows = list(csv.reader(io.StringIO(export(self.db, SWEEP, "trials", "csv"))))
        self.assertEqual(rows[0], list(frame.columns))
        self.assertEqual(len(rows) - 1, len(frame))
        for cells, (_, row) in zip(rows[1:], frame.iterrows()):
            for column, cell in zip(rows[0], cells):
                self.assertTrue(same_cell(cell, row[column]), (column, cell, row[column]))
        # The sweep name is a formula: neutralised (and quoted for its comma and quote).
        self.assertEqual(rows[1][1], "'" + SWEEP)
        self.assertIn('"\'=HYPERLINK(""x""),1"', export(self.db, SWEEP, "trials", "csv"))

    def test_trials_jsonl_keep_full_params_and_metrics(self):
        lines = export(self.db, SWEEP, "trials", "jsonl").splitlines()
        stored = {tid: json.loads(p) for tid, p in raw(self.db, "SELECT id, params_json FROM trials")}
        metrics = {}
        for tid, name, value in raw(self.db, "SELECT trial_id, name, value FROM metrics"):
            metrics.setdefault(tid, {})[name] = value
        self.assertEqual(len(lines), len(stored))
        for line in lines:
            r = json.loads(line)
            self.assertEqual(r["sweep"], SWEEP)  # JSON is not a spreadsheet: never neutralised
            self.assertEqual(r["params"], stored[r["trial_id"]])
            self.assertEqual(r["metrics"], metrics[r["trial_id"]])
            self.assertIsNone(r["precision"])

    def test_curves_csv_and_jsonl(self):
        frame = self.store.curves(SWEEP)
        rows = list(csv.reader(io.StringIO(export(self.db, SWEEP, "curves", "csv"))))
        self.assertEqual(rows[0], list(frame.columns))
        self.assertEqual(len(rows) - 1, len(frame))
        for cells, (_, row) in zip(rows[1:], frame.iterrows()):
            self.assertEqual(int(cells[0]), row["trial_id"])
            self.assertEqual(cells[5], row["curve"])
            self.assertEqual(float(cells[7]), row["value"])
        lines = export(self.db, SWEEP, "curves", "jsonl").splitlines()
        self.assertEqual(len(lines), len(frame))
        self.assertEqual(json.loads(lines[-1])["value"], frame["value"].iloc[-1])

    def test_cells_and_paired_are_the_reports(self):
        report = json.loads(subprocess.run(
            [EXE, "report", "--db=" + self.db, "--sweep=" + SWEEP, "--format", "json"],
            capture_output=True, text=True, check=True).stdout)
        for what in ("cells", "paired"):
            lines = export(self.db, SWEEP, what, "jsonl").splitlines()
            self.assertEqual([json.loads(x) for x in lines], report[what])
        rows = list(csv.DictReader(io.StringIO(export(self.db, SWEEP, "cells", "csv"))))
        self.assertEqual(len(rows), len(report["cells"]))
        for r, c in zip(rows, report["cells"]):
            self.assertEqual(r["sweep"], "'" + SWEEP)
            self.assertEqual(float(r["mean"]), c["mean"])
            self.assertEqual(r["std"] == "", c["std"] is None)
            if c["ci95"]:
                self.assertEqual((float(r["ci95_lo"]), float(r["ci95_hi"])), tuple(c["ci95"]))
            self.assertEqual(json.loads(r["params"]), c["params"])
        rows = list(csv.DictReader(io.StringIO(export(self.db, SWEEP, "paired", "csv"))))
        self.assertEqual(len(rows), len(report["paired"]))
        for r, p in zip(rows, report["paired"]):
            self.assertEqual(float(r["mean_diff"]), p["mean_diff"])
            self.assertEqual(float(r["p_t_holm"]), p["p_t_holm"])

    def test_output_file_and_errors(self):
        path = os.path.join(self.tmp.path, "t.csv")
        export(self.db, SWEEP, "trials", "csv", "--output", path)
        with open(path) as f:
            self.assertEqual(f.read(), export(self.db, SWEEP, "trials", "csv"))
        self.assertFalse(os.path.exists(path + ".tmp"))
        bad = os.path.join(self.tmp.path, "bad.csv")
        out = subprocess.run([EXE, "export", "--db", self.db, "--sweep", "nope", "--output",
                              bad], capture_output=True, text=True)
        self.assertEqual(out.returncode, 2)
        self.assertIn("unknown sweep 'nope'", out.stderr)
        self.assertFalse(os.path.exists(bad) or os.path.exists(bad + ".tmp"))
        out = subprocess.run([EXE, "export", "--db", os.path.join(self.tmp.path, "none.db"),
                              "--sweep", "x"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 2)
        self.assertIn("none.db", out.stderr)

    def test_arrays_of_a_free_text_sweep_name(self):
        # The HDF5 group of such a name is its safe form plus a hash (ArtifactStore::GroupFor).
        tid = int(self.store.trials(SWEEP)["trial_id"].iloc[0])
        self.assertEqual(set(self.store.arrays(tid)), {"predictions"})


@unittest.skipIf(MPIRUN is None, "chromatune run needs mpirun")
class NegativeNumbersTest(unittest.TestCase):
    """Numbers are not text: -0.25 stays -0.25, while the sweep name "-neg" is neutralised."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.db = run_store(cls.tmp.path, name="-neg", value="-0.25")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_numbers_are_never_neutralised(self):
        rows = list(csv.DictReader(io.StringIO(export(self.db, "-neg", "trials", "csv"))))
        self.assertEqual(len(rows), 12)
        for r in rows:
            self.assertEqual(r["sweep"], "'-neg")
            self.assertEqual(r["param.value"], "-0.25")
            self.assertEqual(r["metric.accuracy"], "-0.25")
            self.assertEqual(r["param.fail"], "none")
        cells = list(csv.DictReader(io.StringIO(export(self.db, "-neg", "cells", "csv"))))
        self.assertEqual([c["mean"] for c in cells], ["-0.25", "-0.25"])
        self.assertNotIn("param.value", cells[0])  # one value: not swept, not a column
        curves = list(csv.DictReader(io.StringIO(export(self.db, "-neg", "curves", "csv"))))
        self.assertEqual({c["value"] for c in curves}, {"-0.25"})
        # The reader takes the name as it is.
        self.assertEqual(len(chromatune.open(self.db).trials("-neg")), 12)
        self.assertEqual(list(chromatune.open(self.db).cells("-neg")["mean"]), [-0.25, -0.25])


if __name__ == "__main__":
    unittest.main()
