// Error and Result: how every libberth function reports failure.
//
// No exceptions cross clone/fork or syscall layers. A function returns Result<T>;
// its Error carries a message, the errno that caused it (0 when none) and grows a
// context chain as it travels up ("create c1: mount proc on /proc: Operation not
// permitted").
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <utility>

namespace berth {

class Error {
public:
  explicit Error(std::string message, int errno_value = 0)
      : message_(std::move(message)), errno_(errno_value) {}

  // The current errno, described by `what` ("open /run/berth").
  static Error from_errno(std::string what) { return Error(std::move(what), errno); }
  static Error from_errno(std::string what, int errno_value) {
    return Error(std::move(what), errno_value);
  }

  // Like from_errno, but message() describes the errno in lower case, as Go
  // and so runc write it ("no such file or directory"): for the failures to
  // exec the container's program, which engines recognise by those words
  // (Docker's exit codes 127 and 126).
  static Error in_kernel_words(std::string what, int errno_value) {
    Error error(std::move(what), errno_value);
    error.lower_case_ = true;
    return error;
  }

  // Prepends an outer context: "outer: inner".
  Error &context(std::string_view outer);

  // The whole chain, with strerror(errno) appended when an errno is set.
  std::string message() const;
  // The chain without the errno description.
  const std::string &what() const { return message_; }
  int errno_value() const { return errno_; }

private:
  std::string message_;
  int errno_;
  bool lower_case_ = false;
};

template <class T = void> using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message, int errno_value = 0) {
  return std::unexpected<Error>(std::in_place, std::move(message), errno_value);
}
// Fails with the current errno.
inline std::unexpected<Error> fail_errno(std::string what) {
  int saved = errno;
  return std::unexpected<Error>(std::in_place, std::move(what), saved);
}
inline std::unexpected<Error> fail(Error error) {
  return std::unexpected<Error>(std::move(error));
}

// Adds context to a failed result and passes a successful one through.
template <class T> Result<T> with_context(Result<T> result, std::string_view outer) {
  if (!result)
    result.error().context(outer);
  return result;
}

} // namespace berth

#define BERTH_CONCAT_INNER(a, b) a##b
#define BERTH_CONCAT(a, b) BERTH_CONCAT_INNER(a, b)

// Returns the error of `expr` from the enclosing function (which must return a Result).
#define BERTH_TRY(expr)                                                                            \
  do {                                                                                             \
    auto &&berth_try_result_ = (expr);                                                             \
    if (!berth_try_result_)                                                                        \
      return std::unexpected<::berth::Error>(std::move(berth_try_result_).error());                \
  } while (0)

// Like BERTH_TRY, prefixing the error with a context string.
#define BERTH_TRY_CTX(expr, ctx)                                                                   \
  do {                                                                                             \
    auto &&berth_try_result_ = (expr);                                                             \
    if (!berth_try_result_) {                                                                      \
      auto berth_try_error_ = std::move(berth_try_result_).error();                                \
      berth_try_error_.context(ctx);                                                               \
      return std::unexpected<::berth::Error>(std::move(berth_try_error_));                         \
    }                                                                                              \
  } while (0)

// `BERTH_TRY_ASSIGN(auto fd, open_something());` declares fd from the value of a
// successful result, or returns the error.
#define BERTH_TRY_ASSIGN(decl, expr)                                                               \
  auto BERTH_CONCAT(berth_try_tmp_, __LINE__) = (expr);                                            \
  if (!BERTH_CONCAT(berth_try_tmp_, __LINE__))                                                     \
    return std::unexpected<::berth::Error>(                                                        \
        std::move(BERTH_CONCAT(berth_try_tmp_, __LINE__)).error());                                \
  decl = std::move(*BERTH_CONCAT(berth_try_tmp_, __LINE__))
