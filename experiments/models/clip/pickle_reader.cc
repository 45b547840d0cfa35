#include "experiments/models/clip/pickle_reader.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace chromatune::models::clip {
namespace {

using Kind = PickleValue::Kind;

// Deepest nesting of values a pickle may build. torch.save's state dicts nest a handful of
// levels; without a bound, a few megabytes of "]" and "a" nest a million lists, and freeing
// (or walking) them recursively overflows the stack.
constexpr int kMaxDepth = 1000;

PickleRef Make(Kind kind) {
  auto v = std::make_shared<PickleValue>();
  v->kind = kind;
  return v;
}

PickleRef MakeInt(int64_t i) {
  auto v = Make(Kind::kInt);
  v->integer = i;
  return v;
}

PickleRef MakeString(std::string s) {
  auto v = Make(Kind::kString);
  v->text = std::move(s);
  return v;
}

class Machine {
 public:
  Machine(std::string_view bytes, const std::string& origin) : in_(bytes), origin_(origin) {}

  Result<PickleRef> Run() {
    while (pos_ < in_.size()) {
      const size_t at = pos_;
      const auto op = static_cast<unsigned char>(in_[pos_++]);
      Status s = Step(op);
      if (!s.ok()) return s.WithContext(origin_ + ": pickle at byte " + std::to_string(at));
      if (stopped_) {
        if (stack_.empty()) return Error(at, "STOP with an empty stack");
        return stack_.back();
      }
    }
    return Error(pos_, "ends without STOP");
  }

 private:
  Status Error(size_t at, const std::string& what) const {
    return Corruption(origin_ + ": pickle at byte " + std::to_string(at) + ": " + what);
  }
  Status Bad(const std::string& what) const { return Corruption(what); }

  Result<std::string_view> Take(size_t n) {
    if (n > in_.size() - pos_) return Bad("truncated (needs " + std::to_string(n) + " bytes)");
    std::string_view out = in_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  Result<uint64_t> Unsigned(size_t n) {  // little-endian
    CT_ASSIGN_OR_RETURN(std::string_view b, Take(n));
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | static_cast<unsigned char>(b[i]);
    return v;
  }
  Result<std::string> Line() {
    const size_t nl = in_.find('\n', pos_);
    if (nl == std::string_view::npos) return Bad("a text argument without its newline");
    std::string out(in_.substr(pos_, nl - pos_));
    pos_ = nl + 1;
    return out;
  }
  Result<PickleRef> Pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) {
      return Bad("pops an empty stack");
    }
    PickleRef v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  Result<PickleRef> Top() {
    if (stack_.empty()) return Bad("reads an empty stack");
    return stack_.back();
  }
  // The items above the last MARK, removed with the mark.
  Result<std::vector<PickleRef>> PopMark() {
    if (marks_.empty()) return Bad("no MARK to pop to");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PickleRef> items(stack_.begin() + static_cast<ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  Status Put(uint64_t index) {
    CT_ASSIGN_OR_RETURN(PickleRef v, Top());
    memo_[index] = std::move(v);
    return Status::Ok();
  }
  Status Get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) return Bad("GET of memo " + std::to_string(index) + " never PUT");
    stack_.push_back(it->second);
    return Status::Ok();
  }
  // Records that `parent` now holds `child`: bounds the nesting (kMaxDepth) and the values
  // held in all (a REDUCE copies its argument tuple: through the memo, a few bytes would
  // otherwise copy a large tuple again and again), and refuses a value held by itself.
  // Containers are filled before they are put into another (pickle's order for everything
  // but recursive structures), so a value already held by another may not change (Mutable):
  // with that, depths recorded here are exact and no cycle can form.
  Status Adopt(const PickleRef& parent, const PickleRef& child) {
    if (parent == child) return Bad("a value that contains itself (recursive pickle)");
    if (++held_ > 4 * in_.size() + 64) return Bad("more values than the file's size allows");
    const int depth = depth_[child.get()] + 1;
    if (depth > kMaxDepth) {
      return Bad("values nest deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    int& parent_depth = depth_[parent.get()];
    parent_depth = std::max(parent_depth, depth);
    held_by_another_.insert(child.get());
    keep_.push_back(parent);  // the keys above stay valid: their values live as long
    keep_.push_back(child);
    return Status::Ok();
  }
  Status AdoptAll(const PickleRef& parent, const std::vector<PickleRef>& children) {
    for (const PickleRef& c : children) CT_RETURN_IF_ERROR(Adopt(parent, c));
    return Status::Ok();
  }
  Status Mutable(const PickleRef& v) const {
    if (held_by_another_.count(v.get()) != 0) {
      return Bad("changes a value already held by another (recursive pickle)");
    }
    return Status::Ok();
  }

  Status PushTuple(std::vector<PickleRef> items) {
    auto t = Make(Kind::kTuple);
    CT_RETURN_IF_ERROR(AdoptAll(t, items));
    t->items = std::move(items);
    stack_.push_back(std::move(t));
    return Status::Ok();
  }
  Status AddEntries(const PickleRef& dict, const std::vector<PickleRef>& kv) {
    // Objects take items too (an OrderedDict is reduced, then filled by SETITEMS).
    if (!dict->is(Kind::kDict) && !dict->is(Kind::kObject)) {
      return Bad("SETITEM(S) on something that is neither a dict nor an object");
    }
    if (kv.size() % 2 != 0) return Bad("SETITEMS with an odd number of items");
    CT_RETURN_IF_ERROR(Mutable(dict));
    CT_RETURN_IF_ERROR(AdoptAll(dict, kv));
    for (size_t i = 0; i < kv.size(); i += 2) dict->entries.emplace_back(kv[i], kv[i + 1]);
    return Status::Ok();
  }
  Status Append(const PickleRef& list, const std::vector<PickleRef>& items) {
    if (!list->is(Kind::kList)) return Bad("APPEND(S) on something that is not a list");
    CT_RETURN_IF_ERROR(Mutable(list));
    CT_RETURN_IF_ERROR(AdoptAll(list, items));
    list->items.insert(list->items.end(), items.begin(), items.end());
    return Status::Ok();
  }
  Status PushInt(uint64_t raw, int bits) {  // sign-extends a `bits`-bit value
    int64_t v = static_cast<int64_t>(raw);
    if (bits < 64 && (raw >> (bits - 1)) & 1) v -= int64_t{1} << bits;
    stack_.push_back(MakeInt(v));
    return Status::Ok();
  }
  Status PushLong(size_t n) {  // LONG1/LONG4: little-endian two's complement of n bytes
    if (n > 8) return Bad("an integer wider than 64 bits");
    if (n == 0) return PushInt(0, 64);
    CT_ASSIGN_OR_RETURN(uint64_t raw, Unsigned(n));
    return PushInt(raw, static_cast<int>(8 * n));
  }
  Status Object(const std::string& callable, std::vector<PickleRef> args) {
    auto o = Make(Kind::kObject);
    o->text = callable;
    CT_RETURN_IF_ERROR(AdoptAll(o, args));
    o->items = std::move(args);
    stack_.push_back(std::move(o));
    return Status::Ok();
  }

  Status Step(unsigned char op) {
    switch (op) {
      case 0x80:  // PROTO
        return Take(1).status();
      case 0x95:  // FRAME (the frame's length; its bytes follow inline)
        return Take(8).status();
      case '.':  // STOP
        stopped_ = true;
        return Status::Ok();
      case '(':  // MARK
        marks_.push_back(stack_.size());
        return Status::Ok();
      case '0':  // POP
        return Pop().status();
      case '1':  // POP_MARK
        return PopMark().status();
      case '2': {  // DUP
        CT_ASSIGN_OR_RETURN(PickleRef v, Top());
        stack_.push_back(v);
        return Status::Ok();
      }
      case 'N':
        stack_.push_back(Make(Kind::kNone));
        return Status::Ok();
      case 0x88:
      case 0x89: {  // NEWTRUE, NEWFALSE
        auto b = Make(Kind::kBool);
        b->boolean = op == 0x88;
        stack_.push_back(std::move(b));
        return Status::Ok();
      }
      case 'J': {  // BININT
        CT_ASSIGN_OR_RETURN(uint64_t v, Unsigned(4));
        return PushInt(v, 32);
      }
      case 'K': {  // BININT1
        CT_ASSIGN_OR_RETURN(uint64_t v, Unsigned(1));
        return PushInt(v, 64);
      }
      case 'M': {  // BININT2
        CT_ASSIGN_OR_RETURN(uint64_t v, Unsigned(2));
        return PushInt(v, 64);
      }
      case 0x8a: {  // LONG1
        CT_ASSIGN_OR_RETURN(uint64_t n, Unsigned(1));
        return PushLong(n);
      }
      case 0x8b: {  // LONG4
        CT_ASSIGN_OR_RETURN(uint64_t n, Unsigned(4));
        return PushLong(n);
      }
      case 'I':
      case 'L': {  // INT, LONG (text; "01"/"00" are protocol 0's True/False)
        CT_ASSIGN_OR_RETURN(std::string t, Line());
        if (!t.empty() && t.back() == 'L') t.pop_back();
        if (t.empty() || t.size() > 19 || t.find_first_not_of("-0123456789") != std::string::npos) {
          return Bad("a malformed integer \"" + t.substr(0, 30) + "\"");
        }
        stack_.push_back(MakeInt(std::stoll(t)));
        return Status::Ok();
      }
      case 'G': {  // BINFLOAT: big-endian double
        CT_ASSIGN_OR_RETURN(std::string_view b, Take(8));
        uint64_t bits = 0;
        for (char c : b) bits = (bits << 8) | static_cast<unsigned char>(c);
        auto f = Make(Kind::kFloat);
        std::memcpy(&f->real, &bits, 8);
        stack_.push_back(std::move(f));
        return Status::Ok();
      }
      case 'X':     // BINUNICODE
      case 'T':     // BINSTRING
      case 'B':     // BINBYTES
      case 0x8c:    // SHORT_BINUNICODE
      case 'U':     // SHORT_BINSTRING
      case 'C':     // SHORT_BINBYTES
      case 0x8d:    // BINUNICODE8
      case 0x8e:    // BINBYTES8
      case 0x96: {  // BYTEARRAY8
        const size_t width = (op == 0x8c || op == 'U' || op == 'C')     ? 1
                             : (op == 0x8d || op == 0x8e || op == 0x96) ? 8
                                                                        : 4;
        CT_ASSIGN_OR_RETURN(uint64_t n, Unsigned(width));
        if (n > in_.size()) return Bad("a string longer than the file");
        CT_ASSIGN_OR_RETURN(std::string_view s, Take(static_cast<size_t>(n)));
        stack_.push_back(MakeString(std::string(s)));
        return Status::Ok();
      }
      case ')':
        return PushTuple({});
      case 't': {
        CT_ASSIGN_OR_RETURN(auto items, PopMark());
        return PushTuple(std::move(items));
      }
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1..3
        const size_t n = op - 0x84;
        if (stack_.size() < n || (!marks_.empty() && stack_.size() - n < marks_.back())) {
          return Bad("TUPLE" + std::to_string(n) + " on a short stack");
        }
        std::vector<PickleRef> items(stack_.end() - static_cast<ptrdiff_t>(n), stack_.end());
        stack_.resize(stack_.size() - n);
        return PushTuple(std::move(items));
      }
      case ']':
        stack_.push_back(Make(Kind::kList));
        return Status::Ok();
      case 'l': {  // LIST
        CT_ASSIGN_OR_RETURN(auto items, PopMark());
        auto l = Make(Kind::kList);
        CT_RETURN_IF_ERROR(AdoptAll(l, items));
        l->items = std::move(items);
        stack_.push_back(std::move(l));
        return Status::Ok();
      }
      case 'a': {  // APPEND
        CT_ASSIGN_OR_RETURN(PickleRef v, Pop());
        CT_ASSIGN_OR_RETURN(PickleRef list, Top());
        return Append(list, {v});
      }
      case 'e': {  // APPENDS
        CT_ASSIGN_OR_RETURN(auto items, PopMark());
        CT_ASSIGN_OR_RETURN(PickleRef list, Top());
        return Append(list, items);
      }
      case '}':
        stack_.push_back(Make(Kind::kDict));
        return Status::Ok();
      case 'd': {  // DICT
        CT_ASSIGN_OR_RETURN(auto items, PopMark());
        auto d = Make(Kind::kDict);
        CT_RETURN_IF_ERROR(AddEntries(d, items));
        stack_.push_back(std::move(d));
        return Status::Ok();
      }
      case 's': {  // SETITEM
        CT_ASSIGN_OR_RETURN(PickleRef value, Pop());
        CT_ASSIGN_OR_RETURN(PickleRef key, Pop());
        CT_ASSIGN_OR_RETURN(PickleRef dict, Top());
        return AddEntries(dict, {key, value});
      }
      case 'u': {  // SETITEMS
        CT_ASSIGN_OR_RETURN(auto items, PopMark());
        CT_ASSIGN_OR_RETURN(PickleRef dict, Top());
        return AddEntries(dict, items);
      }
      case 'c': {  // GLOBAL module\nname\n
        CT_ASSIGN_OR_RETURN(std::string module, Line());
        CT_ASSIGN_OR_RETURN(std::string name, Line());
        auto g = Make(Kind::kGlobal);
        g->text = module + "." + name;
        stack_.push_back(std::move(g));
        return Status::Ok();
      }
      case 0x93: {  // STACK_GLOBAL
        CT_ASSIGN_OR_RETURN(PickleRef name, Pop());
        CT_ASSIGN_OR_RETURN(PickleRef module, Pop());
        if (!name->is(Kind::kString) || !module->is(Kind::kString)) {
          return Bad("STACK_GLOBAL needs two strings");
        }
        auto g = Make(Kind::kGlobal);
        g->text = module->text + "." + name->text;
        stack_.push_back(std::move(g));
        return Status::Ok();
      }
      case 'R':     // REDUCE: callable args
      case 0x81: {  // NEWOBJ: cls args
        CT_ASSIGN_OR_RETURN(PickleRef args, Pop());
        CT_ASSIGN_OR_RETURN(PickleRef callable, Pop());
        if (!args->is(Kind::kTuple)) return Bad("REDUCE/NEWOBJ without an argument tuple");
        if (!callable->is(Kind::kGlobal)) return Bad("REDUCE/NEWOBJ of something not a global");
        return Object(callable->text, args->items);
      }
      case 'b': {  // BUILD: obj state
        CT_ASSIGN_OR_RETURN(PickleRef state, Pop());
        CT_ASSIGN_OR_RETURN(PickleRef obj, Top());
        CT_RETURN_IF_ERROR(Mutable(obj));
        CT_RETURN_IF_ERROR(Adopt(obj, state));
        obj->state = std::move(state);
        return Status::Ok();
      }
      case 'Q': {  // BINPERSID
        CT_ASSIGN_OR_RETURN(PickleRef pid, Pop());
        auto p = Make(Kind::kPersistent);
        CT_RETURN_IF_ERROR(Adopt(p, pid));
        p->items = {std::move(pid)};
        stack_.push_back(std::move(p));
        return Status::Ok();
      }
      case 'q': {  // BINPUT
        CT_ASSIGN_OR_RETURN(uint64_t i, Unsigned(1));
        return Put(i);
      }
      case 'r': {  // LONG_BINPUT
        CT_ASSIGN_OR_RETURN(uint64_t i, Unsigned(4));
        return Put(i);
      }
      case 0x94:  // MEMOIZE
        return Put(memo_.size());
      case 'p': {  // PUT (text)
        CT_ASSIGN_OR_RETURN(std::string t, Line());
        if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos) {
          return Bad("a malformed PUT index");
        }
        return Put(std::stoull(t));
      }
      case 'h': {  // BINGET
        CT_ASSIGN_OR_RETURN(uint64_t i, Unsigned(1));
        return Get(i);
      }
      case 'j': {  // LONG_BINGET
        CT_ASSIGN_OR_RETURN(uint64_t i, Unsigned(4));
        return Get(i);
      }
      case 'g': {  // GET (text)
        CT_ASSIGN_OR_RETURN(std::string t, Line());
        if (t.empty() || t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos) {
          return Bad("a malformed GET index");
        }
        return Get(std::stoull(t));
      }
      default: {
        static const char kHex[] = "0123456789abcdef";
        return Bad(std::string("unsupported opcode 0x") + kHex[op >> 4] + kHex[op & 15]);
      }
    }
  }

  std::string_view in_;
  std::string origin_;
  size_t pos_ = 0;
  bool stopped_ = false;
  std::vector<PickleRef> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleRef> memo_;
  // Adopt's bookkeeping, keyed by values that keep_ holds until the machine is gone.
  std::unordered_map<const PickleValue*, int> depth_;  // nesting below each value
  std::unordered_set<const PickleValue*> held_by_another_;
  size_t held_ = 0;
  std::vector<PickleRef> keep_;
};

}  // namespace

Result<PickleRef> ReadPickle(std::string_view bytes, const std::string& origin) {
  return Machine(bytes, origin).Run();
}

}  // namespace chromatune::models::clip
