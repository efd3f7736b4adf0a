#include "cgroup/systemd/dbus_wire.hpp"

#include <cstring>

namespace berth::cgroup::dbus {
namespace {

// Header field codes.
enum : std::uint8_t {
  kFieldPath = 1,
  kFieldInterface = 2,
  kFieldMember = 3,
  kFieldErrorName = 4,
  kFieldReplySerial = 5,
  kFieldDestination = 6,
  kFieldSender = 7,
  kFieldSignature = 8,
  kFieldUnixFds = 9,
};
constexpr std::uint8_t kProtocolVersion = 1;
// The specification's limits: an array holds at most 64 MiB, and containers
// (arrays, structs, variants) nest at most 64 deep in all.
constexpr std::uint32_t kMaxArrayLength = 1u << 26;
constexpr int kMaxDepth = 64;

// A header field: STRUCT of BYTE code and VARIANT (its signature, then the
// value).
void string_field(Marshaller &m, std::uint8_t code, char type, std::string_view value) {
  m.open_struct();
  m.byte(code);
  m.signature(std::string_view(&type, 1));
  if (type == 'g')
    m.signature(value);
  else
    m.string(value);
}

bool basic_type(char c) {
  return std::string_view("ybnqiuxtdsogh").find(c) != std::string_view::npos;
}

std::size_t alignment_of(char c) {
  switch (c) {
  case 'n':
  case 'q':
    return 2;
  case 'b':
  case 'i':
  case 'u':
  case 'h':
  case 's':
  case 'o':
  case 'a':
    return 4;
  case 'x':
  case 't':
  case 'd':
  case '(':
  case '{':
    return 8;
  default: // y, g, v
    return 1;
  }
}

Result<std::size_t> type_length(std::string_view signature, int depth) {
  if (depth > kMaxDepth)
    return fail("D-Bus signature nests too deep");
  if (signature.empty())
    return fail("D-Bus signature ends inside a type");
  char c = signature.front();
  if (basic_type(c) || c == 'v')
    return 1;
  if (c == 'a') {
    if (signature.size() > 1 && signature[1] == '{') {
      // A dict entry: a basic key and one complete value, only in an array.
      if (signature.size() < 3 || !basic_type(signature[2]))
        return fail("D-Bus signature has a dict entry without a basic key");
      BERTH_TRY_ASSIGN(std::size_t value, type_length(signature.substr(3), depth + 1));
      std::size_t end = 3 + value;
      if (end >= signature.size() || signature[end] != '}')
        return fail("D-Bus signature has an unterminated dict entry");
      return end + 1;
    }
    BERTH_TRY_ASSIGN(std::size_t element, type_length(signature.substr(1), depth + 1));
    return 1 + element;
  }
  if (c == '(') {
    std::size_t at = 1;
    while (at < signature.size() && signature[at] != ')') {
      BERTH_TRY_ASSIGN(std::size_t member, type_length(signature.substr(at), depth + 1));
      at += member;
    }
    if (at >= signature.size() || at == 1)
      return fail("D-Bus signature has an empty or unterminated struct");
    return at + 1;
  }
  return fail("D-Bus signature has an unknown type code '" + std::string(1, c) + "'");
}

} // namespace

void Marshaller::align(std::size_t to) {
  while (bytes_.size() % to != 0)
    bytes_.push_back(0);
}

void Marshaller::uint32(std::uint32_t v) {
  align(4);
  for (int i = 0; i < 4; ++i)
    bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void Marshaller::uint64(std::uint64_t v) {
  align(8);
  for (int i = 0; i < 8; ++i)
    bytes_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void Marshaller::string(std::string_view s) {
  uint32(static_cast<std::uint32_t>(s.size()));
  bytes_.insert(bytes_.end(), s.begin(), s.end());
  bytes_.push_back(0);
}

void Marshaller::signature(std::string_view s) {
  byte(static_cast<std::uint8_t>(s.size()));
  bytes_.insert(bytes_.end(), s.begin(), s.end());
  bytes_.push_back(0);
}

std::size_t Marshaller::open_array(std::size_t element_alignment) {
  uint32(0);
  std::size_t length_at = bytes_.size() - 4;
  align(element_alignment);
  starts_.push_back(bytes_.size());
  return length_at;
}

void Marshaller::close_array(std::size_t length_at) {
  auto length = static_cast<std::uint32_t>(bytes_.size() - starts_.back());
  starts_.pop_back();
  for (int i = 0; i < 4; ++i)
    bytes_[length_at + i] = static_cast<std::uint8_t>(length >> (8 * i));
}

std::vector<std::uint8_t> method_call(const MethodCall &call, std::uint32_t serial,
                                      const std::vector<std::uint8_t> &body) {
  Marshaller m;
  m.byte('l'); // little-endian, whatever the host: the receiver converts
  m.byte(static_cast<std::uint8_t>(MessageType::MethodCall));
  m.byte(0); // flags: a reply is expected, and the service may be started
  m.byte(kProtocolVersion);
  m.uint32(static_cast<std::uint32_t>(body.size()));
  m.uint32(serial);
  std::size_t fields = m.open_array(8);
  string_field(m, kFieldPath, 'o', call.path);
  string_field(m, kFieldInterface, 's', call.interface);
  string_field(m, kFieldMember, 's', call.member);
  string_field(m, kFieldDestination, 's', call.destination);
  if (!call.signature.empty())
    string_field(m, kFieldSignature, 'g', call.signature);
  m.close_array(fields);
  m.align(8);
  std::vector<std::uint8_t> message = m.take();
  message.insert(message.end(), body.begin(), body.end());
  return message;
}

std::vector<std::uint8_t> hello_message(std::uint32_t serial) {
  return method_call({.destination = "org.freedesktop.DBus",
                      .path = "/org/freedesktop/DBus",
                      .interface = "org.freedesktop.DBus",
                      .member = "Hello",
                      .signature = ""},
                     serial, {});
}

std::vector<std::uint8_t> add_match_message(std::string_view rule, std::uint32_t serial) {
  Marshaller body;
  body.string(rule);
  return method_call({.destination = "org.freedesktop.DBus",
                      .path = "/org/freedesktop/DBus",
                      .interface = "org.freedesktop.DBus",
                      .member = "AddMatch",
                      .signature = "s"},
                     serial, body.take());
}

Result<std::size_t> single_type_length(std::string_view signature) {
  return type_length(signature, 0);
}

Result<std::size_t> message_size(std::span<const std::uint8_t, kFixedHeaderSize> header) {
  if (header[0] != 'l' && header[0] != 'B')
    return fail("D-Bus message has an unknown byte order '" + std::string(1, char(header[0])) +
                "'");
  if (header[3] != kProtocolVersion)
    return fail("D-Bus message has protocol version " + std::to_string(header[3]) + ", expected 1");
  bool big = header[0] == 'B';
  auto u32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= std::uint32_t{header[at + (big ? 3 - i : i)]} << (8 * i);
    return v;
  };
  std::size_t body = u32(4);
  std::size_t fields = u32(12);
  std::size_t header_size = (kFixedHeaderSize + fields + 7) / 8 * 8;
  if (body > kMaxMessageSize || fields > kMaxMessageSize || header_size + body > kMaxMessageSize)
    return fail("D-Bus message is larger than " + std::to_string(kMaxMessageSize) + " bytes");
  return header_size + body;
}

Result<Message> parse_message(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kFixedHeaderSize)
    return fail("D-Bus message is shorter than its header");
  BERTH_TRY_ASSIGN(std::size_t size, message_size(bytes.first<kFixedHeaderSize>()));
  if (size != bytes.size())
    return fail("D-Bus message size does not match its header");
  Message message;
  message.big_endian = bytes[0] == 'B';
  std::uint32_t fields_length = Reader(bytes.subspan(12, 4), message.big_endian).uint32().value();
  std::size_t fields_end = kFixedHeaderSize + fields_length;
  // The header fields must end within their array's length.
  Reader header(bytes.first(fields_end), message.big_endian);
  (void)header.byte(); // byte order, checked by message_size
  BERTH_TRY_ASSIGN(std::uint8_t type, header.byte());
  if (type < 1 || type > 4)
    return fail("D-Bus message has an unknown type " + std::to_string(type));
  message.type = static_cast<MessageType>(type);
  BERTH_TRY_ASSIGN(message.flags, header.byte());
  (void)header.byte();        // version, checked by message_size
  BERTH_TRY(header.uint32()); // body length, used by message_size
  BERTH_TRY_ASSIGN(message.serial, header.uint32());
  if (message.serial == 0)
    return fail("D-Bus message has serial 0");
  BERTH_TRY(header.uint32()); // the fields' length, read above
  std::uint32_t unix_fds = 0;
  while (header.offset() < fields_end) {
    // Each field is a STRUCT (8-aligned) of the code and a VARIANT.
    BERTH_TRY_CTX(header.align(8), "D-Bus message header");
    BERTH_TRY_ASSIGN(std::uint8_t code, with_context(header.byte(), "D-Bus message header"));
    BERTH_TRY_ASSIGN(std::string sig, with_context(header.signature(), "D-Bus message header"));
    BERTH_TRY_ASSIGN(std::size_t length, single_type_length(sig));
    if (length != sig.size())
      return fail("D-Bus header field " + std::to_string(code) + " holds more than one value");
    auto expect = [&](std::string_view wanted) -> Result<void> {
      if (sig != wanted)
        return fail("D-Bus header field " + std::to_string(code) + " has type \"" + sig +
                    "\", expected \"" + std::string(wanted) + "\"");
      return {};
    };
    auto string_field_into = [&](std::string &out, std::string_view wanted) -> Result<void> {
      BERTH_TRY(expect(wanted));
      BERTH_TRY_ASSIGN(out, with_context(header.string(), "D-Bus message header"));
      return {};
    };
    switch (code) {
    case kFieldPath:
      BERTH_TRY(string_field_into(message.path, "o"));
      break;
    case kFieldInterface:
      BERTH_TRY(string_field_into(message.interface, "s"));
      break;
    case kFieldMember:
      BERTH_TRY(string_field_into(message.member, "s"));
      break;
    case kFieldErrorName:
      BERTH_TRY(string_field_into(message.error_name, "s"));
      break;
    case kFieldDestination:
      BERTH_TRY(string_field_into(message.destination, "s"));
      break;
    case kFieldSender:
      BERTH_TRY(string_field_into(message.sender, "s"));
      break;
    case kFieldSignature: {
      BERTH_TRY(expect("g"));
      BERTH_TRY_ASSIGN(message.signature, with_context(header.signature(), "D-Bus message header"));
      break;
    }
    case kFieldReplySerial: {
      BERTH_TRY(expect("u"));
      BERTH_TRY_ASSIGN(message.reply_serial, with_context(header.uint32(), "D-Bus message header"));
      break;
    }
    case kFieldUnixFds: {
      BERTH_TRY(expect("u"));
      BERTH_TRY_ASSIGN(unix_fds, with_context(header.uint32(), "D-Bus message header"));
      break;
    }
    default: // unknown fields are ignored, as the specification asks
      BERTH_TRY_CTX(header.skip(sig), "D-Bus message header");
    }
  }
  // berth never negotiates fd passing: a message that says it carries fds
  // cannot be read as sent.
  if (unix_fds != 0)
    return fail("D-Bus message carries file descriptors, which were not negotiated");
  bool complete = false;
  switch (message.type) {
  case MessageType::MethodCall:
    complete = !message.path.empty() && !message.member.empty();
    break;
  case MessageType::MethodReturn:
    complete = message.reply_serial.has_value();
    break;
  case MessageType::Error:
    complete = message.reply_serial.has_value() && !message.error_name.empty();
    break;
  case MessageType::Signal:
    complete = !message.path.empty() && !message.interface.empty() && !message.member.empty();
    break;
  }
  if (!complete)
    return fail("D-Bus message lacks a header field its type requires");
  std::size_t body_at = (fields_end + 7) / 8 * 8;
  message.body.assign(bytes.begin() + static_cast<std::ptrdiff_t>(body_at), bytes.end());
  if (!message.signature.empty()) {
    // The signature must at least be well formed: readers rely on it.
    for (std::string_view rest = message.signature; !rest.empty();) {
      BERTH_TRY_ASSIGN(std::size_t length, single_type_length(rest));
      rest.remove_prefix(length);
    }
  } else if (!message.body.empty()) {
    return fail("D-Bus message has a body but no signature");
  }
  return message;
}

Result<void> Reader::align(std::size_t to) {
  std::size_t aligned = (offset_ + to - 1) / to * to;
  if (aligned > data_.size())
    return fail("D-Bus message ends early");
  offset_ = aligned;
  return {};
}

Result<std::uint64_t> Reader::number(std::size_t size) {
  BERTH_TRY(align(size));
  if (data_.size() - offset_ < size)
    return fail("D-Bus message ends early");
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < size; ++i) {
    std::size_t at = offset_ + (big_endian_ ? size - 1 - i : i);
    v |= std::uint64_t{data_[at]} << (8 * i);
  }
  offset_ += size;
  return v;
}

Result<std::uint8_t> Reader::byte() {
  BERTH_TRY_ASSIGN(std::uint64_t v, number(1));
  return static_cast<std::uint8_t>(v);
}

Result<std::uint32_t> Reader::uint32() {
  BERTH_TRY_ASSIGN(std::uint64_t v, number(4));
  return static_cast<std::uint32_t>(v);
}

Result<std::uint64_t> Reader::uint64() {
  return number(8);
}

Result<std::string> Reader::string() {
  BERTH_TRY_ASSIGN(std::uint32_t length, uint32());
  if (data_.size() - offset_ < std::size_t{length} + 1)
    return fail("D-Bus string runs past the end of its message");
  const auto *text = reinterpret_cast<const char *>(data_.data() + offset_);
  if (text[length] != '\0' || std::memchr(text, '\0', length) != nullptr)
    return fail("D-Bus string is not NUL-terminated or holds a NUL");
  offset_ += std::size_t{length} + 1;
  return std::string(text, length);
}

Result<std::string> Reader::signature() {
  BERTH_TRY_ASSIGN(std::uint8_t length, byte());
  if (data_.size() - offset_ < std::size_t{length} + 1)
    return fail("D-Bus signature runs past the end of its message");
  const auto *text = reinterpret_cast<const char *>(data_.data() + offset_);
  if (text[length] != '\0' || std::memchr(text, '\0', length) != nullptr)
    return fail("D-Bus signature is not NUL-terminated or holds a NUL");
  offset_ += std::size_t{length} + 1;
  return std::string(text, length);
}

Result<void> Reader::skip(std::string_view type) {
  return skip(type, 0);
}

Result<void> Reader::skip(std::string_view type, int depth) {
  if (depth > kMaxDepth)
    return fail("D-Bus value nests too deep");
  BERTH_TRY_ASSIGN(std::size_t length, type_length(type, depth));
  if (length != type.size())
    return fail("D-Bus type \"" + std::string(type) + "\" is not one complete type");
  char c = type.front();
  switch (c) {
  case 'y':
  case 'n':
  case 'q':
  case 'b':
  case 'i':
  case 'u':
  case 'h':
  case 'x':
  case 't':
  case 'd':
    BERTH_TRY(number(c == 'y' ? 1 : alignment_of(c)));
    return {};
  case 's':
  case 'o':
    BERTH_TRY(string());
    return {};
  case 'g':
    BERTH_TRY(signature());
    return {};
  case 'v': {
    BERTH_TRY_ASSIGN(std::string inner, signature());
    return skip(inner, depth + 1);
  }
  case 'a': {
    BERTH_TRY_ASSIGN(std::uint32_t bytes, uint32());
    if (bytes > kMaxArrayLength)
      return fail("D-Bus array is longer than the specification allows");
    std::string_view element = type.substr(1);
    BERTH_TRY(align(alignment_of(element.front())));
    if (data_.size() - offset_ < bytes)
      return fail("D-Bus array runs past the end of its message");
    std::size_t end = offset_ + bytes;
    while (offset_ < end)
      BERTH_TRY(skip(element, depth + 1));
    if (offset_ != end)
      return fail("D-Bus array's elements do not end at its length");
    return {};
  }
  default: { // '(' or '{': the members in turn, from an 8-byte boundary
    BERTH_TRY(align(8));
    std::string_view members = type.substr(1, type.size() - 2);
    while (!members.empty()) {
      BERTH_TRY_ASSIGN(std::size_t member, type_length(members, depth + 1));
      BERTH_TRY(skip(members.substr(0, member), depth + 1));
      members.remove_prefix(member);
    }
    return {};
  }
  }
}

} // namespace berth::cgroup::dbus
