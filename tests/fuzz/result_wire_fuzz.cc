// Fuzzes the result wire format (coordinator/protocol/wire.h) the way the coordinator reads
// a completion: the body parsed as the API parses it (ParseJsonObject: depth bound), its
// "result" member (or the whole object) decoded by DecodeResult. A decoded result must
// encode and decode again to the same values (arrays' shapes and bytes, metrics, curves),
// and Base64Decode of the raw input must agree with Base64Encode.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "coordinator/json_fields.h"
#include "coordinator/protocol/wire.h"

using namespace chromatune;

namespace {

void Die(const std::string& what) {
  std::fprintf(stderr, "result_wire_fuzz: %s\n", what.c_str());
  std::abort();
}

bool SameDouble(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void CheckRoundTrip(const TrialResult& r) {
  auto again = protocol::DecodeResult(protocol::EncodeResult(r));
  if (!again.ok())
    Die("a decoded result does not decode after encoding: " + again.status().ToString());
  if (again->arrays.size() != r.arrays.size()) Die("array count changed");
  for (size_t i = 0; i < r.arrays.size(); ++i) {
    const NamedArray& a = r.arrays[i];
    const NamedArray& b = again->arrays[i];
    if (a.name != b.name || a.shape != b.shape || a.data.size() != b.data.size()) {
      Die("array " + a.name + " changed");
    }
    int64_t elements = 1;
    for (int64_t d : a.shape) {
      if (d < 0) Die("negative dimension accepted");
      elements *= d;
    }
    if (static_cast<size_t>(elements) != a.data.size()) Die("shape does not match the data");
    if (!a.data.empty() && std::memcmp(a.data.data(), b.data.data(), a.data.size() * 4) != 0) {
      Die("array " + a.name + " bytes changed");
    }
  }
  if (again->metrics.size() != r.metrics.size()) Die("metric count changed");
  for (const auto& [name, v] : r.metrics) {
    auto it = again->metrics.find(name);
    if (it == again->metrics.end() || !SameDouble(it->second, v)) Die("metric " + name);
  }
  if (again->curves.size() != r.curves.size()) Die("curve count changed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  auto b64 = protocol::Base64Decode(text);
  if (b64.ok() && protocol::Base64Encode(*b64).size() != text.size()) {
    Die("base64 round trip changed the length");
  }

  auto body = coordinator::ParseJsonObject(text, "POST /api/v1/trials/1/complete");
  if (!body.ok()) return 0;
  const nlohmann::json& j = body->contains("result") ? (*body)["result"] : *body;
  auto result = protocol::DecodeResult(j);
  if (result.ok()) CheckRoundTrip(*result);
  return 0;
}
