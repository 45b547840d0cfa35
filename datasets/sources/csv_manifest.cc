#include "datasets/sources/csv_manifest.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/regular_file.h"
#include "datasets/json_file.h"
#include "datasets/sources/image_folder.h"

namespace chromatune::datasets {
namespace {

namespace fs = std::filesystem;

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t") + 1 - begin);
}

bool IsInteger(const std::string& s) {
  const size_t digits = s.size() > 0 && s[0] == '-' ? 1 : 0;
  return s.size() > digits && s.find_first_not_of("0123456789", digits) == std::string::npos;
}

Result<std::string> ReadText(const std::string& path, const std::string& what) {
  CT_RETURN_IF_ERROR(RequireRegularFile(path, what));
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path + ": cannot read");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// classnames.txt beside a CSV: line N (1-based) names label N-1; trailing blank lines end it.
Result<std::vector<std::string>> ReadLabelNames(const std::string& path) {
  CT_ASSIGN_OR_RETURN(std::string text, ReadText(path, "class-name file"));
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(Trim(line));
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::map<std::string, size_t> seen;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string at = path + ":" + std::to_string(i + 1) + ": ";
    if (lines[i].empty()) {
      return InvalidArgument(at + "empty class name for label " + std::to_string(i) +
                             " (one name per line, line 1 naming label 0)");
    }
    auto [first, inserted] = seen.emplace(lines[i], i);
    if (!inserted) {
      return InvalidArgument(at + "class name \"" + lines[i] + "\" already names label " +
                             std::to_string(first->second));
    }
  }
  return lines;
}

// The columns of the header (index per name; -1 when absent).
struct Columns {
  int path = -1, label = -1, split = -1, classname = -1;
  size_t count = 0;
};

Result<Columns> ReadHeader(const std::string& file, const CsvRecord& header) {
  Columns c;
  c.count = header.fields.size();
  std::vector<std::string> names;
  for (size_t i = 0; i < header.fields.size(); ++i) {
    const std::string name = Trim(header.fields[i]);
    if (std::find(names.begin(), names.end(), name) != names.end() && !name.empty()) {
      return InvalidArgument(file + ":" + std::to_string(header.line) + ": column \"" + name +
                             "\" appears twice in the header");
    }
    names.push_back(name);
    const int index = static_cast<int>(i);
    if (name == "path") c.path = index;
    if (name == "label") c.label = index;
    if (name == "split") c.split = index;
    if (name == "classname") c.classname = index;
  }
  if (c.path < 0 || c.label < 0) {
    std::string has;
    for (const std::string& n : names) has += (has.empty() ? "" : ", ") + n;
    return InvalidArgument(file + ":" + std::to_string(header.line) +
                           ": the header needs the columns path and label (optional: split, "
                           "classname); it has: " +
                           has);
  }
  return c;
}

// One row after the header, its fields picked by column.
struct Row {
  int line = 0;
  std::string path, label, split, classname;
};

// Labels that are class names: classes are the sorted distinct names (or keys, with the
// classname column giving the name to show).
Status NamedLabels(const std::string& file, const std::vector<Row>& rows, bool has_classname,
                   DatasetManifest* m, std::vector<int>* labels) {
  std::map<std::string, std::pair<std::string, int>> names;  // label -> (class name, line)
  for (const Row& row : rows) {
    const std::string name = has_classname && !row.classname.empty() ? row.classname : row.label;
    auto [it, inserted] = names.emplace(row.label, std::make_pair(name, row.line));
    if (!inserted && it->second.first != name) {
      return InvalidArgument(file + ":" + std::to_string(row.line) + ": class name \"" + name +
                             "\" for label \"" + row.label + "\", but line " +
                             std::to_string(it->second.second) + " named it \"" + it->second.first +
                             "\"");
    }
  }
  std::map<std::string, int> index;
  for (const auto& [label, name] : names) {
    index[label] = static_cast<int>(m->classes.size());
    m->classes.push_back(name.first);
  }
  for (const Row& row : rows) labels->push_back(index.at(row.label));
  return Status::Ok();
}

// Integer labels 0..C-1, named by the classname column or by classnames.txt beside the CSV.
Status IntegerLabels(const std::string& file, const std::vector<Row>& rows, bool has_classname,
                     DatasetManifest* m, std::vector<int>* labels) {
  std::vector<std::pair<std::string, int>> names;  // per label: (name, line)
  const std::string names_file = JoinPath(DirName(file), kClassNamesFile);
  if (!has_classname) {
    std::error_code ec;
    if (!fs::exists(names_file, ec)) {
      return InvalidArgument(file + ":" + std::to_string(rows.front().line) + ": label " +
                             rows.front().label +
                             " is an integer and needs a class name: add a classname column, "
                             "or write " +
                             names_file + " (one class name per line, line 1 naming label 0)");
    }
    CT_ASSIGN_OR_RETURN(std::vector<std::string> list, ReadLabelNames(names_file));
    for (const std::string& name : list) names.emplace_back(name, 0);
    m->annotation_files.push_back(names_file);
  }
  for (const Row& row : rows) {
    const std::string at = file + ":" + std::to_string(row.line) + ": ";
    const int64_t label = row.label.size() > 6 ? 1000000 : std::stoll(row.label);
    if (!has_classname) {
      if (label < 0 || label >= static_cast<int64_t>(names.size())) {
        return InvalidArgument(at + "label " + row.label + " out of range 0.." +
                               std::to_string(static_cast<int64_t>(names.size()) - 1) + " (" +
                               names_file + " names " + std::to_string(names.size()) + " classes)");
      }
    } else {
      if (label < 0 || label > 100000) {
        return InvalidArgument(at + "label " + row.label + " out of range 0..100000");
      }
      if (row.classname.empty()) return InvalidArgument(at + "empty classname");
      if (names.size() <= static_cast<size_t>(label)) names.resize(static_cast<size_t>(label) + 1);
      auto& known = names[static_cast<size_t>(label)];
      if (known.first.empty()) {
        known = {row.classname, row.line};
      } else if (known.first != row.classname) {
        return InvalidArgument(at + "class name \"" + row.classname + "\" for label " + row.label +
                               ", but line " + std::to_string(known.second) + " named it \"" +
                               known.first + "\"");
      }
    }
    labels->push_back(static_cast<int>(label));
  }
  std::map<std::string, size_t> seen;
  for (size_t label = 0; label < names.size(); ++label) {
    if (names[label].first.empty()) {
      return InvalidArgument(file + ": label " + std::to_string(label) +
                             " has no class name (no row has it; labels are 0..C-1 without "
                             "gaps)");
    }
    auto [first, inserted] = seen.emplace(names[label].first, label);
    if (!inserted) {
      return InvalidArgument(file + ": labels " + std::to_string(first->second) + " and " +
                             std::to_string(label) + " have the same class name \"" +
                             names[label].first + "\"");
    }
    m->classes.push_back(names[label].first);
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<CsvRecord>> ParseCsv(const std::string& text, const std::string& file) {
  std::vector<CsvRecord> records;
  const size_t n = text.size();
  size_t i = text.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;  // a UTF-8 byte-order mark
  int line = 1;
  auto at = [&](int l) { return file + ":" + std::to_string(l) + ": "; };
  while (i < n) {
    if (text[i] == '\n' || text[i] == '\r') {  // a blank line
      i += text[i] == '\r' && i + 1 < n && text[i + 1] == '\n' ? 2 : 1;
      ++line;
      continue;
    }
    CsvRecord record;
    record.line = line;
    while (true) {
      std::string field;
      if (i < n && text[i] == '"') {
        const int opened = line;
        ++i;
        while (true) {
          if (i >= n) return InvalidArgument(at(opened) + "a quoted field is never closed");
          if (text[i] == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (text[i] == '\n') ++line;
          field += text[i++];
        }
        if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          return InvalidArgument(at(line) +
                                 "text after a closing quote (write a quote inside a quoted "
                                 "field as \"\")");
        }
      } else {
        while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          if (text[i] == '"') {
            return InvalidArgument(at(line) +
                                   "a quote inside an unquoted field (quote the whole field "
                                   "and write the quote as \"\")");
          }
          field += text[i++];
        }
      }
      record.fields.push_back(std::move(field));
      if (i < n && text[i] == ',') {
        ++i;
        continue;
      }
      if (i < n) i += text[i] == '\r' && i + 1 < n && text[i + 1] == '\n' ? 2 : 1;
      ++line;
      break;
    }
    records.push_back(std::move(record));
  }
  return records;
}

Result<DatasetManifest> ReadCsvManifest(const std::string& csv_path,
                                        const std::string& image_root) {
  const std::string& file = csv_path;
  CT_ASSIGN_OR_RETURN(std::string text, ReadText(file, "CSV manifest"));
  CT_ASSIGN_OR_RETURN(std::vector<CsvRecord> records, ParseCsv(text, file));
  if (records.empty()) {
    return InvalidArgument(file + ": empty; expected a header path,label[,split][,classname]");
  }
  std::error_code ec;
  if (!image_root.empty() && !fs::is_directory(image_root, ec)) {
    return NotFound(file + ": image_root " + image_root + ": folder not found");
  }
  CT_ASSIGN_OR_RETURN(Columns columns, ReadHeader(file, records.front()));
  std::vector<Row> rows;
  std::map<std::string, int> seen;  // normalised path -> line
  for (size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& record = records[r];
    const std::string at = file + ":" + std::to_string(record.line) + ": ";
    if (record.fields.size() != columns.count) {
      return InvalidArgument(at + std::to_string(record.fields.size()) +
                             " fields, but the header has " + std::to_string(columns.count));
    }
    Row row;
    row.line = record.line;
    row.path = record.fields[static_cast<size_t>(columns.path)];
    row.label = Trim(record.fields[static_cast<size_t>(columns.label)]);
    row.split = columns.split < 0 ? "" : Trim(record.fields[static_cast<size_t>(columns.split)]);
    if (columns.classname >= 0) {
      row.classname = Trim(record.fields[static_cast<size_t>(columns.classname)]);
    }
    if (row.path.empty()) return InvalidArgument(at + "empty path");
    if (row.label.empty()) return InvalidArgument(at + "empty label");
    if (row.split.empty()) row.split = kTrainSplit;
    if (row.split != kTrainSplit && row.split != kValSplit && row.split != kTestSplit) {
      return InvalidArgument(at + "unknown split \"" + row.split +
                             "\" (expected train, val or test)");
    }
    if (IsInteger(row.label) != IsInteger(rows.empty() ? row.label : rows.front().label)) {
      return InvalidArgument(at + "label \"" + row.label + "\" mixes class names and integer " +
                             "labels (line " + std::to_string(rows.front().line) + " has \"" +
                             rows.front().label + "\"); use one kind");
    }
    const std::string key = fs::path(row.path).lexically_normal().string();
    auto [first, inserted] = seen.emplace(key, row.line);
    if (!inserted) {
      return InvalidArgument(at + "duplicate path \"" + row.path + "\" (also on line " +
                             std::to_string(first->second) + ")");
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty()) return InvalidArgument(file + ": no rows after the header");

  DatasetManifest manifest;
  manifest.source = "csv:" + file;
  manifest.root = image_root.empty() ? DirName(file) : image_root;
  manifest.annotation_files.push_back(file);
  std::vector<int> labels;
  if (IsInteger(rows.front().label)) {
    CT_RETURN_IF_ERROR(IntegerLabels(file, rows, columns.classname >= 0, &manifest, &labels));
  } else {
    CT_RETURN_IF_ERROR(NamedLabels(file, rows, columns.classname >= 0, &manifest, &labels));
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    manifest.splits[rows[r].split].push_back({rows[r].path, labels[r]});
  }
  CT_RETURN_IF_ERROR(FinishManifest(file, &manifest));
  return manifest;
}

}  // namespace chromatune::datasets
