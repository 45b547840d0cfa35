"""A trial that makes no step for its sweep's `timeout:` ends its worker group with an error
naming it, is charged one failed attempt per hang and retried elsewhere; its round-mates are
given back uncharged; `chromatune run` starts the group again and the sweep finishes; a
cancelled sweep stops a two-rank trial (docs/runtime.md, "Hung trials"; noop `fail: hang`)."""

import os
import subprocess
import time
import unittest

from harness import EXE, MPIRUN, RuntimeTestCase, noop_sweep


def hang_sweep(name, extra_methods, retries=1, ranks=1, timeout="2s"):
    return noop_sweep(name, 1, [{"fail": "hang"}] + extra_methods, retries=retries,
                      ranks=ranks) + f"timeout: {timeout}\n"


class HungTrialTest(RuntimeTestCase):
    def attempts(self, trial_id):
        return self.query("SELECT attempt, outcome, error FROM attempts WHERE trial_id = ?"
                          " ORDER BY attempt", trial_id)

    def trial_of(self, kind):
        rows = self.query("SELECT id, state, failures FROM trials WHERE params_json LIKE ?",
                          f'%"fail":"{kind}"%')
        self.assertEqual(len(rows), 1, rows)
        return rows[0]

    def wait_exit(self, p, timeout):
        try:
            return p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.fail(f"worker group still running after {timeout}s: {self.log('group0.log')}")

    @unittest.skipIf(MPIRUN is None, "needs mpirun")
    def test_hand_started_mpirun_exits_nonzero_and_the_trial_is_charged_once(self):
        self.start_coordinator()
        # A 2-rank group runs the hanging trial and a sound one side by side (one round).
        self.submit(hang_sweep("hang", [{"sleep_ms": 5000}]))
        group = self.start_group(ranks=2)
        code = self.wait_exit(group, 60)
        self.assertNotEqual(code, 0, "a hand-started mpirun must exit non-zero")
        hung_id, state, failures = self.trial_of("hang")
        log = self.log("group0.log")
        self.assertIn(f"trial {hung_id} (attempt 1) of sweep hang made no step for", log)
        self.assertIn("(timeout 2s): ending its worker group", log)
        self.assertEqual((state, failures), ("pending", 1), "charged once, retried")
        attempts = self.attempts(hung_id)
        self.assertEqual(len(attempts), 1, attempts)
        self.assertEqual(attempts[0][1], "failed")
        self.assertIn("made no step", attempts[0][2])
        # The round-mate was sound: given back, not charged.
        (mate_id, mate_state, mate_failures), = self.query(
            "SELECT id, state, failures FROM trials WHERE id != ?", hung_id)
        self.assertEqual((mate_state, mate_failures), ("pending", 0))
        self.assertEqual([a[1] for a in self.attempts(mate_id)], ["released"])
        # Retried by the next group: hangs again, its last retry spent.
        self.assertEqual(self.wait_exit(self.start_group(), 60), 1)
        hung_id, state, failures = self.trial_of("hang")
        self.assertEqual((state, failures), ("failed", 2))
        self.assertEqual([a[1] for a in self.attempts(hung_id)], ["failed", "failed"])

    def test_chromatune_run_starts_the_group_again_and_the_sweep_finishes(self):
        path = os.path.join(self.dir, "hang.yaml")
        with open(path, "w") as f:
            f.write(hang_sweep("runhang", [{"sleep_ms": 50, "value": 0.1},
                                           {"sleep_ms": 50, "value": 0.2}]))
        out = subprocess.run([EXE, "run", path, "--db", self.db, "--workers", "1",
                              "--lease-timeout", "3", "--no-progress"],
                             capture_output=True, text=True, env=self.env, timeout=180)
        self.assertEqual(out.returncode, 1, "a failed trial makes the run fail: " +
                         out.stderr[-3000:])
        self.assertIn("starting it again", out.stderr)
        counts = dict(self.query("SELECT state, COUNT(*) FROM trials GROUP BY state"))
        self.assertEqual(counts, {"done": 2, "failed": 1}, out.stderr[-3000:])
        for trial_id, failures in self.query(
                "SELECT id, failures FROM trials WHERE state = 'failed'"):
            self.assertEqual(failures, 2)
            self.assertEqual([a[1] for a in self.attempts(trial_id)], ["failed", "failed"])
            for _, _, error in self.attempts(trial_id):
                self.assertIn("made no step", error)

    @unittest.skipIf(MPIRUN is None, "needs mpirun")
    def test_cancel_stops_a_two_rank_trial(self):
        self.start_coordinator()
        self.submit(noop_sweep("long", 1, [{"sleep_ms": 120000}], ranks=2))
        group = self.start_group(ranks=2)
        deadline = time.time() + 60
        while self.counts("long")["running"] == 0:
            self.assertLess(time.time(), deadline, self.log("group0.log"))
            time.sleep(0.2)
        status, body = self.request("POST", "/api/v1/sweeps/long/cancel", {})
        self.assertEqual(status, 200, body)
        # Both ranks stopped the trial: the group takes the next sweep's trial at once.
        self.submit(noop_sweep("next", 1, [{"sleep_ms": 10}], ranks=2), name="next.yaml")
        self.wait_finished("next", 20)
        self.assertIsNone(group.poll(), "the group lives on after a cancel")
        self.assertEqual(self.query("SELECT outcome FROM attempts a JOIN trials t"
                                    " ON t.id = a.trial_id JOIN sweeps s ON s.id = t.sweep_id"
                                    " WHERE s.name = 'long'"), [("cancelled",)])


if __name__ == "__main__":
    unittest.main()
