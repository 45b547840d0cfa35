// Fuzzes the readers of users' dataset manifests (datasets/sources/csv_manifest.h,
// datasets/coop_split.h, datasets/refexp.h) through the files they read.
//
// Input: a first line naming the reader ("csv", "coop" or "refexp"), then the file's
// content. For refexp, a line "--- proposals" splits the rest into the refs JSON and a
// proposals JSON; for csv, a line "--- classnames" into the CSV and its classnames.txt.
// The files are written into a scratch directory that also holds a few image files the
// manifests may name (a.png, b/c.jpg). Nothing may throw or crash; errors name the file.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "datasets/coop_split.h"
#include "datasets/refexp.h"
#include "datasets/sources/csv_manifest.h"

namespace fs = std::filesystem;
using namespace chromatune;

namespace {

void Die(const std::string& what) {
  std::fprintf(stderr, "dataset_manifest_fuzz: %s\n", what.c_str());
  std::abort();
}

const std::string& ScratchDir() {
  static const std::string dir = [] {
    const char* shm = "/dev/shm";
    std::string tmpl =
        std::string(fs::is_directory(shm) ? shm : "/tmp") + "/ct-dataset-fuzz-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp failed");
    static std::string dir_to_remove;
    dir_to_remove = tmpl;
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(dir_to_remove, ec);
    });
    fs::create_directories(tmpl + "/b");
    std::ofstream(tmpl + "/a.png") << "not really a png";
    std::ofstream(tmpl + "/b/c.jpg") << "not really a jpeg";
    return tmpl;
  }();
  return dir;
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) Die("cannot write " + path);
}

// Splits `text` at the first line equal to `marker`; the part after it goes to `*second`.
std::string SplitAt(const std::string& text, const std::string& marker, std::string* second) {
  const std::string line = "\n" + marker + "\n";
  const size_t at = text.find(line);
  if (at == std::string::npos) {
    second->clear();
    return text;
  }
  *second = text.substr(at + line.size());
  return text.substr(0, at);
}

// An error names the file at fault: the manifest, or a file beside it (classnames.txt,
// the proposals, an image) — always one in the scratch directory.
void ExpectNamed(const Status& s, const std::string& file) {
  if (s.ok()) return;
  if (s.message().find(fs::path(file).parent_path().string()) == std::string::npos) {
    Die("an error that does not name " + file + " or a file beside it: " + s.ToString());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nl = input.find('\n');
  if (nl == std::string::npos) return 0;
  const std::string kind = input.substr(0, nl);
  const std::string body = input.substr(nl + 1);
  const std::string& dir = ScratchDir();
  std::error_code ec;
  fs::remove(dir + "/classnames.txt", ec);
  if (kind == "csv") {
    std::string classnames;
    const std::string csv = SplitAt(body, "--- classnames", &classnames);
    (void)datasets::ParseCsv(csv, "fuzz.csv");
    const std::string path = dir + "/manifest.csv";
    Write(path, csv);
    if (!classnames.empty()) Write(dir + "/classnames.txt", classnames);
    auto manifest = datasets::ReadCsvManifest(path);
    if (!manifest.ok()) ExpectNamed(manifest.status(), path);
  } else if (kind == "coop") {
    const std::string path = dir + "/split.json";
    Write(path, body);
    auto split = datasets::ReadCoopSplit(path);
    if (!split.ok()) ExpectNamed(split.status(), path);
  } else if (kind == "refexp") {
    std::string proposals;
    const std::string refs = SplitAt(body, "--- proposals", &proposals);
    const std::string path = dir + "/refs.json";
    Write(path, refs);
    std::string props_path;
    if (!proposals.empty()) {
      props_path = dir + "/props.json";
      Write(props_path, proposals);
    }
    auto set = datasets::ReadRefexp(path, "", props_path);
    if (set.ok()) {
      for (const auto& e : set->entries) {
        if (e.target < 0 || e.target >= static_cast<int>(e.proposals.size())) {
          Die("refexp target out of its proposals");
        }
        for (int i = 0; i < static_cast<int>(e.proposals.size()); ++i) {
          (void)datasets::RefexpHit(e, i, set->annotation_proposals);
        }
      }
    }
  }
  return 0;
}
