// Status and Result<T>: errors as values at module boundaries (LevelDB / Abseil style).
//
// A Status is either ok or carries a code and a human-readable message that names what is
// wrong and where (file, line, field). Library exceptions are converted to Status at the
// adapter that calls the library; nothing above an adapter throws for expected errors.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace chromatune {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input: spec, file contents, request
  kNotFound,            // a named thing does not exist
  kAlreadyExists,       // uniqueness violated
  kFailedPrecondition,  // illegal state transition, stale lease, wrong version
  kPermissionDenied,    // auth
  kResourceExhausted,   // disk full, body too large, limits
  kUnavailable,         // peer gone, retry may help
  kDeadlineExceeded,    // timeout
  kCancelled,           // drained, cancelled by user
  kIoError,             // filesystem / database I/O
  kCorruption,          // a file that is not what it should be
  kInternal,            // a bug or an unexpected library failure
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "CODE: message", or "OK".
  std::string ToString() const;
  // Returns a copy whose message is "context: message" (no-op when ok).
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status PermissionDenied(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DeadlineExceeded(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Result<T>: a T or a non-ok Status. Accessing value() of an error is a bug (asserts).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "Result constructed from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & {
    assert(ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace chromatune

// Propagate a non-ok Status from an expression returning Status.
#define CT_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::chromatune::Status ct_status_ = (expr); \
    if (!ct_status_.ok()) return ct_status_;  \
  } while (0)

#define CT_CONCAT_INNER_(a, b) a##b
#define CT_CONCAT_(a, b) CT_CONCAT_INNER_(a, b)
// CT_ASSIGN_OR_RETURN(auto x, ResultExpr()): unwraps or propagates the Status.
#define CT_ASSIGN_OR_RETURN(lhs, expr) \
  CT_ASSIGN_OR_RETURN_IMPL_(CT_CONCAT_(ct_result_, __LINE__), lhs, expr)
#define CT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
