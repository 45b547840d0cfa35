"""scripts/convert-refcoco on a small refs pickle and instances.json written here."""

import collections
import json
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                      "convert-refcoco")

INSTANCES = {
    "images": [
        {"id": 1, "file_name": "COCO_train2014_000000000001.jpg", "width": 64, "height": 48},
        {"id": 2, "file_name": "COCO_train2014_000000000002.jpg", "width": 32, "height": 40},
        {"id": 3, "file_name": "COCO_train2014_000000000003.jpg", "width": 10, "height": 10},
    ],
    "annotations": [
        {"id": 12, "image_id": 1, "bbox": [30, 4, 20.5, 10], "category_id": 18, "area": 1},
        {"id": 11, "image_id": 1, "bbox": [0, 0, 10, 10], "category_id": 1, "iscrowd": 0},
        {"id": 21, "image_id": 2, "bbox": [2, 2, 8, 8], "category_id": 18},
        {"id": 31, "image_id": 3, "bbox": [1, 1, 2, 2], "category_id": 1},
    ],
    "categories": [{"id": 1, "name": "person", "supercategory": "person"},
                   {"id": 18, "name": "dog", "supercategory": "animal"}],
}

REFS = [
    {"ref_id": 100, "ann_id": 12, "image_id": 1, "split": "train", "category_id": 18,
     "file_name": "COCO_train2014_000000000001_12.jpg", "sent_ids": [0, 1],
     "sentences": [{"sent": "dog on the right", "raw": "Dog on the right.", "tokens": [],
                    "sent_id": 0},
                   {"sent": "brown dog", "raw": "brown dog", "tokens": [], "sent_id": 1}]},
    {"ref_id": 101, "ann_id": 11, "image_id": 1, "split": "testA", "category_id": 1,
     "sentences": [{"sent": "left person"}]},
    {"ref_id": 102, "ann_id": 21, "image_id": 2, "split": "testB", "category_id": 18,
     "sentences": [{"raw": "The dog"}]},
    {"ref_id": 103, "ann_id": 21, "image_id": 2, "split": "val", "category_id": 18,
     "sentences": [{"sent": "dog"}]},
]


def python2_pickle(value):
    """Protocol 2 as Python 2's cPickle writes lists, dicts, str (bytes) and int."""
    def encode(v):
        if isinstance(v, dict):
            return b"}(" + b"".join(encode(k) + encode(x) for k, x in v.items()) + b"u"
        if isinstance(v, list):
            return b"](" + b"".join(encode(x) for x in v) + b"e"
        if isinstance(v, str):
            raw = v.encode("latin-1")
            return b"U" + bytes([len(raw)]) + raw
        if isinstance(v, int):
            return b"J" + struct.pack("<i", v)
        raise TypeError(type(v))
    return b"\x80\x02" + encode(value) + b"."


class ConvertRefcocoTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, refs, instances=INSTANCES, protocol=2):
        refs_path = os.path.join(self.dir, "refs(unc).p")
        with open(refs_path, "wb") as f:
            pickle.dump(refs, f, protocol=protocol)
        instances_path = os.path.join(self.dir, "instances.json")
        with open(instances_path, "w") as f:
            json.dump(instances, f)
        return refs_path, instances_path

    def run_script(self, refs_path, instances_path, *extra):
        out = os.path.join(self.dir, "out.json")
        result = subprocess.run(
            [sys.executable, SCRIPT, "--refs", refs_path, "--instances", instances_path,
             "--out", out] + list(extra),
            capture_output=True, text=True, timeout=60)
        return result, out

    def test_keeps_splits_boxes_sentences_and_categories(self):
        result, out = self.run_script(*self.write(REFS), "--image-prefix", "train2014/")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("4 refs", result.stdout)
        with open(out) as f:
            doc = json.load(f)
        self.assertEqual(doc["images"], [
            {"id": 1, "file_name": "train2014/COCO_train2014_000000000001.jpg", "width": 64,
             "height": 48},
            {"id": 2, "file_name": "train2014/COCO_train2014_000000000002.jpg", "width": 32,
             "height": 40}])  # image 3: no ref uses it
        self.assertEqual(doc["annotations"], [
            {"id": 11, "image_id": 1, "bbox": [0.0, 0.0, 10.0, 10.0], "category_id": 1},
            {"id": 12, "image_id": 1, "bbox": [30.0, 4.0, 20.5, 10.0], "category_id": 18},
            {"id": 21, "image_id": 2, "bbox": [2.0, 2.0, 8.0, 8.0], "category_id": 18}])
        self.assertEqual(doc["categories"], [{"id": 1, "name": "person"},
                                             {"id": 18, "name": "dog"}])
        self.assertEqual([r["split"] for r in doc["refs"]], ["train", "testA", "testB", "val"])
        self.assertEqual(doc["refs"][0], {
            "ref_id": 100, "image_id": 1, "ann_id": 12, "category_id": 18, "split": "train",
            "sentences": [{"sent": "dog on the right"}, {"sent": "brown dog"}]})
        self.assertEqual(doc["refs"][2]["sentences"], [{"sent": "The dog"}])  # raw as fallback

    def test_python2_pickles_of_the_original_downloads(self):
        # The refer toolkit's refs files are Python 2 pickles: str is a byte string
        # (SHORT_BINSTRING), read as latin-1 text.
        refs = [dict(REFS[1], sentences=[{"sent": "caf\xe9 person"}])]
        refs_path, instances_path = self.write(refs)
        with open(refs_path, "wb") as f:
            f.write(python2_pickle(refs))
        result, out = self.run_script(refs_path, instances_path)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(out, encoding="utf-8") as f:
            self.assertEqual(json.load(f)["refs"][0]["sentences"], [{"sent": "caf\xe9 person"}])

    def test_pickles_that_name_classes_are_refused_not_run(self):
        refs = [collections.OrderedDict(REFS[0])]
        result, out = self.run_script(*self.write(refs))
        self.assertEqual(result.returncode, 2)
        self.assertIn("the pickle names collections.OrderedDict", result.stderr)
        self.assertFalse(os.path.exists(out))

    def test_errors_name_the_file_and_the_ref(self):
        refs_path, instances_path = self.write([dict(REFS[1], ann_id=99)])
        result, _ = self.run_script(refs_path, instances_path)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stderr.strip(),
                         "convert-refcoco: %s: ref_id 101: ann_id 99 is not in %s"
                         % (refs_path, instances_path))
        refs_path, instances_path = self.write([dict(REFS[1], image_id=2)])
        result, _ = self.run_script(refs_path, instances_path)
        self.assertIn("ref_id 101: ann_id 11 belongs to image 1, not 2", result.stderr)
        refs_path, instances_path = self.write([dict(REFS[1], sentences=[{"tokens": []}])])
        result, _ = self.run_script(refs_path, instances_path)
        self.assertIn("ref_id 101: sentences[0] has no sent", result.stderr)
        refs_path, instances_path = self.write([dict(REFS[1], category_id=18)])
        result, _ = self.run_script(refs_path, instances_path)
        self.assertIn("ref_id 101: category_id 18 differs from its annotation's 1", result.stderr)
        with open(refs_path, "wb") as f:
            f.write(b"not a pickle")
        result, _ = self.run_script(refs_path, instances_path)
        self.assertIn("%s: not a readable pickle" % refs_path, result.stderr)
        result, _ = self.run_script(os.path.join(self.dir, "none.p"), instances_path)
        self.assertIn("none.p: cannot read", result.stderr)


if __name__ == "__main__":
    unittest.main()
