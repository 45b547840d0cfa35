"""docs/analysis_example.py, the worked example of docs/analysis.md, run as a user runs it on
a small store the test writes through the real write path (tests/python/stores.py)."""

import os
import subprocess
import sys
import unittest

from stores import TempDir, fixture_store

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                      "analysis_example.py")


class ExampleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = TempDir()

    def tearDown(self):
        self.tmp.cleanup()

    def test_example_plots_and_agrees_with_the_report(self):
        db = fixture_store(self.tmp.path)
        png = os.path.join(self.tmp.path, "accuracy.png")
        out = subprocess.run([sys.executable, SCRIPT, db, "--out", png],
                             capture_output=True, text=True, timeout=240)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertGreater(os.path.getsize(png), 10000)
        self.assertIn("sweep fx: 133 finished trials", out.stdout)
        self.assertIn("cpt - finetune, paired by data seed", out.stdout)
        # One line per trained shot count, the trials' and the report's differences equal.
        lines = [l.split() for l in out.stdout.splitlines()
                 if l.strip() and l.split()[0] in ("1", "4", "16")]
        self.assertEqual([l[0] for l in lines], ["1", "4", "16"])
        for l in lines:
            self.assertEqual(l[1], "3")     # three data seeds paired
            self.assertEqual(l[2], l[3])    # diff from trials == the report's diff
        self.assertNotIn("disagree", out.stderr)

    def test_example_explains_a_missing_baseline(self):
        db = fixture_store(self.tmp.path)
        out = subprocess.run([sys.executable, SCRIPT, db, "--out",
                              os.path.join(self.tmp.path, "a.png"), "--baseline", "linear-probe"],
                             capture_output=True, text=True, timeout=240)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("no paired comparison", out.stdout)


if __name__ == "__main__":
    unittest.main()
