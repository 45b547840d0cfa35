"""A real single-node Slurm for tests: munged, slurmctld and slurmd of Debian's slurm-wlm,
started as root with every file (munge key and socket, slurm.conf, state, spool, logs, pid
files) inside one temporary directory and on a free port pair, so it clashes with nothing
else on the machine. docs/cluster.md shows the slurm.conf this writes.

Processes started here are found again by the temporary directory (their SLURM_CONF or
command line names it) and killed in stop(), which also runs when start() fails."""

import os
import shutil
import signal
import socket
import subprocess
import time
import unittest

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "srun", "sinfo", "squeue", "scancel", "scontrol")
SBIN = "/usr/sbin:/sbin:/usr/bin:/bin"


def which(name):
    return shutil.which(name, path=os.environ.get("PATH", "") + ":" + SBIN)


def free_port_pair():
    """Two ports free on loopback now (held open together so they differ)."""
    socks = [socket.socket(), socket.socket()]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


SLURM_CONF = """\
# Written by tests/cluster/slurm_cluster.py: a one-node cluster on localhost, run as root.
ClusterName=ct{pid}
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={dir}/munge/munge.socket
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups in a container: track processes by parentage, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# Schedule at once (a test waits on it), including jobs whose dependency was just met.
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
ReturnToService=2
# Seconds between SIGTERM and SIGKILL when a job is cancelled: the workers' drain time.
KillWait=10
MinJobAge=600
InactiveLimit=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
# Two cores, but a coordinator job and two worker jobs at once: each CPU may hold 4 jobs.
PartitionName=ct Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
"""


class SlurmCluster:
    def __init__(self, base_dir):
        self.dir = os.path.join(base_dir, "slurm")
        self.conf = os.path.join(self.dir, "slurm.conf")
        self.env = dict(os.environ, SLURM_CONF=self.conf,
                        PATH=os.environ.get("PATH", "") + ":" + SBIN)
        self.procs = []

    # ---- lifecycle ----
    def start(self):
        """Starts the daemons and waits until the node is idle. Raises unittest.SkipTest
        where Slurm cannot start at all (not root, not installed); any other failure is a
        test error carrying the daemons' logs."""
        if os.geteuid() != 0:
            raise unittest.SkipTest("a single-node Slurm needs root (slurmd runs jobs as "
                                    "their users); run the test as root")
        missing = [n for n in DAEMONS + CLIENTS + ("mungekey",) if which(n) is None]
        if missing:
            raise unittest.SkipTest("Slurm is not installed here (missing: " + ", ".join(missing)
                                    + "); scripts/setup installs slurm-wlm and munge")
        try:
            self._start()
        except Exception:
            logs = self.logs()
            self.stop()
            raise AssertionError("single-node Slurm did not start:\n" + logs)

    def _start(self):
        for sub in ("munge", "state", "spool"):
            os.makedirs(os.path.join(self.dir, sub), mode=0o700, exist_ok=True)
        os.chmod(self.dir, 0o700)
        key = os.path.join(self.dir, "munge", "munge.key")
        subprocess.run([which("mungekey"), "--create", "--keyfile", key], check=True,
                       capture_output=True, timeout=30)
        os.chmod(key, 0o400)
        munge_dir = os.path.join(self.dir, "munge")
        self._spawn("munged", [which("munged"), "--foreground", "--force",
                               "--key-file", key,
                               "--socket", os.path.join(munge_dir, "munge.socket"),
                               "--pid-file", os.path.join(munge_dir, "munged.pid"),
                               "--log-file", os.path.join(munge_dir, "munged.log"),
                               "--seed-file", os.path.join(munge_dir, "munged.seed")])
        self._wait_for(lambda: os.path.exists(os.path.join(munge_dir, "munge.socket")), 20,
                       "munged socket")
        ctld_port, slurmd_port = free_port_pair()
        with open(self.conf, "w") as f:
            f.write(SLURM_CONF.format(pid=os.getpid(), dir=self.dir, ctld_port=ctld_port,
                                      slurmd_port=slurmd_port, cpus=os.cpu_count() or 2))
        self._spawn("slurmctld", [which("slurmctld"), "-D", "-c", "-f", self.conf])
        self._spawn("slurmd", [which("slurmd"), "-D", "-N", "localhost", "-f", self.conf])
        self._wait_for(lambda: self.node_state() == "idle", 60, "node localhost idle in sinfo")

    def _spawn(self, name, argv):
        log = open(os.path.join(self.dir, name + ".out"), "a")
        p = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                             env=self.env, start_new_session=True)
        log.close()
        self.procs.append((name, p))

    def _wait_for(self, predicate, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for name, p in self.procs:
                if p.poll() is not None:
                    raise RuntimeError(f"{name} exited with status {p.returncode}")
            if predicate():
                return
            time.sleep(0.3)
        raise RuntimeError(f"timed out after {timeout}s waiting for {what}")

    def stop(self):
        """Cancels every job, stops the daemons, kills what is left of them and of the jobs
        (found by the temporary directory), and removes the directory."""
        if os.path.exists(self.conf) and which("scancel"):
            subprocess.run([which("scancel"), "--full", "--user", "root"], env=self.env,
                           capture_output=True, timeout=30)
            self._wait_jobs_gone(15)
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=10)
        self.procs = []
        for pid in processes_mentioning(self.dir):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def _wait_jobs_gone(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.jobs():
                return
            time.sleep(0.5)

    # ---- queries ----
    def run(self, *argv, timeout=30):
        return subprocess.run([which(argv[0])] + list(argv[1:]), env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def node_state(self):
        out = self.run("sinfo", "-h", "-n", "localhost", "-o", "%T")
        return out.stdout.strip() if out.returncode == 0 else ""

    def jobs(self):
        """{job id (e.g. "12" or "13_1"): state} of every job slurmctld still lists."""
        out = self.run("squeue", "-h", "-o", "%i %T")
        if out.returncode != 0:
            return {}
        return dict(line.split() for line in out.stdout.splitlines() if line.strip())

    def job_state(self, job_id):
        """The state of a job that may have ended (scontrol keeps it for MinJobAge)."""
        out = self.run("scontrol", "show", "job", "-o", job_id)
        for field in out.stdout.split():
            if field.startswith("JobState="):
                return field.split("=", 1)[1]
        return ""

    def logs(self):
        text = []
        for name in ("munge/munged.log", "slurmctld.log", "slurmd.log", "munged.out",
                     "slurmctld.out", "slurmd.out"):
            try:
                with open(os.path.join(self.dir, name)) as f:
                    text.append(f"--- {name}\n" + f.read()[-3000:])
            except OSError:
                pass
        return "\n".join(text)


def processes_mentioning(text):
    """Pids (not this process) whose command line or environment contains `text`."""
    found = []
    needle = text.encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        for part in ("cmdline", "environ"):
            try:
                with open(f"/proc/{entry}/{part}", "rb") as f:
                    if needle in f.read():
                        found.append(int(entry))
                        break
            except OSError:
                pass
    return found
