#include "coordinator/protocol/wire.h"

#include <cstring>

namespace chromatune::protocol {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool LittleEndian() {
  const uint32_t one = 1;
  unsigned char b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

std::string FloatsToBytes(const std::vector<float>& v) {
  std::string bytes(v.size() * 4, '\0');
  if (v.empty()) return bytes;  // v.data() may be null: memcpy from it is undefined
  std::memcpy(bytes.data(), v.data(), bytes.size());
  if (!LittleEndian()) {
    for (size_t i = 0; i < bytes.size(); i += 4) {
      std::swap(bytes[i], bytes[i + 3]);
      std::swap(bytes[i + 1], bytes[i + 2]);
    }
  }
  return bytes;
}

}  // namespace

std::string Base64Encode(const std::string& in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t n = uint8_t(in[i]) << 16;
    if (rest == 2) n |= uint8_t(in[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> Base64Decode(const std::string& text) {
  if (text.size() % 4 != 0) {
    return InvalidArgument("base64 length " + std::to_string(text.size()) +
                           " is not a multiple of 4");
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      const bool last_block = i + 4 == text.size();
      if (c == '=' && last_block && k >= 2 && (k == 3 || text[i + 3] == '=')) {
        v[k] = 0;
        ++pad;
        continue;
      }
      v[k] = DecodeChar(c);
      if (v[k] < 0 || pad > 0) {
        return InvalidArgument("base64: invalid character at offset " + std::to_string(i + k));
      }
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

nlohmann::json EncodeResult(const TrialResult& result) {
  nlohmann::json j = TrialResultToJson(result);
  nlohmann::json arrays = nlohmann::json::array();
  for (const auto& a : result.arrays) {
    arrays.push_back({{"name", a.name},
                      {"shape", a.shape},
                      {"dtype", "f32le"},
                      {"data_b64", Base64Encode(FloatsToBytes(a.data))}});
  }
  j["arrays"] = std::move(arrays);
  return j;
}

Result<TrialResult> DecodeResult(const nlohmann::json& j) {
  if (!j.is_object()) return InvalidArgument("result: expected a JSON object");
  nlohmann::json plain = j;
  plain["arrays"] = nlohmann::json::array();
  auto decoded = TrialResultFromJson(plain);
  if (!decoded.ok()) return decoded.status().WithContext("result");
  TrialResult r = std::move(decoded).value();
  const auto arrays = j.value("arrays", nlohmann::json::array());
  if (!arrays.is_array()) return InvalidArgument("result.arrays: expected a list");
  for (size_t i = 0; i < arrays.size(); ++i) {
    const auto& a = arrays[i];
    const std::string where = "result.arrays[" + std::to_string(i) + "]";
    if (!a.is_object() || !a.contains("name") || !a["name"].is_string()) {
      return InvalidArgument(where + ".name: missing string");
    }
    if (a.value("dtype", std::string("f32le")) != "f32le") {
      return InvalidArgument(where + ".dtype: only \"f32le\" is supported");
    }
    if (!a.contains("shape") || !a["shape"].is_array()) {
      return InvalidArgument(where + ".shape: missing list of dimensions");
    }
    NamedArray out;
    out.name = a["name"].get<std::string>();
    // The element count is bounded by what a body can carry, so the product is checked
    // against that bound at each step and can never wrap around.
    constexpr int64_t kMaxElements = int64_t{1} << 40;
    int64_t count = 1;
    for (const auto& d : a["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) {
        return InvalidArgument(where + ".shape: dimensions must be integers >= 0");
      }
      const int64_t dim = d.get<int64_t>();
      if (dim != 0 && count > kMaxElements / dim) {
        return InvalidArgument(where + ".shape: more than 2^40 elements");
      }
      out.shape.push_back(dim);
      count *= dim;
    }
    if (!a.contains("data_b64") || !a["data_b64"].is_string()) {
      return InvalidArgument(where + ".data_b64: missing base64 string");
    }
    auto bytes = Base64Decode(a["data_b64"].get<std::string>());
    if (!bytes.ok()) return bytes.status().WithContext(where + ".data_b64");
    if (bytes->size() != static_cast<size_t>(count) * 4) {
      return InvalidArgument(where + ": " + std::to_string(bytes->size()) +
                             " bytes do not match shape (" + std::to_string(count) +
                             " float32 values)");
    }
    out.data.resize(count);
    std::string& b = bytes.value();
    if (!LittleEndian()) {
      for (size_t k = 0; k < b.size(); k += 4) {
        std::swap(b[k], b[k + 3]);
        std::swap(b[k + 1], b[k + 2]);
      }
    }
    if (!b.empty()) std::memcpy(out.data.data(), b.data(), b.size());  // empty: data() may be null
    r.arrays.push_back(std::move(out));
  }
  return r;
}

}  // namespace chromatune::protocol
