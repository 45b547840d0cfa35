"""Connections cut: the coordinator closes every socket (SIGUSR1) again and again while
workers run a sweep; the workers reconnect and the sweep completes exactly once, every done
trial with its HDF5 arrays and no array group orphaned."""

import signal
import time
import unittest

from harness import RuntimeTestCase, noop_sweep

ARRAY = 5000  # floats per trial, written to HDF5 (issue 19: chaos with arrays)


class ConnectionCutTest(RuntimeTestCase):
    def test_workers_reconnect_after_cuts(self):
        self.start_coordinator()
        self.start_group()
        self.start_group()
        self.submit(noop_sweep("cuts", 40, [{"sleep_ms": 100, "array_size": ARRAY}]))
        for _ in range(8):
            time.sleep(0.3)
            self.coordinator.send_signal(signal.SIGUSR1)
        self.wait_finished("cuts", 90)
        self.assert_each_done_exactly_once("cuts", 40)
        self.assert_arrays_stored("cuts", ARRAY)
        self.assertIn("closing", self.log("coordinator.log"))
        for p, _ in self.groups:
            self.assertIsNone(p.poll())


if __name__ == "__main__":
    unittest.main()
