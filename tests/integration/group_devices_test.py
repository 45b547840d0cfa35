"""Devices per worker group (issue 16): each rank's device travels with the group's
registration and `chromatune status` shows it, as a DEVICES column and in --json. On this
CPU-only build a worker with the default --device auto computes on the CPU; --device cuda
stops the worker at start with an error naming the request, instead of failing every trial."""

import json
import subprocess
import time
import unittest

from harness import EXE, MPIRUN, RuntimeTestCase


class GroupDevicesTest(RuntimeTestCase):
    def status(self, *extra):
        out = subprocess.run([EXE, "status", "--coordinator", f"127.0.0.1:{self.port}", *extra],
                             capture_output=True, text=True, env=self.env, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def test_cpu_workers_show_cpu(self):
        self.start_coordinator()
        self.start_group(ranks=1)
        ranks = 2 if MPIRUN else 1
        if MPIRUN:
            self.start_group(ranks=2)  # rank 0 gathers the other rank's device
        deadline = time.time() + 60
        while True:
            groups = json.loads(self.status("--json"))["groups"]
            if len(groups) == len(self.groups):
                break
            self.assertLess(time.time(), deadline, self.log("group0.log") + self.log("group1.log"))
            time.sleep(0.2)
        by_ranks = {g["ranks"]: g["devices"] for g in groups}
        self.assertEqual(by_ranks[1], [{"kind": "cpu"}])
        self.assertEqual(by_ranks[ranks], [{"kind": "cpu"}] * ranks)
        lines = self.status().splitlines()
        header = next(i for i, l in enumerate(lines) if l.startswith("GROUP"))
        self.assertIn("DEVICES", lines[header].split())
        rows = [l.split() for l in lines[header + 1:header + 1 + len(groups)]]
        column = lines[header].split().index("DEVICES")
        shown = sorted(" ".join(r[column:column + (2 if r[column][0].isdigit() else 1)])
                       for r in rows)
        self.assertEqual(shown, sorted(["cpu"] + (["2x cpu"] if MPIRUN else [])), lines)

    def test_cuda_without_a_gpu_stops_the_worker(self):
        self.start_coordinator()
        out = subprocess.run([EXE, "worker", "--coordinator", f"127.0.0.1:{self.port}",
                              "--device", "cuda"], capture_output=True, text=True,
                             env=self.env, timeout=60)
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn('device "cuda"', out.stderr)
        self.assertIn("no CUDA device is visible", out.stderr)
        self.assertEqual(json.loads(self.status("--json"))["groups"], [])


if __name__ == "__main__":
    unittest.main()
