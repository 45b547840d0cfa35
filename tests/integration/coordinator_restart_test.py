"""kill -9 the coordinator mid-sweep and restart it on the same database: the sweep
completes, nothing is lost or stored twice, and the workers reconnect by themselves. Trials
write HDF5 arrays (a kill may land in an HDF5 write): afterwards every done trial has its own
arrays and no array group is orphaned."""

import time
import unittest

from harness import RuntimeTestCase, noop_sweep

ARRAY = 5000  # floats per trial, written to HDF5 (issue 19: chaos with arrays)


class CoordinatorRestartTest(RuntimeTestCase):
    lease_timeout = 3.0

    def test_kill_and_restart_coordinator(self):
        self.start_coordinator()
        self.start_group()
        self.start_group()
        self.submit(noop_sweep("restart", 30, [{"sleep_ms": 200, "array_size": ARRAY}]))
        deadline = time.time() + 60
        while self.counts("restart")["done"] < 6:
            self.assertLess(time.time(), deadline, self.log("group0.log"))
            time.sleep(0.1)
        for round_ in range(2):
            self.coordinator.kill()  # SIGKILL, mid-sweep
            self.coordinator.wait()
            time.sleep(1.0)  # workers keep running, fail to reach it, back off
            self.start_coordinator()
            if round_ == 0:
                done = self.counts("restart")["done"]
                while self.counts("restart")["done"] < done + 4:
                    self.assertLess(time.time(), deadline + 60, self.log("coordinator.log"))
                    time.sleep(0.1)
        self.wait_finished("restart", 120)
        self.assert_each_done_exactly_once("restart", 30)
        self.assert_arrays_stored("restart", ARRAY)
        for p, _ in self.groups:
            self.assertIsNone(p.poll(), "workers must survive the coordinator's restarts")


if __name__ == "__main__":
    unittest.main()
