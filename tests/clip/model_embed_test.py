"""`chromatune model embed` and `model info` on random-weight CLIP checkpoints in every file
format users have (OpenAI's JIT archive, a torch.save state dict, open_clip's training
checkpoint with "module." prefixes, .safetensors; fp32, fp16 and OpenAI's mixed fp16),
for a ViT and a modified-ResNet topology: the token ids equal the reference tokenizer's
(bpe_reference.py) and the embeddings equal the float64 reference model's
(embed_reference.py) to 1e-4 relative, cosine >= 0.9999. Bad files get errors naming the
file, the tensor and the shapes. Everything is generated here; nothing is downloaded."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
EXE = os.environ.get("CHROMATUNE_EXE", "build/chromatune")
PY = "/usr/bin/python3"  # Debian's python3 with python3-torch (the references need torch)
VOCAB = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "clip",
                                      "bpe_simple_vocab_16e6.txt.gz"))
TEXTS = ["a photo of a cat.", "a photo of a t-shirt/top, a type of clothing.",
         "It's the dog's &amp; cat's bowl!", "café naïve Ärger 東京 42 3.14",
         "the bag is in red color."]


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


def make_checkpoint(path, arch, fmt, *extra):
    out = run([PY, os.path.join(HERE, "make_checkpoint.py"), "--arch", arch, "--format", fmt,
               "--out", path, *extra])
    assert out.returncode == 0, out.stderr
    return path


@unittest.skipUnless(os.path.exists(VOCAB), f"CLIP's vocabulary not found at {VOCAB}")
class ModelEmbedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ct-clip-")
        rng = np.random.default_rng(0)
        cls.images = []
        for i, (w, h, mode) in enumerate([(300, 200, "RGB"), (97, 131, "RGB"), (64, 64, "L")]):
            pixels = rng.integers(0, 256, size=(h, w, 3 if mode == "RGB" else 1), dtype=np.uint8)
            img = Image.fromarray(pixels.squeeze() if mode == "L" else pixels, mode)
            path = os.path.join(cls.dir, f"img{i}.png")
            img.save(path)
            cls.images.append(path)
        jpg = os.path.join(cls.dir, "photo.jpg")
        Image.open(cls.images[0]).save(jpg, quality=95)
        cls.jpeg = jpg
        # The reference token ids of TEXTS, padded to 77 as clip.tokenize does.
        ref = run([PY, os.path.join(HERE, "bpe_reference.py"), VOCAB],
                  input="".join(json.dumps(t) + "\n" for t in TEXTS))
        assert ref.returncode == 0, ref.stderr
        cls.ref_ids = []
        for line in ref.stdout.splitlines():
            ids = [49406] + json.loads(line) + [49407]
            cls.ref_ids.append(ids + [0] * (77 - len(ids)))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def embed(self, checkpoint, images, *extra):
        args = [EXE, "model", "embed", "--backbone", "clip:" + checkpoint, "--vocab", VOCAB,
                "--threads", "1", *extra]
        for t in TEXTS:
            args += ["--text", t]
        for i in images:
            args += ["--image", i]
        out = run(args)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)

    def reference(self, checkpoint, images):
        out = run([PY, os.path.join(HERE, "embed_reference.py"), "--checkpoint", checkpoint,
                   "--vocab-ids", json.dumps(self.ref_ids), "--image", *images])
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)

    def assert_close(self, got, want, what):
        got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
        self.assertEqual(got.shape, want.shape, what)
        rel = np.abs(got - want).max() / np.abs(want).max()
        cos = (got * want).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
        self.assertLess(rel, 1e-4, f"{what}: max relative difference {rel:.3g}")
        self.assertGreaterEqual(cos.min(), 0.9999, f"{what}: cosine {cos.min():.6f}")

    def check(self, arch, fmt, *flags):
        path = make_checkpoint(os.path.join(self.dir, f"{arch}-{fmt}{''.join(flags)}.pt"),
                               arch, fmt, *flags)
        got = self.embed(path, self.images)
        self.assertEqual(got["tokens"], self.ref_ids)  # CLIP's exact ids
        want = self.reference(path, self.images)
        self.assert_close(got["text"], want["text"], f"{arch}/{fmt}{flags} text")
        self.assert_close(got["image"], want["image"], f"{arch}/{fmt}{flags} image")

    def test_vit_openai_jit(self):
        self.check("vit", "jit")

    def test_resnet_openai_jit(self):
        self.check("rn", "jit")

    def test_vit_state_dict_and_open_clip_and_safetensors(self):
        for fmt in ("state_dict", "openclip", "safetensors"):
            with self.subTest(fmt=fmt):
                self.check("vit", fmt)

    def test_resnet_fp16_formats(self):
        self.check("rn", "jit", "--fp16-mixed")  # as OpenAI's JIT downloads are
        self.check("rn", "safetensors", "--fp16")

    def test_jpeg_is_within_decoder_tolerance(self):
        path = make_checkpoint(os.path.join(self.dir, "vit-jpeg.pt"), "vit", "jit")
        got = self.embed(path, [self.jpeg])["image"]
        want = self.reference(path, [self.jpeg])["image"]
        got, want = np.asarray(got), np.asarray(want)
        cos = (got * want).sum() / np.linalg.norm(got) / np.linalg.norm(want)
        self.assertGreaterEqual(cos, 0.999)  # stb's and libjpeg's IDCTs differ by ~0.1/255

    def test_info_names_architecture_and_fingerprint(self):
        path = make_checkpoint(os.path.join(self.dir, "rn-info.pt"), "rn", "state_dict")
        out = run([EXE, "model", "info", "--backbone", "clip:" + path, "--vocab", VOCAB,
                   "--format", "json"])
        self.assertEqual(out.returncode, 0, out.stderr)
        info = json.loads(out.stdout)
        self.assertIn("modified ResNet", info["architecture"])
        self.assertEqual(info["image_resolution"], 96)
        self.assertEqual(info["context_length"], 77)
        self.assertEqual(info["vocab_size"], 49408)
        self.assertEqual(len(info["fingerprint"]), 64)
        moved = os.path.join(self.dir, "moved.pt")
        shutil.copy(path, moved)  # the same bytes elsewhere: the same fingerprint
        again = json.loads(run([EXE, "model", "info", "--backbone", "clip:" + moved, "--vocab",
                                VOCAB, "--format", "json"]).stdout)
        self.assertEqual(again["fingerprint"], info["fingerprint"])

    def test_bad_files_name_what_is_wrong(self):
        junk = os.path.join(self.dir, "junk.pt")
        with open(junk, "wb") as f:
            f.write(b"not a checkpoint at all")
        out = run([EXE, "model", "info", "--backbone", "clip:" + junk, "--vocab", VOCAB])
        self.assertEqual(out.returncode, 2)
        self.assertIn("junk.pt: not a CLIP checkpoint", out.stderr)
        out = run([EXE, "model", "info", "--backbone", "clip:/dev/zero", "--vocab", VOCAB])
        self.assertEqual(out.returncode, 2)
        self.assertIn("not a regular file", out.stderr)
        # A state dict missing a tensor, and one with a wrong shape.
        script = (
            "import sys, torch; sys.path.insert(0, sys.argv[1]); import ckpt_io;"
            "sd = ckpt_io.load_any(sys.argv[2])[0];"
            "sd.pop('visual.ln_post.bias'); torch.save(sd, sys.argv[3]);"
            "sd = ckpt_io.load_any(sys.argv[2])[0];"
            "sd['visual.proj'] = torch.zeros(128, 31); torch.save(sd, sys.argv[4])")
        good = make_checkpoint(os.path.join(self.dir, "good.pt"), "vit", "state_dict")
        missing, shape = os.path.join(self.dir, "missing.pt"), os.path.join(self.dir, "shape.pt")
        out = run([PY, "-c", script, HERE, good, missing, shape])
        self.assertEqual(out.returncode, 0, out.stderr)
        out = run([EXE, "model", "info", "--backbone", "clip:" + missing, "--vocab", VOCAB])
        self.assertEqual(out.returncode, 2)
        self.assertIn('tensor "visual.ln_post.bias" is missing (expected [128])', out.stderr)
        out = run([EXE, "model", "info", "--backbone", "clip:" + shape, "--vocab", VOCAB])
        self.assertEqual(out.returncode, 2)
        self.assertIn('tensor "visual.proj" has shape [128, 31], expected [128, 32]', out.stderr)
        # No vocabulary beside the checkpoint and none named: the error says where it looked.
        out = run([EXE, "model", "info", "--backbone", "clip:" + good])
        self.assertEqual(out.returncode, 2)
        self.assertIn("no BPE vocabulary: looked for " + os.path.join(self.dir,
                      "bpe_simple_vocab_16e6.txt.gz"), out.stderr)
        # A text longer than the context: an error naming the text, not a silent cut.
        out = run([EXE, "model", "embed", "--backbone", "clip:" + good, "--vocab", VOCAB,
                   "--text", "word " * 100])
        self.assertEqual(out.returncode, 2)
        self.assertIn("needs 102 tokens", out.stderr)


if __name__ == "__main__":
    unittest.main()
