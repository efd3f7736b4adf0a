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
  std::string description = std::strerror(errno_);
  // glibc capitalises only the first letter ("No such file or directory").
  if (lower_case_ && !description.empty() && description[0] >= 'A' && description[0] <= 'Z')
    description[0] = static_cast<char>(description[0] - 'A' + 'a');
  return message_ + ": " + description;
}

} // namespace berth
