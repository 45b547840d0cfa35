"""Adaptive search (ASHA over replicate groups) through real processes, with faults: kill -9
the coordinator mid-search and restart it on the same database; kill -9 the worker in the
middle of a rung. The noop method's deterministic curves (value, rate) make the expected
stops exact: with one worker group the configurations are decided in plan order, so the
paired asynchronous rule stops the same five of nine every time, faults or not. Afterwards:
every trial is done or stopped, once; a configuration's trials are all done or all stopped;
each (trial, rung) result is stored once; no decision is made twice."""

import os
import signal
import time
import unittest

from harness import RuntimeTestCase

VALUES = [0.5, 0.8, 0.3, 0.9, 0.6, 0.7, 0.2, 0.95, 0.4]
# Rung 0 (epoch 1), decided in plan order with eta 3 (top max(1, n // 3) go on): 0.5, 0.8,
# 0.9 and 0.95 are promoted, and stay so at the later rungs (the curves keep their order).
STOPPED = {0.3, 0.6, 0.7, 0.2, 0.4}


def asha_sweep(name, sleep_ms):
    values = ", ".join(str(v) for v in VALUES)
    return (f"name: {name}\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
            "replicates: {data_seeds: [1, 2], train_seeds: [1]}\n"
            f"methods:\n  - {{name: noop, value: [{values}], rate: 0.3, sleep_ms: {sleep_ms}}}\n"
            "search: {mode: grid, scheduler: {name: asha, min: 1, max: 9, eta: 3}}\n"
            "retries: 5\n")


class SearchFaultsTest(RuntimeTestCase):
    lease_timeout = 3.0

    def rows(self, sweep):
        return self.query(
            "SELECT t.id, t.state, t.params_json, "
            " (SELECT COUNT(*) FROM attempts a WHERE a.trial_id = t.id AND a.outcome = 'done') "
            "FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = ?", sweep)

    def assert_search_outcome(self, sweep, exact=True):
        """exact: the stops of plan order (STOPPED). A fault that re-queues a trial changes the
        order in which groups complete a rung, and ASHA's asynchronous rule depends on that
        order; then only what holds in any order is checked: the best configuration is never
        stopped, the worst always is, and at most the first one decided at a rung has no
        competition."""
        import json
        by_value = {}
        for trial_id, state, params, done_attempts in self.rows(sweep):
            value = json.loads(params)["value"]
            by_value.setdefault(value, set()).add(state)
            self.assertIn(state, ("done", "stopped"), trial_id)
            self.assertLessEqual(done_attempts, 1, f"trial {trial_id} completed twice")
        self.assertEqual(len(by_value), len(VALUES))
        for value, states in by_value.items():
            self.assertEqual(len(states), 1, f"config {value}: trials both done and stopped")
            if exact:
                want = "stopped" if value in STOPPED else "done"
                self.assertEqual(states, {want}, f"config value {value}")
        self.assertEqual(by_value[max(VALUES)], {"done"}, "the best configuration was stopped")
        self.assertEqual(by_value[min(VALUES)], {"stopped"}, "the worst one ran to the end")
        decisions = self.query("SELECT config, rung, COUNT(*) FROM search_decisions "
                               "GROUP BY config, rung HAVING COUNT(*) > 1")
        self.assertEqual(decisions, [], "a decision made twice")
        stopped_rungs = self.query("SELECT COUNT(*) FROM search_decisions WHERE promoted = 0")
        if exact:
            self.assertEqual(stopped_rungs[0][0], len(STOPPED))
        else:
            self.assertGreaterEqual(stopped_rungs[0][0], len(STOPPED) - 1)
        missing = self.query(
            "SELECT t.id FROM trials t WHERE t.state = 'stopped' AND NOT EXISTS "
            "(SELECT 1 FROM search_rungs r WHERE r.trial_id = t.id AND r.rung = 0)")
        self.assertEqual(missing, [], "a stopped trial without its rung result")

    def test_coordinator_kill_mid_search(self):
        self.start_coordinator()
        self.start_group()
        self.submit(asha_sweep("asha-restart", 1800))
        deadline = time.time() + 90
        # Kill once some decisions are rows and the search is mid-way.
        while self.query("SELECT COUNT(*) FROM search_decisions")[0][0] < 3:
            self.assertLess(time.time(), deadline, self.log("coordinator.log"))
            time.sleep(0.1)
        for _ in range(2):
            self.coordinator.kill()  # SIGKILL
            self.coordinator.wait()
            time.sleep(1.5)  # the worker keeps training, its heartbeats and rungs wait
            self.start_coordinator()
            time.sleep(2.0)
        self.wait_finished("asha-restart", 180)
        self.assert_search_outcome("asha-restart")
        self.assertIsNone(self.groups[0][0].poll(), "the worker must survive the restarts")

    def test_worker_kill_mid_rung(self):
        self.start_coordinator()
        self.start_group()
        self.submit(asha_sweep("asha-kill", 2700))
        deadline = time.time() + 90
        # Kill the worker right after a trial reported rung 0 and before it finished.
        victim = None
        while victim is None:
            self.assertLess(time.time(), deadline, self.log("group0.log"))
            rows = self.query("SELECT r.trial_id, r.attempt FROM search_rungs r JOIN trials t "
                              "ON t.id = r.trial_id WHERE t.state = 'running' AND r.rung = 0")
            if rows:
                victim = rows[0]
            time.sleep(0.05)
        os.kill(self.groups[0][0].pid, signal.SIGKILL)
        self.groups[0][0].wait()
        time.sleep(0.5)
        self.relaunch_dead_groups()
        self.wait_finished("asha-kill", 180, on_poll=lambda _: self.relaunch_dead_groups())
        self.assert_search_outcome("asha-kill", exact=False)
        trial_id, attempt = victim
        attempts = self.query("SELECT COUNT(*) FROM attempts WHERE trial_id = ?", trial_id)[0][0]
        self.assertGreaterEqual(attempts, 2, "the killed trial was leased again")
        reported = self.query("SELECT attempt FROM search_rungs WHERE trial_id = ? AND rung = 0",
                              trial_id)
        self.assertEqual(reported, [(attempt,)], "rung 0 stored once, by the first attempt")


if __name__ == "__main__":
    unittest.main()
