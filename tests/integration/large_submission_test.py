"""A large submission never stalls the service, survives kill -9 all or nothing, and is never
reported failed when the coordinator is slow (issue 22, item 1; docs/decisions.md, "Sweeps
stored in steps")."""

import http.server
import json
import os
import re
import signal
import subprocess
import threading
import time
import unittest

from harness import EXE, RuntimeTestCase, noop_sweep

BIG = 150000


def big_sweep(name, trials=BIG):
    # Distinct keys from the running sweep's (value 0.9): nothing is reused.
    return noop_sweep(name, trials, [{"value": 0.9}])


class LargeSubmissionTest(RuntimeTestCase):
    # Short leases: a stall of the coordinator longer than a second expires them.
    lease_timeout = 1.0

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def submit_cli(self, path, *extra, timeout=300):
        return subprocess.run([EXE, "submit", path, "--coordinator", f"127.0.0.1:{self.port}",
                               *extra], capture_output=True, text=True, env=self.env,
                              timeout=timeout)

    def sweep_rows(self, name):
        """(sweeps rows named `name`, their trials, their item templates) in the store."""
        sweeps = self.query("SELECT id FROM sweeps WHERE name = ?", name)
        ids = [r[0] for r in sweeps]
        trials = sum(self.query("SELECT count(*) FROM trials WHERE sweep_id = ?", i)[0][0]
                     for i in ids)
        templates = sum(self.query("SELECT count(*) FROM item_templates WHERE sweep_id = ?", i)
                        [0][0] for i in ids)
        return len(ids), trials, templates

    def test_running_groups_keep_their_leases_during_a_large_submission(self):
        self.start_coordinator()
        self.submit(noop_sweep("run", 400, [{"sleep_ms": 100}], retries=0))
        self.start_group()
        self.start_group()
        deadline = time.time() + 60
        while self.counts("run")["done"] < 5:
            self.assertLess(time.time(), deadline, self.log("coordinator.log"))
            time.sleep(0.1)

        # A probe of the API while the submission is stored: its slowest answer.
        slowest = [0.0]
        answered = [0]
        stop = threading.Event()

        def probe():
            while not stop.is_set():
                start = time.time()
                status, _ = self.request("GET", "/api/v1/sweeps/run", timeout=30)
                self.assertEqual(status, 200)
                slowest[0] = max(slowest[0], time.time() - start)
                answered[0] += 1
                time.sleep(0.05)

        prober = threading.Thread(target=probe)
        prober.start()
        try:
            out = self.submit_cli(self.write("big.yaml", big_sweep("big")))
        finally:
            stop.set()
            prober.join()
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"{BIG} trials ({BIG} new", out.stdout)
        self.assertIn("planning", out.stderr, "the client showed no progress")
        self.assertEqual(self.counts("big")["total"], BIG)
        log = self.log("coordinator.log")
        self.assertNotIn("expired", log)
        self.assertGreater(answered[0], 10)
        # A store transaction for the whole sweep stalls every request for seconds here.
        self.assertLess(slowest[0], 0.5, f"slowest API answer during the submission: "
                                         f"{slowest[0]:.2f} s")
        self.wait_finished("run", 120)
        rows = self.query("SELECT count(*) FROM attempts a JOIN trials t ON t.id = a.trial_id "
                          "JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = 'run' "
                          "AND a.outcome != 'done'")
        self.assertEqual(rows[0][0], 0, "an attempt of the running sweep did not complete")

    def test_coordinator_killed_while_storing_comes_back_with_all_or_none(self):
        self.coordinator_args = ["--plan-rows-per-step", "500"]  # a slower store: time to kill
        self.start_coordinator()
        yaml_text = big_sweep("big", 100000)
        status, body = self.request("POST", "/api/v1/sweeps", {"yaml": yaml_text}, timeout=30)
        self.assertEqual(status, 202, body)  # answered at once with its progress
        self.assertEqual(body["state"], "planning")
        deadline = time.time() + 120
        while True:
            status, body = self.request("GET", "/api/v1/sweeps/big/submission")
            self.assertEqual(status, 200, body)
            if body.get("stored", 0) >= 5000:
                break
            self.assertLess(time.time(), deadline, body)
            time.sleep(0.05)
        self.assertEqual(body["state"], "planning", body)
        # Listed while it is planned, not as a sweep.
        status, full = self.request("GET", "/api/v1/status")
        self.assertEqual([p["sweep"] for p in full["planning"]], ["big"])
        self.assertNotIn("big", [s["name"] for s in full["sweeps"]])
        self.coordinator.send_signal(signal.SIGKILL)
        self.coordinator.wait(timeout=10)
        sweeps, trials, _ = self.sweep_rows("big")
        self.assertEqual(sweeps, 1)
        self.assertGreater(trials, 0, "killed before anything was stored: the test proves nothing")
        self.assertLess(trials, 100000)

        self.start_coordinator()  # comes back without it
        self.assertEqual(self.sweep_rows("big"), (0, 0, 0))
        status, _ = self.request("GET", "/api/v1/sweeps/big")
        self.assertEqual(status, 404)
        status, _ = self.request("GET", "/api/v1/sweeps/big/submission")
        self.assertEqual(status, 404)
        self.assertIn("discarded", self.log("coordinator.log"))

        # Submitted again: the whole sweep; killed once it is ready, it stays whole.
        out = self.submit_cli(self.write("big.yaml", yaml_text))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.coordinator.send_signal(signal.SIGKILL)
        self.coordinator.wait(timeout=10)
        self.start_coordinator()
        self.assertEqual(self.sweep_rows("big")[:2], (1, 100000))
        self.assertEqual(self.counts("big")["pending"], 100000)
        # And a repeated submission changes nothing (idempotent).
        out = self.submit_cli(self.write("big.yaml", yaml_text))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("resumed", out.stdout)
        self.assertIn("100000 unchanged", out.stdout)
        self.assertEqual(self.sweep_rows("big")[:2], (1, 100000))

    def test_a_submission_slower_than_the_request_timeout_is_not_a_failure(self):
        self.start_coordinator()
        # Each request may take 0.3 s; storing the sweep takes seconds: the first reply (at
        # the latest 1 s after the request) comes too late, and the client asks for its state.
        out = self.submit_cli(self.write("big.yaml", big_sweep("slow", 100000)),
                              "--request-timeout", "0.3")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("100000 trials (100000 new", out.stdout)
        self.assertEqual(self.counts("slow")["total"], 100000)


class StallingCoordinator(http.server.BaseHTTPRequestHandler):
    """A coordinator that takes 3 s to answer a submission, then reports it stored after a
    few polls of its state."""
    polls = 0

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(3)
        try:
            self.reply(202, {"sweep": "s", "state": "planning", "phase": "expanding"})
        except OSError:
            pass  # the client gave up on this request

    def do_GET(self):
        StallingCoordinator.polls += 1
        if StallingCoordinator.polls < 3:
            self.reply(200, {"sweep": "s", "state": "planning", "phase": "storing",
                             "stored": 10 * StallingCoordinator.polls, "total": 30})
        else:
            self.reply(200, {"sweep": "s", "state": "ready", "user": "alice", "trials": 3,
                             "created": 3, "reused": 0, "requeued": 0, "unchanged": 0})


class SlowClientPathTest(unittest.TestCase):
    def test_a_timed_out_submission_is_followed_up_not_failed(self):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StallingCoordinator)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.yaml")
            with open(path, "w") as f:
                f.write(noop_sweep("s", 3, [{"value": 0.5}]))
            try:
                out = subprocess.run([EXE, "submit", path, "--coordinator",
                                      f"127.0.0.1:{server.server_address[1]}",
                                      "--request-timeout", "1"],
                                     capture_output=True, text=True, timeout=60)
            finally:
                server.shutdown()
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("3 trials (3 new", out.stdout)
        self.assertRegex(out.stderr, r"planning \(storing (10|20)/30 trials\)")
        self.assertTrue(re.search("asking the coordinator", out.stderr), out.stderr)


if __name__ == "__main__":
    unittest.main()
