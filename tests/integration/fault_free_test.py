"""A fault-free run: two worker groups (one of 2 ranks under mpirun, one of 1 rank) run a
sweep of short trials that write HDF5 arrays, with nothing killed or cut. No lease may expire
and no attempt may fail (a heartbeat that comes late, a lease the scheduler forgets or a grant
lost on the way would each show as an expiry here), every trial is done exactly once and every
done trial has its arrays."""

import unittest

from harness import MPIRUN, RuntimeTestCase, noop_sweep

ARRAY = 5000  # floats per trial, written to HDF5


class FaultFreeTest(RuntimeTestCase):
    @unittest.skipIf(MPIRUN is None, "needs mpirun")
    def test_no_lease_expires_without_faults(self):
        self.start_coordinator()
        self.start_group(ranks=2)
        self.start_group(ranks=1)
        # Some trials outlive a lease timeout (2 s): they stay leased by heartbeats alone.
        self.submit(noop_sweep("calm", 16, [
            {"sleep_ms": 150, "array_size": ARRAY},
            {"sleep_ms": 2500, "value": 0.25, "array_size": ARRAY}]))
        self.wait_finished("calm", 120)
        self.assert_each_done_exactly_once("calm", 32)
        self.assert_no_expired_leases()
        self.assert_arrays_stored("calm", ARRAY)


if __name__ == "__main__":
    unittest.main()
