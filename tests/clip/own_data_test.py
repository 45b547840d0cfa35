"""Users' own data end to end through `chromatune run` (issue 15): an image folder (with and
without a test split: ImageNet's layout evaluates on val), a CSV manifest and a CoOp split
file with its image root elsewhere, all generated here as non-square PNG and JPEG files of
three separable classes. Every trial is evaluated on the full test split (all items, not a
subset), reports accuracy/<split> and, where the manifest has a val split, CoOp's few-shot
val_accuracy; the linear probe learns (well above the 33% of chance). Bad data is an error
naming the class or the file: K larger than a class has at `sweep validate`, a corrupt
image failing its trial with the file named."""

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
EXE = os.environ.get("CHROMATUNE_EXE", "build/chromatune")
PY = "/usr/bin/python3"
VOCAB = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "clip",
                                      "bpe_simple_vocab_16e6.txt.gz"))
CLASSES = ["red_square", "green_disc", "blue_stripes"]
COUNTS = {"train": 8, "val": 4, "test": 10}


def draw(cls, rng, w, h):
    """A noisy picture whose class shows in its colours and shape."""
    pixels = rng.integers(0, 60, size=(h, w, 3)).astype(np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    if cls == 0:
        mask = (abs(xx - w / 2) < w / 4) & (abs(yy - h / 2) < h / 4)
        pixels[mask] = [220, 30, 30]
    elif cls == 1:
        mask = (xx - w / 2) ** 2 + (yy - h / 2) ** 2 < (min(w, h) / 3) ** 2
        pixels[mask] = [30, 220, 30]
    else:
        pixels[(xx // 6) % 2 == 0] = [30, 30, 220]
    return Image.fromarray(pixels)


@unittest.skipUnless(os.path.exists(VOCAB), f"CLIP's vocabulary not found at {VOCAB}")
class OwnDataTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ct-own-data-")
        rng = np.random.default_rng(5)
        cls.folder = os.path.join(cls.dir, "folder")
        cls.rows = []
        for split, n in COUNTS.items():
            for c, name in enumerate(CLASSES):
                os.makedirs(os.path.join(cls.folder, split, name))
                for i in range(n):
                    w, h = int(rng.integers(60, 120)), int(rng.integers(60, 120))
                    ext = "png" if i % 2 == 0 else "jpg"
                    rel = os.path.join(split, name, f"{i}.{ext}")
                    draw(c, rng, w, h).save(os.path.join(cls.folder, rel), quality=95)
                    cls.rows.append((rel, c, split, name.replace("_", " ")))
        # ImageNet's layout: train/ and val/ only.
        cls.imagenet = os.path.join(cls.dir, "imagenet")
        for split in ("train", "val"):
            shutil.copytree(os.path.join(cls.folder, split), os.path.join(cls.imagenet, split))
        with open(os.path.join(cls.imagenet, "classnames.txt"), "w") as f:
            for name in CLASSES:
                f.write(f"{name} a {name.replace('_', ' ')}\n")
        # A CSV manifest beside the images, and a CoOp split file far from them.
        cls.csv = os.path.join(cls.folder, "data.csv")
        with open(cls.csv, "w") as f:
            f.write("path,label,split,classname\n")
            for rel, c, split, name in cls.rows:
                f.write(f"{rel},{c},{split},{name}\n")
        os.makedirs(os.path.join(cls.dir, "splits"))
        cls.coop = os.path.join(cls.dir, "splits", "split_zhou_shapes.json")
        with open(cls.coop, "w") as f:
            json.dump({s: [[rel, c, name] for rel, c, split, name in cls.rows if split == s]
                       for s in COUNTS}, f)
        cls.ckpt = os.path.join(cls.dir, "vit.pt")
        out = subprocess.run([PY, os.path.join(HERE, "make_checkpoint.py"), "--arch", "vit",
                              "--format", "jit", "--out", cls.ckpt],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        shutil.copy(VOCAB, cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def sweep(self, name, dataset, shots=4, methods=None):
        methods = methods or ["{name: zero-shot}", "{name: linear-probe, lr: 0.05, epochs: 60}"]
        return (f"name: {name}\ntask: classification\ndataset: {dataset}\n"
                f"backbone: clip:{self.ckpt}\nshots: [0, {shots}]\n"
                "replicates: {data_seeds: [1], train_seeds: [1]}\nmethods:\n" +
                "".join(f"  - {m}\n" for m in methods))

    def run_sweep(self, name, text, expect_rc=0):
        path = os.path.join(self.dir, name + ".yaml")
        with open(path, "w") as f:
            f.write(text)
        db = os.path.join(self.dir, name + ".sqlite")
        out = subprocess.run([EXE, "run", path, "--db", db, "--workers", "1", "--ranks", "1",
                              "--threads", "2"], capture_output=True, text=True, timeout=900,
                             cwd=self.dir)
        self.assertEqual(out.returncode, expect_rc, out.stdout[-2000:] + out.stderr[-2000:])
        con = sqlite3.connect(db)
        trials = con.execute("SELECT id, method, state, error FROM trials").fetchall()
        metrics = {}
        for tid, name_, value in con.execute("SELECT trial_id, name, value FROM metrics"):
            metrics.setdefault(tid, {})[name_] = value
        con.close()
        return [(m, state, error, metrics.get(tid, {})) for tid, m, state, error in trials]

    def check_learns(self, rows, eval_split, eval_n, with_val):
        self.assertEqual(len(rows), 2)
        for method, state, error, metrics in rows:
            self.assertEqual(state, "done", f"{method}: {error}")
            self.assertEqual(metrics["eval_size"], eval_n)  # the whole split, not a subset
            self.assertEqual(metrics[f"accuracy/{eval_split}"], metrics["accuracy"])
            if method == "linear-probe":
                self.assertGreater(metrics["accuracy"], 0.8)
                self.assertEqual("val_accuracy" in metrics, with_val)

    def test_image_folder(self):
        rows = self.run_sweep("folder", self.sweep("folder", f"imagefolder:{self.folder}"))
        self.check_learns(rows, "test", 3 * COUNTS["test"], with_val=True)

    def test_imagenet_layout_evaluates_on_val(self):
        rows = self.run_sweep("imagenet", self.sweep("imagenet", f"imagefolder:{self.imagenet}"))
        self.check_learns(rows, "val", 3 * COUNTS["val"], with_val=False)

    def test_csv_manifest_with_two_eval_splits(self):
        dataset = f"{{source: 'csv:{self.csv}', eval: {{split: [test, val]}}}}"
        rows = self.run_sweep("csv", self.sweep("csv", dataset))
        for method, state, error, metrics in rows:
            self.assertEqual(state, "done", f"{method}: {error}")
            self.assertIn("accuracy/test", metrics)
            self.assertIn("accuracy/val", metrics)
            self.assertEqual(metrics["eval_size/val"], 3 * COUNTS["val"])

    def test_coop_split_with_its_own_image_root(self):
        dataset = f"{{source: 'coop-split:{self.coop}', image_root: '{self.folder}'}}"
        rows = self.run_sweep("coop", self.sweep("coop", dataset))
        self.check_learns(rows, "test", 3 * COUNTS["test"], with_val=True)

    def test_bad_data_is_named(self):
        path = os.path.join(self.dir, "toomany.yaml")
        with open(path, "w") as f:
            f.write(self.sweep("toomany", f"imagefolder:{self.folder}", shots=9))
        out = subprocess.run([EXE, "sweep", "validate", path], capture_output=True, text=True)
        self.assertEqual(out.returncode, 2)
        self.assertIn('class "blue stripes" has only 8 train images', out.stderr)
        broken = os.path.join(self.dir, "broken")
        shutil.copytree(self.folder, broken)
        with open(os.path.join(broken, "test", "green_disc", "0.png"), "wb") as f:
            f.write(b"not a png")
        rows = self.run_sweep("broken", self.sweep("broken", f"imagefolder:{broken}"),
                              expect_rc=1)
        for method, state, error, metrics in rows:
            self.assertEqual(state, "failed")
            self.assertIn(os.path.join("test", "green_disc", "0.png"), error)


if __name__ == "__main__":
    unittest.main()
