#include "coordinator/auth.h"

#include <fstream>
#include <set>
#include <sstream>

namespace chromatune::coordinator {
namespace {

// Below this a token is guessable; refuse it at load time rather than run insecurely.
constexpr size_t kMinTokenLength = 16;

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("token file " + path + ": cannot be opened");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Fields(const std::string& line) {
  std::istringstream ss(line);
  std::vector<std::string> out;
  std::string f;
  while (ss >> f) out.push_back(f);
  return out;
}

}  // namespace

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  // Compare max(len) bytes so the time does not depend on where the first mismatch is.
  const size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

Result<TokenTable> TokenTable::Parse(const std::string& text, const std::string& origin) {
  TokenTable table;
  std::set<std::string> seen;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string where = origin + ":" + std::to_string(line_no) + ": ";
    auto fields = Fields(line);
    if (fields.empty() || fields[0][0] == '#') continue;
    if (fields.size() != 2 && fields.size() != 3) {
      return InvalidArgument(where + "expected \"USER TOKEN [ROLE]\", found " +
                             std::to_string(fields.size()) + " fields");
    }
    Role role = Role::kUser;
    if (fields.size() == 3) {
      auto parsed = ParseRole(fields[2]);
      if (!parsed.ok()) return parsed.status().WithContext(where + "user \"" + fields[0] + "\"");
      role = *parsed;
    }
    if (fields[1].size() < kMinTokenLength) {
      return InvalidArgument(where + "token of user \"" + fields[0] + "\" is shorter than " +
                             std::to_string(kMinTokenLength) + " characters");
    }
    if (!seen.insert(fields[1]).second) {
      return InvalidArgument(where + "token of user \"" + fields[0] + "\" is used twice");
    }
    table.entries_.push_back(Entry{Identity{fields[0], role}, fields[1]});
  }
  if (table.entries_.empty()) return InvalidArgument(origin + ": no \"USER TOKEN [ROLE]\" line");
  return table;
}

Result<TokenTable> TokenTable::Load(const std::string& path) {
  CT_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return Parse(text, path);
}

Result<Identity> TokenTable::Authenticate(const std::string& authorization) const {
  static const std::string kScheme = "Bearer ";
  if (authorization.empty()) return PermissionDenied("missing Authorization: Bearer token");
  if (authorization.compare(0, kScheme.size(), kScheme) != 0) {
    return PermissionDenied("Authorization must use the Bearer scheme");
  }
  const std::string token = authorization.substr(kScheme.size());
  const Identity* who = nullptr;
  for (const Entry& e : entries_) {
    // No early exit: every entry is compared.
    if (ConstantTimeEquals(e.token, token) && who == nullptr) who = &e.who;
  }
  if (who == nullptr) return PermissionDenied("unknown token");
  return *who;
}

Result<std::string> ReadClientToken(const std::string& path) {
  CT_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto fields = Fields(line);
    if (fields.empty() || fields[0][0] == '#') continue;
    if (fields.size() == 1) return fields[0];
    if (fields.size() == 2 || fields.size() == 3) return fields[1];
    return InvalidArgument("token file " + path + ": expected \"TOKEN\" or \"USER TOKEN [ROLE]\"");
  }
  return InvalidArgument("token file " + path + ": holds no token");
}

}  // namespace chromatune::coordinator
