"""Real-process harness for the runtime's integration tests: a coordinator process, worker
groups (direct or under mpirun), sweeps, raw HTTP, and checks on the SQLite store.

Everything is loopback-only and bounded in time; every process started here is killed in
tearDown. The chromatune binary comes from $CHROMATUNE_EXE (set by CMake)."""

import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import tempfile
import time
import unittest

EXE = os.environ.get("CHROMATUNE_EXE", "build/chromatune")
MPIRUN = shutil.which("mpirun")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def noop_sweep(name, trials_per_method, methods, retries=2, ranks=1):
    """A classification sweep of noop methods; each method gets `trials_per_method` trials
    (one shot count, that many train seeds)."""
    seeds = ", ".join(str(i + 1) for i in range(trials_per_method))
    lines = [
        f"name: {name}",
        "task: classification",
        "dataset: fashion-mnist",
        "shots: [1]",
        f"replicates: {{data_seeds: [1], train_seeds: [{seeds}]}}",
        "methods:",
    ]
    for m in methods:
        lines.append("  - {name: noop, " + ", ".join(f"{k}: {v}" for k, v in m.items()) + "}")
    lines += [f"retries: {retries}", f"resources: {{ranks: {ranks}}}"]
    return "\n".join(lines) + "\n"


class RuntimeTestCase(unittest.TestCase):
    lease_timeout = 2.0
    api_token = None  # the token counts() and wait_finished() read with (token mode)
    # TLS (issue 18): the CA file clients verify the coordinator's certificate with; set, the
    # API requests and the worker groups speak HTTPS. worker_token_file: what groups present.
    tls_ca = None
    worker_token_file = None

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ct-integration-")
        self.db = os.path.join(self.dir, "runs.db")
        self.port = free_port()
        self.coordinator = None
        self.groups = []  # [(Popen, ranks)]
        self.env = dict(os.environ, TMPDIR=self.dir, CHROMATUNE_LOG="warn",
                        OMPI_MCA_rmaps_base_oversubscribe="1")
        self.coordinator_args = []
        self.files = []  # log files opened here, closed in tearDown

    def tearDown(self):
        for p, _ in self.groups:
            self._kill_tree(p)
        if self.coordinator:
            self._kill_tree(self.coordinator)
        for f in self.files:
            f.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- processes ----
    def _kill_tree(self, p):
        if p.poll() is None:
            for child in children_of(p.pid):
                try:
                    os.kill(child, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            p.kill()
        p.wait(timeout=10)
        if p.stdout:
            p.stdout.close()

    def start_coordinator(self, *extra, token_file=None):
        args = [EXE, "coordinator", "--db", self.db, "--listen", f"127.0.0.1:{self.port}",
                "--lease-timeout", str(self.lease_timeout), "--retry-backoff", "0.1"]
        args += ["--token-file", token_file] if token_file else ["--insecure-loopback"]
        args += list(extra) + self.coordinator_args
        if self.coordinator:  # a restart: the old process was killed by the test
            self.coordinator.stdout.close()
        log = open(os.path.join(self.dir, "coordinator.log"), "a")
        self.files.append(log)
        self.coordinator = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log,
                                            env=self.env, text=True)
        line = self.coordinator.stdout.readline()
        self.assertIn("listening on", line, "coordinator did not start: " + self.log("coordinator.log"))
        return self.coordinator

    def start_group(self, ranks=1):
        log = open(os.path.join(self.dir, f"group{len(self.groups)}.log"), "a")
        self.files.append(log)
        cmd = [EXE, "worker", "--coordinator", f"127.0.0.1:{self.port}", "--long-poll", "1"]
        if self.tls_ca:
            cmd[3] = f"https://127.0.0.1:{self.port}"
            cmd += ["--ca", self.tls_ca]
        if self.worker_token_file:
            cmd += ["--token-file", self.worker_token_file]
        if ranks > 1:
            self.assertIsNotNone(MPIRUN, "mpirun is needed for multi-rank groups")
            cmd = [MPIRUN, "--oversubscribe", "--bind-to", "none", "-np", str(ranks)] + cmd
            if os.geteuid() == 0:
                cmd.insert(1, "--allow-run-as-root")
        p = subprocess.Popen(cmd, stdout=log, stderr=log, env=self.env)
        self.groups.append((p, ranks))
        return p

    def relaunch_dead_groups(self):
        """What a supervisor (systemd, Slurm, `chromatune run`) does: start dead groups again."""
        for i, (p, ranks) in enumerate(self.groups):
            if p.poll() is not None:
                self.groups.pop(i)
                self.start_group(ranks)
                return True
        return False

    def log(self, name):
        try:
            with open(os.path.join(self.dir, name)) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    # ---- API ----
    def request(self, method, path, body=None, token=None, timeout=10):
        if self.tls_ca:
            context = ssl.create_default_context(cafile=self.tls_ca)
            conn = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=context)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        payload = r.read().decode()
        conn.close()
        return r.status, (json.loads(payload) if payload else None)

    def submit(self, yaml_text, name="sweep.yaml"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(yaml_text)
        out = subprocess.run([EXE, "submit", path, "--coordinator", f"127.0.0.1:{self.port}"],
                             capture_output=True, text=True, env=self.env, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def counts(self, sweep):
        status, body = self.request("GET", f"/api/v1/sweeps/{sweep}", token=self.api_token)
        self.assertEqual(status, 200, body)
        return body["counts"]

    def wait_finished(self, sweep, timeout, on_poll=None):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                last = self.counts(sweep)
                if last["finished"]:
                    return last
            except (OSError, http.client.HTTPException):
                pass
            if on_poll:
                on_poll(last)
            time.sleep(0.2)
        self.fail(f"sweep {sweep} not finished in {timeout}s: {last}\n"
                  f"coordinator: {self.log('coordinator.log')}\ngroup0: {self.log('group0.log')}")

    # ---- store checks ----
    def query(self, sql, *params):
        con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def assert_each_done_exactly_once(self, sweep, expected):
        rows = self.query(
            "SELECT t.id, t.state, "
            " (SELECT COUNT(*) FROM attempts a WHERE a.trial_id = t.id AND a.outcome = 'done'),"
            " (SELECT COUNT(*) FROM metrics m WHERE m.trial_id = t.id AND m.name = 'accuracy')"
            " FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = ?", sweep)
        self.assertEqual(len(rows), expected)
        for trial_id, state, done_attempts, metrics in rows:
            self.assertEqual(state, "done", f"trial {trial_id}")
            self.assertEqual(done_attempts, 1, f"trial {trial_id} completed {done_attempts} times")
            self.assertEqual(metrics, 1, f"trial {trial_id}")

    def artifact_file(self):
        """The coordinator's HDF5 file (ArtifactStore::DefaultPathFor: runs.db -> runs.h5)."""
        return os.path.splitext(self.db)[0] + ".h5"

    def assert_arrays_stored(self, sweep, array_size):
        """Every done trial of `sweep` (noop with `array_size`) has its array "noop_values" in
        the HDF5 file, with its own values (runner.cc: 1000 * train_seed + i % 1000), written
        by the attempt that completed it (each result stored once: a stale attempt's write
        would carry its own attempt number); and no trial group in the file belongs to a
        trial that is not done (an orphan: arrays of an attempt that never completed)."""
        import h5py  # Debian's python3-h5py; imported here so other tests do not need it
        import numpy
        done = {}
        for trial_id, attempt, seed in self.query(
                "SELECT t.id, a.attempt, t.train_seed FROM trials t"
                " JOIN sweeps s ON s.id = t.sweep_id"
                " JOIN attempts a ON a.trial_id = t.id AND a.outcome = 'done'"
                " WHERE s.name = ? AND t.state = 'done'", sweep):
            done[trial_id] = (attempt, seed)
        self.assertTrue(done, f"sweep {sweep} has no done trial")
        states = dict(self.query("SELECT id, state FROM trials"))
        path = self.artifact_file()
        self.assertFalse(os.path.exists(path + ".journal"),
                         "an HDF5 write session was left unfinished (its journal remains)")
        stored = {}  # trial id -> (sweep attribute, attempt, array)
        # locking=False: HDF5's own file lock would contend with the coordinator's writer.
        with h5py.File(path, "r", locking=False) as f:
            for sweep_group in f["sweeps"].values():
                for name, trial in sweep_group["trials"].items():
                    trial_id = int(name[len("trial-"):])
                    self.assertNotIn(trial_id, stored, f"trial {trial_id} stored twice")
                    arrays = trial.get("arrays")
                    values = arrays["noop_values"][()] if arrays and "noop_values" in arrays \
                        else None
                    owner = sweep_group.attrs["sweep"]  # fixed-length strings read as bytes
                    owner = owner.decode() if isinstance(owner, bytes) else str(owner)
                    stored[trial_id] = (owner, int(trial.attrs["attempt"]), values)
        for trial_id, (owner, attempt, values) in stored.items():
            self.assertEqual(states.get(trial_id), "done",
                             f"orphaned array group: trial {trial_id} is "
                             f"{states.get(trial_id)} but has arrays in {path}")
            if trial_id in done:
                self.assertEqual(owner, sweep, f"trial {trial_id} stored under sweep {owner}")
                self.assertEqual(attempt, done[trial_id][0],
                                 f"trial {trial_id}: arrays of attempt {attempt}, but attempt "
                                 f"{done[trial_id][0]} completed it")
        for trial_id, (attempt, seed) in done.items():
            self.assertIn(trial_id, stored, f"done trial {trial_id} has no arrays in {path}")
            values = stored[trial_id][2]
            self.assertIsNotNone(values, f"trial {trial_id}: no noop_values array")
            expected = 1000.0 * (seed % 1000) + numpy.arange(array_size) % 1000
            self.assertEqual(values.shape, (array_size,), f"trial {trial_id}")
            self.assertTrue(numpy.array_equal(values, expected.astype(numpy.float32)),
                            f"trial {trial_id}: noop_values are not its own")

    def assert_no_expired_leases(self):
        """A fault-free run: no lease expired (attempts closed as 'expired' are what the
        coordinator's lease expiry writes; docs/runtime.md) and no attempt failed."""
        outcomes = dict(self.query("SELECT outcome, COUNT(*) FROM attempts GROUP BY outcome"))
        self.assertEqual(outcomes.get("expired", 0), 0, f"leases expired: {outcomes}\n"
                         f"coordinator: {self.log('coordinator.log')}")
        self.assertEqual(outcomes.get("failed", 0), 0, f"attempts failed: {outcomes}")


def children_of(pid):
    """Every descendant pid of `pid` (from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
                ppid = int(stat[stat.rindex(")") + 2:].split()[1])
                parents.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        for c in parents.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out
