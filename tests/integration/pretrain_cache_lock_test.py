"""Two processes that need the same missing checkpoint: one pretrains, the other waits for it
and loads it (experiments/models/backbone.h, common/file_lock.h). Before the lock, the two
worker groups of a fresh `make demo` both pretrained the default backbone, each on a share
of the cores, and the demo's pretraining took many times as long."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

EXE = os.environ.get("CHROMATUNE_EXE", "build/chromatune")
# Small enough to take seconds, long enough (>1 s) that the second process starts while the
# first still trains.
BACKBONE = "builtin:tiny-clip?steps=60&batch_size=16"


def has_pretrain():
    """Whether this build has `chromatune pretrain` (the ASan build has no LibTorch). Read from
    the subcommand list: `chromatune pretrain --help` exits 0 even where the subcommand does
    not exist (CLI11 answers --help first)."""
    r = subprocess.run([EXE, "--help"], capture_output=True, text=True)
    return any(line.split()[:1] == ["pretrain"] for line in r.stdout.splitlines())


@unittest.skipUnless(has_pretrain(), "built without LibTorch (no `chromatune pretrain`)")
class PretrainCacheLockTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ct-pretrain-lock-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_one_process_pretrains_the_other_waits_and_loads(self):
        cache = os.path.join(self.dir, "cache")
        procs = [subprocess.Popen([EXE, "pretrain", BACKBONE, "--cache-dir", cache,
                                   "--threads", "1"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outs = [p.communicate(timeout=240) for p in procs]
        for p, (out, err) in zip(procs, outs):
            self.assertEqual(p.returncode, 0, err)
        summaries = [json.loads(out) for out, _ in outs]
        self.assertEqual(sorted(s["cached"] for s in summaries), [False, True],
                         "exactly one process may pretrain: " + repr(summaries))
        waited = [err for (_, err), s in zip(outs, summaries) if s["cached"]]
        self.assertIn("waiting for another process pretraining this backbone", waited[0])
        self.assertEqual(summaries[0]["checkpoint"], summaries[1]["checkpoint"])
        self.assertEqual(summaries[0]["training"], summaries[1]["training"])
        checkpoints = [d for d in os.listdir(cache) if not d.endswith(".lock")]
        self.assertEqual(len(checkpoints), 1, checkpoints)


if __name__ == "__main__":
    unittest.main()
