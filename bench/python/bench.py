"""The Python reader on a 100,000-trial store (issue 21 goal: trials() under 2 s).

Times (wall and this process's CPU; the 2-core machine is shared, so CPU is reported next
to wall): chromatune.open + trials(sweep), curves(sweep), cells(sweep) (which runs
`chromatune report --format json`), and `chromatune export --what trials|curves --format csv`
end to end with its peak RSS (streaming: bounded by a row, not by the sweep).

Usage: /usr/bin/python3 bench.py --exe BUILD/chromatune --db FILE --sweep NAME [--repeats 5]
Prints one JSON line per measurement (median and all samples).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "python"))
import chromatune  # noqa: E402


def measure(label, fn, repeats, **extra):
    wall, cpu, result = [], [], None
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    line = {"what": label, "median_wall_s": round(statistics.median(wall), 3),
            "median_cpu_s": round(statistics.median(cpu), 3),
            "wall_s": [round(x, 3) for x in wall], **extra}
    if hasattr(result, "shape"):
        line["shape"] = list(result.shape)
    print(json.dumps(line), flush=True)
    return result


def export_rss(exe, db, sweep, what):
    # Peak RSS by GNU time (%M): a child forked from this process would count the parent's
    # DataFrames in its own maximum RSS.
    cmd = [exe, "export", "--db=" + db, "--sweep=" + sweep, "--what", what, "--format", "csv"]
    time_bin = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as null:
        done = subprocess.run(([time_bin, "-f", "%M %U %S"] if time_bin else []) + cmd,
                              stdout=null, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"export --what {what} failed: {done.stderr}")
    line = {"what": f"chromatune export --what {what} --format csv", "wall_s": round(wall, 3)}
    if time_bin:
        kib, user, sys_ = done.stderr.split()[-3:]
        line.update(cpu_s=round(float(user) + float(sys_), 2),
                    peak_rss_mib=round(int(kib) / 1024, 1))
    print(json.dumps(line), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exe", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--sweep", required=True)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    os.environ["CHROMATUNE_EXE"] = a.exe
    measure("chromatune.open + trials(sweep)",
            lambda: chromatune.open(a.db).trials(a.sweep), a.repeats)
    store = chromatune.open(a.db)
    measure("curves(sweep)", lambda: store.curves(a.sweep), a.repeats)
    measure("cells(sweep) (runs chromatune report --format json)",
            lambda: store.cells(a.sweep), a.repeats)
    for what in ("trials", "curves"):
        export_rss(a.exe, a.db, a.sweep, what)


if __name__ == "__main__":
    main()
