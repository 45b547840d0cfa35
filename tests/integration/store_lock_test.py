"""One coordinator per store: a second coordinator, or `chromatune run`, on a database that a
coordinator serves exits at once with an error naming the first one's host and pid and the
lock file; the first serves on undisturbed. Once the first is gone (even by kill -9) the
store is free again."""

import os
import socket
import subprocess
import time
import unittest

from harness import EXE, RuntimeTestCase, free_port, noop_sweep


class StoreLockTest(RuntimeTestCase):
    def run_cli(self, *args, timeout=30):
        start = time.time()
        out = subprocess.run([EXE, *args], capture_output=True, text=True, env=self.env,
                             timeout=timeout)
        return out, time.time() - start

    def test_second_coordinator_and_run_are_refused_naming_the_first(self):
        first = self.start_coordinator()
        lock_file = self.db + ".lock"
        with open(lock_file) as f:
            self.assertEqual(f.read().split(), [socket.gethostname(), str(first.pid)])

        out, took = self.run_cli("coordinator", "--db", self.db, "--listen",
                                 f"127.0.0.1:{free_port()}", "--insecure-loopback")
        self.assertNotEqual(out.returncode, 0, out.stderr)
        self.assertLess(took, 10, "the second coordinator must exit at once, not wait")
        for text in (f"pid {first.pid}", f"host {socket.gethostname()}", lock_file):
            self.assertIn(text, out.stderr)
        self.assertNotIn("listening on", out.stdout)

        sweep = os.path.join(self.dir, "lock.yaml")
        with open(sweep, "w") as f:
            f.write(noop_sweep("lock", 2, [{"sleep_ms": 0}]))
        out, took = self.run_cli("run", sweep, "--db", self.db, "--workers", "1")
        self.assertNotEqual(out.returncode, 0, out.stderr)
        self.assertLess(took, 10)
        self.assertIn(f"pid {first.pid}", out.stderr)
        self.assertIn(lock_file, out.stderr)
        self.assertEqual(self.query("SELECT COUNT(*) FROM sweeps")[0][0], 0,
                         "the refused run must not have written to the store")

        status, _ = self.request("GET", "/api/v1/status")
        self.assertEqual(status, 200, "the first coordinator must serve on")

        first.kill()  # kill -9: the kernel releases the flock with the process
        first.wait()
        self.start_coordinator()  # the same store, at once
        status, _ = self.request("GET", "/api/v1/status")
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
