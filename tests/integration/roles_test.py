"""A coordinator a lab can share (issue 18), over real HTTP: two users, a viewer and two worker
tokens against every route; a takeover attempt; forged completions (a wrong lease id, another
user's token) that store nothing; a group quarantined after its leases kept expiring; a real
worker that reports with its lease ids; SIGHUP revoking a token; the audit trail in
`chromatune status`."""

import os
import signal
import subprocess
import time
import unittest

from harness import EXE, RuntimeTestCase, noop_sweep

ROOT = "root-token-0123456789abcdef"
ALICE = "alice-token-0123456789abcdef"
BOB = "bob-token-0123456789abcdef00"
VERA = "viewer-token-0123456789abcdef"
WORKER = "worker-token-0123456789abcdef"
WORKER2 = "worker2-token-0123456789abcdef"
TOKENS = (f"root {ROOT} admin\nalice {ALICE}\nbob {BOB} user\nvera {VERA} viewer\n"
          f"w {WORKER} worker\nw2 {WORKER2} worker\n")
EVERYONE = {"root": ROOT, "alice": ALICE, "bob": BOB, "vera": VERA, "w": WORKER}


class RolesTest(RuntimeTestCase):
    lease_timeout = 1.0
    api_token = VERA

    def setUp(self):
        super().setUp()
        self.tokens = os.path.join(self.dir, "tokens")
        with open(self.tokens, "w") as f:
            f.write(TOKENS)
        self.start_coordinator(token_file=self.tokens)

    def post(self, path, body, token):
        return self.request("POST", path, body, token=token)

    def submit_as(self, token, name, trials=3, priority=0):
        yaml = noop_sweep(name, trials, [{"sleep_ms": 0}]) + f"priority: {priority}\n"
        return self.post("/api/v1/sweeps", {"yaml": yaml, "origin": f"{name}.yaml"}, token)

    def register(self, token):
        status, body = self.post("/api/v1/groups", {"ranks": 1, "host": "h"}, token)
        self.assertEqual(status, 201, body)
        return body["group_id"]

    def lease(self, token, group):
        status, body = self.post("/api/v1/lease", {"group_id": group, "free_ranks": 1}, token)
        self.assertEqual(status, 200, body)
        return body["trials"]

    def test_every_route_per_role_and_ownership(self):
        for token in (VERA, WORKER):
            status, body = self.submit_as(token, "refused")
            self.assertEqual(status, 403, body)
        self.assertIn("viewers may only read", self.submit_as(VERA, "refused")[1]["error"])
        status, body = self.submit_as(ALICE, "alices")
        self.assertEqual(status, 201, body)
        self.assertEqual(body["user"], "alice")
        # A takeover: bob submits alice's sweep name with his own settings.
        status, body = self.submit_as(BOB, "alices", trials=5, priority=50)
        self.assertEqual(status, 409, body)
        self.assertIn("owned by alice", body["error"])
        self.assertEqual(self.query("SELECT user, priority FROM sweeps WHERE name = 'alices'"),
                         [("alice", 0)])
        self.assertEqual(self.query("SELECT count(*) FROM trials")[0][0], 3)

        for path in ("/api/v1/status", "/api/v1/audit", "/api/v1/sweeps/alices"):
            for user, token in EVERYONE.items():
                status, body = self.request("GET", path, token=token)
                self.assertEqual(status, 403 if user == "w" else 200, f"{path} {user}: {body}")
        for token in (ALICE, BOB, VERA):
            status, body = self.post("/api/v1/groups", {"ranks": 1}, token)
            self.assertEqual(status, 403, body)
            status, body = self.post("/api/v1/lease", {"group_id": 1, "free_ranks": 1}, token)
            self.assertEqual(status, 403, body)
        for token in (BOB, VERA, WORKER):
            for verb, body in (("cancel", {}), ("priority", {"priority": 3})):
                status, reply = self.post(f"/api/v1/sweeps/alices/{verb}", body, token)
                self.assertEqual(status, 403, f"{verb}: {reply}")
        status, body = self.post("/api/v1/sweeps/alices/cancel", {}, BOB)
        self.assertIn('user bob may not cancel sweep "alices" owned by alice', body["error"])
        self.assertEqual(self.counts("alices")["pending"], 3)
        # --max-user-priority (100) bounds alice, not root.
        status, body = self.post("/api/v1/sweeps/alices/priority", {"priority": 1000000}, ALICE)
        self.assertEqual(status, 400, body)
        self.assertIn("--max-user-priority", body["error"])
        status, body = self.submit_as(ALICE, "greedy", priority=101)
        self.assertEqual(status, 400, body)
        self.assertEqual(self.post("/api/v1/sweeps/alices/priority", {"priority": 7}, ALICE)[0], 200)
        self.assertEqual(self.post("/api/v1/sweeps/alices/priority", {"priority": 500}, ROOT)[0], 200)
        self.assertEqual(self.post("/api/v1/sweeps/alices/cancel", {}, ALICE)[0], 200)

        # The audit trail, in the API and in `chromatune status`.
        status, body = self.request("GET", "/api/v1/audit", token=VERA)
        actions = [(a["user"], a["action"]) for a in body["audit"]]
        self.assertEqual(actions, [("alice", "cancel"), ("root", "priority"),
                                   ("alice", "priority"), ("alice", "submit")])
        out = subprocess.run([EXE, "status", "--coordinator", f"127.0.0.1:{self.port}",
                              "--token-file", self._client_token(VERA)],
                             capture_output=True, text=True, env=self.env, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("AUDIT", out.stdout)
        self.assertIn("priority 7 -> 500", out.stdout)

    def test_forged_reports_store_nothing(self):
        self.assertEqual(self.submit_as(ALICE, "forge", trials=1)[0], 201)
        group = self.register(WORKER)
        trial = self.lease(WORKER, group)[0]
        self.assertGreaterEqual(len(trial["lease_id"].rsplit(".", 1)[1]), 32)  # >= 128 bits
        path = f"/api/v1/trials/{trial['trial_id']}/complete"
        result = {"metrics": {"accuracy": 1.0}}
        wrong = trial["lease_id"][:-1] + ("0" if trial["lease_id"][-1] != "0" else "1")
        forged = [
            (WORKER, {"attempt": 1, "lease_id": wrong, "result": result}, 409),
            (WORKER, {"attempt": 1, "result": result}, 400),  # no lease id at all
            (WORKER2, {"attempt": 1, "lease_id": trial["lease_id"], "result": result}, 403),
            (ALICE, {"attempt": 1, "lease_id": trial["lease_id"], "result": result}, 403),
            (ROOT, {"attempt": 1, "lease_id": trial["lease_id"], "result": result}, 403),
        ]
        for token, body, want in forged:
            status, reply = self.post(path, body, token)
            self.assertEqual(status, want, reply)
        for verb in ("heartbeat", "fail", "release"):
            status, reply = self.post(f"/api/v1/trials/{trial['trial_id']}/{verb}",
                                      {"attempt": 1, "lease_id": wrong, "error": "x"}, WORKER)
            self.assertEqual(status, 409, f"{verb}: {reply}")
        # Afterwards the trial is not done and nothing was stored.
        self.assertEqual(self.query("SELECT state FROM trials WHERE id = ?", trial["trial_id"]),
                         [("leased",)])
        self.assertEqual(self.query("SELECT count(*) FROM metrics")[0][0], 0)
        self.assertEqual(self.query("SELECT count(*) FROM attempts WHERE outcome != ''")[0][0], 0)
        # The holder's own completion is accepted.
        status, reply = self.post(path, {"attempt": 1, "lease_id": trial["lease_id"],
                                         "result": result}, WORKER)
        self.assertEqual(status, 200, reply)
        self.assertEqual(self.counts("forge")["done"], 1)

    def test_a_group_whose_leases_keep_expiring_is_quarantined(self):
        self.assertEqual(self.submit_as(ALICE, "q", trials=4)[0], 201)
        group = self.register(WORKER2)
        held = []
        for _ in range(3):
            deadline = time.time() + 10
            trials = []
            while not trials and time.time() < deadline:
                status, body = self.post("/api/v1/lease", {"group_id": group, "free_ranks": 1},
                                         WORKER2)
                self.assertEqual(status, 200, body)
                trials = body["trials"]
                time.sleep(0.1)
            self.assertTrue(trials, "nothing leased")
            held.append(trials[0])
            time.sleep(self.lease_timeout * 1.6)  # never heartbeated: the lease expires
        status, body = self.post("/api/v1/lease", {"group_id": group, "free_ranks": 1}, WORKER2)
        self.assertEqual(status, 403, body)
        self.assertTrue(body.get("stop"), body)
        self.assertIn("quarantined", body["error"])
        status, body = self.request("GET", "/api/v1/status", token=VERA)
        self.assertEqual([g["id"] for g in body["quarantined_groups"]], [group])
        # Unstarted work whose lease expired costs no retries.
        self.assertEqual(self.query("SELECT max(failures) FROM trials")[0][0], 0)
        # A real worker (its own token) reports with its lease ids and finishes the sweep.
        log = open(os.path.join(self.dir, "worker.log"), "a")
        self.files.append(log)
        worker = subprocess.Popen([EXE, "worker", "--coordinator", f"127.0.0.1:{self.port}",
                                   "--long-poll", "1", "--token-file",
                                   self._client_token(WORKER)],
                                  stdout=log, stderr=log, env=self.env)
        self.groups.append((worker, 1))
        self.wait_finished("q", 60)
        self.assert_each_done_exactly_once("q", 4)

    def test_sighup_rereads_the_tokens(self):
        self.assertEqual(self.request("GET", "/api/v1/status", token=BOB)[0], 200)
        with open(self.tokens, "w") as f:
            f.write(f"root {ROOT} admin\nbroken line with too many fields\n")
        self.coordinator.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        self.assertEqual(self.request("GET", "/api/v1/status", token=BOB)[0], 200)  # kept
        self.assertIn("the tokens in force are kept", self.log("coordinator.log"))
        with open(self.tokens, "w") as f:
            f.write(f"root {ROOT} admin\n")
        self.coordinator.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while time.time() < deadline:
            if self.request("GET", "/api/v1/status", token=BOB)[0] == 401:
                break
            time.sleep(0.1)
        self.assertEqual(self.request("GET", "/api/v1/status", token=BOB)[0], 401)
        self.assertEqual(self.request("GET", "/api/v1/status", token=ROOT)[0], 200)

    def _client_token(self, token):
        path = os.path.join(self.dir, f"client-{token[:6]}.token")
        with open(path, "w") as f:
            f.write(token + "\n")
        return path


if __name__ == "__main__":
    unittest.main()
