"""A trial that returns an error, throws or segfaults is recorded with its error after its
retries, and the rest of the sweep goes on (noop's `fail` parameter, docs/runtime.md)."""

import time
import unittest

from harness import RuntimeTestCase, noop_sweep


class TrialFaultsTest(RuntimeTestCase):
    def test_failures_are_recorded_and_the_sweep_goes_on(self):
        self.start_coordinator()
        self.start_group()
        self.start_group()
        methods = [{"sleep_ms": 50}, {"fail": "error"}, {"fail": "throw"}, {"fail": "segfault"}]
        self.submit(noop_sweep("faults", 3, methods, retries=1))
        self.wait_finished("faults", 120, on_poll=lambda _: self.relaunch_dead_groups())
        rows = self.query(
            "SELECT t.id, t.state, t.params_json, "
            # Counted attempts: a trial leased ahead by a worker that then crashed never started,
            # and its expired lease is not a failure (INTERFACES.md, "Failure accounting").
            " (SELECT COUNT(*) FROM attempts a WHERE a.trial_id = t.id"
            "  AND a.error != 'lease expired before the work started'),"
            " (SELECT group_concat(a.error, ' | ') FROM attempts a WHERE a.trial_id = t.id)"
            " FROM trials t")
        self.assertEqual(len(rows), 12)
        by_kind = {}
        for trial_id, state, params, attempts, errors in rows:
            kind = "none"
            for k in ("error", "throw", "segfault"):
                if f'"fail":"{k}"' in params.replace(" ", ""):
                    kind = k
            by_kind.setdefault(kind, []).append((trial_id, state, attempts, errors or ""))
        for trial_id, state, attempts, _ in by_kind["none"]:
            self.assertEqual(state, "done", trial_id)
        expected = {"error": "injected error", "throw": "injected exception",
                    "segfault": "SIGSEGV"}
        for kind, text in expected.items():
            for trial_id, state, attempts, errors in by_kind[kind]:
                self.assertEqual(state, "failed", f"{kind} trial {trial_id}")
                self.assertEqual(attempts, 2, f"{kind} trial {trial_id}: 1 try + 1 retry")
                self.assertIn(text, errors, f"{kind} trial {trial_id}")


if __name__ == "__main__":
    unittest.main()
