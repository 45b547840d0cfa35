"""`chromatune submit --launcher slurm` against a real single-node Slurm (slurm_cluster.py):

- a coordinator job and a job array of 2 worker groups run a ~20 s noop sweep; every trial
  is stored exactly once, and when the sweep is over the coordinator job tells the worker
  jobs to drain and they end by themselves;
- an existing coordinator (lease timeout 3 s) and `submit --wait`: one worker job of the
  array is scancel'ed mid-sweep; its trials are leased again and completed once by the
  other group;
- a group of 2 ranks as one `srun --mpi=pmix` step runs 2-rank trials;
- sbatch refusing a job (an unknown partition): the error quotes sbatch and nothing is left
  queued.

Skipped, with the reason, only where Slurm cannot start (not root, not installed)."""

import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import EXE, RuntimeTestCase, noop_sweep
from slurm_cluster import SlurmCluster

TOKEN = "slurm-test-token-0123456789"


class SlurmTest(RuntimeTestCase):
    lease_timeout = 3.0

    @classmethod
    def setUpClass(cls):
        cls.cluster_dir = tempfile.mkdtemp(prefix="ct-slurm-")
        cls.slurm = SlurmCluster(cls.cluster_dir)
        try:
            cls.slurm.start()
        except BaseException:
            shutil.rmtree(cls.cluster_dir, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.slurm.stop()
        shutil.rmtree(cls.cluster_dir, ignore_errors=True)

    def setUp(self):
        super().setUp()
        self.env.update(self.slurm.env)
        self.env["TMPDIR"] = self.dir
        self.tokens = os.path.join(self.dir, "tokens")
        with open(self.tokens, "w") as f:
            # One token for submitting and for the workers: an admin (issue 18: a user token
            # may not lease; the launchers taking a worker token is part of the TLS work).
            f.write(f"tester {TOKEN} admin\n")
        self.log_dir = os.path.join(self.dir, "slurm-logs")

    def tearDown(self):
        # Jobs of this test must not outlive it (the next test counts groups afresh).
        self.slurm.run("scancel", "--user", "root")
        deadline = time.time() + 20
        while self.slurm.jobs() and time.time() < deadline:
            time.sleep(0.5)
        super().tearDown()

    # ---- helpers ----
    def write_sweep(self, text, name="sweep.yaml"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def submit_slurm(self, sweep_path, *args):
        return subprocess.run([EXE, "submit", sweep_path, "--launcher", "slurm", "--log-dir",
                               self.log_dir, "--token-file", self.tokens, "--time", "10"]
                              + list(args), capture_output=True, text=True, env=self.env,
                              timeout=60)

    def job_ids(self, out):
        coordinator = re.search(r"^coordinator job (\d+)", out, re.M)
        workers = re.search(r"^worker job (\d+)", out, re.M)
        self.assertIsNotNone(workers, out)
        return (coordinator.group(1) if coordinator else None), workers.group(1)

    def slurm_logs(self):
        text = []
        for name in sorted(os.listdir(self.log_dir)) if os.path.isdir(self.log_dir) else []:
            if name.endswith(".log") or name.startswith("coordinator."):
                with open(os.path.join(self.log_dir, name), errors="replace") as f:
                    text.append(f"--- {name}\n{f.read()[-2500:]}")
        return "\n".join(text) + "\n" + self.slurm.logs()[-3000:]

    def wait_until(self, predicate, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return
            time.sleep(0.5)
        self.fail(f"timed out after {timeout}s waiting for {what}\n{self.slurm.jobs()}\n"
                  + self.slurm_logs())

    def groups_holding_trials(self, sweep):
        return self.query(
            "SELECT DISTINCT a.worker_group FROM attempts a JOIN trials t ON t.id = a.trial_id"
            " JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = ? AND a.outcome = ''", sweep)

    # ---- tests ----
    def test_coordinator_job_and_two_worker_groups(self):
        sweep = self.write_sweep(noop_sweep("slurm-basic", 12, [{"sleep_ms": 3000}]))
        out = self.submit_slurm(sweep, "--groups", "2", "--ranks", "1",
                                "--coordinator-listen", "127.0.0.1:0")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        coordinator_job, worker_job = self.job_ids(out.stdout)
        self.assertIsNotNone(coordinator_job, out.stdout)
        self.db = os.path.join(self.log_dir, "runs.db")
        ended = os.path.join(self.log_dir, "coordinator.ended")
        self.wait_until(lambda: os.path.exists(ended), 150, "the coordinator job to finish")
        with open(ended) as f:
            self.assertIn("sweep finished (chromatune submit --wait exited with status 0)",
                          f.read())
        self.assert_each_done_exactly_once("slurm-basic", 12)
        groups = self.query("SELECT COUNT(*) FROM worker_groups")[0][0]
        self.assertEqual(groups, 2, "one group per array task")
        self.assertEqual(self.query(
            "SELECT COUNT(DISTINCT worker_group) FROM attempts WHERE outcome = 'done'")[0][0], 2,
            "both groups ran trials")
        # The worker jobs drain and end by themselves once the coordinator job is over.
        self.wait_until(lambda: not self.slurm.jobs(), 60, "every job to end")
        for task in ("0", "1"):
            self.assertEqual(self.slurm.job_state(f"{worker_job}_{task}"), "COMPLETED",
                             self.slurm_logs())
        self.assertEqual(self.slurm.job_state(coordinator_job), "COMPLETED")
        for group in (0, 1):
            self.assertTrue(os.path.exists(os.path.join(self.log_dir, f"group-{group}.log")))

    def test_scancel_one_worker_job_mid_sweep(self):
        self.start_coordinator(token_file=self.tokens)
        sweep = self.write_sweep(noop_sweep("slurm-cancel", 12, [{"sleep_ms": 2500}],
                                            retries=3))
        submitter = subprocess.Popen(
            [EXE, "submit", sweep, "--launcher", "slurm", "--coordinator",
             f"127.0.0.1:{self.port}", "--wait", "--groups", "2", "--log-dir", self.log_dir,
             "--token-file", self.tokens, "--time", "10"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env)
        try:
            # Both groups hold trials: cancel the second array task's job mid-trial.
            self.wait_until(lambda: len(self.groups_holding_trials("slurm-cancel")) == 2, 90,
                            "both worker groups to hold trials")
            with open(os.path.join(self.log_dir, "jobs")) as f:
                worker_job = re.search(r"workers (\d+)", f.read()).group(1)
            cancelled = self.slurm.run("scancel", f"{worker_job}_1")
            self.assertEqual(cancelled.returncode, 0, cancelled.stderr)
            out, _ = submitter.communicate(timeout=150)
        finally:
            if submitter.poll() is None:
                submitter.kill()
                submitter.communicate()
        self.assertEqual(submitter.returncode, 0, out + self.slurm_logs())
        self.assertIn("slurm-cancel: 12/12 done", out)
        self.assert_each_done_exactly_once("slurm-cancel", 12)
        # The cancelled group's trials were handed back (drained: released; killed: expired)
        # and done by the other group.
        relet = self.query(
            "SELECT a.trial_id, a.outcome, a.worker_group FROM attempts a"
            " WHERE a.outcome IN ('released', 'expired')")
        self.assertGreaterEqual(len(relet), 1, "the cancelled job held a trial")
        for trial_id, outcome, group in relet:
            done_by = self.query("SELECT worker_group FROM attempts WHERE trial_id = ? AND"
                                 " outcome = 'done'", trial_id)
            self.assertEqual(len(done_by), 1)
            self.assertNotEqual(done_by[0][0], group, f"trial {trial_id} ({outcome})")
        self.assertEqual(self.slurm.job_state(f"{worker_job}_1"), "CANCELLED")
        # The other group serves the coordinator until stopped: a worker pool.
        self.assertEqual(self.slurm.jobs().get(f"{worker_job}_0"), "RUNNING")

    def test_two_rank_group_under_srun_pmix(self):
        # A group of 2 ranks as one `srun --mpi=pmix` step: MPI starts from Slurm's PMIx and
        # the worker reads its rank from SLURM_PROCID; 2-rank trials run on it.
        self.start_coordinator(token_file=self.tokens)
        sweep = self.write_sweep(noop_sweep("slurm-pmix", 4, [{"sleep_ms": 500}], ranks=2))
        out = subprocess.run(
            [EXE, "submit", sweep, "--launcher", "slurm", "--coordinator",
             f"127.0.0.1:{self.port}", "--wait", "--groups", "1", "--ranks", "2",
             "--log-dir", self.log_dir, "--token-file", self.tokens, "--time", "10"],
            capture_output=True, text=True, env=self.env, timeout=150)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr + self.slurm_logs())
        self.assert_each_done_exactly_once("slurm-pmix", 4)
        self.assertEqual(self.query("SELECT ranks FROM worker_groups"), [(2,)])

    def test_sbatch_refusal_is_reported(self):
        sweep = self.write_sweep(noop_sweep("slurm-refused", 2, [{}]))
        out = self.submit_slurm(sweep, "--partition", "no-such-partition",
                                "--coordinator-listen", "127.0.0.1:0")
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("sbatch " + os.path.join(self.log_dir, "coordinator.sbatch") + " failed",
                      out.stderr)
        self.assertIn("invalid partition", out.stderr.lower())
        self.assertEqual(self.slurm.jobs(), {}, "nothing may stay queued")


if __name__ == "__main__":
    unittest.main()
