"""`chromatune run`: coordinator in process, local worker groups under mpirun, progress bar,
report; a second run of the same file resumes (nothing re-run)."""

import os
import subprocess
import unittest

from harness import EXE, MPIRUN, RuntimeTestCase, noop_sweep


class EmbeddedRunTest(RuntimeTestCase):
    @unittest.skipIf(MPIRUN is None, "needs mpirun")
    def test_run_two_groups_of_two_ranks(self):
        path = os.path.join(self.dir, "embedded.yaml")
        with open(path, "w") as f:
            # 2-rank trials and 1-rank trials together: gang scheduling on 2-rank groups.
            f.write(noop_sweep("embedded", 6, [{"sleep_ms": 100}], ranks=2))
        out = subprocess.run([EXE, "run", path, "--db", self.db, "--workers", "2", "--ranks", "2"],
                             capture_output=True, text=True, env=self.env, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr[-3000:])
        self.assertIn("6/6 done", out.stderr)
        self.assertIn("ETA", out.stderr)
        self.assertIn("noop", out.stdout)  # the report names the method
        self.assert_each_done_exactly_once("embedded", 6)
        again = subprocess.run([EXE, "run", path, "--db", self.db, "--workers", "1",
                                "--threads", "1"],
                               capture_output=True, text=True, env=self.env, timeout=120)
        self.assertEqual(again.returncode, 0, again.stderr[-3000:])
        self.assertIn("6 already present", again.stderr)
        bad = subprocess.run([EXE, "run", path, "--db", self.db, "--threads", "-1"],
                             capture_output=True, text=True, env=self.env, timeout=60)
        self.assertEqual(bad.returncode, 2, bad.stderr)
        self.assertIn("--threads", bad.stderr)
        self.assert_each_done_exactly_once("embedded", 6)

    @unittest.skipIf(MPIRUN is None, "needs mpirun")
    def test_group_that_never_registers_is_launched_again(self):
        # Fault injected into the real launcher: the first `mpirun` never starts its ranks
        # (as when the daemons of a --hostfile host never come up); later ones are the real
        # mpirun. The run must notice, stop that group and launch it again.
        fake = os.path.join(self.dir, "fakebin")
        os.makedirs(fake)
        marker = os.path.join(self.dir, "stuck-once")
        with open(os.path.join(fake, "mpirun"), "w") as f:
            f.write(f"#!/bin/sh\nif [ ! -e {marker} ]; then touch {marker}; exec sleep 600; fi\n"
                    f"exec {MPIRUN} \"$@\"\n")
        os.chmod(os.path.join(fake, "mpirun"), 0o755)
        path = os.path.join(self.dir, "stuck.yaml")
        with open(path, "w") as f:
            f.write(noop_sweep("stuck", 3, [{"sleep_ms": 10}]))
        env = dict(self.env, PATH=fake + os.pathsep + self.env.get("PATH", os.environ["PATH"]))
        out = subprocess.run([EXE, "run", path, "--db", self.db, "--workers", "1",
                              "--register-timeout", "3", "--no-progress"],
                             capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr[-3000:])
        self.assertTrue(os.path.exists(marker), "the stuck mpirun was not used")
        self.assertIn("has not registered 3 s after its launch", out.stderr)
        self.assert_each_done_exactly_once("stuck", 3)

    def test_bad_sweep_file_exits_2(self):
        path = os.path.join(self.dir, "bad.yaml")
        with open(path, "w") as f:
            f.write("name: bad\ntask: classification\nmethods: [noop]\nshots: [-1]\n")
        out = subprocess.run([EXE, "run", path, "--db", self.db], capture_output=True, text=True,
                             env=self.env, timeout=60)
        self.assertEqual(out.returncode, 2)
        self.assertIn("bad.yaml", out.stderr)
        self.assertFalse(os.path.exists(self.db), "nothing may be written for a bad file")


if __name__ == "__main__":
    unittest.main()
