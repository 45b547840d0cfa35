"""A full disk is the infrastructure's fault, not the trials': the coordinator keeps serving
reads, results it cannot store are refused with 503 (the worker keeps them and sends them
again), nothing is charged to a trial, and the sweep finishes when space returns with every
result stored once, arrays included (docs/runtime.md, "Failure accounting").

The store lives on a small tmpfs (mount -t tmpfs -o size=...: needs root); a filler file takes
its free space and is deleted to give it back."""

import os
import subprocess
import time
import unittest

from harness import EXE, RuntimeTestCase, noop_sweep

ARRAY = 100000  # floats per trial: 400 KB, so every result needs new room in the HDF5 file


def can_mount():
    return os.geteuid() == 0 and os.path.exists("/bin/mount")


@unittest.skipUnless(can_mount(), "needs root to mount a size-limited tmpfs")
class DiskFullTest(RuntimeTestCase):
    # Longer than a worker's longest pause between two offers of a result (its backoff cap,
    # 5 s), as leases are in use (30 s by default): a result refused on a full disk is offered
    # again within its lease, which the coordinator extends when writes work again.
    lease_timeout = 8.0

    def setUp(self):
        super().setUp()
        self.mnt = os.path.join(self.dir, "small")
        os.makedirs(self.mnt)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", self.mnt], check=True)
        self.db = os.path.join(self.mnt, "runs.db")
        self.filler = os.path.join(self.mnt, "filler")

    def tearDown(self):
        super().tearDown()  # kills the processes first, so the mount is not busy
        subprocess.run(["umount", "-l", self.mnt])

    def fill_disk(self):
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for size in (1 << 20, 4096, 1):  # down to the last byte
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError:
                    pass
        finally:
            os.close(fd)

    def done(self):
        return self.counts("full")["done"]

    def test_results_wait_for_space_and_nothing_is_charged(self):
        self.start_coordinator()
        self.submit(noop_sweep("full", 12, [{"sleep_ms": 300, "array_size": ARRAY}]))
        self.start_group()
        deadline = time.time() + 60
        while self.done() < 2:
            self.assertLess(time.time(), deadline, self.log("coordinator.log"))
            time.sleep(0.1)
        self.fill_disk()
        # Reads are served on a full disk.
        status, body = self.request("GET", "/api/v1/status")
        self.assertEqual(status, 200, body)
        stuck_at = self.done()
        time.sleep(self.lease_timeout + 1)  # nothing may expire meanwhile
        self.assertLessEqual(self.done(), stuck_at + 1, "results stored on a full disk?")
        status, body = self.request("GET", "/api/v1/sweeps/full")
        self.assertEqual(status, 200, body)
        # New work is refused, saying why (503: retry later, not "your file is bad").
        path = os.path.join(self.dir, "more.yaml")  # self.dir is not on the full tmpfs
        with open(path, "w") as f:
            f.write(noop_sweep("more", 20, [{"sleep_ms": 10}]))
        more = subprocess.run([EXE, "submit", path, "--coordinator", f"127.0.0.1:{self.port}"],
                              capture_output=True, text=True, env=self.env, timeout=60)
        self.assertNotEqual(more.returncode, 0, more.stdout)
        self.assertIn("the coordinator cannot take new sweeps now", more.stderr)
        self.assertIn("the disk is full", more.stderr)
        os.remove(self.filler)
        self.wait_finished("full", 120)
        self.assert_each_done_exactly_once("full", 12)
        self.assert_arrays_stored("full", ARRAY)
        self.assert_no_expired_leases()
        charged = self.query("SELECT COUNT(*) FROM trials WHERE failures > 0")[0][0]
        self.assertEqual(charged, 0)
        # It said why (the log holds HDF5's own error stacks too: search, do not print).
        with open(os.path.join(self.dir, "coordinator.log")) as f:
            log = f.read()
        for text in ("coordinator: cannot store results: RESOURCE_EXHAUSTED",
                     "the disk is full", "the store takes writes again"):
            self.assertTrue(text in log, f"coordinator log lacks {text!r}")


if __name__ == "__main__":
    unittest.main()
