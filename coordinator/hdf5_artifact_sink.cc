#include "coordinator/hdf5_artifact_sink.h"

#include <filesystem>
#include <map>

#include "storage/artifact_store.h"

namespace chromatune::coordinator {
namespace {

class Hdf5ArtifactSink final : public ArtifactSink {
 public:
  explicit Hdf5ArtifactSink(std::string path) : path_(std::move(path)) {}

  Status WriteTrial(const std::string& sweep, int64_t trial_id, int attempt,
                    const nlohmann::json& item, const TrialResult& result) override {
    auto it = stores_.find(sweep);
    if (it == stores_.end()) {
      CT_ASSIGN_OR_RETURN(auto store, ArtifactStore::Open(path_, sweep, StoreMode::kReadWrite));
      it = stores_.emplace(sweep, std::move(store)).first;
    }
    return it->second->WriteTrial(trial_id, attempt, item, result);
  }

 private:
  std::string path_;
  // A handle per sweep on the one file (the first open rolls back an interrupted write).
  std::map<std::string, std::unique_ptr<ArtifactStore>> stores_;
};

}  // namespace

Result<std::unique_ptr<ArtifactSink>> OpenHdf5ArtifactSink(const std::string& path) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return IoError("artifact file " + path + ": directory " + dir.string() + ": " + ec.message());
    }
  }
  return std::unique_ptr<ArtifactSink>(new Hdf5ArtifactSink(path));
}

}  // namespace chromatune::coordinator
