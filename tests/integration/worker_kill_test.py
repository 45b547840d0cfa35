"""kill -9 a worker rank mid-trial, several times in one sweep: every trial completes exactly
once and none is lost (the killed group's leases expire, its trials are leased again, and
the restarted group joins in). Trials write HDF5 arrays: afterwards every done trial has
its own arrays, written by the attempt that completed it, and no array group is orphaned."""

import os
import signal
import time
import unittest

from harness import MPIRUN, RuntimeTestCase, children_of, noop_sweep

ARRAY = 5000  # floats per trial, written to HDF5 (issue 19: chaos with arrays)


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


class WorkerKillTest(RuntimeTestCase):
    @unittest.skipIf(MPIRUN is None, "needs mpirun")
    def test_kill_rank_mid_trial_three_times(self):
        self.start_coordinator()
        self.start_group(ranks=2)
        self.start_group(ranks=1)
        self.submit(noop_sweep("kills", 24, [{"sleep_ms": 600, "array_size": ARRAY}], retries=5))
        kills = 0
        deadline = time.time() + 150
        while kills < 3 and time.time() < deadline:
            status, body = self.request("GET", "/api/v1/status")
            # The newest 2-rank group is the running mpirun group; kill only while it
            # holds trials, so the kill lands mid-trial.
            two = [g for g in body["groups"] if g["ranks"] == 2]
            busy = two and max(two, key=lambda g: g["id"])["trials"]
            mpirun_groups = [p for p, ranks in self.groups if ranks == 2 and p.poll() is None]
            if busy and mpirun_groups:
                workers = [pid for pid in children_of(mpirun_groups[0].pid)
                           if b"worker" in read_bytes(f"/proc/{pid}/cmdline")]
                if len(workers) == 2:
                    os.kill(workers[-1], signal.SIGKILL)  # a non-zero rank, mid-trial
                    kills += 1
                    time.sleep(0.5)
            self.relaunch_dead_groups()
            time.sleep(0.7)
        self.assertEqual(kills, 3)
        self.wait_finished("kills", 150, on_poll=lambda _: self.relaunch_dead_groups())
        self.assert_each_done_exactly_once("kills", 24)
        self.assert_arrays_stored("kills", ARRAY)
        expired = self.query("SELECT COUNT(*) FROM attempts WHERE outcome = 'expired'")[0][0]
        self.assertGreaterEqual(expired, 1, "killing a rank mid-trial must expire its lease")


if __name__ == "__main__":
    unittest.main()
