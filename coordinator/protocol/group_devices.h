// The devices of a worker group, as it registers them (POST /api/v1/groups, field
// "devices", docs/protocol.md) and as `chromatune status` shows them: one entry per rank, in
// rank order,
//
//   {"kind": "cpu"}
//   {"kind": "cuda", "index": 0, "name": "NVIDIA H100 80GB HBM3"}
//
// where `index` is the CUDA device index the rank computes on (as its process sees them,
// after CUDA_VISIBLE_DEVICES) and `name` its product name (or "cuda:N" where the binary
// cannot ask). Workers from before issue 16 sent strings ("cpu") or no list at all; both
// stay valid, so old workers still register.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace chromatune::protocol {

nlohmann::json CpuDevice();
nlohmann::json CudaDevice(int index, const std::string& name);

// ok for a list whose entries are strings or objects with a string "kind" (and, when
// present, an integer "index" and a string "name"); kInvalidArgument naming the entry
// otherwise ("devices[1]: ...").
Status CheckGroupDevices(const nlohmann::json& devices);

// One line for a table: "cpu", "2x cpu", "cuda:0 (NVIDIA H100)", "cuda:0,cuda:1 (NVIDIA
// H100)"; "-" for an empty list (a group registered without devices).
std::string GroupDevicesText(const nlohmann::json& devices);

}  // namespace chromatune::protocol
