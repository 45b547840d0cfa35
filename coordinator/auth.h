// Bearer-token authentication for the coordinator's API.
//
// A token file holds one "USER TOKEN [ROLE]" line per token (ROLE: admin | user | viewer |
// worker, default user; roles.h says what each may do); blank lines and lines starting
// with '#' are ignored. A user may have several tokens (e.g. one user token for submitting
// and one worker token for the groups they start). Tokens are compared in constant time (every
// stored token is compared in full, whatever matches), so response timing reveals nothing about a
// token's prefix.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "coordinator/roles.h"

namespace chromatune::coordinator {

class TokenTable {
 public:
  TokenTable() = default;

  // Parses a token file's text; `origin` names it in errors ("tokens.txt:3: ...").
  // Errors: a line without two or three fields, an unknown role, a token shorter than 16
  // characters, a duplicate token, an empty table.
  static Result<TokenTable> Parse(const std::string& text, const std::string& origin);
  static Result<TokenTable> Load(const std::string& path);

  // The user and role whose token is presented in `authorization` ("Bearer TOKEN");
  // kPermissionDenied with a reason otherwise (missing header, other scheme, unknown token).
  Result<Identity> Authenticate(const std::string& authorization) const;

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Identity who;
    std::string token;
  };
  std::vector<Entry> entries_;
};

// True when every byte of a and b is equal; runs in time depending only on the lengths.
bool ConstantTimeEquals(const std::string& a, const std::string& b);

// Reads the first token of a token file (the client side: `--token-file F`). The file may
// be a server token file ("USER TOKEN [ROLE]", the first entry's token) or hold just a
// token.
Result<std::string> ReadClientToken(const std::string& path);

}  // namespace chromatune::coordinator
