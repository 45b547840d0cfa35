#include "coordinator/http_types.h"

#include <cctype>

namespace chromatune::coordinator {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; an invalid escape is kept literally (the route then rejects the value).
std::string Decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

HttpResponse HttpResponse::Json(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

HttpResponse HttpResponse::Error(int status, const std::string& message) {
  return Json(status, {{"error", message}});
}

void ParseTarget(const std::string& target, std::string* path,
                 std::map<std::string, std::string>* query) {
  const size_t q = target.find('?');
  *path = Decode(target.substr(0, q));
  query->clear();
  if (q == std::string::npos) return;
  std::string rest = target.substr(q + 1);
  size_t start = 0;
  while (start <= rest.size()) {
    size_t amp = rest.find('&', start);
    if (amp == std::string::npos) amp = rest.size();
    std::string part = rest.substr(start, amp - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      if (eq == std::string::npos) {
        (*query)[Decode(part)] = "";
      } else {
        (*query)[Decode(part.substr(0, eq))] = Decode(part.substr(eq + 1));
      }
    }
    start = amp + 1;
  }
}

}  // namespace chromatune::coordinator
