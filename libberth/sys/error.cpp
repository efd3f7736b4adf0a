#include "sys/error.hpp"

#include <cstring>

namespace berth {

Error &Error::context(std::string_view outer) {
  if (!outer.empty()) {
    std::string joined(outer);
    joined += ": ";
    joined += message_;
    message_ = std::move(joined);
  }
  return *this;
}

std::string Error::message() const {
  if (errno_ == 0)
    return message_;
  return message_ + ": " + std::strerror(errno_);
}

} // namespace berth
