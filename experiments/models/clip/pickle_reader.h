// A reader of the Python pickle streams inside `torch.save` files (their data.pkl), of our
// own: LibTorch 1.13's unpickler stops at opcodes Python emits for ordinary dicts (SETITEM),
// so open_clip's and re-saved OpenAI state dicts could not be read through it.
//
// The reader runs the pickle machine over protocols 0-5 without executing anything: a
// GLOBAL is a name, REDUCE/NEWOBJ/BUILD build an Object node (callable name, arguments,
// state), BINPERSID a Persistent node (torch.save's storage references). What the nodes mean
// (a tensor rebuilt from a storage, an OrderedDict) is the caller's business
// (clip_checkpoint.cc). Malformed input of every kind is an error naming the byte offset;
// memory is bounded by the input (each opcode consumes at least one byte).
//
// LibTorch-free, so it is fuzzed and built in the sanitizer job.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace chromatune::models::clip {

struct PickleValue;
using PickleRef = std::shared_ptr<PickleValue>;

struct PickleValue {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,      // text (UTF-8) and bytes alike
    kTuple,       // items
    kList,        // items
    kDict,        // entries
    kGlobal,      // text = "module.name"
    kObject,      // text = the callable's "module.name"; items = its arguments; state
    kPersistent,  // items[0] = the persistent id
  };
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;
  std::vector<PickleRef> items;
  // kDict: its entries in insertion order; kObject: what SETITEM(S) put into it.
  std::vector<std::pair<PickleRef, PickleRef>> entries;
  PickleRef state;  // kObject: what BUILD set, or null

  bool is(Kind k) const { return kind == k; }
};

// Runs the pickle stream `bytes` (named `origin` in errors) to its STOP and returns the
// value left on the stack. Integers wider than 64 bits are an error.
Result<PickleRef> ReadPickle(std::string_view bytes, const std::string& origin);

}  // namespace chromatune::models::clip
