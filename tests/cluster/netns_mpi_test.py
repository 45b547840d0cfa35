"""Multi-host MPI without a second machine: two network namespaces joined by a veth pair
(192.0.2.1/24 in ns A, 192.0.2.2/24 in ns B: documentation addresses that exist only inside
them), known to OpenMPI as the hosts "ns-a" and "ns-b" and reached through
netns_rsh_agent.sh instead of ssh; MPI and OpenMPI's own traffic stay on 192.0.2.0/24 over
TCP (no shared memory between the "hosts").

- `chromatune run --hostfile` in ns A, coordinator on 192.0.2.1: a worker group of 2 ranks,
  one rank in each namespace, runs a sweep of 2-rank trials to the end.
- the documented `mpirun --hostfile ... chromatune worker` (rank 0 in ns B) next to a
  coordinator and a second group in ns A: the link is cut (`ip link set down`) while the
  spanning group holds trials; their leases expire, the group in ns A does them, and every
  trial is stored exactly once.

Skipped, with the reason, only where network namespaces cannot be made (not root, no `ip`,
or `ip netns add` refused by the kernel or the container)."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import unittest

from harness import EXE, MPIRUN, RuntimeTestCase, noop_sweep

HERE = os.path.dirname(os.path.abspath(__file__))
AGENT = os.path.join(HERE, "netns_rsh_agent.sh")
TOKEN = "netns-test-token-0123456789"
ADDRESS = {"ns-a": "192.0.2.1", "ns-b": "192.0.2.2"}
# OpenMPI settings of every mpirun here (the same as --mca flags; docs/cluster.md).
MPI_ENV = {
    "OMPI_MCA_plm_rsh_agent": AGENT,
    "OMPI_MCA_plm_rsh_no_tree_spawn": "1",
    "OMPI_MCA_btl": "tcp,self",
    "OMPI_MCA_btl_tcp_if_include": "192.0.2.0/24",
    "OMPI_MCA_oob_tcp_if_include": "192.0.2.0/24",
    "OMPI_ALLOW_RUN_AS_ROOT": "1",
    "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
}


def ip(*args):
    return subprocess.run(["ip"] + list(args), capture_output=True, text=True, timeout=30)


class NetnsMpiTest(RuntimeTestCase):
    lease_timeout = 3.0

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("network namespaces need root (ip netns add)")
        if shutil.which("ip") is None:
            raise unittest.SkipTest("iproute2's ip is not installed (scripts/setup installs it)")
        if MPIRUN is None:
            raise unittest.SkipTest("needs OpenMPI's mpirun")
        tag = str(os.getpid())
        cls.netns = {"ns-a": "ct-a-" + tag, "ns-b": "ct-b-" + tag}
        cls.veth = {"ns-a": "ctva" + tag, "ns-b": "ctvb" + tag}  # at most 15 characters
        probe = ip("netns", "add", cls.netns["ns-a"])
        if probe.returncode != 0:
            raise unittest.SkipTest("ip netns add is not permitted here: " + probe.stderr.strip())
        try:
            cls.make_link()
        except BaseException:
            cls.remove_namespaces()
            raise

    @classmethod
    def make_link(cls):
        a, b = cls.netns["ns-a"], cls.netns["ns-b"]
        steps = [("netns", "add", b),
                 ("link", "add", cls.veth["ns-a"], "type", "veth", "peer", "name",
                  cls.veth["ns-b"])]
        for host, ns in (("ns-a", a), ("ns-b", b)):
            steps += [("link", "set", cls.veth[host], "netns", ns),
                      ("-n", ns, "addr", "add", ADDRESS[host] + "/24", "dev", cls.veth[host]),
                      ("-n", ns, "link", "set", cls.veth[host], "up"),
                      ("-n", ns, "link", "set", "lo", "up")]
        for step in steps:
            out = ip(*step)
            if out.returncode != 0:
                raise AssertionError("ip " + " ".join(step) + ": " + out.stderr)

    @classmethod
    def remove_namespaces(cls):
        for ns in cls.netns.values():
            ip("netns", "del", ns)  # takes the veth pair with it

    @classmethod
    def tearDownClass(cls):
        cls.remove_namespaces()

    def setUp(self):
        super().setUp()
        self.wait_for_link()
        self.env.update(MPI_ENV)
        self.env["CT_NETNS_MAP"] = " ".join(f"{h}={ns}" for h, ns in self.netns.items())
        self.tokens = os.path.join(self.dir, "tokens")
        with open(self.tokens, "w") as f:
            # One token for submitting and for the workers: an admin (issue 18: a user token
            # may not lease; the launchers taking a worker token is part of the TLS work).
            f.write(f"tester {TOKEN} admin\n")
        self.address = f"{ADDRESS['ns-a']}:{self.port}"
        # Off loopback the coordinator speaks TLS (issue 18): a certificate for ns A's
        # address, made as docs/cluster.md says; clients verify it with --ca.
        cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=ns-a", "-addext", f"subjectAltName=IP:{ADDRESS['ns-a']}",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        self.tls = ["--tls-cert", cert, "--tls-key", key]
        self.ca = ["--ca", cert]
        self.https = "https://" + self.address

    def tearDown(self):
        super().tearDown()  # the processes started here and their descendants
        self.kill_namespace_processes()
        ip("-n", self.netns["ns-b"], "link", "set", self.veth["ns-b"], "up")

    # ---- helpers ----
    def wait_for_link(self, timeout=15.0):
        """Both ends of the veth up with carrier, stale neighbour entries gone, and a TCP
        connection from ns-a to ns-b accepted: a test must not start its mpirun while the
        link of the previous test's cut is still coming back (OpenMPI's daemon in ns-b then
        never called home and the group never registered)."""
        deadline = time.time() + timeout
        for host, ns in self.netns.items():
            ip("-n", ns, "link", "set", self.veth[host], "up")
            while "LOWER_UP" not in ip("-n", ns, "link", "show", self.veth[host]).stdout:
                if time.time() > deadline:
                    self.fail(f"veth of {host} has no carrier after {timeout}s")
                time.sleep(0.05)
            ip("-n", ns, "neigh", "flush", "all")
        probe = ("import socket,sys\n"
                 "s=socket.socket(); s.bind((sys.argv[1], 0)); s.listen(1)\n"
                 "print(s.getsockname()[1], flush=True); s.settimeout(20); s.accept()\n")
        server = subprocess.Popen(self.in_ns("ns-b", sys.executable, "-c", probe, ADDRESS["ns-b"]),
                                  stdout=subprocess.PIPE, text=True)
        try:
            port = int(server.stdout.readline())
            connect = ("import socket,sys,time\n"
                       "end=time.time()+float(sys.argv[3])\n"
                       "while True:\n"
                       "  try: socket.create_connection((sys.argv[1], int(sys.argv[2])), 1); break\n"
                       "  except OSError:\n"
                       "    if time.time()>end: sys.exit(1)\n"
                       "    time.sleep(0.1)\n")
            out = subprocess.run(self.in_ns("ns-a", sys.executable, "-c", connect,
                                            ADDRESS["ns-b"], str(port),
                                            str(max(1.0, deadline - time.time()))),
                                 capture_output=True, text=True, timeout=timeout + 5)
            if out.returncode != 0:
                self.fail(f"no TCP connection from ns-a to ns-b within {timeout}s: {out.stderr}")
        finally:
            server.kill()
            server.wait()
            server.stdout.close()

    def in_ns(self, host, *argv):
        return ["ip", "netns", "exec", self.netns[host]] + list(argv)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def workers_in(self, host):
        """Pids of the `chromatune worker` processes in the namespace of `host`. (OpenMPI's
        orted daemonizes: the ranks it starts are not descendants of mpirun.)"""
        out = ip("netns", "pids", self.netns[host])
        found = []
        for pid in out.stdout.split():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if (len(argv) > 1 and os.path.basename(argv[0]) == b"chromatune"
                    and argv[1] == b"worker"):
                found.append(int(pid))
        return found

    def kill_namespace_processes(self, spare=()):
        """Everything still running in the test's namespaces (but the pids in `spare`):
        orted daemons and ranks that a cut link left without their mpirun."""
        for ns in self.netns.values():
            for pid in ip("netns", "pids", ns).stdout.split():
                if int(pid) in spare:
                    continue
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def unfinished(self, sweep):
        return self.query(
            "SELECT COUNT(*) FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = ?"
            " AND t.state NOT IN ('done', 'failed', 'cancelled')", sweep)[0][0]

    def open_attempts_of_groups_with(self, ranks):
        return self.query(
            "SELECT COUNT(*) FROM attempts a JOIN worker_groups g ON g.id = a.worker_group"
            " WHERE g.ranks = ? AND a.outcome = ''", ranks)[0][0]

    def groups_registered(self):
        """Worker groups in the store; 0 while the store is absent or its schema not yet
        created (the coordinator creates the file before its tables)."""
        if not os.path.exists(self.db):
            return 0
        try:
            return self.query("SELECT COUNT(*) FROM worker_groups")[0][0]
        except sqlite3.OperationalError:
            return 0

    def wait_until(self, predicate, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return
            time.sleep(0.3)
        self.fail(f"timed out after {timeout}s waiting for {what}\n"
                  f"coordinator: {self.log('coordinator.log')}\n"
                  f"group0: {self.log('group0.log')}\ngroup1: {self.log('group1.log')}")

    # ---- tests ----
    def test_run_with_a_hostfile_spanning_both_namespaces(self):
        sweep = self.write("run.yaml", noop_sweep("netns-run", 6, [{"sleep_ms": 300}], ranks=2))
        hostfile = self.write("hosts", "ns-a slots=1\nns-b slots=1\n")
        # Off loopback the embedded coordinator needs a token file: refused before any work.
        refused = subprocess.run(
            self.in_ns("ns-a", EXE, "run", sweep, "--db", self.db, "--hostfile", hostfile,
                       "--listen", self.address),
            capture_output=True, text=True, env=self.env, timeout=60)
        self.assertEqual(refused.returncode, 2, refused.stderr)
        self.assertIn("is not a loopback address: give --token-file", refused.stderr)
        self.assertFalse(os.path.exists(self.db))
        log = open(os.path.join(self.dir, "run.log"), "w")
        self.files.append(log)
        def start_run():
            p = subprocess.Popen(
                self.in_ns("ns-a", EXE, "run", sweep, "--db", self.db, "--workers", "1",
                           "--ranks", "2", "--hostfile", hostfile, "--listen", self.address,
                           "--token-file", self.tokens, *self.tls, *self.ca, "--no-progress"),
                stdout=log, stderr=subprocess.STDOUT, env=self.env)
            self.groups.append((p, 2))  # killed with its tree in tearDown
            return p

        # A relaunched run resumes the same sweep in the same store.
        run = self.launch_spanning(start_run, lambda: self.groups_registered() > 0)
        seen = set()
        deadline = time.time() + 150
        while run.poll() is None and time.time() < deadline:
            seen |= {host for host in self.netns if self.workers_in(host)}
            time.sleep(0.2)
        self.assertIsNotNone(run.poll(), "chromatune run did not finish: " + self.log("run.log")
                             + "\nworkers: " + self.log("runs.db.workers.log"))
        self.assertEqual(run.returncode, 0, self.log("run.log"))
        self.assertEqual(seen, {"ns-a", "ns-b"}, "one rank of the group in each namespace")
        self.assert_each_done_exactly_once("netns-run", 6)
        self.assertEqual(self.query("SELECT ranks FROM worker_groups"), [(2,)])

    def test_cut_link_expires_the_lease_and_the_trial_is_redone(self):
        log = open(os.path.join(self.dir, "coordinator.log"), "a")
        self.files.append(log)
        self.coordinator = subprocess.Popen(
            self.in_ns("ns-a", EXE, "coordinator", "--db", self.db, "--listen", self.address,
                       "--token-file", self.tokens, "--lease-timeout", str(self.lease_timeout),
                       "--retry-backoff", "0.1", *self.tls),
            stdout=subprocess.PIPE, stderr=log, env=self.env, text=True)
        self.assertIn("listening on", self.coordinator.stdout.readline(),
                      self.log("coordinator.log"))
        sweep = self.write("cut.yaml", noop_sweep("netns-cut", 12, [{"sleep_ms": 1500}],
                                                  retries=3))
        out = subprocess.run(self.in_ns("ns-a", EXE, "submit", sweep, "--coordinator",
                                        self.https, "--token-file", self.tokens, *self.ca),
                             capture_output=True, text=True, env=self.env, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)

        # The spanning group, as docs/cluster.md writes it: rank 0 in ns B, rank 1 in ns A.
        hostfile = self.write("hosts", "ns-b slots=1\nns-a slots=1\n")
        worker = [EXE, "worker", "--coordinator", self.https, "--token-file", self.tokens,
                  *self.ca, "--long-poll", "1"]
        spanning = self.in_ns("ns-a", MPIRUN, "--allow-run-as-root", "--oversubscribe",
                              "--bind-to", "none", "--hostfile", hostfile, "-np", "2",
                              "--mca", "plm_rsh_agent", AGENT,
                              "--mca", "btl", "tcp,self",
                              "--mca", "btl_tcp_if_include", "192.0.2.0/24",
                              "--mca", "oob_tcp_if_include", "192.0.2.0/24", *worker)
        self.launch_spanning(lambda: self.start_process(spanning, ranks=2),
                             lambda: self.open_attempts_of_groups_with(2) > 0)
        self.wait_until(lambda: self.open_attempts_of_groups_with(2) > 0, 90,
                        "the spanning group to hold trials")
        self.start_process(self.in_ns("ns-a", *worker), ranks=1)
        down = ip("-n", self.netns["ns-b"], "link", "set", self.veth["ns-b"], "down")
        self.assertEqual(down.returncode, 0, down.stderr)

        self.wait_until(lambda: self.unfinished("netns-cut") == 0, 120, "the sweep to finish")
        self.assert_each_done_exactly_once("netns-cut", 12)
        expired = self.query(
            "SELECT a.trial_id FROM attempts a JOIN worker_groups g ON g.id = a.worker_group"
            " WHERE g.ranks = 2 AND a.outcome = 'expired'")
        self.assertGreaterEqual(len(expired), 1, "the cut group's leases must expire")
        for (trial_id,) in expired:
            done_by = self.query(
                "SELECT g.ranks FROM attempts a JOIN worker_groups g ON g.id = a.worker_group"
                " WHERE a.trial_id = ? AND a.outcome = 'done'", trial_id)
            self.assertEqual(done_by, [(1,)], f"trial {trial_id} redone by the group in ns A")

    def launch_spanning(self, start, started, tries=3, patience=25.0):
        """Starts a process that launches the spanning group (`start()` returns its Popen) and
        waits until `started()`. OpenMPI 4.1's rsh launch sometimes never brings up one of
        the two daemons (mpirun then waits for it forever, and no rank of the group starts;
        seen in about one launch in ten here, with no chromatune process involved yet), so a
        launch that has not produced the group after `patience` seconds is killed, with
        whatever it started in the namespaces, and tried again. Returns the Popen that
        worked."""
        for attempt in range(1, tries + 1):
            p = start()
            deadline = time.time() + patience
            while time.time() < deadline:
                if started():
                    return p
                time.sleep(0.2)
            if attempt < tries:
                self._kill_tree(p)
                # The coordinator a test started in a namespace stays: the relaunched group
                # must find it (killing it made every retry fail).
                self.kill_namespace_processes(
                    spare={self.coordinator.pid} if self.coordinator else set())
        # The group's output goes to group0.log (a group started by the test) or, when
        # `chromatune run` launches it, to run.log and the run's workers log.
        logs = "\n".join(f"--- {name}:\n{self.log(name)}"
                          for name in ("group0.log", "run.log", "runs.db.workers.log"))
        self.fail(f"the spanning group did not start in {tries} launches of {patience}s\n{logs}")

    def start_process(self, argv, ranks):
        log = open(os.path.join(self.dir, f"group{len(self.groups)}.log"), "a")
        self.files.append(log)
        p = subprocess.Popen(argv, stdout=log, stderr=log, env=self.env)
        self.groups.append((p, ranks))
        return p


if __name__ == "__main__":
    unittest.main()
