#include "sys/error.hpp"

#include <cstring>

namespace berth {

Error &Error::context(std::string_view outer) {
  if (!outer.empty()) {
    message_.insert(0, ": ");
    message_.insert(0, outer);
  }
  return *this;
}

std::string Error::message() const {
  if (errno_ == 0)
    return message_;
  return message_ + ": " + std::strerror(errno_);
}

} // namespace berth
