#include "coordinator/connection_limits.h"

namespace chromatune::coordinator {

std::shared_ptr<void> ConnectionLimits::Admit(const std::string& peer, std::string* why) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (max_total_ > 0 && open_ >= max_total_) {
      *why = std::to_string(open_) + " connections are open (--max-connections " +
             std::to_string(max_total_) + ")";
      return nullptr;
    }
    auto it = per_peer_.find(peer);
    const size_t mine = it == per_peer_.end() ? 0 : it->second;
    if (max_per_peer_ > 0 && mine >= max_per_peer_) {
      *why = std::to_string(mine) + " connections from " + peer +
             " are open (--max-connections-per-peer " + std::to_string(max_per_peer_) + ")";
      return nullptr;
    }
    ++per_peer_[peer];
    ++open_;
  }
  // The ticket refers to this object: the server destroys its limits after its sessions.
  return std::shared_ptr<void>(static_cast<void*>(this), [this, peer](void*) { Release(peer); });
}

void ConnectionLimits::Release(const std::string& peer) {
  std::lock_guard<std::mutex> lock(mu_);
  --open_;
  auto it = per_peer_.find(peer);
  if (it != per_peer_.end() && --it->second == 0) per_peer_.erase(it);
}

size_t ConnectionLimits::open() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_;
}

size_t ConnectionLimits::open_from(const std::string& peer) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = per_peer_.find(peer);
  return it == per_peer_.end() ? 0 : it->second;
}

}  // namespace chromatune::coordinator
