#include "datasets/refexp.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "datasets/image_cache.h"
#include "datasets/image_io.h"
#include "datasets/json_file.h"

namespace chromatune::datasets {

namespace {

struct ImageInfo {
  std::string file_name;  // as written
  std::string path;
  int width = 0, height = 0;
  std::vector<int64_t> annotations;  // ids, file order
};

struct Annotation {
  int64_t image_id = 0;
  Box box;
  int64_t category_id = 0;
};

std::string Where(const char* part, size_t i, const char* field = nullptr) {
  std::string w = std::string("\"") + part + "\"[" + std::to_string(i) + "]";
  return field ? w + "." + field : w;
}

std::string NormalizeSentence(const std::string& text) {
  std::istringstream in(text);
  std::string word, out;
  while (in >> word) {
    for (char& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out += (out.empty() ? "" : " ") + word;
  }
  return out;
}

// Member `key` of element i of `part`, as a pointer (errors name the field).
#define CT_MEMBER(var, file, obj, part, i, key) \
  CT_ASSIGN_OR_RETURN(const nlohmann::json* var, JsonMember(file, obj, Where(part, i), key))

Status ReadImages(const std::string& file, const nlohmann::json& doc, const std::string& root,
                  std::map<int64_t, ImageInfo>* images) {
  CT_ASSIGN_OR_RETURN(const nlohmann::json* list, JsonMember(file, doc, "", "images"));
  CT_RETURN_IF_ERROR(JsonExpect(file, *list, "\"images\"", "array"));
  for (size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& obj = (*list)[i];
    CT_MEMBER(id_v, file, obj, "images", i, "id");
    CT_MEMBER(name_v, file, obj, "images", i, "file_name");
    CT_MEMBER(w_v, file, obj, "images", i, "width");
    CT_MEMBER(h_v, file, obj, "images", i, "height");
    CT_ASSIGN_OR_RETURN(int64_t id, JsonInt(file, *id_v, Where("images", i, "id")));
    CT_ASSIGN_OR_RETURN(std::string name,
                        JsonString(file, *name_v, Where("images", i, "file_name")));
    CT_ASSIGN_OR_RETURN(int64_t w, JsonInt(file, *w_v, Where("images", i, "width")));
    CT_ASSIGN_OR_RETURN(int64_t h, JsonInt(file, *h_v, Where("images", i, "height")));
    if (w <= 0 || h <= 0 || w > 65535 || h > 65535) {
      return InvalidArgument(file + ": " + Where("images", i, "width") +
                             ": width and height must be 1..65535");
    }
    if (name.empty())
      return InvalidArgument(file + ": " + Where("images", i, "file_name") + ": empty");
    ImageInfo info{name, JoinPath(root, name), static_cast<int>(w), static_cast<int>(h), {}};
    if (!images->emplace(id, std::move(info)).second) {
      return InvalidArgument(file + ": " + Where("images", i, "id") + ": duplicate image id " +
                             std::to_string(id));
    }
  }
  return Status::Ok();
}

Status ReadAnnotations(const std::string& file, const nlohmann::json& doc,
                       std::map<int64_t, ImageInfo>* images,
                       std::map<int64_t, Annotation>* annotations) {
  CT_ASSIGN_OR_RETURN(const nlohmann::json* list, JsonMember(file, doc, "", "annotations"));
  CT_RETURN_IF_ERROR(JsonExpect(file, *list, "\"annotations\"", "array"));
  for (size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& obj = (*list)[i];
    CT_MEMBER(id_v, file, obj, "annotations", i, "id");
    CT_MEMBER(image_v, file, obj, "annotations", i, "image_id");
    CT_MEMBER(bbox_v, file, obj, "annotations", i, "bbox");
    CT_MEMBER(cat_v, file, obj, "annotations", i, "category_id");
    CT_ASSIGN_OR_RETURN(int64_t id, JsonInt(file, *id_v, Where("annotations", i, "id")));
    CT_ASSIGN_OR_RETURN(int64_t image_id,
                        JsonInt(file, *image_v, Where("annotations", i, "image_id")));
    CT_ASSIGN_OR_RETURN(int64_t cat, JsonInt(file, *cat_v, Where("annotations", i, "category_id")));
    const std::string bbox_where = Where("annotations", i, "bbox");
    if (!bbox_v->is_array() || bbox_v->size() != 4) {
      return InvalidArgument(file + ": " + bbox_where + ": need [x, y, w, h]");
    }
    double v[4];
    for (int k = 0; k < 4; ++k) {
      CT_ASSIGN_OR_RETURN(
          v[k], JsonNumber(file, (*bbox_v)[k], bbox_where + "[" + std::to_string(k) + "]"));
    }
    if (!(v[2] > 0 && v[3] > 0)) {
      return InvalidArgument(file + ": " + bbox_where + ": need 4 numbers with w, h > 0");
    }
    auto image = images->find(image_id);
    if (image == images->end()) {
      return InvalidArgument(file + ": " + Where("annotations", i, "image_id") + ": image " +
                             std::to_string(image_id) + " not found in \"images\"");
    }
    Annotation ann{image_id,
                   {static_cast<float>(v[0]), static_cast<float>(v[1]),
                    static_cast<float>(v[0] + v[2]), static_cast<float>(v[1] + v[3])},
                   cat};
    if (!annotations->emplace(id, ann).second) {
      return InvalidArgument(file + ": " + Where("annotations", i, "id") +
                             ": duplicate annotation id " + std::to_string(id));
    }
    image->second.annotations.push_back(id);
  }
  return Status::Ok();
}

// Dense category indices: from "categories" when present, else the sorted ids in use.
Status ReadCategories(const std::string& file, const nlohmann::json& doc,
                      const std::map<int64_t, Annotation>& annotations, RefexpSet* set) {
  auto it = doc.find("categories");
  if (it == doc.end()) {
    std::vector<int> ids;
    for (const auto& [id, ann] : annotations) ids.push_back(static_cast<int>(ann.category_id));
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (int id : ids) {
      set->category_ids.push_back(id);
      set->category_names.push_back("category " + std::to_string(id));
    }
    return Status::Ok();
  }
  CT_RETURN_IF_ERROR(JsonExpect(file, *it, "\"categories\"", "array"));
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& obj = (*it)[i];
    CT_MEMBER(id_v, file, obj, "categories", i, "id");
    CT_MEMBER(name_v, file, obj, "categories", i, "name");
    CT_ASSIGN_OR_RETURN(int64_t id, JsonInt(file, *id_v, Where("categories", i, "id")));
    CT_ASSIGN_OR_RETURN(std::string name,
                        JsonString(file, *name_v, Where("categories", i, "name")));
    if (std::find(set->category_ids.begin(), set->category_ids.end(), id) !=
        set->category_ids.end()) {
      return InvalidArgument(file + ": " + Where("categories", i, "id") +
                             ": duplicate category id " + std::to_string(id));
    }
    set->category_ids.push_back(static_cast<int>(id));
    set->category_names.push_back(name);
  }
  for (const auto& [id, ann] : annotations) {
    if (std::find(set->category_ids.begin(), set->category_ids.end(), ann.category_id) ==
        set->category_ids.end()) {
      return InvalidArgument(file + ": annotation " + std::to_string(id) + ": category_id " +
                             std::to_string(ann.category_id) + " not found in \"categories\"");
    }
  }
  return Status::Ok();
}

#undef CT_MEMBER

// A proposals file: {"<image_id>": [[x, y, w, h], ...]} as corner boxes per image id.
Result<std::map<int64_t, std::vector<Box>>> ReadProposals(const std::string& file) {
  CT_ASSIGN_OR_RETURN(nlohmann::json doc, ReadJsonFile(file));
  CT_RETURN_IF_ERROR(JsonExpect(file, doc, "top level", "object"));
  std::map<int64_t, std::vector<Box>> out;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string where = "\"" + it.key() + "\"";
    size_t used = 0;
    int64_t id = 0;
    try {
      id = std::stoll(it.key(), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != it.key().size()) {
      return InvalidArgument(file + ": " + where + ": keys are image ids (integers)");
    }
    CT_RETURN_IF_ERROR(JsonExpect(file, it.value(), where, "array"));
    if (it.value().empty()) return InvalidArgument(file + ": " + where + ": no boxes");
    std::vector<Box>& boxes = out[id];
    for (size_t k = 0; k < it.value().size(); ++k) {
      const std::string at = where + "[" + std::to_string(k) + "]";
      const nlohmann::json& box = it.value()[k];
      if (!box.is_array() || box.size() != 4) {
        return InvalidArgument(file + ": " + at + ": need [x, y, w, h]");
      }
      double v[4];
      for (int c = 0; c < 4; ++c) {
        CT_ASSIGN_OR_RETURN(v[c], JsonNumber(file, box[c], at + "[" + std::to_string(c) + "]"));
      }
      if (!(v[2] > 0 && v[3] > 0)) {
        return InvalidArgument(file + ": " + at + ": need 4 numbers with w, h > 0");
      }
      boxes.push_back({static_cast<float>(v[0]), static_cast<float>(v[1]),
                       static_cast<float>(v[0] + v[2]), static_cast<float>(v[1] + v[3])});
    }
  }
  return out;
}

}  // namespace

bool RefexpHit(const RefexpEntry& entry, int chosen, bool annotation_proposals) {
  if (chosen < 0 || static_cast<size_t>(chosen) >= entry.proposals.size()) return false;
  if (annotation_proposals) return chosen == entry.target;
  return IoU(entry.proposals[static_cast<size_t>(chosen)], entry.target_box) >= 0.5f;
}

Result<RefexpSet> ReadRefexp(const std::string& json_path, const std::string& image_root,
                             const std::string& proposals_path) {
  const std::string& file = json_path;
  CT_ASSIGN_OR_RETURN(nlohmann::json doc, ReadJsonFile(file));
  CT_RETURN_IF_ERROR(JsonExpect(file, doc, "top level", "object"));
  std::error_code ec;
  if (!image_root.empty() && !std::filesystem::is_directory(image_root, ec)) {
    return NotFound(file + ": image_root " + image_root + ": folder not found");
  }
  const std::string root = image_root.empty() ? DirName(json_path) : image_root;
  std::map<int64_t, std::vector<Box>> file_proposals;
  if (!proposals_path.empty()) {
    CT_ASSIGN_OR_RETURN(file_proposals, ReadProposals(proposals_path));
  }
  std::map<int64_t, ImageInfo> images;
  std::map<int64_t, Annotation> annotations;
  RefexpSet set;
  set.annotation_proposals = proposals_path.empty();
  std::set<std::string> used_files;
  CT_RETURN_IF_ERROR(ReadImages(file, doc, root, &images));
  CT_RETURN_IF_ERROR(ReadAnnotations(file, doc, &images, &annotations));
  CT_RETURN_IF_ERROR(ReadCategories(file, doc, annotations, &set));
  auto dense = [&](int64_t category_id) {
    return static_cast<int>(
        std::find(set.category_ids.begin(), set.category_ids.end(), category_id) -
        set.category_ids.begin());
  };

  CT_ASSIGN_OR_RETURN(const nlohmann::json* refs, JsonMember(file, doc, "", "refs"));
  CT_RETURN_IF_ERROR(JsonExpect(file, *refs, "\"refs\"", "array"));
  for (size_t i = 0; i < refs->size(); ++i) {
    const nlohmann::json& ref = (*refs)[i];
    CT_ASSIGN_OR_RETURN(const nlohmann::json* image_v,
                        JsonMember(file, ref, Where("refs", i), "image_id"));
    CT_ASSIGN_OR_RETURN(const nlohmann::json* ann_v,
                        JsonMember(file, ref, Where("refs", i), "ann_id"));
    CT_ASSIGN_OR_RETURN(const nlohmann::json* sents,
                        JsonMember(file, ref, Where("refs", i), "sentences"));
    CT_ASSIGN_OR_RETURN(int64_t image_id, JsonInt(file, *image_v, Where("refs", i, "image_id")));
    CT_ASSIGN_OR_RETURN(int64_t ann_id, JsonInt(file, *ann_v, Where("refs", i, "ann_id")));
    int64_t ref_id = static_cast<int64_t>(i);
    if (auto r = ref.find("ref_id"); r != ref.end()) {
      CT_ASSIGN_OR_RETURN(ref_id, JsonInt(file, *r, Where("refs", i, "ref_id")));
    }
    std::string split = "train";
    if (auto s = ref.find("split"); s != ref.end()) {
      CT_ASSIGN_OR_RETURN(split, JsonString(file, *s, Where("refs", i, "split")));
    }
    auto image = images.find(image_id);
    if (image == images.end()) {
      return InvalidArgument(file + ": " + Where("refs", i, "image_id") + ": image " +
                             std::to_string(image_id) + " not found in \"images\"");
    }
    auto ann = annotations.find(ann_id);
    if (ann == annotations.end()) {
      return InvalidArgument(file + ": " + Where("refs", i, "ann_id") + ": annotation " +
                             std::to_string(ann_id) + " not found");
    }
    if (ann->second.image_id != image_id) {
      return InvalidArgument(file + ": " + Where("refs", i, "ann_id") + ": annotation " +
                             std::to_string(ann_id) + " belongs to image " +
                             std::to_string(ann->second.image_id) + ", not " +
                             std::to_string(image_id));
    }
    CT_RETURN_IF_ERROR(JsonExpect(file, *sents, Where("refs", i, "sentences"), "array"));
    if (sents->empty())
      return InvalidArgument(file + ": " + Where("refs", i, "sentences") + ": empty");
    if (split.empty()) return InvalidArgument(file + ": " + Where("refs", i, "split") + ": empty");
    RefexpEntry base;
    base.image_path = image->second.path;
    base.image_width = image->second.width;
    base.image_height = image->second.height;
    base.split = split;
    base.ref_id = ref_id;
    base.image_id = image_id;
    base.ann_id = ann_id;
    base.target_box = ann->second.box;
    base.target_category = dense(ann->second.category_id);
    if (set.annotation_proposals) {
      for (size_t k = 0; k < image->second.annotations.size(); ++k) {
        const int64_t id = image->second.annotations[k];
        const Annotation& a = annotations.at(id);
        base.proposals.push_back(a.box);
        base.proposal_categories.push_back(dense(a.category_id));
        if (id == ann_id) base.target = static_cast<int>(k);
      }
    } else {
      auto boxes = file_proposals.find(image_id);
      if (boxes == file_proposals.end()) {
        return InvalidArgument(proposals_path + ": no proposals for image " +
                               std::to_string(image_id) + " (used by " + file + " " +
                               Where("refs", i) + ")");
      }
      base.proposals = boxes->second;
      base.proposal_categories.assign(base.proposals.size(), -1);
      float best = -1.0f;
      for (size_t k = 0; k < base.proposals.size(); ++k) {
        const float iou = IoU(base.proposals[k], base.target_box);
        if (iou > best) {
          best = iou;
          base.target = static_cast<int>(k);
        }
      }
    }
    used_files.insert(image->second.file_name);
    for (size_t k = 0; k < sents->size(); ++k) {
      const std::string where = Where("refs", i, "sentences") + "[" + std::to_string(k) + "]";
      CT_ASSIGN_OR_RETURN(const nlohmann::json* sent_v,
                          JsonMember(file, (*sents)[k], where, "sent"));
      CT_ASSIGN_OR_RETURN(std::string sent, JsonString(file, *sent_v, where + ".sent"));
      RefexpEntry entry = base;
      entry.query = NormalizeSentence(sent);
      if (entry.query.empty())
        return InvalidArgument(file + ": " + where + ".sent: empty sentence");
      auto [split_it, new_split] = set.split_entries.try_emplace(split);
      if (new_split) set.split_names.push_back(split);
      split_it->second.push_back(static_cast<int64_t>(set.entries.size()));
      set.entries.push_back(std::move(entry));
    }
  }
  if (set.entries.empty()) return InvalidArgument(file + ": \"refs\": no referring expressions");
  for (const std::string& split : set.split_names) {
    if (split != "train") set.default_eval_splits.push_back(split);
  }
  set.image_files.assign(used_files.begin(), used_files.end());
  return set;
}

Result<std::vector<GroundingExample>> LoadRefexpExamples(const RefexpSet& set,
                                                         const std::vector<int64_t>& indices,
                                                         int threads) {
  // Each image once, however many sentences are about it.
  std::vector<std::string> paths;
  std::map<std::string, size_t> slot;
  for (int64_t index : indices) {
    if (index < 0 || static_cast<size_t>(index) >= set.entries.size()) {
      return InvalidArgument("refexp: example index " + std::to_string(index) + " out of range");
    }
    const std::string& path = set.entries[static_cast<size_t>(index)].image_path;
    if (slot.emplace(path, paths.size()).second) paths.push_back(path);
  }
  CT_ASSIGN_OR_RETURN(std::vector<Image> decoded, DecodeImages(paths, threads));
  std::vector<std::shared_ptr<const Image>> originals;
  for (Image& image : decoded) originals.push_back(std::make_shared<const Image>(std::move(image)));
  std::vector<GroundingExample> out;
  out.reserve(indices.size());
  for (int64_t index : indices) {
    const RefexpEntry& e = set.entries[static_cast<size_t>(index)];
    const std::shared_ptr<const Image>& image = originals[slot.at(e.image_path)];
    if (image->width != e.image_width || image->height != e.image_height) {
      return InvalidArgument(e.image_path + ": decoded size " + std::to_string(image->width) + "x" +
                             std::to_string(image->height) + " differs from the declared " +
                             std::to_string(e.image_width) + "x" + std::to_string(e.image_height) +
                             " (\"images\" width/height)");
    }
    GroundingExample ex;
    ex.id = index;
    ex.original = image;
    ex.query = e.query;
    ex.proposals = e.proposals;
    ex.proposal_labels = e.proposal_categories;
    ex.target = e.target;
    ex.target_label = e.target_category;
    // Detector proposals are scored by overlap with the annotation (RefexpHit's rule).
    if (!set.annotation_proposals) ex.ground_truth = e.target_box;
    out.push_back(std::move(ex));
  }
  return out;
}

}  // namespace chromatune::datasets
