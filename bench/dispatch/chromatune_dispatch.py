"""chromatune side of the dispatch benchmark: a coordinator and W worker processes
(one-rank groups) on loopback run a sweep of N noop trials of `sleep_ms` each.

Prints one JSON line: {"storage": "chromatune", "workers", "trials", "sleep_ms",
"seconds", "trials_per_s", "ideal_seconds", "overhead_pct"}. "seconds" runs from the
submission to the last completion (the coordinator's own timestamps in SQLite)."""

import argparse
import json
import os
import socket
import sqlite3
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--sleep-ms", type=int, default=0)
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    db = os.path.join(a.dir, f"dispatch-{a.workers}-{a.sleep_ms}.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    env = dict(os.environ, CHROMATUNE_LOG="warn", TMPDIR=a.dir)
    port = free_port()
    coord = subprocess.Popen([a.exe, "coordinator", "--db", db, "--listen", f"127.0.0.1:{port}",
                              "--insecure-loopback"], stdout=subprocess.PIPE, text=True, env=env)
    assert "listening" in coord.stdout.readline()
    workers = [subprocess.Popen([a.exe, "worker", "--coordinator", f"127.0.0.1:{port}"],
                                env=env, stdout=subprocess.DEVNULL)
               for _ in range(a.workers)]
    time.sleep(1.0)  # workers registered and long-polling
    seeds = ", ".join(str(i) for i in range(1, a.trials + 1))
    sweep = os.path.join(a.dir, "dispatch.yaml")
    with open(sweep, "w") as f:
        f.write(f"name: dispatch\ntask: classification\ndataset: fashion-mnist\nshots: [1]\n"
                f"replicates: {{data_seeds: [1], train_seeds: [{seeds}]}}\n"
                f"methods:\n  - {{name: noop, sleep_ms: {a.sleep_ms}}}\nretries: 0\n")
    subprocess.run([a.exe, "submit", sweep, "--coordinator", f"127.0.0.1:{port}"], check=True,
                   env=env, stdout=subprocess.DEVNULL)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    while True:
        (left,) = con.execute("SELECT COUNT(*) FROM trials WHERE state NOT IN "
                              "('done', 'failed', 'cancelled')").fetchone()
        if left == 0:
            break
        time.sleep(0.05)
    (created,) = con.execute("SELECT created_ms FROM sweeps WHERE name = 'dispatch'").fetchone()
    (last,) = con.execute("SELECT MAX(ended_ms) FROM attempts").fetchone()
    (done,) = con.execute("SELECT COUNT(*) FROM trials WHERE state = 'done'").fetchone()
    con.close()
    for w in workers:
        w.terminate()
    for w in workers:
        w.wait(timeout=30)
    coord.terminate()
    coord.wait(timeout=30)
    seconds = (last - created) / 1000.0
    ideal = a.trials * a.sleep_ms / 1000.0 / a.workers
    print(json.dumps({"storage": "chromatune", "workers": a.workers, "trials": done,
                      "sleep_ms": a.sleep_ms, "seconds": round(seconds, 3),
                      "trials_per_s": round(done / seconds, 1) if seconds > 0 else 0,
                      "ideal_seconds": round(ideal, 3),
                      "overhead_pct": round(100.0 * (seconds - ideal) / ideal, 2)
                      if ideal > 0 else None}))


if __name__ == "__main__":
    main()
