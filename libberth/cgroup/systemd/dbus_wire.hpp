// The D-Bus wire format, as much of it as berth's systemd client needs: writing
// method calls (always little-endian), and reading any message a peer sends
// (either byte order) with every length and offset checked, since the peer is
// not trusted. See the D-Bus specification, "Message Protocol".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sys/error.hpp"

namespace berth::cgroup::dbus {

// Writes values aligned to their own size from the start of the message
// (strings and arrays to 4, their length being a uint32; structs and dict
// entries to 8; bytes and signatures to 1), the padding being zero bytes.
class Marshaller {
public:
  void align(std::size_t to);
  void byte(std::uint8_t b) { bytes_.push_back(b); }
  void uint32(std::uint32_t v);
  void uint64(std::uint64_t v);
  // A BOOLEAN is a uint32 holding 0 or 1.
  void boolean(bool b) { uint32(b ? 1 : 0); }
  // STRING and OBJECT_PATH: uint32 length, the bytes, a NUL not counted.
  void string(std::string_view s);
  // SIGNATURE: one length byte, the bytes, a NUL.
  void signature(std::string_view s);
  // An ARRAY is its length in bytes (a uint32), padding to the alignment of
  // its element type, then the elements. The length counts neither that
  // padding nor any after the last element; the padding is there even when
  // the array is empty. open_array returns what close_array takes.
  std::size_t open_array(std::size_t element_alignment);
  void close_array(std::size_t length_at);
  // A STRUCT (and a DICT_ENTRY) starts on an 8-byte boundary.
  void open_struct() { align(8); }

  std::size_t size() const { return bytes_.size(); }
  std::vector<std::uint8_t> take() { return std::move(bytes_); }

private:
  std::vector<std::uint8_t> bytes_;
  std::vector<std::size_t> starts_;
};

// Message types.
enum class MessageType : std::uint8_t {
  MethodCall = 1,
  MethodReturn = 2,
  Error = 3,
  Signal = 4,
};

struct MethodCall {
  std::string_view destination;
  std::string_view path;
  std::string_view interface;
  std::string_view member;
  std::string_view signature; // of the body; empty for none
};

// The whole message: the fixed header, the header fields, padding to 8, then
// `body` (marshalled from offset 0, which keeps its alignment since the body
// starts on an 8-byte boundary). `serial` must be non-zero.
std::vector<std::uint8_t> method_call(const MethodCall &call, std::uint32_t serial,
                                      const std::vector<std::uint8_t> &body);

// org.freedesktop.DBus.Hello, which must be a connection's first message.
std::vector<std::uint8_t> hello_message(std::uint32_t serial);
// org.freedesktop.DBus.AddMatch(rule): signals matching `rule` are routed to
// this connection.
std::vector<std::uint8_t> add_match_message(std::string_view rule, std::uint32_t serial);

// The largest message berth accepts. The specification allows 128 MiB; what
// systemd and the bus send berth is a few hundred bytes.
inline constexpr std::size_t kMaxMessageSize = 1u << 20;
// The fixed part of the header, up to and including the header fields' length.
inline constexpr std::size_t kFixedHeaderSize = 16;

// The size of the whole message whose first kFixedHeaderSize bytes these
// are, after checking the byte order, protocol version and limits.
Result<std::size_t> message_size(std::span<const std::uint8_t, kFixedHeaderSize> header);

// A received message: the header fields berth uses, and the body.
struct Message {
  MessageType type = MessageType::MethodCall;
  std::uint8_t flags = 0;
  std::uint32_t serial = 0;
  bool big_endian = false;
  std::optional<std::uint32_t> reply_serial;
  std::string path;
  std::string interface;
  std::string member;
  std::string error_name;
  std::string destination;
  std::string sender;
  std::string signature; // of the body
  std::vector<std::uint8_t> body;
};

// Parses a whole message (message_size() bytes). Unknown header fields are
// skipped; the fields the message type requires must be there.
Result<Message> parse_message(std::span<const std::uint8_t> bytes);

// Reads values one after the other from a body, whose signature the caller
// has checked. Every read fails cleanly at the end of the data.
class Reader {
public:
  // `data` starts on an 8-byte boundary of its message (a body does).
  Reader(std::span<const std::uint8_t> data, bool big_endian)
      : data_(data), big_endian_(big_endian) {}
  explicit Reader(const Message &message) : Reader(message.body, message.big_endian) {}

  Result<std::uint8_t> byte();
  Result<std::uint32_t> uint32();
  Result<std::uint64_t> uint64();
  // STRING or OBJECT_PATH (the same layout): NUL-terminated, no NUL inside.
  Result<std::string> string();
  Result<std::string> signature();
  // Skips one value of the single complete type `type` ("s", "a(sv)", "v", ...).
  Result<void> skip(std::string_view type);
  // Skips padding to a multiple of `to` bytes.
  Result<void> align(std::size_t to);

  std::size_t offset() const { return offset_; }
  bool at_end() const { return offset_ == data_.size(); }

private:
  Result<std::uint64_t> number(std::size_t size);
  Result<void> skip(std::string_view type, int depth);

  std::span<const std::uint8_t> data_;
  bool big_endian_;
  std::size_t offset_ = 0;
};

// The length of the single complete type that starts `signature` ("a(sv)s" ->
// 5), or an error when there is none.
Result<std::size_t> single_type_length(std::string_view signature);

} // namespace berth::cgroup::dbus
