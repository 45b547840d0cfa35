// Reading a JSON annotation file with errors that name the file and the field: the adapter
// that turns nlohmann::json's exceptions into Status for the loaders (coop_split, refexp).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace chromatune::datasets {

// Reads and parses `path`. Missing → kNotFound; unparsable → kInvalidArgument with the byte
// offset of the error.
Result<nlohmann::json> ReadJsonFile(const std::string& path);

// Typed field access: each returns kInvalidArgument "`file`: `where`: <what was expected>"
// when the value is missing or of the wrong type. `where` is a path such as "train"[3][1].
Result<const nlohmann::json*> JsonMember(const std::string& file, const nlohmann::json& object,
                                         const std::string& where, const std::string& key);
Result<int64_t> JsonInt(const std::string& file, const nlohmann::json& value,
                        const std::string& where);
Result<double> JsonNumber(const std::string& file, const nlohmann::json& value,
                          const std::string& where);
Result<std::string> JsonString(const std::string& file, const nlohmann::json& value,
                               const std::string& where);
// Requires an array (kind "array") or an object (kind "object").
Status JsonExpect(const std::string& file, const nlohmann::json& value, const std::string& where,
                  const std::string& kind);

// The directory part of a path ("." when it has none).
std::string DirName(const std::string& path);
// root/relative, or relative itself when it is absolute.
std::string JoinPath(const std::string& root, const std::string& relative);

}  // namespace chromatune::datasets
