"""`chromatune pretrain --device` (issue 16): `cpu` pretrains and says where; `cuda` on this
CPU-only build fails at once with exit 2 and an error naming the request, never a silent CPU
run. The checkpoint is the same whatever the device: a second run finds it cached."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import EXE
import pretrain_cache_lock_test  # its has_pretrain(); a module import, so its tests stay its own

SPEC = ("builtin:tiny-clip?steps=2&batch_size=4&image_size=32&conv_widths=8,16,16"
        "&vision_layers=1&text_layers=1&text_width=16&embed_dim=16&threads=1")


@unittest.skipUnless(pretrain_cache_lock_test.has_pretrain(), "built without LibTorch (no `chromatune pretrain`)")
class PretrainDeviceTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ct-pretrain-device-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def pretrain(self, *extra):
        return subprocess.run([EXE, "pretrain", SPEC, "--cache-dir", self.dir, *extra],
                              capture_output=True, text=True, timeout=240,
                              env=dict(os.environ, CUDA_VISIBLE_DEVICES=""))

    def test_cpu_works_and_cuda_without_a_gpu_is_named(self):
        cuda = self.pretrain("--device", "cuda")
        self.assertEqual(cuda.returncode, 2, cuda.stderr)
        self.assertIn('device "cuda"', cuda.stderr)
        self.assertIn("no CUDA device is visible", cuda.stderr)
        cpu = self.pretrain("--device", "cpu")
        self.assertEqual(cpu.returncode, 0, cpu.stderr)
        summary = json.loads(cpu.stdout)
        self.assertEqual(summary["device"]["kind"], "cpu")
        self.assertFalse(summary["cached"])
        self.assertIn(", on cpu", cpu.stderr)
        again = self.pretrain()  # default auto: the CPU here, and the cached checkpoint
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertTrue(json.loads(again.stdout)["cached"])


if __name__ == "__main__":
    unittest.main()
