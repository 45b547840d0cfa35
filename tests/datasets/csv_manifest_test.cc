#include "datasets/sources/csv_manifest.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/datasets/temp_dir.h"

namespace chromatune::datasets {
namespace {

using testing::TempDir;

TEST(CsvTest, ParsesRfc4180Quoting) {
  auto r = ParseCsv(
      "\xEF\xBB\xBFpath,label\r\n\"a,b.png\",\"say \"\"hi\"\"\"\r\n\r\n"
      "\"multi\nline.png\",x\nlast,\n",
      "f.csv");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].fields, (std::vector<std::string>{"path", "label"}));
  EXPECT_EQ((*r)[1].fields, (std::vector<std::string>{"a,b.png", "say \"hi\""}));
  EXPECT_EQ((*r)[1].line, 2);
  EXPECT_EQ((*r)[2].fields, (std::vector<std::string>{"multi\nline.png", "x"}));
  EXPECT_EQ((*r)[2].line, 4);
  EXPECT_EQ((*r)[3].fields, (std::vector<std::string>{"last", ""}));
  EXPECT_EQ((*r)[3].line, 6);
  EXPECT_EQ(ParseCsv("a,b\n\"x,y\n", "f.csv").status().message(),
            "f.csv:2: a quoted field is never closed");
  EXPECT_EQ(ParseCsv("a,b\nx\"y,z\n", "f.csv").status().message(),
            "f.csv:2: a quote inside an unquoted field (quote the whole field and write the "
            "quote as \"\")");
  EXPECT_EQ(ParseCsv("a,b\n\"x\"y,z\n", "f.csv").status().message(),
            "f.csv:2: text after a closing quote (write a quote inside a quoted field as \"\")");
}

TEST(CsvTest, NamesAsLabelsWithSplits) {
  TempDir dir;
  const std::string csv = dir.Write("pets.csv",
                                    "label,path,split,notes\n"
                                    "dog,img/d1.png,,good boy\n"
                                    "cat,img/c1.png,train,\n"
                                    "cat,\"img/c,2.png\",test,\n"
                                    "dog,img/d2.png, val ,\n"
                                    "dog,/abs/d3.png,test,\n");
  auto m = ReadCsvManifest(csv);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->classes, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(m->root, dir.path());
  EXPECT_EQ(m->source, "csv:" + csv);
  EXPECT_EQ(m->SplitNames(), (std::vector<std::string>{"train", "val", "test"}));
  ASSERT_EQ(m->Split("train").size(), 2u);
  EXPECT_EQ(m->Split("train")[0].path, "img/d1.png");
  EXPECT_EQ(m->Split("train")[0].label, 1);
  EXPECT_EQ(m->Split("test")[0].path, "img/c,2.png");
  EXPECT_EQ(m->FullPath(m->Split("test")[0]), dir.path() + "/img/c,2.png");
  EXPECT_EQ(m->FullPath(m->Split("test")[1]), "/abs/d3.png");
  EXPECT_EQ(m->default_eval_splits, (std::vector<std::string>{"test"}));
  EXPECT_EQ(m->annotation_files, (std::vector<std::string>{csv}));

  TempDir images;
  auto rooted = ReadCsvManifest(csv, images.path());
  ASSERT_TRUE(rooted.ok());
  EXPECT_EQ(rooted->FullPath(rooted->Split("train")[0]), images.path() + "/img/d1.png");
}

TEST(CsvTest, IntegerLabelsNamedByColumnOrClassNamesFile) {
  TempDir dir;
  const std::string by_column = dir.Write("a.csv",
                                          "path,label,classname,split\n"
                                          "x.png,1,golden retriever,train\n"
                                          "y.png,0,tabby cat,train\n"
                                          "z.png,1,golden retriever,test\n");
  auto a = ReadCsvManifest(by_column);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->classes, (std::vector<std::string>{"tabby cat", "golden retriever"}));
  EXPECT_EQ(a->Labels("train"), (std::vector<int>{1, 0}));

  TempDir other;
  other.Write("classnames.txt", "tabby cat\r\ngolden retriever\n\n");
  const std::string by_file =
      other.Write("b.csv", "path,label,split\nx.png,1,train\ny.png,0,train\nz.png,0,test\n");
  auto b = ReadCsvManifest(by_file);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->classes, (std::vector<std::string>{"tabby cat", "golden retriever"}));
  EXPECT_EQ(b->annotation_files,
            (std::vector<std::string>{by_file, other.path() + "/classnames.txt"}));
}

std::string ErrorOf(const TempDir& dir, const std::string& csv_text,
                    const std::string& image_root = "") {
  auto m = ReadCsvManifest(dir.Write("d.csv", csv_text), image_root);
  EXPECT_FALSE(m.ok());
  return m.ok() ? "" : m.status().message();
}

TEST(CsvTest, ErrorsGiveFileLineAndClass) {
  TempDir dir;
  const std::string f = dir.path() + "/d.csv";
  EXPECT_EQ(ErrorOf(dir, ""), f + ": empty; expected a header path,label[,split][,classname]");
  EXPECT_EQ(ErrorOf(dir, "path,lable\nx.png,cat\n"),
            f + ":1: the header needs the columns path and label (optional: split, classname); "
                "it has: path, lable");
  EXPECT_EQ(ErrorOf(dir, "path,label,path\n"),
            f + ":1: column \"path\" appears twice in the header");
  EXPECT_EQ(ErrorOf(dir, "path,label\n"), f + ": no rows after the header");
  EXPECT_EQ(ErrorOf(dir, "path,label\nx.png\n"), f + ":2: 1 fields, but the header has 2");
  EXPECT_EQ(ErrorOf(dir, "path,label\n,cat\n"), f + ":2: empty path");
  EXPECT_EQ(ErrorOf(dir, "path,label\nx.png, \n"), f + ":2: empty label");
  EXPECT_EQ(ErrorOf(dir, "path,label,split\nx.png,cat,tset\n"),
            f + ":2: unknown split \"tset\" (expected train, val or test)");
  EXPECT_EQ(ErrorOf(dir, "path,label\nx.png,cat\n./x.png,dog\n"),
            f + ":3: duplicate path \"./x.png\" (also on line 2)");
  EXPECT_EQ(ErrorOf(dir, "path,label\nx.png,cat\ny.png,3\n"),
            f + ":3: label \"3\" mixes class names and integer labels (line 2 has \"cat\"); use "
                "one kind");
  EXPECT_EQ(ErrorOf(dir, "path,label\nx.png,0\n"),
            f +
                ":2: label 0 is an integer and needs a class name: add a classname column, or "
                "write " +
                dir.path() + "/classnames.txt (one class name per line, line 1 naming label 0)");
  EXPECT_EQ(ErrorOf(dir, "path,label,classname\nx.png,0,cat\ny.png,0,dog\n"),
            f + ":3: class name \"dog\" for label 0, but line 2 named it \"cat\"");
  EXPECT_EQ(ErrorOf(dir, "path,label,classname\nx.png,1,cat\n"),
            f + ": label 0 has no class name (no row has it; labels are 0..C-1 without gaps)");
  EXPECT_EQ(ErrorOf(dir, "path,label,classname\nx.png,1,cat\ny.png,0,cat\n"),
            f + ": labels 0 and 1 have the same class name \"cat\"");
  EXPECT_EQ(ErrorOf(dir, "path,label,classname\nx.png,-1,cat\n"),
            f + ":2: label -1 out of range 0..100000");
  EXPECT_EQ(ErrorOf(dir, "path,label\nx.png,cat\n", dir.path() + "/nope"),
            f + ": image_root " + dir.path() + "/nope: folder not found");

  dir.Write("classnames.txt", "cat\ndog\nbird\n");
  EXPECT_EQ(
      ErrorOf(dir, "path,label\nx.png,0\ny.png,5\n"),
      f + ":3: label 5 out of range 0..2 (" + dir.path() + "/classnames.txt names 3 classes)");
  EXPECT_EQ(ErrorOf(dir, "path,label\nx.png,0\ny.png,2\n"),
            f + ": empty class \"dog\" (label 1) has no images");
  dir.Write("classnames.txt", "cat\n\ndog\n");
  EXPECT_EQ(ErrorOf(dir, "path,label\nx.png,0\n"),
            dir.path() +
                "/classnames.txt:2: empty class name for label 1 (one name per line, "
                "line 1 naming label 0)");
  dir.Write("classnames.txt", "cat\ncat\n");
  EXPECT_EQ(ErrorOf(dir, "path,label\nx.png,0\n"),
            dir.path() + "/classnames.txt:2: class name \"cat\" already names label 0");

  auto missing = ReadCsvManifest(dir.path() + "/none.csv");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "CSV manifest not found: " + dir.path() + "/none.csv");
  EXPECT_EQ(ReadCsvManifest("/dev/null").status().message(),
            "CSV manifest is not a regular file (a device, FIFO or socket): /dev/null");
}

}  // namespace
}  // namespace chromatune::datasets
