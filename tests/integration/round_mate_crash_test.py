"""A trial that crashes its worker group (segfault) is charged; the trials of its round on
the group's other ranks are not: the crash note names them, and the next worker on the host
gives them back as infrastructure re-queues (INTERFACES.md, "Failure accounting")."""

import subprocess
import time
import unittest

from harness import EXE, MPIRUN, RuntimeTestCase, noop_sweep


class RoundMateCrashTest(RuntimeTestCase):
    # Long enough that the next worker reports the crash note before the mate's lease expires
    # (an expiry first would charge the mate, as a lease expiry of a running trial must).
    lease_timeout = 15.0

    @unittest.skipIf(MPIRUN is None, "needs mpirun")
    def test_the_crash_is_charged_to_the_crashing_trial_only(self):
        self.start_coordinator()
        # One round, both trials side by side; the crash comes after both were heartbeated
        # (running: an expiry would be charged).
        self.submit(noop_sweep("crash", 1, [{"fail": "segfault", "sleep_ms": 3000},
                                            {"sleep_ms": 20000}]))
        group = self.start_group(ranks=2)
        group.wait(timeout=60)
        self.start_group()  # the next worker on this host reports the crash note
        deadline = time.time() + 30
        while True:
            rows = dict(self.query(
                "SELECT t.params_json LIKE '%segfault%', group_concat(a.outcome) FROM trials t"
                " JOIN attempts a ON a.trial_id = t.id AND a.attempt = 1 GROUP BY t.id"))
            if rows.get(0) and rows.get(1) and rows[0] != "" and rows[1] != "":
                break
            self.assertLess(time.time(), deadline, f"{rows}\n{self.log('group1.log')}")
            time.sleep(0.2)
        self.assertEqual(rows[1], "failed", "the crashing trial is charged")
        self.assertEqual(rows[0], "released", "its round-mate is given back, not charged")
        (mate_failures,), = self.query(
            "SELECT failures FROM trials WHERE params_json NOT LIKE '%segfault%'")
        self.assertEqual(mate_failures, 0)
        (errors,), = self.query(
            "SELECT a.error FROM attempts a JOIN trials t ON t.id = a.trial_id"
            " WHERE a.attempt = 1 AND t.params_json NOT LIKE '%segfault%'")
        self.assertIn("of its round crashed (worker crashed with SIGSEGV", errors)
        (infra,), = self.query("SELECT infra_requeues FROM sweeps WHERE name = 'crash'")
        self.assertEqual(infra, 1)
        # `chromatune status` shows it (column INFRA, last of the sweep's row).
        out = subprocess.run([EXE, "status", "--coordinator", f"127.0.0.1:{self.port}"],
                             capture_output=True, text=True, env=self.env, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        header, row = out.stdout.splitlines()[0], out.stdout.splitlines()[1]
        self.assertEqual(header.split()[-1], "INFRA", out.stdout)
        self.assertEqual(row.split()[0], "crash", out.stdout)
        self.assertEqual(row.split()[-1], "1", out.stdout)


if __name__ == "__main__":
    unittest.main()
