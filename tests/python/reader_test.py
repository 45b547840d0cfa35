"""python/chromatune against stores written by the real write path (tests/python/stores.py):
every trial, curve point and array as stored, the report's exact numbers, the
reader-compatibility version, and reading without getting in the writer's way."""

import fcntl
import json
import math
import os
import shutil
import subprocess
import unittest

import h5py
import numpy as np

import chromatune
from stores import EXE, MPIRUN, TempDir, fixture_store, raw, run_store


class FixtureStoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.db = fixture_store(cls.tmp.path)
        cls.store = chromatune.open(cls.db)

    @classmethod
    def tearDownClass(cls):
        cls.store.close()
        cls.tmp.cleanup()

    def test_sweeps_count_trials_by_state(self):
        sweeps = self.store.sweeps()
        self.assertEqual(list(sweeps["name"]), ["fx"])
        n = raw(self.db, "SELECT count(*) FROM trials")[0][0]
        self.assertEqual(int(sweeps["n_trials"][0]), n)
        self.assertEqual(int(sweeps["n_done"][0]), n)
        self.assertEqual(int(sweeps["n_stopped"][0]), 0)

    def test_trials_hold_every_row_parameter_and_metric(self):
        trials = self.store.trials("fx")
        rows = raw(self.db, "SELECT id, method, shots, data_seed, train_seed, params_json, "
                            "wall_seconds, state FROM trials ORDER BY id")
        self.assertEqual(len(trials), len(rows))
        self.assertEqual(list(trials.columns[:len(chromatune._store.TRIAL_COLUMNS)]),
                         list(chromatune._store.TRIAL_COLUMNS))
        metrics = {}
        for tid, name, value in raw(self.db, "SELECT trial_id, name, value FROM metrics"):
            metrics.setdefault(tid, {})[name] = value
        for (tid, method, shots, d, t, params, wall, state), (_, row) in zip(rows,
                                                                            trials.iterrows()):
            self.assertEqual(row["trial_id"], tid)
            self.assertEqual((row["method"], row["shots"], row["data_seed"], row["train_seed"]),
                             (method, shots, d, t))
            self.assertEqual(row["state"], state)
            self.assertEqual(row["wall_seconds"], wall)
            self.assertEqual(row["backbone"], "builtin:tiny-clip")
            self.assertEqual(row["shot_unit"], "total")
            self.assertEqual(row["worker_host"], "synthetic")
            self.assertIsNone(row["precision"])
            params = json.loads(params)
            for c in trials.columns:
                if not c.startswith("param."):
                    continue
                name = c[len("param."):]
                if name in params:
                    self.assertEqual(row[c], chromatune.param_value(params[name]), (tid, c))
                else:
                    self.assertTrue(row[c] is None or row[c] is np.nan or
                                    (isinstance(row[c], float) and math.isnan(row[c])) or
                                    str(row[c]) == "<NA>", (tid, c, row[c]))
            for name, value in metrics[tid].items():
                self.assertEqual(row["metric." + name], value)
        # Colours are read by name, as the report prints them; the palette element-wise.
        self.assertIn("red", set(trials["param.color"].dropna()))
        self.assertIn("[red,purple,green,yellow,blue]", set(trials["param.palette"].dropna()))
        self.assertEqual(str(trials["param.epochs"].dtype), "Int64")

    def test_states_filter(self):
        self.assertEqual(len(self.store.trials("fx", states=["done"])), len(self.store.trials("fx")))
        self.assertEqual(len(self.store.trials("fx", states="failed")), 0)
        with self.assertRaisesRegex(ValueError, "unknown trial state"):
            self.store.trials("fx", states=["finished"])
        with self.assertRaisesRegex(chromatune.ChromatuneError, "unknown sweep 'nope' \\(fx\\)"):
            self.store.trials("nope")

    def test_curves_are_the_stored_points_and_match_hdf5(self):
        curves = self.store.curves("fx")
        n = raw(self.db, "SELECT count(*) FROM curves")[0][0]
        self.assertEqual(len(curves), n)
        self.assertEqual(list(curves.columns), list(chromatune._store.CURVE_COLUMNS))
        tid = int(curves["trial_id"].iloc[0])
        with h5py.File(chromatune._store.default_hdf5_path(self.db), "r", locking=False) as f:
            g = f[f"sweeps/fx/trials/trial-{tid:08d}/curves"]
            for name in g:
                mine = curves[(curves["trial_id"] == tid) & (curves["curve"] == name)]
                np.testing.assert_array_equal(mine["step"].values, g[name]["step"][:])
                np.testing.assert_array_equal(mine["value"].values, g[name]["value"][:])

    def test_arrays_are_read_from_hdf5(self):
        trials = self.store.trials("fx")
        for _, row in trials.head(12).iterrows():
            arrays = self.store.arrays(int(row["trial_id"]))
            self.assertEqual(set(arrays), {"predictions"})
            p = arrays["predictions"]
            self.assertEqual(p.dtype, np.float32)
            # dashboard_fixture writes predictions[i] = (i + data_seed) % 5.
            expected = np.array([(i + row["data_seed"]) % 5 for i in range(8)], np.float32)
            np.testing.assert_array_equal(p, expected)
        with self.assertRaisesRegex(chromatune.ChromatuneError, "no trial 999999"):
            self.store.arrays(999999)

    def test_cells_and_paired_are_the_reports_numbers(self):
        out = subprocess.run([EXE, "report", "--db", self.db, "--sweep", "fx", "--format",
                              "json"], capture_output=True, text=True, check=True)
        report = json.loads(out.stdout)
        cells = self.store.cells("fx")
        self.assertEqual(len(cells), len(report["cells"]))
        for (_, row), c in zip(cells.iterrows(), report["cells"]):
            self.assertEqual((row["method"], row["shots"], row["n"]),
                             (c["method"], c["shots"], c["n"]))
            self.assertEqual(row["params"], c["params"])
            for k in ("mean", "std"):
                self.assertTrue(_same(row[k], c[k]), (k, row[k], c[k]))
            self.assertTrue(_same(row["ci95_lo"], c["ci95"][0] if c["ci95"] else None))
            self.assertTrue(_same(row["ci95_hi"], c["ci95"][1] if c["ci95"] else None))
            v = c["variance"] or {}
            self.assertTrue(_same(row["share_data"], v.get("share_data")))
        paired = self.store.paired("fx", baseline="finetune")
        self.assertEqual(len(paired), len(report["paired"]))
        self.assertGreater(len(paired), 0)
        for (_, row), p in zip(paired.iterrows(), report["paired"]):
            for k in ("mean_diff", "t", "p_t", "p_t_holm", "p_wilcoxon", "p_wilcoxon_holm"):
                self.assertTrue(_same(row[k], p[k]), (k, row[k], p[k]))
            self.assertEqual(row["n_pairs"], p["n_pairs"])
        # The cells are the trials' numbers: each cell's mean from trials() rows.
        trials = self.store.trials("fx", states="done")
        cell = cells[(cells["method"] == "cpt") & (cells["shots"] == 4) &
                     (cells["param.color"] == "red")].iloc[0]
        rows = trials[(trials["method"] == "cpt") & (trials["shots"] == 4) &
                      (trials["param.color"] == "red")]
        self.assertEqual(len(rows), cell["n"])
        self.assertAlmostEqual(rows["metric.accuracy"].mean(), cell["mean"], places=12)

    def test_report_errors_are_kept(self):
        with self.assertRaisesRegex(chromatune.ReportError, "metric"):
            self.store.cells("fx", metric="no-such-metric")

    def test_opening_writes_nothing(self):
        before = {p: os.stat(p).st_mtime_ns for p in (self.db,)}
        with chromatune.open(self.db) as s:
            s.trials("fx")
        self.assertEqual(before, {p: os.stat(p).st_mtime_ns for p in (self.db,)})


class ReaderVersionTest(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()
        self.db = fixture_store(self.tmp.path, data_seeds=1, train_seeds=1)

    def tearDown(self):
        self.tmp.cleanup()

    def _edit(self, sql):
        import sqlite3
        con = sqlite3.connect(self.db)
        con.executescript(sql)
        con.close()

    def test_store_states_reader_version_1(self):
        self.assertEqual(raw(self.db, "SELECT value FROM meta WHERE key = 'reader_version'"),
                         [("1",)])
        s = chromatune.open(self.db)
        self.assertEqual(s.reader_version, 1)
        self.assertGreaterEqual(s.schema_version, 5)

    def test_newer_reader_version_is_refused_with_a_clear_error(self):
        self._edit("UPDATE meta SET value = '2' WHERE key = 'reader_version'")
        with self.assertRaises(chromatune.ReaderVersionError) as e:
            chromatune.open(self.db)
        self.assertIn("reader version 2", str(e.exception))
        self.assertIn("reads at most version 1", str(e.exception))
        self.assertIn(self.db, str(e.exception))

    def test_additive_schema_change_is_read(self):
        # A newer schema that only adds (a table, a column) keeps reader_version: read.
        self._edit("INSERT INTO schema_migrations VALUES (99, 'future additive', 0);"
                   "CREATE TABLE future (x);"
                   "ALTER TABLE trials ADD COLUMN future_column TEXT;")
        s = chromatune.open(self.db)
        self.assertEqual(s.schema_version, 99)
        self.assertEqual(len(s.trials("fx")), 28)

    def test_a_sweep_being_stored_is_not_listed(self):
        # Schema 8: the coordinator stores a big sweep in steps, flagged until the last one.
        self._edit("UPDATE sweeps SET planning = 1 WHERE name = 'fx'")
        s = chromatune.open(self.db)
        self.assertEqual(len(s.sweeps()), 0)
        with self.assertRaises(chromatune.ChromatuneError):
            s.trials("fx")

    def test_store_from_before_meta_reads_as_version_1(self):
        self._edit("DROP TABLE meta; DELETE FROM schema_migrations WHERE version >= 5;")
        self.assertEqual(chromatune.open(self.db).reader_version, 1)

    def test_not_a_store(self):
        path = os.path.join(self.tmp.path, "other.sqlite")
        import sqlite3
        sqlite3.connect(path).executescript("CREATE TABLE t (x);")
        with self.assertRaisesRegex(chromatune.ChromatuneError, "not a chromatune result store"):
            chromatune.open(path)
        with self.assertRaisesRegex(chromatune.ChromatuneError, "no such result store"):
            chromatune.open(os.path.join(self.tmp.path, "missing.db"))


class NoLocksTest(unittest.TestCase):
    """The coordinator never waits for a reader: the reader takes no lock on the HDF5 file,
    and a write in progress (its journal) makes the reader retry, then fail, never read
    half-written data."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.db = fixture_store(cls.tmp.path, data_seeds=1, train_seeds=1)
        cls.h5 = chromatune._store.default_hdf5_path(cls.db)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_writer_lock_is_free_while_a_reader_reads(self):
        def read_and_lock(f):
            with open(self.h5, "rb") as other:  # what the coordinator's write session takes
                fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(other.fileno(), fcntl.LOCK_UN)
            return len(f["sweeps/fx/trials"])

        self.assertEqual(chromatune._store._read_consistent(self.h5, read_and_lock, 0), 28)

    def test_reader_does_not_wait_for_a_writer_holding_the_lock(self):
        with open(self.h5, "rb") as writer:
            fcntl.flock(writer.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            s = chromatune.open(self.db)
            self.assertEqual(set(s.arrays(int(s.trials("fx")["trial_id"].iloc[-1]))),
                             {"predictions"})

    def test_a_write_in_progress_is_retried_then_refused(self):
        journal = self.h5 + ".journal"
        with open(journal, "wb"):
            pass
        try:
            s = chromatune.open(self.db)
            with self.assertRaisesRegex(chromatune.ChromatuneError, "write is in progress"):
                s.arrays(1, retries=2)
        finally:
            os.remove(journal)
        self.assertEqual(set(chromatune.open(self.db).arrays(1)), {"predictions"})

    def test_a_file_that_changes_during_the_read_is_read_again(self):
        calls = []

        def read(f):
            calls.append(1)
            if len(calls) == 1:
                os.utime(self.h5, ns=(1, 1))  # as a write would: the file changed meanwhile
            return "ok"

        self.assertEqual(chromatune._store._read_consistent(self.h5, read, 3), "ok")
        self.assertEqual(len(calls), 2)


@unittest.skipIf(MPIRUN is None, "chromatune run needs mpirun")
class RunStoreTest(unittest.TestCase):
    """A store written by `chromatune run` itself (coordinator and a worker group)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.db = run_store(cls.tmp.path)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_trials_curves_and_cells(self):
        s = chromatune.open(self.db)
        trials = s.trials("noop-run")
        self.assertEqual(len(trials), 12)
        self.assertEqual(set(trials["state"]), {"done"})
        self.assertTrue((trials["metric.accuracy"] == 0.25).all())
        self.assertTrue((trials["param.value"] == 0.25).all())
        self.assertTrue(trials["worker_group"].notna().all())
        self.assertTrue(trials["worker_host"].notna().all())
        self.assertEqual(sorted(set(trials["data_seed"])), [1, 2, 3])
        curves = s.curves("noop-run")
        self.assertEqual(len(curves), 12)
        cells = s.cells("noop-run")
        self.assertEqual(list(cells["n"]), [6, 6])
        self.assertEqual(list(cells["mean"]), [0.25, 0.25])
        self.assertTrue(s.paired("noop-run").empty)  # no finetune baseline in this sweep


def _same(a, b):
    if b is None:
        return a is None or (isinstance(a, float) and math.isnan(a))
    return a == b


if __name__ == "__main__":
    unittest.main()
